"""The business case: benefits, costs, KPIs, attribution and customer value of a scenario.

:func:`evaluate` compares two projections of the same customer base, *baseline* (no initiative)
and *with CX* (every initiative, every lever), and reports the case the way a Forrester Total
Economic Impact study does: yearly benefits and costs, risk-adjusted, with NPV, ROI, IRR and
payback beside their unadjusted values (docs/model.md §5), the Shapley attribution by lever
and by initiative and each segment's customer lifetime value (section 6).

:func:`case_kpis` is the vectorised core: it takes :class:`~cxroi.engine.project.Params` of any
batch
shape, so Monte Carlo draws, tornado points and break-even searches reuse it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from cxroi.engine import finance
from cxroi.engine import project as engine
from cxroi.engine.attribution import MAX_EXACT_PLAYERS, coalition_masks, shapley_values
from cxroi.model.scenario import LEVERS, Scenario, load_scenario

__all__ = ["BusinessCase", "evaluate", "case_kpis", "KPI_KEYS"]

#: KPIs of a case, in the order of ``cxroi run --json``.
KPI_KEYS = (
    "npv",
    "pv_benefits",
    "pv_costs",
    "roi",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "extra_customers_end",
    "annual_switching_loss",
)


# Floating-point traps silenced while the engine runs: values that pass validation can still
# overflow in a ratio (ROI over a cost of 1e-320, CLV over such a CAC). The result is inf or
# nan, which :func:`evaluate` turns into None with an entry in ``BusinessCase.warnings``.
def _quiet() -> np.errstate:
    """A fresh ``np.errstate`` context with every trap off (an instance is not re-entrant)."""
    return np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore")

#: KPIs that are defined for every case: a non-finite value can only be an overflow.
_ALWAYS_DEFINED = (
    "npv", "pv_benefits", "pv_costs", "extra_customers_end", "annual_switching_loss",
)  # fmt: skip


def risk_adjust(x, b):
    """Move a benefit toward the worse case: f(x, b) = x (1 - b) for x >= 0, x (1 + b) for x < 0."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, x * (1.0 - b), x * (1.0 + b))


def _flows(benefit: np.ndarray, costs: np.ndarray, d: np.ndarray, badj, cadj, with_irr: bool):
    """KPIs from yearly benefits and costs (years 0..H on the last axis)."""
    benefits = risk_adjust(benefit, np.asarray(badj, dtype=float)[..., None])
    costs = costs * (1.0 + np.asarray(cadj))[..., None]
    net = benefits - costs
    df = finance.discount_factors(d, benefit.shape[-1] - 1)
    pv_b = np.sum(benefits * df, axis=-1)
    pv_c = np.sum(costs * df, axis=-1)
    npv = pv_b - pv_c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        roi = np.where(pv_c != 0.0, npv / np.where(pv_c != 0.0, pv_c, 1.0), np.nan)
    out = {
        "npv": npv,
        "pv_benefits": pv_b,
        "pv_costs": pv_c,
        "roi": roi,
        "payback_years": np.asarray(_nan(finance.payback_years(net))),
        "discounted_payback_years": np.asarray(_nan(finance.payback_years(net * df))),
        "benefits": benefits,
        "costs": costs,
        "net": net,
        "discount_factors": df,
    }
    if with_irr:
        out["irr"] = np.asarray(_nan(finance.irr(net)))
    return out


def _nan(x):
    return np.nan if x is None else x


def case_kpis(
    p: engine.Params, with_irr: bool = True, with_unadjusted: bool = True
) -> dict[str, Any]:
    """Every KPI of the case for parameters of any batch shape.

    Parameters
    ----------
    p : Params
        Compiled scenario (see :func:`cxroi.engine.project.compile_scenario`), batch shape ``...``.
    with_irr : bool
        Compute the IRR as well (a root search per case).
    with_unadjusted : bool
        Compute the unadjusted KPIs as well (else ``unadjusted`` is None).

    Returns
    -------
    dict
        ``adjusted`` and ``unadjusted``: dicts of arrays of batch shape (``npv``, ``pv_benefits``,
        ``pv_costs``, ``roi``, ``irr``, ``payback_years``, ``discounted_payback_years``, and the
        yearly ``benefits``, ``costs``, ``net`` with years 0..H last);
        ``extra_customers_end``, ``annual_switching_loss``; and the two ``projections``.
    """
    I = p.ramp.shape[0]
    levers = np.array([[0.0] * 4, [1.0] * 4])
    active = np.ones((2, I))
    # put the baseline / with-CX axis first, ahead of the parameters' batch axes
    shape = (2,) + (1,) * len(p.batch_shape)
    with _quiet():  # an overflow becomes inf/nan here and None (with a warning) in the outputs
        proj = engine.project(p, levers.reshape(shape + (4,)), active.reshape(shape + (I,)))
        out = _kpis(p, proj, with_irr, with_unadjusted)
    out["projection"] = proj
    return out


def _kpis(p: engine.Params, proj: engine.Projection, with_irr: bool, with_unadjusted: bool):
    """KPIs from a projection whose first axis is (baseline, with CX)."""
    contribution = proj.contribution.sum(axis=-2)  # (2, ..., H)
    benefit = contribution[1] - contribution[0]
    benefit = np.concatenate([np.zeros(benefit.shape[:-1] + (1,)), benefit], axis=-1)
    costs = p.costs.sum(axis=-2)
    batch = np.broadcast_shapes(
        benefit.shape[:-1],
        costs.shape[:-1],
        p.discount_rate.shape,
        p.benefit_adjustment.shape,
        p.cost_adjustment.shape,
    )
    benefit = np.broadcast_to(benefit, batch + benefit.shape[-1:])
    costs = np.broadcast_to(costs, benefit.shape)
    d = np.broadcast_to(p.discount_rate, batch)
    adjusted = _flows(benefit, costs, d, p.benefit_adjustment, p.cost_adjustment, with_irr)
    unadjusted = _flows(benefit, costs, d, 0.0, 0.0, with_irr) if with_unadjusted else None
    customers_end = proj.customers[..., -1].sum(axis=-1)
    extra = np.broadcast_to(customers_end[1] - customers_end[0], batch)
    loss = engine.annual_switching_loss(p).sum(axis=-1)
    for kpis in filter(None, (adjusted, unadjusted)):
        kpis["extra_customers_end"] = extra
        kpis["annual_switching_loss"] = np.broadcast_to(loss, extra.shape)
    return {"adjusted": adjusted, "unadjusted": unadjusted}


def _coalition_rows(n_initiatives: int) -> tuple[np.ndarray, np.ndarray]:
    """Lever and initiative switches of every projection :func:`evaluate` needs, in one batch.

    Rows 0..15 are the lever coalitions with every initiative on (row 0 is the baseline, row 15
    the full case); the rows after them are the initiative coalitions with every lever on
    (none beyond :data:`~cxroi.engine.attribution.MAX_EXACT_PLAYERS` initiatives).
    """
    I = n_initiatives
    lever_masks = coalition_masks(len(LEVERS))
    init_masks = coalition_masks(I) if I <= MAX_EXACT_PLAYERS else np.zeros((0, I))
    levers = np.vstack([lever_masks, np.ones((len(init_masks), len(LEVERS)))])
    active = np.vstack([np.ones((len(lever_masks), I)), init_masks])
    return levers, active


_FULL = 2 ** len(LEVERS) - 1  # row of the full case among the lever coalitions


def _lever_attribution(p: engine.Params, contribution: np.ndarray) -> dict[str, float]:
    """Shapley values of risk-adjusted PV of benefits over the four levers.

    ``contribution`` holds the 16 lever coalitions' yearly contribution, shape (16, H).
    """
    benefit = contribution - contribution[0]
    df = finance.discount_factors(p.discount_rate, p.horizon_years)[1:]
    pv = (risk_adjust(benefit, float(p.benefit_adjustment)) * df).sum(axis=-1)
    return dict(zip(LEVERS, shapley_values(pv).tolist(), strict=True))


def _initiative_attribution(
    p: engine.Params, names: list[str], contribution: np.ndarray, baseline: np.ndarray
) -> dict[str, float] | None:
    """Shapley values of risk-adjusted NPV over the initiatives (exact up to 8).

    ``contribution`` holds the 2**I initiative coalitions' yearly contribution, shape
    (2**I, H), and ``baseline`` the baseline's, shape (H,).
    """
    I = len(names)
    if I > MAX_EXACT_PLAYERS:
        return None
    masks = coalition_masks(I)  # (2**I, I)
    benefit = np.concatenate([np.zeros((len(masks), 1)), contribution - baseline], axis=-1)
    costs = masks @ p.costs  # (2**I, H+1)
    d = np.full(len(masks), float(p.discount_rate))
    npv = _flows(benefit, costs, d, p.benefit_adjustment, p.cost_adjustment, False)["npv"]
    return dict(zip(names, shapley_values(npv).tolist(), strict=True))


def _py(x: Any) -> float | None:
    """A finite Python float, or None."""
    v = float(x)
    return v if math.isfinite(v) else None


def _overflow_warnings(kpis: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Warnings for KPIs that overflowed (inf, or nan where the KPI is always defined)."""
    out = []
    for key in KPI_KEYS:
        x = float(kpis[key])
        if math.isinf(x) or (math.isnan(x) and key in _ALWAYS_DEFINED):
            out.append(
                {
                    "path": f"{prefix}{key}",
                    "value": None,
                    "message": f"{prefix}{key}: the result is beyond float range ({x}) for these "
                    "inputs (an extreme value, such as a cost of 1e-320); it is reported as null",
                    "suggested": None,
                }
            )
    return out


@dataclass
class BusinessCase:
    """The evaluated case of one scenario (see :func:`evaluate`).

    Attributes
    ----------
    scenario : Scenario
    kpis, unadjusted : dict
        KPIs with and without the TEI risk adjustment (``None`` where undefined).
    cashflow : DataFrame
        Years 0..H: ``benefits``, ``costs``, ``net``, ``cumulative_net``, ``discount_factor``,
        ``discounted_net``, ``cumulative_discounted_net`` (risk-adjusted) and
        ``benefits_unadjusted``, ``costs_unadjusted`` [money].
    by_lever : dict
        Shapley values of risk-adjusted PV of benefits by lever [money].
    by_initiative : dict or None
        Shapley values of risk-adjusted NPV by initiative [money]; None beyond 8 initiatives.
    by_segment : DataFrame
        Per segment: ``clv_baseline``, ``clv_with_cx`` [money per customer],
        ``acquisition_cost``, ``clv_to_cac_baseline``, ``clv_to_cac_with_cx``,
        ``annual_switching_loss`` [money/year], ``pv_benefits`` [money],
        ``extra_customers_end`` [customers].
    customers : DataFrame
        Long table of active customers at the end of each year (0 = today): ``year``,
        ``segment``, ``baseline``, ``with_cx``.
    warnings : list of dict
        Results that overflowed float range for extreme inputs and are reported as None:
        ``{path, value, message, suggested}`` each (the shape of a plausibility warning).
    """

    scenario: Scenario
    kpis: dict[str, float | None]
    unadjusted: dict[str, float | None]
    cashflow: pd.DataFrame
    by_lever: dict[str, float]
    by_initiative: dict[str, float] | None
    by_segment: pd.DataFrame
    projection: engine.Projection = field(repr=False)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Active customers at the end of each year (0 = today), baseline and with CX.

        Long table: ``year``, ``segment``, ``baseline``, ``with_cx`` [customers].
        """
        names = self.scenario.segment_names
        H = self.scenario.horizon_years
        return pd.DataFrame(
            {
                "year": np.tile(np.arange(H + 1), len(names)),
                "segment": np.repeat(names, H + 1),
                "baseline": self.projection.customers[0].reshape(-1),
                "with_cx": self.projection.customers[1].reshape(-1),
            }
        )

    @cached_property
    def lines(self) -> pd.DataFrame:
        """Yearly P&L lines per segment, baseline and with CX (built on first use).

        Columns ``projection``, ``segment``, ``year``, ``active_start``, ``revenue``,
        ``gross_margin``, ``service_cost``, ``new_customers``, ``acquisition_cost``,
        ``contribution`` [money or customers].
        """
        return _lines(self.scenario, self.projection)

    @property
    def currency(self) -> str:
        """Currency of every money figure."""
        return self.scenario.currency

    def tei_table(self) -> pd.DataFrame:
        """Cash-flow summary in the TEI layout (risk-adjusted).

        Rows ``Benefits``, ``Costs``, ``Net``, ``Cumulative net``; columns ``Initial``,
        ``Year 1`` .. ``Year H``, ``Total`` and ``Present value`` (the last two are left empty
        for the cumulative row).
        """
        cf = self.cashflow
        cols = ["Initial"] + [f"Year {t}" for t in cf.index[1:]]
        rows = {
            "Benefits": cf["benefits"].to_numpy(),
            "Costs": cf["costs"].to_numpy(),
            "Net": cf["net"].to_numpy(),
        }
        df = cf["discount_factor"].to_numpy()
        table = pd.DataFrame(rows, index=cols).T
        table["Total"] = [v.sum() for v in rows.values()]
        table["Present value"] = [(v * df).sum() for v in rows.values()]
        cumulative = list(cf["cumulative_net"].to_numpy()) + [np.nan, np.nan]
        table.loc["Cumulative net"] = cumulative
        table.columns.name = self.currency
        return table

    def to_json(self) -> dict[str, Any]:
        """The case as the JSON object of ``cxroi run --json`` (docs/model.md §8)."""
        out: dict[str, Any] = {k: self.kpis[k] for k in KPI_KEYS}
        out["unadjusted"] = {k: self.unadjusted[k] for k in KPI_KEYS}
        cf = self.cashflow
        out["cashflow"] = {
            "year": [int(y) for y in cf.index],
            "benefits": [_py(x) for x in cf["benefits"]],
            "costs": [_py(x) for x in cf["costs"]],
            "net": [_py(x) for x in cf["net"]],
        }
        out["by_lever"] = {k: _py(v) for k, v in self.by_lever.items()}
        out["by_initiative"] = (
            None
            if self.by_initiative is None
            else {k: _py(v) for k, v in self.by_initiative.items()}
        )
        out["segments"] = {
            name: {"clv_baseline": _py(row.clv_baseline), "clv_with_cx": _py(row.clv_with_cx)}
            for name, row in self.by_segment.iterrows()
        }
        out["warnings"] = [dict(w) for w in self.warnings]
        return out


def evaluate(scenario: Scenario | Any) -> BusinessCase:
    """Evaluate a scenario's business case (docs/model.md §3-§6).

    Parameters
    ----------
    scenario : Scenario, mapping or path
        Anything :func:`cxroi.load_scenario` accepts.

    Returns
    -------
    BusinessCase

    Examples
    --------
    >>> case = evaluate("scenarios/retail_bank.yaml")
    >>> round(case.kpis["npv"], 2)
    2469087.08
    """
    sc = load_scenario(scenario)
    with _quiet():
        return _evaluate(sc)


def _evaluate(sc: Scenario) -> BusinessCase:
    p = engine.compile_scenario(sc)
    levers, active = _coalition_rows(len(sc.initiatives))
    every = engine.project(p, levers, active)  # all coalitions in one vectorised call
    rows = [0, _FULL]  # baseline and with CX
    proj = engine.Projection(**{f.name: getattr(every, f.name)[rows] for f in fields(every)})
    result = _kpis(p, proj, with_irr=True, with_unadjusted=True)
    adjusted, unadjusted = result["adjusted"], result["unadjusted"]
    contribution = every.contribution.sum(axis=-2)  # (rows, H)
    n_levers = _FULL + 1
    H = sc.horizon_years
    years = pd.RangeIndex(0, H + 1, name="year")
    net = adjusted["net"]
    df = adjusted["discount_factors"]
    cashflow = pd.DataFrame(
        {
            "benefits": adjusted["benefits"],
            "costs": adjusted["costs"],
            "net": net,
            "cumulative_net": np.cumsum(net),
            "discount_factor": df,
            "discounted_net": net * df,
            "cumulative_discounted_net": np.cumsum(net * df),
            "benefits_unadjusted": unadjusted["benefits"],
            "costs_unadjusted": unadjusted["costs"],
        },
        index=years,
    )
    I = len(sc.initiatives)
    names = sc.segment_names
    clv_base = engine.customer_lifetime_value(p, np.zeros(4), np.zeros(I))
    clv_cx = engine.customer_lifetime_value(p, np.ones(4), np.ones(I))
    cac = np.asarray(p.acquisition_cost, dtype=float)
    seg_benefit = proj.contribution[1] - proj.contribution[0]  # (S, H)
    # docs/model.md §12 per segment and year: a loss grows by b, so no segment is flattered
    seg_pv = (risk_adjust(seg_benefit, float(p.benefit_adjustment)) * df[1:]).sum(axis=-1)
    safe_cac = np.where(cac > 0, cac, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_segment = pd.DataFrame(
            {
                "clv_baseline": clv_base,
                "clv_with_cx": clv_cx,
                "acquisition_cost": cac,
                "clv_to_cac_baseline": np.where(cac > 0, clv_base / safe_cac, np.nan),
                "clv_to_cac_with_cx": np.where(cac > 0, clv_cx / safe_cac, np.nan),
                "annual_switching_loss": engine.annual_switching_loss(p),
                "pv_benefits": seg_pv,
                "extra_customers_end": proj.customers[1, :, -1] - proj.customers[0, :, -1],
            },
            index=pd.Index(names, name="segment"),
        )
    return BusinessCase(
        scenario=sc,
        kpis={k: _py(adjusted[k]) for k in KPI_KEYS},
        unadjusted={k: _py(unadjusted[k]) for k in KPI_KEYS},
        cashflow=cashflow,
        by_lever=_lever_attribution(p, contribution[:n_levers]),
        by_initiative=_initiative_attribution(
            p, sc.initiative_names, contribution[n_levers:], contribution[0]
        ),
        by_segment=by_segment,
        projection=proj,
        warnings=_overflow_warnings(adjusted)
        + _overflow_warnings(unadjusted, prefix="unadjusted."),
    )


def _lines(sc: Scenario, proj: engine.Projection) -> pd.DataFrame:
    """Yearly P&L lines per segment for baseline and with CX (for audit and reports)."""
    H = sc.horizon_years
    frames = []
    for k, projection in enumerate(("baseline", "with_cx")):
        for s, name in enumerate(sc.segment_names):
            frames.append(
                pd.DataFrame(
                    {
                        "projection": projection,
                        "segment": name,
                        "year": np.arange(1, H + 1),
                        "active_start": proj.customers[k, s, :-1],
                        "revenue": proj.revenue[k, s],
                        "gross_margin": proj.gross_margin[k, s],
                        "service_cost": proj.service[k, s],
                        "new_customers": proj.new_customers[k, s],
                        "acquisition_cost": proj.acquisition[k, s],
                        "contribution": proj.contribution[k, s],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
