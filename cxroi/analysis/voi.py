r"""Value of information for the go / no-go decision (docs/model.md §16).

With the NPV uncertain, the decision today is "go if the expected NPV is positive", worth
:math:`\max(E[\text{npv}], 0)`. If the uncertainty could be removed first, one would go only
when the NPV turns out positive, worth :math:`E[\max(\text{npv}, 0)]`. The difference is the
*expected value of perfect information* (EVPI), the most any study, pilot or survey could be
worth before deciding:

.. math:: \text{EVPI} = E[\max(\text{npv}, 0)] - \max(E[\text{npv}], 0)

Learning one input X exactly (the rest still uncertain) is worth the *expected value of
partial perfect information*

.. math:: \text{EVPPI}_X = E_X[\max(E[\text{npv} \mid X], 0)] - \max(E[\text{npv}], 0)

(Raiffa & Schlaifer 1961; Strong, Oakley & Brennan 2014 for the regression estimate used here).
:math:`E[\text{npv} \mid X]` is estimated from the Monte Carlo draws by a least-squares cubic
regression spline of npv on X (B-splines, interior knots at quantiles of X). A least-squares
fit with a constant reproduces the sample mean, so the estimate is never below 0 (Jensen); it
is capped at the EVPI, which it can only exceed by estimation error. With a single uncertain
input the npv is a smooth function of it, the spline reproduces it and EVPPI equals EVPI.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EVPPI_SAMPLE", "conditional_mean", "evpi", "evppi"]

#: Most draws the EVPPI regression uses: beyond, an evenly spaced sample of this many.
EVPPI_SAMPLE = 100_000
#: Interior knots of the regression spline (fewer with few draws: at least 50 draws per knot).
SPLINE_KNOTS = 16


def evpi(npv) -> float:
    r"""Expected value of perfect information of a sample of NPV draws [money].

    .. math:: E[\max(\text{npv}, 0)] - \max(E[\text{npv}], 0)

    Examples
    --------
    >>> evpi([-100.0, 300.0])
    50.0
    """
    x = np.asarray(npv, dtype=float)
    return float(max(np.mean(np.maximum(x, 0.0)) - max(np.mean(x), 0.0), 0.0))


def conditional_mean(x, npv) -> np.ndarray:
    """Regression estimate of E[npv | x] at each draw: a least-squares cubic spline.

    The spline has :data:`SPLINE_KNOTS` interior knots at quantiles of x (fewer with few
    draws) and its coefficients solve the normal equations of the B-spline design matrix
    (:meth:`scipy.interpolate.BSpline.design_matrix`), by least squares so that a knot
    interval without draws does no harm. B-splines sum to one, so the fit keeps the sample
    mean. Falls back to the means of npv within quantile bins of x if the fit is not finite.
    """
    from scipy.interpolate import BSpline

    x = np.asarray(x, dtype=float)
    y = np.asarray(npv, dtype=float)
    if x.size == 0 or np.ptp(x) == 0.0:
        return np.full(y.shape, float(np.mean(y)) if y.size else 0.0)
    lo, hi = float(np.min(x)), float(np.max(x))
    knots = min(SPLINE_KNOTS, max(0, x.size // 50 - 4))
    inner = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots + 2)[1:-1]))
    inner = inner[(inner > lo) & (inner < hi)]
    t = np.r_[[lo] * 4, inner, [hi] * 4]
    with np.errstate(all="ignore"):
        # every x lies in [t[3], t[-4]] = [min, max], so no point is extrapolated; saying so
        # skips SciPy's bounds check, a Python-level min and max over the draws
        design = BSpline.design_matrix(x, t, 3, extrapolate=True)
        gram = (design.T @ design).toarray()
        coef = np.linalg.lstsq(gram, design.T @ y, rcond=None)[0]
        fitted = design @ coef
    if not np.all(np.isfinite(fitted)):
        order = np.argsort(x, kind="stable")
        fitted = np.empty_like(y)
        fitted[order] = _binned_means(x[order], y[order])
    return fitted


def _binned_means(xs: np.ndarray, ys: np.ndarray, bins: int = 50) -> np.ndarray:
    """Means of ys within quantile bins of (sorted) xs; ties share a bin."""
    edges = np.unique(np.quantile(xs, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    which = np.searchsorted(edges, xs, side="right")
    sums = np.bincount(which, weights=ys)
    counts = np.bincount(which)
    return (sums / np.where(counts > 0, counts, 1))[which]


def evppi(x, npv, cap: float | None = None) -> float:
    r"""Expected value of partial perfect information of one input [money].

    .. math:: \text{EVPPI} = \overline{\max(\hat g(x), 0)} - \max(\overline{\text{npv}}, 0)

    with :math:`\hat g` the regression of npv on the input's draws (:func:`conditional_mean`).

    Parameters
    ----------
    x, npv : array_like
        The input's draws and the NPV of the same draws.
    cap : float, optional
        Upper bound (the EVPI of all the draws); the estimate is clipped to [0, cap].

    Examples
    --------
    >>> x = np.linspace(-1.0, 1.0, 2001)
    >>> round(evppi(x, 1000.0 * x), 1) == round(evpi(1000.0 * x), 1)
    True
    """
    y = np.asarray(npv, dtype=float)
    g = conditional_mean(x, y)
    value = float(np.mean(np.maximum(g, 0.0)) - max(float(np.mean(y)), 0.0))
    # rounding of sums of large NPVs: below 1e-12 of the NPV scale is no information at all
    noise = 1e-12 * float(np.max(np.abs(y))) * y.size if y.size else 0.0
    value = value if value > noise else 0.0
    if cap is not None:
        value = min(value, float(cap))
    return value
