"""The Uncertainty view in Chromium: Monte Carlo on demand gives the engine's numbers."""

from __future__ import annotations

import pytest

from cxroi.analysis.uncertainty import simulate, with_default_spread

from .cxroi_browser import SCENARIO, SHOT_DIR

pytestmark = pytest.mark.browser


def test_monte_carlo_on_demand(dashboard):
    page = dashboard
    page.get_by_role("tab", name="Uncertainty").click()
    page.locator(".cxroi-mc-run").click()
    page.wait_for_selector('[data-mc="prob_npv_positive"]', timeout=60_000)
    page.wait_for_function(
        """() => {
            const h = [...document.querySelectorAll('.cxroi-vega[data-chart^="mc_"]')];
            return h.length === 3 && h.every(x => x.dataset.rendered === x.dataset.rev);
        }""",
        timeout=60_000,
    )
    # the default run: 10,000 draws, seed 1, +-30% on effects given as numbers
    expected = simulate(with_default_spread(SCENARIO), draws=10_000, seed=1).summary
    shown = float(page.get_attribute('[data-mc="npv_p50"]', "data-value"))
    assert shown == pytest.approx(expected["npv"]["p50"], rel=1e-9)
    prob = float(page.get_attribute('[data-mc="prob_npv_positive"]', "data-value"))
    assert prob == pytest.approx(expected["prob_npv_positive"])
    assert page.locator(".cxroi-mc-status[data-state=done]").count() == 1
    page.screenshot(path=str(SHOT_DIR / "uncertainty.png"))
    page.get_by_role("tab", name="Business case").click()
