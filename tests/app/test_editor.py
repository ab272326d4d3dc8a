"""The scenario editor without widgets: each edit gives the engine's figures on the edited case."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxroi
from cxroi.app.editor import (
    MAX_ECHO,
    MISSING,
    ScenarioEditor,
    assign,
    echo,
    echo_number,
    issue_text,
    lookup,
    unique_name,
)
from cxroi.app.fields import (
    CASE_FIELDS,
    EFFECT_FIELDS,
    SEGMENT_FIELDS,
    FieldParseError,
)

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "scenarios" / "retail_bank.yaml"
UNCERTAIN = REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
#: NPV of the retail bank as published in docs/model.md (the reference case) [USD].
BANK_NPV = 2_469_087.08

DISCOUNT = next(s for s in CASE_FIELDS if s.key == "discount_rate")
WALLET = next(s for s in SEGMENT_FIELDS if s.key == "wallet")
CHURN = next(s for s in EFFECT_FIELDS if s.key == "churn_prevented")


def engine(path: Path, edit) -> dict:
    """KPIs the engine gives on the scenario at ``path`` edited by ``edit(mapping)``."""
    mapping = copy.deepcopy(cxroi.load_scenario(path).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping)).kpis


@pytest.fixture
def editor() -> ScenarioEditor:
    return ScenarioEditor(BANK)


def test_opens_on_the_reference_case(editor):
    assert editor.case.kpis["npv"] == pytest.approx(BANK_NPV, abs=0.01)
    assert editor.origin_name == "retail_bank.yaml"
    assert editor.mapping == editor.origin and editor.mapping is not editor.origin


@pytest.mark.parametrize("text", ["0.12", "12%", "12"])
def test_a_typed_rate_gives_the_engines_npv_on_the_edited_scenario(editor, text):
    editor.edit(DISCOUNT, ("discount_rate",), text)
    expected = engine(BANK, lambda m: m.update(discount_rate=0.12))
    assert editor.mapping["discount_rate"] == pytest.approx(0.12)
    assert editor.case.kpis["npv"] == pytest.approx(expected["npv"], rel=1e-12)
    assert editor.case.kpis["npv"] < BANK_NPV  # a higher rate discounts the benefits more
    assert editor.session.changes[-1] == "discount_rate: 0.1 -> 0.12"


def test_a_bare_number_above_one_is_read_as_a_percentage_and_said_so(editor):
    value, note = editor.read_text(DISCOUNT, ("discount_rate",), "12")
    assert value == pytest.approx(0.12) and note is not None and "12%" in note


def test_an_effect_per_segment_gives_the_engines_npv(editor):
    keys = ("initiatives", 0, "effects", "Mass market", "churn_prevented")
    editor.edit(CHURN, keys, "0.3")

    def edit(m):
        m["initiatives"][0]["effects"].setdefault("Mass market", {})["churn_prevented"] = 0.3

    assert editor.case.kpis["npv"] == pytest.approx(engine(BANK, edit)["npv"], rel=1e-12)
    # blank again: the override goes, and with it the segment's empty entry
    editor.edit(CHURN, keys, " ", blank_default=True)
    assert "Mass market" not in editor.mapping["initiatives"][0]["effects"]
    assert editor.case.kpis["npv"] == pytest.approx(BANK_NPV, abs=0.01)


def test_text_that_is_no_value_is_refused_and_the_state_is_kept(editor):
    with pytest.raises(FieldParseError):
        editor.edit(DISCOUNT, ("discount_rate",), "abc")
    assert editor.mapping == editor.origin and editor.session.changes == []


def test_a_value_the_rules_refuse_names_the_field_and_keeps_the_state(editor):
    before = editor.state()
    with pytest.raises(cxroi.ScenarioError) as err:
        editor.edit(DISCOUNT, ("discount_rate",), "-500%")
    assert "discount_rate" in str(err.value)
    assert editor.state() == before


def test_results_too_large_to_compute_keep_the_state(editor):
    candidate = editor.with_value(("segments", 0, "wallet"), 1e300)
    before = editor.state()
    with pytest.raises((ArithmeticError, cxroi.ScenarioError)):
        editor.apply(candidate)
    assert editor.state() == before


def test_a_number_typed_over_a_distribution_moves_its_base():
    editor = ScenarioEditor(UNCERTAIN)
    editor.edit(DISCOUNT, ("discount_rate",), "12%")
    assert editor.mapping["discount_rate"] == {"dist": "normal", "mean": 0.12, "sd": 0.01}
    expected = engine(UNCERTAIN, lambda m: m["discount_rate"].update(mean=0.12))
    assert editor.case.kpis["npv"] == pytest.approx(expected["npv"], rel=1e-12)


def test_a_range_is_typed_and_removed():
    editor = ScenarioEditor(UNCERTAIN)
    value, _ = editor.read_range(DISCOUNT, ("discount_rate",), "triangular 6%; 9%; 14%")
    editor.apply(editor.with_value(("discount_rate",), value))
    assert editor.scenario.distributions()["discount_rate"].mode == pytest.approx(0.09)
    value, _ = editor.read_range(DISCOUNT, ("discount_rate",), "")  # blank: the base alone
    editor.apply(editor.with_value(("discount_rate",), value))
    assert editor.mapping["discount_rate"] == pytest.approx(0.09)
    assert "discount_rate" not in editor.scenario.distributions()


def test_renaming_a_segment_renames_its_effect_overrides(editor):
    keys = ("initiatives", 0, "effects", "Mass market", "churn_prevented")
    editor.edit(CHURN, keys, "0.3")
    npv = editor.case.kpis["npv"]
    name = next(s for s in SEGMENT_FIELDS if s.key == "name")
    editor.edit(name, ("segments", 0, "name"), "Retail")
    effects = editor.mapping["initiatives"][0]["effects"]
    assert "Mass market" not in effects and effects["Retail"]["churn_prevented"] == 0.3
    assert editor.case.kpis["npv"] == pytest.approx(npv, rel=1e-12)  # a name moves no money


def test_an_added_segment_starts_neutral(editor):
    opened = editor.case.kpis["npv"]
    candidate, name = editor.with_segment_added()
    assert name == "New segment"
    editor.apply(candidate)
    assert len(editor.scenario.segments) == 3
    assert editor.case.kpis["npv"] == pytest.approx(opened, abs=1e-6)
    again, second = editor.with_segment_added()
    assert second == "New segment 2"
    removed = editor.with_segment_removed(2)
    assert [s["name"] for s in removed["segments"]] == ["Mass market", "Affluent"]
    assert all(name not in (i.get("effects") or {}) for i in removed["initiatives"])


def test_an_added_initiative_costs_and_gives_nothing(editor):
    opened = editor.case.kpis["npv"]
    editor.apply(editor.with_initiative_added())
    assert editor.scenario.initiative_names[-1] == "New initiative"
    assert editor.case.kpis["npv"] == pytest.approx(opened, abs=1e-6)
    assert editor.with_initiative_removed(0) is not None


def test_the_last_segment_or_initiative_is_never_removed():
    mapping = cxroi.load_scenario(BANK).to_mapping()
    mapping["segments"] = mapping["segments"][:1]
    mapping["initiatives"] = mapping["initiatives"][:1]
    for ini in mapping["initiatives"]:
        ini["effects"] = {k: v for k, v in ini["effects"].items() if k in ("*", "Mass market")}
    editor = ScenarioEditor(mapping)
    assert editor.with_segment_removed(0) is None and editor.with_initiative_removed(0) is None


def test_sbg_to_constant_is_the_retention_at_the_tenure_and_back_keeps_the_fit(editor):
    fitted = copy.deepcopy(editor.mapping["segments"][1]["retention"])
    editor.apply(editor.with_retention_model(1, "constant"))
    # sBG retention after tenure 4: (beta + 4) / (alpha + beta + 4) (Fader & Hardie 2007)
    a, b = fitted["alpha"], fitted["beta"]
    assert editor.mapping["segments"][1]["retention"] == round((b + 4) / (a + b + 4), 4)
    assert editor.with_retention_model(1, "constant") is None  # already constant
    editor.apply(editor.with_retention_model(1, "sbg"))
    assert editor.mapping["segments"][1]["retention"] == fitted


def test_constant_to_sbg_starts_at_the_same_churn(editor):
    editor.apply(editor.with_retention_model(0, "sbg"))
    curve = editor.mapping["segments"][0]["retention"]
    # alpha = 1, beta = r / (1 - r): retention at tenure 0 is beta / (1 + beta) = r = 0.82
    assert curve["alpha"] == 1.0 and curve["beta"] / (1 + curve["beta"]) == pytest.approx(0.82)


def test_benefit_risk_per_lever_and_back_never_favours_the_case(editor):
    editor.apply(editor.with_benefit_risk_form("lever"))
    assert editor.mapping["risk"]["benefit_adjustment"] == {"default": 0.10}
    assert editor.case.kpis["npv"] == pytest.approx(BANK_NPV, abs=0.01)
    risk = next(s for s in CASE_FIELDS if s.key == "benefit_adjustment")
    editor.edit(risk, ("risk", "benefit_adjustment", "retention"), "25%")
    by_lever = {"default": 0.10, "retention": 0.25}
    expected = engine(BANK, lambda m: m["risk"].update(benefit_adjustment=by_lever))
    assert editor.case.kpis["npv"] == pytest.approx(expected["npv"], rel=1e-12)
    editor.apply(editor.with_benefit_risk_form("number"))
    assert editor.mapping["risk"]["benefit_adjustment"] == 0.25  # the largest lever


def test_lines_and_unquantified_benefits_are_added_and_removed(editor):
    opened = editor.case.kpis["npv"]
    editor.apply(editor.with_line_added(0, "benefit_lines"))
    editor.apply(editor.with_line_added(0, "benefit_lines"))
    lines = editor.mapping["initiatives"][0]["benefit_lines"]
    assert [x["name"] for x in lines] == ["New benefit", "New benefit 2"]
    assert editor.case.kpis["npv"] == pytest.approx(opened, abs=1e-6)  # amounts are 0
    editor.apply(editor.with_item_removed(0, "benefit_lines", 0))
    editor.apply(editor.with_item_removed(0, "benefit_lines", 0))
    assert "benefit_lines" not in editor.mapping["initiatives"][0]
    editor.apply(
        editor.with_initiative_edit(0, lambda i: i.setdefault("unquantified", []).append("Brand"))
    )
    assert editor.scenario.initiatives[0].unquantified == ["Brand"]
    assert editor.case.kpis["npv"] == pytest.approx(opened, rel=1e-12)  # named, in no figure
    editor.apply(editor.with_item_removed(0, "unquantified", 0))
    assert "unquantified" not in editor.mapping["initiatives"][0]


def test_reset_and_undo_return_to_the_opened_case(editor):
    editor.edit(DISCOUNT, ("discount_rate",), "15%")
    assert editor.session.undo() == editor.origin
    editor.reset()
    assert editor.mapping == editor.origin
    assert editor.case.kpis["npv"] == pytest.approx(BANK_NPV, abs=0.01)


def test_the_value_in_force_includes_defaults(editor):
    keys = ("segments", 0, "new_customers_per_year")
    assert editor.value(keys) is MISSING
    assert editor.effective(keys) == editor.scenario.segments[0].new_customers_per_year
    assert editor.effective(("discount_rate",)) == 0.1


@given(
    keys=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4).map(tuple),
    value=st.floats(allow_nan=False) | st.text(max_size=5),
)
def test_a_value_assigned_is_the_value_looked_up(keys, value):
    mapping: dict = {}
    assign(mapping, keys, value)
    assert lookup(mapping, keys) == value
    assign(mapping, keys, None)
    assert lookup(mapping, keys) is MISSING


def test_evidence_is_unwrapped_when_looking_up():
    mapping = {"retention": {"value": 0.8, "source": "survey", "as_of": "2025-01"}}
    assert lookup(mapping, ("retention",)) == 0.8
    assert lookup({"x": [1, 2]}, ("x", 5)) is MISSING


def test_unique_names_count_up():
    assert unique_name("A", []) == "A"
    assert unique_name("A", ["A", "A 2"]) == "A 3"


def test_message_text_is_short_and_plain():
    assert len(echo("x" * 500)) == MAX_ECHO and echo("a\n  b") == "a b"
    assert echo_number(1234567.8) == "1,234,568" and echo_number(0.123456) == "0.1235"

    class Issue:
        rule = "must be in [0, 1)"
        value = 1.2

    assert issue_text(Issue()) == "must be in [0, 1) (got 1.2)"
    assert issue_text("plain") == "plain"


def test_the_editor_imports_no_widgets():
    code = "import sys, cxroi.app.editor; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
