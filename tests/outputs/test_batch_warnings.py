"""Plausibility warnings in a batch (issue 9 point 6): summary, workbook, record and stderr.

A rate typed in per cent is valid but almost surely a slip; the batch still runs it, and says
so in plain words next to its figures and on stderr as it goes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from cxroi.cli import main as cli_main
from cxroi.model.plausibility import plausibility_warnings
from cxroi.outputs.batch import SUMMARY_COLUMNS, WARNING_SEPARATOR, run_batch

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "scenarios" / "retail_bank.yaml"


def _inputs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    base = yaml.safe_load(RETAIL.read_text())
    rate = dict(base, name="Rate in per cent", discount_rate=14)
    lift = yaml.safe_load(RETAIL.read_text())
    lift["name"] = "Lift in per cent"
    lift["initiatives"][0]["effects"]["*"]["share_of_wallet_lift"] = 5
    both = dict(lift, name="Both", discount_rate=14)
    for stem, data in (("rate", rate), ("lift", lift), ("both", both), ("fine", base)):
        (folder / f"{stem}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {Path(r["file"]).stem: r for r in csv.DictReader(fh)}


def test_warnings_in_summary_record_manifest_and_stderr(tmp_path, capsys):
    inputs = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    said: list[str] = []
    result = run_batch([inputs], out, notebooks=False, progress=False, notify=said.append)
    assert result.counts()["ok"] == 4  # warnings never fail a scenario
    rows = _rows(out)
    assert "warnings" in SUMMARY_COLUMNS
    rate = rows["rate"]["warnings"]
    assert rate.startswith("discount_rate: 14 ") and rate.endswith("did you mean 0.14?")
    lift = rows["lift"]["warnings"]
    assert "share_of_wallet_lift: 5 " in lift and lift.endswith("did you mean 0.05?")
    assert rows["both"]["warnings"].split(WARNING_SEPARATOR) == [
        w.message for w in plausibility_warnings(inputs / "both.yaml")
    ]
    assert len(rows["both"]["warnings"].split(WARNING_SEPARATOR)) == 2
    assert rows["fine"]["warnings"] == ""
    record = json.loads((out / "rate" / "result.json").read_text())
    assert record["warnings"] == [
        {"path": "discount_rate", "value": 14.0, "message": rate, "suggested": 0.14}
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    by_dir = {e["dir"]: e for e in manifest["scenarios"]}
    assert by_dir["fine"]["warnings"] == [] and len(by_dir["both"]["warnings"]) == 2
    assert len(said) == 4
    assert f"cxroi: warning: {inputs / 'rate.yaml'}: {rate}" in said
    assert not any("fine.yaml" in line for line in said)
    # a re-run that reuses the results still shows and prints them
    said.clear()
    again = run_batch([inputs], out, notebooks=False, progress=False, notify=said.append)
    assert again.counts()["reused"] == 4 and len(said) == 4
    assert _rows(out)["rate"]["warnings"] == rate


def test_workbook_summary_has_the_warnings(tmp_path):
    import openpyxl

    inputs = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    run_batch([inputs], out, notebooks=False, progress=False, notify=lambda line: None)
    ws = openpyxl.load_workbook(out / "summary.xlsx")["Summary"]
    header = [c.value for c in ws[1]]
    col = header.index("warnings")
    files = header.index("file")
    cells = {Path(r[files].value).stem: r[col].value for r in ws.iter_rows(min_row=2)}
    assert cells["rate"].endswith("did you mean 0.14?")
    assert cells["fine"] in ("", None)


def test_cli_prints_warnings_to_stderr_and_keeps_exit_status(tmp_path, capsys):
    inputs = _inputs(tmp_path / "in")
    code = cli_main(["batch", str(inputs), "--out", str(tmp_path / "out"), "--no-notebooks"])
    assert code == 0
    captured = capsys.readouterr()
    assert "did you mean 0.14?" in captured.err and "did you mean 0.05?" in captured.err
    assert "did you mean" not in captured.out
