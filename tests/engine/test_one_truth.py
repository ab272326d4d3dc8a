"""One truth across outputs: every path resolves a scenario the same way and shows one NPV.

Each bundled scenario, and the retail bank with each optional top-level field left out in
turn, goes through ``cxroi run --json``, a ``cxroi batch`` summary, the dashboard's kernel-side
object and (for a representative subset plus every omitted-field variant, in one batch with
warm kernels) the papermill HTML report; all must agree on the NPV to 1e-9 relative.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.app import Dashboard

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
    (ROOT / "scenarios" / "uncertain").glob("*.yaml")
)
RETAIL = ROOT / "scenarios" / "retail_bank.yaml"
#: Top-level fields a scenario may leave out.
OPTIONAL = ("currency", "horizon_years", "discount_rate", "risk")
CXROI = [sys.executable, "-m", "cxroi.cli"]


def _variants(tmp: Path) -> list[Path]:
    data = yaml.safe_load(RETAIL.read_text())
    paths = []
    for key in OPTIONAL:
        variant = {k: v for k, v in data.items() if k != key}
        variant["name"] = f"Retail bank without {key}"
        path = tmp / f"without_{key}.yaml"
        path.write_text(yaml.safe_dump(variant, sort_keys=False))
        paths.append(path)
    return paths


def _run_json(path: Path) -> float:
    out = subprocess.run(
        [*CXROI, "run", "--json", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["npv"]


def _summary(out: Path) -> dict[str, float]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {row["file"]: float(row["npv"]) for row in csv.DictReader(fh)}


def _dashboard(path: Path) -> float:
    app = Dashboard.from_path(path)
    match = re.search(r'data-kpi="npv" data-value="([^"]+)"', app.kpis.value)
    return float(match.group(1))


def _by_file(summary: dict[str, float], path: Path) -> float:
    return next(v for k, v in summary.items() if Path(k).name == path.name)


@pytest.mark.slow
def test_every_path_shows_one_npv(tmp_path):
    paths = [*BUNDLED, *_variants(tmp_path)]
    subprocess.run(
        [*CXROI, "batch", "--no-notebooks", "--out", str(tmp_path / "fast"), *map(str, paths)],
        check=True,
        capture_output=True,
    )
    summary = _summary(tmp_path / "fast")
    for path in paths:
        engine = cxroi.evaluate(cxroi.load_scenario(path)).kpis["npv"]
        seen = {
            "run --json": _run_json(path),
            "batch summary": _by_file(summary, path),
            "dashboard": _dashboard(path),
        }
        for where, npv in seen.items():
            assert npv == pytest.approx(engine, rel=1e-9), (path.name, where)


@pytest.mark.slow
def test_papermill_report_agrees_for_omitted_fields(tmp_path):
    variants = _variants(tmp_path)
    paths = [RETAIL, ROOT / "scenarios" / "b2b_saas.yaml", *variants]
    out = tmp_path / "reports"
    proc = subprocess.run(
        [*CXROI, "batch", "--jobs", "1", "--out", str(out), *map(str, paths)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    summary = _summary(out)
    manifest = json.loads((out / "manifest.json").read_text())
    records = manifest["scenarios"] if isinstance(manifest, dict) else manifest
    folders = {Path(r["file"]).name: r["dir"] for r in records}
    for path in paths:
        html = (out / folders[path.name] / "report.html").read_text(encoding="utf-8")
        shown = float(re.search(r'data-kpi="npv" data-value="([^"]+)"', html).group(1))
        assert shown == pytest.approx(_by_file(summary, path), rel=1e-9), path.name
        assert shown == pytest.approx(_run_json(path), rel=1e-9), path.name
    # a field the scenario leaves out is a default in the report, never "given"
    html = (out / folders["without_horizon_years.yaml"] / "report.html").read_text()
    # the row: label over path | value | unit | kind | ...
    cell = r"</td><td[^>]*>([^<]*)"
    row = re.search(r"<code>horizon_years</code>" + cell * 3 + "</td>", html)
    assert row, "no assumption row for horizon_years"
    assert row.group(3) == "default", row.groups()
