"""Exact Shapley attribution of a value to the players that create it (docs/model.md §6).

Coalitions are encoded as bit masks: coalition ``k`` contains player ``i`` when bit ``i`` of
``k`` is set, so a game with *n* players has ``2**n`` coalition values, index 0 the empty one.
"""

from __future__ import annotations

from math import factorial

import numpy as np

__all__ = ["coalition_masks", "shapley_values", "MAX_EXACT_PLAYERS"]

#: Largest number of initiatives attributed exactly (2**8 = 256 coalitions).
MAX_EXACT_PLAYERS = 8


def coalition_masks(n: int) -> np.ndarray:
    """Membership matrix of all ``2**n`` coalitions of ``n`` players.

    Returns
    -------
    ndarray of float, shape (2**n, n)
        Row ``k`` has 1 in column ``i`` when player ``i`` is in coalition ``k``.

    Examples
    --------
    >>> coalition_masks(2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    """
    k = np.arange(2**n)[:, None]
    return ((k >> np.arange(n)) & 1).astype(float)


def _weights(n: int) -> np.ndarray:
    """Matrix W with phi = v @ W, shape (2**n, n)."""
    masks = coalition_masks(n).astype(bool)
    size = masks.sum(axis=1)
    w = np.zeros((2**n, n))
    for i in range(n):
        with_i = masks[:, i]
        # coalitions S without i contribute -w(|S|); S u {i} contributes +w(|S|)
        s = size[~with_i]
        weight = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in s])
        idx_without = np.flatnonzero(~with_i)
        w[idx_without, i] -= weight
        w[idx_without | (1 << i), i] += weight
    return w


def shapley_values(values) -> np.ndarray:
    r"""Exact Shapley values from the values of all coalitions.

    .. math::

        \phi_i = \sum_{S \subseteq N \setminus \{i\}}
        \frac{|S|!\,(n - |S| - 1)!}{n!}\,\bigl(v(S \cup \{i\}) - v(S)\bigr)

    (Shapley 1953). They sum to :math:`v(N) - v(\emptyset)` (efficiency).

    Parameters
    ----------
    values : array_like, shape (..., 2**n)
        v(S) for every coalition, indexed by bit mask.

    Returns
    -------
    ndarray, shape (..., n)

    Examples
    --------
    >>> shapley_values([0.0, 1.0, 2.0, 5.0]).tolist()
    [2.0, 3.0]
    """
    v = np.asarray(values, dtype=float)
    n = int(round(np.log2(v.shape[-1])))
    if 2**n != v.shape[-1]:
        raise ValueError(f"need 2**n coalition values, got {v.shape[-1]}")
    return v @ _weights(n)
