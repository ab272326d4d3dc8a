"""The calibration page's upload: content is a CSV table, never a path; bounded, plain errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import cxroi.analysis.calibration as calibration
import cxroi.analysis.calibration.cohorts as calibration_cohorts
import cxroi.app.calibration_page as calibration_app
from cxroi.app.calibration_page import CalibrationApp
from cxroi.engine import retention

ROOT = Path(__file__).resolve().parents[2]
REGULAR_CSV = ROOT / "scenarios" / "data" / "fader_hardie_2007_regular.csv"
RETAIL_BANK = ROOT / "scenarios" / "retail_bank.yaml"


@pytest.fixture
def app():
    page = CalibrationApp(csv_path=str(REGULAR_CSV), scenario_path=None, fit_periods=7)
    assert page.status.value == "" and "0.7041" in page.summary.value
    return page


def _upload(page, name, content):
    page._on_upload({"new": [{"name": name, "content": memoryview(content)}]})


def _cleared(page):
    return page.summary.value == "" and page.survival.value == "" and page.calibration is None


def test_upload_holding_a_path_is_a_one_cell_table_not_a_file(app):
    _upload(app, "evil.csv", b"/etc/passwd\n")
    assert "cohort table is not usable" in app.status.value
    assert "root:" not in app.status.value and _cleared(app)
    _upload(app, "other.csv", str(RETAIL_BANK).encode())
    assert "cohort table is not usable" in app.status.value
    assert "segments" not in app.status.value and _cleared(app)


def test_upload_of_a_good_table_fits(app):
    _upload(app, "mine.csv", REGULAR_CSV.read_bytes())
    assert app.status.value == "" and "0.7041" in app.summary.value


def test_upload_above_the_size_limit_is_refused_unread(app, monkeypatch):
    monkeypatch.setattr(calibration_cohorts, "MAX_TABLE_BYTES", 500)
    _upload(app, "big.csv", REGULAR_CSV.read_bytes() * 10)
    assert "limit MAX_TABLE_BYTES" in app.status.value
    assert "uploaded: big.csv" not in app._uploads


def test_errors_echo_at_most_the_offending_value_truncated(app):
    _upload(app, "long.csv", b"cohort,period,active\nA,0,100\nA,1," + b"x" * 5000 + b"\n")
    assert "active must be a number of customers" in app.status.value
    assert "x" * 100 not in app.status.value and len(app.status.value) < 1500


def test_long_upload_names_are_cut(app):
    _upload(app, "n" * 500 + ".csv", b"junk")
    assert "n" * 100 not in app.status.value
    assert all(len(key) < 120 for key in app._uploads)


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 4,
        b"",
        b"\xff\xfe\x00\x00",
        b'cohort,period,active\nA,0,"1\n',
        b"\n" * 50,
    ],
)
def test_junk_uploads_give_a_message_never_a_traceback(app, content):
    _upload(app, "junk.csv", content)
    assert app.status.value and "Traceback" not in app.status.value and _cleared(app)


def test_an_unexpected_failure_is_a_plain_message(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("/secret/path/internal detail")

    monkeypatch.setattr(calibration_app, "calibrate", broken)
    _upload(app, "mine.csv", REGULAR_CSV.read_bytes())
    assert "could not be calibrated (RuntimeError)" in app.status.value
    assert "/secret/path" not in app.status.value and _cleared(app)


def test_large_tables_keep_the_page_bounded(app):
    table = calibration.simulate_cohorts(0.7, 1.2, [300] * 60, 6, seed=3)
    text = table.to_frame().to_csv(index=False).encode()
    _upload(app, "many.csv", text)
    assert app.status.value == ""
    assert app.table.value.count("<tr>") == calibration_app.MAX_TABLE_ROWS + 1
    assert "Showing the first 200 rows of 420" in app.table.value


# ---------------------------------------------------------------------------------------------
# Plain-word labels and the dashboard's theme
# ---------------------------------------------------------------------------------------------

THEME_CSS = ROOT / "cxroi" / "app" / "static" / "template" / "static" / "cxroi.css"


class _Rows(HTMLParser):
    """Rows of an HTML table as visible text; hover texts (``title``) by ``data-term``."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.hints: dict[str, str] = {}
        self.visible: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        if "data-term" in attrs:
            self.hints[attrs["data-term"]] = attrs.get("title") or ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self.visible.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def row(self, label: str) -> list[str]:
        found = [r for r in self.rows if r and r[0].startswith(label)]
        assert len(found) == 1, (label, self.rows)
        return found[0]

    @property
    def text(self) -> str:
        return " ".join("".join(self.visible).split())


def _number(cell: str) -> float:
    return float(cell.replace(",", "").replace("%", ""))


def test_estimates_use_plain_words_and_show_the_package_figures(app):
    fit = app.calibration.fit(app.cohort.value)
    page = _Rows(app.summary.value)
    d = app.discount.value
    lifetime = page.row("Discounted expected lifetime of a new customer (years)")
    residual = page.row("Expected remaining lifetime of a current customer (discounted years)")
    # the engine's DEL for the page's own alpha and beta (4 significant digits shown)
    expected = float(retention.discounted_expected_lifetime(fit.sbg.alpha, fit.sbg.beta, d))
    assert _number(lifetime[1]) == pytest.approx(expected, rel=5e-4)
    # at 0 renewals made, DERL(d) = (1 + d) (DEL(d) - 1) (Fader & Hardie 2010; docs/model.md)
    assert _number(residual[1]) == pytest.approx((1 + d) * (expected - 1), rel=5e-4)
    alpha = page.row("How churn-prone customers differ: shape \u03b1")
    assert _number(alpha[1]) == pytest.approx(0.704, abs=5e-4)  # Fader & Hardie (2007)
    assert "shape of how churn-prone customers differ" in page.hints["alpha"].lower()
    assert "churn-prone" in page.hints["beta"]
    assert page.rows[0][1:] == ["Estimate", "Standard error", "95% range: low", "95% range: high"]
    # the jargon only appears in the hover texts, never as a visible label
    for word in ("DEL", "DERL", "MAPE", "std err", "alpha", "beta"):
        assert re.search(rf"\b{re.escape(word)}\b", page.text) is None, (word, page.text)
    assert "(Fader & Hardie's DEL)" in page.hints["lifetime"]
    assert all(page.hints.values()), page.hints


def test_comparison_uses_plain_words_and_the_backtest_figures(app):
    page = _Rows(app.comparison.value)
    fit = app.calibration.fit(app.cohort.value)
    bt = app.calibration.backtest
    assert page.rows[0][1:] == ["Customers differ (sBG)", "Same retention for all"]
    error = page.row("Average error of the fit (%)")
    assert _number(error[1]) == pytest.approx(100 * fit.mape_sbg, abs=0.05)
    assert _number(error[2]) == pytest.approx(100 * fit.mape_constant, abs=0.05)
    held_out = page.row("Average error on later years held out (%)")
    assert _number(held_out[2]) == pytest.approx(100 * bt.mape_constant, abs=0.05)
    assert "MAPE" in page.hints["mape"] and f"0 to {bt.fit_periods}" in page.hints["backtest"]
    for word in ("MAPE", "backtest", "alpha", "beta", "parameters"):
        assert re.search(rf"\b{word}\b", page.text) is None, (word, page.text)


def _tree(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _tree(child)


def test_page_uses_the_dashboards_theme_classes(app):
    widgets = list(_tree(app.widget))
    classes = [set(w._dom_classes) for w in widgets]
    assert {"cxroi-app", "cxroi-calibration"} <= classes[0]
    header = next(w for w in widgets if "cxroi-header" in w._dom_classes)
    assert 'class="cxroi-title">Retention calibration' in header.children[0].value
    cards = [w for w in widgets if "cxroi-card" in w._dom_classes]
    titles = [c.children[0].value for c in cards]
    assert len(cards) == 6 and all('class="cxroi-card-title"' in t for t in titles)
    # the two charts and the two tables sit in cards
    for pane in (app.survival, app.retention, app.summary, app.comparison, app.download):
        assert any(pane in c.children for c in cards)
    # the theme's classes the page relies on are on the page and styled by the dashboard's sheet
    css = THEME_CSS.read_text()
    markup = "".join(w.value for w in widgets if hasattr(w, "value") and isinstance(w.value, str))
    used = set().union(*classes) | set(re.findall(r"class=[\"'](cxroi-[\w-]+)", markup))
    styled = {"cxroi-app", "cxroi-header", "cxroi-title", "cxroi-subtitle", "cxroi-card"}
    styled |= {"cxroi-card-title", "cxroi-headline", "cxroi-note", "cxroi-calibration-body"}
    assert styled <= used, styled - used
    for name in sorted(styled):
        assert re.search(rf"\.{name}\b[^{{]*\{{", css), name
