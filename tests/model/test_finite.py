"""Numbers at the edges (cxroi.model.finite): what is not a finite number becomes None."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cxroi.model.finite import finite_or_none, finite_record


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_finite_or_none_keeps_exactly_the_finite_floats(x):
    out = finite_or_none(x)
    assert (out is None) == (not math.isfinite(x))
    assert out is None or out == x


def test_numpy_scalars_and_none():
    assert finite_or_none(np.float64("nan")) is None
    assert finite_or_none(np.int64(3)) == 3.0 and finite_or_none(None) is None


def test_a_record_keeps_text_and_integers_and_drops_non_finite_floats():
    row = {"path": "a.b", "n": 2, "v": np.float64("inf"), "w": float("nan"), "x": 0.25, "y": None}
    out = finite_record(row)
    assert out == {"path": "a.b", "n": 2, "v": None, "w": None, "x": 0.25, "y": None}
    json.dumps(out, allow_nan=False)  # valid JSON
