"""The retention calibration page served by ``cxroi serve --notebook calibration``, offline."""

from __future__ import annotations

import re

import pytest

from cxroi.analysis import calibration

from .cxroi_browser import REPO, SHOT_DIR, Requests, _free_port, voila_process

pytestmark = pytest.mark.browser

CSV = REPO / "scenarios" / "data" / "fader_hardie_2007_regular.csv"

#: What the browser applies to the page: the dashboard's theme variables, header and cards.
THEME = """() => {
    const root = getComputedStyle(document.documentElement);
    const probe = document.createElement('div');
    probe.style.color = root.getPropertyValue('--cxroi-ink').trim();
    probe.style.fontFamily = root.getPropertyValue('--cxroi-font').trim();
    document.body.appendChild(probe);
    const ink = getComputedStyle(probe).color, themeFont = getComputedStyle(probe).fontFamily;
    probe.remove();
    const header = document.querySelector('.cxroi-calibration .cxroi-header');
    const card = document.querySelector('.cxroi-calibration .cxroi-card');
    return {
        sheet: [...document.styleSheets].some(s => (s.href || '').endsWith('/cxroi.css')),
        ink, themeFont,
        header: header ? getComputedStyle(header).backgroundColor : null,
        title: document.querySelector('.cxroi-header .cxroi-title')?.textContent,
        cards: document.querySelectorAll('.cxroi-calibration .cxroi-card').length,
        cardRadius: card ? getComputedStyle(card).borderTopLeftRadius : null,
        font: getComputedStyle(document.querySelector('.cxroi-calibration')).fontFamily,
    };
}"""


@pytest.fixture(scope="module")
def calibration_server(tmp_path_factory, chromium_executable):
    port = _free_port()
    args = ["--notebook", "calibration", "--pool-size", "0"]
    with voila_process(args, tmp_path_factory.mktemp("voila-calibration"), port):
        yield f"http://127.0.0.1:{port}/"


def test_calibration_page_shows_the_fit_offline(browser, calibration_server):
    seen = Requests()
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.on("request", lambda r: seen.append(r.url))
    page.on("websocket", lambda ws: seen.append(ws.url))
    try:
        page.goto(calibration_server, timeout=120_000)
        # wait for the fit itself, not the loading page (its spinner is an svg too)
        page.wait_for_function(
            "() => document.body.innerText.includes('log-likelihood')", timeout=120_000
        )
        page.wait_for_selector(".widget-html svg, .jp-OutputArea svg", timeout=60_000)
        text = page.inner_text("body")
        sbg = calibration.calibrate(CSV).pooled.sbg
        # the pooled fit's alpha and beta appear on the page, as the package computes them
        assert f"{sbg.alpha:.3f}" in text, text[:2000]
        assert f"{sbg.beta:.3f}" in text
        assert "Traceback" not in text
        # plain words on screen, the jargon only in hover texts
        for label in (
            "Discounted expected lifetime of a new customer (years)",
            "Expected remaining lifetime of a current customer (discounted years)",
            "Average error of the fit (%)",
        ):
            assert label in text, label
        for word in ("DEL", "DERL", "MAPE"):
            assert re.search(rf"\b{word}\b", text) is None, word
        hint = page.get_attribute('[data-term="alpha"]', "title")
        assert "shape of how churn-prone customers differ" in hint.lower()
        # the dashboard's theme: its stylesheet is loaded and styles the header bar and cards
        theme = page.evaluate(THEME)
        assert theme["sheet"], theme
        assert theme["header"] == theme["ink"] and theme["title"] == "Retention calibration"
        assert theme["cards"] == 6 and theme["cardRadius"] == "6px", theme
        assert theme["font"] == theme["themeFont"], theme
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 1700})  # the whole page in one shot
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOT_DIR / "calibration-1440.png"), full_page=True)
        assert seen.outside() == []
    finally:
        context.close()


def test_calibration_upload_reads_content_never_a_path(browser, calibration_server):
    """Issue 9.1 on this page: an uploaded file is parsed as CSV content, never opened."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(calibration_server, timeout=120_000)
        page.wait_for_function(
            "() => document.body.innerText.includes('log-likelihood')", timeout=120_000
        )

        def upload(name: str, content: bytes) -> None:
            with page.expect_file_chooser() as chooser:
                page.click(".widget-upload")
            chooser.value.set_files(
                files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
            )

        upload("evil.csv", b"/etc/passwd\n")
        page.wait_for_function("() => document.body.innerText.includes('evil.csv')", timeout=30_000)
        page.wait_for_selector(".cxroi-error", timeout=30_000)
        text = page.inner_text("body")
        assert "root:" not in text and "Traceback" not in text
        assert "no rows" in page.inner_text(".cxroi-error")
        upload("broken.csv", b'cohort,period,active\n"unclosed,1,5\n')
        page.wait_for_function(
            "() => (document.querySelector('.cxroi-error')?.textContent || '')"
            ".includes('broken.csv')",
            timeout=30_000,
        )
        assert "not a readable CSV" in page.inner_text(".cxroi-error")
        # a valid upload gives the package's own fit
        upload("mine.csv", CSV.read_bytes())
        sbg = calibration.calibrate(CSV).pooled.sbg
        page.wait_for_function(
            "(a) => document.body.innerText.includes(a)", arg=f"{sbg.alpha:.3f}", timeout=60_000
        )
        assert "Traceback" not in page.inner_text("body")
    finally:
        context.close()
