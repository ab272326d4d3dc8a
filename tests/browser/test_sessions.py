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
