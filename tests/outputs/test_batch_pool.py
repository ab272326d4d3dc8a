"""The batch's workers (issue 11 point 3): one loop over a concurrent.futures Executor.

Locally a process pool whose workers keep a warm kernel; with ``--scheduler`` a Dask cluster's
executor. Each test checks what a user relies on: the figures equal ``cxroi run --json``, a
scenario that kills its worker or runs past its time limit fails alone, and a re-run reuses what
did not change.
"""

from __future__ import annotations

import csv
import json
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from cxroi.cli import main as cli_main
from cxroi.outputs.batch import REPORT_NOTEBOOK, run_batch
from cxroi.outputs.batch import pool as pool_mod
from cxroi.outputs.batch import runner as runner_mod
from cxroi.outputs.batch.layout import Task
from cxroi.outputs.batch.pool import InlineExecutor, Pool, run_tasks

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "scenarios" / "retail_bank.yaml"
needs_fork = pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")


def _scenarios(folder: Path, names: list[str]) -> Path:
    """Copies of the retail bank named ``names``, each with its own discount rate."""
    folder.mkdir(parents=True)
    data = yaml.safe_load(RETAIL.read_text())
    for i, name in enumerate(names):
        data["name"] = name
        data["discount_rate"] = round(0.05 + 0.01 * i, 4)
        (folder / f"s{i:02d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _summary(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {row["scenario"]: row for row in csv.DictReader(fh)}


def _run_json_npv(path: str, capsys) -> float:
    """NPV of a scenario as ``cxroi run --json`` prints it."""
    capsys.readouterr()
    assert cli_main(["run", path, "--json"]) == 0
    return float(json.loads(capsys.readouterr().out)["npv"])


def _check_npv(rows: dict[str, dict[str, str]], capsys, skip: tuple[str, ...] = ()) -> int:
    """Every ok row's NPV equals ``cxroi run --json`` on its file; the number checked."""
    checked = 0
    for name, row in rows.items():
        if name in skip:
            continue
        assert row["status"] == "ok", (name, row["error"])
        assert float(row["npv"]) == pytest.approx(_run_json_npv(row["file"], capsys), rel=1e-12)
        checked += 1
    return checked


@pytest.fixture
def forked_workers(monkeypatch):
    """Worker processes forked from this one (they inherit the test's patches), always."""
    monkeypatch.setattr(pool_mod, "mp_context", lambda: mp.get_context("fork"))
    monkeypatch.setattr(pool_mod, "IN_PROCESS_MAX", 0)


# --------------------------------------------------------------------------------------------
# the loop itself, on the in-process executor
# --------------------------------------------------------------------------------------------
def test_inline_executor_runs_at_submit_and_keeps_errors_in_the_future():
    ex = InlineExecutor()
    ran = []
    done = ex.submit(ran.append, 1)
    assert ran == [1] and done.done() and done.result() is None
    failed = ex.submit(lambda: 1 / 0)
    assert isinstance(failed.exception(), ZeroDivisionError)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not a scenario's failure
        ex.submit(lambda: (_ for _ in ()).throw(KeyboardInterrupt))


def test_a_task_the_executor_cannot_run_is_a_failure_record(tmp_path):
    class Refusing(InlineExecutor):
        def submit(self, fn, /, *args, **kwargs):
            return super().submit(lambda: (_ for _ in ()).throw(OSError("worker lost")))

    tasks = [
        Task(index=i, file=f"{i}.yaml", name=f"S{i}", dir=f"s{i}", sha256="", out_dir=str(tmp_path))
        for i in range(3)
    ]
    got = []
    run_tasks(tasks, Pool(Refusing(), window=1), got.append)
    assert [r["dir"] for r in got] == ["s0", "s1", "s2"]
    assert {r["status"] for r in got} == {"failed"}
    assert got[0]["error"] == "the worker could not run it: OSError: worker lost"


# --------------------------------------------------------------------------------------------
# the local process pool
# --------------------------------------------------------------------------------------------
@needs_fork
def test_a_scenario_that_kills_its_worker_fails_alone(
    tmp_path, monkeypatch, capsys, forked_workers
):
    real_run = runner_mod.Runner.run

    def run(self, task):
        if task.name == "Doomed":
            os._exit(9)  # the worker process dies under the scenario
        return real_run(self, task)

    monkeypatch.setattr(runner_mod.Runner, "run", run)
    names = [f"V{i}" for i in range(10)]
    names[3] = "Doomed"
    inputs = _scenarios(tmp_path / "in", names)
    out = tmp_path / "out"
    code = cli_main(["batch", str(inputs), "--out", str(out), "--no-notebooks", "--jobs", "2"])
    assert code == 1  # one scenario failed, the batch finished
    rows = _summary(out)
    assert len(rows) == 10
    assert rows["Doomed"]["status"] == "failed"
    assert rows["Doomed"]["error"] == "the worker process died (exit 9) while running this scenario"
    assert _check_npv(rows, capsys, skip=("Doomed",)) == 9
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"total": 10, "ok": 9, "failed": 1, "reused": 0}


@needs_fork
def test_two_scenarios_that_kill_their_workers_both_fail_and_the_rest_complete(
    tmp_path, monkeypatch, forked_workers
):
    real_run = runner_mod.Runner.run

    def run(self, task):
        if task.name.startswith("Doomed"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_run(self, task)

    monkeypatch.setattr(runner_mod.Runner, "run", run)
    names = ["Doomed 1", "A", "B", "Doomed 2", "C", "D"]
    result = run_batch(
        [_scenarios(tmp_path / "in", names)], tmp_path / "out", jobs=2, notebooks=False
    )
    assert result.exit_code == 1
    errors = {r["scenario"]: r["error"] for r in result.records}
    assert errors == {
        "Doomed 1": "the worker process died (signal 9) while running this scenario",
        "Doomed 2": "the worker process died (signal 9) while running this scenario",
        **dict.fromkeys("ABCD", None),
    }


@needs_fork
def test_time_limit_in_a_worker_process_fails_that_scenario_by_name(
    tmp_path, monkeypatch, forked_workers
):
    real = runner_mod.evaluate_into

    def evaluate(record, data):
        if data["name"] == "Slow":
            time.sleep(120)  # the worker's own alarm interrupts this
        return real(record, data)

    monkeypatch.setattr(runner_mod, "evaluate_into", evaluate)
    inputs = _scenarios(tmp_path / "in", ["A", "Slow", "B", "C"])
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_batch([inputs], out, jobs=2, notebooks=False, progress=False, timeout=3.0)
    assert time.monotonic() - started < 60
    assert result.exit_code == 1
    rows = _summary(out)
    # stopped by the worker itself: no worker had to be replaced
    assert rows["Slow"]["error"] == "took longer than the time limit of 3 s (--timeout)"
    assert [rows[n]["status"] for n in "ABC"] == ["ok", "ok", "ok"]


@needs_fork
def test_resume_reuses_unchanged_results_of_the_process_pool(tmp_path, capsys, forked_workers):
    inputs = _scenarios(tmp_path / "in", [f"R{i}" for i in range(6)])
    out = tmp_path / "out"
    first = run_batch([inputs], out, jobs=2, notebooks=False, progress=False)
    assert first.counts() == {"total": 6, "ok": 6, "failed": 0, "reused": 0}
    before = _summary(out)
    assert _check_npv(before, capsys) == 6
    again = run_batch([inputs], out, jobs=2, notebooks=False, progress=False)
    assert again.counts() == {"total": 6, "ok": 6, "failed": 0, "reused": 6}
    assert _summary(out) == before
    changed = inputs / "s02.yaml"
    changed.write_text(changed.read_text().replace("discount_rate: 0.07", "discount_rate: 0.12"))
    third = run_batch([inputs], out, jobs=2, notebooks=False, progress=False)
    assert [r["scenario"] for r in third.records if not r["reused"]] == ["R2"]
    after = _summary(out)
    assert float(after["R2"]["discount_rate"]) == 0.12
    assert float(after["R2"]["npv"]) == pytest.approx(_run_json_npv(str(changed), capsys))
    assert float(after["R2"]["npv"]) != float(before["R2"]["npv"])


# --------------------------------------------------------------------------------------------
# with notebooks (slow: a kernel per worker)
# --------------------------------------------------------------------------------------------
def _template(tmp_path: Path, code: str) -> Path:
    nb = nbformat.read(REPORT_NOTEBOOK, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_each_worker_keeps_one_warm_kernel_across_its_scenarios(tmp_path):
    template = _template(tmp_path, "import os\nprint('kernel', os.getpid())")
    inputs = _scenarios(tmp_path / "in", ["K0", "K1", "K2"])
    out = tmp_path / "out"
    result = run_batch([inputs], out, jobs=1, template=template, workbooks=False, excel=False)
    assert result.exit_code == 0
    pids = set()
    for rec in result.records:
        nb = nbformat.read(out / rec["dir"] / "report.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        pids.update(line.split()[1] for line in text.splitlines() if line.startswith("kernel "))
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))  # a fresh session each time
    assert len(pids) == 1  # one kernel served all three reports


@pytest.mark.slow
def test_a_notebook_that_kills_its_worker_fails_that_scenario_only(tmp_path, capsys):
    # The kernel's parent is the worker process: this cell kills the worker, then the kernel.
    template = _template(
        tmp_path,
        'import os, signal\nif name == "Doomed":\n'
        "    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(1)",
    )
    inputs = _scenarios(tmp_path / "in", ["Fine 1", "Doomed", "Fine 2"])
    out = tmp_path / "out"
    result = run_batch([inputs], out, jobs=2, template=template, excel=False, progress=False)
    assert result.exit_code == 1
    rows = _summary(out)
    assert rows["Doomed"]["error"] == (
        "the worker process died (signal 9) while running this scenario"
    )
    assert _check_npv(rows, capsys, skip=("Doomed",)) == 2
    for name in ("Fine 1", "Fine 2"):
        assert (out / rows[name]["output"] / "report.html").is_file()
    assert not (out / rows["Doomed"]["output"] / "report.html").exists()


# --------------------------------------------------------------------------------------------
# a real scheduler
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_real_scheduler_with_worker_processes_gives_the_figures_of_cxroi_run(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    files = [str(ROOT / "scenarios" / n) for n in ("telecom.yaml", "insurer.yaml", "utility.yaml")]
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        code = cli_main(
            [
                "batch",
                *files,
                "--out",
                str(out),
                "--no-notebooks",
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
        ran = cluster.scheduler.task_prefixes["run_task"].state_counts["memory"]
    assert code == 0
    assert ran == 3  # computed by the cluster's worker process, not here
    rows = _summary(out)
    assert _check_npv(rows, capsys) == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["scheduler"] == cluster.scheduler_address
    # a second run through the scheduler reuses every result
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        again = run_batch(
            files, out, notebooks=False, scheduler=cluster.scheduler_address, progress=False
        )
    assert again.counts() == {"total": 3, "ok": 3, "failed": 0, "reused": 3}


@needs_fork
def test_workers_that_die_as_they_start_fail_the_batch_instead_of_looping(
    tmp_path, monkeypatch, forked_workers
):
    def broken_start(*args):
        os._exit(3)  # before any scenario: no worker can say which one is at fault

    monkeypatch.setattr(pool_mod, "init_worker", broken_start)
    inputs = _scenarios(tmp_path / "in", [f"S{i}" for i in range(5)])
    result = run_batch([inputs], tmp_path / "out", jobs=2, notebooks=False, progress=False)
    assert result.exit_code == 1
    assert {r["error"] for r in result.records} == {
        "not run: the worker processes died before they could run it"
    }
    assert (tmp_path / "out" / "summary.csv").is_file()


@pytest.mark.slow
def test_spawned_workers_give_the_figures_of_cxroi_run(tmp_path, monkeypatch, capsys):
    # Where forking is not safe (another thread runs), the workers start afresh.
    monkeypatch.setattr(pool_mod, "mp_context", lambda: mp.get_context("spawn"))
    monkeypatch.setattr(pool_mod, "IN_PROCESS_MAX", 0)
    inputs = _scenarios(tmp_path / "in", ["P0", "P1", "P2"])
    result = run_batch([inputs], tmp_path / "out", jobs=2, notebooks=False, progress=False)
    assert result.counts() == {"total": 3, "ok": 3, "failed": 0, "reused": 0}
    assert _check_npv(_summary(tmp_path / "out"), capsys) == 3


@pytest.mark.parametrize(
    "address, fault",
    [
        ("notaurl", "missing port number"),
        ("tcp://host", "missing port number"),
        ("tcp://:8786x", "8786x"),
    ],
)
def test_a_malformed_scheduler_address_is_refused_before_any_output(
    tmp_path, capsys, address, fault
):
    out = tmp_path / "out"
    started = time.perf_counter()
    rc = cli_main(["batch", str(ROOT / "scenarios" / "default.yaml"), "--scheduler", address,
                   "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "--scheduler" in err and fault in err and repr(address) in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing made for a batch that cannot run
    assert time.perf_counter() - started < 10  # no wait on a connection that never was
