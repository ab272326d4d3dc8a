"""Maximum-likelihood fit of the sBG model to cohorts' survivor counts.

The third room of :mod:`cxroi.engine.retention`: the log-likelihood of Fader & Hardie (2007),
eq. (9), its analytic gradient and Hessian, a Levenberg-Marquardt-damped Newton search over
(ln alpha, ln beta), and :class:`SBGFit`, the estimate with its standard errors from the observed
information, for one cohort (:func:`fit_sbg`) or several sharing alpha and beta
(:func:`fit_sbg_pooled`).

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
   Journal of Interactive Marketing, 21(1), 76-90.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cxroi.engine.retention.curves import (
    FADER_HARDIE_2007_REGULAR,  # noqa: F401 - the examples below fit it
    _as_float_arrays,
    _check_shapes,
    _wrap,
    sbg_churn_probability,
    sbg_retention,
    sbg_survival,
    special,
)

__all__ = [
    "SBGFit",
    "fit_sbg",
    "fit_sbg_pooled",
    "sbg_log_likelihood",
]


def _validate_survivors(survivors, name="survivors", min_values=3):
    """Return survivors as a float array or raise ValueError with an actionable message."""
    try:
        s = np.asarray(survivors, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric counts, got {survivors!r}") from None
    if s.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (S(0), S(1), ..., S(T)); got shape {s.shape}"
        )
    if s.size < min_values:
        need = " (S(0), S(1), S(2))" if min_values == 3 else " (S(0), S(1))"
        raise ValueError(
            f"{name} needs at least {min_values - 1} period{'s' if min_values > 2 else ''} "
            f"after acquisition{need}; "
            f"got {s.size} value(s)"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} must be finite numbers; got {s.tolist()}")
    if np.any(s < 0):
        t = int(np.flatnonzero(s < 0)[0])
        raise ValueError(f"{name} must be non-negative; S({t}) = {s[t]:g}")
    if s[0] <= 0:
        raise ValueError(f"{name}[0] (the cohort size S(0)) must be > 0; got {s[0]:g}")
    rises = np.flatnonzero(np.diff(s) > 0)
    if rises.size:
        t = int(rises[0]) + 1
        raise ValueError(
            f"{name} must not increase: S({t}) = {s[t]:g} > S({t - 1}) = {s[t - 1]:g}; "
            "a cohort can only lose customers"
        )
    return s


def _terms(cohorts):
    """Likelihood terms (u, v, w, total) for one or more survivor arrays.

    Each cohort contributes, for t = 1..T, w = S(t-1) - S(t) churners with probability
    B(alpha + 1, beta + t - 1) / B(alpha, beta) (u = 1, v = t - 1), and w = S(T) survivors with
    probability B(alpha, beta + T) / B(alpha, beta) (u = 0, v = T). ``total`` = sum of S(0).
    """
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    ws: list[np.ndarray] = []
    for s in cohorts:
        big_t = s.size - 1
        t = np.arange(1, big_t + 1, dtype=float)
        us += [np.ones(big_t), np.zeros(1)]
        vs += [t - 1, np.full(1, float(big_t))]
        ws += [s[:-1] - s[1:], s[-1:]]
    u, v, w = (np.concatenate(x).astype(float) for x in (us, vs, ws))
    keep = w > 0
    return u[keep], v[keep], w[keep], float(sum(s[0] for s in cohorts))


def _loglik(a, b, u, v, w, total):
    a = np.asarray(a, dtype=float)[..., None]
    b = np.asarray(b, dtype=float)[..., None]
    ll = np.sum(w * special.betaln(a + u, b + v), axis=-1)
    return ll - total * special.betaln(a[..., 0], b[..., 0])


def _grad_hess(a, b, u, v, w, total):
    """Gradient and Hessian of the log-likelihood in (alpha, beta)."""
    psi, psi1 = special.digamma, lambda x: special.polygamma(1, x)
    s = a + b + u + v
    ga = np.sum(w * (psi(a + u) - psi(s))) - total * (psi(a) - psi(a + b))
    gb = np.sum(w * (psi(b + v) - psi(s))) - total * (psi(b) - psi(a + b))
    p1s = psi1(s)
    haa = np.sum(w * (psi1(a + u) - p1s)) - total * (psi1(a) - psi1(a + b))
    hbb = np.sum(w * (psi1(b + v) - p1s)) - total * (psi1(b) - psi1(a + b))
    hab = -np.sum(w * p1s) + total * psi1(a + b)
    return np.array([ga, gb]), np.array([[haa, hab], [hab, hbb]])


def sbg_log_likelihood(alpha, beta, survivors):
    r"""Log-likelihood of a cohort's survivor counts under the sBG model.

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0; broadcast against each other (for likelihood grids).
    survivors : array_like
        Customers of the cohort active at t = 0..T [customers], non-increasing, S(0) > 0,
        T >= 1.

    Returns
    -------
    float or ndarray
        LL [nats].

    Notes
    -----
    Fader & Hardie (2007), eq. (9):

    .. math::
        LL(\alpha, \beta) = \sum_{t=1}^{T} [S(t-1) - S(t)] \ln P(T = t \mid \alpha, \beta)
        + S(T) \ln S(T \mid \alpha, \beta)

    with S(t) in counts on the left of each logarithm and as the sBG survival share inside
    the second.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> round(sbg_log_likelihood(0.704, 1.182, FADER_HARDIE_2007_REGULAR[:8]), 1)
    -1680.3
    """
    s = _validate_survivors(survivors, min_values=2)
    a, b = _as_float_arrays(alpha, beta)
    _check_shapes(a, b)
    return _wrap(_loglik(a, b, *_terms([s])), alpha, beta)


@dataclass(frozen=True)
class SBGFit:
    """Maximum-likelihood sBG fit to one cohort, or to several cohorts sharing alpha and beta.

    Attributes
    ----------
    alpha, beta : float
        Estimated shape parameters [-].
    log_likelihood : float
        Maximised log-likelihood [nats].
    se_alpha, se_beta : float
        Standard errors from the inverse observed information matrix (analytic Hessian of the
        log-likelihood at the optimum) [-]; nan when the Hessian is not negative definite.
    cov : ndarray
        2 x 2 covariance matrix of (alpha, beta).
    n_periods : int
        Number of observed periods T after acquisition (the longest cohort for a pooled fit).
    converged : bool
        True when the estimate is an interior maximum: not pinned to the search bounds, the
        observed information is positive definite and a further Newton step would raise the
        log-likelihood by less than 1e-8.
    cohorts : tuple of tuple of float
        The survivor counts that were fitted, one tuple per cohort.
    message : str
        What the optimiser concluded, in words.
    """

    alpha: float
    beta: float
    log_likelihood: float
    se_alpha: float
    se_beta: float
    cov: np.ndarray = field(compare=False, repr=False)
    n_periods: int
    converged: bool
    cohorts: tuple = field(repr=False)
    message: str = ""

    @property
    def survivors(self):
        """Survivor counts of the first (or only) fitted cohort [customers]."""
        return np.asarray(self.cohorts[0], dtype=float)

    @property
    def cohort_size(self):
        """S(0) of the first (or only) fitted cohort [customers]."""
        return float(self.cohorts[0][0])

    def survival(self, t):
        """Fitted survival share S(t) [share]; see :func:`sbg_survival`."""
        return sbg_survival(self.alpha, self.beta, t)

    def retention(self, t):
        """Fitted retention rate r_t, t >= 1 [share]; see :func:`sbg_retention`."""
        return sbg_retention(self.alpha, self.beta, t)

    def churn_probability(self, t):
        """Fitted P(T = t), t >= 1 [probability]; see :func:`sbg_churn_probability`."""
        return sbg_churn_probability(self.alpha, self.beta, t)

    def project(self, horizon_periods, cohort_size=None):
        """Project the customers active at t = 0..horizon_periods [customers].

        Parameters
        ----------
        horizon_periods : int
            Last period to project, >= 0 [periods].
        cohort_size : float, optional
            S(0) [customers]; defaults to the size of the first fitted cohort.

        Returns
        -------
        ndarray
            ``cohort_size * S(t)`` for t = 0..horizon_periods.
        """
        horizon = int(horizon_periods)
        if horizon < 0 or horizon != horizon_periods:
            raise ValueError(f"horizon_periods must be an integer >= 0 (got {horizon_periods!r})")
        size = self.cohort_size if cohort_size is None else float(cohort_size)
        return size * np.asarray(self.survival(np.arange(horizon + 1)), dtype=float).reshape(-1)


_LOG_BOUND = 16.0  # search |ln alpha|, |ln beta| <= 16, i.e. roughly 1e-7 .. 9e6


def _solve2(a00, a01, a11, g0, g1):
    """Solve the symmetric 2 x 2 system [[a00, a01], [a01, a11]] x = g; None if not PD."""
    det = a00 * a11 - a01 * a01
    if not (a00 > 0 and det > 0 and np.isfinite(det)):
        return None
    return np.array([(a11 * g0 - a01 * g1) / det, (a00 * g1 - a01 * g0) / det])


def _levenberg_marquardt(theta, negll, grad_hess_log, max_iter=500):
    """Minimise a smooth function of 2 variables by Levenberg-Marquardt-damped Newton steps.

    Written out for 2 x 2 systems on purpose: scipy's L-BFGS-B calls multithreaded BLAS for
    every iteration, which on a busy machine costs milliseconds per call for a 2-vector.
    """
    fun = negll(theta)
    lam = 1e-4
    for _ in range(max_iter):
        g, h = grad_hess_log(theta)
        scale = max(abs(h[0, 0]), abs(h[1, 1]), 1e-12)
        moved = False
        while lam < 1e12:
            step = _solve2(h[0, 0] + lam * scale, h[0, 1], h[1, 1] + lam * scale, g[0], g[1])
            if step is not None:
                candidate = np.clip(theta - step, -_LOG_BOUND, _LOG_BOUND)
                f_new = negll(candidate)
                if np.isfinite(f_new) and f_new <= fun:
                    moved = f_new < fun or np.max(np.abs(candidate - theta)) > 0
                    done = np.max(np.abs(candidate - theta)) < 1e-12 or fun - f_new < 1e-14
                    theta, fun = candidate, f_new
                    lam = max(lam / 10, 1e-12)
                    break
            lam *= 10
        if not moved or done:
            break
    return theta, fun


def _fit(cohorts):
    u, v, w, total = _terms(cohorts)

    def negll(theta):
        a, b = np.exp(theta)
        return -float(_loglik(a, b, u, v, w, total))

    def grad_hess_log(theta):
        """Gradient and Hessian of the negative log-likelihood in (ln alpha, ln beta)."""
        a, b = np.exp(theta)
        g, h = _grad_hess(a, b, u, v, w, total)
        scale = np.array([a, b])
        return -g * scale, -(h * np.outer(scale, scale) + np.diag(g * scale))

    # Starts: a grid over plausible shapes plus a moment-style start matching the first-period
    # retention of the pooled data with a moderate amount of heterogeneity.
    s0 = sum(s[0] for s in cohorts)
    s1 = sum(s[1] for s in cohorts)
    r1 = min(max(s1 / s0, 1e-3), 1 - 1e-3)
    starts = [np.log([1.0 - r1, r1])]
    starts += [np.array([la, lb]) for la in (-1.0, 0.5, 2.0) for lb in (-1.0, 0.5, 2.0)]
    best_theta, best_fun = None, np.inf
    for x0 in starts:
        theta, fun = _levenberg_marquardt(np.asarray(x0, dtype=float), negll, grad_hess_log)
        if np.isfinite(fun) and fun < best_fun:
            best_theta, best_fun = theta, fun
    if best_theta is None:
        raise ValueError("the sBG log-likelihood is not finite anywhere tried")
    theta = best_theta
    at_bound = bool(np.any(np.abs(theta) > _LOG_BOUND - 0.5))
    a, b = (float(x) for x in np.exp(theta))
    ll = float(_loglik(a, b, u, v, w, total))
    g, h = _grad_hess(a, b, u, v, w, total)
    info = -h
    try:
        pos_def = bool(np.all(np.linalg.eigvalsh(info) > 0))
    except np.linalg.LinAlgError:
        pos_def = False
    cov = np.linalg.inv(info) if pos_def else np.full((2, 2), np.nan)
    cov.setflags(write=False)
    # Newton decrement g' H^-1 g: the log-likelihood a further Newton step could still gain.
    decrement = float(g @ cov @ g) if pos_def else np.inf
    converged = (not at_bound) and pos_def and decrement < 1e-8
    # Without heterogeneity the likelihood keeps creeping up along a ridge towards infinite
    # alpha and beta (or towards 0): the search stops far out with a flat, singular Hessian.
    if not converged and bool(np.any(np.abs(theta) > 9.0)):
        at_bound = True
    if at_bound:
        message = (
            "alpha or beta ran to the search bound: the counts show no heterogeneity in "
            "churn (or no churn, or everyone churned at once), so the sBG parameters are not "
            "identified; a constant retention rate describes these counts as well"
        )
    elif not pos_def:
        message = "the observed information is not positive definite at the best point found"
    elif not converged:
        message = (
            f"the optimiser did not reach a clean maximum (remaining gain {decrement:.2g} nats)"
        )
    else:
        message = "converged"
    return SBGFit(
        alpha=a,
        beta=b,
        log_likelihood=ll,
        se_alpha=float(np.sqrt(cov[0, 0])),
        se_beta=float(np.sqrt(cov[1, 1])),
        cov=cov,
        n_periods=int(max(s.size for s in cohorts) - 1),
        converged=converged,
        cohorts=tuple(tuple(float(x) for x in s) for s in cohorts),
        message=message,
    )


def fit_sbg(survivors):
    r"""Fit the sBG model to one cohort's survivor counts by maximum likelihood.

    Parameters
    ----------
    survivors : array_like
        Customers active at t = 0, 1, ..., T [customers]: S(0) is the cohort size (> 0), the
        counts are non-negative and non-increasing, and T >= 2.

    Returns
    -------
    SBGFit
        Estimates, standard errors, log-likelihood and convergence flag.

    Raises
    ------
    ValueError
        If the counts are not 1-D, not numeric, negative, increasing, S(0) <= 0 or T < 2.

    Notes
    -----
    Maximises Fader & Hardie (2007), eq. (9) (see :func:`sbg_log_likelihood`) over
    (ln alpha, ln beta) by Levenberg-Marquardt-damped Newton steps with the analytic gradient
    and Hessian, from ten starting points, keeping the best. Standard errors come from the
    inverse of the observed information matrix -H(alpha, beta) at the optimum. When the data
    show no heterogeneity the likelihood keeps rising as alpha, beta grow with
    beta / (alpha + beta) fixed; the fit then stops at the bound and ``converged`` is False.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> fit = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    >>> round(fit.alpha, 3), round(fit.beta, 3), fit.converged
    (0.704, 1.182, True)
    >>> round(float(fit.project(12)[-1]))
    170
    """
    return _fit([_validate_survivors(survivors)])


def fit_sbg_pooled(cohorts: Sequence):
    r"""Fit one sBG model (shared alpha, beta) to several cohorts by maximum likelihood.

    Parameters
    ----------
    cohorts : sequence of array_like
        One survivor array per cohort, each as in :func:`fit_sbg`; lengths may differ (younger
        cohorts are observed for fewer periods, down to S(0), S(1)); the longest cohort needs
        at least S(0), S(1), S(2).

    Returns
    -------
    SBGFit
        As :func:`fit_sbg`; ``n_periods`` is the longest cohort's T.

    Notes
    -----
    The pooled log-likelihood is the sum of the cohorts' log-likelihoods, eq. (9) of
    Fader & Hardie (2007), evaluated at the same (alpha, beta).

    Examples
    --------
    >>> one = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    >>> two = fit_sbg_pooled([FADER_HARDIE_2007_REGULAR[:8]] * 2)
    >>> bool(abs(one.alpha - two.alpha) < 1e-6), round(two.log_likelihood / one.log_likelihood, 6)
    (True, 2.0)
    """
    if isinstance(cohorts, np.ndarray) and cohorts.ndim == 1:
        raise ValueError("cohorts must be a sequence of survivor arrays, one per cohort")
    items = list(cohorts)
    if not items:
        raise ValueError("cohorts must contain at least one cohort")
    arrays = [
        _validate_survivors(s, name=f"cohorts[{i}]", min_values=2) for i, s in enumerate(items)
    ]
    if max(s.size for s in arrays) < 3:
        raise ValueError(
            "cohorts: the longest cohort needs at least 2 periods after acquisition "
            "(S(0), S(1), S(2)) to identify alpha and beta"
        )
    return _fit(arrays)
