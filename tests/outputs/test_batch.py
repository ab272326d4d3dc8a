"""Tests of cxroi.outputs.batch and the `cxroi batch` command (issue 4).

One batch without notebooks (fast) and one with notebooks (slow) are run once per module and
shared by the tests that read their outputs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

import cxroi
from cxroi.cli import main as cli_main
from cxroi.model.safety import TMP_SUFFIX
from cxroi.outputs.batch import (
    KPI_COLUMNS,
    MANIFEST,
    SUMMARY_COLUMNS,
    BatchError,
    discover,
    run_batch,
)
from cxroi.outputs.batch import pool as pool_mod
from cxroi.outputs.batch import runner as runner_mod

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
INJECTION = '=HYPERLINK("http://x","y")'


def _retail() -> dict:
    return yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())


def make_inputs(folder: Path, bundled: list[Path] = BUNDLED) -> Path:
    """The bundled scenarios, a broken one, an injection name and a path-traversal name."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in bundled:
        shutil.copy(p, folder / p.name)
    (folder / "zz_broken.yaml").write_text("name: Broken\nhorizon_years: 0\nsegments: []\n")
    evil = _retail()
    evil["name"] = INJECTION
    (folder / "zz_injection.yaml").write_text(yaml.safe_dump(evil, sort_keys=False))
    traversal = _retail()
    traversal["name"] = "../../escape"
    (folder / "zz_traversal.yml").write_text(yaml.safe_dump(traversal, sort_keys=False))
    (folder / "notes.csv").write_text("cohort,period,active\n")  # not a scenario
    return folder


def read_summary(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(TMP_SUFFIX)]


@pytest.fixture(scope="module")
def fast_batch(tmp_path_factory):
    """A batch without notebooks over the bundled scenarios plus three awkward ones."""
    root = tmp_path_factory.mktemp("fast")
    inputs = make_inputs(root / "in")
    out = root / "out"
    result = run_batch([inputs], out, jobs=1, notebooks=False, progress=False)
    return inputs, out, result


# --------------------------------------------------------------------------------------------
# discovery and safety
# --------------------------------------------------------------------------------------------
def test_discover_takes_yaml_files_only_and_each_once(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    found = discover([inputs, inputs / "retail_bank.yaml"])
    assert all(p.suffix in (".yaml", ".yml") for p in found)
    assert len(found) == len(BUNDLED) + 3
    with pytest.raises(BatchError, match="no such file"):
        discover([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="no scenario files"):
        discover([tmp_path / "empty"])


# --------------------------------------------------------------------------------------------
# the fast batch
# --------------------------------------------------------------------------------------------
def test_every_scenario_has_a_row_and_only_the_broken_one_failed(fast_batch):
    inputs, out, result = fast_batch
    rows = read_summary(out)
    # the fixed columns, then one per input that differs across the scenarios
    assert list(rows[0])[: len(SUMMARY_COLUMNS)] == list(SUMMARY_COLUMNS)
    assert "risk.benefit_adjustment" in list(rows[0])[len(SUMMARY_COLUMNS) :]
    assert len(rows) == len(BUNDLED) + 3 == len(result.records)
    failed = [r for r in rows if r["status"] != "ok"]
    assert [r["file"] for r in failed] == [str(inputs / "zz_broken.yaml")]
    assert "horizon_years" in failed[0]["error"] and "segments" in failed[0]["error"]
    assert all(r["status"] == "ok" and r["error"] == "" for r in rows if r not in failed)
    assert result.exit_code == 1


def test_summary_kpis_equal_cxroi_run_json(fast_batch):
    inputs, out, _ = fast_batch
    for row in read_summary(out):
        if row["status"] != "ok":
            continue
        expected = cxroi.evaluate(cxroi.load_scenario(row["file"])).to_json()
        for col in KPI_COLUMNS:
            head, _, key = col.rpartition(".")
            want = (expected[head] if head else expected)[key]
            got = row[col]
            if want is None:
                assert got == ""
            else:
                assert float(got) == pytest.approx(want, rel=1e-12, abs=1e-9), (row["file"], col)


def test_injection_name_is_neutralised_and_its_folder_is_safe(fast_batch):
    _, out, _ = fast_batch
    rows = read_summary(out)
    evil = next(r for r in rows if r["file"].endswith("zz_injection.yaml"))
    assert evil["scenario"] == "'" + INJECTION
    assert evil["output"] == "zz_injection"  # the folder comes from the file, not the name
    text = (out / "summary.csv").read_text()
    assert "\n=" not in text and ",=" not in text


def test_outputs_stay_inside_the_output_folder(fast_batch):
    _, out, result = fast_batch
    for rec in result.records:
        folder = (out / rec["dir"]).resolve()
        assert folder.parent == out.resolve()
    assert not (out.parent / "escape").exists()


def test_same_names_both_survive(fast_batch):
    _, out, result = fast_batch
    dirs = [r["dir"] for r in result.records if r["scenario"] == "Retail bank - service redesign"]
    assert dirs == ["default", "retail_bank"]  # by file path, never by name
    for d in dirs:
        assert json.loads((out / d / "result.json").read_text())["status"] == "ok"


def test_manifest_records_versions_hashes_parameters_times(fast_batch):
    inputs, out, _ = fast_batch
    manifest = json.loads((out / MANIFEST).read_text())
    for pkg in ("cxroi", "numpy", "pandas", "papermill", "nbclient", "openpyxl", "dask"):
        assert manifest["versions"][pkg], pkg
    assert manifest["counts"] == {
        "total": len(BUNDLED) + 3,
        "ok": len(BUNDLED) + 2,
        "failed": 1,
        "reused": 0,
    }
    assert manifest["started"] <= manifest["finished"]
    for entry in manifest["scenarios"]:
        blob = Path(entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(blob).hexdigest()
        assert entry["status"] in ("ok", "failed")
        assert entry["started"] and entry["finished"]
        if entry["status"] == "ok":
            assert entry["error"] is None
            sc = cxroi.load_scenario(entry["parameters"])
            assert sc.name == entry["scenario"]
        else:
            assert "horizon_years" in entry["error"]


def test_rerun_skips_unchanged_and_redoes_changed_failed_and_forced(fast_batch, tmp_path):
    inputs, out, _ = fast_batch
    work_in, work_out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(inputs, work_in)
    shutil.copytree(out, work_out)
    # the records name their input files: point them at the copies
    for rec_path in work_out.glob("*/result.json"):
        rec = json.loads(rec_path.read_text())
        rec["file"] = rec["file"].replace(str(inputs), str(work_in))
        rec["source"] = rec["source"].replace(str(inputs.resolve()), str(work_in.resolve()))
        rec_path.write_text(json.dumps(rec))
    changed = work_in / "telecom.yaml"
    changed.write_text(changed.read_text().replace("discount_rate: 0.09", "discount_rate: 0.11"))
    again = run_batch([work_in], work_out, jobs=1, notebooks=False, progress=False)
    reused = {Path(r["file"]).name for r in again.records if r["reused"]}
    assert reused == {p.name for p in BUNDLED if p.name != "telecom.yaml"} | {
        "zz_injection.yaml",
        "zz_traversal.yml",
    }
    telecom = next(r for r in again.records if r["file"].endswith("telecom.yaml"))
    assert telecom["discount_rate"] == 0.11 and not telecom["reused"]
    broken = next(r for r in again.records if r["file"].endswith("zz_broken.yaml"))
    assert broken["status"] == "failed" and not broken["reused"]  # failures are retried

    def by_file(folder):
        return {Path(r.pop("file")).name: r for r in read_summary(folder)}

    before, after = by_file(out), by_file(work_out)
    assert before.keys() == after.keys()
    for name in before:
        if name != "telecom.yaml":
            assert after[name] == before[name]
    forced = run_batch([work_in], work_out, jobs=1, notebooks=False, force=True, progress=False)
    assert not any(r["reused"] for r in forced.records)


def test_parallel_processes_give_the_same_summary(fast_batch, tmp_path):
    inputs, out, _ = fast_batch
    many = tmp_path / "many"
    many.mkdir()
    base = _retail()
    for i in range(40):
        base["name"] = f"Variant {i:02d}"
        base["discount_rate"] = 0.05 + i / 400
        (many / f"v{i:02d}.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    serial = run_batch([many], tmp_path / "serial", jobs=1, notebooks=False, progress=False)
    parallel = run_batch([many], tmp_path / "parallel", jobs=2, notebooks=False, progress=False)
    assert (
        serial.counts()
        == parallel.counts()
        == {
            "total": 40,
            "ok": 40,
            "failed": 0,
            "reused": 0,
        }
    )
    assert read_summary(tmp_path / "serial") == read_summary(tmp_path / "parallel")


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_a_dying_worker_fails_its_scenario_only(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    base = _retail()
    for i in range(30):
        base["name"] = "Doomed" if i == 7 else f"Variant {i:02d}"
        (folder / f"v{i:02d}.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    real_run = runner_mod.Runner.run

    def run(self, task):
        if task.name == "Doomed":
            os._exit(9)
        return real_run(self, task)

    monkeypatch.setattr(runner_mod.Runner, "run", run)  # inherited by forked workers
    monkeypatch.setattr(pool_mod, "mp_context", lambda: mp.get_context("fork"))
    result = run_batch([folder], tmp_path / "out", jobs=2, notebooks=False, progress=False)
    failed = result.failed
    assert [r["scenario"] for r in failed] == ["Doomed"]
    assert "worker process died" in failed[0]["error"]
    assert result.counts()["ok"] == 29


def test_dask_local_cluster_gives_the_same_summary(fast_batch, tmp_path):
    distributed = pytest.importorskip("distributed")
    inputs, out, _ = fast_batch
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        result = run_batch(
            [inputs],
            tmp_path / "dask",
            notebooks=False,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert result.counts() == {
        "total": len(BUNDLED) + 3,
        "ok": len(BUNDLED) + 2,
        "failed": 1,
        "reused": 0,
    }
    assert read_summary(tmp_path / "dask") == read_summary(out)
    manifest = json.loads((tmp_path / "dask" / MANIFEST).read_text())
    assert manifest["options"]["scheduler"].startswith(("tcp://", "inproc://"))


def test_unreachable_scheduler_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pool_mod, "DASK_CONNECT_TIMEOUT", 1)
    scenario = str(ROOT / "scenarios" / "retail_bank.yaml")
    code = cli_main(
        [
            "batch",
            scenario,
            "--out",
            str(tmp_path / "o"),
            "--no-notebooks",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ]
    )
    assert code == 2
    assert "Dask scheduler" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def test_cli_exit_status_and_messages(fast_batch, tmp_path, capsys):
    inputs, _, _ = fast_batch
    good = ROOT / "scenarios" / "b2b_saas.yaml"
    assert cli_main(["batch", str(good), "--out", str(tmp_path / "a"), "--no-notebooks"]) == 0
    assert "1 ok, 0 failed" in capsys.readouterr().out
    code = cli_main(["batch", str(inputs), "--out", str(tmp_path / "b"), "--no-notebooks"])
    assert code == 1
    err = capsys.readouterr().err
    assert "zz_broken.yaml" in err and "horizon_years" in err and "Traceback" not in err
    assert cli_main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "c")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert cli_main(["batch", str(good), "--out", str(tmp_path / "file")]) == 2
    assert "must be a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["batch", str(good), "--out", str(tmp_path / "d"), "--jobs", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli_main(["batch", str(good)])
    assert exc.value.code == 2


def test_stale_temporaries_are_removed_on_rerun(tmp_path):
    scenario = ROOT / "scenarios" / "b2b_saas.yaml"
    out = tmp_path / "out"
    run_batch([scenario], out, notebooks=False, progress=False)
    stale = out / f".summary.csv.123-0{TMP_SUFFIX}"
    stale.write_text("half")
    run_batch([scenario], out, notebooks=False, progress=False)
    assert not stale.exists()


# --------------------------------------------------------------------------------------------
# with notebooks (slow: a kernel per worker)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notebook_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("nb")
    picked = [ROOT / "scenarios" / "retail_bank.yaml", ROOT / "scenarios" / "b2b_saas.yaml"]
    inputs = make_inputs(root / "in", bundled=picked)
    (inputs / "zz_traversal.yml").unlink()
    out = root / "out"
    result = run_batch([inputs], out, jobs=2, notebooks=True, progress=False)
    return inputs, out, result


@pytest.mark.slow
def test_notebook_batch_writes_executed_reports(notebook_batch):
    inputs, out, result = notebook_batch
    assert result.counts() == {"total": 4, "ok": 3, "failed": 1, "reused": 0}
    for rec in result.records:
        folder = out / rec["dir"]
        if rec["status"] != "ok":
            assert not (folder / "report.ipynb").exists()
            continue
        nb = nbformat.read(folder / "report.ipynb", as_version=4)
        params = yaml.safe_load(Path(rec["file"]).read_text())
        assert nb.metadata.papermill.parameters["name"] == params["name"]
        assert nb.metadata.papermill.exception is False or nb.metadata.papermill.exception is None
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        assert tags[0] == ["parameters"] and "injected-parameters" in tags[1]
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))  # a fresh kernel session each time
        outputs = [o for c in nb.cells for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.output_type == "error"]
        html = "".join(o.data.get("text/html", "") for o in outputs if "data" in o)
        assert "Cash flows" in html and "data:image/svg+xml;base64," in html
        page = (folder / "report.html").read_text()
        assert page.rstrip().endswith("</html>")
        assert "from cxroi.present.report import build" not in page  # no code in the HTML
        assert "<script src=" not in page  # renders offline
        assert (folder / "result.json").is_file()


@pytest.mark.slow
def test_notebook_of_injection_name_shows_it_as_text(notebook_batch):
    _, out, _ = notebook_batch
    page = (out / "zz_injection" / "report.html").read_text()
    assert '>=HYPERLINK("http://x","y")</h1>' in page  # plain text in the title
    assert 'href="http://x"' not in page


def _three_scenario_batch(
    tmp_path: Path, label: str, count: int = 3
) -> tuple[Path, list[str]]:
    """``count`` copies of the retail bank named ``label 0..``; the ``cxroi batch`` command."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    base = _retail()
    for i in range(count):
        base["name"] = f"{label} {i}"
        (inputs / f"s{i}.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "cxroi.cli",
        "batch",
        str(inputs),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    return out, cmd


@pytest.mark.slow
def test_killed_batch_leaves_nothing_half_written_and_resumes(tmp_path):
    out, cmd = _three_scenario_batch(tmp_path, "Kill test")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(out.glob("*/result.json")):
        time.sleep(0.05)
    assert list(out.glob("*/result.json")), "the batch never finished a scenario"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    time.sleep(1.5)  # the worker follows its parent (PR_SET_PDEATHSIG) and stops its kernel
    done = {p.parent.name for p in out.glob("*/result.json")}
    assert 1 <= len(done) < 3
    for path in out.rglob("*"):
        if path.name.endswith(TMP_SUFFIX) or path.is_dir():
            continue
        if path.suffix in (".json", ".ipynb"):
            json.loads(path.read_text())  # complete, or it would not parse
        if path.suffix == ".html":
            assert path.read_text().rstrip().endswith("</html>")
    assert not (out / "summary.csv").exists()

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / MANIFEST).read_text())
    reused = {e["dir"] for e in manifest["scenarios"] if e["reused"]}
    assert reused == done
    assert manifest["counts"]["ok"] == 3
    assert no_temporaries(out)


def _interruptible() -> None:
    """In the child before exec: SIGINT at its default action and unblocked."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@pytest.mark.slow
def test_ctrl_c_writes_the_summary_and_marks_the_rest_interrupted(tmp_path):
    # Eight scenarios, so Ctrl-C surely lands before the last one ends, however fast the
    # machine runs the rest once the first record is there.
    out, cmd = _three_scenario_batch(tmp_path, "Interrupt test", count=8)
    # As from a terminal: Ctrl-C's default action and not blocked, whatever this test process
    # has come to (an ignored or blocked signal stays so across exec, and the suite's other
    # tests run kernels, servers and browsers in this process).
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(out.glob("*/result.json")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    rows = read_summary(out)
    assert len(rows) == 8
    assert any(r["status"] == "ok" for r in rows)
    assert any(r["error"] == "interrupted before it finished" for r in rows)
    assert json.loads((out / MANIFEST).read_text())["interrupted"] is True
    assert no_temporaries(out)


@pytest.mark.slow
def test_dask_cluster_of_processes_runs_notebooks(tmp_path):
    """A real scheduler and worker (separate processes), with notebooks, as a team would run it."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        bad = tmp_path / "broken.yaml"
        mapping = yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())
        mapping["segments"][0]["share_of_wallet"] = 1.5
        bad.write_text(yaml.safe_dump(mapping))
        out = tmp_path / "out"
        deadline = time.monotonic() + 60
        while True:  # wait for the worker to join the scheduler
            code = cli_main(
                [
                    "batch",
                    str(ROOT / "scenarios" / "telecom.yaml"),
                    str(bad),
                    "--out",
                    str(out),
                    "--scheduler",
                    address,
                ]
            )
            if code != 2 or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert code == 1  # the broken scenario fails, the other completes
        rows = {r["file"]: r for r in csv.DictReader((out / "summary.csv").open())}
        telecom = rows[str(ROOT / "scenarios" / "telecom.yaml")]
        assert telecom["status"] == "ok"
        npv = cxroi.evaluate(ROOT / "scenarios" / "telecom.yaml").kpis["npv"]
        assert float(telecom["npv"]) == pytest.approx(npv, rel=1e-12)
        assert "share_of_wallet" in rows[str(bad)]["error"]
        reports = list(out.glob("*/report.ipynb"))  # only the valid scenario has a notebook
        assert len(reports) == 1 and (reports[0].parent / "report.html").exists()
        nb = nbformat.read(reports[0], as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
