"""Uncertainty and decision analysis: Monte Carlo, tornado, switching values (docs/model.md §7).

Any real-valued scalar field of a scenario may be a distribution. This module

- draws every distribution independently (seeded) and evaluates all draws through the engine
  together, in chunks, with no Python loop per draw (:func:`simulate`);
- swings each distributed field between its 10th and 90th percentiles with the others at base
  (:func:`tornado`);
- finds the value of one field at which the NPV is zero, the others at base: the *switching
  value* of HM Treasury's Green Book (:func:`switching_value`, :func:`switching_values`).

Draws and percentiles are clipped to the field's range; an open bound ``b`` is clipped to
``b + 1e-9`` on its open side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxroi.engine.case import KPI_KEYS, case_kpis
from cxroi.engine.project import compile_scenario
from cxroi.model.distributions import Distribution
from cxroi.model.fields import FIELD_RULES, Rule
from cxroi.model.issues import ScenarioError, ScenarioIssue
from cxroi.model.scenario import Scenario, field_rule, load_scenario

__all__ = [
    "SimulationResult",
    "field_rule",
    "percentile",
    "sample",
    "simulate",
    "switching_value",
    "switching_values",
    "tornado",
    "with_default_spread",
]

#: Draws evaluated per engine call; bounds peak memory whatever the number of draws.
CHUNK_DRAWS = 20_000
#: Most draws one simulation accepts (about 10 minutes of work on one core).
MAX_DRAWS = 10_000_000
#: Draws up to which the percentiles are exact; beyond, an evenly spaced sample of this many.
PERCENTILE_SAMPLE = 1_000_000
#: Draws kept for the fan chart when the draws themselves are not kept.
FAN_SAMPLE = 100_000
#: ``simulate(keep_draws=None)`` keeps every draw up to this many.
KEEP_DRAWS_AUTO = 200_000
#: Percentiles reported by :func:`simulate`.
SUMMARY_PERCENTILES = (5, 50, 95)
#: Percentiles of the tornado swing.
TORNADO_PERCENTILES = (10, 90)
_NEVER = 1e300  # stands for "never pays back" while taking percentiles


def _scipy_dist(d: Distribution):
    """The frozen scipy distribution of a spec with spread (None if it has none)."""
    from scipy import stats  # imported on first use: keeps `import cxroi` quick

    if d.dist == "normal":
        mean, sd = d.mean_sd()
        return stats.norm(loc=mean, scale=sd)
    low, mode, high = d.limits()
    width = high - low
    if width <= 0:
        return None
    if d.dist == "uniform":
        return stats.uniform(loc=low, scale=width)
    if d.dist == "triangular":
        return stats.triang(c=(mode - low) / width, loc=low, scale=width)
    a, b = d.pert_shapes()
    return stats.beta(a, b, loc=low, scale=width)


def _clip(x: np.ndarray, rule: Rule) -> np.ndarray:
    lo, hi = rule.clip_bounds()
    return np.clip(x, lo, hi)


def sample(
    d: Distribution, size: int, rng: np.random.Generator, rule: Rule | None = None
) -> np.ndarray:
    r"""Draw ``size`` values of a distribution, clipped to ``rule``.

    PERT is the Beta distribution on [low, high] with shapes
    :math:`1 + 4\,(\text{mode} - \text{low})/(\text{high} - \text{low})` and
    :math:`1 + 4\,(\text{high} - \text{mode})/(\text{high} - \text{low})` (Vose 2008, s.10.3).

    Examples
    --------
    >>> d = Distribution(dist="uniform", low=0.0, high=1.0)
    >>> x = sample(d, 1000, np.random.default_rng(1))
    >>> bool((x >= 0).all() and (x <= 1).all())
    True
    """
    if d.dist == "normal":
        x = rng.normal(*d.mean_sd(), size)
    else:
        low, mode, high = d.limits()
        if high == low:
            x = np.full(size, float(low))
        elif d.dist == "uniform":
            x = rng.uniform(low, high, size)
        elif d.dist == "triangular":
            x = rng.triangular(low, mode, high, size)
        else:
            x = low + (high - low) * rng.beta(*d.pert_shapes(), size)
    return _clip(x, rule or Rule())


def percentile(d: Distribution, q: float, rule: Rule | None = None) -> float:
    """The ``q``-th percentile (0-100) of a distribution, clipped to ``rule``."""
    frozen = _scipy_dist(d)
    x = d.base if frozen is None else float(frozen.ppf(q / 100.0))
    return float(_clip(np.asarray(x), rule or Rule()))


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------
@dataclass
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    draws : DataFrame or None
        One row per draw: every risk-adjusted KPI (``npv``, ``pv_benefits``, ``pv_costs``,
        ``roi``, ``irr``, ``payback_years``, ``discounted_payback_years``,
        ``extra_customers_end``, ``annual_switching_loss``; NaN where undefined, e.g. no
        payback within the horizon) and the drawn value of each distributed field (by path).
        None unless kept (``keep_draws``; by default up to :data:`KEEP_DRAWS_AUTO` draws).
    cumulative_net : ndarray, shape (n, H+1)
        Cumulative risk-adjusted net cash flow by year [money]: every draw when the draws are
        kept, else an evenly spaced sample of at most :data:`FAN_SAMPLE` draws (for the fan).
    summary : dict
        ``draws``; ``npv``, ``roi``, ``payback_years`` each ``{mean, p5, p50, p95}``;
        ``prob_npv_positive``; ``prob_payback_within_horizon``.
    seed : int
    sample : DataFrame
        ``npv``, ``roi``, ``payback_years`` of every draw up to :data:`PERCENTILE_SAMPLE`
        draws, else of an evenly spaced sample of that many (the percentiles' input).
    """

    draws: pd.DataFrame | None
    cumulative_net: np.ndarray
    summary: dict[str, Any]
    seed: int | None
    sample: pd.DataFrame | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary as ``cxroi simulate --json`` prints it."""
        return self.summary

    def __getitem__(self, key: str) -> Any:
        """A summary entry: ``result["npv"]["p50"]``, ``result["prob_npv_positive"]``."""
        return self.summary[key]

    def fan(self, percentiles: Iterable[float] = (5, 25, 50, 75, 95)) -> pd.DataFrame:
        """Percentiles of the cumulative net cash flow by year (for a fan chart)."""
        qs = list(percentiles)
        values = np.percentile(self.cumulative_net, qs, axis=0)
        frame = pd.DataFrame(values.T, columns=[f"p{q:g}" for q in qs])
        frame.insert(0, "year", np.arange(self.cumulative_net.shape[1]))
        return frame


def _stats(
    x: np.ndarray, never: bool = False, mean: float | None = None
) -> dict[str, float | None]:
    """Mean and percentiles of one KPI over draws; NaN draws are left out.

    With ``never``, NaN means "never within the horizon" and counts as +infinity: a percentile
    that falls on such draws is None, and so is the mean if any draw never pays back. A
    ``mean`` given (streamed over every draw) replaces the mean of ``x`` (then a sample).
    """
    if never:
        values = np.where(np.isnan(x), _NEVER, x)
    else:
        values = x[~np.isnan(x)]
    out: dict[str, float | None] = {}
    if values.size == 0:
        return {"mean": None, **{f"p{q}": None for q in SUMMARY_PERCENTILES}}
    if mean is None:
        with np.errstate(over="ignore", invalid="ignore"):  # +inf and -inf draws: no mean
            mean = float(np.mean(values))
    out["mean"] = mean if math.isfinite(mean) and abs(mean) < _NEVER / 1e10 else None
    # A draw beyond float range (a ROI over a cost of 1e-320) stands at +-_NEVER, so that the
    # interpolation between neighbours stays finite; a percentile that lands there is None.
    bounded = np.clip(values, -_NEVER, _NEVER)
    for q, v in zip(SUMMARY_PERCENTILES, np.percentile(bounded, SUMMARY_PERCENTILES), strict=True):
        out[f"p{q}"] = float(v) if abs(v) < _NEVER / 1e10 else None
    return out


class _Stream:
    """Sums over every draw of one KPI, for an exact mean when only a sample is kept."""

    def __init__(self, never: bool):
        self.never = never
        self.total = 0.0
        self.count = 0
        self.missing = 0

    def add(self, x: np.ndarray) -> None:
        finite = ~np.isnan(x)
        with np.errstate(over="ignore", invalid="ignore"):
            self.total += float(np.sum(x[finite]))
        self.count += int(finite.sum())
        self.missing += int(x.size - finite.sum())

    def mean(self) -> float:
        if self.never and self.missing:
            return math.inf  # a draw that never pays back makes the mean infinitely late
        return self.total / self.count if self.count else math.nan


def _check_seed(seed: Any) -> np.random.Generator:
    if isinstance(seed, bool) or not (seed is None or isinstance(seed, (int, np.integer))):
        raise ScenarioError(ScenarioIssue("seed", "must be a whole number >= 0 or None", seed))
    if seed is not None and seed < 0:
        raise ScenarioError(ScenarioIssue("seed", "must be a whole number >= 0", seed))
    return np.random.default_rng(seed)


def _generators(sc: Scenario, rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """One independent stream per distributed field, so chunking never changes a draw."""
    dists = sc.distributions()
    return dict(zip(dists, rng.spawn(len(dists)), strict=True))


def _base_summary(sc: Scenario, draws: int, seed: int | None) -> SimulationResult:
    """Every draw is the base case: one evaluation, zero spread, whatever ``draws`` is."""
    result = case_kpis(compile_scenario(sc), with_unadjusted=False)["adjusted"]
    npv, roi, payback = (
        np.atleast_1d(result[k]).astype(float) for k in ("npv", "roi", "payback_years")
    )
    summary = {
        "draws": int(draws),
        "seed": seed,
        "npv": _stats(npv),
        "roi": _stats(roi),
        "payback_years": _stats(payback, never=True),
        "prob_npv_positive": float(npv[0] > 0),
        "prob_payback_within_horizon": float(not np.isnan(payback[0])),
        "evpi": 0.0,  # nothing is uncertain: information is worth nothing
        "evppi": {},
    }
    cumulative = np.atleast_2d(np.cumsum(result["net"], axis=-1))
    sample = pd.DataFrame({"npv": npv, "roi": roi, "payback_years": payback})
    frame = None
    if draws <= KEEP_DRAWS_AUTO:
        frame = pd.DataFrame({k: np.full(draws, float(np.asarray(result[k]))) for k in KPI_KEYS})
        cumulative = np.repeat(cumulative, draws, axis=0)
    return SimulationResult(frame, cumulative, summary, seed, sample)


def simulate(
    scenario: Scenario | Any,
    draws: int = 10_000,
    seed: int | None = 0,
    chunk: int = CHUNK_DRAWS,
    progress: Callable[[int, int], object] | None = None,
    keep_draws: bool | None = None,
) -> SimulationResult:
    """Monte Carlo evaluation of a scenario whose fields carry distributions.

    Each distributed field has its own random stream, spawned from one seeded generator (in
    the order of :meth:`Scenario.distributions`), so the draws do not depend on ``chunk``. The
    draws are made and evaluated ``chunk`` at a time; only what the summary needs is kept, so
    memory is flat in ``draws``: the mean and the probabilities are summed over every draw;
    the percentiles are exact up to :data:`PERCENTILE_SAMPLE` draws and beyond that come from
    an evenly spaced sample of that many draws (draws are independent, so this is a random
    sample; its sampling error is far below a tenth of a percentile point).

    A scenario with no distribution is evaluated once: every draw would be the base case.

    Parameters
    ----------
    scenario : Scenario, mapping or path
    draws : int
        Number of draws, 1 to :data:`MAX_DRAWS`.
    seed : int or None
        Seed (>= 0) of :func:`numpy.random.default_rng`; the same seed gives the same result.
    chunk : int
        Draws per engine call.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk (for progress bars).
    keep_draws : bool or None
        Keep every draw in ``result.draws`` and ``result.cumulative_net`` (memory grows with
        ``draws``: about 100 bytes per draw and field). None (default) keeps them up to
        :data:`KEEP_DRAWS_AUTO` draws.

    Returns
    -------
    SimulationResult
    """
    sc = load_scenario(scenario)
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ScenarioError(ScenarioIssue("draws", "must be a whole number >= 1", draws))
    if draws > MAX_DRAWS:
        raise ScenarioError(
            ScenarioIssue("draws", f"must be at most MAX_DRAWS = {MAX_DRAWS:,}", draws)
        )
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ScenarioError(ScenarioIssue("chunk", "must be a whole number >= 1", chunk))
    draws = int(draws)
    rng = _check_seed(seed)
    if not sc.distributions():
        return _base_summary(sc, draws, seed)
    keep = draws <= KEEP_DRAWS_AUTO if keep_draws is None else bool(keep_draws)
    gens = _generators(sc, rng)
    rules = {path: field_rule(path) for path in gens}
    dists = sc.distributions()
    copula = None
    if sc.correlations:  # correlated fields come jointly from a stream of their own
        from cxroi.analysis.correlation import CopulaSampler

        copula = CopulaSampler(sc, rng.spawn(1)[0], rules)
    from cxroi.analysis.voi import EVPPI_SAMPLE, evppi

    voi_step = -(-draws // EVPPI_SAMPLE)  # every voi_step-th draw feeds the EVPPI regressions
    voi_npv: list[np.ndarray] = []
    voi_fields: dict[str, list[np.ndarray]] = {p: [] for p in gens}
    npv_total = npv_positive_total = 0.0
    H = sc.horizon_years
    step = -(-draws // PERCENTILE_SAMPLE)  # keep every step-th draw for the percentiles
    fan_step = 1 if keep else -(-draws // FAN_SAMPLE)
    streams = {"npv": _Stream(False), "roi": _Stream(False), "payback_years": _Stream(True)}
    positive = paid_back = 0
    kept: dict[str, list[np.ndarray]] = {}
    sampled: dict[str, list[np.ndarray]] = {k: [] for k in streams}
    cumulative = []
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        n = stop - start
        joint = copula.draw(n) if copula is not None else {}
        part = {p: joint[p] if p in joint else sample(dists[p], n, gens[p], rules[p]) for p in gens}
        params = compile_scenario(sc, part)
        result = case_kpis(params, with_unadjusted=False, with_projection=False)["adjusted"]
        del params  # not kept alive beside the value-of-information regressions
        values = {k: np.broadcast_to(result[k], (n,)) for k in KPI_KEYS}
        npv = np.where(np.isfinite(values["npv"]), values["npv"], 0.0)
        npv_total += float(np.sum(npv))
        npv_positive_total += float(np.sum(np.maximum(npv, 0.0)))
        voi_npv.append(npv[(-start) % voi_step :: voi_step].copy())
        for path, v in part.items():
            voi_fields[path].append(
                np.broadcast_to(v, (n,))[(-start) % voi_step :: voi_step].copy()
            )
        for key, stream in streams.items():
            stream.add(values[key])
            sampled[key].append(values[key][(-start) % step :: step].copy())
        positive += int(np.count_nonzero(values["npv"] > 0))
        paid_back += int(np.count_nonzero(~np.isnan(values["payback_years"])))
        cum = np.broadcast_to(np.cumsum(result["net"], axis=-1), (n, H + 1))
        cumulative.append(cum[(-start) % fan_step :: fan_step].copy())
        if keep:
            for key in KPI_KEYS:
                kept.setdefault(key, []).append(values[key].copy())
            for path, v in part.items():
                kept.setdefault(path, []).append(v)
        if progress is not None:
            progress(stop, draws)
    sample_frame = pd.DataFrame({k: np.concatenate(v) for k, v in sampled.items()})
    exact = step == 1

    def stats(key: str, never: bool = False) -> dict[str, float | None]:
        x = sample_frame[key].to_numpy()
        return _stats(x, never, None if exact else streams[key].mean())

    summary = {
        "draws": draws,
        "seed": seed,
        "npv": stats("npv"),
        "roi": stats("roi"),
        "payback_years": stats("payback_years", never=True),
        "prob_npv_positive": positive / draws,
        "prob_payback_within_horizon": paid_back / draws,
    }
    # value of information (docs/model.md §16): EVPI from sums over every draw, EVPPI from
    # regressions on at most EVPPI_SAMPLE evenly spaced draws
    sample_npv = np.concatenate(voi_npv)
    if voi_step == 1:  # every draw is in the sample: the same sums whatever the chunk size
        npv_total = float(np.sum(sample_npv))
        npv_positive_total = float(np.sum(np.maximum(sample_npv, 0.0)))
    value_of_perfect = max(npv_positive_total / draws - max(npv_total / draws, 0.0), 0.0)
    summary["evpi"] = value_of_perfect
    if len(voi_fields) == 1:  # the only uncertain input: E[npv | it] is the npv itself
        summary["evppi"] = {path: value_of_perfect for path in voi_fields}
    else:
        summary["evppi"] = {
            path: evppi(np.concatenate(chunks), sample_npv, cap=value_of_perfect)
            for path, chunks in voi_fields.items()
        }
    frame = pd.DataFrame({k: np.concatenate(v) for k, v in kept.items()}) if keep else None
    return SimulationResult(frame, np.concatenate(cumulative), summary, seed, sample_frame)


# --------------------------------------------------------------------------------------------
# Tornado
# --------------------------------------------------------------------------------------------
def _npv_with(sc: Scenario, overrides: dict[str, Any]) -> np.ndarray:
    kpis = case_kpis(compile_scenario(sc, overrides), with_irr=False, with_unadjusted=False)
    return kpis["adjusted"]["npv"]


def tornado(
    scenario: Scenario | Any, percentiles: tuple[float, float] = TORNADO_PERCENTILES
) -> list[dict[str, Any]]:
    """NPV at the low and high percentile of each distributed field, the others at base.

    Rows are sorted by swing ``|npv_high - npv_low|``, largest first (``npv_low`` may exceed
    ``npv_high`` when a higher value of the field lowers the NPV). All points are evaluated in
    one engine call.

    Returns
    -------
    list of dict
        ``{path, low, high, npv_low, npv_high}`` per distributed field.
    """
    sc = load_scenario(scenario)
    dists = sc.distributions()
    if not dists:
        return []
    paths = list(dists)
    n = 2 * len(paths)
    overrides: dict[str, np.ndarray] = {}
    points = {}
    for k, path in enumerate(paths):
        rule = field_rule(path)
        lo = percentile(dists[path], percentiles[0], rule)
        hi = percentile(dists[path], percentiles[1], rule)
        points[path] = (lo, hi)
        values = np.full(n, float(dists[path].base))
        values[2 * k], values[2 * k + 1] = lo, hi
        overrides[path] = values
    npv = _npv_with(sc, overrides)
    rows: list[dict[str, Any]] = [
        {
            "path": path,
            "low": points[path][0],
            "high": points[path][1],
            "npv_low": float(npv[2 * k]),
            "npv_high": float(npv[2 * k + 1]),
        }
        for k, path in enumerate(paths)
    ]
    rows.sort(key=lambda r: abs(r["npv_high"] - r["npv_low"]), reverse=True)
    return rows


# --------------------------------------------------------------------------------------------
# Switching values
# --------------------------------------------------------------------------------------------
def switching_value(scenario: Scenario | Any, path: str, grid: int = 257) -> dict[str, Any]:
    """Value of one field at which the risk-adjusted NPV is zero, the others at base.

    This is :func:`cxroi.analysis.whatif.goal_seek` of ``npv`` to 0: the search stays inside
    the field's valid range. Bounded fields are scanned on a grid and the sign change nearest
    the base value is refined by Brent's method; for fields unbounded above (opex, wallet,
    discount rate...) the bracket widens geometrically until the NPV changes sign or the value
    exceeds 1e15.
    One field moves at a time, whatever ``correlations`` the scenario declares.

    Parameters
    ----------
    scenario : Scenario, mapping or path
    path : str
        Field path, e.g. ``initiatives[Omnichannel service redesign].opex``.

    Returns
    -------
    dict
        ``{"path": path, "value": v}`` with ``v`` None where the NPV does not cross zero.
    """
    from cxroi.analysis.whatif import (
        goal_seek,  # one code path: break-even is goal seek of npv to 0
    )

    result = goal_seek(scenario, path, "npv", 0.0, grid=grid)
    return {"path": path, "value": result["value"]}


def switching_values(scenario: Scenario | Any, paths: Iterable[str] | None = None) -> pd.DataFrame:
    """Table of switching values, by default for every scalar numeric field of the case.

    Returns
    -------
    DataFrame
        ``path``, ``base``, ``switching_value`` and ``change`` (relative to base; NaN when the
        base is zero or there is no switching value), sorted by ``|change|``, smallest first:
        the fields closest to breaking the case come first.
    """
    sc = load_scenario(scenario)
    paths = list(sc.fields()) if paths is None else list(paths)
    rows = []
    for path in paths:
        base = sc.field_base(path)
        value = switching_value(sc, path)["value"]
        change = (
            (value - base) / abs(base) if value is not None and base not in (None, 0.0) else np.nan
        )
        rows.append({"path": path, "base": base, "switching_value": value, "change": change})
    table = pd.DataFrame(rows, columns=["path", "base", "switching_value", "change"])
    order = table["change"].abs().fillna(np.inf).argsort(kind="stable")
    return table.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# A starting point for cases with no distribution yet
# --------------------------------------------------------------------------------------------
def with_default_spread(scenario: Scenario | Any, spread: float = 0.3) -> Scenario:
    """The scenario with a triangular spread on every initiative effect still given as a number.

    Each non-zero effect ``e`` becomes ``{dist: triangular, low: e(1 - s), mode: e,
    high: e(1 + s)}`` (bounds clipped to the field's range), so that "and if retention improves
    only half as much?" can be asked of a case before anyone has written distributions. Fields
    that already carry a distribution are kept.

    Parameters
    ----------
    scenario : Scenario, mapping or path
    spread : float
        Relative half-width s of the triangle, in (0, 1].

    Returns
    -------
    Scenario
    """
    if not 0.0 < spread <= 1.0:
        raise ScenarioError(ScenarioIssue("spread", "must be in (0, 1]", spread))
    sc = load_scenario(scenario)
    mapping = sc.to_mapping()
    for ini in mapping["initiatives"]:
        for effect in (ini.get("effects") or {}).values():
            for key, value in effect.items():
                if isinstance(value, dict) or value == 0:
                    continue
                lo, hi = FIELD_RULES[key].clip_bounds()
                ends = sorted((value * (1 - spread), value * (1 + spread)))
                effect[key] = {
                    "dist": "triangular",
                    "low": float(np.clip(ends[0], lo, hi)),
                    "mode": float(value),
                    "high": float(np.clip(ends[1], lo, hi)),
                }
    return load_scenario(mapping)
