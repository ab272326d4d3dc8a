"""Ten viewers open the dashboard at once on one server (2 cores): every page renders the case.

Before ``--VoilaExecutor.iopub_timeout`` was raised, nine of ten pages came back blank: Voila
stopped waiting for the dashboard cell's output 4 s after the kernel's reply.
"""

from __future__ import annotations

import time

import pytest

import cxroi

from .cxroi_browser import SCENARIO, VoilaServer, _free_port, voila_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWERS = 10


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory, chromium_executable):
    """Room for ten pages and the pool; nothing culled during the test."""
    tmp = tmp_path_factory.mktemp("voila-ten")
    port = _free_port()
    args = [str(SCENARIO), "--pool-size", "1", "--max-kernels", str(VIEWERS + 2)]
    with voila_process(args, tmp, port) as proc:
        yield VoilaServer(port, proc, tmp / "voila.log")


def test_ten_concurrent_viewers_each_see_the_case(browser, roomy_server):
    expected = cxroi.evaluate(cxroi.load_scenario(SCENARIO)).kpis["npv"]
    time.sleep(10)  # the pre-heated kernel gets ready, as before a real meeting
    contexts = [
        browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(VIEWERS)
    ]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:  # every navigation starts before any page has rendered
            page.evaluate("(u) => { window.location.href = u; }", roomy_server.url)
        deadline = time.monotonic() + 400  # generous: ten kernels on a shared 2-core machine
        for page in pages:
            left = max(deadline - time.monotonic(), 1)
            page.wait_for_selector('[data-kpi="npv"]', timeout=left * 1000)
            page.wait_for_function(
                """() => [...document.querySelectorAll('.cxroi-vega')]
                       .every(x => x.dataset.rendered === x.dataset.rev)""",
                timeout=max(deadline - time.monotonic(), 1) * 1000,
            )
        shown = [float(p.get_attribute('[data-kpi="npv"]', "data-value")) for p in pages]
        assert shown == [pytest.approx(expected, rel=1e-12)] * VIEWERS
        assert "Timeout waiting for IOPub output" not in roomy_server.log()
        assert "Traceback" not in roomy_server.log()
    finally:
        for context in contexts:
            context.close()
