"""What-if analysis: sweeps (data tables) and goal seek (docs/model.md §15).

- :func:`sweep` evaluates every combination of the values given for one or more field paths,
  the other fields at base, in one vectorised engine call per 20,000 points: the grid is the
  engine's batch axis. Each point is exactly the case ``cxroi run`` reports for the scenario
  with those values written in.
- :func:`goal_seek` finds the value of one field, the others at base, at which a KPI equals a
  target, searched inside the field's range like a switching value (docs/model.md §7); the
  break-even of :func:`cxroi.switching_value` is goal seek of ``npv`` to 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxroi.model.finite import finite_or_none
from cxroi.model.issues import ScenarioError, ScenarioIssue
from cxroi.model.scenario import Scenario, field_rule, load_scenario

__all__ = ["MAX_SWEEP_POINTS", "goal_seek", "kpi_names", "parse_values", "sweep"]

#: Most grid points one sweep evaluates (a 1000 x 1000 table).
MAX_SWEEP_POINTS = 1_000_000
#: Points evaluated per engine call (bounds memory whatever the grid size).
SWEEP_CHUNK = 20_000
#: Most values ``lo:hi:n`` may ask for on one path.
MAX_VALUES_PER_PATH = 100_000


def kpi_names() -> tuple[str, ...]:
    """KPIs a sweep reports and goal seek can aim at (risk-adjusted, as ``cxroi run``).

    The KPIs of docs/model.md §5, then customer equity (§13) where the engine computes it.
    """
    from cxroi.engine import case

    return tuple(case.KPI_KEYS) + tuple(getattr(case, "EQUITY_KEYS", ()))


def _customer_equity(p: Any, result: dict, adjusted: dict) -> None:
    """Add customer equity and NPV with it, as :func:`cxroi.evaluate` computes them (§13).

    The projection's first axis holds the lever rows of the case: the baseline first and the
    full case with CX last. The equity is risk-adjusted with the retention adjustment.
    """
    from cxroi.engine import project as engine
    from cxroi.engine.case import risk_adjust

    equity_of = getattr(engine, "customer_equity", None)
    if equity_of is None:
        return
    equity = equity_of(p, result["projection"])
    b = p.lever_risk[..., 0] if getattr(p, "risk_by_lever", False) else p.benefit_adjustment
    with np.errstate(invalid="ignore"):
        adjusted["customer_equity"] = risk_adjust(equity[-1] - equity[0], b)
        adjusted["npv_with_customer_equity"] = adjusted["npv"] + adjusted["customer_equity"]


def _kpis(
    sc: Scenario, overrides: Mapping[str, Any], with_irr: bool = True, with_equity: bool = True
) -> dict:
    """Risk-adjusted KPIs of the scenario with fields overridden (arrays broadcast).

    Customer equity (an sBG series per cohort and point) is the costliest KPI of a large grid;
    ``with_equity=False`` leaves it out.
    """
    from cxroi.engine.case import case_kpis
    from cxroi.engine.project import compile_scenario

    p = compile_scenario(sc, overrides)
    result = case_kpis(p, with_irr=with_irr, with_unadjusted=False)
    adjusted = dict(result["adjusted"])
    if with_equity:
        _customer_equity(p, result, adjusted)
    return {k: adjusted[k] for k in kpi_names() if k in adjusted}


def _check_value(path: str, value: Any) -> float:
    rule = field_rule(path)
    if isinstance(value, bool):
        raise ScenarioError(ScenarioIssue(path, "must be a number", value))
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(ScenarioIssue(path, "must be a number", value)) from None
    if not rule.holds(x):
        raise ScenarioError(ScenarioIssue(path, f"sweep value {rule}", value))
    return x


def parse_values(path: str, text: str) -> list[float]:
    """The values of one ``--set PATH=...`` argument: ``V1,V2,...`` or ``lo:hi:n``.

    ``lo:hi:n`` gives n evenly spaced values, both ends included (n >= 1; n = 1 gives lo).

    Examples
    --------
    >>> parse_values("discount_rate", "0.08:0.12:3")
    [0.08, 0.1, 0.12]
    >>> parse_values("discount_rate", "0.1, 0.2")
    [0.1, 0.2]
    """
    text = text.strip()
    shown = text if len(text) <= 60 else text[:57] + "..."
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ScenarioError(ScenarioIssue(path, "a range must be written lo:hi:n", shown))
        try:
            lo, hi = float(parts[0]), float(parts[1])
            n = int(parts[2])
        except ValueError:
            raise ScenarioError(
                ScenarioIssue(path, "a range lo:hi:n needs two numbers and a whole count", shown)
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ScenarioError(ScenarioIssue(path, "range ends must be finite numbers", shown))
        if not 1 <= n <= MAX_VALUES_PER_PATH:
            raise ScenarioError(
                ScenarioIssue(path, f"a range's count n must be in [1, {MAX_VALUES_PER_PATH}]", n)
            )
        values = [lo] if n == 1 else np.linspace(lo, hi, n).tolist()
    else:
        values = []
        for item in text.split(","):
            item = item.strip()
            try:
                values.append(float(item))
            except ValueError:
                raise ScenarioError(ScenarioIssue(path, "must be a number", item[:60])) from None
        if not values:
            raise ScenarioError(ScenarioIssue(path, "needs at least one value", shown))
    return [_check_value(path, v) for v in values]


def sweep(
    scenario: Scenario | Any, values: Mapping[str, Sequence[float]], equity: bool = True
) -> pd.DataFrame:
    """Every KPI on the full grid of the values given for one or more fields.

    Parameters
    ----------
    scenario : Scenario, mapping or path
    values : mapping of str to sequence of float
        Field path -> the values it takes. The other fields keep their base values; a field
        given as a distribution takes each value in turn.
    equity : bool
        Include customer equity and NPV with it (default); False skips their series, the
        costliest part of a large grid.

    Returns
    -------
    DataFrame
        One row per grid point (the last path varies fastest): a column per path, then a
        column per KPI (``npv``, ``pv_benefits``, ``pv_costs``, ``roi``, ``irr``, ...; NaN
        where undefined).

    Raises
    ------
    ScenarioError
        Naming the path: not a numeric field of the scenario, a value outside the field's
        range, or a grid larger than :data:`MAX_SWEEP_POINTS`.

    Examples
    --------
    >>> table = sweep("scenarios/retail_bank.yaml", {"discount_rate": [0.08, 0.10]})
    >>> round(float(table.loc[1, "npv"]), 2)
    2469087.08
    """
    sc = load_scenario(scenario)
    if not values:
        raise ScenarioError(ScenarioIssue("sweep", "give at least one field path to vary"))
    paths = list(values)
    grid_values = []
    for path in paths:
        vs = [_check_value(path, v) for v in values[path]]
        if not vs:
            raise ScenarioError(ScenarioIssue(path, "needs at least one value"))
        grid_values.append(vs)
    size = math.prod(len(v) for v in grid_values)
    if size > MAX_SWEEP_POINTS:
        raise ScenarioError(
            ScenarioIssue(
                "sweep", f"the grid has {size:,} points; at most {MAX_SWEEP_POINTS:,}", size
            )
        )
    mesh = np.meshgrid(*[np.asarray(v) for v in grid_values], indexing="ij")
    columns = {p: m.reshape(-1) for p, m in zip(paths, mesh, strict=True)}
    frames = []
    for start in range(0, size, SWEEP_CHUNK):
        part = {p: c[start : start + SWEEP_CHUNK] for p, c in columns.items()}
        n = len(next(iter(part.values())))
        kpis = _kpis(sc, part, with_equity=equity)
        frame = pd.DataFrame(part)
        for k, v in kpis.items():
            frame[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def sweep_json(table: pd.DataFrame, paths: Sequence[str]) -> dict[str, Any]:
    """``{paths, rows: [{values: {path: v}, kpis: {...}}]}`` with null for undefined KPIs."""
    kpis = [c for c in table.columns if c not in paths]
    rows = []
    for record in table.itertuples(index=False):
        row = dict(zip(table.columns, record, strict=True))
        rows.append(
            {
                "values": {p: float(row[p]) for p in paths},
                "kpis": {k: _finite(row[k]) for k in kpis},
            }
        )
    return {"paths": list(paths), "rows": rows}


_finite = finite_or_none


# --------------------------------------------------------------------------------------------
# Goal seek
# --------------------------------------------------------------------------------------------
def goal_seek(
    scenario: Scenario | Any, path: str, kpi: str = "npv", target: float = 0.0, grid: int = 257
) -> dict[str, Any]:
    """Value of one field, the others at base, at which a KPI equals a target.

    The search stays inside the field's valid range. Bounded fields are scanned on a grid of
    ``grid`` points; fields unbounded above (opex, wallet, discount rate...) are scanned from
    the lower bound up to base x 2**50 (at most 1e15). Each crossing of the target between
    neighbouring scan points is refined by Brent's method, and the crossing nearest the base
    value is returned. A KPI that is undefined at a point (ROI without costs, an IRR or payback
    that does not exist) leaves that point out; a jump across the target (payback moving from
    one year to the next) is not a solution.

    Parameters
    ----------
    scenario : Scenario, mapping or path
    path : str
        Field path, e.g. ``initiatives[Omnichannel service redesign].opex``.
    kpi : str
        One of :func:`kpi_names` (risk-adjusted), default ``npv``.
    target : float
        The KPI value sought (ROI 1.0 is an ROI of 100%).

    Returns
    -------
    dict
        ``{"path", "kpi", "target", "value"}``, ``value`` None when no value in the field's
        range reaches the target.

    Examples
    --------
    >>> r = goal_seek("scenarios/retail_bank.yaml", "discount_rate", "npv", 0.0)
    >>> round(r["value"], 4)
    0.2438
    """
    from scipy.optimize import brentq

    sc = load_scenario(scenario)
    names = kpi_names()
    if kpi not in names:
        raise ScenarioError(ScenarioIssue("kpi", f"must be one of {', '.join(names)}", kpi))
    if isinstance(target, bool) or not isinstance(target, (int, float, np.floating)):
        raise ScenarioError(ScenarioIssue("target", "must be a number", target))
    target = float(target)
    if not math.isfinite(target):
        raise ScenarioError(ScenarioIssue("target", "must be a finite number", target))
    rule = field_rule(path)
    base = sc.field_base(path)
    lo, hi = rule.clip_bounds()
    if not math.isfinite(lo):
        lo = -1e15
    if math.isfinite(hi):
        xs = np.linspace(lo, hi, grid)
    else:
        start = max(abs(base or 0.0), 1.0)
        upper = max(lo, 0.0) + start * 2.0 ** np.arange(0, 51)
        upper = upper[upper <= 1e15]
        near = np.linspace(lo, upper[0], grid)
        xs = np.unique(np.concatenate([near, upper]))
    with_irr = kpi == "irr"
    with_equity = "equity" in kpi

    def kpi_at(x: Any) -> np.ndarray:
        return np.asarray(_kpis(sc, {path: x}, with_irr, with_equity)[kpi], dtype=float)

    values = np.broadcast_to(kpi_at(xs), xs.shape) - target
    finite = np.isfinite(values)
    roots = [float(xs[i]) for i in np.flatnonzero(finite & (values == 0.0))]

    def f(x: float) -> float:
        return float(kpi_at(x)) - target

    both = finite[:-1] & finite[1:]
    crossings = np.flatnonzero(both & (np.sign(values[:-1]) * np.sign(values[1:]) < 0))
    for i in crossings:
        root = brentq(f, xs[i], xs[i + 1], xtol=1e-12, rtol=1e-12, maxiter=200)
        miss = f(root)
        scale = max(abs(values[i]), abs(values[i + 1]))
        if math.isfinite(miss) and abs(miss) <= 1e-6 * scale + 1e-9 * max(1.0, abs(target)):
            roots.append(float(root))
    value = None
    if roots:
        ref = base if base is not None else 0.0
        value = float(min(roots, key=lambda r: abs(r - ref)))
    return {"path": path, "kpi": kpi, "target": target, "value": value}
