"""Fits: sBG and constant retention per cohort and pooled, profile-likelihood intervals, backtests.

Part of :mod:`cxroi.analysis.calibration` (its docstring describes the method).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from cxroi.analysis.calibration.cohorts import (
    _LOG_SEARCH_BOUND,
    MAX_COHORT_FITS,
    POOLED,
    CalibrationError,
    CohortSource,
    CohortTable,
    read_cohorts,
)
from cxroi.analysis.calibration.pooling import _fitted_rows, _select, _sufficient
from cxroi.engine.retention import (
    SBGFit,
    discounted_expected_lifetime,
    discounted_expected_residual_lifetime,
    fit_sbg_pooled,
    sbg_log_likelihood,
    sbg_retention,
    sbg_survival,
)
from cxroi.model.finite import finite_or_none

#: A curve's interval: ``(estimate, low, high, open_low, open_high)``, arrays of one length.
Band = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a likelihood-based interval.

    Attributes
    ----------
    estimate, low, high : float
        Estimate and interval ends, in the unit of the quantity.
    level : float
        Confidence level (0.95).
    open_low, open_high : bool
        True when that end reached the search bound: the data do not bound it (for alpha and
        beta the end is then reported as 0 or inf).
    """

    estimate: float
    low: float
    high: float
    level: float
    open_low: bool = False
    open_high: bool = False

    def __str__(self) -> str:
        """Show as ``estimate [low, high]``."""
        lo = "0" if self.open_low and self.low == 0 else f"{self.low:.4g}"
        hi = "inf" if self.open_high and math.isinf(self.high) else f"{self.high:.4g}"
        lo = ("<=" + lo) if self.open_low and self.low != 0 else lo
        hi = (">=" + hi) if self.open_high and not math.isinf(self.high) else hi
        return f"{self.estimate:.4g} [{lo}, {hi}]"


@dataclass(frozen=True)
class ConstantRetentionFit:
    """Maximum-likelihood constant (geometric) retention fitted to survivor counts.

    Attributes
    ----------
    retention : float
        Per-period retention rate r [share]: renewals / customers at risk.
    se : float
        Binomial standard error sqrt(r (1 - r) / at risk) [share].
    log_likelihood : float
        Log-likelihood of the counts under S(t) = r^t [nats].
    n_periods : int
        Longest T used.
    """

    retention: float
    se: float
    log_likelihood: float
    n_periods: int

    def survival(self, t: ArrayLike) -> np.ndarray:
        """Share of a cohort active at period t: r ** t [share]."""
        return np.asarray(self.retention ** np.asarray(t, dtype=float))


def fit_constant_retention(cohorts: Sequence) -> ConstantRetentionFit:
    r"""Fit a constant retention rate to survivor counts by maximum likelihood.

    Parameters
    ----------
    cohorts : sequence of array_like
        Survivor counts S(0..T) of each cohort [customers].

    Returns
    -------
    ConstantRetentionFit
        r = sum_c sum_{t=1..T_c} S_c(t) / sum_c sum_{t=0..T_c-1} S_c(t), with its standard error
        and log-likelihood.

    Notes
    -----
    With homogeneous retention every customer at risk renews with probability r, so the
    likelihood is binomial: renewals sum_t S(t), t >= 1, out of sum_t S(t - 1) at risk.

    Examples
    --------
    >>> round(fit_constant_retention([[1000, 800, 640]]).retention, 6)
    0.8
    """
    arrays = [np.asarray(c, dtype=float) for c in cohorts]
    renewed = sum(float(np.sum(c[1:])) for c in arrays)
    at_risk = sum(float(np.sum(c[:-1])) for c in arrays)
    if at_risk <= 0:
        raise CalibrationError("no customers at risk: cannot fit a retention rate")
    r = renewed / at_risk
    churned = at_risk - renewed
    ll = (renewed * math.log(r) if renewed > 0 else 0.0) + (
        churned * math.log1p(-r) if churned > 0 else 0.0
    )
    se = math.sqrt(r * (1 - r) / at_risk)
    return ConstantRetentionFit(
        retention=r, se=se, log_likelihood=ll, n_periods=max(c.size for c in arrays) - 1
    )


def _pooled_loglik(alpha, beta, arrays):
    return sum(np.asarray(sbg_log_likelihood(alpha, beta, c)) for c in arrays)


def _likelihood_region(sbg: SBGFit, arrays, level: float, n_directions: int = 360):
    """Points on the boundary of the profile-likelihood region, and whether each was reached.

    Rays leave the estimate in ln-parameter space, scaled by the Cholesky factor of the
    ln-space covariance so that the region is close to a unit circle; along each ray the
    deviance 2 (LL_max - LL) crosses chi2_1(level) where the ray meets the boundary.
    """
    threshold = float(stats.chi2.ppf(level, 1))
    centre = np.log([sbg.alpha, sbg.beta])
    scale = np.array([sbg.alpha, sbg.beta])
    cov_log = np.asarray(sbg.cov) / np.outer(scale, scale)
    try:
        chol = np.linalg.cholesky(cov_log)
    except np.linalg.LinAlgError:
        chol = np.eye(2) * 0.1
    if not np.all(np.isfinite(chol)):
        chol = np.eye(2) * 0.1
    phi = np.linspace(0.0, 2 * np.pi, n_directions, endpoint=False)
    dirs = (chol @ np.vstack([np.cos(phi), np.sin(phi)])).T
    with np.errstate(divide="ignore", invalid="ignore"):
        to_bound = np.where(
            dirs > 0,
            (_LOG_SEARCH_BOUND - centre) / dirs,
            np.where(dirs < 0, (-_LOG_SEARCH_BOUND - centre) / dirs, np.inf),
        )
    r_max = np.max([np.min(to_bound, axis=1), np.zeros(n_directions)], axis=0)

    def deviance(r):
        pts = np.exp(centre + r[:, None] * dirs)
        return 2 * (sbg.log_likelihood - _pooled_loglik(pts[:, 0], pts[:, 1], arrays))

    lo = np.zeros(n_directions)
    hi = np.minimum(2.0, r_max)
    for _ in range(64):
        dev = deviance(hi)
        grow = (dev < threshold) & (hi < r_max)
        if not grow.any():
            break
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, np.minimum(hi * 2, r_max), hi)
    reached = deviance(hi) >= threshold
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        above = deviance(mid) >= threshold
        hi = np.where(reached & above, mid, hi)
        lo = np.where(reached & ~above, mid, lo)
    radius = np.where(reached, 0.5 * (lo + hi), r_max)
    points = np.exp(centre + radius[:, None] * dirs)
    return points, reached


def _interval(func, estimate_point, points, reached, level, *, unbounded_ends=False):
    """Range of ``func`` over the region; ``func`` maps 1-D alpha, beta arrays to (n, ...)."""
    a_hat, b_hat = (np.array([float(x)]) for x in estimate_point)
    est = np.asarray(func(a_hat, b_hat), dtype=float)[0]
    vals = np.asarray(func(points[:, 0], points[:, 1]), dtype=float)
    i_lo, i_hi = np.argmin(vals, axis=0), np.argmax(vals, axis=0)
    low = np.minimum(est, np.min(vals, axis=0))
    high = np.maximum(est, np.max(vals, axis=0))
    open_low, open_high = ~reached[i_lo], ~reached[i_hi]
    if unbounded_ends:
        low = np.where(open_low, 0.0, low)
        high = np.where(open_high, np.inf, high)
    if est.ndim == 0:
        return Interval(float(est), float(low), float(high), level, bool(open_low), bool(open_high))
    return est, low, high, open_low, open_high


@dataclass(frozen=True)
class RetentionFit:
    """An sBG fit with profile-likelihood intervals, beside the constant-retention fit.

    Attributes
    ----------
    name : str
        Cohort label, or ``"pooled"`` for the fit shared by all cohorts.
    cohort_names : tuple of str
        Cohorts whose counts entered the fit.
    fit_periods : int
        Periods after acquisition used (the longest cohort's T within the fit window).
    sbg : SBGFit
        The maximum-likelihood sBG fit (estimates, standard errors, log-likelihood).
    constant : ConstantRetentionFit
        Constant retention fitted to the same counts.
    alpha, beta : Interval
        Shape parameters with profile-likelihood intervals [-].
    retention_at_tenure : Interval
        Retention rate of a customer with ``tenure`` renewals made,
        (beta + tenure) / (alpha + beta + tenure) [share].
    lifetime : Interval
        DEL(discount_rate): discounted expected lifetime of a new customer, counting the
        acquisition year [years].
    residual_lifetime : Interval
        DERL(discount_rate | tenure renewals made) [years].
    discount_rate : float
        Rate used for DEL and DERL [1/year].
    tenure : int
        Renewals made by the customers DERL refers to.
    level : float
        Confidence level of the intervals.
    observed : pandas.DataFrame
        One row per cohort and observed period: ``cohort, period, observed, sbg, sbg_low,
        sbg_high, constant, in_fit`` (fitted values in customers of that cohort).
    log_likelihood_sbg, log_likelihood_constant : float
        Maximised log-likelihoods [nats].
    mape_sbg, mape_constant : float
        Mean absolute percentage error of the fitted survivors on the fitted periods t >= 1,
        as a decimal.
    """

    name: str
    cohort_names: tuple[str, ...]
    fit_periods: int
    sbg: SBGFit
    constant: ConstantRetentionFit
    alpha: Interval
    beta: Interval
    retention_at_tenure: Interval
    lifetime: Interval
    residual_lifetime: Interval
    discount_rate: float
    tenure: int
    level: float
    observed: pd.DataFrame = field(repr=False, compare=False)
    region: np.ndarray = field(repr=False, compare=False)
    region_reached: np.ndarray = field(repr=False, compare=False)

    @property
    def log_likelihood_sbg(self) -> float:
        """Maximised sBG log-likelihood [nats]."""
        return self.sbg.log_likelihood

    @property
    def log_likelihood_constant(self) -> float:
        """Constant-retention log-likelihood on the same counts [nats]."""
        return self.constant.log_likelihood

    @property
    def mape_sbg(self) -> float:
        """MAPE of the sBG fitted survivors on the fitted periods (decimal)."""
        return _mape(self.observed, "sbg", fitted=True)

    @property
    def mape_constant(self) -> float:
        """MAPE of the constant-retention fitted survivors on the fitted periods (decimal)."""
        return _mape(self.observed, "constant", fitted=True)

    def interval(self, func: Callable) -> Interval | Band:
        """Profile-likelihood interval of any quantity ``func(alpha, beta)``.

        ``func`` receives 1-D arrays of n alpha and beta values and returns an array of shape
        ``(n,)`` (a scalar quantity: an :class:`Interval` is returned) or ``(n, m)`` (a curve:
        a tuple ``(estimate, low, high, open_low, open_high)`` of length-m arrays).

        Examples
        --------
        >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
        >>> fit = fit_retention(pd.DataFrame({"period": range(8),
        ...                                   "active": FADER_HARDIE_2007_REGULAR[:8]}))
        >>> i = fit.interval(lambda a, b: a / (a + b))  # mean churn probability
        >>> round(i.estimate, 3), i.low < i.estimate < i.high
        (0.373, True)
        """
        return _interval(
            func, (self.sbg.alpha, self.sbg.beta), self.region, self.region_reached, self.level
        )

    def band(self, func: Callable) -> Band:
        """:meth:`interval` of a curve: ``func`` returns an ``(n, m)`` array.

        Returns
        -------
        tuple
            ``(estimate, low, high, open_low, open_high)``, arrays of length m.
        """
        out = self.interval(func)
        if isinstance(out, Interval):
            raise ValueError("func gives one value per (alpha, beta): use interval() instead")
        return out

    def survival_band(self, horizon_periods: int) -> pd.DataFrame:
        """Fitted survival curves with the sBG interval band, periods 0..horizon [share].

        Returns
        -------
        pandas.DataFrame
            Columns ``period, sbg, sbg_low, sbg_high, constant``.
        """
        t = np.arange(int(horizon_periods) + 1)
        est, low, high, _, _ = self.band(lambda a, b: sbg_survival(a[:, None], b[:, None], t))
        return pd.DataFrame(
            {
                "period": t,
                "sbg": est,
                "sbg_low": low,
                "sbg_high": high,
                "constant": self.constant.survival(t),
            }
        )

    def clv(self, margin_per_year: float) -> Interval:
        """Lifetime value of a new customer, margin x DEL, with its interval [currency].

        ``margin_per_year`` is received at the start of every year the customer is active,
        the acquisition year included (docs/model.md §6).
        """
        m = float(margin_per_year)
        d = self.lifetime
        return Interval(
            d.estimate * m,
            min(d.low * m, d.high * m),
            max(d.low * m, d.high * m),
            d.level,
            d.open_low if m >= 0 else d.open_high,
            d.open_high if m >= 0 else d.open_low,
        )


def _mape(table: pd.DataFrame, column: str, *, fitted: bool) -> float:
    rows = table[(table["in_fit"] == fitted) & (table["period"] >= 1) & (table["observed"] > 0)]
    if rows.empty:
        return math.nan
    return float(np.mean(np.abs(rows[column] / rows["observed"] - 1)))


def fit_retention(
    table: CohortSource,
    *,
    cohorts: Sequence[str] | None = None,
    name: str = POOLED,
    fit_periods: int | None = None,
    discount_rate: float = 0.10,
    tenure: int = 0,
    level: float = 0.95,
) -> RetentionFit:
    """Fit sBG (and constant retention) to some cohorts of a table, with intervals.

    Parameters
    ----------
    table : CohortTable, DataFrame or path
        The cohort counts (read with :func:`read_cohorts` if needed).
    cohorts : sequence of str, optional
        Cohorts to fit jointly (shared alpha, beta); default all.
    name : str
        Label of the fit.
    fit_periods : int, optional
        Use periods 0..fit_periods only; later periods are held out (``in_fit`` False).
    discount_rate : float
        Annual discount rate for DEL and DERL, decimal [1/year].
    tenure : int
        Renewals made by the customers the residual lifetime and retention refer to.
    level : float
        Confidence level of the profile-likelihood intervals, in (0, 1).

    Returns
    -------
    RetentionFit
        See the class.

    Raises
    ------
    CalibrationError
        If no cohort has two periods after acquisition within the fit window, or an argument
        is out of range.

    Examples
    --------
    >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
    >>> df = pd.DataFrame({"cohort": "regular", "period": range(13),
    ...                    "active": FADER_HARDIE_2007_REGULAR})
    >>> fit = fit_retention(df, fit_periods=7)
    >>> round(fit.alpha.estimate, 3), round(fit.beta.estimate, 3)
    (0.704, 1.182)
    """
    table = read_cohorts(table)
    if not 0 < level < 1:
        raise CalibrationError(f"level must be between 0 and 1 (got {level})")
    if not (math.isfinite(discount_rate) and discount_rate > 0):
        raise CalibrationError(f"discount rate must be a decimal > 0 (got {discount_rate})")
    if tenure < 0 or int(tenure) != tenure:
        raise CalibrationError(f"tenure must be a whole number of renewals >= 0 (got {tenure})")
    tenure = int(tenure)
    if fit_periods is not None and (int(fit_periods) != fit_periods or fit_periods < 2):
        raise CalibrationError(f"fit periods must be a whole number >= 2 (got {fit_periods})")
    names = table.names if cohorts is None else list(cohorts)
    unknown = [n for n in names if n not in table.cohorts]
    if unknown:
        raise CalibrationError(
            f"no cohort named {', '.join(unknown)} (cohorts: {', '.join(table.names)})"
        )
    sel = _select(table, names, fit_periods)
    used = sel.names
    if not used or int(sel.cut.max()) < 3:
        window = f"periods 0..{fit_periods}" if fit_periods is not None else "the table"
        where = f"{table.source}: " if table.source else ""
        raise CalibrationError(
            f"{where}cannot fit {name}: no cohort has counts for 2 periods after acquisition in "
            f"{window}; alpha and beta need at least periods 0, 1 and 2"
        )
    grouped = _sufficient(table, sel)
    sbg = fit_sbg_pooled(grouped)
    constant = fit_constant_retention(grouped)
    points, reached = _likelihood_region(sbg, grouped, level)
    est = (sbg.alpha, sbg.beta)

    def interval(func, unbounded=False):
        return _interval(func, est, points, reached, level, unbounded_ends=unbounded)

    d = float(discount_rate)
    alpha_i = interval(lambda a, b: a, unbounded=True)
    beta_i = interval(lambda a, b: b, unbounded=True)
    ret_i = interval(lambda a, b: sbg_retention(a, b, tenure + 1))
    del_i = interval(lambda a, b: discounted_expected_lifetime(a, b, d))
    derl_i = interval(lambda a, b: discounted_expected_residual_lifetime(a, b, d, tenure + 1))

    # One survival band for periods 0..T_max; each cohort's band is its size times it, which
    # is the band of size x survival since multiplying by S(0) > 0 keeps the order of values.
    lengths = sel.lengths
    t_all = np.arange(int(lengths.max()))
    band, band_low, band_high, _, _ = _interval(
        lambda a, b: sbg_survival(a[:, None], b[:, None], t_all), est, points, reached, level
    )
    labels, period, counts, size = _fitted_rows(table, sel)
    limit = fit_periods if fit_periods is not None else int(lengths.max())
    observed = pd.DataFrame(
        {
            "cohort": labels,
            "period": period,
            "observed": counts,
            "sbg": size * band[period],
            "sbg_low": size * band_low[period],
            "sbg_high": size * band_high[period],
            "constant": size * constant.retention ** period.astype(float),
            "in_fit": period <= limit,
        }
    )
    points.setflags(write=False)
    reached.setflags(write=False)
    return RetentionFit(
        name=name,
        cohort_names=tuple(used),
        fit_periods=int(sel.cut.max() - 1),
        sbg=sbg,
        constant=constant,
        alpha=alpha_i,
        beta=beta_i,
        retention_at_tenure=ret_i,
        lifetime=del_i,
        residual_lifetime=derl_i,
        discount_rate=d,
        tenure=tenure,
        level=level,
        observed=observed,
        region=points,
        region_reached=reached,
    )


@dataclass(frozen=True)
class Backtest:
    """Both models fitted on early periods, scored on the later, held-out periods.

    Attributes
    ----------
    fit_periods : int
        Periods 0..fit_periods were fitted; later ones were held out.
    table : pandas.DataFrame
        ``cohort, period, observed, sbg, constant, in_fit`` for every observed period.
    mape_sbg, mape_constant : float
        Mean absolute percentage error on the held-out periods (decimal).
    last_period_error_sbg, last_period_error_constant : float
        Relative error (fitted / observed - 1) at the last observed period of the longest
        cohort (decimal).
    alpha, beta, retention : float
        The backtest's sBG estimates and constant retention rate.
    """

    fit_periods: int
    table: pd.DataFrame = field(repr=False, compare=False)
    mape_sbg: float
    mape_constant: float
    last_period_error_sbg: float
    last_period_error_constant: float
    alpha: float
    beta: float
    retention: float


def _backtest(table: CohortTable, names, fit_periods: int) -> Backtest | None:
    sel = _select(table, names, fit_periods)
    if not sel.names or int(sel.cut.max()) < 3:
        return None
    if not np.any(sel.lengths - 1 > fit_periods):
        return None
    grouped = _sufficient(table, sel)
    sbg = fit_sbg_pooled(grouped)
    constant = fit_constant_retention(grouped)
    lengths = sel.lengths
    labels, period, counts, size = _fitted_rows(table, sel)
    curve = np.asarray(sbg.survival(np.arange(int(lengths.max()))), dtype=float).reshape(-1)
    frame = pd.DataFrame(
        {
            "cohort": labels,
            "period": period,
            "observed": counts,
            "sbg": size * curve[period],
            "constant": size * constant.retention ** period.astype(float),
            "in_fit": period <= fit_periods,
        }
    )
    longest = int(np.argmax(lengths))  # the first of the longest cohorts
    last = frame.iloc[int(np.cumsum(lengths)[longest]) - 1]
    return Backtest(
        fit_periods=int(fit_periods),
        table=frame,
        mape_sbg=_mape(frame, "sbg", fitted=False),
        mape_constant=_mape(frame, "constant", fitted=False),
        last_period_error_sbg=float(last["sbg"] / last["observed"] - 1)
        if last["observed"] > 0
        else math.nan,
        last_period_error_constant=float(last["constant"] / last["observed"] - 1)
        if last["observed"] > 0
        else math.nan,
        alpha=sbg.alpha,
        beta=sbg.beta,
        retention=constant.retention,
    )


@dataclass(frozen=True)
class Calibration:
    """Everything :func:`calibrate` learns from a cohort table.

    Attributes
    ----------
    table : CohortTable
        The validated counts.
    pooled : RetentionFit
        One sBG shared by all cohorts (the pooled log-likelihood is the sum of the cohorts').
    by_cohort : dict of str to RetentionFit
        Each cohort on its own (cohorts with fewer than 2 periods are left out).
    backtest : Backtest or None
        sBG against constant retention fitted on early periods and scored on later ones.
    skipped : dict of str to str
        Cohorts without a fit of their own, and why.
    """

    table: CohortTable
    pooled: RetentionFit
    by_cohort: dict[str, RetentionFit]
    backtest: Backtest | None
    skipped: dict[str, str]

    def to_json(self, cohort: str | None = None) -> dict:
        """JSON-able summary of the pooled (or one cohort's) fit and the backtest.

        Infinite interval ends become None.
        """
        fit = self.fit(cohort)

        def iv(i: Interval, se=None):
            out = {
                "estimate": finite_or_none(i.estimate),
                "low": finite_or_none(i.low),
                "high": finite_or_none(i.high),
            }
            if se is not None:
                out["se"] = finite_or_none(se)
            return out

        bt = self.backtest
        return {
            "source": self.table.source,
            "sha256": self.table.sha256,
            "cohorts": self.table.names,
            "fit": {
                "name": fit.name,
                "cohorts": list(fit.cohort_names),
                "fit_periods": fit.fit_periods,
                "level": fit.level,
                "alpha": iv(fit.alpha, fit.sbg.se_alpha),
                "beta": iv(fit.beta, fit.sbg.se_beta),
                "log_likelihood": finite_or_none(fit.sbg.log_likelihood),
                "converged": fit.sbg.converged,
                "mape": finite_or_none(fit.mape_sbg),
                "tenure": fit.tenure,
                "discount_rate": fit.discount_rate,
                "retention_at_tenure": iv(fit.retention_at_tenure),
                "discounted_expected_lifetime": iv(fit.lifetime),
                "discounted_expected_residual_lifetime": iv(fit.residual_lifetime),
                "constant": {
                    "retention": finite_or_none(fit.constant.retention),
                    "se": finite_or_none(fit.constant.se),
                    "log_likelihood": finite_or_none(fit.constant.log_likelihood),
                    "mape": finite_or_none(fit.mape_constant),
                },
            },
            "by_cohort": {
                n: {
                    "alpha": finite_or_none(f.sbg.alpha),
                    "beta": finite_or_none(f.sbg.beta),
                    "converged": f.sbg.converged,
                }
                for n, f in self.by_cohort.items()
            },
            "backtest": None
            if bt is None
            else {
                "fit_periods": bt.fit_periods,
                "alpha": finite_or_none(bt.alpha),
                "beta": finite_or_none(bt.beta),
                "retention": finite_or_none(bt.retention),
                "mape_sbg": finite_or_none(bt.mape_sbg),
                "mape_constant": finite_or_none(bt.mape_constant),
            },
        }

    def fit(self, cohort: str | None = None) -> RetentionFit:
        """Return the pooled fit (``cohort`` None or ``"pooled"``) or one cohort's fit."""
        if cohort in (None, POOLED):
            return self.pooled
        if cohort in self.by_cohort:
            return self.by_cohort[cohort]
        why = self.skipped.get(cohort)
        if why:
            raise CalibrationError(f"cohort {cohort} has no fit of its own: {why}")
        raise CalibrationError(f"no cohort named {cohort} (cohorts: {', '.join(self.table.names)})")


def calibrate(
    source: CohortSource,
    *,
    fit_periods: int | None = None,
    backtest_periods: int | None = None,
    discount_rate: float = 0.10,
    tenure: int = 0,
    level: float = 0.95,
    cohort: str | None = None,
) -> Calibration:
    """Read a cohort table and fit sBG pooled and per cohort, with a backtest.

    Parameters
    ----------
    source : str, path-like, DataFrame or CohortTable
        The cohort table.
    fit_periods : int, optional
        Fit on periods 0..fit_periods (default all observed).
    backtest_periods : int, optional
        Periods fitted in the backtest; the rest are held out. Default: ``fit_periods`` when it
        leaves periods out, otherwise 60% of the longest cohort's periods (at least 2). No
        backtest when nothing would be held out.
    discount_rate : float
        Annual discount rate for DEL and DERL, decimal [1/year].
    tenure : int
        Renewals made by the customers DERL and the retention interval refer to.
    level : float
        Confidence level of the intervals.
    cohort : str, optional
        A cohort that gets a fit of its own even beyond the first ``MAX_COHORT_FITS``.

    Returns
    -------
    Calibration
        Pooled and per-cohort fits (the first ``MAX_COHORT_FITS`` cohorts with at least two
        periods, and ``cohort``), backtest, validated table. Fitting works on the summed
        counts per period (see ``_sufficient``), so its cost hardly grows with the rows.

    Examples
    --------
    >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
    >>> df = pd.DataFrame({"cohort": "regular", "period": range(13),
    ...                    "active": FADER_HARDIE_2007_REGULAR})
    >>> cal = calibrate(df)
    >>> cal.backtest.fit_periods, round(cal.backtest.alpha, 3), round(cal.backtest.beta, 3)
    (7, 0.704, 1.182)
    """
    table = read_cohorts(source)
    fit = functools.partial(
        fit_retention,
        table,
        fit_periods=fit_periods,
        discount_rate=discount_rate,
        tenure=tenure,
        level=level,
    )
    pooled = fit(name=POOLED)
    by_cohort, skipped = {}, {}
    fitted_alone = 0
    names = table.names  # once: the loop below is O(1) per cohort
    window = table.lengths if fit_periods is None else np.minimum(table.lengths, fit_periods + 1)
    too_short = "fewer than 2 periods after acquisition (it still counts in the pooled fit)"
    beyond_cap = (
        f"only the first {MAX_COHORT_FITS} cohorts are fitted alone (limit "
        "MAX_COHORT_FITS; ask for this one with cohort=...); it counts in the pooled fit"
    )
    for n, size in zip(names, window.tolist(), strict=True):
        if size < 3:
            skipped[n] = too_short
            continue
        if len(names) == 1:  # the pooled fit is this cohort's fit
            by_cohort[n] = dataclasses.replace(pooled, name=n)
            continue
        if fitted_alone >= MAX_COHORT_FITS and n != cohort:
            skipped[n] = beyond_cap
            continue
        fitted_alone += 1
        by_cohort[n] = fit(cohorts=[n], name=n)
    longest = table.n_periods
    if backtest_periods is None:
        if fit_periods is not None and fit_periods < longest:
            backtest_periods = fit_periods
        else:
            backtest_periods = max(2, int(0.6 * longest))
    backtest = _backtest(table, table.names, int(backtest_periods)) if longest >= 3 else None
    return Calibration(
        table=table, pooled=pooled, by_cohort=by_cohort, backtest=backtest, skipped=skipped
    )
