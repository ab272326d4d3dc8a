"""TEI lines, unquantified benefits, customer equity, standalone and last-in in the dashboard.

Widget values are set in Python as a user would type them; what the page would show (the
KPI markup, the TEI table, the value-by-initiative table) is read back and compared with the
engine's figures for the same scenario written by hand.
"""

from __future__ import annotations

import copy
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
    case = engine_case(
        TEI, lambda m: m["initiatives"][0]["benefit_lines"][0].update(risk=0.10)
    )
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
