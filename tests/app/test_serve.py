"""Voila settings, the offline template, and the kernel manager (no server started)."""

from __future__ import annotations

import asyncio
import re

import pytest
from tornado import web

from cxroi.app.kernels import CxroiKernelManager
from cxroi.app.serve import (
    ServeOptions,
    add_arguments,
    beacon_origin_ok,
    host_settings,
    is_loopback,
    options_from_args,
    prepare_template,
    voila_argv,
)


def test_argv_holds_every_setting():
    argv = voila_argv("nb.ipynb", ServeOptions(port=9000, open_browser=False))
    joined = " ".join(argv)
    for flag in (
        "--port=9000",
        "--Voila.ip=127.0.0.1",
        "--template=cxroi",
        "strip_sources=True",
        "show_tracebacks=False",
        "--preheat_kernel=True",
        "cull_idle_timeout=600",
        "cull_connected=False",
        "CxroiKernelManager.max_kernels=8",
        "--no-browser",
    ):
        assert flag in joined
    assert "--preheat_kernel=True" not in voila_argv("nb.ipynb", ServeOptions(pool_size=0))


def test_template_is_offline(tmp_path):
    data_dir = prepare_template(tmp_path)
    template = data_dir / "voila" / "templates" / "cxroi"
    assert (template / "static" / "vega-bundle.js").stat().st_size > 500_000
    for name in ("index.html.j2", "page.html", "static/cxroi.css", "static/cxroi-charts.js"):
        text = (template / name).read_text()
        assert not re.search(r"(src|href)=\"https?://", text), name
        assert "cdn" not in text.replace("CDN", "").lower(), name


def test_kernel_cap():
    manager = CxroiKernelManager(max_kernels=2)
    manager.list_kernel_ids = lambda: ["a", "b"]
    with pytest.raises(web.HTTPError) as err:
        asyncio.run(manager.start_kernel())
    assert err.value.status_code == 503


class _Kernel:
    def __init__(self, state="idle"):
        self.execution_state = state


def _manager(kernels, connections=None, timeout=60):
    manager = CxroiKernelManager(unclaimed_timeout=timeout)
    manager._kernels = kernels
    manager.list_kernel_ids = lambda: list(kernels)
    manager._kernel_connections = connections or {}
    return manager


def test_unclaimed_kernel_is_culled_after_timeout_only():
    manager = _manager({"get": _Kernel(), "page": _Kernel()}, {"page": 1})
    assert manager.unclaimed_kernel_ids(now=0.0) == []
    assert manager.unclaimed_kernel_ids(now=59.0) == []
    assert manager.unclaimed_kernel_ids(now=60.0) == ["get"]


def test_connected_once_is_never_unclaimed():
    manager = _manager({"page": _Kernel()}, {"page": 1})
    manager.unclaimed_kernel_ids(now=0.0)
    manager._kernel_connections["page"] = 0  # tab closed: the idle culler's business
    assert manager.unclaimed_kernel_ids(now=1000.0) == []


def test_busy_kernel_waits_from_when_it_turns_idle():
    kernel = _Kernel("busy")
    manager = _manager({"fill": kernel})
    assert manager.unclaimed_kernel_ids(now=0.0) == []
    assert manager.unclaimed_kernel_ids(now=100.0) == []
    kernel.execution_state = "idle"
    assert manager.unclaimed_kernel_ids(now=110.0) == []
    assert manager.unclaimed_kernel_ids(now=170.0) == ["fill"]


def test_unclaimed_timeout_zero_disables():
    manager = _manager({"get": _Kernel()}, timeout=0)
    manager.unclaimed_kernel_ids(now=0.0)
    assert manager.unclaimed_kernel_ids(now=1e6) == []


def test_host_allow_list_and_loopback():
    settings = host_settings(("dash.example",))
    assert settings == {
        "allow_remote_access": False,
        "local_hostnames": ["localhost", "dash.example"],
    }
    joined = " ".join(voila_argv("nb.ipynb", ServeOptions(allow_hosts=("dash.example",))))
    assert "'allow_remote_access': False" in joined
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


@pytest.mark.parametrize(
    ("origin", "host", "ok"),
    [
        ("http://127.0.0.1:8866", "127.0.0.1:8866", True),
        ("http://evil.example", "127.0.0.1:8866", False),
        ("http://127.0.0.1:9999", "127.0.0.1:8866", False),
        (None, "127.0.0.1:8866", False),
    ],
)
def test_beacon_origin(origin, host, ok):
    assert beacon_origin_ok(origin, host) is ok


def test_cli_options_reach_serve_options():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--allow-host", "a.example", "--unclaimed-timeout", "30"])
    options = options_from_args(args)
    assert options.allow_hosts == ("a.example",)
    assert options.unclaimed_timeout == 30
