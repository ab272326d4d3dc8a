"""The dashboard in Chromium: numbers equal the engine's, every input group works, present
mode, bad input, the downloaded scenario, and nothing fetched from outside 127.0.0.1."""

from __future__ import annotations

import copy
import time

import pytest
import yaml

import cxroi

from .cxroi_browser import (
    CULL_IDLE_TIMEOUT,
    SCENARIO,
    SHOT_DIR,
    cli_json,
    enter,
    npv_on_screen,
    open_dashboard,
    wait_charts,
    wait_npv_change,
)

pytestmark = pytest.mark.browser

KPI_KEYS = (
    "npv",
    "roi",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "annual_switching_loss",
    "extra_customers_end",
)


def engine_npv(edit) -> float:
    """NPV of the test scenario after ``edit(mapping)``, straight from the engine."""
    mapping = copy.deepcopy(cxroi.load_scenario(SCENARIO).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping)).kpis["npv"]


def reset(page) -> None:
    before = npv_on_screen(page)
    page.click(".cxroi-reset button, button.cxroi-reset")
    if before != pytest.approx(cli_json(SCENARIO)["npv"], rel=1e-12):
        wait_npv_change(page, before)
    wait_charts(page)


def test_page_shows_the_cli_numbers(dashboard):
    expected = cli_json(SCENARIO)
    for key in KPI_KEYS:
        shown = dashboard.get_attribute(f'[data-kpi="{key}"]', "data-value")
        assert float(shown) == pytest.approx(expected[key], rel=1e-9), key
    assert dashboard.inner_text('[data-kpi="npv"]') == "$2.47M"
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    dashboard.screenshot(path=str(SHOT_DIR / "dashboard.png"))
    assert (SHOT_DIR / "dashboard.png").stat().st_size > 10_000


def test_case_settings_discount_rate_typed_as_decimal(dashboard):
    before = npv_on_screen(dashboard)
    field = dashboard.locator(".cxroi-field-discount_rate input")
    enter(field, "0.12")
    after = wait_npv_change(dashboard, before)
    assert after == pytest.approx(engine_npv(lambda m: m.update(discount_rate=0.12)), rel=1e-9)
    reset(dashboard)


def test_segment_retention(dashboard):
    before = npv_on_screen(dashboard)
    enter(dashboard.locator(".cxroi-field-segments-0-retention input"), "85%")
    after = wait_npv_change(dashboard, before)

    def edit(m):
        m["segments"][0]["retention"] = 0.85

    assert after == pytest.approx(engine_npv(edit), rel=1e-9)
    reset(dashboard)


def test_second_segment_tab(dashboard):
    dashboard.get_by_role("tab", name="Affluent", exact=True).click()
    field = dashboard.locator(".cxroi-field-segments-1-wallet input")
    field.wait_for(state="visible")
    before = npv_on_screen(dashboard)
    enter(field, "10000")
    after = wait_npv_change(dashboard, before)

    def edit(m):
        m["segments"][1]["wallet"] = 10000.0

    assert after == pytest.approx(engine_npv(edit), rel=1e-9)
    reset(dashboard)


def test_initiative_costs_and_effects(dashboard):
    before = npv_on_screen(dashboard)
    enter(dashboard.locator(".cxroi-field-initiatives-0-capex input"), "5M")
    middle = wait_npv_change(dashboard, before)
    enter(dashboard.locator(".cxroi-field-initiatives-0-effects-all-churn_prevented input"), "0.3")
    after = wait_npv_change(dashboard, middle)

    def edit(m):
        m["initiatives"][0]["capex"] = 5_000_000.0
        m["initiatives"][0]["effects"]["*"]["churn_prevented"] = 0.3

    assert after == pytest.approx(engine_npv(edit), rel=1e-9)
    reset(dashboard)


def test_bad_value_names_the_field_and_keeps_the_case(dashboard):
    before = npv_on_screen(dashboard)
    field = dashboard.locator(".cxroi-field-discount_rate input")
    enter(field, "abc")
    error = dashboard.locator(".cxroi-error")
    error.wait_for(timeout=10_000)
    assert "Discount rate" in error.inner_text()
    enter(field, "-500%")  # parses (-5), but the rule d > -1 refuses it
    dashboard.wait_for_function(
        "() => document.querySelector('.cxroi-error').textContent.includes('> -1')"
    )
    assert "Discount rate" in dashboard.locator(".cxroi-error").inner_text()
    assert npv_on_screen(dashboard) == before
    assert dashboard.locator("text=Traceback").count() == 0
    enter(field, "0.1")
    dashboard.locator(".cxroi-error").wait_for(state="detached", timeout=10_000)
    assert npv_on_screen(dashboard) == pytest.approx(before, rel=1e-12)


def test_present_mode(dashboard):
    toggle = dashboard.locator(".cxroi-present-toggle")
    toggle.click()
    dashboard.locator(".cxroi-app.cxroi-present").wait_for()
    wait_charts(dashboard)
    assert dashboard.locator(".cxroi-sidebar").count() == 0
    assert dashboard.locator(".cxroi-keybar .cxroi-field-discount_rate input").count() == 1
    before = npv_on_screen(dashboard)
    enter(dashboard.locator(".cxroi-field-discount_rate input"), "0.08")
    after = wait_npv_change(dashboard, before)
    assert after == pytest.approx(engine_npv(lambda m: m.update(discount_rate=0.08)), rel=1e-9)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    dashboard.screenshot(path=str(SHOT_DIR / "present_mode.png"))
    toggle.click()
    dashboard.locator(".cxroi-sidebar").wait_for()
    assert dashboard.locator(".cxroi-app.cxroi-present").count() == 0
    reset(dashboard)


def test_downloaded_scenario_runs_to_the_same_npv(dashboard, tmp_path):
    before = npv_on_screen(dashboard)
    enter(dashboard.locator(".cxroi-field-risk-benefit_adjustment input"), "20%")
    shown = wait_npv_change(dashboard, before)
    with dashboard.expect_download() as info:
        dashboard.click("a.cxroi-download")
    path = tmp_path / "downloaded.yaml"
    info.value.save_as(path)
    assert yaml.safe_load(path.read_text())["risk"]["benefit_adjustment"] == 0.2
    assert cli_json(path)["npv"] == pytest.approx(shown, rel=1e-9)
    reset(dashboard)


def test_preheated_kernel_survives_culling_then_is_culled(browser, voila_server, requests_seen):
    # Let the pooled kernel sit idle well past the cull timeout, then take it.
    time.sleep(CULL_IDLE_TIMEOUT + 4)
    page = open_dashboard(browser, voila_server, requests_seen)
    try:
        kernel_id = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        time.sleep(3)  # a few cull sweeps while connected
        before = npv_on_screen(page)
        enter(page.locator(".cxroi-field-discount_rate input"), "0.11")
        wait_npv_change(page, before)
        assert voila_server.kernel_alive(kernel_id)
    finally:
        page.context.close()
    deadline = time.monotonic() + 30
    while voila_server.kernel_alive(kernel_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not voila_server.kernel_alive(kernel_id), "closed tab's kernel was not culled"


def test_nothing_requested_outside_localhost(dashboard, requests_seen):
    assert requests_seen, "no request was recorded"
    assert requests_seen.outside() == []
