"""Tests for cxroi.model.plausibility: unit slips are flagged, sensible scenarios are not."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from cxroi.model.plausibility import PLAUSIBLE_RANGES, plausibility_warnings

WORKED = yaml.safe_load((Path(__file__).parents[1] / "data" / "worked_example.yaml").read_text())
BUNDLED = sorted((Path(__file__).parents[2] / "scenarios").rglob("*.yaml"))


def scenario(**changes):
    data = copy.deepcopy(WORKED)
    data.update(changes)
    return data


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scenarios_raise_no_warning(path):
    assert plausibility_warnings(path) == []


def test_discount_rate_in_per_cent_suggests_the_decimal():
    (w,) = plausibility_warnings(scenario(discount_rate=14))
    assert (w.path, w.value, w.suggested) == ("discount_rate", 14.0, 0.14)
    assert "did you mean 0.14?" in w.message and "discount_rate" in w.message


def test_share_of_wallet_lift_in_per_cent_names_the_effect_path():
    data = scenario()
    data["initiatives"][0]["effects"]["*"]["share_of_wallet_lift"] = 5
    (w,) = plausibility_warnings(data)
    assert w.path.endswith(".effects[*].share_of_wallet_lift")
    assert w.suggested == 0.05


def test_distribution_bounds_are_checked():
    rate = {"dist": "uniform", "low": 0.05, "high": 12}
    (w,) = plausibility_warnings(scenario(discount_rate=rate))
    assert w.path == "discount_rate" and w.value == 6.025


def test_implausible_without_a_guess_has_no_suggestion():
    (w,) = plausibility_warnings(scenario(discount_rate=0.9))
    assert w.suggested is None and "did you mean" not in w.message


def test_ranges_are_ordered_decimals():
    for rng in PLAUSIBLE_RANGES.values():
        assert rng.low < rng.high <= 1
