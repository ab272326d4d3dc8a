"""Correlated draws of a scenario's uncertain inputs through a Gaussian copula.

The rules and the matrix are in :mod:`cxroi.model.correlations` (docs/model.md §16): standard
normals with the Pearson matrix 2 sin(pi rho / 6) become uniforms U = Phi(Z), and each field's
draw is its own quantile function at U, clipped to the field's range.
"""

from __future__ import annotations

import math

import numpy as np

from cxroi.model.correlations import pearson_matrix, rank_matrix
from cxroi.model.scenario import Distribution, Rule, Scenario

__all__ = ["CopulaSampler", "sample_spearman"]


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
    from scipy.special import betaincinv

    a, b = d.pert_shapes()
    return low + width * betaincinv(a, b, u)


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
