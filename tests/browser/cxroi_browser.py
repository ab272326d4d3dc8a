"""Helpers of the browser tests: one Voila server per session, a Chromium that may only talk
to it, and page helpers.

The server is started the way users start it (``python -m cxroi.app.serve``, the code behind
``cxroi serve``) on a free port, with pre-heating on and culling made fast (4 s idle timeout,
1 s sweeps) so the tests can check that the two work together.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "retail_bank.yaml"
CULL_IDLE_TIMEOUT = 4
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where screenshots go (kept after the run).
SHOT_DIR = Path(os.environ.get("CXROI_SCREENSHOT_DIR") or REPO / "build" / "screenshots")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila exited early with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"Voila did not listen on port {port} within {timeout} s")


@contextlib.contextmanager
def voila_process(args: list[str], tmp: Path, port: int):
    """Run ``python -m cxroi.app.serve ARGS`` (log in ``tmp/voila.log``) until the block ends."""
    env = dict(os.environ, CXROI_CACHE_DIR=str(tmp / "cache"))
    cmd = [sys.executable, "-m", "cxroi.app.serve", *args, "--port", str(port), "--no-browser"]
    with open(tmp / "voila.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class VoilaServer:
    """A running ``cxroi serve`` on 127.0.0.1 (``url``, ``log_path``, ``kernel_alive``)."""

    def __init__(self, port: int, proc: subprocess.Popen, log_path: Path):
        self.port = port
        self.proc = proc
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}/"

    def kernel_alive(self, kernel_id: str) -> bool:
        """Whether the server still has kernel ``kernel_id``."""
        try:
            with urllib.request.urlopen(f"{self.url}api/kernels/{kernel_id}", timeout=5) as r:
                return r.status == 200
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return False
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


#: Seconds the session's server lets a page's kernel wait for its websocket.
UNCLAIMED_TIMEOUT = 15


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory, chromium_executable):
    tmp = tmp_path_factory.mktemp("voila")
    port = _free_port()
    args = [
        str(SCENARIO),
        "--pool-size",
        "1",
        "--cull-idle-timeout",
        str(CULL_IDLE_TIMEOUT),
        "--cull-interval",
        "1",
        "--unclaimed-timeout",
        str(UNCLAIMED_TIMEOUT),
    ]
    with voila_process(args, tmp, port) as proc:
        yield VoilaServer(port, proc, tmp / "voila.log")


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Requests(list):
    """URLs the pages asked for (HTTP and websockets)."""

    def outside(self) -> list[str]:
        local = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
        return [u for u in self if not u.startswith(local)]


@pytest.fixture(scope="session")
def requests_seen() -> Requests:
    return Requests()


def open_dashboard(browser, server: VoilaServer, requests_seen: Requests):
    """A new 1440x900 page on the dashboard, once its KPIs and charts are drawn."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    page.on("websocket", lambda ws: requests_seen.append(ws.url))
    page.goto(server.url, timeout=120_000)
    page.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
    wait_charts(page)
    return page


def enter(field, text: str) -> None:
    """Type ``text`` into the input ``field`` (a locator) and commit it with Enter."""
    field.fill(text)
    field.press("Enter")


def wait_charts(page, timeout: float = 30_000) -> None:
    """Wait until every chart has drawn its latest data."""
    page.wait_for_function(
        """() => {
            const h = [...document.querySelectorAll('.cxroi-vega')];
            return h.length >= 5 && h.every(x => x.dataset.rendered === x.dataset.rev);
        }""",
        timeout=timeout,
    )


def npv_on_screen(page) -> float:
    return float(page.get_attribute('[data-kpi="npv"]', "data-value"))


def wait_npv_change(page, before: float, timeout: float = 20_000) -> float:
    """Wait until the NPV on screen differs from ``before`` and the charts are drawn."""
    page.wait_for_function(
        """(before) => {
            const el = document.querySelector('[data-kpi="npv"]');
            return el && parseFloat(el.dataset.value) !== before;
        }""",
        arg=before,
        timeout=timeout,
    )
    wait_charts(page)
    return npv_on_screen(page)


def cli_json(path: Path) -> dict:
    """``cxroi run --json PATH`` as the user would run it."""
    out = subprocess.run(
        [sys.executable, "-m", "cxroi.cli", "run", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def dashboard(browser, voila_server, requests_seen):
    """One dashboard page shared by a test module (a page load costs a kernel)."""
    page = open_dashboard(browser, voila_server, requests_seen)
    yield page
    page.context.close()
