"""Sessions on the served dashboard: forged hosts, page requests that never connect."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest

from .cxroi_browser import UNCLAIMED_TIMEOUT


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


def test_forged_host_is_refused(voila_server):
    status, _ = _get(voila_server.url, host=f"evil.example:{voila_server.port}")
    assert status == 403


def test_plain_get_does_not_hold_a_kernel(voila_server):
    status, html = _get(voila_server.url)
    assert status == 200
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html).group(1)
    assert voila_server.kernel_alive(kernel_id)
    deadline = time.monotonic() + UNCLAIMED_TIMEOUT + 20
    while voila_server.kernel_alive(kernel_id):
        if time.monotonic() > deadline:
            pytest.fail(f"kernel {kernel_id} of a GET that never connected is still alive")
        time.sleep(1)
    # The session's server culls idle kernels after a few seconds, which may come first;
    # the unclaimed-kernel sweep itself is tested in tests/app/test_serve.py.
    assert f"Kernel shutdown: {kernel_id}" in voila_server.log()


def _kernels(server) -> list[dict]:
    """Live kernels with their state: started minus shut down in the server's log, each
    checked through ``/api/kernels/ID`` (Voila refuses the listing itself)."""
    import json

    log = server.log()
    started = re.findall(r"Kernel started: ([0-9a-f-]+)", log)
    gone = set(re.findall(r"Kernel shutdown: ([0-9a-f-]+)", log))
    out = []
    for kernel_id in dict.fromkeys(started):
        if kernel_id in gone:
            continue
        try:
            with urllib.request.urlopen(f"{server.url}api/kernels/{kernel_id}", timeout=10) as r:
                out.append(json.loads(r.read()))
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
    return out


def _wait_kernels(server, count: int, timeout: float) -> list[dict]:
    """Wait until exactly ``count`` kernels are alive and all idle (pool filled and rendered)."""
    deadline = time.monotonic() + timeout
    while True:
        kernels = _kernels(server)
        if len(kernels) == count and all(k["execution_state"] == "idle" for k in kernels):
            return kernels
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} idle kernels, have {kernels}")
        time.sleep(0.5)


def _page_kernel(page) -> str:
    return re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page.content()).group(1)


@pytest.fixture(scope="module")
def storm_server(tmp_path_factory, chromium_executable):
    """Pool of one, no idle culling in the test's time: only the page's beacon frees a kernel."""
    from .cxroi_browser import SCENARIO, VoilaServer, _free_port, voila_process

    tmp = tmp_path_factory.mktemp("voila-storm")
    port = _free_port()
    args = [str(SCENARIO), "--pool-size", "1", "--cull-interval", "1", "--max-kernels", "6"]
    with voila_process(args, tmp, port) as proc:
        yield VoilaServer(port, proc, tmp / "voila.log")


@pytest.mark.slow
def test_reload_storm_releases_kernels_and_refills_the_pool(browser, storm_server):
    server = storm_server
    _wait_kernels(server, 1, 120)  # the pre-heated kernel has run the notebook
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(server.url, timeout=120_000)
    page.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
    npv = page.get_attribute('[data-kpi="npv"]', "data-value")
    baseline = len(_wait_kernels(server, 2, 120))  # the page's kernel and the refilled pool

    used = [_page_kernel(page)]
    for _ in range(6):  # six quick reloads: each must render, on a kernel of its own
        page.reload(timeout=120_000)
        page.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
        assert page.get_attribute('[data-kpi="npv"]', "data-value") == npv
        used.append(_page_kernel(page))
    assert len(set(used)) == 7

    # The old kernels go at once (the beacon), not after the 600 s idle timeout.
    deadline = time.monotonic() + 15
    while {k["id"] for k in _kernels(server)} & set(used[:-1]):
        if time.monotonic() > deadline:
            pytest.fail(f"kernels of reloaded pages still alive: {_kernels(server)}")
        time.sleep(0.5)
    # The count returns to what it was, with a pre-heated kernel ready again...
    _wait_kernels(server, baseline, 120)
    assert server.log().count("403 POST") == 0
    # ...which the next visitor gets.
    warm_before = server.log().count("Using pre-heated kernel")
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.goto(server.url, timeout=120_000)
    other.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
    assert server.log().count("Using pre-heated kernel") == warm_before + 1
    assert other.get_attribute('[data-kpi="npv"]', "data-value") == npv
    page.context.close()
    other.context.close()
