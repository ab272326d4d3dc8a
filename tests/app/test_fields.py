"""Parsing what users type into the dashboard's inputs."""

import pytest

from cxroi.app.fields import (
    SEGMENT_FIELDS,
    FieldParseError,
    FieldSpec,
    css_class,
    format_distribution,
    format_value,
    move_base,
    parse_distribution,
    parse_value,
    pct_reading,
)


def spec(kind, optional=False):
    return FieldSpec("x", "x", kind, optional=optional)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("0.12", "pct", 0.12),
        ("12%", "pct", 0.12),
        ("12.5 %", "pct", 0.125),
        ("1,500,000", "money", 1.5e6),
        ("1.5M", "money", 1.5e6),
        ("$250k", "money", 250e3),
        ("7", "int", 7),
        ("0.4, 0.8, 1", "pct_list", [0.4, 0.8, 1.0]),
        ("300,000; 200k", "money_list", [3e5, 2e5]),
        ("1.2M", "money_list", 1.2e6),
        ("0: 500k; 1: 250k", "capex", {0: 5e5, 1: 2.5e5}),
        ("4M", "capex", 4e6),
    ],
)
def test_parse_and_round_trip(text, kind, value):
    parsed = parse_value(text, spec(kind))
    assert parsed == pytest.approx(value) if not isinstance(value, dict) else parsed == value
    assert parse_value(format_value(parsed, spec(kind)), spec(kind)) == parsed


@pytest.mark.parametrize("text", ["abc", "1.2.3", "inf", "nan", "3.5", "", "x" * 500, 12])
def test_refused(text):
    with pytest.raises(FieldParseError):
        parse_value(text, spec("int"))


def test_blank_optional_is_none():
    assert parse_value("  ", spec("money", optional=True)) is None


def test_css_class():
    assert css_class("discount_rate") == "cxroi-field-discount_rate"
    expected = "cxroi-field-initiatives-0-effects-all-x"
    assert css_class("initiatives", 0, "effects", "*", "x") == expected


@pytest.mark.parametrize(
    ("text", "value", "note"),
    [
        ("12", 0.12, "read 12 as 12%"),
        ("0.12", 0.12, None),
        ("150%", 1.5, None),
        ("-10", -0.1, "read -10 as -10%"),
        ("1", 1.0, None),
        ("0,12", 0.12, "read 0,12 as 12%"),
    ],
)
def test_percent_reading(text, value, note):
    assert pct_reading(text) == (pytest.approx(value), note)
    assert parse_value(text, spec("pct")) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,2,3", "0,12,5%", "12%%", "abc"])
def test_percent_refused(text):
    with pytest.raises(FieldParseError):
        parse_value(text, spec("pct"))


def test_percent_precision():
    assert format_value(0.921171, spec("pct")) == "92.12%"
    assert format_value(0.125, spec("pct")) == "12.5%"


def test_rate_sliders_have_a_fine_step_over_a_sensible_range():
    retention = next(s for s in SEGMENT_FIELDS if s.key == "retention")
    lo, hi, step = retention.slider
    assert (lo, hi) == (0.5, 0.999) and step <= 0.001
    # typed entry is not limited to the slider
    assert parse_value("30%", retention) == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("dist", "kind"),
    [
        ({"dist": "triangular", "low": 0.08, "mode": 0.12, "high": 0.15}, "pct"),
        ({"dist": "pert", "low": 0.1, "mode": 0.25, "high": 0.35}, "pct"),
        ({"dist": "uniform", "low": -0.15, "high": -0.05}, "pct"),
        ({"dist": "normal", "mean": 0.1, "sd": 0.01}, "pct"),
        ({"dist": "triangular", "low": 1.1e6, "mode": 1.2e6, "high": 1.5e6}, "money"),
        ({"dist": "normal", "mean": 1500.0, "sd": 250.5}, "money"),
    ],
)
def test_distribution_text_round_trips(dist, kind):
    text = format_distribution(dist, spec(kind))
    assert text.startswith(dist["dist"] + " ")
    parsed, note = parse_distribution(text, spec(kind))
    assert note is None
    assert parsed.keys() == dist.keys() and parsed["dist"] == dist["dist"]
    for key in dist.keys() - {"dist"}:
        assert parsed[key] == pytest.approx(dist[key], abs=1e-12)


def test_distribution_text_reads_rates_like_a_rate_field():
    parsed, note = parse_distribution("PERT 10, 25, 35", spec("pct"))
    assert parsed == {"dist": "pert", "low": 0.10, "mode": 0.25, "high": 0.35}
    assert "25 as 25%" in note
    assert parse_distribution("  ", spec("pct")) == (None, None)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lognormal 1; 2", "starts with triangular"),
        ("uniform 1%; 2%; 3%", "needs 2 numbers: low, high"),
        ("triangular 1%; 2%", "needs 3 numbers: low, mode, high"),
        ("normal x; 1%", "not a number"),
    ],
)
def test_bad_distribution_text_says_what_is_wrong(text, words):
    with pytest.raises(FieldParseError, match=words):
        parse_distribution(text, spec("pct"))


@pytest.mark.parametrize(
    ("dist", "base"),
    [
        ({"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.3}, 0.25),
        ({"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.3}, 0.4),
        ({"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.3}, 0.05),
        ({"dist": "uniform", "low": 0.1, "high": 0.3}, 0.5),
        ({"dist": "uniform", "low": 0.0, "high": 0.4}, 0.05),
        ({"dist": "normal", "mean": 0.1, "sd": 0.02}, 0.3),
    ],
)
def test_moving_the_base_keeps_the_distribution(dist, base):
    from cxroi.model.scenario import Distribution

    moved = move_base(dist, base, bounds=(0.0, 1.0))
    assert moved["dist"] == dist["dist"]
    assert Distribution(**moved).base == pytest.approx(base, abs=1e-12)
    if "low" in moved:
        assert 0.0 <= moved["low"] <= base <= moved["high"] <= 1.0
    if dist["dist"] in ("triangular", "pert"):  # the judged bounds stay unless they must widen
        assert moved["low"] == min(dist["low"], base) and moved["high"] == max(dist["high"], base)
    if dist["dist"] == "normal":
        assert moved["sd"] == dist["sd"]


def test_line_amount_reads_a_number_a_list_or_year_pairs():
    from cxroi.app.fields import BENEFIT_LINE_FIELDS

    spec = BENEFIT_LINE_FIELDS[1]
    assert parse_value("250k", spec) == 250_000.0
    assert parse_value("100k; 200k", spec) == [100_000.0, 200_000.0]
    assert parse_value("0: 50k; 1: 100k", spec) == {0: 50_000.0, 1: 100_000.0}
    for value in (250_000.0, [100_000.0, 200_000.0], {0: 50_000.0, 1: 100_000.0}):
        assert parse_value(format_value(value, spec), spec) == value
    with pytest.raises(FieldParseError, match="year 1 is given twice"):
        parse_value("1: 5; 1: 6", spec)


def test_tenure_reads_renewals_or_a_mix_whose_shares_add_up():
    from cxroi.app.fields import SBG_FIELDS

    spec = SBG_FIELDS[2]
    assert parse_value("4", spec) == 4.0
    assert parse_value("0: 50%; 8: 0.5", spec) == {0: 0.5, 8: 0.5}
    assert format_value({0: 0.25, 3: 0.75}, spec) == "0: 25%; 3: 75%"
    with pytest.raises(FieldParseError, match=r"add up to 100% \(they add up to 110%\)"):
        parse_value("0: 60%; 8: 50%", spec)
    with pytest.raises(FieldParseError, match="renewals: share pairs"):
        parse_value("0: ", spec)
