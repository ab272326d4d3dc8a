"""Correlated draws of a scenario's uncertain inputs through a Gaussian copula.

The rules and the matrix are in :mod:`cxroi.model.correlations` (docs/model.md §16): standard
normals with the Pearson matrix 2 sin(pi rho / 6) become uniforms U = Phi(Z), and each field's
draw is its own quantile function at U, clipped to the field's range. A PERT field's quantile is
the Beta quantile of :func:`beta_quantile`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from cxroi.model.correlations import pearson_matrix, rank_matrix
from cxroi.model.scenario import Distribution, Rule, Scenario

__all__ = ["CopulaSampler", "beta_quantile", "sample_spearman"]

#: Lower-tail probabilities below this are inverted by :func:`scipy.special.betaincinv` itself.
BETA_TABLE_MIN = 1e-16
#: Largest estimated error, relative to x, a Newton step may leave; beyond, betaincinv.
BETA_NEWTON_TOLERANCE = 1e-14


def _quantile(d: Distribution, u: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The distribution's quantile function at U = Phi(Z) (Z given for the normal)."""
    if d.dist == "normal":
        mean, sd = d.mean_sd()
        return mean + sd * z
    low, mode, high = d.limits()
    if high == low:
        return np.full(u.shape, float(low))
    width = high - low
    if d.dist == "uniform":
        return low + width * u
    if d.dist == "triangular":
        c = (mode - low) / width
        left = low + np.sqrt(u * c) * width
        right = high - np.sqrt((1.0 - u) * (1.0 - c)) * width
        return np.where(u < c, left, right)
    a, b = d.pert_shapes()
    return low + width * beta_quantile(a, b, u)


@functools.lru_cache(maxsize=64)
def _lower_tail_table(a: float, b: float):
    """The lower tail of Beta(a, b): a cubic Hermite spline of log x against log q.

    The nodes are :func:`scipy.special.betaincinv` at 1,024 q spaced evenly in log q below
    1e-2 and 1,025 spaced evenly in q above; the slopes are exact,
    d log x / d log q = q / (x f(x)) with f the Beta density.
    """
    from scipy.interpolate import CubicHermiteSpline
    from scipy.special import betaincinv, betaln

    q = np.unique(np.r_[np.geomspace(BETA_TABLE_MIN, 1e-2, 1024), np.linspace(1e-2, 0.5, 1025)])
    x = betaincinv(a, b, q)
    log_pdf = (a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - betaln(a, b)
    return CubicHermiteSpline(np.log(q), np.log(x), q / (x * np.exp(log_pdf)), extrapolate=False)


def _lower_tail_quantile(a: float, b: float, q: np.ndarray) -> np.ndarray:
    """Beta(a, b) quantile at q <= 1/2: table start, one Newton step, betaincinv where unsure."""
    from scipy.special import betainc, betaincinv, betaln

    with np.errstate(all="ignore"):  # q = 0, below the table, NaN: all go to betaincinv
        x0 = np.exp(_lower_tail_table(a, b)(np.log(q)))
        pdf = np.exp((a - 1.0) * np.log(x0) + (b - 1.0) * np.log1p(-x0) - betaln(a, b))
        step = (betainc(a, b, x0) - q) / pdf
        x = x0 - step
        # Newton's error after the step: f''/(2 f') step^2, with f''/f' = (a-1)/x - (b-1)/(1-x)
        error = 0.5 * np.abs((a - 1.0) / x0 - (b - 1.0) / (1.0 - x0)) * step * step
        sure = (error <= BETA_NEWTON_TOLERANCE * x) & (np.abs(step) <= 1e-6 * x0) & (x > 0.0)
    unsure = ~sure
    if unsure.any():
        x[unsure] = betaincinv(a, b, q[unsure])
    return x


def beta_quantile(a: float, b: float, u) -> np.ndarray:
    r"""Quantile of the Beta(a, b) distribution at probabilities ``u``: ``betaincinv(a, b, u)``.

    :func:`scipy.special.betaincinv` searches afresh for every u. Here the shapes are the same
    for every draw of a field, so one table of the lower tail serves them all: a cubic Hermite
    spline of log x against log q (:func:`scipy.interpolate.CubicHermiteSpline`) gives a start
    x0 within about 1e-10 of x (relative), and one Newton step on the regularised incomplete
    Beta function :math:`I_x(a, b)` (:func:`scipy.special.betainc`)

    .. math:: x = x_0 - \frac{I_{x_0}(a, b) - q}{f(x_0)},\qquad
              f(x) = \frac{x^{a-1} (1 - x)^{b-1}}{B(a, b)}

    squares that error (Newton's method: the error left is about
    :math:`\tfrac12 |f'/f|\,(x - x_0)^2`, checked for every draw; a draw whose estimate
    exceeds 1e-14 of x, or whose q is below :data:`BETA_TABLE_MIN`, is inverted by
    betaincinv itself). Above the median the upper tail is inverted the same way through
    :math:`1 - I_x(a, b) = I_{1-x}(b, a)`, with q = 1 - u exact, so both tails keep their
    relative precision. The result agrees with betaincinv to a few units in the last place.
    With a shape of 1 the quantile is a power of u or of 1 - u, which betaincinv writes out
    directly, so it is used as it is.

    Parameters
    ----------
    a, b : float
        Shapes, > 0 (PERT: between 1 and 5).
    u : array_like
        Probabilities in [0, 1].

    Returns
    -------
    ndarray of the shape of ``u``.

    Examples
    --------
    >>> from scipy.special import betaincinv
    >>> u = np.array([1e-12, 0.1, 0.5, 0.9, 1 - 1e-12])
    >>> bool(np.allclose(beta_quantile(2.0, 4.0, u), betaincinv(2.0, 4.0, u), rtol=0, atol=1e-15))
    True
    """
    u = np.asarray(u, dtype=float)
    a, b = float(a), float(b)
    if a == 1.0 or b == 1.0:  # a power of u or of 1 - u, which betaincinv writes out directly
        from scipy.special import betaincinv

        return betaincinv(a, b, u)
    lower = u <= 0.5
    out = np.empty(u.shape)
    out[lower] = _lower_tail_quantile(a, b, u[lower])
    upper = ~lower  # and NaN
    out[upper] = 1.0 - _lower_tail_quantile(b, a, 1.0 - u[upper])
    return out


class CopulaSampler:
    """Draws of a scenario's correlated fields, chunk after chunk, from one seeded stream.

    The normals are drawn row by row from ``rng``, so a chunked simulation draws the same
    values whatever the chunk size.
    """

    def __init__(self, sc: Scenario, rng: np.random.Generator, rules: dict[str, Rule]):
        self.paths, m = rank_matrix(sc)
        dists = sc.distributions()
        self.dists = [dists[p] for p in self.paths]
        self.rules = [rules[p] for p in self.paths]
        w, v = np.linalg.eigh(pearson_matrix(m))
        self.factor = v * np.sqrt(np.clip(w, 0.0, None))  # factor @ factor.T = the matrix
        self.rng = rng

    def draw(self, n: int) -> dict[str, np.ndarray]:
        """``n`` joint draws of the correlated fields, by path."""
        from scipy.special import ndtr

        k = len(self.paths)
        z = self.rng.standard_normal((n, k)) @ self.factor.T
        # rescale so each column is exactly standard normal in law (the diagonal is 1)
        scale = np.sqrt(np.sum(self.factor**2, axis=1))
        z = z / np.where(scale > 0, scale, 1.0)
        u = ndtr(z)
        out = {}
        for i, (path, d, rule) in enumerate(zip(self.paths, self.dists, self.rules, strict=True)):
            lo, hi = rule.clip_bounds()
            out[path] = np.clip(_quantile(d, u[:, i], z[:, i]), lo, hi)
        return out


def sample_spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two samples (for checks and tests)."""
    from scipy.stats import spearmanr

    value = spearmanr(x, y).statistic
    return float(value) if math.isfinite(value) else math.nan
