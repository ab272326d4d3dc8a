"""When a batch re-run may reuse an earlier result, and how same-named scenarios are kept apart.

Issue 9 point 4: a result is reused only if the scenario, the report template (by SHA-256) and
the cxroi version are unchanged, and scenarios are matched to their outputs by file path, never
by name or input order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

import cxroi
from cxroi.outputs.batch import REPORT_NOTEBOOK, output_folders, run_batch
from cxroi.outputs.batch.layout import Task
from cxroi.outputs.batch.plan import reusable
from cxroi.outputs.batch.record import base_record

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "scenarios" / "retail_bank.yaml"


def _reused(result) -> dict[str, bool]:
    return {Path(r["file"]).name: bool(r["reused"]) for r in result.records}


def _fake_done(folder: Path, task: Task, **changes) -> None:
    """A finished record with notebooks for ``task``, as an earlier run leaves it."""
    folder.mkdir(parents=True)
    rec = base_record(task)
    rec.update(status="ok", error=None, **changes)
    (folder / "result.json").write_text(json.dumps(rec))
    (folder / "report.ipynb").write_text("{}")
    (folder / "report.html").write_text("<html></html>")
    (folder / "workbook.xlsx").write_bytes(b"PK")


def test_missing_workbook_is_made_again(tmp_path):
    task = _task(tmp_path, "t1")
    _fake_done(tmp_path / "x", task)
    (tmp_path / "x" / "workbook.xlsx").unlink()
    assert reusable(task) is None
    task.workbook = False  # --no-workbooks: the record stands
    assert reusable(task) is not None


def _task(tmp_path: Path, template_sha256: str | None) -> Task:
    return Task(
        index=0,
        file=str(RETAIL),
        name="x",
        dir="x",
        sha256="abc",
        out_dir=str(tmp_path),
        notebooks=True,
        template=str(REPORT_NOTEBOOK),
        template_sha256=template_sha256,
        source=str(RETAIL.resolve()),
    )


def test_template_hash_decides_reuse(tmp_path):
    task = _task(tmp_path, "t1")
    _fake_done(tmp_path / "x", task)
    assert reusable(task) is not None
    assert reusable(_task(tmp_path, "t2")) is None  # another template
    other_input = _task(tmp_path, "t1")
    other_input.sha256 = "abd"
    assert reusable(other_input) is None


def test_record_without_template_hash_is_not_reused_for_reports(tmp_path):
    task = _task(tmp_path, "t1")
    _fake_done(tmp_path / "x", task, template_sha256=None)  # written by an older cxroi
    assert reusable(task) is None


def test_version_change_reruns_and_unchanged_reuses(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(RETAIL, inputs / "retail.yaml")
    out = tmp_path / "out"
    first = run_batch([inputs], out, notebooks=False, progress=False)
    assert _reused(first) == {"retail.yaml": False}
    again = run_batch([inputs], out, notebooks=False, progress=False)
    assert _reused(again) == {"retail.yaml": True}
    monkeypatch.setattr(cxroi, "__version__", cxroi.__version__ + ".post1")
    bumped = run_batch([inputs], out, notebooks=False, progress=False)
    assert _reused(bumped) == {"retail.yaml": False}
    rec = json.loads((out / bumped.records[0]["dir"] / "result.json").read_text())
    assert rec["cxroi_version"] == cxroi.__version__


def test_moved_file_with_same_content_is_run_again(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "a").mkdir()
    shutil.copy(RETAIL, tmp_path / "a" / "retail.yaml")
    run_batch([tmp_path / "a"], out, notebooks=False, progress=False)
    shutil.move(tmp_path / "a", tmp_path / "b")
    moved = run_batch([tmp_path / "b"], out, notebooks=False, progress=False)
    assert _reused(moved) == {"retail.yaml": False}


@pytest.mark.slow
def test_changed_template_reruns_the_reports(tmp_path):
    template = tmp_path / "report.ipynb"
    nb = nbformat.read(REPORT_NOTEBOOK, as_version=4)
    nbformat.write(nb, template)
    out = tmp_path / "out"
    args = dict(jobs=1, notebooks=True, progress=False, template=template, excel=False)
    first = run_batch([RETAIL], out, **args)
    assert first.counts()["ok"] == 1
    digest = hashlib.sha256(template.read_bytes()).hexdigest()
    assert first.records[0]["template_sha256"] == digest
    assert _reused(run_batch([RETAIL], out, **args)) == {"retail_bank.yaml": True}
    nb.cells.append(nbformat.v4.new_markdown_cell("Prepared by the finance team."))
    nbformat.write(nb, template)
    changed = run_batch([RETAIL], out, **args)
    assert _reused(changed) == {"retail_bank.yaml": False}
    page = (out / changed.records[0]["dir"] / "report.html").read_text()
    assert "Prepared by the finance team." in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["scenarios"][0]["template_sha256"]
        == hashlib.sha256(template.read_bytes()).hexdigest()
    )


def _same_name_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two scenarios called "Base" in different folders, with different discount rates."""
    data = yaml.safe_load(RETAIL.read_text())
    data["name"] = "Base"
    paths = []
    for region, rate in (("east", 0.08), ("west", 0.12)):
        folder = tmp_path / "in" / region
        folder.mkdir(parents=True)
        data["discount_rate"] = rate
        path = folder / "base.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        paths.append(path)
    return paths[0], paths[1]


def test_same_names_are_kept_apart_by_path_in_any_order(tmp_path):
    east, west = _same_name_pair(tmp_path)
    npv = {p: cxroi.evaluate(cxroi.load_scenario(p)).to_json()["npv"] for p in (east, west)}
    assert npv[east] != npv[west]
    out = tmp_path / "out"
    first = run_batch([east, west], out, notebooks=False, progress=False)
    second = run_batch([west, east], out, notebooks=False, progress=False)
    for result in (first, second):
        by_file = {Path(r["file"]): r for r in result.records}
        assert {r["dir"] for r in result.records} == {"east__base", "west__base"}
        for path in (east, west):
            rec = by_file[path]
            assert rec["dir"] == f"{path.parent.name}__base"
            assert rec["result"]["npv"] == pytest.approx(npv[path], rel=1e-12)
            stored = json.loads((out / rec["dir"] / "result.json").read_text())
            assert Path(stored["source"]) == path.resolve()
    assert all(r["reused"] for r in second.records)  # matched by path, not by input order
    assert [Path(r["file"]) for r in second.records] == [west, east]


def test_same_names_run_by_folder_reuse_by_path_after_an_edit(tmp_path):
    east, west = _same_name_pair(tmp_path)
    out = tmp_path / "out"
    run_batch(
        [tmp_path / "in" / "west", tmp_path / "in" / "east"], out, notebooks=False, progress=False
    )
    west.write_text(west.read_text().replace("discount_rate: 0.12", "discount_rate: 0.15"))
    again = run_batch([east.parent, west.parent], out, notebooks=False, progress=False)
    by_dir = {r["dir"]: r for r in again.records}
    assert by_dir["east__base"]["reused"] and not by_dir["west__base"]["reused"]
    assert by_dir["west__base"]["discount_rate"] == 0.15
    assert by_dir["east__base"]["discount_rate"] == 0.08


def test_output_folders_depend_on_paths_only():
    a = [Path("/x/east/base.yaml"), Path("/x/west/base.yaml"), Path("/x/base.yml")]
    b = list(reversed(a))
    fa, fb = output_folders(a), output_folders(b)
    assert dict(zip(a, fa, strict=True)) == dict(zip(b, fb, strict=True))
    assert len({f.lower() for f in fa}) == 3
    assert output_folders([Path("/x/summary.csv.yaml")]) == ["summary.csv-2"]
