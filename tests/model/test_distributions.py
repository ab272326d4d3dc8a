"""Distributions of uncertain inputs (cxroi.model.distributions): base values and parameters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxroi.model.distributions import Distribution, base_float, distribution_base

_finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(_finite, st.floats(0, 1), st.floats(1e-3, 1e6))
def test_pert_mean_is_the_classic_three_point_estimate(low, where, width):
    # Beta(a, b) on [low, high] has mean low + width a / (a + b); with the PERT shapes this is
    # (low + 4 mode + high) / 6 (Vose 2008, s.10.3).
    high = low + width
    mode = low + where * width
    a, b = Distribution(dist="pert", low=low, mode=mode, high=high).pert_shapes()
    assert a + b == pytest.approx(6.0)
    assert low + width * a / (a + b) == pytest.approx((low + 4 * mode + high) / 6, abs=1e-6 * width)


def test_limits_and_mean_sd():
    tri = Distribution(dist="triangular", low=1.0, mode=2.0, high=4.0)
    assert tri.limits() == (1.0, 2.0, 4.0)
    assert Distribution(dist="uniform", low=1.0, high=4.0).limits() == (1.0, 2.5, 4.0)
    assert Distribution(dist="normal", mean=3.0, sd=0.5).mean_sd() == (3.0, 0.5)
    with pytest.raises(ValueError, match="normal distribution has no low and high"):
        Distribution(dist="normal", mean=3.0, sd=0.5).limits()
    with pytest.raises(ValueError, match="triangular distribution has no mean and sd"):
        tri.mean_sd()


@pytest.mark.parametrize(
    ("spec", "base"),
    [
        ({"dist": "triangular", "low": 1, "mode": 2, "high": 4}, 2.0),
        ({"dist": "pert", "low": 1, "mode": 3, "high": 4}, 3.0),
        ({"dist": "uniform", "low": 1, "high": 4}, 2.5),
        ({"dist": "normal", "mean": -2, "sd": 1}, -2.0),
    ],
)
def test_base_value_of_each_kind(spec, base):
    assert distribution_base(spec) == base
    assert base_float(Distribution(**spec)) == base
    assert base_float(7) == 7.0
