"""Tests of the dashboard's Uncertainty view, in the kernel (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxroi.analysis.uncertainty import simulate, with_default_spread
from cxroi.app import Dashboard
from cxroi.app.uncertainty_view import summary_cards
from cxroi.model.scenario import ScenarioError

REPO = Path(__file__).resolve().parents[2]


def _mc(app, key):
    match = re.search(rf'data-mc="{key}" data-value="([^"]*)"', app.uncertainty.summary.value)
    return float(match.group(1))


def test_run_shows_the_simulation_and_marks_stale_after_a_change():
    app = Dashboard.from_path(REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml")
    view = app.uncertainty
    view.draws.value = 1_000
    view.seed.value = 4
    view.spread.value = False
    view.run()
    expected = simulate(app.scenario, draws=1_000, seed=4).summary
    assert _mc(app, "npv_p50") == pytest.approx(expected["npv"]["p50"], rel=1e-12)
    assert _mc(app, "prob_npv_positive") == pytest.approx(expected["prob_npv_positive"])
    assert view.progress.value == view.progress.max == 1_000
    assert all('class="cxroi-vega"' in pane.value for pane in view.panes.values())
    assert 'data-state="done"' in view.status.value
    app.set_text("discount_rate", "0.12")
    assert 'data-state="stale"' in view.status.value


def test_default_spread_for_a_scenario_without_distributions():
    app = Dashboard.from_path(REPO / "scenarios" / "retail_bank.yaml")
    view = app.uncertainty
    view.draws.value = 1_000
    view.spread.value = False
    view.run()
    assert 'data-state="none"' in view.status.value  # nothing uncertain: says so, no charts
    view.spread.value = True
    view.run()
    expected = simulate(with_default_spread(app.scenario), draws=1_000, seed=1).summary
    assert _mc(app, "npv_p5") == pytest.approx(expected["npv"]["p5"], rel=1e-12)


def test_opening_another_scenario_clears_the_old_results():
    app = Dashboard.from_path(REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml")
    view = app.uncertainty
    view.draws.value = 1_000
    view.run()
    assert view.result is not None
    app._open(str(REPO / "scenarios" / "telecom.yaml"))
    assert app.scenario.name != "retail bank"
    assert view.result is None
    assert all(pane.value == "" for pane in view.panes.values())
    assert "data-mc=" not in view.summary.value
    assert 'data-state="cleared"' in view.status.value
    assert "run again" in view.status.value


def test_a_failed_run_keeps_the_inputs_changed_note():
    app = Dashboard.from_path(REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml")
    view = app.uncertainty
    view.draws.value = 1_000
    view.spread.value = False
    view.run()
    app.set_text("discount_rate", "0.12")
    assert 'data-state="stale"' in view.status.value
    view._scenario = lambda: (_ for _ in ()).throw(ScenarioError("spread: cannot apply"))
    view.run()
    assert "cxroi-error" in view.status.value
    assert 'data-state="stale"' in view.status.value
    assert "data-mc=" in view.summary.value  # the old results stay, marked as old


def test_one_year_horizon_is_singular():
    summary = {
        "npv": {"p5": -1.0, "p50": 0.0, "p95": 1.0},
        "payback_years": {"p50": None},
        "prob_npv_positive": 0.5,
        "prob_payback_within_horizon": 0.0,
    }
    html = summary_cards(summary, "EUR", 1)
    assert "within 1 year<" in html
    assert "€0" in html and "$" not in html
