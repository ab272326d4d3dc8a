"""TEI lines, unquantified benefits, customer equity, standalone and last-in in the dashboard.

Widget values are set in Python as a user would type them; what the page would show (the
KPI markup, the TEI table, the value-by-initiative table) is read back and compared with the
engine's figures for the same scenario written by hand.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import numpy as np
import pytest

import cxroi
from cxroi.app import Dashboard, tei_inputs

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "scenarios" / "retail_bank.yaml"
TEI = REPO / "scenarios" / "tei_salesloft.yaml"
INI = "initiatives[SalesLoft]"
BENEFIT = f"{INI}.benefit_lines[Total benefits (risk-adjusted)]"
COST = f"{INI}.cost_lines[Total costs (risk-adjusted)]"


def attr(html: str, hook: str, key: str, name: str = "data-value") -> float | None:
    match = re.search(rf'{hook}="{re.escape(key)}"[^>]*?{name}="([^"]+)"', html)
    assert match, (hook, key)
    return None if match.group(1) == "null" else float(match.group(1))


def shown(app: Dashboard, key: str) -> float | None:
    return attr(app.kpis.value, "data-kpi", key)


def engine_case(path: Path, edit) -> cxroi.BusinessCase:
    mapping = copy.deepcopy(cxroi.load_scenario(path).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping))


@pytest.fixture
def tei():
    return Dashboard.from_path(TEI)


def test_tei_table_rows_are_the_engines_lines(tei):
    case = tei.case
    df = case.cashflow["discount_factor"].to_numpy()
    table = case.line_table()
    years = list(case.cashflow.index)
    for _, row in table.iterrows():
        who = row.initiative if isinstance(row.initiative, str) else ""
        pv = float(np.dot([row[t] for t in years], df))
        assert attr(tei.tei.value, "data-row", f"{row.kind}:{who}:{row.line}", "data-pv") == (
            pytest.approx(pv, rel=1e-12, abs=1e-9)
        )
    # the published study: PV benefits $7,168,371, PV costs $1,672,201, NPV $5,496,170
    assert attr(tei.tei.value, "data-row", "benefits", "data-pv") == pytest.approx(7_168_371, abs=1)
    assert attr(tei.tei.value, "data-row", "costs", "data-pv") == pytest.approx(1_672_201, abs=1)
    assert attr(tei.tei.value, "data-row", "net", "data-pv") == pytest.approx(5_496_170, abs=1)
    assert shown(tei, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)


def test_line_risk_and_amount_typed_give_the_engine_figures(tei):
    tei.set_text(f"{BENEFIT}.risk", "10%")
    case = engine_case(TEI, lambda m: m["initiatives"][0]["benefit_lines"][0].update(risk=0.10))
    assert shown(tei, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert shown(tei, "pv_benefits") == pytest.approx(0.9 * 7_168_371.4575, rel=1e-9)
    tei.set_text(f"{COST}.amount", "0: 60k; 1: 700k")
    case = engine_case(
        TEI,
        lambda m: (
            m["initiatives"][0]["benefit_lines"][0].update(risk=0.10),
            m["initiatives"][0]["cost_lines"][0].update(amount={0: 60_000.0, 1: 700_000.0}),
        ),
    )
    assert shown(tei, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert attr(tei.tei.value, "data-row", "costs", "data-pv") == pytest.approx(
        case.kpis["pv_costs"], rel=1e-12
    )


def test_add_rename_and_remove_a_line(tei):
    before = shown(tei, "npv")
    tei_inputs.add_line(tei, 0, "cost_lines")
    assert shown(tei, "npv") == pytest.approx(before, rel=1e-12)  # a new line costs nothing
    tei.set_text(f"{INI}.cost_lines[New cost].amount", "100k")
    tei.set_text(f"{INI}.cost_lines[New cost].name", "Training")
    case = engine_case(
        TEI,
        lambda m: m["initiatives"][0]["cost_lines"].append(
            {"name": "Training", "amount": 100_000.0}
        ),
    )
    assert shown(tei, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert tei.field(f"{INI}.cost_lines[Training].amount").entry.value == "100,000"
    assert 'data-row="cost:SalesLoft:Training"' in tei.tei.value
    tei_inputs.remove_line(tei, 0, "cost_lines", 1)
    assert shown(tei, "npv") == pytest.approx(before, rel=1e-12)
    with pytest.raises(KeyError):
        tei.field(f"{INI}.cost_lines[Training].amount")
    tei_inputs.add_line(tei, 0, "benefit_lines")
    tei.set_text(f"{INI}.benefit_lines[New benefit].amount", "50k; 80k")
    case = engine_case(
        TEI,
        lambda m: m["initiatives"][0]["benefit_lines"].append(
            {"name": "New benefit", "amount": [50_000.0, 80_000.0]}
        ),
    )
    assert shown(tei, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)


def test_bad_line_values_name_the_field_by_its_label(tei):
    before = shown(tei, "npv")
    tei.set_text(f"{BENEFIT}.risk", "150%")
    error = tei.field(f"{BENEFIT}.risk").error.value
    assert "Benefit line risk: must be in [0, 1) (got 1.5)" in error
    assert "cxroi-error" in error
    tei.set_text(f"{COST}.amount", "-5")
    assert "Cost line amount: must be &gt;= 0" in tei.field(f"{COST}.amount").error.value
    tei.set_text(f"{COST}.amount", "lots")
    assert "Cost line amount: not a number" in tei.field(f"{COST}.amount").error.value
    assert shown(tei, "npv") == before
    assert "Traceback" not in tei.banner.value


def test_unquantified_benefits_are_edited_and_listed_under_the_initiative(tei):
    npv = shown(tei, "npv")
    tei_inputs.add_unquantified(tei, 0, "  Brand lift ")
    assert tei.case.unquantified["SalesLoft"][-1] == "Brand lift"
    assert "<li>Brand lift</li>" in tei.unquantified.value
    assert 'data-unquantified="SalesLoft"' in tei.unquantified.value
    tei.set_text(f"{INI}.unquantified[1]", "Brand and trust")
    assert tei.case.unquantified["SalesLoft"][-1] == "Brand and trust"
    tei_inputs.remove_unquantified(tei, 0, 0)
    assert tei.case.unquantified == {"SalesLoft": ["Brand and trust"]}
    assert shown(tei, "npv") == npv  # in no figure
    tei_inputs.add_unquantified(tei, 0, "   ")
    assert "Unquantified benefit: type its name first" in tei.banner.value
    tei.set_text(f"{INI}.unquantified[0]", "")
    assert "Unquantified benefit: is required" in tei.field(f"{INI}.unquantified[0]").error.value


def test_customer_equity_card_beside_npv():
    app = Dashboard.from_path(BANK)
    case = app.case
    for key in ("customer_equity", "npv_with_customer_equity"):
        assert shown(app, key) == pytest.approx(case.kpis[key], rel=1e-12)
        assert attr(app.kpis.value, "data-kpi-unadjusted", key) == pytest.approx(
            case.unadjusted[key], rel=1e-12
        )
    assert shown(app, "customer_equity") == pytest.approx(2_630_966.84, abs=0.01)
    assert shown(app, "npv_with_customer_equity") == pytest.approx(
        shown(app, "npv") + shown(app, "customer_equity"), rel=1e-12
    )
    # the card comes right after the NPV card
    assert app.kpis.value.index('data-kpi="customer_equity"') < app.kpis.value.index(
        'data-kpi="roi"'
    )
    app.set_text("discount_rate", "0")  # sBG with alpha <= 1 at d = 0: the series diverges
    assert shown(app, "customer_equity") is None
    assert shown(app, "npv_with_customer_equity") is None
    assert "Not defined" in app.kpis.value and "never settles" in app.kpis.value
    assert shown(app, "npv") == pytest.approx(
        engine_case(BANK, lambda m: m.update(discount_rate=0.0)).kpis["npv"], rel=1e-12
    )


def test_standalone_and_last_in_beside_shapley():
    app = Dashboard.from_path(BANK)
    case = app.case
    html = app.initiative_values.value
    for name in case.scenario.initiative_names:
        for measure, values in (
            ("shapley", case.by_initiative),
            ("standalone", case.by_initiative_standalone),
            ("last_in", case.by_initiative_last_in),
        ):
            got = re.search(
                rf'data-initiative="{re.escape(name)}" data-measure="{measure}" '
                r'data-value="([^"]+)"',
                html,
            )
            assert float(got.group(1)) == pytest.approx(values[name], rel=1e-12)
    # Shapley values add up to the NPV; standalone and last-in need not
    assert sum(case.by_initiative.values()) == pytest.approx(case.kpis["npv"], rel=1e-9)
    assert case.by_initiative_standalone["Omnichannel service redesign"] == pytest.approx(
        -142_173.08, abs=0.01
    )


# ------------------------------------------------------------------------ risk by lever
def test_benefit_risk_switches_to_per_lever_and_each_lever_gives_the_engine_npv():
    app = Dashboard.from_path(BANK)
    before = shown(app, "npv")
    tei_inputs.switch_benefit_risk(app, "lever")
    assert app._mapping["risk"]["benefit_adjustment"] == {"default": 0.10}
    # every lever at the old 10%: the same risk-adjusted figures on this bank
    case = engine_case(BANK, lambda m: m["risk"].update(benefit_adjustment={"default": 0.10}))
    assert shown(app, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert shown(app, "npv") == pytest.approx(before, rel=1e-9)
    assert app._risk_form.value == "lever" and app._risk_form in app.case_group.children
    app.set_text("risk.benefit_adjustment.retention", "25%")
    app.set_text("risk.benefit_adjustment.lines", "5%")
    mapping = {"default": 0.10, "retention": 0.25, "lines": 0.05}
    case = engine_case(BANK, lambda m: m["risk"].update(benefit_adjustment=mapping))
    assert shown(app, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert shown(app, "customer_equity") == pytest.approx(case.kpis["customer_equity"], rel=1e-12)
    app.set_text("risk.benefit_adjustment.wallet", "120%")
    error = app.field("risk.benefit_adjustment.wallet").error.value
    assert "Wallet-share risk: must be in [0, 1) (got 1.2)" in error
    assert shown(app, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    # back to one number: the largest value in force, never in the case's favour
    tei_inputs.switch_benefit_risk(app, "number")
    assert app._mapping["risk"]["benefit_adjustment"] == 0.25
    case = engine_case(BANK, lambda m: m["risk"].update(benefit_adjustment=0.25))
    assert shown(app, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    app.set_present(True)  # the one-number input is a key input again
    assert app.field("risk.benefit_adjustment").box in app.keybar.children


def test_a_scenario_with_risk_by_lever_and_a_tenure_mix_opens():
    mapping = cxroi.load_scenario(BANK).to_mapping()
    mapping["risk"]["benefit_adjustment"] = {"retention": 0.3, "default": 0.1}
    mapping["segments"][1]["retention"]["tenure"] = {0: 0.5, 8: 0.5}
    app = Dashboard(mapping)
    case = cxroi.evaluate(cxroi.load_scenario(mapping))
    assert shown(app, "npv") == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert app.field("risk.benefit_adjustment.retention").entry.value == "30%"
    assert app.field("risk.benefit_adjustment.wallet").entry.value == ""  # default applies
    app.segment_tabs.selected_index = 1
    assert app.field("segments[Affluent].retention.tenure").entry.value == "0: 50%; 8: 50%"


# ------------------------------------------------------------------------ tenure mix
def test_tenure_mix_typed_gives_the_engine_figures_and_a_bad_mix_is_explained():
    app = Dashboard.from_path(BANK)
    app.segment_tabs.selected_index = 1
    path = "segments[Affluent].retention.tenure"
    app.set_text(path, "0: 50%; 8: 50%")
    case = engine_case(
        BANK, lambda m: m["segments"][1]["retention"].update(tenure={0: 0.5, 8: 0.5})
    )
    for key in ("npv", "annual_switching_loss", "customer_equity"):
        assert shown(app, key) == pytest.approx(case.kpis[key], rel=1e-12)
    # the figure: a 50/50 mix of tenures 0 and 8 moves the affluent loss by about 29%
    alone = engine_case(BANK, lambda m: None).by_segment.loc["Affluent", "annual_switching_loss"]
    mixed = case.by_segment.loc["Affluent", "annual_switching_loss"]
    assert abs(mixed / alone - 1) == pytest.approx(0.29, abs=0.01)
    before = shown(app, "npv")
    app.set_text(path, "0: 50%; 8: 40%")
    error = app.field(path).error.value
    assert "Renewals made (tenure): the shares of today&#x27;s customers must add up to 100%" in (
        error
    )
    assert "(they add up to 90%)" in error
    assert shown(app, "npv") == before
    app.set_text(path, "0: 50%; 0: 50%")
    assert "0 renewals is given twice" in app.field(path).error.value
    # switching to a constant rate takes the mix's retention: sum of share x r(k)
    app._switch_retention(1, "constant")
    r = lambda k: (3.806 + k) / (0.668 + 3.806 + k)  # noqa: E731
    assert app._mapping["segments"][1]["retention"] == pytest.approx(
        round(0.5 * r(0) + 0.5 * r(8), 4)
    )


# ------------------------------------------------------------------------ provenance
def _label_source(app: Dashboard, path: str) -> tuple[str, str, str]:
    label = app.field(path).label.value
    title = re.search(r'title="([^"]*)"', label).group(1)
    shown = re.search(r'data-source="([^"]*)"', label).group(1)
    kind = re.search(r'data-source-kind="([^"]*)"', label).group(1)
    return title, shown, kind


def test_each_input_shows_its_source_on_hover(tei):
    sources = tei.scenario.input_sources()
    for path in (
        "discount_rate",
        f"{BENEFIT}.amount",
        f"{COST}.amount",
        "segments[Neutral (no customer economics)].preventable_share",
        "horizon_years",
    ):
        title, shown, kind = _label_source(tei, path)
        assert html.unescape(shown) == sources[path].shown and kind == sources[path].kind
        assert "Source: " + sources[path].shown in html.unescape(title)
    title, _, _ = _label_source(tei, "discount_rate")
    assert "Forrester TEI of SalesLoft, Financial Summary" in title
    title, shown, kind = _label_source(
        tei, "segments[Neutral (no customer economics)].preventable_share"
    )
    assert kind == "benchmark default" and "Accenture" in shown and "(benchmark default)" in title
    assert _label_source(tei, "horizon_years")[1] == "not sourced"
    # a new value typed over a sourced one has no evidence
    tei.set_text("discount_rate", "12%")
    assert _label_source(tei, "discount_rate")[1] == "not sourced"


def test_source_note_and_date_are_shown_and_effect_cells_carry_them():
    mapping = cxroi.load_scenario(BANK).to_mapping()
    mapping["segments"][0]["retention"] = {
        "value": 0.82,
        "source": "CRM churn report FY2025",
        "note": "12-month average",
        "as_of": "2025-09-30",
    }
    effect = mapping["initiatives"][0]["effects"]["*"]
    effect["churn_prevented"] = {"value": effect["churn_prevented"], "source": "Pilot Q2"}
    app = Dashboard(mapping)
    title, shown, kind = _label_source(app, "segments[Mass market].retention")
    assert (shown, kind) == ("CRM churn report FY2025", "given")
    assert "Source: CRM churn report FY2025 (12-month average; as of 2025-09-30)" in title
    cell = app.field("initiatives[Omnichannel service redesign].effects[*].churn_prevented")
    assert "Source: Pilot Q2" in cell.entry.tooltip
    assert shown_npv_is_engine(app, mapping)


def shown_npv_is_engine(app: Dashboard, mapping: dict) -> bool:
    npv = cxroi.evaluate(cxroi.load_scenario(mapping)).kpis["npv"]
    return shown(app, "npv") == pytest.approx(npv, rel=1e-12)


# ------------------------------------------------------------------------ goal seek
def _goal(app: Dashboard) -> float | None:
    text = re.search(r'data-value="([^"]+)"', app.goalseek.result.value).group(1)
    return None if text == "null" else float(text)


def test_goal_seek_finds_the_value_that_gives_roi_100_percent():
    from cxroi.analysis.whatif import goal_seek

    app = Dashboard.from_path(BANK)
    path = "initiatives[Omnichannel service redesign].opex"
    assert path in app.goalseek.field.options
    app.goalseek.run(path, "roi", "100%")
    value = _goal(app)
    assert value == goal_seek(app.scenario, path, "roi", 1.0)["value"]
    case = engine_case(BANK, lambda m: m["initiatives"][0].update(opex=value))
    assert case.kpis["roi"] == pytest.approx(1.0, abs=1e-6)
    assert "ROI = 100.0% when" in app.goalseek.result.value
    # NPV = 0 on the discount rate is the IRR (docs/model.md §9: 0.243752)
    app.goalseek.run("discount_rate", "npv", "0")
    assert _goal(app) == pytest.approx(0.243752, abs=1e-5)
    # a target no value reaches says so in plain words
    app.goalseek.run("discount_rate", "roi", "100000%")
    assert _goal(app) is None
    assert "No value of discount_rate in the field&#x27;s range gives ROI" in (
        app.goalseek.result.value
    )
    app.goalseek.run("discount_rate", "roi", "lots")
    assert "Target: not a number" in app.goalseek.result.value
    app.goalseek.run("not a field", "roi", "1")  # a value the page could send: ignored
    assert app.goalseek.result.value == ""
    app.goalseek.run("discount_rate", "roi", "100")  # a bare 100 is 100%, said so
    assert _goal(app) == goal_seek(app.scenario, "discount_rate", "roi", 1.0)["value"]
    assert "read 100 as 100%" in app.goalseek.result.value


def test_a_refused_rename_is_said_next_to_the_name_typed(tei):
    tei_inputs.add_line(tei, 0, "benefit_lines")
    name = f"{INI}.benefit_lines[New benefit].name"
    tei.set_text(name, "Total benefits (risk-adjusted)")
    error = tei.field(name).error.value
    assert "Benefit line name: names must be unique within benefit_lines" in error
    assert tei.field(f"{BENEFIT}.name").error is None  # not on the other line
    tei.set_text(name, "a.b")
    assert "Benefit line name: must not contain &#x27;.&#x27;" in tei.field(name).error.value
    assert tei.banner.value == ""
    tei.set_text(name, "Handle time")  # a distribution on a line's amount keeps its range
    tei.set_text(f"{INI}.benefit_lines[Handle time].amount", "triangular 100k; 200k; 300k")
    field = tei.field(f"{INI}.benefit_lines[Handle time].amount")
    assert field.dist_entry.value == "triangular 100,000; 200,000; 300,000"
    assert list(tei.scenario.distributions()) == [f"{INI}.benefit_lines[Handle time].amount"]


def test_goal_seek_offers_the_fields_of_the_case_with_one_picked():
    app = Dashboard.from_path(TEI)
    assert app.goalseek.field.value == "discount_rate"
    assert list(app.goalseek.field.options) == list(app.scenario.fields())
    tei_inputs.add_line(app, 0, "cost_lines")
    assert f"{INI}.cost_lines[New cost].amount" in app.goalseek.field.options


def test_key_effect_input_without_a_value_shows_the_default_zero_and_takes_a_value(tei):
    tei.set_present(True)
    path = f"{INI}.effects[*].churn_prevented"

    def key_input():
        (field,) = [f for f in tei._extras if f.path == path]
        assert field.box in tei.keybar.children
        return field

    # the study sets no effect: a blank entry whose placeholder is the value in force, 0%
    assert not tei._mapping["initiatives"][0].get("effects")
    assert key_input().entry.value == "" and key_input().entry.placeholder == "0%"
    key_input().entry.value = "10%"
    assert not key_input().has_error
    assert tei._mapping["initiatives"][0]["effects"]["*"]["churn_prevented"] == 0.10
    assert key_input().entry.value == "10%"
    key_input().entry.value = ""  # blank again: the default applies, no error
    assert not key_input().has_error
    effects = tei._mapping["initiatives"][0].get("effects") or {}
    assert "churn_prevented" not in effects.get("*", {})
    assert key_input().entry.value == "" and key_input().entry.placeholder == "0%"
