"""Version 2 of the case in Chromium: TEI lines edited per initiative, customer equity beside
the NPV, standalone and last-in beside Shapley.

Shares the session's Voila server on ``scenarios/retail_bank.yaml`` (one page for the module).
"""

from __future__ import annotations

import copy

import pytest

import cxroi

from .cxroi_browser import (
    SCENARIO,
    enter,
    npv_on_screen,
    open_dashboard,
    wait_charts,
    wait_npv_change,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(browser, voila_server, requests_seen):
    """This module's page; opened a second time if a loaded machine lost the first kernel."""
    try:
        page = open_dashboard(browser, voila_server, requests_seen)
    except Exception:  # noqa: BLE001 - a page that never rendered: one retry, then fail
        page = open_dashboard(browser, voila_server, requests_seen)
    yield page
    page.context.close()

LINES = ".cxroi-field-initiatives-0-benefit_lines"


def engine_case(edit) -> cxroi.BusinessCase:
    mapping = copy.deepcopy(cxroi.load_scenario(SCENARIO).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping))


def value_of(page, selector: str) -> float | None:
    text = page.get_attribute(selector, "data-value")
    return None if text == "null" else float(text)


def test_customer_equity_and_initiative_values_are_the_engines(dashboard):
    case = engine_case(lambda m: None)
    for key in ("customer_equity", "npv_with_customer_equity"):
        assert value_of(dashboard, f'[data-kpi="{key}"]') == pytest.approx(
            case.kpis[key], rel=1e-12
        )
        assert value_of(dashboard, f'[data-kpi-unadjusted="{key}"]') == pytest.approx(
            case.unadjusted[key], rel=1e-12
        )
    assert dashboard.locator(".cxroi-equity").is_visible()
    for name in case.scenario.initiative_names:
        for measure, values in (
            ("shapley", case.by_initiative),
            ("standalone", case.by_initiative_standalone),
            ("last_in", case.by_initiative_last_in),
        ):
            cell = f'[data-initiative="{name}"][data-measure="{measure}"]'
            assert value_of(dashboard, cell) == pytest.approx(values[name], rel=1e-12)


def test_a_benefit_line_added_edited_and_removed(dashboard):
    before = npv_on_screen(dashboard)
    dashboard.locator(f"{LINES}-add").click()
    amount = dashboard.locator(f"{LINES}-0-amount input")
    amount.wait_for(timeout=60_000)
    enter(amount, "200k")
    npv = wait_npv_change(dashboard, before, timeout=60_000)
    expected = engine_case(
        lambda m: m["initiatives"][0].update(
            benefit_lines=[{"name": "New benefit", "amount": 200_000.0}]
        )
    )
    assert npv == pytest.approx(expected.kpis["npv"], rel=1e-12)
    row = '[data-row="benefit:Omnichannel service redesign:New benefit"]'
    dashboard.wait_for_selector(row, timeout=30_000)
    assert value_of(dashboard, '[data-kpi="pv_benefits"]') == pytest.approx(
        expected.kpis["pv_benefits"], rel=1e-12
    )
    # a bad risk is refused, by label, and the case stays
    risk = dashboard.locator(f"{LINES}-0-risk input")
    enter(risk, "150%")
    error = dashboard.locator(".cxroi-error", has_text="Benefit line risk")
    error.wait_for(timeout=30_000)
    assert "must be in [0, 1)" in error.inner_text()
    assert npv_on_screen(dashboard) == npv
    enter(risk, "20%")
    npv = wait_npv_change(dashboard, npv, timeout=60_000)
    expected = engine_case(
        lambda m: m["initiatives"][0].update(
            benefit_lines=[{"name": "New benefit", "amount": 200_000.0, "risk": 0.2}]
        )
    )
    assert npv == pytest.approx(expected.kpis["npv"], rel=1e-12)
    dashboard.locator(f"{LINES}-0-remove").click()
    back = wait_npv_change(dashboard, npv, timeout=60_000)
    assert back == pytest.approx(before, rel=1e-12)
    wait_charts(dashboard)


def test_goal_seek_on_the_page(dashboard):
    from cxroi.analysis.whatif import goal_seek

    path = "initiatives[Omnichannel service redesign].opex"
    dashboard.select_option(".cxroi-goalseek-field select", label=path)
    dashboard.select_option(".cxroi-goalseek-kpi select", label="ROI")
    enter(dashboard.locator(".cxroi-goalseek-target input"), "100%")
    dashboard.locator("button.cxroi-goalseek").click()
    result = dashboard.locator(".cxroi-goalseek-result")
    result.wait_for(timeout=60_000)
    expected = goal_seek(cxroi.load_scenario(SCENARIO), path, "roi", 1.0)["value"]
    assert float(result.get_attribute("data-value")) == pytest.approx(expected, rel=1e-12)
    assert "ROI = 100.0% when" in result.inner_text()
