"""KPI cards in Chromium: tidy rows that fit, at 1280, 1440 and 1920 px wide.

Shares the session's Voila server on ``scenarios/retail_bank.yaml`` (eight cards: the seven
headline KPIs and customer equity) and one page, resized. At each width, with the sidebar open
(normal mode) and closed (present mode):

* every card lies inside the cards' grid, and no label, value or line of a card, nor any header
  control, is cut or spills out of its box (``scrollWidth <= clientWidth``);
* the rows are balanced: all cards on one row, or full rows and a last row holding at least half
  as many cards as the first (never a lone card under a full row);
* the page does not scroll sideways.

Screenshots of the cards go to ``SHOT_DIR`` (``kpi-cards-MODE-WIDTH.png``).
"""

from __future__ import annotations

import pytest

from .cxroi_browser import SHOT_DIR

pytestmark = pytest.mark.browser

SIZES = ((1280, 800), (1440, 900), (1920, 1080))
#: What the cards look like on screen: rows (cards per row, top to bottom), the grid's and each
#: card's horizontal extent, what spills, and whether the page scrolls sideways.
CARDS = """() => {
    const grid = document.querySelector('.cxroi-main .cxroi-kpis');
    const g = grid.getBoundingClientRect();
    const cards = [...grid.children];
    const tops = new Map();
    for (const c of cards) {
        const top = Math.round(c.getBoundingClientRect().top);
        tops.set(top, (tops.get(top) || 0) + 1);
    }
    const spill = [...grid.querySelectorAll('.cxroi-kpi, .cxroi-kpi *'),
                   ...document.querySelectorAll('.cxroi-header > *, .cxroi-header > * *')]
        .filter(el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth)
        .map(el => ({cls: String(el.className), text: el.textContent.trim().slice(0, 60),
                     scroll: el.scrollWidth, client: el.clientWidth}));
    const root = document.scrollingElement;
    return {
        count: cards.length,
        rows: [...tops.keys()].sort((a, b) => a - b).map(t => tops.get(t)),
        grid: [g.left, g.right],
        outside: cards.map(c => c.getBoundingClientRect())
            .filter(r => r.left < g.left - 1 || r.right > g.right + 1)
            .map(r => [r.left, r.right]),
        spill,
        page: [root.scrollWidth, root.clientWidth],
    };
}"""


def balanced(rows: list[int]) -> bool:
    """One row, or full rows with a last row at least half as full as the first."""
    if len(rows) == 1:
        return True
    full = all(n == rows[0] for n in rows[:-1])
    return full and rows[-1] <= rows[0] and 2 * rows[-1] >= rows[0]


def test_balanced_rows_rule():
    assert balanced([8]) and balanced([4, 4]) and balanced([4, 3]) and balanced([3, 3, 2])
    assert not balanced([7, 1]) and not balanced([6, 2]) and not balanced([3, 3, 1])
    assert not balanced([4, 2, 2]) and not balanced([2, 4])


def check_cards(page, mode: str, width: int) -> None:
    page.wait_for_timeout(600)  # the charts re-fit after a resize; the cards re-flow at once
    seen = page.evaluate(CARDS)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    grid = page.locator(".cxroi-main .cxroi-kpis").bounding_box()
    page.screenshot(
        path=str(SHOT_DIR / f"kpi-cards-{mode}-{width}.png"),
        clip={"x": 0, "y": 0, "width": width, "height": grid["y"] + grid["height"] + 10},
    )
    where = (mode, width, seen)
    assert seen["count"] == 8, where  # seven headline KPIs and customer equity
    assert sum(seen["rows"]) == seen["count"] and balanced(seen["rows"]), where
    assert not seen["outside"] and not seen["spill"], where
    scroll_width, client_width = seen["page"]
    assert scroll_width <= client_width, where


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}" for w, _ in SIZES])
def test_kpi_cards_fit_in_balanced_rows_with_the_sidebar_open(dashboard, size):
    width, height = size
    dashboard.set_viewport_size({"width": width, "height": height})
    assert dashboard.locator(".cxroi-sidebar").is_visible()
    check_cards(dashboard, "sidebar", width)


def test_kpi_cards_fit_in_balanced_rows_in_present_mode(dashboard):
    page = dashboard
    page.click(".cxroi-present-toggle")
    page.wait_for_selector(".cxroi-present", timeout=30_000)
    try:
        assert not page.locator(".cxroi-sidebar").is_visible()
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            check_cards(page, "present", width)
    finally:
        page.click(".cxroi-present-toggle")
        page.wait_for_selector(".cxroi-present", state="detached", timeout=30_000)
        page.set_viewport_size({"width": 1440, "height": 900})


#: The sidebar's case name input, its first segment's name input and its segment tabs' labels.
NAMES = """() => {
    const side = document.querySelector('.cxroi-sidebar').getBoundingClientRect();
    const fit = el => ({text: el.value ?? el.textContent, scroll: el.scrollWidth,
                        client: el.clientWidth, right: el.getBoundingClientRect().right});
    return {
        side: [side.left, side.right],
        case: fit(document.querySelector('.cxroi-sidebar .cxroi-field-name input')),
        segment: fit(document.querySelector('.cxroi-sidebar .cxroi-field-segments-0-name input')),
        tabs: [...document.querySelector('.cxroi-sidebar .cxroi-field-segments-0-name')
                 .closest('.widget-tab').querySelectorAll('.lm-TabBar-tabLabel')].map(fit),
    };
}"""
#: A segment name as long as the TEI study's neutral segment's.
LONG_SEGMENT = "Neutral (no customer economics)"


def test_names_in_the_sidebar_read_whole_at_1440(dashboard):
    """Name inputs fill the sidebar's width; a segment tab is as wide as its name."""
    from .cxroi_browser import enter

    page = dashboard
    page.set_viewport_size({"width": 1440, "height": 900})
    segment = page.locator(".cxroi-sidebar .cxroi-field-segments-0-name input")
    before = segment.input_value()
    enter(segment, LONG_SEGMENT)
    try:
        page.wait_for_function(
            "(name) => [...document.querySelectorAll('.cxroi-sidebar .lm-TabBar-tabLabel')]"
            ".some(t => t.textContent === name)",
            arg=LONG_SEGMENT,
            timeout=30_000,
        )
        seen = page.evaluate(NAMES)
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.locator(".cxroi-sidebar").screenshot(path=str(SHOT_DIR / "polish-sidebar-1440.png"))
        side_right = seen["side"][1]
        assert seen["case"]["text"] == "Retail bank - service redesign", seen
        assert seen["case"]["scroll"] <= seen["case"]["client"] + 2, seen  # the whole name
        for name in (seen["case"], seen["segment"]):  # both reach the sidebar's right edge
            assert name["right"] >= side_right - 40, seen
        assert seen["segment"]["text"] == LONG_SEGMENT
        assert LONG_SEGMENT in [t["text"] for t in seen["tabs"]], seen
        assert all(t["scroll"] <= t["client"] + 1 for t in seen["tabs"]), seen  # no ellipsis
    finally:
        enter(page.locator(".cxroi-sidebar .cxroi-field-segments-0-name input"), before)
        page.wait_for_function(
            "(name) => [...document.querySelectorAll('.cxroi-sidebar .lm-TabBar-tabLabel')]"
            ".some(t => t.textContent === name)",
            arg=before,
            timeout=30_000,
        )
