"""The per-scenario time limit of a batch (issue 10 point 3).

A scenario that runs too long, in the worker's own evaluation or in its notebook, is marked
failed with a plain reason; its worker is replaced if it does not stop by itself, and the batch
still completes with its summary and manifest. Slowness is injected by patching the evaluation
(forked workers inherit the patch) or, for notebooks, by a template cell that sleeps.
"""

from __future__ import annotations

import csv
import json
import multiprocessing as mp
import signal
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from cxroi.outputs.batch import REPORT_NOTEBOOK, run_batch
from cxroi.outputs.batch import pool as pool_mod
from cxroi.outputs.batch import runner as runner_mod

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "scenarios" / "retail_bank.yaml"
#: The limit used here [s]: generous for a normal scenario on a loaded 2-core machine (its
#: modules are imported beforehand, below), far below the injected two-minute stall.
LIMIT = 3.0


@pytest.fixture(autouse=True)
def _imported():
    import cxroi.present.report  # noqa: F401  (the first evaluation would otherwise import it)


def _scenarios(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    data = yaml.safe_load(RETAIL.read_text())
    for i, name in enumerate(names):
        data["name"] = name
        (folder / f"s{i:02d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _summary(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {row["scenario"]: row for row in csv.DictReader(fh)}


def _check_completed(
    out: Path, slow: str, n: int, replaced: bool | None, limit: float = LIMIT
) -> None:
    rows = _summary(out)
    assert len(rows) == n
    assert rows[slow]["status"] == "failed"
    reason = rows[slow]["error"]
    assert reason.startswith(f"took longer than the time limit of {limit:g} s (--timeout)")
    if replaced is not None:
        assert ("worker process was stopped and replaced" in reason) is replaced
    assert "Traceback" not in reason
    others = {name: r["error"] for name, r in rows.items() if name != slow}
    assert others == dict.fromkeys(others, "")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"total": n, "ok": n - 1, "failed": 1, "reused": 0}


def test_slow_evaluation_in_process_is_stopped_and_the_batch_completes(tmp_path, monkeypatch):
    real = runner_mod.evaluate_into

    def evaluate(record, data):
        if data["name"] == "Slow":
            time.sleep(120)
        return real(record, data)

    monkeypatch.setattr(runner_mod, "evaluate_into", evaluate)
    inputs = _scenarios(tmp_path / "in", ["A", "Slow", "B"])
    out = tmp_path / "out"
    handler, (delay, _) = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    result = run_batch([inputs], out, jobs=1, notebooks=False, progress=False, timeout=LIMIT)
    assert result.exit_code == 1
    _check_completed(out, "Slow", 3, replaced=False)
    assert signal.getsignal(signal.SIGALRM) is handler  # the host's alarm is put back
    if delay:
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] < delay
    else:
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_stuck_worker_is_replaced_and_the_batch_completes(tmp_path, monkeypatch):
    real_run = runner_mod.Runner.run
    stopped = []

    def run(self, task):
        if task.name == "Stuck":  # ignores its own alarm: only the watchdog can stop it
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            time.sleep(120)
        return real_run(self, task)

    monkeypatch.setattr(runner_mod.Runner, "run", run)
    monkeypatch.setattr(pool_mod, "mp_context", lambda: mp.get_context("fork"))
    monkeypatch.setattr(pool_mod, "IN_PROCESS_MAX", 0)
    real_stop = pool_mod.stop_worker

    def stop(pid, sig=signal.SIGTERM):
        stopped.append(pid)
        return real_stop(pid, sig)

    monkeypatch.setattr(pool_mod, "stop_worker", stop)
    names = [f"V{i}" for i in range(8)]
    names[2] = "Stuck"
    inputs = _scenarios(tmp_path / "in", names)
    out = tmp_path / "out"
    result = run_batch([inputs], out, jobs=2, notebooks=False, progress=False, timeout=LIMIT)
    assert result.counts()["ok"] == 7
    _check_completed(out, "Stuck", 8, replaced=True)
    assert len(set(stopped)) == 1  # the stuck worker only


def test_watchdog_allows_a_margin_beyond_the_limit():
    for t in (1, 60, 300, 3600):
        assert t < pool_mod.watchdog_limit(t) <= t + 30


@pytest.mark.slow
def test_slow_notebook_cell_fails_its_scenario_only(tmp_path):
    nb = nbformat.read(REPORT_NOTEBOOK, as_version=4)
    nb.cells.insert(
        2, nbformat.v4.new_code_cell('import time\nif name == "Slow":\n    time.sleep(600)')
    )
    template = tmp_path / "slow.ipynb"
    nbformat.write(nb, template)
    inputs = _scenarios(tmp_path / "in", ["Slow", "Fine"])
    out = tmp_path / "out"
    limit = 40.0  # a whole report must fit in it on a loaded machine
    run_batch([inputs], out, jobs=1, progress=False, template=template, timeout=limit, excel=False)
    # the cell timeout stops it in the worker, or, if the kernel is slow to wind down, the
    # watchdog replaces the worker: either way a plain reason and a complete batch
    _check_completed(out, "Slow", 2, replaced=None, limit=limit)
    assert (out / "s01" / "report.html").is_file()
