"""Tests for cxroi.engine.attribution: exact Shapley values (known games, axioms, bad input)."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import games

from cxroi.engine.attribution import MAX_EXACT_PLAYERS, coalition_masks, shapley_values


def shapley_by_orderings(n, values):
    """Average marginal contribution over all n! orderings (definition, for checking)."""
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        mask = 0
        for i in order:
            phi[i] += values[mask | (1 << i)] - values[mask]
            mask |= 1 << i
    return phi / factorial(n)


def test_coalition_masks():
    m = coalition_masks(3)
    assert m.shape == (8, 3)
    assert m[0].tolist() == [0, 0, 0]
    assert m[5].tolist() == [1, 0, 1]  # bit i = player i
    assert m[7].tolist() == [1, 1, 1]
    assert coalition_masks(0).shape == (1, 0)
    assert MAX_EXACT_PLAYERS == 8


def test_known_games():
    # additive game: each player's value is its own
    v = [0, 3, 5, 8]
    assert shapley_values(v).tolist() == pytest.approx([3, 5])
    # glove game: player 0 has a left glove, players 1 and 2 right gloves; a pair is worth 1
    masks = coalition_masks(3)
    v = [float(m[0] == 1 and (m[1] == 1 or m[2] == 1)) for m in masks]
    assert shapley_values(v).tolist() == pytest.approx([2 / 3, 1 / 6, 1 / 6], rel=1e-12)
    # majority game of three: any two win
    v = [float(m.sum() >= 2) for m in masks]
    assert shapley_values(v).tolist() == pytest.approx([1 / 3] * 3, rel=1e-12)
    # one player
    assert shapley_values([2.0, 7.0]).tolist() == [5.0]


def test_batch_of_games():
    v = np.array([[0, 1, 2, 5], [0, 3, 5, 8], [1, 1, 1, 1]], dtype=float)
    out = shapley_values(v)
    assert out.shape == (3, 2)
    np.testing.assert_allclose(out, [[2, 3], [3, 5], [0, 0]], atol=1e-12)
    assert shapley_values(v.reshape(3, 1, 4)).shape == (3, 1, 2)


@pytest.mark.parametrize("size", [3, 5, 6, 7, 12])
def test_bad_length_raises(size):
    with pytest.raises(ValueError, match=r"2\*\*n"):
        shapley_values(np.zeros(size))


@settings(max_examples=50, deadline=None)
@given(games())
def test_efficiency(game):
    n, v = game
    phi = shapley_values(v)
    assert phi.shape == (n,)
    assert phi.sum() == pytest.approx(v[-1] - v[0], rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(games(max_players=5))
def test_matches_definition(game):
    n, v = game
    np.testing.assert_allclose(shapley_values(v), shapley_by_orderings(n, v), rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(games(max_players=5), st.data())
def test_null_player(game, data):
    # make player k a null player: v(S u {k}) = v(S) for every S
    n, v = game
    k = data.draw(st.integers(0, n - 1))
    v = list(v)
    for mask in range(2**n):
        if mask & (1 << k):
            v[mask] = v[mask ^ (1 << k)]
    phi = shapley_values(v)
    assert phi[k] == pytest.approx(0.0, abs=1e-6)
    assert phi.sum() == pytest.approx(v[-1] - v[0], rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5).flatmap(lambda n: games(n=n)), st.data())
def test_symmetry(game, data):
    # make players i and j symmetric: v(S u {i}) = v(S u {j}) for S without both
    n, v = game
    i, j = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    v = list(v)
    for mask in range(2**n):
        if mask & (1 << i) and not mask & (1 << j):
            v[mask ^ (1 << i) | (1 << j)] = v[mask]
    phi = shapley_values(v)
    assert phi[i] == pytest.approx(phi[j], rel=1e-9, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(games(n=n), games(n=n))), st.floats(-3, 3))
def test_linearity(pair, a):
    (n, v1), (_, v2) = pair
    combined = [a * x + y for x, y in zip(v1, v2, strict=True)]
    np.testing.assert_allclose(
        shapley_values(combined),
        a * shapley_values(v1) + shapley_values(v2),
        rtol=1e-9,
        atol=1e-6,
    )
