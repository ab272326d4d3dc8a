"""Discounted cash-flow measures: NPV, IRR, payback (docs/model.md §5).

Conventions (Forrester TEI): periods are years; cash flows are end-of-year, year 0 is today and
undiscounted; rates are decimals (0.10, not 10). Cash-flow arrays have years ``0..H`` on their
last axis and any leading batch shape. Functions return a Python float for 1-D input.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # numpy.typing is named for the type checker only: no import at run time
    from numpy.typing import ArrayLike

__all__ = [
    "discount_factors",
    "npv",
    "irr",
    "payback_years",
    "sign_changes",
    "IRR_BRACKET",
    "SIGN_TOLERANCE",
]

#: Rates searched for the IRR (docs/model.md §5).
IRR_BRACKET = (-0.9999, 1e6)
#: Cash flows no larger than this in magnitude count as zero when looking for a sign change.
SIGN_TOLERANCE = 1e-9


def _scalar(x: ArrayLike) -> float | None | np.ndarray:
    """A 0-d result as a float (None for NaN); an array as it is."""
    x = np.asarray(x)
    if x.ndim == 0:
        v = float(x)
        return None if np.isnan(v) else v
    return x


def discount_factors(discount_rate, horizon_years: int) -> np.ndarray:
    r"""End-of-year discount factors for years ``0..H``.

    .. math:: f_t = (1 + d)^{-t}

    Parameters
    ----------
    discount_rate : float or array_like
        d [1/year], decimal, > -1.
    horizon_years : int
        H [years].

    Returns
    -------
    ndarray, shape (..., H+1)

    Examples
    --------
    >>> discount_factors(0.10, 2).round(6).tolist()
    [1.0, 0.909091, 0.826446]
    """
    d = np.asarray(discount_rate, dtype=float)[..., None]
    return (1.0 + d) ** -np.arange(horizon_years + 1, dtype=float)


def npv(discount_rate, cashflows):
    r"""Net present value of end-of-year cash flows, year 0 undiscounted.

    .. math:: \mathrm{NPV} = \sum_{t=0}^{H} \frac{c_t}{(1+d)^t}

    Parameters
    ----------
    discount_rate : float or array_like
        d [1/year].
    cashflows : array_like, shape (..., H+1)
        c_0..c_H [money].

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(npv(0.10, [-100, 60, 60]), 6)
    4.132231
    """
    c = np.asarray(cashflows, dtype=float)
    return _scalar(np.sum(c * discount_factors(discount_rate, c.shape[-1] - 1), axis=-1))


def _has_both_signs(c: np.ndarray) -> np.ndarray:
    pos = np.any(c > SIGN_TOLERANCE, axis=-1)
    neg = np.any(c < -SIGN_TOLERANCE, axis=-1)
    return pos & neg


def sign_changes(cashflows) -> int:
    """Sign changes between consecutive non-zero cash flows (zeros skipped, none ignored).

    Every non-zero value counts, however small: this is the count of Descartes' rule of signs
    for the NPV polynomial actually evaluated, not the ``SIGN_TOLERANCE`` test of :func:`irr`.

    Examples
    --------
    >>> sign_changes([-100, 0, 60, 60])
    1
    >>> sign_changes([-100, 230, -132])
    2
    """
    c = np.asarray(cashflows, dtype=float)
    signs = np.signbit(c[c != 0.0])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


#: Halvings of the bracket in log(1 + rate) by the one-sign-change IRR: 23 / 2^64 < 2e-18, below
#: the spacing of doubles there, so the bisection ends on the root to the last bit it can resolve.
_EXACT_HALVINGS = 64


def _irr_one(c: np.ndarray) -> float:
    r"""IRR of one row of cash flows, the root :func:`irr` documents.

    With exactly one sign change among the non-zero flows, the root is found by bisection
    (:func:`_irr_vectorised`, run to the last bit) and SciPy is not imported; with more, by
    :func:`scipy.optimize.brentq`. Both give Brent's root on the bracket:

    In :math:`x = 1/(1 + r)` the NPV is the polynomial :math:`P(x) = \sum_t c_t x^t`, and
    :math:`r > -1` maps one-to-one, decreasingly, onto :math:`x > 0`. By Descartes' rule of
    signs, the number of positive roots of :math:`P` (with multiplicity) is the number of sign
    changes of its non-zero coefficients minus an even number; one sign change leaves exactly
    one positive root, and it is simple, so the NPV changes sign there and nowhere else for
    :math:`r > -1`. If it lies in the bracket the NPV has opposite signs at the two ends, Brent's
    method converges to it because there is no other root to converge to, and bisection does
    too; if not, the NPV has one sign at both ends and both give no IRR.

    References
    ----------
    .. [1] Curtiss, D. R. (1918). "Recent extensions of Descartes' rule of signs." Annals of
       Mathematics, 19(4), 251-278.
    """
    if not _has_both_signs(c):
        return np.nan
    if sign_changes(c) == 1:  # the unique root (docs/model.md, Projection and KPIs)
        return float(_irr_vectorised(c[None, :], iterations=_EXACT_HALVINGS)[0])
    from scipy.optimize import brentq  # several sign changes: Brent's method proper

    flows = [float(x) for x in c[::-1]]  # Horner's rule in v = 1 / (1 + rate), plain floats

    def npv_at_v(v: float) -> float:
        acc = 0.0
        for x in flows:
            acc = acc * v + x
        return acc

    def f(rate: float) -> float:
        return npv_at_v(1.0 / (1.0 + rate))

    lo, hi = IRR_BRACKET
    f_lo, f_hi = f(lo), f(hi)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if np.sign(f_lo) == np.sign(f_hi):
        return np.nan
    # Search in x = log(1 + rate): near rate = -1 the discount factor (1 + rate)^-t is huge, and a
    # tolerance on the rate itself would leave a large relative error in 1 + rate (and so in the
    # NPV); a tolerance on x is a relative tolerance on 1 + rate over the whole bracket.
    x = brentq(
        lambda x: npv_at_v(math.exp(-x)),
        math.log1p(lo),
        math.log1p(hi),
        xtol=1e-15,
        rtol=4 * np.finfo(float).eps,
        maxiter=500,
    )
    return math.expm1(x)


def irr(cashflows):
    r"""Internal rate of return: the rate at which the NPV of the cash flows is zero.

    Found by Brent's method on ``[-0.9999, 1e6]`` when the cash flows have both signs
    (ignoring values within 1e-9 of zero); NaN (``None`` for 1-D input) when they have one
    sign or the NPV has the same sign at both ends of the bracket (docs/model.md §5).
    Several sign changes can give several roots; Brent's method returns one of them.

    .. math:: \sum_{t=0}^{H} \frac{c_t}{(1+\mathrm{IRR})^t} = 0

    With a single sign change among the non-zero flows the root in ``rate > -1`` is unique
    (Descartes' rule of signs), so it is found without SciPy, by bisection to the last bit;
    SciPy's ``brentq`` is imported only for flows with several sign changes (see
    ``_irr_one``). Rows of a 2-D input share one vectorised bisection.

    Parameters
    ----------
    cashflows : array_like, shape (..., H+1)

    Returns
    -------
    float, None or ndarray

    Examples
    --------
    >>> round(irr([-100, 60, 60]), 6)
    0.130662
    >>> irr([100, 50]) is None
    True
    """
    c = np.asarray(cashflows, dtype=float)
    if c.ndim == 1:
        return _scalar(_irr_one(c))
    flat = c.reshape(-1, c.shape[-1])
    out = _irr_vectorised(flat)
    return out.reshape(c.shape[:-1])


def _irr_vectorised(c: np.ndarray, iterations: int = 48) -> np.ndarray:
    """IRR of many cash-flow rows at once, by bisection on x = log(1 + rate).

    Bisection over the whole bracket keeps every row bracketed without a Python loop per row;
    48 halvings of the 23-wide bracket in x leave an error below 1e-13 in x. The NPV is a
    polynomial in v = exp(-x), evaluated by Horner's rule. The result agrees with Brent's method
    wherever the root in the bracket is unique.
    """
    lo = np.full(c.shape[0], np.log1p(IRR_BRACKET[0]))
    hi = np.full(c.shape[0], np.log1p(IRR_BRACKET[1]))
    columns = [np.ascontiguousarray(c[:, t]) for t in range(c.shape[1])]

    def f(x: np.ndarray) -> np.ndarray:
        v = np.exp(-x)
        acc = columns[-1].copy()
        for col in columns[-2::-1]:
            acc *= v
            acc += col
        return acc

    # the NPV's sign at lo never changes (lo moves only to a mid of that sign): found once
    sign_lo = np.sign(f(lo))
    ok = _has_both_signs(c) & (sign_lo != np.sign(f(hi)))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        same = np.sign(f(mid)) == sign_lo
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    rate = np.expm1(0.5 * (lo + hi))
    return np.where(ok, rate, np.nan)


def payback_years(cashflows):
    r"""Years until the cumulative cash flow turns non-negative, interpolated in the year.

    With :math:`C_t = \sum_{s \le t} c_s`: 0 if :math:`C_0 \ge 0`; otherwise, at the first year
    :math:`t \ge 1` with :math:`C_t \ge 0`,

    .. math:: \text{payback} = (t - 1) + \frac{-C_{t-1}}{c_t}

    and NaN (``None`` for 1-D input) if the cumulative cash flow stays negative through H.
    Pass discounted cash flows for the discounted payback.

    Parameters
    ----------
    cashflows : array_like, shape (..., H+1)

    Returns
    -------
    float, None or ndarray [years]

    Examples
    --------
    >>> round(payback_years([-100, 60, 60]), 6)
    1.666667
    """
    c = np.asarray(cashflows, dtype=float)
    cum = np.cumsum(c, axis=-1)
    reached = cum[..., 1:] >= 0.0
    found = reached.any(axis=-1)
    t = np.argmax(reached, axis=-1) + 1  # first year with C_t >= 0
    prev = np.take_along_axis(cum, (t - 1)[..., None], axis=-1)[..., 0]
    step = np.take_along_axis(c, t[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        years = (t - 1) + (-prev) / step
    out = np.where(cum[..., 0] >= 0.0, 0.0, np.where(found, years, np.nan))
    return _scalar(out)
