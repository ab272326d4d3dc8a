"""The calibration page's upload: content is a CSV table, never a path; bounded, plain errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxroi.analysis.calibration as calibration
import cxroi.app.calibration_page as calibration_app
from cxroi.app.calibration_page import CalibrationApp

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
    monkeypatch.setattr(calibration, "MAX_TABLE_BYTES", 500)
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
