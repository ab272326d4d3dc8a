"""The board pack: HTML facts without a browser, and the PDF's text through pdftotext."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.analysis.uncertainty import simulate
from cxroi.cli import main
from cxroi.outputs import boardpack
from cxroi.present.formatting import format_kpi, format_pct
from cxroi.present.headline import headline
from cxroi.present.report import REPORT_DRAWS, REPORT_SEED

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
RETAIL = SCENARIOS / "retail_bank.yaml"
UNCERTAIN = SCENARIOS / "uncertain" / "retail_bank_uncertain.yaml"


def _text(pdf: Path, mode: str = "-layout") -> str:
    """The PDF's text: ``-layout`` keeps table rows on one line, ``-raw`` keeps reading order."""
    return subprocess.run(
        ["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def _page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    return float(m.group(1)), float(m.group(2))


def _run_json(path: Path, capsys) -> dict:
    assert main(["run", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# -- HTML, no browser ----------------------------------------------------------------------------
def test_html_marks_kpis_with_full_values():
    case = cxroi.evaluate(cxroi.load_scenario(RETAIL))
    doc = boardpack.board_pack_html(RETAIL)
    for key in boardpack.CARD_KEYS:
        value = case.kpis[key]
        marker = f'data-kpi="{key}" data-value="{repr(float(value))}">'
        assert marker + format_kpi(key, value, "USD", 5).replace("$", "$") in doc
    assert "https://" not in doc.split("<body>")[0]  # nothing fetched by the head
    assert 'data-kpi="expected_npv"' not in doc  # no distributions, no Monte Carlo card


def test_html_refuses_unknown_paper():
    with pytest.raises(ValueError, match="paper must be one of A4, Letter"):
        boardpack.board_pack_html(RETAIL, paper="A3")


def test_html_refuses_invalid_scenario():
    bad = yaml.safe_load(RETAIL.read_text())
    bad["discount_rate"] = -3
    with pytest.raises(cxroi.ScenarioError, match="discount_rate"):
        boardpack.board_pack_html(bad)


# -- PDF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retail_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack") / "retail.pdf"
    assert main(["report", str(RETAIL), "--pdf", str(out)]) == 0
    return out


@pytest.mark.browser
def test_pdf_npv_equals_cxroi_run(retail_pdf, capsys):
    text = _text(retail_pdf)
    run = _run_json(RETAIL, capsys)
    npv = format_kpi("npv", run["npv"], "USD")
    assert npv == "$2.47M"
    assert f"NET PRESENT VALUE\n{npv}\nunadjusted $4.44M\n" in _text(retail_pdf, "-raw")
    case = cxroi.evaluate(cxroi.load_scenario(RETAIL))
    assert _words(headline(case)) in _words(text)
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(retail_pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # page 1: headline, cards, the value bridge (lever axis) and the cash-flow chart (legend)
    assert _words(headline(case)) in _words(first)
    for word in ("NET PRESENT VALUE", "Retention", "Referral", "Cumulative net", "Payback"):
        assert word in first, word
    w, h = _page_size(retail_pdf)
    assert abs(w - 841.9) < 2 and abs(h - 595.3) < 2, (w, h)  # A4 landscape (297 x 210 mm)


@pytest.mark.browser
def test_pdf_has_whole_tei_table(retail_pdf):
    text = _text(retail_pdf)
    case = cxroi.evaluate(cxroi.load_scenario(RETAIL))
    tei = case.tei_table()
    for col in tei.columns:
        assert str(col) in text
    for row in tei.index:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(str(row)))
        for value in tei.loc[row].dropna():
            assert f"{value:,.0f}" in line, (row, value)
    # the worked example's benefits by year (docs/model.md §9)
    assert "2,133,054" in text and "4,431,457" in text
    assert "Omnichannel service redesign" in text and "Proactive outreach for affluent" in text
    assert "Assumptions and where they come from" in text


@pytest.mark.browser
def test_pdf_uncertainty_cards_and_letter(tmp_path):
    out = tmp_path / "uncertain.pdf"
    assert main(["report", str(UNCERTAIN), "--pdf", str(out), "--paper", "Letter"]) == 0
    text = _text(out)
    summary = simulate(cxroi.load_scenario(UNCERTAIN), draws=REPORT_DRAWS, seed=REPORT_SEED).summary
    raw = _text(out, "-raw")
    assert f"EXPECTED NPV\n{format_kpi('npv', summary['npv']['mean'], 'USD')}\n" in raw
    assert f"P(NPV > 0)\n{format_pct(summary['prob_npv_positive'])}\n" in raw
    assert "NET PRESENT VALUE\n$2.47M\n" in raw
    assert "Uncertainty: how sure" in text
    w, h = _page_size(out)
    assert (round(w), round(h)) == (792, 612)  # Letter landscape


@pytest.mark.browser
def test_pdf_long_horizon_table_not_clipped(tmp_path):
    m = yaml.safe_load(RETAIL.read_text())
    m["horizon_years"] = 20
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(m))
    out = tmp_path / "long.pdf"
    assert main(["report", str(path), "--pdf", str(out), "--paper", "Letter"]) == 0
    text = _text(out)
    # no word of any page lies beyond the page's right edge (pdftotext -bbox, points)
    boxes = _text(out, "-bbox")
    pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', boxes, re.S)
    assert pages
    for width, body in pages:
        right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', body)]
        assert right and max(right) <= float(width), (width, max(right))
    tei = cxroi.evaluate(cxroi.load_scenario(path)).tei_table()
    for col in tei.columns:
        assert re.search(rf"\b{re.escape(str(col))}\b", text), col
    for value in tei.loc["Net"].dropna():
        assert f"{value:,.0f}" in text


# -- bad input ---------------------------------------------------------------------------------
def test_cli_missing_folder_exits_2(tmp_path, capsys):
    target = tmp_path / "nope" / "pack.pdf"
    assert main(["report", str(RETAIL), "--pdf", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--pdf" in err and "does not exist" in err and "Traceback" not in err
    assert not target.exists()


def test_cli_folder_as_target_exits_2(tmp_path, capsys):
    assert main(["report", str(RETAIL), "--pdf", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_cli_unwritable_folder_exits_2(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder, so there is no unwritable folder to test")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["report", str(RETAIL), "--pdf", str(ro / "pack.pdf")]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        ro.chmod(0o700)


def test_cli_without_pdf_exits_2(capsys):
    assert main(["report", str(RETAIL)]) == 2
    assert "--pdf FILE" in capsys.readouterr().err


def test_cli_invalid_scenario_writes_nothing(tmp_path, capsys):
    bad = yaml.safe_load(RETAIL.read_text())
    bad["segments"][0]["retention"] = 1.7
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    target = tmp_path / "pack.pdf"
    assert main(["report", str(path), "--pdf", str(target)]) == 2
    err = capsys.readouterr().err
    assert "segments[Mass market].retention" in err
    assert list(tmp_path.iterdir()) == [path]


def test_failed_render_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "pack.pdf"
    target.write_bytes(b"old")
    monkeypatch.setenv("CXROI_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(Exception):  # noqa: B017 - Playwright's launch error
        boardpack.write_pdf("<p>x</p>", target)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]
