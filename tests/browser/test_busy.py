"""At the kernel cap a visitor gets the dashboard's "busy" page, which retries by itself."""

from __future__ import annotations

import pytest

from .cxroi_browser import SCENARIO, VoilaServer, _free_port, voila_process


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory, chromium_executable):
    """A server with room for one kernel and no pool, so a second visitor is at the cap."""
    tmp = tmp_path_factory.mktemp("voila-capped")
    port = _free_port()
    args = [str(SCENARIO), "--max-kernels", "1", "--pool-size", "0", "--cull-interval", "1"]
    with voila_process(args, tmp, port) as proc:
        yield VoilaServer(port, proc, tmp / "voila.log")


def test_visitor_at_cap_sees_busy_page_then_the_dashboard(browser, capped_server):
    first = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    first.goto(capped_server.url, timeout=120_000)
    first.wait_for_selector('[data-kpi="npv"]', timeout=120_000)

    second = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    response = second.goto(capped_server.url, timeout=60_000)
    assert response.status == 503
    assert int(response.headers["retry-after"]) > 0
    second.wait_for_selector(".cxroi-busy-card", timeout=10_000)
    assert "busy" in second.inner_text("h1").lower()
    assert "503" not in second.inner_text("body")
    # Styled by the dashboard's stylesheet: its header colour and font, not Voila's.
    header_bg = second.eval_on_selector(
        ".cxroi-busy-header", "e => getComputedStyle(e).backgroundColor"
    )
    assert header_bg == "rgb(29, 53, 87)"  # --cxroi-ink
    font = second.eval_on_selector(".cxroi-busy", "e => getComputedStyle(e).fontFamily")
    assert "system-ui" in font

    # Free the slot: leaving the page sends Voila's shutdown beacon.
    first.goto("about:blank")
    # The busy page reloads by itself and gets the dashboard (nobody touches it).
    second.wait_for_selector('[data-kpi="npv"]', timeout=150_000)
    assert float(second.get_attribute('[data-kpi="npv"]', "data-value")) != 0
    first.context.close()
    second.context.close()
