"""Discounted expected lifetimes of the sBG model: DEL, DERL and the series behind them.

The second room of :mod:`cxroi.engine.retention`. Both lifetimes are a Gauss hypergeometric
function 2F1(1, b; c; 1/(1+d)) times a factor (Fader & Hardie, 2010, eqs. 3 and 6);
:func:`hyp2f1_unit_a` sums it directly where a proven tail bound says the series is done soon
and by the connection formula of Abramowitz & Stegun (1964), 15.3.6, where the discount rate is
small. The direct series needs nothing beyond numpy, so a business case's lifetimes do not
import scipy.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a Contractual
   Setting: The Perils of Ignoring Heterogeneity." Marketing Science, 29(1), 85-93.
.. [2] Abramowitz, M. and Stegun, I. A. (1964). Handbook of Mathematical Functions,
   15.3.6. National Bureau of Standards.
"""

from __future__ import annotations

import numpy as np

from cxroi.engine.retention.curves import _as_float_arrays, _check_shapes, _require, _wrap, special

__all__ = [
    "discounted_expected_lifetime",
    "discounted_expected_residual_lifetime",
    "hyp2f1_unit_a",
]


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
        {}_2F_1(1, b; c; z) = \sum_{k \ge 0} \frac{(b)_k}{(c)_k} z^k

    Where the proven tail bound says the series is done within 200,000 terms (z not near 1,
    or c - b large) it is summed directly, as ``scipy.special.hyp2f1`` loses accuracy for
    large b and c. Otherwise (d small) the connection formula of Abramowitz & Stegun (1964),
    15.3.6, in 1 - z is used, with its limit where c - b is an integer.

    References
    ----------
    .. [1] Abramowitz, M. and Stegun, I. A. (1964), Handbook of Mathematical Functions, 15.3.6.

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
    .. [1] Fader, P. S. and Hardie, B. G. S. (2010), Marketing Science, 29(1), 85-93.

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
    .. [1] Fader, P. S. and Hardie, B. G. S. (2010), Marketing Science, 29(1), 85-93.

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
