"""The headline sentence, the switching loss won back and the KPI meanings."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.engine.case import KPI_KEYS
from cxroi.present.formatting import format_kpi, format_money, format_pct
from cxroi.present.headline import (
    headline,
    kpi_meaning,
    switching_recovery,
    switching_sentence,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(p for p in SCENARIOS.rglob("*.yaml") if "data" not in p.parts)
RETAIL = SCENARIOS / "retail_bank.yaml"


def _case(mapping):
    return cxroi.evaluate(cxroi.load_scenario(mapping))


def _retail():
    return yaml.safe_load(RETAIL.read_text())


def test_worked_example_sentence():
    case = _case(_retail())
    assert headline(case) == (
        "The programme returns $2.47M NPV after risk (ROI 23.0%), paying back in 3.1 years; "
        "most value comes from wallet share; Proactive outreach for affluent carries it while "
        "Omnichannel service redesign destroys value (-$221K)."
    )


def test_worked_example_switching_recovery():
    # Mass market: only the redesign prevents churn (25%); Affluent: 1 - 0.75 x 0.70 = 47.5%.
    case = _case(_retail())
    rec = switching_recovery(case)
    assert rec["loss"] == pytest.approx(10_177_638.34, abs=0.01)  # docs/model.md §9
    assert rec["loss"] == pytest.approx(case.kpis["annual_switching_loss"], rel=1e-12)
    seg = rec["by_segment"]
    assert seg["Mass market"]["share"] == pytest.approx(0.25, rel=1e-12)
    assert seg["Affluent"]["share"] == pytest.approx(0.475, rel=1e-12)
    # Mass market loss: 200k x 0.18 x 0.66 x 0.81 x 1500 x 0.30
    assert seg["Mass market"]["loss"] == pytest.approx(8_660_520.0, rel=1e-12)
    assert rec["recovered"] == pytest.approx(
        0.25 * seg["Mass market"]["loss"] + 0.475 * seg["Affluent"]["loss"], rel=1e-12
    )
    assert rec["share"] == pytest.approx(rec["recovered"] / rec["loss"], rel=1e-12)
    text = switching_sentence(case)
    assert text.startswith("$10.2M of revenue a year")
    assert f"wins back {format_pct(rec['share'])}" in text
    assert "28%" in text


def test_no_churn_prevented_recovers_nothing():
    m = _retail()
    for ini in m["initiatives"]:
        for eff in ini["effects"].values():
            eff.pop("churn_prevented", None)
    rec = switching_recovery(_case(m))
    assert rec["recovered"] == 0.0
    assert rec["share"] == 0.0


def test_negative_npv_and_no_payback():
    m = _retail()
    m["initiatives"][0]["capex"] = 40_000_000
    case = _case(m)
    assert case.kpis["npv"] < 0 and case.kpis["payback_years"] is None
    text = headline(case)
    assert text.startswith(f"The programme loses {format_money(-case.kpis['npv'], 'USD')} NPV")
    assert "does not pay back within 5 years" in text
    assert f"ROI {format_kpi('roi', case.kpis['roi'])}" in text
    assert "Omnichannel service redesign destroys value" in text


def test_one_initiative_names_no_initiative():
    m = _retail()
    m["initiatives"] = m["initiatives"][1:]
    case = _case(m)
    text = headline(case)
    assert "carries" not in text and "destroys" not in text and "adds the most" not in text
    assert "most value comes from" in text


def test_one_year_horizon_singular():
    m = _retail()
    m["horizon_years"] = 1
    case = _case(m)
    assert case.kpis["payback_years"] is None
    assert "does not pay back within 1 year;" in headline(case)


def test_every_initiative_destroys_value():
    m = _retail()
    for ini in m["initiatives"]:
        ini["capex"] = 30_000_000
    case = _case(m)
    text = headline(case)
    assert "carr" not in text
    assert (
        "Omnichannel service redesign and Proactive outreach for affluent destroy value" in (text)
        or "Proactive outreach for affluent and Omnichannel service redesign destroy value" in text
    )


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scenarios(path):
    case = _case(path)
    text = headline(case)
    npv = case.kpis["npv"]
    assert format_kpi("npv", abs(npv), case.currency) in text
    assert ("returns" if npv >= 0 else "loses") in text
    if case.kpis["payback_years"] is not None and npv >= 0:
        years = format_kpi("payback_years", case.kpis["payback_years"])
        assert f"paying back in {years}" in text
    for name, value in (case.by_initiative or {}).items():
        if value < 0 and len(case.by_initiative) > 1:
            assert name in text and format_money(value, case.currency) in text
    rec = switching_recovery(case)
    if case.kpis["annual_switching_loss"] == 0.0:  # a TEI study rebuilt: no customer economics
        assert rec["share"] is None
    else:
        assert 0.0 <= rec["share"] <= 1.0
    assert rec["loss"] == pytest.approx(case.kpis["annual_switching_loss"], rel=1e-12)


def test_kpi_meanings_cover_every_kpi():
    assert all(kpi_meaning(k).endswith(".") for k in KPI_KEYS)
    with pytest.raises(ValueError, match="'nope'"):
        kpi_meaning("nope")


def test_headline_does_not_mutate_case():
    case = _case(_retail())
    before = copy.deepcopy(case.kpis)
    headline(case)
    switching_recovery(case)
    assert case.kpis == before


def test_report_tells_the_story_and_the_meanings():
    import html

    from cxroi.present.report import render

    case = _case(_retail())
    out = render(RETAIL)
    assert "<p data-headline" in out and html.escape(headline(case)) in out
    for key in KPI_KEYS:
        assert html.escape(kpi_meaning(key)) in out


def test_negative_npv_that_pays_back_undiscounted():
    m = _retail()
    m["initiatives"][0]["capex"] = 7_000_000
    case = _case(m)
    assert case.kpis["npv"] < 0 and case.kpis["payback_years"] is not None
    years = format_kpi("payback_years", case.kpis["payback_years"])
    assert f"though its cash comes back (undiscounted) in {years}" in headline(case)
    assert "paying back" not in headline(case)


def test_tei_lines_named_in_plain_words():
    case = _case(SCENARIOS / "tei_salesloft.yaml")
    assert case.by_lever["lines"] > 0 and case.kpis["annual_switching_loss"] == 0.0
    text = headline(case)
    assert "most value comes from benefit lines not driven by customers (TEI lines)" in text
    assert switching_sentence(case) == "No revenue is lost to preventable poor CX in this scenario."
