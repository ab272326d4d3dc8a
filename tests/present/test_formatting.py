"""Executive number formats."""

import pytest

from cxroi.present.formatting import MISSING, format_count, format_money, format_pct, format_years


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (2469087.08, "USD", "$2.47M"),
        (-221445.02, "USD", "-$221K"),
        (1.5e9, "EUR", "€1.50B"),
        (999_999, "USD", "$1.00M"),
        (265.18, "USD", "$265"),
        (1500, "CHF", "CHF 1.50K"),
        (None, "USD", MISSING),
        (float("nan"), "USD", MISSING),
    ],
)
def test_money(value, currency, text):
    assert format_money(value, currency) == text


def test_pct_years_count():
    assert format_pct(0.230361) == "23%"
    assert format_pct(-0.0001) == "0%"
    assert format_years(3.114295) == "3.1 years"
    assert format_years(1.0) == "1.0 year"
    assert format_years(None) == MISSING
    assert format_count(15586.16) == "15.6K"
    assert format_count(5) == "5.0"


def test_format_kpi_one_rule_per_kind():
    from cxroi.present.formatting import format_kpi, format_payback

    assert format_kpi("irr", 0.32817, "USD") == "32.8%"
    assert format_kpi("roi", 0.32817, "USD") == "32.8%"
    assert format_kpi("npv", 2469087.08, "EUR") == "€2.47M"
    assert format_kpi("payback_years", 3.114, "USD", 5) == "3.1 years"
    assert format_kpi("payback_years", None, "USD", 5) == "Not in 5 years"
    assert format_kpi("discounted_payback_years", None, "USD", 1) == "Not in 1 year"
    assert format_payback(None) == "n/a"
    assert format_kpi("extra_customers_end", 15586.16) == "15.6K"
    with pytest.raises(ValueError, match="KPI key.*'npx'"):
        format_kpi("npx", 1.0)


@pytest.mark.parametrize("currency", ["USD", "EUR", "CHF"])
@pytest.mark.parametrize("value", [0.0, -0.0, 1e-3, -1e-9, 0.004, -0.0049])
def test_nothing_is_shown_one_way(value, currency):
    """An amount that rounds to zero reads like zero itself ("€0", never "€0.00" or "-$0")."""
    assert format_money(value, currency) == format_money(0, currency)
    assert format_money(0, currency).endswith("0") and "." not in format_money(0, currency)
    assert not format_money(value, currency).startswith("-")


@pytest.mark.parametrize(
    ("value", "sign", "text"),
    [
        (2469087.08, False, "2,469,087"),
        (-221445.5, False, "-221,446"),
        (1500, True, "+1,500"),
        (-0.4, True, "-0"),
        (None, False, MISSING),
        (float("inf"), True, MISSING),
    ],
)
def test_amount_in_full(value, sign, text):
    from cxroi.present.formatting import format_amount

    assert format_amount(value, sign=sign) == text


def test_field_value_in_a_sentence():
    from cxroi.present.formatting import format_number

    assert [format_number(x) for x in (1234567.8, -1000, 999.96, 0.123456, 0.1)] == [
        "1,234,568", "-1,000", "1000", "0.1235", "0.1",
    ]  # fmt: skip
