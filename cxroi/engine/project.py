"""Vectorised cohort projection: arrays in, arrays out.

The engine turns a validated :class:`~cxroi.model.scenario.Scenario` into :class:`Params`, a bundle
of
numpy arrays, and projects customers and contribution year by year (docs/model.md §3-§4).
Every array carries an arbitrary leading *batch* shape, so one call evaluates one case, the 16
lever coalitions of a Shapley attribution, or 100,000 Monte Carlo draws: the only Python loop
is over the years of the horizon.

Shapes (``...`` is the batch shape, ``S`` segments, ``I`` initiatives, ``H`` years):

=====================  ===================  ================================================
array                  shape                meaning
=====================  ===================  ================================================
``discount_rate``      ``...``              d [1/year]
``customers``          ``(..., S)``         N0, active customers today [customers]
``wallet`` ...         ``(..., S)``         per-segment fields of docs/model.md §2
``churn_prevented``    ``(..., I, S)``      effect fields of each initiative on each segment
``ramp``               ``(I, H)``           g, share of the full effect reached in year t
``costs``              ``(..., I, H+1)``    capex + opex of each initiative, years 0..H [money]
``levers``             ``(..., 4)``         which levers are on: retention, wallet, referral,
                                            service (0 or 1)
``active``             ``(..., I)``         which initiatives are on (0 or 1)
``benefit_lines``      ``(..., L, H+1)``    each benefit line's amount, years 0..H [money]
``benefit_line_risk``  ``(..., L)``         its own risk, NaN where the default applies
``cost_lines``         ``(..., M, H+1)``    each cost line's amount, years 0..H [money]
``lever_risk``         ``(..., 5)``         by-lever benefit adjustment: retention, wallet,
                                            referral, service, lines (when ``risk_by_lever``)
``tenure_offsets``     ``(S, K)``           renewals of each part of today's customers, added
                                            to ``tenure`` (a tenure mix; K = 1 otherwise)
``tenure_shares``      ``(S, K)``           share of today's customers in each part
=====================  ===================  ================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from cxroi.model.scenario import (
    EFFECT_FIELDS,
    LEVERS,
    SEGMENT_NUMBERS,
    Scenario,
    ScenarioError,
    ScenarioIssue,
    base_value,
)

__all__ = ["Params", "Projection", "compile_scenario", "project", "LEVERS"]

SEGMENT_FIELDS = SEGMENT_NUMBERS


@dataclass(frozen=True)
class Params:
    """Numeric parameters of a scenario as arrays (see the module docstring for shapes)."""

    horizon_years: int
    discount_rate: np.ndarray
    benefit_adjustment: np.ndarray
    cost_adjustment: np.ndarray
    customers: np.ndarray
    wallet: np.ndarray
    share_of_wallet: np.ndarray
    gross_margin: np.ndarray
    acquisition_cost: np.ndarray
    cost_to_serve: np.ndarray
    poor_cx_churn_share: np.ndarray
    preventable_share: np.ndarray
    referral_share: np.ndarray
    retention: np.ndarray  # constant rate, NaN for sBG segments
    alpha: np.ndarray  # sBG, NaN for constant segments
    beta: np.ndarray
    tenure: np.ndarray
    new_customers_per_year: np.ndarray  # NaN = default N0 x (1 - r at base tenure)
    churn_prevented: np.ndarray
    share_of_wallet_lift: np.ndarray
    referral_lift: np.ndarray
    cost_to_serve_change: np.ndarray
    costs: np.ndarray
    ramp: np.ndarray
    is_sbg: np.ndarray  # (S,) bool
    replace_churn: np.ndarray  # (S,) bool: acquisition "replace"
    benefit_lines: np.ndarray = None  # type: ignore[assignment]
    benefit_line_risk: np.ndarray = None  # type: ignore[assignment]
    benefit_line_owner: np.ndarray = None  # type: ignore[assignment]  # (L,) initiative index
    cost_lines: np.ndarray = None  # type: ignore[assignment]
    cost_line_risk: np.ndarray = None  # type: ignore[assignment]
    cost_line_owner: np.ndarray = None  # type: ignore[assignment]
    lever_risk: np.ndarray = None  # type: ignore[assignment]
    risk_by_lever: bool = False
    tenure_offsets: np.ndarray = None  # type: ignore[assignment]
    tenure_shares: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # parameters built by hand (tests, older callers) get no lines and one tenure part
        H = self.horizon_years
        S = self.is_sbg.shape[0]
        empty = {
            "benefit_lines": np.zeros((0, H + 1)),
            "benefit_line_risk": np.zeros(0),
            "benefit_line_owner": np.zeros(0, dtype=int),
            "cost_lines": np.zeros((0, H + 1)),
            "cost_line_risk": np.zeros(0),
            "cost_line_owner": np.zeros(0, dtype=int),
            "lever_risk": np.zeros(5),
            "tenure_offsets": np.zeros((S, 1)),
            "tenure_shares": np.ones((S, 1)),
        }
        for name, value in empty.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast batch shape of all parameter arrays."""
        return np.broadcast_shapes(
            self.discount_rate.shape,
            self.benefit_adjustment.shape,
            self.cost_adjustment.shape,
            self.customers.shape[:-1],
            self.churn_prevented.shape[:-2],
            self.costs.shape[:-2],
            *(getattr(self, f).shape[:-1] for f in SEGMENT_FIELDS),
            self.retention.shape[:-1],
            self.alpha.shape[:-1],
            self.beta.shape[:-1],
            self.tenure.shape[:-1],
            self.new_customers_per_year.shape[:-1],
            self.share_of_wallet_lift.shape[:-2],
            self.referral_lift.shape[:-2],
            self.cost_to_serve_change.shape[:-2],
            self.benefit_lines.shape[:-2],
            self.benefit_line_risk.shape[:-1],
            self.cost_lines.shape[:-2],
            self.cost_line_risk.shape[:-1],
            self.lever_risk.shape[:-1],
        )

    def take(self, index: Any) -> Params:
        """Select along the (one-dimensional) batch axis, for chunked evaluation."""
        core = {
            "discount_rate": 0,
            "benefit_adjustment": 0,
            "cost_adjustment": 0,
            "churn_prevented": 2,
            "share_of_wallet_lift": 2,
            "referral_lift": 2,
            "cost_to_serve_change": 2,
            "costs": 2,
            "benefit_lines": 2,
            "cost_lines": 2,
        }
        static = (
            "horizon_years", "ramp", "is_sbg", "replace_churn", "risk_by_lever",
            "benefit_line_owner", "cost_line_owner", "tenure_offsets", "tenure_shares",
        )  # fmt: skip
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in static:
                continue
            ncore = core.get(f.name, 1)
            if value.ndim > ncore:
                changes[f.name] = value[index]
        return replace(self, **changes)


def _path_value(overrides: Mapping[str, Any], used: set[str]) -> Callable[[str, Any], Any]:
    def value(path: str, base: Any) -> Any:
        used.add(path)
        if path in overrides:
            return np.asarray(overrides[path], dtype=float)
        return base_value(base)

    return value


def _stack(items: list[Any], axis: int = -1) -> np.ndarray:
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in items])
    return np.stack(arrays, axis=axis)


def compile_scenario(scenario: Scenario, overrides: Mapping[str, Any] | None = None) -> Params:
    """Turn a scenario into arrays, optionally overriding fields by path.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario. Fields given as distributions take their base value.
    overrides : mapping of str to array_like, optional
        Values that replace fields, keyed by field path (``segments[Affluent].wallet``). Each
        value may be a scalar or a 1-D array of variants; all arrays broadcast together and form
        the batch axis of the result. Overrides are trusted: clip them to the field's range
        before passing them.

    Returns
    -------
    Params

    Raises
    ------
    ScenarioError
        If an override names no field of the scenario.
    """
    overrides = dict(overrides or {})
    used: set[str] = set()
    value = _path_value(overrides, used)
    S, H = len(scenario.segments), scenario.horizon_years

    seg_cols: dict[str, list[Any]] = {f: [] for f in SEGMENT_FIELDS}
    ret, alpha, beta, tenure, npy, mixes = [], [], [], [], [], []
    for seg in scenario.segments:
        base = f"segments[{seg.name}]"
        for f in SEGMENT_FIELDS:
            seg_cols[f].append(value(f"{base}.{f}", getattr(seg, f)))
        if seg.is_sbg:
            r = seg.retention
            ret.append(np.nan)
            alpha.append(value(f"{base}.retention.alpha", r.alpha))
            beta.append(value(f"{base}.retention.beta", r.beta))
            if isinstance(r.tenure, dict):  # a mix: offsets from zero renewals
                tenure.append(0.0)
                mixes.append(sorted(r.tenure.items()))
            else:
                tenure.append(value(f"{base}.retention.tenure", r.tenure))
                mixes.append([(0, 1.0)])
        else:
            ret.append(value(f"{base}.retention", seg.retention))
            alpha.append(np.nan)
            beta.append(np.nan)
            tenure.append(0.0)
            mixes.append([(0, 1.0)])
        given = seg.new_customers_per_year
        npy.append(value(f"{base}.new_customers_per_year", np.nan if given is None else given))

    effects: dict[str, list[list[Any]]] = {f: [] for f in EFFECT_FIELDS}
    capex_rows, opex_rows, ramps = [], [], []
    for ini in scenario.initiatives:
        base = f"initiatives[{ini.name}]"
        star = ini.effects.get("*")
        for f in EFFECT_FIELDS:
            row = []
            for seg in scenario.segments:
                own = ini.effects.get(seg.name)
                star_given = star is not None and f in star.model_fields_set
                star_value = getattr(star, f) if star_given else 0.0
                star_value = value(f"{base}.effects[*].{f}", star_value)
                if own is not None and f in own.model_fields_set:
                    row.append(value(f"{base}.effects[{seg.name}].{f}", getattr(own, f)))
                else:
                    row.append(value(f"{base}.effects[{seg.name}].{f}", star_value))
            effects[f].append(row)
        if isinstance(ini.capex, dict):
            capex_rows.append([ini.capex.get(t, 0.0) for t in range(H + 1)])
        else:
            capex_rows.append([value(f"{base}.capex", ini.capex)] + [0.0] * H)
        if isinstance(ini.opex, list) and f"{base}.opex" not in overrides:
            held = ini.opex + [ini.opex[-1]] * H
            opex_rows.append([0.0] + held[:H])
        else:
            yearly = value(f"{base}.opex", ini.opex if not isinstance(ini.opex, list) else 0.0)
            opex_rows.append([0.0] + [yearly] * H)
        held = ini.ramp + [ini.ramp[-1]] * H
        ramps.append(held[:H])

    lines = _compile_lines(scenario, value, overrides)

    risk = scenario.risk
    discount_rate = np.asarray(value("discount_rate", scenario.discount_rate), dtype=float)
    if risk.by_lever:
        given = risk.benefit_adjustment
        default = value(
            "risk.benefit_adjustment.default", given.default if given.default is not None else 0.0
        )
        entries = []
        for key in LEVERS + ("lines",):
            own = getattr(given, key)
            entries.append(value(f"risk.benefit_adjustment.{key}", default if own is None else own))
        lever_risk = _stack(entries)
        benefit_adjustment = np.asarray(np.nan)
    else:
        lever_risk = np.zeros(5)
        benefit_adjustment = np.asarray(
            value("risk.benefit_adjustment", risk.benefit_adjustment), dtype=float
        )
    cost_adjustment = np.asarray(value("risk.cost_adjustment", risk.cost_adjustment), dtype=float)
    # every override array forms the batch axis, even one that every segment shadows
    batch = np.broadcast_shapes(*(np.shape(v) for v in overrides.values()))
    discount_rate = np.broadcast_to(discount_rate, np.broadcast_shapes(discount_rate.shape, batch))
    unknown = sorted(set(overrides) - used)
    if unknown:
        raise ScenarioError(
            [ScenarioIssue(p, "names no numeric field of this scenario") for p in unknown]
        )

    capex = _stack([_stack(r) for r in capex_rows], axis=-2)
    opex = _stack([_stack(r) for r in opex_rows], axis=-2)
    K = max(len(mix) for mix in mixes)
    offsets = np.zeros((S, K))
    shares = np.zeros((S, K))
    for s_, mix in enumerate(mixes):
        for k_, (renewals, share) in enumerate(mix):
            offsets[s_, k_], shares[s_, k_] = renewals, share
    return Params(
        horizon_years=H,
        discount_rate=discount_rate,
        benefit_adjustment=benefit_adjustment,
        cost_adjustment=cost_adjustment,
        **{f: _stack(seg_cols[f]) for f in SEGMENT_FIELDS},
        retention=_stack(ret),
        alpha=_stack(alpha),
        beta=_stack(beta),
        tenure=_stack(tenure),
        new_customers_per_year=_stack(npy),
        **{f: _stack([_stack(row) for row in effects[f]], axis=-2) for f in EFFECT_FIELDS},
        costs=capex + opex,
        ramp=np.asarray(ramps, dtype=float).reshape(len(scenario.initiatives), H),
        is_sbg=np.array([s.is_sbg for s in scenario.segments], dtype=bool).reshape(S),
        replace_churn=np.array([s.acquisition == "replace" for s in scenario.segments]).reshape(S),
        lever_risk=lever_risk,
        risk_by_lever=risk.by_lever,
        tenure_offsets=offsets,
        tenure_shares=shares,
        **lines,
    )


def _line_row(amount: Any, path: str, value: Callable, overrides: Mapping, H: int) -> list[Any]:
    """One line's amounts for years 0..H (docs/model.md §11)."""
    if isinstance(amount, dict) and path not in overrides:
        return [amount.get(t, 0.0) for t in range(H + 1)]
    if isinstance(amount, list) and path not in overrides:
        held = amount + [amount[-1]] * H
        return [0.0] + held[:H]
    yearly = value(path, amount if not isinstance(amount, (list, dict)) else 0.0)
    return [0.0] + [yearly] * H


def _compile_lines(scenario: Scenario, value: Callable, overrides: Mapping) -> dict[str, Any]:
    """Benefit and cost lines as arrays: amounts (..., L, H+1), risks (..., L), owners (L,)."""
    H = scenario.horizon_years
    out: dict[str, Any] = {}
    for kind, prefix in (("benefit_lines", "benefit_line"), ("cost_lines", "cost_line")):
        rows, risks, owners = [], [], []
        for i, ini in enumerate(scenario.initiatives):
            for line in getattr(ini, kind):
                path = f"initiatives[{ini.name}].{kind}[{line.name}]"
                rows.append(_stack(_line_row(line.amount, f"{path}.amount", value, overrides, H)))
                risks.append(value(f"{path}.risk", np.nan if line.risk is None else line.risk))
                owners.append(i)
        if rows:
            out[kind] = _stack(rows, axis=-2)
            out[f"{prefix}_risk"] = _stack(risks)
        else:
            out[kind] = np.zeros((0, H + 1))
            out[f"{prefix}_risk"] = np.zeros(0)
        out[f"{prefix}_owner"] = np.asarray(owners, dtype=int)
    return out


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project` (batch shape ``...``).

    Attributes
    ----------
    contribution : ndarray, shape (..., S, H)
        Gross margin - service cost - acquisition cost, years 1..H [money].
    customers : ndarray, shape (..., S, H+1)
        Active customers at the end of each year, 0..H, counting that year's new cohort
        (index 0 is today's N0) [customers].
    revenue, service, acquisition, new_customers : ndarray, shape (..., S, H)
        The parts of the contribution, and customers won each year.
    end_base : ndarray, shape (..., S, K)
        Today's customers still active after year H, per part of the tenure mix.
    end_cohorts : ndarray, shape (..., S, H)
        Customers won in year j + 1 (index j) still active after year H.
    """

    contribution: np.ndarray
    customers: np.ndarray
    revenue: np.ndarray
    gross_margin: np.ndarray
    service: np.ndarray
    acquisition: np.ndarray
    new_customers: np.ndarray
    end_base: np.ndarray = None  # type: ignore[assignment]
    end_cohorts: np.ndarray = None  # type: ignore[assignment]

    def yearly(self, k: int, s: int) -> dict[str, np.ndarray]:
        """The yearly lines of projection ``k`` (0 baseline, 1 with CX) of segment ``s``.

        Returns
        -------
        dict of str to ndarray, each shape (H,)
            ``active_start`` (customers at the start of each year), ``revenue``,
            ``gross_margin``, ``service_cost`` [money], ``new_customers``,
            ``acquisition_cost``, ``contribution`` [money] and ``active_end`` (customers at the
            end of each year), years 1..H, in that order.
        """
        return {
            "active_start": self.customers[k, s, :-1],
            "revenue": self.revenue[k, s],
            "gross_margin": self.gross_margin[k, s],
            "service_cost": self.service[k, s],
            "new_customers": self.new_customers[k, s],
            "acquisition_cost": self.acquisition[k, s],
            "contribution": self.contribution[k, s],
            "active_end": self.customers[k, s, 1:],
        }


def sbg_or_constant_retention(p: Params, renewals: np.ndarray) -> np.ndarray:
    r"""Retention after ``renewals`` renewals, per segment.

    .. math:: r(k) = \frac{\beta + k}{\alpha + \beta + k}

    for sBG segments (Fader & Hardie 2007, eq. 4 with :math:`t = k + 1`), and the constant rate
    otherwise. ``renewals`` broadcasts against ``(..., S, 1)``.
    """
    a = p.alpha[..., None]
    b = p.beta[..., None]
    k = renewals
    sbg = (b + k) / (a + b + k)
    return np.where(p.is_sbg[:, None], sbg, p.retention[..., None])


def _retention_of_parts(p: Params, renewals: np.ndarray) -> np.ndarray:
    """Retention per segment and tenure part: ``renewals`` broadcasts against (..., S, K, T)."""
    a = p.alpha[..., None, None]
    b = p.beta[..., None, None]
    sbg = (b + renewals) / (a + b + renewals)
    return np.where(p.is_sbg[:, None, None], sbg, p.retention[..., None, None])


def base_renewals(p: Params) -> np.ndarray:
    """Renewals made by each part of today's customers, shape (..., S, K)."""
    return p.tenure[..., None] + p.tenure_offsets


def levers_in_force(p: Params, levers: np.ndarray, active: np.ndarray, full: bool = False):
    r"""The four levers per segment and year (docs/model.md §3).

    .. math::

        \text{prevented}_t &= 1 - \prod_i (1 - c_i g_{i,t}) \\
        m_t &= 1 - \text{poor} \cdot \text{preventable} \cdot \text{prevented}_t \\
        \text{sow}_t &= \min(1, \text{sow} \prod_i (1 + l_i g_{i,t})) \\
        \text{ref}_t &= \text{clip}(\text{ref} + \sum_i \rho_i g_{i,t}, 0, 1) \\
        \text{cts}_t &= \max(0, \text{cts} \prod_i (1 + \kappa_i g_{i,t}))

    where :math:`g_{i,t}` is the ramp of initiative *i*, times 1 if the initiative and the lever
    are on and 0 otherwise.

    Parameters
    ----------
    p : Params
    levers : ndarray, shape (..., 4)
        Retention, wallet, referral, service switches.
    active : ndarray, shape (..., I)
        Initiative switches.
    full : bool
        Use full effect (ramp 1) in a single period instead of the yearly ramp (for CLV).

    Returns
    -------
    m, sow, ref, cts : ndarray, shape (..., S, H) (or (..., S, 1) when ``full``)
    """
    ramp = np.ones((p.ramp.shape[0], 1)) if full else p.ramp  # (I, T)
    g = active[..., :, None] * ramp  # (..., I, T)

    def on(k: int) -> np.ndarray:  # (..., I, 1, T): ramp where lever k is on
        return (g * levers[..., k, None, None])[..., :, None, :]

    prevented = 1.0 - np.prod(1.0 - p.churn_prevented[..., None] * on(0), axis=-3)
    m = 1.0 - (p.poor_cx_churn_share * p.preventable_share)[..., None] * prevented
    sow = np.minimum(
        1.0,
        p.share_of_wallet[..., None]
        * np.prod(1.0 + p.share_of_wallet_lift[..., None] * on(1), axis=-3),
    )
    ref = np.clip(
        p.referral_share[..., None] + np.sum(p.referral_lift[..., None] * on(2), axis=-3), 0.0, 1.0
    )
    cts = np.maximum(
        0.0,
        p.cost_to_serve[..., None]
        * np.prod(1.0 + p.cost_to_serve_change[..., None] * on(3), axis=-3),
    )
    return m, sow, ref, cts


def project(p: Params, levers: np.ndarray, active: np.ndarray) -> Projection:
    """Project every segment's cohorts over the horizon (docs/model.md §4).

    Cohort 0 holds today's N0 customers with ``tenure`` renewals made; the customers won in year
    t form a new cohort, active from year t+1, with no renewals made. Revenue and service cost
    use the customers active at the start of the year; churn happens at the end of the year:
    ``churned = A x (1 - r(k)) x m_t``.

    Parameters
    ----------
    p : Params
        Scenario parameters (any batch shape).
    levers : array_like, shape (..., 4)
        Lever switches (retention, wallet, referral, service); all zero is the baseline.
    active : array_like, shape (..., I)
        Initiative switches.

    Returns
    -------
    Projection
    """
    levers = np.asarray(levers, dtype=float)
    active = np.asarray(active, dtype=float)
    H = p.horizon_years
    m, sow, ref, cts = levers_in_force(p, levers, active)
    S = p.is_sbg.shape[0]
    batch = np.broadcast_shapes(levers.shape[:-1], active.shape[:-1], p.batch_shape) + (S,)
    years = np.arange(H, dtype=float)
    # cohort 0, one part per tenure of the mix: (..., S, K, H); without a mix (K = 1) the
    # part axis is dropped, which keeps Monte Carlo draws as fast as before
    shares = p.tenure_shares
    single = shares.shape[-1] == 1
    r_base = _retention_of_parts(p, base_renewals(p)[..., None] + years)
    r_new = sbg_or_constant_retention(p, years)  # (..., S, H): by renewals made, 0..H-1
    churn_new = 1.0 - r_new
    default_new = p.customers * (1.0 - base_retention(p))
    fixed_new = np.where(np.isnan(p.new_customers_per_year), default_new, p.new_customers_per_year)

    if single:
        r_base = r_base[..., 0, :]
        base = np.broadcast_to(p.customers, batch).astype(float)
    else:
        base = np.broadcast_to(p.customers[..., None] * shares, batch + shares.shape[-1:])
        base = base.astype(float)

    def total(x: np.ndarray) -> np.ndarray:
        return x if single else x.sum(axis=-1)

    cohorts = np.zeros(batch + (H,))  # cohorts won in years 1..H
    out = {k: np.zeros(batch + (H,)) for k in ("revenue", "service", "acquisition", "new")}
    customers = np.zeros(batch + (H + 1,))
    wallet = p.wallet
    customers[..., 0] = total(base)
    for t in range(H):  # year t+1
        active_now = total(base) + cohorts[..., :t].sum(axis=-1)
        out["revenue"][..., t] = active_now * wallet * sow[..., t]
        out["service"][..., t] = active_now * cts[..., t]
        mt = m[..., t]
        lost_base = base * (1.0 - r_base[..., t]) * (mt if single else mt[..., None])
        base = base - lost_base
        lost = total(lost_base)
        if t:
            # cohort j (won in year j+1) has made t-1-j renewals at the end of year t+1
            lost_new = cohorts[..., :t] * churn_new[..., t - 1 :: -1] * mt[..., None]
            cohorts[..., :t] -= lost_new
            lost = lost + lost_new.sum(axis=-1)
        new = np.where(p.replace_churn, lost, fixed_new)
        cohorts[..., t] = new
        out["new"][..., t] = new
        out["acquisition"][..., t] = new * p.acquisition_cost * (1.0 - ref[..., t])
        customers[..., t + 1] = total(base) + cohorts[..., : t + 1].sum(axis=-1)
    if single:
        base = base[..., None]
    gross = out["revenue"] * p.gross_margin[..., None]
    contribution = gross - out["service"] - out["acquisition"]
    return Projection(
        contribution=contribution,
        customers=customers,
        revenue=out["revenue"],
        gross_margin=gross,
        service=out["service"],
        acquisition=out["acquisition"],
        new_customers=out["new"],
        end_base=base,
        end_cohorts=cohorts,
    )


def base_retention(p: Params) -> np.ndarray:
    r"""Retention of today's customers at their base tenure, per segment, shape (..., S).

    With a tenure mix (docs/model.md §14) it is the share-weighted retention
    :math:`\sum_k s_k\, r(k)`, so that one minus it is the mix's churn.
    """
    r = _retention_of_parts(p, base_renewals(p)[..., None])[..., 0]  # (..., S, K)
    return np.sum(r * p.tenure_shares, axis=-1)


def residual_value(p: Params, renewals: np.ndarray) -> np.ndarray:
    r"""Value after the horizon of one customer still active then (docs/model.md §13).

    With the programme stopped (baseline levers, no churn multiplier, no acquisition), a
    customer with :math:`k` renewals made after year H is worth

    .. math::

        RV = \frac{M}{(1+d)^{H+1}} \sum_{j \ge 0} \frac{P(j)}{(1+d)^j},\quad
        P(j+1) = P(j)\, r(k + j),

    with :math:`M = W \cdot \text{sow} \cdot \text{gm} - \text{cts}`. Constant retention
    sums to :math:`M / ((1+d)^H (1 + d - r))`; sBG to
    :math:`M (1+d)^{-(H+1)}\, {}_2F_1(1, \beta + k; \alpha + \beta + k; 1/(1+d))`
    (Fader & Hardie 2010, eq. 3 with :math:`\beta + k` for :math:`\beta`).

    Parameters
    ----------
    p : Params
    renewals : ndarray, shape (..., S, X)
        Renewals made by each cohort after year H.

    Returns
    -------
    ndarray, shape (..., S, X) [money per customer]; NaN where the series diverges
    (constant r >= 1 + d; sBG with d < 0, or d = 0 and alpha <= 1).
    """
    from cxroi.engine.retention import discounted_expected_lifetime

    H = p.horizon_years
    margin = p.wallet * p.share_of_wallet * p.gross_margin - p.cost_to_serve  # (..., S)
    d = np.asarray(p.discount_rate, dtype=float)[..., None]  # (..., 1)
    renewals = np.asarray(renewals, dtype=float)
    shape = np.broadcast_shapes(renewals.shape, margin.shape + (1,), d.shape + (1,),
                                p.alpha.shape + (1,), p.retention.shape + (1,))  # fmt: skip
    k = np.broadcast_to(renewals, shape)
    dd = np.broadcast_to(d[..., None], shape)
    alpha = np.broadcast_to(p.alpha[..., None], shape)
    beta = np.broadcast_to(p.beta[..., None], shape)
    r = np.broadcast_to(p.retention[..., None], shape)
    is_sbg = np.broadcast_to(p.is_sbg[:, None], shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lifetime = np.where(r < 1.0 + dd, (1.0 + dd) / (1.0 + dd - r), np.nan)  # sum over j
        converges = is_sbg & ((dd > 0.0) | ((dd == 0.0) & (alpha > 1.0)))
        lifetime = np.where(is_sbg, np.nan, lifetime)
        if converges.any():
            lifetime = lifetime.copy()
            lifetime[converges] = discounted_expected_lifetime(
                alpha[converges], beta[converges] + k[converges], dd[converges]
            )
        value = np.broadcast_to(margin[..., None], shape) * lifetime / (1.0 + dd) ** (H + 1)
    return value


def customer_equity(p: Params, proj: Projection) -> np.ndarray:
    """Residual value of every customer active after year H, per arm (docs/model.md §13).

    Parameters
    ----------
    p : Params
    proj : Projection
        Any leading axes (baseline / with CX first, say) ahead of the parameters' batch.

    Returns
    -------
    ndarray, shape of the projection's batch (segments summed) [money]; NaN where a
    segment's series diverges.
    """
    H = p.horizon_years
    k_base = base_renewals(p) + H  # (..., S, K)
    k_new = np.arange(H - 1, -1, -1, dtype=float)  # cohort won in year j+1: H-1-j renewals
    rv_base = residual_value(p, k_base)
    rv_new = residual_value(p, np.broadcast_to(k_new, p.is_sbg.shape + (H,)))
    with np.errstate(invalid="ignore"):
        total = (proj.end_base * rv_base).sum(axis=-1) + (proj.end_cohorts * rv_new).sum(axis=-1)
    return total.sum(axis=-1)


def annual_switching_loss(p: Params) -> np.ndarray:
    r"""Revenue walking away each year to preventable poor CX, per segment (docs/model.md §5).

    .. math:: N_0 (1 - r) \cdot \text{poor} \cdot \text{preventable} \cdot W \cdot \text{sow}

    Returns
    -------
    ndarray, shape (..., S) [money/year]
    """
    return (
        p.customers
        * (1.0 - base_retention(p))
        * p.poor_cx_churn_share
        * p.preventable_share
        * p.wallet
        * p.share_of_wallet
    )


def customer_lifetime_value(p: Params, levers: np.ndarray, active: np.ndarray) -> np.ndarray:
    r"""Value of one new customer per segment (docs/model.md §6), margins at start of year.

    With margin :math:`M = W \cdot \text{sow} \cdot \text{gm} - \text{cts}` at full effect and
    churn multiplier *m*,

    .. math::

        \text{CLV} = \sum_{t \ge 0} \frac{M\, S(t)}{(1+d)^t},\quad
        S(t+1) = S(t)\,\bigl(1 - (1 - r(t))\, m\bigr).

    Constant retention gives :math:`M (1+d) / (1 + d - q)` with :math:`q = 1 - (1-r)m`
    (for m = 1 the Gupta-Lehmann form). For sBG, :math:`1 - (1 - r(t))m =
    (\beta' + t)/(\alpha + \beta + t)` with :math:`\beta' = \beta + (1 - m)\alpha`, so
    :math:`S(t) = (\beta')_t / (\alpha+\beta)_t` and the sum is
    :math:`M\,{}_2F_1(1, \beta'; \alpha+\beta; 1/(1+d))`, Fader & Hardie's (2010) DEL with
    :math:`\beta'` for :math:`\beta`.

    The sBG series is summed by :func:`cxroi.engine.retention.discounted_expected_lifetime` with
    :math:`\alpha' = m\alpha`, which stays accurate for large shape parameters.

    Returns
    -------
    ndarray, shape (..., S) [money per customer]; ``inf`` where the sum diverges.
    """
    from cxroi.engine.retention import discounted_expected_lifetime

    levers = np.asarray(levers, dtype=float)
    active = np.asarray(active, dtype=float)
    m, sow, _, cts = levers_in_force(p, levers, active, full=True)
    m, sow, cts = m[..., 0], sow[..., 0], cts[..., 0]
    margin = p.wallet * sow * p.gross_margin - cts
    d = np.asarray(p.discount_rate)[..., None]
    shape = np.broadcast_shapes(margin.shape, m.shape, d.shape, p.alpha.shape, p.retention.shape)
    m, d, margin = (np.broadcast_to(x, shape) for x in (m, d, margin))
    is_sbg = np.broadcast_to(p.is_sbg, shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # constant retention: geometric series of q / (1 + d)
        q = 1.0 - (1.0 - np.broadcast_to(p.retention, shape)) * m
        lifetime = np.where(q < 1.0 + d, (1.0 + d) / (1.0 + d - q), np.inf)
        # sBG: S(t) = (beta')_t / (alpha + beta)_t is an sBG survival with alpha' = m alpha
        alpha = np.broadcast_to(p.alpha, shape) * m
        beta = np.broadcast_to(p.beta, shape) + (1.0 - m) * np.broadcast_to(p.alpha, shape)
        no_churn = is_sbg & (alpha <= 0.0)  # every churn prevented: S(t) = 1
        lifetime = np.where(no_churn, np.where(d > 0, (1.0 + d) / d, np.inf), lifetime)
        series = is_sbg & ~no_churn & (d >= 0.0)
        lifetime = np.where(is_sbg & ~no_churn & (d < 0.0), np.inf, lifetime)
    if series.any():
        lifetime = lifetime.copy()
        lifetime[series] = discounted_expected_lifetime(alpha[series], beta[series], d[series])
    # a zero margin is worth zero however long it lasts
    return np.where(margin == 0.0, 0.0, margin * lifetime)
