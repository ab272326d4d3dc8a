"""Dashboard benchmark in Chromium: first complete render (cold and pre-heated) and the
latency from an input change to updated KPIs and charts.

Run: ``.venv/bin/python benchmarks/dashboard.py [SCENARIO] [--changes 20] [--loads 3]``.

"Complete" means the KPI cards are on screen and every chart has drawn its data
(``data-rendered == data-rev`` on each chart holder). A change is timed inside the page, from
the typed value's commit (``change`` event, as Enter or leaving the field) on the
discount-rate field to the moment the status, every KPI and every
chart show the new case, so Playwright's own round trips are not counted. The kernel's share
(parse, validate, evaluate, build the widget state) is measured separately in-process.

Targets (issue 3, 2 cores): pre-heated first render <= 3 s; change -> updated <= 150 ms p95.

``--viewers N`` (default 10) opens N pages at once against one server and prints each page's
render time (navigation start to complete, measured inside the page) as median and p95, the
update latency p95 with all N pages open, and the memory (resident set) of the server and of
its kernels. ``--storm N`` (default 6) reloads one page N times as fast as it renders and
prints the reload render times, how long until every old kernel is gone, and how long until
the pool holds a pre-heated kernel again. ``--skip-single`` leaves out the cold/pre-heated
figures above. The machine's load (``os.getloadavg``) is printed with the figures.

Board pack and the NPV card's range (issue 15): the time *Export board pack* takes (HTML,
Monte Carlo, SVG charts and Chromium's PDF, in-process as the kernel runs it), and the
latency from a change to the NPV card's P(NPV > 0) and P5-P95 range on a scenario with
distributions, in the page (debounce included) and in the kernel. ``--only-board`` runs just
these; ``--skip-board`` leaves them out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CXROI_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_COMPLETE = """() => {
    const h = [...document.querySelectorAll('.cxroi-vega')];
    return document.querySelector('[data-kpi="npv"]') !== null && h.length === 5
        && h.every(x => x.dataset.rendered === x.dataset.rev);
}"""

# Type a value into the discount-rate field and resolve with the milliseconds until the
# status, the KPIs and all charts show the new case.
_CHANGE = """async (value) => {
    const status = () => document.querySelector('.cxroi-status');
    const rev0 = parseInt(status().dataset.rev);
    const input = document.querySelector('.cxroi-field-discount_rate input');
    const t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new Event('change', {bubbles: true}));  // commit, as Enter does
    return await new Promise((resolve, reject) => {
        const check = () => {
            const s = status();
            const holders = [...document.querySelectorAll('.cxroi-vega')];
            if (s && parseInt(s.dataset.rev) > rev0 && s.dataset.state === 'ok'
                && holders.every(x => x.dataset.rendered === x.dataset.rev)) {
                resolve(performance.now() - t0);
                return true;
            }
            return false;
        };
        const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
        obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                    characterData: true});
        setTimeout(() => { obs.disconnect(); reject(new Error('no update in 10 s')); }, 10000);
    });
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    scenario: Path, pool_size: int, cache: Path, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "cxroi.app.serve",
        str(scenario),
        "--port",
        str(port),
        "--no-browser",
        "--pool-size",
        str(pool_size),
        *extra,
    ]
    env = dict(os.environ, CXROI_CACHE_DIR=str(cache))
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise TimeoutError("Voila did not start")


def first_render(browser, url: str) -> float:
    """Seconds from navigation to KPIs and every chart drawn, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url, timeout=120_000)
    page.wait_for_function(_COMPLETE, timeout=120_000)
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def change_latencies(browser, url: str, changes: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=120_000)
    page.wait_for_function(_COMPLETE, timeout=120_000)
    page.wait_for_timeout(1000)
    out = []
    for i in range(changes):
        value = f"{0.06 + 0.005 * (i % 10):.3f}"
        out.append(page.evaluate(_CHANGE, value))
    context.close()
    return out


def kernel_share(scenario: Path, changes: int) -> list[float]:
    """Milliseconds the kernel spends per change (no browser), for the same changes."""
    from cxroi.app import Dashboard

    app = Dashboard.from_path(scenario)
    out = []
    for i in range(changes):
        t0 = time.perf_counter()
        app.set_text("discount_rate", f"{0.06 + 0.005 * (i % 10):.3f}")
        out.append((time.perf_counter() - t0) * 1000)
    return out


UNCERTAIN = REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"

# Commit a discount rate and resolve with the milliseconds until the NPV card shows the range
# of the new case (its P95 differs from the one before).
_MC_CHANGE = """async (value) => {
    const p95 = () => {
        const el = document.querySelector('[data-mc-npv="p95"]');
        return el ? el.dataset.value : null;
    };
    const before = p95();
    const input = document.querySelector('.cxroi-field-discount_rate input');
    const t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new Event('change', {bubbles: true}));
    return await new Promise((resolve, reject) => {
        const check = () => {
            const now = p95();
            if (now !== null && now !== before) resolve(performance.now() - t0);
            else if (performance.now() - t0 > 60000) reject(new Error('no new range'));
            else requestAnimationFrame(check);
        };
        check();
    });
}"""


def export_times(scenario: Path, runs: int) -> list[float]:
    """Seconds *Export board pack* takes for the dashboard's case (in-process, as the kernel)."""
    from cxroi.app import Dashboard

    app = Dashboard.from_path(scenario)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        pdf = app.board_pack()
        out.append(time.perf_counter() - t0)
        assert pdf.startswith(b"%PDF")
    return out


def mc_kernel_ms(scenario: Path, changes: int) -> list[float]:
    """Milliseconds the kernel spends on the NPV card's Monte Carlo per change (no debounce)."""
    from cxroi.app import Dashboard

    app = Dashboard.from_path(scenario)
    out = []
    for i in range(changes):
        app.set_text("discount_rate", f"{0.06 + 0.005 * (i % 10):.3f}")
        out.append(app.mc_latency * 1000)
    return out


def mc_page_ms(browser, url: str, changes: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=120_000)
    page.wait_for_function(_COMPLETE, timeout=120_000)
    page.wait_for_selector('[data-mc-npv="p95"]', timeout=60_000)
    out = [page.evaluate(_MC_CHANGE, f"{0.06 + 0.005 * (i % 10):.3f}") for i in range(changes)]
    context.close()
    return out


def board_kernel_figures(changes: int, runs: int) -> None:
    """Print the export time and the NPV card's Monte Carlo time in the kernel (issue 15).

    Run outside Playwright's synchronous API, whose event loop would otherwise take the
    debounced run (in a kernel, the kernel's own loop does).
    """
    from cxroi.app.dashboard import AUTO_MC_DELAY

    exports = export_times(UNCERTAIN, runs)
    print(
        f"export board pack (in kernel)     : {', '.join(f'{t:.2f}' for t in exports)} s "
        f"(median {statistics.median(exports):.2f} s; {UNCERTAIN.name}, 12 pages)"
    )
    kernel = mc_kernel_ms(UNCERTAIN, changes)
    print(
        f"NPV card Monte Carlo (in kernel)  : median {statistics.median(kernel):.0f} ms, "
        f"p95 {_p95(kernel):.0f} ms (10,000 draws; after a {AUTO_MC_DELAY * 1000:.0f} ms "
        "debounce)"
    )


def board_page_figures(browser, cache: Path, changes: int) -> None:
    """Print the latency from a change to the NPV card's new range, in the page (issue 15)."""
    proc, url = start_server(UNCERTAIN, 1, cache)
    try:
        time.sleep(15)
        page = mc_page_ms(browser, url, changes)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(
        f"change -> NPV card range (page)   : median {statistics.median(page):.0f} ms, "
        f"p95 {_p95(page):.0f} ms, max {max(page):.0f} ms over {len(page)} changes "
        "(debounce included)"
    )


# Injected into every page of the concurrent run: records, inside the page, the milliseconds
# from navigation start until the page is complete (so the benchmark's own waits on other
# pages never count).
_MARK_COMPLETE = (
    "(() => { const done = " + _COMPLETE + ";"
    " const t = setInterval(() => { if (done()) {"
    " window.__cxroiRendered = performance.now(); clearInterval(t); } }, 50); })();"
)


def _rss_mb(pid: int) -> tuple[float, float, int]:
    """Resident memory (MB) of the server process and of its kernels, and the kernel count."""
    import psutil

    server = psutil.Process(pid)
    kernels = [p for p in server.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    mb = 1024 * 1024
    total = sum(p.memory_info().rss for p in kernels if p.is_running())
    return server.memory_info().rss / mb, total / mb, len(kernels)


def concurrent_viewers(browser, url: str, viewers: int, changes: int, pid: int) -> dict:
    """Open ``viewers`` pages at once; their render times, update latencies and memory."""
    contexts = [
        browser.new_context(viewport={"width": 1440, "height": 900}) for _ in range(viewers)
    ]
    pages = []
    for ctx in contexts:
        ctx.add_init_script(_MARK_COMPLETE)
        pages.append(ctx.new_page())
    t0 = time.perf_counter()
    for page in pages:  # start every navigation without waiting for any
        page.evaluate("(u) => { window.location.href = u; }", url)
    renders, failed = [], []
    deadline = t0 + 300  # one deadline for all pages: they load at the same time
    for i, page in enumerate(pages):
        left = max(deadline - time.perf_counter(), 0.1)
        try:
            page.wait_for_function(
                "() => window.__cxroiRendered !== undefined", timeout=left * 1000
            )
            renders.append(page.evaluate("() => window.__cxroiRendered") / 1000)
        except Exception:  # noqa: BLE001 - a page that never rendered is counted, not fatal
            text = page.evaluate("() => document.body ? document.body.innerText : ''")
            failed.append(f"page {i}: {' '.join(text.split())[:120]!r}")
    wall = time.perf_counter() - t0
    npvs = {
        p.evaluate("() => document.querySelector('[data-kpi=\"npv\"]')?.dataset.value ?? null")
        for p in pages
    } - {None}
    server_mb, kernels_mb, n_kernels = _rss_mb(pid)
    latencies = []
    rendered = [p for p in pages if p.evaluate("() => window.__cxroiRendered !== undefined")]
    for i in range(changes if rendered else 0):
        page = rendered[i % len(rendered)]
        value = f"{0.06 + 0.005 * (i % 10):.3f}"
        with contextlib.suppress(Exception):
            latencies.append(page.evaluate(_CHANGE, value))
    for ctx in contexts:
        ctx.close()
    return {
        "renders": renders,
        "failed": failed,
        "wall": wall,
        "npvs": npvs,
        "latencies": latencies,
        "server_mb": server_mb,
        "kernels_mb": kernels_mb,
        "kernels": n_kernels,
    }


def reload_storm(browser, url: str, reloads: int, pid: int) -> dict:
    """Reload one page ``reloads`` times, each as soon as it rendered; how the server copes.

    Returns the reload render times, the kernel count before the storm, the seconds until
    the count is back to it (old kernels released, pool refilled), and the render time of a
    new visitor after that (a pre-heated kernel again, not a cold start).
    """

    def count() -> int:
        return _rss_mb(pid)[2]

    def render(page, reload: bool) -> float:
        if reload:
            page.reload(timeout=180_000)
        else:
            page.goto(url, timeout=180_000)
        page.wait_for_function("() => window.__cxroiRendered !== undefined", timeout=180_000)
        return page.evaluate("() => window.__cxroiRendered") / 1000

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(_MARK_COMPLETE)
    page = context.new_page()
    render(page, reload=False)
    time.sleep(20)  # the pool refills
    baseline = count()
    renders = [render(page, reload=True) for _ in range(reloads)]
    t_end = time.perf_counter()
    peak, back = count(), None
    while time.perf_counter() - t_end < 180:
        n = count()
        peak = max(peak, n)
        if n == baseline:
            back = time.perf_counter() - t_end
            break
        time.sleep(0.25)
    time.sleep(15)  # the refilled kernel runs the notebook
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    other.add_init_script(_MARK_COMPLETE)
    after = render(other.new_page(), reload=False)
    other.close()
    context.close()
    return {"renders": renders, "baseline": baseline, "back": back, "after": after}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _times(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"median {statistics.median(values):.1f} s, p95 {_p95(values):.1f} s, "
        f"max {max(values):.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(REPO / "scenarios" / "retail_bank.yaml"))
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--storm", type=int, default=6)
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--exports", type=int, default=3, help="board pack exports timed")
    parser.add_argument(
        "--only-board", action="store_true", help="only the board pack and NPV-range figures"
    )
    parser.add_argument(
        "--skip-board", action="store_true", help="leave out the board pack and NPV-range figures"
    )
    args = parser.parse_args(argv)
    scenario = Path(args.scenario)
    print(f"cxroi dashboard benchmark: {scenario.name}, {os.cpu_count()} CPUs; {_load()}")
    if not args.skip_board:
        board_kernel_figures(min(args.changes, 10), args.exports)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cache = Path(tmp)
        if not args.skip_board:
            board_page_figures(browser, cache, min(args.changes, 10))
        if args.only_board:
            browser.close()
            return 0
        if not args.skip_single:
            _single(browser, scenario, cache, args)
        if args.viewers:
            # Room for every viewer and the pool; idle culling out of the way.
            proc, url = start_server(scenario, 1, cache, ("--max-kernels", str(args.viewers + 2)))
            try:
                time.sleep(20)  # the pre-heated kernel is ready, as for a real first visitor
                load = _load()
                r = concurrent_viewers(browser, url, args.viewers, args.changes, proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            print(f"{args.viewers} concurrent viewers ({load} at the start):")
            for line in r["failed"]:
                print(f"  not rendered within 300 s: {line}")
            print(
                f"  rendered {len(r['renders'])} of {args.viewers} in {r['wall']:.1f} s; "
                f"render {_times(r['renders'])}; NPVs shown: {sorted(r['npvs'])}"
            )
            if r["latencies"]:
                print(
                    f"  update with {args.viewers} pages open: median "
                    f"{statistics.median(r['latencies']):.0f} ms, p95 "
                    f"{_p95(r['latencies']):.0f} ms over {len(r['latencies'])} changes"
                )
            print(
                f"  memory: server {r['server_mb']:.0f} MB; {r['kernels']} kernels "
                f"{r['kernels_mb']:.0f} MB ({r['kernels_mb'] / max(r['kernels'], 1):.0f} MB each)"
            )
        if args.storm:
            proc, url = start_server(scenario, 1, cache)
            try:
                time.sleep(20)
                load = _load()
                r = reload_storm(browser, url, args.storm, proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            back = "not within 180 s" if r["back"] is None else f"{r['back']:.1f} s"
            print(f"reload storm, {args.storm} reloads ({load} at the start):")
            print(f"  reload render {_times(r['renders'])}")
            print(
                f"  kernels back to {r['baseline']} (old ones released, pool refilled): {back}; "
                f"next visitor renders in {r['after']:.1f} s"
            )
        browser.close()
    print(f"({_load()} at the end)")
    return 0


def _single(browser, scenario: Path, cache: Path, args: argparse.Namespace) -> None:
    """Cold and pre-heated first render, and the change latency on one page."""
    # Cold: no pool, every page load starts a kernel and runs the notebook.
    proc, url = start_server(scenario, 0, cache)
    try:
        cold = [first_render(browser, url) for _ in range(args.loads)]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Pre-heated: wait until the pooled kernel has run the notebook, between loads too.
    proc, url = start_server(scenario, 1, cache)
    try:
        warm = []
        for _ in range(args.loads):
            time.sleep(15)
            warm.append(first_render(browser, url))
        time.sleep(15)
        latencies = change_latencies(browser, url, args.changes)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    kernel = kernel_share(scenario, args.changes)
    print(
        f"first complete render, cold       : {', '.join(f'{t:.2f}' for t in cold)} s "
        f"(median {statistics.median(cold):.2f} s)"
    )
    print(
        f"first complete render, pre-heated : {', '.join(f'{t:.2f}' for t in warm)} s "
        f"(median {statistics.median(warm):.2f} s; target <= 3 s)"
    )
    print(
        f"change -> KPIs and 5 charts       : median {statistics.median(latencies):.0f} ms, "
        f"p95 {_p95(latencies):.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} "
        "changes (target p95 <= 150 ms)"
    )
    print(
        f"  of which kernel (in-process)    : median {statistics.median(kernel):.0f} ms, "
        f"p95 {_p95(kernel):.0f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
