"""Tests of cxroi.outputs.workbook: the live driver workbook and the batch summary workbook.

Fast tests read the file as written (pandas and openpyxl see the cached values, which must be
cxroi's own numbers), check the Inputs sheet, the workbook names, the formulas' references and
the CLI. The `formulas` package (an Excel engine in Python) recalculates one workbook, before
and after an input change, for machines without LibreOffice;
tests/outputs/test_workbook_libreoffice.py does the same with LibreOffice on every bundled
and random scenario.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

import cxroi
from cxroi.cli import main
from cxroi.outputs.batch import SUMMARY_COLUMNS, run_batch, varied_inputs
from cxroi.outputs.workbook import KPI_NAMES, sheet_title, write_workbook
from tests.spreadsheets import named_values, set_path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
INJECTION = '=HYPERLINK("http://x","y")'


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = tmp_path_factory.mktemp("books")
    out = {}
    for path in BUNDLED:
        out[path.stem] = (write_workbook(path, root / f"{path.stem}.xlsx"), cxroi.evaluate(path))
    return out


@pytest.mark.parametrize("stem", [p.stem for p in BUNDLED])
def test_cached_values_are_cxroi_numbers(books, stem):
    path, case = books[stem]
    got = named_values(path)
    for key in KPI_NAMES:
        assert got[key] == pytest.approx(case.kpis[key], rel=1e-12, abs=1e-9) if case.kpis[
            key
        ] is not None else got[key] is None, key
        want = case.unadjusted[key]
        assert (got[f"{key}_unadjusted"] is None) if want is None else got[
            f"{key}_unadjusted"
        ] == pytest.approx(want, rel=1e-12, abs=1e-9)


def test_worked_example_read_by_pandas(books):
    # docs/model.md §9: risk-adjusted NPV 2,469,087.08
    path, case = books["retail_bank"]
    case_sheet = pd.read_excel(path, sheet_name="Case", header=1, index_col=0)
    net = case_sheet.loc["net = benefits - costs"]
    assert list(net.iloc[:6]) == pytest.approx(list(case.cashflow["net"]), abs=1e-6)
    assert net["Total"] == pytest.approx(case.cashflow["net"].sum(), abs=1e-6)
    kpis = pd.read_excel(path, sheet_name="Case", header=None, index_col=0)
    npv = kpis.loc["Net present value = PV of benefits - PV of costs"].iloc[0]
    assert round(npv, 2) == 2469087.08


def test_inputs_sheet_paths_values_and_names(books):
    path, _ = books["retail_bank"]
    inputs = pd.read_excel(path, sheet_name="Inputs")
    assert list(inputs.columns[:2]) == ["path", "value"]
    rows = inputs.set_index("path")
    assert rows.loc["discount_rate", "value"] == 0.10
    assert rows.loc["segments[Mass market].retention", "value"] == 0.82
    assert rows.loc["segments[Affluent].retention.alpha", "value"] == 0.668
    star = "initiatives[Omnichannel service redesign].effects[*].churn_prevented"
    assert rows.loc[star, "value"] == 0.25
    assert rows.loc["initiatives[Proactive outreach for affluent].capex[1]", "value"] == 250000
    poor = rows.loc["segments[Affluent].poor_cx_churn_share"]
    assert poor["kind"] == "benchmark default" and "Accenture" in poor["source"]
    assert rows.loc["segments[Mass market].wallet", "source"] == "not sourced"
    derived = rows.loc["segments[Mass market].new_customers_per_year"]
    assert derived["kind"] == "derived"
    assert derived["value"] == pytest.approx(200000 * (1 - 0.82))
    wb = openpyxl.load_workbook(path)
    for r in range(2, wb["Inputs"].max_row + 1):
        name = wb["Inputs"].cell(r, 8).value
        assert list(wb.defined_names[name].destinations) == [("Inputs", f"$B${r}")]
    for key in ("npv", "pv_benefits", "pv_costs", "roi", "irr", "payback_years"):
        assert list(wb.defined_names[key].destinations)[0][0] == "Case"


def test_every_figure_is_a_formula_over_the_inputs(books):
    path, _ = books["retail_bank"]
    wb = openpyxl.load_workbook(path)
    case = wb["Case"]
    texts = [c.value for row in case.iter_rows() for c in row if isinstance(c.value, str)]
    formulas = [t for t in texts if t.startswith("=")]
    assert any("discount_rate" in f for f in formulas)
    assert any("'S1 Mass market'!" in f for f in formulas)  # benefits from the segment sheets
    assert any(f.startswith("=IF(AND(COUNTIF(") and "IRR(" in f for f in formulas)
    seg = wb[sheet_title(2, "S", "Affluent")]
    seg_texts = [c.value for row in seg.iter_rows() for c in row if isinstance(c.value, str)]
    # sBG retention of cohort 0 in year 3: (beta + tenure + 2) / (alpha + beta + tenure + 2)
    assert "=(s2_beta+s2_tenure+2)/(s2_alpha+s2_beta+s2_tenure+2)" in seg_texts
    numbers = [
        c.value
        for row in seg.iter_rows(min_row=3, min_col=2)
        for c in row
        if isinstance(c.value, (int, float))
    ]
    assert numbers == []  # nothing pasted: every cell of a segment sheet is a formula


def test_no_user_text_becomes_a_formula(tmp_path):
    data = _load(ROOT / "scenarios" / "retail_bank.yaml")
    data["name"] = INJECTION
    data["segments"][0]["name"] = "=cmd|x"
    path = write_workbook(data, tmp_path / "evil.xlsx")
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))
    # user text reaches a formula only as a quoted sheet title, which holds no apostrophe
    formulas = [re.sub(r"'[^']*'!", "", f) for f in re.findall(r"<f>(.*?)</f>", xml)]
    assert formulas and not any("HYPERLINK" in f or "cmd" in f for f in formulas)
    assert "cmd" in xml  # the title and the paths are there, as text


def test_formulas_package_recalculates_before_and_after_a_change(tmp_path):
    """An Excel engine in Python (no LibreOffice needed): NPV before and after a change."""
    formulas = pytest.importorskip("formulas")
    src = ROOT / "scenarios" / "b2b_saas.yaml"
    path = write_workbook(src, tmp_path / "b2b.xlsx")
    model = formulas.ExcelModel().loads(str(path)).finish()
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "discount_rate")
    npv_sheet, npv_ref = list(wb.defined_names["npv"].destinations)[0]
    book = f"[{path.name}]"
    npv_key = f"'{book}{npv_sheet.upper()}'!{npv_ref.replace('$', '')}"
    base = model.calculate()
    assert base[npv_key].value[0][0] == pytest.approx(cxroi.evaluate(src).kpis["npv"], rel=1e-9)
    changed = model.calculate(inputs={f"'{book}INPUTS'!B{row}": 0.2})
    data = _load(src)
    set_path(data, "discount_rate", 0.2)
    want = cxroi.evaluate(data).kpis["npv"]
    assert changed[npv_key].value[0][0] == pytest.approx(want, rel=1e-9)
    assert abs(want - cxroi.evaluate(src).kpis["npv"]) > 1e5  # the change matters


def test_cli_writes_workbook_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "case.xlsx"
    assert main(["workbook", str(ROOT / "scenarios" / "telecom.yaml"), "--out", str(out)]) == 0
    assert named_values(out)["npv"] == pytest.approx(
        cxroi.evaluate(ROOT / "scenarios" / "telecom.yaml").kpis["npv"]
    )
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["workbook", str(ROOT / "scenarios" / "telecom.yaml"), "--out",
                 str(blocker / "x.xlsx")]) == 2  # fmt: skip
    assert "--out" in capsys.readouterr().err
    assert main(["workbook", str(ROOT / "scenarios" / "telecom.yaml"), "--out",
                 str(tmp_path)]) == 2  # fmt: skip
    assert "is a folder" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    data = _load(ROOT / "scenarios" / "telecom.yaml")
    data["discount_rate"] = -2
    bad.write_text(yaml.safe_dump(data))
    assert main(["workbook", str(bad), "--out", str(tmp_path / "bad.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "discount_rate" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "case.xlsx", "file"]


def test_batch_writes_a_workbook_per_scenario_and_a_filterable_summary(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    base = _load(ROOT / "scenarios" / "retail_bank.yaml")
    for n, retention in enumerate((0.80, 0.85)):
        data = dict(base, name=f"Bank {n}")
        data["segments"] = [dict(s) for s in base["segments"]]
        data["segments"][0]["retention"] = retention
        (inputs / f"bank{n}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    evil = dict(base, name=INJECTION)
    (inputs / "evil.yaml").write_text(yaml.safe_dump(evil, sort_keys=False))
    (inputs / "z_broken.yaml").write_text("name: Broken\ncurrency: [\n")
    out = tmp_path / "out"
    result = run_batch([inputs], out, jobs=1, notebooks=False, progress=False)
    ok = [r for r in result.records if r["status"] == "ok"]
    assert len(ok) == 3
    for rec in ok:
        book = out / rec["dir"] / "workbook.xlsx"
        # XlsxWriter stores 16 significant digits: equal to a few parts in 1e16
        assert named_values(book)["npv"] == pytest.approx(rec["result"]["npv"], rel=1e-15)
    csv = pd.read_csv(out / "summary.csv")
    assert list(csv.columns[: len(SUMMARY_COLUMNS)]) == list(SUMMARY_COLUMNS)
    varied = list(csv.columns[len(SUMMARY_COLUMNS) :])
    assert varied == ["segments[Mass market].retention"]  # the only input that differs
    by_name = csv.set_index("scenario")
    assert by_name.loc["Bank 0", "segments[Mass market].retention"] == 0.80
    assert by_name.loc["Bank 1", "segments[Mass market].retention"] == 0.85
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    ws = wb["Summary"]
    last = ws.cell(1, ws.max_column).column_letter
    assert ws.auto_filter.ref == f"A1:{last}{len(result.records) + 1}"
    header = [c.value for c in ws[1]]
    assert header == [*csv.columns, "workbook"]
    evil_row = next(r for r in ws.iter_rows(min_row=2) if "HYPERLINK" in str(r[0].value))
    assert evil_row[0].value == "'" + INJECTION and evil_row[0].data_type == "s"
    frame = pd.read_excel(out / "summary.xlsx", sheet_name="Summary")
    got = frame.set_index("scenario").loc["Bank 1", "npv"]
    assert got == pytest.approx(by_name.loc["Bank 1", "npv"], rel=1e-15)


def test_varied_inputs_ignores_failed_records():
    recs = [
        {"status": "ok", "assumptions": [{"path": "a", "value": 1}, {"path": "b", "value": 2}]},
        {"status": "ok", "assumptions": [{"path": "a", "value": 1}, {"path": "b", "value": 3}]},
        {"status": "failed", "assumptions": [{"path": "a", "value": 9}]},
    ]
    assert varied_inputs(recs) == {"b": [2, 3, None]}


def test_sheet_title():
    assert sheet_title(3, "S", "a/b:c*d?e[f]g'h") == "S3 a b c d e f g h"
    assert len(sheet_title(1000, "S", "x" * 50)) == 31


def test_formulas_use_only_the_listed_functions(books):
    """The writer stores formulas unprefixed, which is right only for these functions."""
    from cxroi.outputs.workbook import FUNCTIONS

    used = set()
    for path, _ in books.values():
        with zipfile.ZipFile(path) as zf:
            for n in zf.namelist():
                if n.startswith("xl/worksheets/"):
                    text = re.sub(r"'[^']*'!", "", zf.read(n).decode())
                    for f in re.findall(r"<f>(.*?)</f>", text):
                        used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", f))
    assert used and used <= set(FUNCTIONS), used - set(FUNCTIONS)


def test_tei_lines_and_evidence_in_inputs(tmp_path):
    path = ROOT / "scenarios" / "tei_salesloft.yaml"
    book = write_workbook(path, tmp_path / "tei.xlsx")
    rows = pd.read_excel(book, sheet_name="Inputs").set_index("path")
    assert rows.loc["discount_rate", "source"].startswith("Forrester TEI of SalesLoft")
    line = "initiatives[SalesLoft].benefit_lines[Total benefits (risk-adjusted)]"
    assert rows.loc[f"{line}.amount[2]", "value"] == 3061331
    assert rows.loc[f"{line}.risk", "source"] == "not sourced"
    got = named_values(book)
    case = cxroi.evaluate(path)
    assert got["npv"] == pytest.approx(case.kpis["npv"], rel=1e-12)
    assert round(got["npv"]) == 5496170  # the study's published NPV of net benefits
