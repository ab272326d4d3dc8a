"""Voila settings, the offline template, and the kernel manager (no server started)."""

from __future__ import annotations

import asyncio
import re

import pytest
from tornado import web

from cxroi.app.kernels import CxroiKernelManager
from cxroi.app.serve import ServeOptions, prepare_template, voila_argv


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
