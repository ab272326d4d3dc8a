"""The HTML report printed to PDF by Chromium, landscape A4 and Letter, loses no column.

The batch's own ``report.html`` of a 30-year case (wider than any page) is printed with
Playwright driving Debian's Chromium; ``pdftotext`` must find every year column of the
cash-flow table, its Total and Present value, and the present value of the net, on each paper.
The header must name the scenario file, its SHA-256 and the cxroi version.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.outputs.batch import run_batch
from tests.conftest import CHROMIUM, ON_CI

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HORIZON = 30


@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("print")
    data = yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())
    data["name"] = "Retail bank, thirty years"
    data["horizon_years"] = HORIZON
    src = root / "long.yaml"
    src.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_batch([src], root / "out", jobs=1, progress=False, workbooks=False)
    rec = result.records[0]
    assert rec["status"] == "ok", rec["error"]
    return src, root / "out" / rec["dir"] / "report.html", cxroi.evaluate(src)


def _pdf_text(html: Path, paper: str, out: Path) -> str:
    from playwright.sync_api import sync_playwright

    if shutil.which("pdftotext") is None:
        if ON_CI:
            pytest.fail("pdftotext (poppler-utils) is required under CI")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    def render() -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                page.route("http*://**/*", lambda route: route.abort())  # offline
                page.goto(html.as_uri(), wait_until="load", timeout=120_000)
                page.pdf(path=str(out), format=paper, landscape=True, print_background=True)
            finally:
                browser.close()

    # A thread of its own: the browser tests' session keeps Playwright's loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(render).result()
    done = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_printed_report_keeps_the_whole_cash_flow_table(long_report, paper, tmp_path):
    src, html, case = long_report
    text = _pdf_text(html, paper, tmp_path / f"report-{paper}.pdf")
    words = text.split()
    tei = case.tei_table()
    for t in range(1, HORIZON + 1):
        assert f"Year {t}" in " ".join(words), f"Year {t} missing on {paper}"
    assert "Total" in words and "Present value" in " ".join(words)
    pv_net = f"{tei.loc['Net', 'Present value']:,.0f}"
    total_net = f"{tei.loc['Net', 'Total']:,.0f}"
    last_year = f"{tei.loc['Net', f'Year {HORIZON}']:,.0f}"
    for figure in (pv_net, total_net, last_year):
        assert figure in words, f"{figure} missing on {paper}"
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    flat = "".join(words)
    assert digest in flat and str(src) in flat.replace(" ", "")
    assert f"cxroi{cxroi.__version__}" in flat.replace("version", "")
