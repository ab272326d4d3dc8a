"""Dashboard layout in Chromium: every chart and table fits its card and charts use its width.

A 10-year, 9-initiative case (the widest TEI table, the initiative card's message) is shown at
1280, 1440 and 1920 px wide; bounding boxes of each card and of its chart or table are
compared. Screenshots are written to ``SHOT_DIR`` (printed).
"""

from __future__ import annotations

import copy

import pytest
import yaml

import cxroi

from .cxroi_browser import SCENARIO, SHOT_DIR, _free_port, voila_process, wait_charts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 1440, 1920)
#: A long scenario name: the header cuts it rather than pushing a control onto a second row.
LONG_NAME = "Retail bank - service redesign with nine omnichannel initiatives over ten years"
#: Every control of the header, each a CSS selector.
HEADER_CONTROLS = (
    ".cxroi-picker",
    ".cxroi-upload",
    "a.cxroi-download",
    ".cxroi-export",
    ".cxroi-undo",
    ".cxroi-redo",
    ".cxroi-reset",
    ".cxroi-present-toggle",
)
HEADER = """(selectors) => selectors.map(sel => {
    const el = document.querySelector('.cxroi-header ' + sel);
    if (!el) return {sel, found: false};
    const r = el.getBoundingClientRect();
    const titled = el.title ? el : el.querySelector('[title]');
    return {sel, found: true, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            label: el.textContent.trim(), title: titled ? titled.title : ''};
})"""

MEASURE = """() => [...document.querySelectorAll('.cxroi-card')].map(card => {
    const c = card.getBoundingClientRect();
    const inner = card.querySelector('.cxroi-vega-view svg, .cxroi-tei table');
    const t = card.querySelector('.cxroi-tei');
    const b = inner ? inner.getBoundingClientRect() : null;
    return {
        title: card.querySelector('.cxroi-card-title')?.textContent || '',
        kind: inner ? inner.tagName.toLowerCase() : '',
        card: [c.left, c.right, c.width],
        inner: b ? [b.left, b.right, b.width] : null,
        scrolls: t ? t.scrollWidth > t.clientWidth : false,
        box: t ? [t.getBoundingClientRect().left, t.getBoundingClientRect().right] : null,
        visible: c.width > 0,
    };
})"""


@pytest.fixture(scope="module")
def wide_page(browser, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    mapping = copy.deepcopy(cxroi.load_scenario(SCENARIO).to_mapping())
    mapping["horizon_years"] = 10
    mapping["name"] = LONG_NAME
    first = mapping["initiatives"][0]
    mapping["initiatives"] = [
        dict(copy.deepcopy(first), name=f"Omnichannel service initiative {i}") for i in range(9)
    ]
    path = tmp / "wide.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    port = _free_port()
    with voila_process([str(path), "--pool-size", "0"], tmp, port):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
        page.wait_for_selector('[data-kpi="npv"]', timeout=120_000)
        wait_charts(page)
        yield page
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_charts_and_tables_fit_and_fill_their_cards(wide_page, width):
    wide_page.set_viewport_size({"width": width, "height": 900})
    wide_page.wait_for_timeout(800)  # Vega re-fits container-sized views on resize
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SHOT_DIR / f"dashboard-layout-{width}.png"
    wide_page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    cards = [c for c in wide_page.evaluate(MEASURE) if c["visible"] and c["kind"]]
    assert len(cards) >= 6, cards  # five charts and the TEI table
    for c in cards:
        left, right, card_width = c["card"]
        inner_left, inner_right, inner_width = c["inner"]
        if c["kind"] == "svg":
            assert inner_left >= left - 1 and inner_right <= right + 1, (width, c)
            assert inner_width >= 0.8 * card_width, (width, c)
        else:  # a table either fits or scrolls in a box inside its card, never clipped
            assert c["box"][0] >= left - 1 and c["box"][1] <= right + 1, (width, c)
            assert c["scrolls"] or inner_right <= right + 1, (width, c)
    message = wide_page.locator('[data-chart="initiatives"] svg').text_content()
    assert "9 initiatives" in message


@pytest.mark.parametrize("width", WIDTHS)
def test_header_controls_sit_on_one_row(wide_page, width):
    wide_page.set_viewport_size({"width": width, "height": 900})
    wide_page.wait_for_timeout(800)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SHOT_DIR / f"dashboard-header-{width}.png"
    wide_page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": width, "height": 140})
    print(f"screenshot: {shot}")
    controls = wide_page.evaluate(HEADER, list(HEADER_CONTROLS))
    assert all(c["found"] for c in controls), controls
    # one row: the same vertical offset (centres within 3 px; a wrap moves a control by 28+)
    middles = [(c["top"] + c["bottom"]) / 2 for c in controls]
    assert max(middles) - min(middles) <= 3, (width, controls)
    for c in controls:  # on screen, labelled, and explained on hover
        assert 0 <= c["left"] and c["right"] <= width, (width, c)
        assert c["label"] and len(c["title"]) > len(c["label"]), (width, c)
    # the title block stays on the row, beside the first control, with the whole name on hover
    title = wide_page.locator(".cxroi-header .cxroi-title")
    box = title.bounding_box()
    assert box["y"] < controls[0]["bottom"] and box["x"] + box["width"] <= controls[0]["left"]
    assert title.get_attribute("title") == LONG_NAME
