"""The ``currency`` field: ISO 4217 codes only, lower case read as upper case."""

from __future__ import annotations

import pytest

from cxroi.model.currencies import ISO_4217, currency_problem, normalise_currency
from cxroi.model.scenario import ScenarioError, load_scenario
from tests.model.test_plausibility import scenario


@pytest.mark.parametrize("given", ["eur", " EUR ", "Eur"])
def test_case_and_blanks_read_as_the_code(given):
    assert load_scenario(scenario(currency=given)).currency == "EUR"


@pytest.mark.parametrize(
    ("given", "guess"),
    [("EURO", "EUR"), ("euros", "EUR"), ("Dollars", "USD"), ("$", "USD"), ("pounds", "GBP"),
     ("USDD", "USD"), ("XYZ", None), ("DEM", None), ("12345", None)],
)  # fmt: skip
def test_not_a_code_refused_naming_field_rule_value_and_guess(given, guess):
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario(currency=given))
    (issue,) = info.value.errors
    assert issue.path == "currency"
    assert "ISO 4217" in issue.rule and issue.value == given
    if guess is None:
        assert "did you mean" not in issue.rule
    else:
        assert f"did you mean {guess!r}" in issue.rule


def test_codes_are_three_capital_letters_and_include_the_bundled_ones():
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in ISO_4217)
    assert {"USD", "EUR", "GBP", "AUD", "JPY", "CHF"} <= ISO_4217
    assert normalise_currency("usd") == "USD" and normalise_currency("EURO") is None
    assert "did you mean" not in currency_problem("QQQ")
