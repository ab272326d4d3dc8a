"""Tests for cxroi.model.benchmarks: cited constants, their ranges, flags and table form."""

from __future__ import annotations

import dataclasses
import math

import pytest

from cxroi.model import benchmarks
from cxroi.model.benchmarks import (
    BENCHMARKS,
    POOR_CX_CHURN_SHARE,
    PREVENTABLE_SHARE,
    UNITS,
    Benchmark,
    as_frame,
    get,
)

ALL = list(BENCHMARKS.values())
IDS = [b.key for b in ALL]

# Figures checked against the seed articles (/work/shared/seeds) and the sources they cite.
SEED_FIGURES = {
    "accenture_switched_poor_service": 0.66,  # seed 002: "66% of consumers switch brands"
    "accenture_switch_preventable": 0.81,  # seed 000: 81% of switchers, Accenture
    "switch_preventable_unsourced": 0.82,  # seed 002: "82% of those switching"
    "accenture_switching_economy": 5.9e12,  # seed 000: $5.9 trillion switching economy
    "gallup_b2b_revenue_premium": 0.50,  # seed 004: "50% higher revenue or sales"
    "gallup_b2b_profitability_premium": 0.34,  # seed 004: "34% higher profitability"
    "gallup_b2b_share_of_wallet_premium": 0.55,  # seed 004: "55% higher share of wallet"
    "b2b_spend_more_unsourced": 0.23,  # seed 000: corporate clients spend up to 23% more
    "acquisition_vs_retention_cost": 5.0,  # seed 004: "approximately five times"
    "top_customers_future_profit": 0.80,  # seed 004: 80% of profits from 20% of customers
    "poor_experience_abandoned_purchase": 0.55,  # seed 000: 55% decided not to buy
}


def _record(**overrides) -> dict:
    base = dataclasses.asdict(POOR_CX_CHURN_SHARE)
    base.update(key="test_record")
    base.update(overrides)
    return base


# --- the two scenario defaults -----------------------------------------------------------------


def test_loader_defaults_are_the_accenture_figures():
    assert POOR_CX_CHURN_SHARE.value == 0.66
    assert PREVENTABLE_SHARE.value == 0.81
    assert POOR_CX_CHURN_SHARE.traced and PREVENTABLE_SHARE.traced
    assert POOR_CX_CHURN_SHARE.publisher == PREVENTABLE_SHARE.publisher == "Accenture"
    assert POOR_CX_CHURN_SHARE.year == PREVENTABLE_SHARE.year == 2013


def test_loader_defaults_are_registered_under_their_keys():
    assert get(POOR_CX_CHURN_SHARE.key) is POOR_CX_CHURN_SHARE
    assert get(PREVENTABLE_SHARE.key) is PREVENTABLE_SHARE


def test_loader_defaults_warn_that_they_are_survey_answers():
    # The honest reading: a survey answer used as a model input, to be replaced by own data.
    for b in (POOR_CX_CHURN_SHARE, PREVENTABLE_SHARE):
        assert "default" in b.caveat
        assert "your own" in b.caveat
        assert "survey" in b.measured.lower() or "respondents" in b.measured.lower()


def test_scenario_module_uses_the_named_constants():
    scenario = pytest.importorskip("cxroi.model.scenario")
    defaults = getattr(scenario, "BENCHMARK_DEFAULTS", None)
    if defaults is None:
        pytest.skip("cxroi.model.scenario has no BENCHMARK_DEFAULTS yet")
    assert defaults["poor_cx_churn_share"] is POOR_CX_CHURN_SHARE
    assert defaults["preventable_share"] is PREVENTABLE_SHARE


# --- every record ------------------------------------------------------------------------------


def test_registry_keys_match_records():
    assert len(BENCHMARKS) >= 12
    for key, b in BENCHMARKS.items():
        assert key == b.key
        assert key.isidentifier() and key == key.lower()


@pytest.mark.parametrize("b", ALL, ids=IDS)
def test_every_record_is_cited(b: Benchmark):
    for name in ("statement", "source", "publisher", "measured", "population", "caveat"):
        text = getattr(b, name)
        assert isinstance(text, str) and len(text.strip()) >= 3, name
    assert isinstance(b.year, int) and 1985 <= b.year <= 2025
    assert isinstance(b.traced, bool)
    assert b.unit in UNITS


@pytest.mark.parametrize("b", ALL, ids=IDS)
def test_values_are_decimals_in_range(b: Benchmark):
    for x in (b.value, b.low, b.high):
        if x is None:
            continue
        assert isinstance(x, float) and math.isfinite(x)
        if b.unit == "share":
            assert 0.0 <= x <= 1.0
        elif b.unit == "relative":
            assert -1.0 < x <= 1.0  # every premium here is below 100%: decimals, not per cent
        else:
            assert x > 0.0
    if b.low is not None:
        assert b.low <= b.value
    if b.high is not None:
        assert b.value <= b.high


@pytest.mark.parametrize("b", [b for b in ALL if b.is_range], ids=lambda b: b.key)
def test_range_value_is_stated_figure_or_midpoint(b: Benchmark):
    midpoint = (b.low + b.high) / 2
    assert b.value == pytest.approx(midpoint) or b.value in (b.low, b.high)
    if b.value == pytest.approx(midpoint) and b.value not in (b.low, b.high):
        assert "midpoint" in b.caveat


@pytest.mark.parametrize("key, value", SEED_FIGURES.items())
def test_figures_match_the_seed_articles(key, value):
    assert get(key).value == pytest.approx(value)


def test_reichheld_range_and_the_1990_original():
    b = get("reichheld_retention_profit")
    assert (b.low, b.high) == (0.25, 0.95)
    assert b.year == 1990
    assert "Zero Defections" in b.source
    assert "85%" in b.caveat  # the 1990 article's upper end
    assert "per customer" in b.caveat or "per-customer" in b.measured


def test_acquisition_multiple_range():
    b = get("acquisition_vs_retention_cost")
    assert (b.low, b.high) == (5.0, 25.0)
    assert b.unit == "ratio"


# --- untraced figures are flagged, and say so -------------------------------------------------


def test_untraced_figures_are_flagged():
    untraced = {b.key for b in ALL if not b.traced}
    must_be_flagged = {
        "gallup_b2b_revenue_premium",
        "gallup_b2b_profitability_premium",
        "gallup_b2b_share_of_wallet_premium",
        "switch_preventable_unsourced",
    }
    assert must_be_flagged <= untraced
    assert POOR_CX_CHURN_SHARE.key not in untraced
    assert PREVENTABLE_SHARE.key not in untraced


@pytest.mark.parametrize("b", [b for b in ALL if not b.traced], ids=lambda b: b.key)
def test_untraced_caveat_says_so(b: Benchmark):
    assert "could not be traced" in b.caveat.lower()


@pytest.mark.parametrize("b", [b for b in ALL if b.traced], ids=lambda b: b.key)
def test_traced_caveat_does_not_claim_untraced(b: Benchmark):
    assert "could not be traced" not in b.caveat.lower()


def test_untraced_statements_are_not_used_as_defaults():
    # Only traced figures may feed a scenario default.
    for b in (POOR_CX_CHURN_SHARE, PREVENTABLE_SHARE):
        assert b.traced


# --- validation --------------------------------------------------------------------------------


def test_record_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        POOR_CX_CHURN_SHARE.value = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"value": 66.0}, "write 0.66, not 66"),
        ({"value": float("nan")}, "finite"),
        ({"unit": "percent"}, "unit must be one of"),
        ({"source": "  "}, "source must be a non-empty string"),
        ({"year": 13}, "calendar year"),
        ({"low": 0.7}, "below low"),
        ({"high": 0.5}, "above high"),
        ({"traced": False}, "could not be traced"),
        ({"unit": "USD", "value": -1.0}, "positive"),
        ({"unit": "relative", "value": 25.0}, "write 0.25, not 25"),
    ],
)
def test_bad_records_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        Benchmark(**_record(**overrides))


def test_valid_custom_record():
    b = Benchmark(**_record(value=0.5, low=0.4, high=0.6))
    assert b.is_range


# --- lookup and table --------------------------------------------------------------------------


def test_get_unknown_key_suggests_close_match():
    with pytest.raises(KeyError, match="did you mean 'accenture_switch_preventable'"):
        get("accenture_switch_preventible")


def test_as_frame_columns_and_rows():
    pytest.importorskip("pandas")
    frame = as_frame()
    assert frame.index.name == "key"
    assert list(frame.index) == list(BENCHMARKS)
    assert list(frame.columns) == [
        "value",
        "unit",
        "low",
        "high",
        "statement",
        "source",
        "publisher",
        "year",
        "measured",
        "population",
        "caveat",
        "traced",
    ]
    assert frame.loc["accenture_switched_poor_service", "value"] == 0.66
    assert math.isnan(frame.loc["accenture_switched_poor_service", "low"])
    assert frame.loc["reichheld_retention_profit", "high"] == 0.95
    assert frame["traced"].dtype == bool


def test_as_frame_can_drop_untraced():
    pytest.importorskip("pandas")
    frame = as_frame(include_untraced=False)
    assert frame["traced"].all()
    assert "gallup_b2b_revenue_premium" not in frame.index
    assert len(frame) == sum(b.traced for b in ALL)


def test_public_names():
    assert set(benchmarks.__all__) >= {
        "Benchmark",
        "BENCHMARKS",
        "POOR_CX_CHURN_SHARE",
        "PREVENTABLE_SHARE",
        "get",
        "as_frame",
    }


# --- the CFO documentation ---------------------------------------------------------------------


def test_docs_list_every_benchmark(repo_root):
    doc = (repo_root / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for key in BENCHMARKS:
        assert f"`{key}`" in doc, key
    untraced_section = doc.split("## Figures that could not be traced", 1)[1]
    for b in ALL:
        assert (f"`{b.key}`" in untraced_section) is (not b.traced), b.key
