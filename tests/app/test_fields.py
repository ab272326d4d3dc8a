"""Parsing what users type into the dashboard's inputs."""

import pytest

from cxroi.app.fields import FieldParseError, FieldSpec, css_class, format_value, parse_value


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
