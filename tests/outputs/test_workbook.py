"""Tests of cxroi.outputs.workbook: the workbook's formulas are right as text and as numbers.

The formulas are evaluated with the `formulas` package (an Excel calculation engine in Python)
and compared with cxroi's own figures to the cent.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

import cxroi
from cxroi.outputs.batch import SUMMARY_COLUMNS, run_batch
from cxroi.outputs.workbook import KPI_ROWS, ROW_NET, sheet_title, write_workbook

ROOT = Path(__file__).resolve().parents[2]
INJECTION = '=HYPERLINK("http://x","y")'
CENT = 0.005


def _retail() -> dict:
    return yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """A batch of three real scenarios, one with no IRR, one broken, one injection name."""
    root = tmp_path_factory.mktemp("xlsx")
    inputs = root / "in"
    inputs.mkdir()
    for name in ("retail_bank.yaml", "b2b_saas.yaml", "utility.yaml"):
        (inputs / name).write_text((ROOT / "scenarios" / name).read_text())
    free = _retail()
    free["name"] = "No costs at all"
    for ini in free["initiatives"]:
        ini["capex"], ini["opex"] = 0, 0
    (inputs / "x_free.yaml").write_text(yaml.safe_dump(free, sort_keys=False))
    evil = _retail()
    evil["name"] = INJECTION
    (inputs / "y_evil.yaml").write_text(yaml.safe_dump(evil, sort_keys=False))
    (inputs / "z_broken.yaml").write_text("name: Broken\ncurrency: [\n")
    out = root / "out"
    result = run_batch([inputs], out, jobs=1, notebooks=False, progress=False)
    return out / "summary.xlsx", result


@pytest.fixture(scope="module")
def calculated(workbook):
    """Every cell of the workbook as the `formulas` engine computes it."""
    formulas = pytest.importorskip("formulas")
    path, _ = workbook
    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    values = {}
    for key, ranges in solution.items():
        m = re.fullmatch(r"'\[[^\]]+\](.+)'!([A-Z]+[0-9]+)", key)
        if m:
            values[(m.group(1), m.group(2))] = ranges.value[0][0]
    return values


def _cases(result):
    return {
        rec["scenario"]: (rec, cxroi.evaluate(cxroi.load_scenario(rec["file"])))
        for rec in result.records
        if rec["status"] == "ok"
    }


def _cf_sheets(wb):
    return [name for name in wb.sheetnames if " CF " in name]


def test_sheets_are_named_validly_and_uniquely(workbook):
    path, result = workbook
    wb = load_workbook(path)
    names = wb.sheetnames
    assert names[:2] == ["Summary", "Notes"]
    assert len(names) == len({n.lower() for n in names})
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\']", n) for n in names)
    ok = sum(r["status"] == "ok" for r in result.records)
    assert len(_cf_sheets(wb)) == ok == 5
    assert len([n for n in names if " AS " in n]) == ok


def test_summary_sheet_matches_summary_csv_and_neutralises_text(workbook):
    path, result = workbook
    ws = load_workbook(path)["Summary"]
    header = [c.value for c in ws[1]]
    assert header[: len(SUMMARY_COLUMNS)] == list(SUMMARY_COLUMNS)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.records)
    npv_col = SUMMARY_COLUMNS.index("npv")
    for row, rec in zip(rows, result.records, strict=True):
        assert row[SUMMARY_COLUMNS.index("status")] == rec["status"]
        if rec["status"] == "ok":
            assert row[npv_col] == rec["result"]["npv"]
    evil_row = next(r for r in ws.iter_rows(min_row=2) if "HYPERLINK" in str(r[0].value))
    assert evil_row[0].value == "'" + INJECTION
    assert evil_row[0].data_type == "s"  # text, never a formula
    broken = next(r for r in rows if r[SUMMARY_COLUMNS.index("status")] == "failed")
    assert "YAML syntax error" in broken[SUMMARY_COLUMNS.index("error")]


def test_no_user_text_is_stored_as_a_formula(workbook):
    path, _ = workbook
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f for f in formulas)
    allowed = re.compile(r"^[A-Z0-9$:+\-*/^(),.=<>\"&;]+$")
    assert all(allowed.match(f.replace("&quot;", '"').replace("&amp;", "&")) for f in formulas)


def test_formula_text_of_a_cash_flow_sheet(workbook):
    path, result = workbook
    wb = load_workbook(path)
    ws = wb[sheet_title(1, "CF", "B2B SaaS - customer success programme")]
    last = "F"  # horizon 4: years 0..4 in columns B..F
    assert ws["B4"].value == 0.12
    assert ws[f"B{ROW_NET}"].value == "=B11-B12"
    assert ws["C11"].value == "=C9*(1-$B$5)"
    assert ws["C12"].value == "=C10*(1+$B$6)"
    assert ws[f"G{ROW_NET}"].value == f"=SUM(B{ROW_NET}:{last}{ROW_NET})"
    assert ws[f"B{KPI_ROWS['npv']}"].value == f"=B13+NPV($B$4,C13:{last}13)"
    assert ws[f"B{KPI_ROWS['pv_benefits']}"].value == f"=B11+NPV($B$4,C11:{last}11)"
    assert ws[f"B{KPI_ROWS['pv_costs']}"].value == f"=B12+NPV($B$4,C12:{last}12)"
    assert ws[f"B{KPI_ROWS['irr']}"].value == f"=IRR(B13:{last}13)"
    assert ws[f"B{KPI_ROWS['roi']}"].value == '=IF(B21=0,"",B22/B21)'
    assert ws["D22"].value == "=B22-C22"


def test_formulas_reconcile_with_cxroi_to_the_cent(workbook, calculated):
    path, result = workbook
    wb = load_workbook(path)
    checked = 0
    for title in _cf_sheets(wb):
        ws = wb[title]
        name = ws["B1"].value
        rec, case = _cases(result)[name.lstrip("'") if name.startswith("'=") else name]
        key = title.upper()
        cf = case.cashflow
        for j, year in enumerate(cf.index):
            col = chr(ord("B") + j)
            assert calculated[(key, f"{col}{ROW_NET}")] == pytest.approx(
                cf.loc[year, "net"], abs=CENT
            )
        kpis = case.kpis
        for kpi in ("npv", "pv_benefits", "pv_costs"):
            got = calculated[(key, f"B{KPI_ROWS[kpi]}")]
            assert abs(got - kpis[kpi]) < CENT, (title, kpi)
            assert ws[f"C{KPI_ROWS[kpi]}"].value == kpis[kpi]
        unadjusted = calculated[(key, f"B{KPI_ROWS['unadjusted.npv']}")]
        assert abs(unadjusted - case.unadjusted["npv"]) < CENT
        total_net = calculated[(key, f"{chr(ord('B') + len(cf))}{ROW_NET}")]
        assert abs(total_net - cf["net"].sum()) < CENT
        if kpis["pv_costs"]:
            assert calculated[(key, f"B{KPI_ROWS['roi']}")] == pytest.approx(kpis["roi"], 1e-9)
        else:
            assert calculated[(key, f"B{KPI_ROWS['roi']}")] in ("", None)
        if kpis["irr"] is not None:
            assert calculated[(key, f"B{KPI_ROWS['irr']}")] == pytest.approx(kpis["irr"], 1e-7)
        else:
            assert ws[f"B{KPI_ROWS['irr']}"].value.startswith("none")
        checked += 1
    assert checked == 5


def test_worked_example_npv_in_excel(workbook, calculated):
    # docs/model.md §9: npv 2,469,087.08
    key = sheet_title(1, "CF", "Retail bank - service redesign").upper()
    matches = [k for k in calculated if k[0].endswith(key[3:]) and k[1] == "B22"]
    assert matches
    assert round(calculated[matches[0]], 2) == 2469087.08


def test_assumptions_sheet_lists_provenance(workbook):
    path, _ = workbook
    wb = load_workbook(path)
    title = next(n for n in wb.sheetnames if " AS " in n and "Retail" in n)
    rows = {r[0]: r for r in wb[title].iter_rows(min_row=6, values_only=True)}
    assert rows["segments[Affluent].poor_cx_churn_share"][2] == "benchmark"
    assert rows["segments[Affluent].poor_cx_churn_share"][3]
    assert rows["segments[Mass market].retention"][1:3] == (0.82, "user")
    assert rows["initiatives[Omnichannel service redesign].opex"][1] == 1200000


def test_detail_sheets_are_capped_with_a_note(workbook, tmp_path):
    _, result = workbook
    path = write_workbook(tmp_path / "capped.xlsx", result.records, detail_limit=2)
    wb = load_workbook(path)
    assert len(_cf_sheets(wb)) == 2
    notes = " ".join(str(c.value) for c in wb["Notes"]["A"] if c.value)
    assert "3 successful scenarios beyond the first 2" in notes
    assert wb["Summary"].max_row == len(result.records) + 1


def test_sheet_title():
    assert sheet_title(3, "CF", "a/b:c*d?e[f]g'h") == "003 CF a b c d e f g h"
    assert len(sheet_title(1000, "AS", "x" * 50, width=4)) == 31
