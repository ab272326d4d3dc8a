"""A busy dashboard kernel past its time limit: the work is stopped and the page says so.

The server runs with a time limit so small (10 ms) that an ordinary change exceeds it, which
stands in for a computation that would never end.
"""

from __future__ import annotations

import os

import pytest

from .cxroi_browser import SCENARIO, VoilaServer, _free_port, enter, voila_process

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory, chromium_executable):
    tmp = tmp_path_factory.mktemp("voila-limit")
    port = _free_port()
    old = os.environ.get("CXROI_TIME_LIMIT")
    os.environ["CXROI_TIME_LIMIT"] = "0.01"  # inherited by the server and its kernels
    try:
        with voila_process([str(SCENARIO), "--pool-size", "0"], tmp, port) as proc:
            yield VoilaServer(port, proc, tmp / "voila.log")
    finally:
        if old is None:
            os.environ.pop("CXROI_TIME_LIMIT", None)
        else:
            os.environ["CXROI_TIME_LIMIT"] = old


def test_a_change_past_the_time_limit_is_stopped_in_plain_words(browser, strict_server):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        page.goto(strict_server.url, timeout=120_000)
        page.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
        npv = page.get_attribute('[data-kpi="npv"]', "data-value")
        enter(page.locator(".cxroi-field-discount_rate input"), "12%")
        page.wait_for_function(
            "() => (document.querySelector('.cxroi-banner')?.textContent || '')"
            ".includes('Stopped')",
            timeout=60_000,
        )
        banner = page.inner_text(".cxroi-banner")
        assert "took longer than 0.01 seconds" in banner and "last valid case" in banner
        assert "Traceback" not in page.inner_text("body")
        assert page.get_attribute('[data-kpi="npv"]', "data-value") == npv
    finally:
        page.context.close()
