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
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from cxroi.engine import finance
from cxroi.engine import project as engine
from cxroi.engine.attribution import MAX_EXACT_PLAYERS, coalition_masks, shapley_values
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import EQUITY_KEYS, KPI_KEYS
from cxroi.model.scenario import LEVERS, Scenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BusinessCase", "evaluate", "case_kpis", "KPI_KEYS", "EQUITY_KEYS"]


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


def _kpis_of(benefits, costs, d, with_irr: bool) -> dict[str, Any]:
    """KPIs from yearly (already adjusted) benefits and costs, years 0..H on the last axis."""
    net = benefits - costs
    df = finance.discount_factors(d, benefits.shape[-1] - 1)
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


def _flows(benefit: np.ndarray, costs: np.ndarray, d: np.ndarray, badj, cadj, with_irr: bool):
    """KPIs from yearly benefits and costs (years 0..H on the last axis), one number b."""
    benefits = risk_adjust(benefit, np.asarray(badj, dtype=float)[..., None])
    costs = costs * (1.0 + np.asarray(cadj))[..., None]
    return _kpis_of(benefits, costs, d, with_irr)


def _nan(x):
    return np.nan if x is None else x


def lever_rows(p: engine.Params) -> np.ndarray:
    """Lever switches of the projections a case needs, shape (R, 4).

    With one benefit adjustment, the baseline and the full case (R = 2); with a by-lever
    adjustment, all 16 lever coalitions (bit masks; row 0 the baseline, row 15 the full case),
    for the yearly lever split of docs/model.md §12.
    """
    if p.risk_by_lever:
        return coalition_masks(len(LEVERS))
    return np.array([[0.0] * 4, [1.0] * 4])


def _shapley_w() -> np.ndarray:
    from cxroi.engine.attribution import _weights

    return _weights(len(LEVERS))


def lever_split(benefit_rows: np.ndarray) -> np.ndarray:
    r"""Each year's customer benefit split by lever: exact Shapley values (docs/model.md §12).

    .. math:: \phi_{l,t} = \sum_{S \not\ni l} w(|S|)\,(B_t(S \cup \{l\}) - B_t(S))

    Parameters
    ----------
    benefit_rows : ndarray, shape (16, ..., H)
        The year's customer benefit of every lever coalition (bit masks; row 0 is zero).

    Returns
    -------
    ndarray, shape (..., H, 4); summing over the last axis gives row 15.
    """
    return np.moveaxis(benefit_rows, 0, -1) @ _shapley_w()


def customer_benefits(p: engine.Params, benefit_rows: np.ndarray) -> dict[str, np.ndarray]:
    """Risk-adjusted customer benefit per year from the lever rows' benefits.

    ``benefit_rows`` has the rows of :func:`lever_rows` first, years 1..H last. Returns
    ``adjusted`` and ``unadjusted`` (..., H) and, for a by-lever adjustment, ``by_lever``
    (..., H, 4): each lever's adjusted share, f(phi_l,t, b_l).
    """
    full = benefit_rows[-1]
    if p.risk_by_lever:
        phi = lever_split(benefit_rows)
        b = p.lever_risk[..., None, :4]
        by_lever = risk_adjust(phi, b)
        return {"adjusted": by_lever.sum(axis=-1), "unadjusted": full, "by_lever": by_lever}
    b = np.asarray(p.benefit_adjustment, dtype=float)[..., None]
    return {"adjusted": risk_adjust(full, b), "unadjusted": full}


def line_flows(p: engine.Params, active: np.ndarray) -> dict[str, np.ndarray]:
    """Benefit and cost lines of the active initiatives per year 0..H (docs/model.md §11-§12).

    Each benefit line is its amount x (1 - its risk), the risk defaulting to the benefit
    adjustment (its ``lines`` entry when given by lever); each cost line its amount x
    (1 + its risk), defaulting to the cost adjustment; capex and opex x (1 + cost adjustment).

    Parameters
    ----------
    p : Params
    active : ndarray, shape (..., I)
        Initiative switches.

    Returns
    -------
    dict of ndarray, shape (..., H+1): ``line_benefits``, ``line_costs``, ``costs`` (capex and
    opex, adjusted) and the same unadjusted (``*_unadjusted``).
    """
    active = np.asarray(active, dtype=float)
    b_default = p.lever_risk[..., 4] if p.risk_by_lever else p.benefit_adjustment
    c = np.asarray(p.cost_adjustment, dtype=float)
    out = {}
    for kind, default, sign in (("benefit", b_default, -1.0), ("cost", c, 1.0)):
        amounts = getattr(p, f"{kind}_lines")  # (..., L, H+1)
        own = getattr(p, f"{kind}_line_risk")  # (..., L)
        on = active[..., getattr(p, f"{kind}_line_owner")]  # (..., L)
        if amounts.shape[-2] == 0:
            shape = np.broadcast_shapes(amounts.shape[:-2], on.shape[:-1])
            zero = np.zeros(shape + (p.horizon_years + 1,))
            out[f"line_{kind}s"] = zero
            out[f"line_{kind}s_unadjusted"] = zero
            continue
        risk = np.where(np.isnan(own), np.asarray(default, dtype=float)[..., None], own)
        raw = amounts * on[..., None]
        out[f"line_{kind}s_unadjusted"] = raw.sum(axis=-2)
        out[f"line_{kind}s"] = (raw * (1.0 + sign * risk)[..., None]).sum(axis=-2)
    base = np.sum(active[..., :, None] * p.costs, axis=-2)
    out["costs_unadjusted"] = base
    out["costs"] = base * (1.0 + c)[..., None]
    return out


def _assemble(p, benefit_rows, active, with_irr: bool, with_unadjusted: bool):
    """KPIs of cases from their lever rows' customer benefits and initiative switches."""
    cust = customer_benefits(p, benefit_rows)
    lines = line_flows(p, active)
    zero = np.zeros(cust["adjusted"].shape[:-1] + (1,))
    parts = {
        "customer_benefits": np.concatenate([zero, cust["adjusted"]], axis=-1),
        "customer_benefits_unadjusted": np.concatenate([zero, cust["unadjusted"]], axis=-1),
        **lines,
    }
    if "by_lever" in cust:
        zero4 = np.zeros(cust["by_lever"].shape[:-2] + (1, 4))
        parts["customer_by_lever"] = np.concatenate([zero4, cust["by_lever"]], axis=-2)
    benefits = parts["customer_benefits"] + parts["line_benefits"]
    costs = parts["costs"] + parts["line_costs"]
    batch = np.broadcast_shapes(benefits.shape[:-1], costs.shape[:-1], p.discount_rate.shape)
    benefits = np.broadcast_to(benefits, batch + benefits.shape[-1:])
    costs = np.broadcast_to(costs, benefits.shape)
    d = np.broadcast_to(p.discount_rate, batch)
    adjusted = _kpis_of(benefits, costs, d, with_irr)
    adjusted["parts"] = parts
    unadjusted = None
    if with_unadjusted:
        ub = parts["customer_benefits_unadjusted"] + parts["line_benefits_unadjusted"]
        uc = parts["costs_unadjusted"] + parts["line_costs_unadjusted"]
        ub = np.broadcast_to(ub, benefits.shape)
        uc = np.broadcast_to(uc, benefits.shape)
        unadjusted = _kpis_of(ub, uc, d, with_irr)
    return adjusted, unadjusted


def case_kpis(
    p: engine.Params,
    with_irr: bool = True,
    with_unadjusted: bool = True,
    with_projection: bool = True,
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
    with_projection : bool
        Return the projection as well (else ``projection`` is None; Monte Carlo needs only
        the KPIs).

    Returns
    -------
    dict
        ``adjusted`` and ``unadjusted``: dicts of arrays of batch shape (``npv``, ``pv_benefits``,
        ``pv_costs``, ``roi``, ``irr``, ``payback_years``, ``discounted_payback_years``, and the
        yearly ``benefits``, ``costs``, ``net`` with years 0..H last);
        ``extra_customers_end``, ``annual_switching_loss``; and the ``projection`` (its first
        axis the rows of :func:`lever_rows`).

    Notes
    -----
    When no parameter the baseline reads varies along the batch (Monte Carlo draws of effects,
    costs and rates; a sweep of them), the baseline is projected once for the whole batch
    (:func:`_baseline_params`); the results are the same to the last bit.
    """
    I = p.ramp.shape[0]
    levers = lever_rows(p)
    R = len(levers)
    active = np.ones((1, I))
    # put the lever-row axis first, ahead of the parameters' batch axes
    shape = (1,) * len(p.batch_shape)
    levers = levers.reshape((R,) + shape + (4,))
    active = active.reshape(shape + (I,))
    with _quiet():  # an overflow becomes inf/nan here and None (with a warning) in the outputs
        one_case = math.prod(p.batch_shape) <= 1
        baseline = None if p.risk_by_lever or one_case else _baseline_params(p)
        if baseline is None:
            proj = engine.project(p, levers, active)
            out = _kpis(p, proj, with_irr, with_unadjusted)
        else:  # the baseline is the same for every case of the batch: projected once
            with_cx = engine.project(p, levers[1:], active)
            once = engine.project(baseline, levers[:1], active)
            # the with-CX row less the baseline row (only the last row is read without a
            # by-lever adjustment), and the extra customers, as _kpis forms them
            rows = with_cx.contribution.sum(axis=-2) - once.contribution.sum(axis=-2)[0]
            extra = (
                with_cx.customers[..., -1].sum(axis=-1)[-1]
                - once.customers[..., -1].sum(axis=-1)[0]
            )
            out = _kpis_of_rows(p, rows, extra, with_irr, with_unadjusted)
            proj = _stacked(once, with_cx) if with_projection else with_cx
    out["projection"] = proj if with_projection else None
    return out


def _stacked(baseline: engine.Projection, with_cx: engine.Projection) -> engine.Projection:
    """One projection with the baseline row first, broadcast to the with-CX row's batch."""
    rows = {f.name: (getattr(baseline, f.name), getattr(with_cx, f.name)) for f in fields(with_cx)}
    return engine.Projection(
        **{k: np.concatenate([np.broadcast_to(b, x.shape), x]) for k, (b, x) in rows.items()}
    )


#: Parameters the baseline projection (every lever off) reads, batch axes ahead of one core axis.
_BASELINE_INPUTS = (
    "customers", "wallet", "share_of_wallet", "gross_margin", "acquisition_cost",
    "cost_to_serve", "referral_share", "retention", "alpha", "beta", "tenure",
    "new_customers_per_year",
)  # fmt: skip
#: Parameters it does not read, with the number of their core axes: with every lever off, an
#: effect e enters as 1 - e x 0, 1 + e x 0 or e x 0, the churn shares only through the churn
#: multiplier 1 - poor x preventable x 0 = 1; costs, rates and lines not at all.
_NOT_IN_BASELINE = {
    "churn_prevented": 2, "share_of_wallet_lift": 2, "referral_lift": 2,
    "cost_to_serve_change": 2, "poor_cx_churn_share": 1, "preventable_share": 1,
    "discount_rate": 0, "benefit_adjustment": 0, "cost_adjustment": 0, "costs": 2,
    "benefit_lines": 2, "benefit_line_risk": 1, "cost_lines": 2, "cost_line_risk": 1,
    "lever_risk": 1,
}  # fmt: skip


def _baseline_params(p: engine.Params) -> engine.Params | None:
    """Parameters with no batch axis that project the same baseline as ``p``, or None.

    None when a parameter the baseline reads varies along the batch (a drawn wallet, say).
    Otherwise those it ignores become zeros of their core shape: with every lever off a finite
    effect times 0 is 0 and the churn multiplier exactly 1, so the projection is the same to
    the last bit (the same operations per element).
    """
    if any(getattr(p, name).ndim > 1 for name in _BASELINE_INPUTS):
        return None
    effects = (p.churn_prevented, p.share_of_wallet_lift, p.referral_lift, p.cost_to_serve_change)
    churn = p.poor_cx_churn_share * p.preventable_share
    if not all(np.isfinite(x).all() for x in effects + (churn,)):
        return None  # x 0 would be NaN, not 0
    shapes = {name: getattr(p, name).shape for name in _NOT_IN_BASELINE}
    zeros: dict[str, Any] = {
        k: np.zeros(v[len(v) - _NOT_IN_BASELINE[k] :]) for k, v in shapes.items()
    }
    return replace(p, **zeros)


def _kpis(p: engine.Params, proj: engine.Projection, with_irr: bool, with_unadjusted: bool):
    """KPIs from a projection whose first axis is the rows of :func:`lever_rows`."""
    contribution = proj.contribution.sum(axis=-2)  # (R, ..., H)
    customers_end = proj.customers[..., -1].sum(axis=-1)
    extra = customers_end[-1] - customers_end[0]
    return _kpis_of_rows(p, contribution - contribution[0], extra, with_irr, with_unadjusted)


def _kpis_of_rows(p: engine.Params, rows, extra, with_irr: bool, with_unadjusted: bool):
    """KPIs from the lever rows' customer benefits (..., H) and the extra customers at H."""
    I = p.ramp.shape[0]
    adjusted, unadjusted = _assemble(p, rows, np.ones(I), with_irr, with_unadjusted)
    batch = adjusted["npv"].shape
    extra = np.broadcast_to(extra, batch)
    loss = engine.annual_switching_loss(p).sum(axis=-1)
    for kpis in filter(None, (adjusted, unadjusted)):
        kpis["extra_customers_end"] = extra
        kpis["annual_switching_loss"] = np.broadcast_to(loss, extra.shape)
    return {"adjusted": adjusted, "unadjusted": unadjusted}


_FULL = 2 ** len(LEVERS) - 1  # row of the full case among the lever coalitions


def initiative_coalitions(n: int) -> np.ndarray:
    """Initiative switches of every coalition a case's attributions need, shape (C, n).

    All ``2**n`` coalitions (bit masks) up to :data:`~cxroi.attribution.MAX_EXACT_PLAYERS`;
    beyond, only those the standalone and last-in values need: none, each alone, all but
    each, all.
    """
    if n <= MAX_EXACT_PLAYERS:
        return coalition_masks(n)
    eye = np.eye(n)
    return np.vstack([np.zeros((1, n)), eye, 1.0 - eye, np.ones((1, n))])


def _initiative_values(p: engine.Params, names: list[str], baseline_contribution, every):
    """by_initiative (Shapley), standalone and last-in values of risk-adjusted NPV.

    ``every`` is the projection of :func:`lever_rows` x :func:`initiative_coalitions`
    (R, C, S, H); ``baseline_contribution`` the baseline's (H,).
    """
    I = len(names)
    masks = initiative_coalitions(I)
    rows = every.contribution.sum(axis=-2) - baseline_contribution  # (R, C, H)
    if not p.risk_by_lever:  # rows are (full,) only: put the zero baseline row in front
        rows = np.concatenate([np.zeros_like(rows), rows], axis=0)
    adjusted, _ = _assemble(p, rows, masks, False, False)
    npv = adjusted["npv"]  # (C,)
    index = {tuple(m.astype(int)): k for k, m in enumerate(masks)}
    full = npv[index[(1,) * I]]
    standalone, last_in = {}, {}
    for i, name in enumerate(names):
        alone = tuple(int(j == i) for j in range(I))
        rest = tuple(int(j != i) for j in range(I))
        standalone[name] = float(npv[index[alone]])
        last_in[name] = float(full - npv[index[rest]])
    shapley = (
        dict(zip(names, shapley_values(npv).tolist(), strict=True))
        if I <= MAX_EXACT_PLAYERS
        else None
    )
    return shapley, standalone, last_in


_py = finite_or_none  # a finite Python float, or None


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
        Built on first use from ``cashflow_columns`` (pandas is imported then, so a caller that
        only needs numbers, such as ``cxroi run --json``, never imports it); index ``year``.
        Years 0..H: ``benefits``, ``costs``, ``net``, ``cumulative_net``, ``discount_factor``,
        ``discounted_net``, ``cumulative_discounted_net`` (risk-adjusted) and
        ``benefits_unadjusted``, ``costs_unadjusted`` [money].
        Also ``customer_benefits``, ``line_benefits``, ``capex_opex``, ``line_costs``
        (risk-adjusted parts of benefits and costs) and each ``*_unadjusted``.
        ``kpis`` and ``unadjusted`` also hold ``customer_equity`` and
        ``npv_with_customer_equity`` (docs/model.md §13), never mixed into the other KPIs.
    by_lever : dict
        Risk-adjusted PV of benefits by lever (Shapley) and ``lines`` [money]; sums to
        ``pv_benefits``.
    by_initiative : dict or None
        Shapley values of risk-adjusted NPV by initiative [money]; None beyond 8 initiatives.
    by_initiative_standalone, by_initiative_last_in : dict
        NPV of each initiative alone, and NPV lost if it alone is cut [money].
    by_segment : DataFrame
        Built on first use from ``segment_columns``; index ``segment`` (the scenario's
        segment names). Per segment: ``clv_baseline``, ``clv_with_cx`` [money per customer],
        ``acquisition_cost``, ``clv_to_cac_baseline``, ``clv_to_cac_with_cx``,
        ``annual_switching_loss`` [money/year], ``pv_benefits`` [money],
        ``extra_customers_end`` [customers].
    cashflow_columns, segment_columns : dict of ndarray
        The same columns as ``cashflow`` (years 0..H) and ``by_segment`` (one value a
        segment), as numpy arrays.
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
    cashflow_columns: dict[str, np.ndarray]
    by_lever: dict[str, float]
    by_initiative: dict[str, float] | None
    segment_columns: dict[str, np.ndarray]
    projection: engine.Projection = field(repr=False)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    by_initiative_standalone: dict[str, float] = field(default_factory=dict)
    by_initiative_last_in: dict[str, float] = field(default_factory=dict)

    @cached_property
    def cashflow(self) -> pd.DataFrame:
        """Cash flows of years 0..H, one column per entry of ``cashflow_columns``."""
        import pandas as pd

        years = pd.RangeIndex(0, self.scenario.horizon_years + 1, name="year")
        return pd.DataFrame(self.cashflow_columns, index=years)

    @cached_property
    def by_segment(self) -> pd.DataFrame:
        """Per-segment figures, one column per entry of ``segment_columns``."""
        import pandas as pd

        names = pd.Index(self.scenario.segment_names, name="segment")
        return pd.DataFrame(self.segment_columns, index=names)

    def line_table(self, adjusted: bool = True) -> pd.DataFrame:
        """Every benefit and cost line of the case per year (docs/model.md §11).

        One row per line: the customer benefit of all segments (``Customer benefits``), each
        benefit line, the capex and opex of each initiative, each cost line. Columns
        ``initiative``, ``kind`` (``benefit`` or ``cost``), ``line``, ``risk`` (the
        adjustment applied), then years 0..H [money].
        """
        sc = self.scenario
        H = sc.horizon_years
        p = engine.compile_scenario(sc)
        b_lines = p.lever_risk[4] if p.risk_by_lever else float(p.benefit_adjustment)
        c_adj = float(p.cost_adjustment)
        years = list(range(H + 1))
        col = "customer_benefits" if adjusted else "customer_benefits_unadjusted"
        rows = [
            {"initiative": None, "kind": "benefit", "line": "Customer benefits", "risk": None}
            | dict(zip(years, self.cashflow[col].to_numpy().tolist(), strict=True))
        ]
        for kind, prefix, default, sign in (
            ("benefit_lines", "benefit_line", b_lines, -1.0),
            ("cost_lines", "cost_line", c_adj, 1.0),
        ):
            k = 0
            for i, ini in enumerate(sc.initiatives):
                if kind == "cost_lines":
                    capex_opex = p.costs[i] * ((1.0 + c_adj) if adjusted else 1.0)
                    rows.append(
                        {
                            "initiative": ini.name,
                            "kind": "cost",
                            "line": "Capex and opex",
                            "risk": c_adj,
                        }  # fmt: skip
                        | dict(zip(years, capex_opex.tolist(), strict=True))
                    )
                for line in getattr(ini, kind):
                    own = float(getattr(p, f"{prefix}_risk")[k])
                    risk = default if np.isnan(own) else own
                    amounts = getattr(p, kind)[k] * ((1.0 + sign * risk) if adjusted else 1.0)
                    rows.append(
                        {
                            "initiative": ini.name,
                            "kind": kind.split("_")[0],
                            "line": line.name,
                            "risk": float(risk),
                        }  # fmt: skip
                        | dict(zip(years, amounts.tolist(), strict=True))
                    )
                    k += 1
        import pandas as pd

        return pd.DataFrame(rows)

    @property
    def unquantified(self) -> dict[str, list[str]]:
        """Benefits named but not valued, by initiative (docs/model.md §11)."""
        return {i.name: list(i.unquantified) for i in self.scenario.initiatives if i.unquantified}

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Active customers at the end of each year (0 = today), baseline and with CX.

        Long table: ``year``, ``segment``, ``baseline``, ``with_cx`` [customers].
        """
        import pandas as pd

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
        import pandas as pd

        table = pd.DataFrame(rows, index=cols).T
        table["Total"] = [v.sum() for v in rows.values()]
        table["Present value"] = [(v * df).sum() for v in rows.values()]
        cumulative = list(cf["cumulative_net"].to_numpy()) + [np.nan, np.nan]
        table.loc["Cumulative net"] = cumulative
        table.columns.name = self.currency
        return table

    def to_json(self) -> dict[str, Any]:
        """The case as the JSON object of ``cxroi run --json`` (docs/model.md §8)."""
        out: dict[str, Any] = {k: self.kpis[k] for k in KPI_KEYS + EQUITY_KEYS}
        out["unadjusted"] = {k: self.unadjusted[k] for k in KPI_KEYS + EQUITY_KEYS}
        cf = self.cashflow_columns  # numpy, not the DataFrame: no pandas import for JSON
        out["cashflow"] = {
            "year": list(range(self.scenario.horizon_years + 1)),
            **{
                key: [_py(x) for x in cf[key]]
                for key in (
                    "benefits",
                    "costs",
                    "net",
                    "customer_benefits",
                    "line_benefits",
                    "line_costs",
                )
            },
        }
        out["by_lever"] = {k: _py(v) for k, v in self.by_lever.items()}
        out["by_initiative"] = (
            None
            if self.by_initiative is None
            else {k: _py(v) for k, v in self.by_initiative.items()}
        )
        out["by_initiative_standalone"] = {
            k: _py(v) for k, v in self.by_initiative_standalone.items()
        }
        out["by_initiative_last_in"] = {k: _py(v) for k, v in self.by_initiative_last_in.items()}
        seg = self.segment_columns
        out["segments"] = {
            name: {"clv_baseline": _py(base), "clv_with_cx": _py(cx)}
            for name, base, cx in zip(
                self.scenario.segment_names, seg["clv_baseline"], seg["clv_with_cx"], strict=True
            )
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
    I = len(sc.initiatives)
    lever_masks = coalition_masks(len(LEVERS))
    # the 16 lever coalitions with every initiative on, in one vectorised call
    every = engine.project(p, lever_masks, np.ones((1, I)))
    rows = [0, _FULL]  # baseline and with CX
    proj = engine.Projection(**{f.name: getattr(every, f.name)[rows] for f in fields(every)})
    result = _kpis(p, every if p.risk_by_lever else proj, True, True)
    adjusted, unadjusted = result["adjusted"], result["unadjusted"]
    parts = adjusted["parts"]
    contribution = every.contribution.sum(axis=-2)  # (16, H)
    net = adjusted["net"]
    df = adjusted["discount_factors"]
    cashflow = {
        "benefits": adjusted["benefits"],
        "costs": adjusted["costs"],
        "net": net,
        "cumulative_net": np.cumsum(net),
        "discount_factor": df,
        "discounted_net": net * df,
        "cumulative_discounted_net": np.cumsum(net * df),
        "benefits_unadjusted": unadjusted["benefits"],
        "costs_unadjusted": unadjusted["costs"],
        "customer_benefits": parts["customer_benefits"],
        "line_benefits": parts["line_benefits"],
        "capex_opex": parts["costs"],
        "line_costs": parts["line_costs"],
        "customer_benefits_unadjusted": parts["customer_benefits_unadjusted"],
        "line_benefits_unadjusted": parts["line_benefits_unadjusted"],
        "capex_opex_unadjusted": parts["costs_unadjusted"],
        "line_costs_unadjusted": parts["line_costs_unadjusted"],
    }
    clv_base = engine.customer_lifetime_value(p, np.zeros(4), np.zeros(I))
    clv_cx = engine.customer_lifetime_value(p, np.ones(4), np.ones(I))
    cac = np.asarray(p.acquisition_cost, dtype=float)
    seg_rows = every.contribution - every.contribution[0]  # (16, S, H)
    seg_cust = customer_benefits(p, seg_rows if p.risk_by_lever else seg_rows[[0, _FULL]])
    # per segment and year, each figure moved toward the worse case (docs/model.md §12)
    seg_pv = (seg_cust["adjusted"] * df[1:]).sum(axis=-1)
    safe_cac = np.where(cac > 0, cac, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_segment = {
            "clv_baseline": clv_base,
            "clv_with_cx": clv_cx,
            "acquisition_cost": cac,
            "clv_to_cac_baseline": np.where(cac > 0, clv_base / safe_cac, np.nan),
            "clv_to_cac_with_cx": np.where(cac > 0, clv_cx / safe_cac, np.nan),
            "annual_switching_loss": engine.annual_switching_loss(p),
            "pv_benefits": seg_pv,
            "extra_customers_end": proj.customers[1, :, -1] - proj.customers[0, :, -1],
        }
    by_lever = _lever_attribution(p, contribution, adjusted)
    masks = initiative_coalitions(I)
    init_levers = lever_masks if p.risk_by_lever else np.ones((1, 4))
    every_init = engine.project(p, init_levers[:, None, :], masks[None, :, :])
    by_initiative, standalone, last_in = _initiative_values(
        p, sc.initiative_names, contribution[0], every_init
    )
    equity = engine.customer_equity(p, proj)  # (2,): baseline, with CX
    ce_unadjusted = float(equity[1] - equity[0])
    b_retention = p.lever_risk[0] if p.risk_by_lever else p.benefit_adjustment
    ce = float(risk_adjust(ce_unadjusted, float(b_retention)))
    kpis = {k: _py(adjusted[k]) for k in KPI_KEYS}
    unadj = {k: _py(unadjusted[k]) for k in KPI_KEYS}
    for out, value in ((kpis, ce), (unadj, ce_unadjusted)):
        out["customer_equity"] = _py(value)
        out["npv_with_customer_equity"] = (
            None if out["customer_equity"] is None or out["npv"] is None
            else out["npv"] + out["customer_equity"]
        )  # fmt: skip
    return BusinessCase(
        scenario=sc,
        kpis=kpis,
        unadjusted=unadj,
        cashflow_columns=cashflow,
        by_lever=by_lever,
        by_initiative=by_initiative,
        segment_columns=by_segment,
        projection=proj,
        warnings=_overflow_warnings(adjusted)
        + _overflow_warnings(unadjusted, prefix="unadjusted."),
        by_initiative_standalone=standalone,
        by_initiative_last_in=last_in,
    )


def _lever_attribution(p: engine.Params, contribution: np.ndarray, adjusted) -> dict[str, float]:
    """Risk-adjusted PV of benefits by lever, plus ``lines`` (docs/model.md §12).

    With one benefit adjustment b: Shapley values over the levers of v(S) = PV of
    f(B_t(S), b), from the 16 lever coalitions' yearly contribution (16, H). With a by-lever
    adjustment: the PV of each lever's adjusted share of each year, f(phi_l,t, b_l). ``lines``
    is the PV of the adjusted benefit lines; the five sum to ``pv_benefits``.
    """
    df = adjusted["discount_factors"]
    parts = adjusted["parts"]
    if p.risk_by_lever:
        values = (parts["customer_by_lever"] * df[:, None]).sum(axis=0)
    else:
        benefit = contribution - contribution[0]
        pv = (risk_adjust(benefit, float(p.benefit_adjustment)) * df[1:]).sum(axis=-1)
        values = shapley_values(pv)
    out = dict(zip(LEVERS, values.tolist(), strict=True))
    out["lines"] = float((parts["line_benefits"] * df).sum())
    return out


def _lines(sc: Scenario, proj: engine.Projection) -> pd.DataFrame:
    """Yearly P&L lines per segment for baseline and with CX (for audit and reports)."""
    import pandas as pd

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
                        **{c: v for c, v in proj.yearly(k, s).items() if c != "active_end"},
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
