"""Shifted-beta-geometric (sBG) retention maths for contractual customer bases.

Every customer renews each period with a fixed probability ``1 - p``; the churn probability
``p`` varies across customers following a Beta(alpha, beta) distribution. Aggregating over that
heterogeneity gives the survival curve, the period-by-period retention rate (which *rises* with
tenure, because the customers most likely to leave go first) and closed forms for discounted
expected lifetimes.

Glossary (names in the API, symbols in the formulas):

* ``alpha``, ``beta`` (alpha, beta) -- shape parameters of the Beta mixing distribution of the
  per-period churn probability [-]. Mean churn probability is alpha / (alpha + beta).
* ``t`` -- number of periods since acquisition [periods]; the cohort is acquired at t = 0.
* ``n`` -- as in Fader & Hardie (2010): the customer has made ``n - 1`` renewals and is about to
  decide on the n-th.
* ``discount_rate`` (d) -- per-period discount rate, a decimal (0.10, not 10) [1/period].
* ``survivors`` -- customers of one cohort still active at t = 0, 1, ..., T [customers].

All functions broadcast like numpy: a scalar input gives a Python float, arrays give arrays and
a pandas Series gives a Series with the same index.

Size: this module is larger than the ~800 lines the package aims at because most of it is docstrings
carrying each equation and its source; the code is one family of closed forms (survival, retention,
lifetimes, fits) of one model.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
   Journal of Interactive Marketing, 21(1), 76-90.
.. [2] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a Contractual
   Setting: The Perils of Ignoring Heterogeneity." Marketing Science, 29(1), 85-93.
.. [3] Gupta, S. and Lehmann, D. R. (2003). "Customers as Assets." Journal of Interactive
   Marketing, 17(1), 9-24.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class _SciPySpecial:
    """:mod:`scipy.special`, imported on first use of one of its functions.

    Importing it costs about as much as numpy itself, and the lifetimes of a business case
    (DEL and CLV by the direct series of :func:`hyp2f1_unit_a`) do not need it, so
    ``cxroi run`` does not pay for it.
    """

    def __getattr__(self, name: str):
        from scipy import special

        return getattr(special, name)


special = _SciPySpecial()

__all__ = [
    "FADER_HARDIE_2007_HIGH_END",
    "FADER_HARDIE_2007_HIGH_END_FIT",
    "FADER_HARDIE_2007_REGULAR",
    "FADER_HARDIE_2007_REGULAR_FIT",
    "FADER_HARDIE_2010_TABLE3_CASE",
    "FADER_HARDIE_2010_TABLE3_DERL",
    "SBGFit",
    "discounted_expected_lifetime",
    "discounted_expected_residual_lifetime",
    "fit_sbg",
    "fit_sbg_pooled",
    "margin_multiple",
    "sbg_churn_probability",
    "sbg_log_likelihood",
    "sbg_retention",
    "sbg_survival",
]

# ---------------------------------------------------------------------------------------------
# Published reference data
# ---------------------------------------------------------------------------------------------

#: Customers still active, of 1000 "regular" customers acquired at year 0, at years 0..12.
#: Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive Marketing 21(1),
#: Table 1 / Figure 1 (the "regular" segment).
FADER_HARDIE_2007_REGULAR = (1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173)

#: Customers still active, of 1000 "high end" customers, at years 0..12. Same source, same table.
FADER_HARDIE_2007_HIGH_END = (1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394)

#: Maximum-likelihood (alpha, beta) the paper reports for the regular segment, years 0..7.
FADER_HARDIE_2007_REGULAR_FIT = (0.704, 1.182)

#: Maximum-likelihood (alpha, beta) the paper reports for the high-end segment, years 0..7.
FADER_HARDIE_2007_HIGH_END_FIT = (0.668, 3.806)

#: (alpha, beta, discount_rate) of the worked case in Fader & Hardie (2010), Table 3.
FADER_HARDIE_2010_TABLE3_CASE = (3.80, 15.20, 0.10)

#: DERL for n = 1..5 in that case, as printed (two decimals). Fader & Hardie (2010), Table 3.
FADER_HARDIE_2010_TABLE3_DERL = (3.31, 3.45, 3.59, 3.72, 3.84)


# ---------------------------------------------------------------------------------------------
# Helpers: broadcasting, validation, output type
# ---------------------------------------------------------------------------------------------


def _as_float_arrays(*values):
    arrays = [np.asarray(v, dtype=float) for v in values]
    return np.broadcast_arrays(*arrays)


def _require(name, values, ok, rule):
    """Raise ValueError naming the first offending value when ``ok`` is not all true."""
    ok = np.asarray(ok)
    if not np.all(ok):
        bad = np.asarray(values)[~ok] if np.ndim(values) else values
        first = bad.flat[0] if isinstance(bad, np.ndarray) else bad
        raise ValueError(f"{name} must be {rule} (got {first!r})")


def _wrap(result, *inputs):
    """Return a float for 0-d results, a Series if any input was one, else the array."""
    result = np.asarray(result, dtype=float)
    if result.ndim == 0:
        return float(result)
    pd = sys.modules.get("pandas")
    if pd is not None:
        for x in inputs:
            if isinstance(x, pd.Series) and result.shape == (len(x),):
                return pd.Series(result, index=x.index, name=x.name)
    return result


def _check_shapes(alpha, beta):
    _require("alpha", alpha, np.isfinite(alpha) & (alpha > 0), "a finite number > 0")
    _require("beta", beta, np.isfinite(beta) & (beta > 0), "a finite number > 0")


def _shapes_and_periods(alpha, beta, t, first):
    """``alpha``, ``beta`` and ``t`` as broadcast float arrays, checked.

    The shapes must be finite and > 0, ``t`` a finite number of periods >= ``first``.
    """
    a, b, tt = _as_float_arrays(alpha, beta, t)
    _check_shapes(a, b)
    _require("t", tt, np.isfinite(tt) & (tt >= first), f"a finite number of periods >= {first}")
    return a, b, tt


def _check_discount(discount_rate):
    _require(
        "discount_rate",
        discount_rate,
        np.isfinite(discount_rate) & (discount_rate >= 0),
        "a finite decimal >= 0 (0.10 means 10%)",
    )


def _ratio_series(num0, den0, z, max_terms):
    """Sum of t_0 = 1, t_(k+1) = t_k (num0 + k) / (den0 + k) z, at most ``max_terms`` terms.

    Vectorised in blocks of 256 terms (cumprod of the term ratios). An element stops once the
    tail it has left is proven below 1e-17 of its sum: past k > -num0 and k > -den0 the ratio
    (num0 + j) / (den0 + j) moves monotonically towards 1, so every later ratio is at most
    rho = max(|z|, |z (num0 + k) / (den0 + k)|) in size and, when rho < 1, the tail after the
    last term t is at most |t| rho / (1 - rho).
    """
    total = np.ones_like(num0)
    last = np.ones_like(num0)
    active = np.flatnonzero(z != 0)
    k = 0
    block = 256
    while active.size and k < max_terms:
        j = k + np.arange(block)
        ratios = (num0[active, None] + j) / (den0[active, None] + j) * z[active, None]
        terms = last[active, None] * np.cumprod(ratios, axis=1)
        total[active] += terms.sum(axis=1)
        last[active] = terms[:, -1]
        k += block
        n0, d0, za = num0[active], den0[active], z[active]
        monotone = (n0 + k > 0) & (d0 + k > 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rho = np.maximum(np.abs(za), np.abs(za * (n0 + k) / (d0 + k)))
            tail = np.abs(last[active]) * rho / (1.0 - rho)
        done = monotone & (rho < 1) & (tail <= 1e-17 * np.abs(total[active]))
        active = active[~done]
    return total


#: Terms the direct series may use before the connection formula takes over.
_DIRECT_TERMS = 200_000


def _direct_terms_needed(b, c, z):
    """Terms after which the proven tail bound of the direct series is below 1e-16.

    With s = c - b the ratios (b + k) / (c + k) z are below both z and exp(-s / (c + k)),
    so after term k the tail is at most t_k min(z / (1 - z), (c + k) / (s - 1)) (the second
    for s > 1), with t_k <= z^k and t_k <= (c / (c + k))^s.
    """
    s = c - b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_z = np.log(z)
        by_z = np.where(log_z < 0, (np.log(1e-16) + np.log1p(-z)) / log_z, np.inf)
        # (c / (c + k))^(s - 1) c / (s - 1) < 1e-16  <=>  k > c (((c / (s - 1)) 1e16)^(1/(s-1)) - 1)
        by_power = np.where(
            s > 1.5, c * np.expm1((np.log(c / (s - 1)) + 16 * np.log(10)) / (s - 1)), np.inf
        )
    return np.minimum(np.maximum(by_z, 0), np.maximum(by_power, 0))


def _connection(b, c, d):
    """2F1(1, b; c; 1/(1+d)) by the z -> 1 - z connection formula (Abramowitz & Stegun 15.3.6).

    With s = c - b and e = 1 - z = d / (1 + d), the second hypergeometric of 15.3.6 reduces to
    (1 - e)^(1 - c) = (1 + d)^(c - 1), leaving

        2F1(1, b; c; z) = (c - 1) / (s - 1) 2F1(1, b; 2 - s; e)
                          + Gamma(c) Gamma(1 - s) / Gamma(b) e^(s - 1) (1 + d)^(c - 1),

    whose series in e converges fast for small d. For s an integer both terms have poles that
    cancel; there the result is the limit, taken as a fourth-order symmetric average over
    s +- h, s +- 2h (h = 2e-4), which is analytic in s.
    """
    s = c - b
    near = np.abs(s - np.round(s)) < 2e-3
    out = np.empty_like(b)
    far = ~near
    if far.any():
        out[far] = _connection_plain(b[far], c[far], d[far])
    if near.any():
        h = 2e-4
        cn = np.round(s[near]) + b[near]
        bn, dn = b[near], d[near]
        one = (_connection_plain(bn, cn + h, dn) + _connection_plain(bn, cn - h, dn)) / 2
        two = (_connection_plain(bn, cn + 2 * h, dn) + _connection_plain(bn, cn - 2 * h, dn)) / 2
        out[near] = (4 * one - two) / 3
    return out


def _connection_plain(b, c, d):
    """The connection formula of ``_connection`` for c - b not an integer."""
    s = c - b
    e = d / (1.0 + d)
    with np.errstate(all="ignore"):
        first = (c - 1.0) / (s - 1.0) * _ratio_series(b, 2.0 - s, e, 20_000)
        log_second = (
            special.gammaln(c)
            + special.gammaln(1.0 - s)
            - special.gammaln(b)
            + (s - 1.0) * np.log(e)
            + (c - 1.0) * np.log1p(d)
        )
        return first + special.gammasgn(1.0 - s) * np.exp(log_second)


def hyp2f1_unit_a(b, c, discount_rate):
    r"""Gauss hypergeometric :math:`{}_2F_1(1, b; c; 1/(1+d))` for 0 < b < c and d >= 0.

    The sum behind sBG lifetimes (DEL, DERL, CLV and the residual value of customers kept past
    the horizon). Always terminates, in a bounded number of terms.

    Parameters
    ----------
    b, c : float or array_like
        Parameters [-], 0 < b < c; broadcast together with ``discount_rate``.
    discount_rate : float or array_like
        d [1/period], decimal, >= 0; the argument is z = 1/(1+d).

    Returns
    -------
    ndarray
        The value; at d = 0 it is (c - 1)/(c - b - 1) when c - b > 1 and ``inf`` otherwise
        (the series diverges). For d -> 0+ and c - b <= 1 it grows without bound and may
        overflow to ``inf``.

    Notes
    -----
    .. math::
        {}_2F_1(1, b; c; z) = \sum_{k \ge 0} rac{(b)_k}{(c)_k} z^k

    Where the proven tail bound says the series is done within 200,000 terms (z not near 1,
    or c - b large) it is summed directly, as ``scipy.special.hyp2f1`` loses accuracy for
    large b and c. Otherwise (d small) the connection formula of Abramowitz & Stegun (1964),
    15.3.6, in 1 - z is used, with its limit where c - b is an integer.

    References
    ----------
    .. [1] Abramowitz, M. and Stegun, I. A. (1964). Handbook of Mathematical Functions,
       15.3.6. National Bureau of Standards.

    Examples
    --------
    >>> round(float(hyp2f1_unit_a(15.2, 19.0, 0.1)), 4)
    4.0089
    >>> float(hyp2f1_unit_a(1.0, 3.0, 0.0))
    2.0
    """
    b, c, d = np.broadcast_arrays(*_as_float_arrays(b, c, discount_rate))
    shape = b.shape
    b, c, d = (np.array(x, dtype=float).ravel() for x in (b, c, d))
    out = np.empty_like(b)
    s = c - b
    s = np.where(np.abs(s - 1) <= 8 * np.finfo(float).eps * c, 1.0, s)  # alpha = 1 exactly
    zero = d == 0
    out[zero] = np.where(s[zero] > 1, (c[zero] - 1) / np.where(s[zero] > 1, s[zero] - 1, 1), np.inf)
    pos = ~zero
    z = 1.0 / (1.0 + d)
    direct = pos & (_direct_terms_needed(b, c, z) <= _DIRECT_TERMS)
    if direct.any():
        out[direct] = _ratio_series(b[direct], c[direct], z[direct], _DIRECT_TERMS + 512)
    conn = pos & ~direct
    if conn.any():
        out[conn] = _connection(b[conn], c[conn], d[conn])
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------------
# sBG quantities
# ---------------------------------------------------------------------------------------------


def sbg_survival(alpha, beta, t):
    r"""Share of a cohort still active ``t`` periods after acquisition under the sBG model.

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters of the Beta distribution of the churn probability [-], both > 0.
    t : float or array_like
        Periods since acquisition [periods], >= 0 (integers in the model; real values are
        accepted and interpolate the closed form).

    Returns
    -------
    float or ndarray or pandas.Series
        S(t) [share of the cohort, 0..1]; S(0) = 1.

    Notes
    -----
    Fader & Hardie (2007), eq. (7):

    .. math:: S(t \mid \alpha, \beta) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}

    computed as ``exp(betaln(alpha, beta + t) - betaln(alpha, beta))`` for numerical stability.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
       Journal of Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> round(sbg_survival(0.704, 1.182, 12) * 1000, 1)
    170.1
    >>> sbg_survival(1.0, 1.0, [0, 1, 3])
    array([1.  , 0.5 , 0.25])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=0)
    return _wrap(np.exp(special.betaln(a, b + tt) - special.betaln(a, b)), alpha, beta, t)


def sbg_churn_probability(alpha, beta, t):
    r"""Probability that a newly acquired customer churns in period ``t`` (sBG model).

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    t : float or array_like
        Period of churn [periods], >= 1.

    Returns
    -------
    float or ndarray or pandas.Series
        P(T = t) [probability]; equals S(t - 1) - S(t).

    Notes
    -----
    Fader & Hardie (2007), eq. (6):

    .. math:: P(T = t \mid \alpha, \beta) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)}

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
       Journal of Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> sbg_churn_probability(1.0, 1.0, [1, 2])
    array([0.5       , 0.16666667])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=1)
    out = np.exp(special.betaln(a + 1, b + tt - 1) - special.betaln(a, b))
    return _wrap(out, alpha, beta, t)


def sbg_retention(alpha, beta, t):
    r"""Retention rate in period ``t`` among customers active at the end of ``t - 1`` (sBG).

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    t : float or array_like
        Period [periods], >= 1. A customer facing period t has made t - 1 renewals, so the
        rate for a customer with k renewals made is ``sbg_retention(alpha, beta, k + 1)``
        = (beta + k) / (alpha + beta + k), as in docs/model.md §4.

    Returns
    -------
    float or ndarray or pandas.Series
        r_t = S(t) / S(t - 1) [share, 0..1]; increasing in t.

    Notes
    -----
    Fader & Hardie (2007), eq. (8):

    .. math:: r_t = \frac{\beta + t - 1}{\alpha + \beta + t - 1}

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
       Journal of Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> round(sbg_retention(0.704, 1.182, 1), 4)
    0.6267
    >>> sbg_retention(1.0, 3.0, [1, 2, 3]).round(4)
    array([0.75  , 0.8   , 0.8333])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=1)
    return _wrap((b + tt - 1) / (a + b + tt - 1), alpha, beta, t)


def discounted_expected_lifetime(alpha, beta, discount_rate):
    r"""Discounted expected lifetime of a just-acquired customer, in periods of margin.

    Counts the acquisition period (t = 0) as one full period, undiscounted: multiplied by a
    constant margin m received at the start of each period, m x DEL is the expected customer
    lifetime value at acquisition.

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    discount_rate : float or array_like
        Per-period discount rate d [1/period], decimal, >= 0. With d = 0 the result is finite
        only for alpha > 1 (it is then (alpha + beta - 1) / (alpha - 1)); otherwise inf.

    Returns
    -------
    float or ndarray or pandas.Series
        DEL(d) [periods].

    Notes
    -----
    Fader & Hardie (2010), eq. (3):

    .. math::
        DEL(d \mid \alpha, \beta) = \sum_{t=0}^{\infty} \frac{S(t)}{(1 + d)^t}
        = {}_2F_1\left(1, \beta; \alpha + \beta; \tfrac{1}{1 + d}\right)

    The hypergeometric function is evaluated by :func:`hyp2f1_unit_a`, which stays accurate
    for large alpha and beta and terminates for any d >= 0.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a Contractual
       Setting: The Perils of Ignoring Heterogeneity." Marketing Science, 29(1), 85-93.

    Examples
    --------
    >>> round(discounted_expected_lifetime(3.80, 15.20, 0.10), 4)
    4.0089
    """
    a, b, d = _as_float_arrays(alpha, beta, discount_rate)
    _check_shapes(a, b)
    _check_discount(d)
    shape = a.shape
    a, b, d = a.ravel(), b.ravel(), d.ravel()
    out = np.empty_like(a)
    zero = d == 0
    out[zero] = np.where(
        a[zero] > 1, (a[zero] + b[zero] - 1) / np.maximum(a[zero] - 1, 1e-300), np.inf
    )
    pos = ~zero
    out[pos] = hyp2f1_unit_a(b[pos], a[pos] + b[pos], d[pos])
    return _wrap(out.reshape(shape), alpha, beta, discount_rate)


def discounted_expected_residual_lifetime(alpha, beta, discount_rate, n):
    r"""Discounted expected residual lifetime of a customer who has made ``n - 1`` renewals.

    Evaluated just before the customer's n-th renewal decision: the period the customer may
    renew into counts 1 (undiscounted) if they renew, each later period is discounted by one
    more factor (1 + d). Equivalently DERL = sum_{t>=n} [S(t) / S(n - 1)] / (1 + d)^(t - n).

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    discount_rate : float or array_like
        Per-period discount rate d [1/period], decimal, > 0.
    n : int or array_like
        The paper's n >= 1: the customer has made n - 1 renewals.

    Returns
    -------
    float or ndarray or pandas.Series
        DERL(d | n - 1 renewals) [periods].

    Notes
    -----
    Fader & Hardie (2010), eq. (6):

    .. math::
        DERL(d \mid \alpha, \beta, n - 1) = \frac{\beta + n - 1}{\alpha + \beta + n - 1}
        \, {}_2F_1\left(1, \beta + n; \alpha + \beta + n; \tfrac{1}{1 + d}\right)

    For n = 1 it relates to the lifetime of a new customer by
    DERL(d | 0) = (1 + d) (DEL(d) - 1): DERL starts one period later and does not discount it.
    The formula reproduces the paper's Table 3 (alpha 3.80, beta 15.20, d 0.10 gives
    3.31, 3.45, 3.59, 3.72, 3.84 for n = 1..5).

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a Contractual
       Setting: The Perils of Ignoring Heterogeneity." Marketing Science, 29(1), 85-93.

    Examples
    --------
    >>> discounted_expected_residual_lifetime(3.8, 15.2, 0.1, [1, 2, 3]).round(2)
    array([3.31, 3.45, 3.59])
    """
    a, b, d, nn = _as_float_arrays(alpha, beta, discount_rate, n)
    _check_shapes(a, b)
    _require(
        "discount_rate",
        d,
        np.isfinite(d) & (d > 0),
        "a finite decimal > 0 (0.10 means 10%)",
    )
    _require("n", nn, np.isfinite(nn) & (nn >= 1), "a number >= 1 (renewals made + 1)")
    shape = a.shape
    factor = (b + nn - 1) / (a + b + nn - 1)
    series = hyp2f1_unit_a(b + nn, a + b + nn, d).reshape(shape)
    return _wrap(factor * series, alpha, beta, discount_rate, n)


def margin_multiple(retention, discount_rate):
    r"""Gupta-Lehmann margin multiple: customer value per unit of annual margin.

    Value of a customer's margin stream at the end of the first period under constant retention,
    as a multiple of the per-period margin (margins at period ends, first margin received only if
    the customer is retained).

    Parameters
    ----------
    retention : float or array_like
        Constant per-period retention rate r [share], 0 <= r <= 1.
    discount_rate : float or array_like
        Per-period discount rate i [1/period], decimal, with 1 + i - r > 0.

    Returns
    -------
    float or ndarray or pandas.Series
        r / (1 + i - r) [-].

    Notes
    -----
    Gupta & Lehmann (2003):

    .. math:: \text{multiple} = \frac{r}{1 + i - r}

    References
    ----------
    .. [1] Gupta, S. and Lehmann, D. R. (2003). "Customers as Assets." Journal of Interactive
       Marketing, 17(1), 9-24.

    Examples
    --------
    >>> round(margin_multiple(0.8, 0.10), 2)
    2.67
    >>> round(margin_multiple(0.9, 0.12), 2)
    4.09
    """
    r, i = _as_float_arrays(retention, discount_rate)
    _require("retention", r, np.isfinite(r) & (r >= 0) & (r <= 1), "a share between 0 and 1")
    _require("discount_rate", i, np.isfinite(i) & (i > -1), "a finite decimal > -1")
    _require("discount_rate", i, 1 + i - r > 0, "greater than retention - 1 so the sum converges")
    return _wrap(r / (1 + i - r), retention, discount_rate)


# ---------------------------------------------------------------------------------------------
# Maximum-likelihood fit
# ---------------------------------------------------------------------------------------------


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
    us, vs, ws = [], [], []
    for s in cohorts:
        big_t = s.size - 1
        t = np.arange(1, big_t + 1, dtype=float)
        us.append(np.ones(big_t))
        us.append([0.0])
        vs.append(t - 1)
        vs.append([float(big_t)])
        ws.append(s[:-1] - s[1:])
        ws.append([s[-1]])
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
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
       Journal of Interactive Marketing, 21(1), 76-90.

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
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
       Journal of Interactive Marketing, 21(1), 76-90.

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
