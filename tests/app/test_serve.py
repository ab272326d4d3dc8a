"""Voila settings, the offline template, and the kernel manager (no server started)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

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


# --- the kernel cap: pool fills wait, failed fills are dropped, visitors get the busy page ---


def _run(coro):
    return asyncio.run(coro)


def test_pool_fill_at_cap_waits_for_a_slot_and_a_page_is_refused():
    from cxroi.app import kernels

    manager = CxroiKernelManager(max_kernels=2)
    alive = ["a", "b"]
    manager.list_kernel_ids = lambda: list(alive)
    kernels._SLOT_POLL, saved = 0.01, kernels._SLOT_POLL
    try:

        async def scenario():
            with pytest.raises(web.HTTPError) as err:
                await manager.start_kernel(env={"VOILA_PREHEAT": "False"})
            assert err.value.status_code == 503
            fill = asyncio.ensure_future(manager._wait_for_slot())
            await asyncio.sleep(0.05)
            assert not fill.done() and fill in manager._waiting_fills
            alive.pop()  # a tab closed
            await asyncio.wait_for(fill, 1)
            assert fill not in manager._waiting_fills

        _run(scenario())
    finally:
        kernels._SLOT_POLL = saved


def test_starts_under_way_count_against_the_cap():
    manager = CxroiKernelManager(max_kernels=2)
    manager.list_kernel_ids = lambda: ["a"]
    assert not manager.at_cap()
    manager._starting = 1
    assert manager.at_cap() and manager.live_kernel_count() == 2


class _FakeVoilaPool:
    """The part of Voila's pool manager the mixin relies on."""

    def __init__(self, pool):
        import logging

        self._pools = {"nb": pool}
        self._waiting_fills = set()
        self.fills = []
        self.log = logging.getLogger("test")

    def fill_if_needed(self, **kwargs):
        self.fills.append(kwargs)

    async def get_rendered_notebook(self, notebook_name, *args, **kwargs):
        return await self._pools[notebook_name].pop(0)


def _pool_manager(pool):
    from cxroi.app.kernels import with_pool_fixes

    return with_pool_fixes(_FakeVoilaPool)(pool)


def test_failed_pool_fill_is_dropped_and_started_again():
    async def scenario():
        loop = asyncio.get_running_loop()
        failed = loop.create_future()
        failed.set_exception(web.HTTPError(503))
        ready = loop.create_future()
        ready.set_result({"kernel_id": "k1"})
        manager = _pool_manager([failed, ready])
        assert manager.get_pool_size("nb") == 1
        assert manager.fills == [{"notebook_name": "nb"}]
        assert await manager.get_rendered_notebook("nb") == {"kernel_id": "k1"}
        assert manager.get_pool_size("nb") == 0

    _run(scenario())


def test_waiting_fill_is_not_offered_and_ready_kernel_goes_first():
    async def scenario():
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        ready = loop.create_future()
        ready.set_result({"kernel_id": "ready"})
        manager = _pool_manager([waiting, ready])
        manager._waiting_fills.add(waiting)
        assert manager.get_pool_size("nb") == 1
        assert await manager.get_rendered_notebook("nb") == {"kernel_id": "ready"}
        assert manager.get_pool_size("nb") == 0  # only the waiting fill is left
        waiting.cancel()

    _run(scenario())


def test_pool_fixes_wrap_only_voilas_pool_manager():
    from cxroi.app.kernels import CxroiPoolMixin, with_pool_fixes

    assert with_pool_fixes(CxroiKernelManager) is CxroiKernelManager
    fixed = with_pool_fixes(_FakeVoilaPool)
    assert issubclass(fixed, CxroiPoolMixin) and fixed.__mro__[1] is CxroiPoolMixin
    assert with_pool_fixes(fixed) is fixed


def test_voilas_factory_is_wrapped_once(monkeypatch):
    import importlib

    import voila.app

    from cxroi.app.kernels import CxroiPoolMixin, PoolFixedFactory

    serve_module = importlib.import_module("cxroi.app.serve")  # cxroi.app.serve is the function
    built = []

    def factory(base_class, *args, **kwargs):
        built.append(base_class)
        return _FakeVoilaPool

    monkeypatch.setattr(voila.app, "voila_kernel_manager_factory", factory)
    serve_module._pool_fixes_in_voila()
    serve_module._pool_fixes_in_voila()  # a second serve in one process: not wrapped twice
    wrapped = voila.app.voila_kernel_manager_factory
    assert isinstance(wrapped, PoolFixedFactory) and wrapped.factory is factory
    manager = wrapped(CxroiKernelManager, True, 1)
    assert built == [CxroiKernelManager] and issubclass(manager, CxroiPoolMixin)


def test_number_options_read_back_with_their_defaults():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    given = options_from_args(parser.parse_args(["--pool-size", "3", "--max-kernels", "5"]))
    defaults = ServeOptions()
    assert (given.pool_size, given.max_kernels) == (3, 5)
    assert given.port == defaults.port and given.cull_interval == defaults.cull_interval
    assert given.cull_idle_timeout == defaults.cull_idle_timeout
    with pytest.raises(SystemExit):
        parser.parse_args(["--cull-interval", "soon"])


def _busy_page(tmp_path, retry_after=5):
    import jinja2
    import voila.paths

    data_dir = prepare_template(tmp_path)
    share = [Path(p) / "voila" / "templates" for p in voila.paths.jupyter_path()]
    dirs = [data_dir / "voila" / "templates" / "cxroi"]
    dirs += [d / name for d in share for name in ("lab", "base") if (d / name).is_dir()]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in dirs]))
    return env.get_template("503.html").render(
        base_url="/", status_code=503, retry_after=retry_after, message=""
    )


def test_busy_page_is_styled_and_retries_by_itself(tmp_path):
    html = _busy_page(tmp_path, retry_after=7)
    assert "/voila/static/cxroi.css" in html  # the dashboard's own stylesheet
    assert "The dashboard is busy" in html
    assert "503: Service Unavailable" not in html
    assert '<meta http-equiv="refresh" content="7">' in html  # without JavaScript
    assert "location.reload()" in html and "var first = 7;" in html  # with JavaScript
    assert 'class="cxroi-app cxroi-busy"' in html
    css = (tmp_path / "jupyter/voila/templates/cxroi/static/cxroi.css").read_text()
    assert ".cxroi-busy-card" in css


class _FakeHandler:
    def __init__(self):
        self.headers, self.body, self.rendered = {}, [], []

    def set_header(self, name, value):
        self.headers[name] = value

    def write(self, chunk):
        self.body.append(chunk)

    def render_template(self, name, **ns):
        self.rendered.append((name, ns))
        return f"<{name}>"


def test_cap_answer_has_retry_after_and_the_busy_template():
    from voila.handler import VoilaHandler

    from cxroi.app.serve import BUSY_RETRY_AFTER, _busy_page_with_retry_after

    _busy_page_with_retry_after()
    handler = _FakeHandler()
    VoilaHandler.write_error(handler, 503)
    assert handler.headers["Retry-After"] == str(BUSY_RETRY_AFTER)
    assert handler.rendered[0][0] == "503.html"
    assert handler.rendered[0][1]["retry_after"] == BUSY_RETRY_AFTER
    assert handler.body == ["<503.html>"]


def test_voila_waits_long_enough_for_the_dashboard_output():
    # nbclient's default (4 s) left nine of ten concurrent pages blank on two cores.
    from cxroi.app.serve import IOPUB_TIMEOUT

    argv = voila_argv("nb.ipynb", ServeOptions())
    assert f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}" in argv and IOPUB_TIMEOUT >= 60


def test_a_kernel_still_starting_is_passed_over_by_the_culler_then_culled_when_idle():
    import datetime

    from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

    starting = ServerKernelManager()  # listed, its last_activity not yet set
    from traitlets import TraitError

    with pytest.raises(TraitError):  # what the culler tripped on: the unset trait
        _ = starting.last_activity
    manager = _manager({"k": starting}, timeout=0)
    manager.cull_idle_timeout = 60
    culled = []

    async def shutdown(kernel_id, *args, **kwargs):
        culled.append(kernel_id)

    manager.shutdown_kernel = shutdown
    asyncio.run(manager.cull_kernel_if_idle("k"))
    assert culled == []
    starting.last_activity = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    starting.execution_state = "idle"
    manager._kernel_connections = {"k": 0}
    asyncio.run(manager.cull_kernel_if_idle("k"))
    assert culled == ["k"]
