"""Output folder checks and the one-batch-per-folder lock (issue 9 point 4, issue 10 point 5).

A folder that cannot be made or written is refused before any scenario runs (exit 2); a
second batch into a folder in use refuses or waits, and never deletes the first one's files.
The lock is tested with real processes: a holder process, killed with SIGKILL, must not leave
the folder locked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cxroi.cli import main as cli_main
from cxroi.model.safety import TMP_SUFFIX
from cxroi.outputs.batch import LOCK_NAME, BatchError, run_batch
from cxroi.outputs.batch import runner as runner_mod
from cxroi.outputs.batch.folder import FolderLock

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "scenarios" / "b2b_saas.yaml"

# A process that holds the lock of a folder as a running batch does, with one of its
# temporary files in progress, until it is told to stop (stdin closes) or killed.
HOLDER = """
import os, sys
from pathlib import Path
from cxroi.outputs.batch.folder import FolderLock
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
lock = FolderLock(out)
lock.acquire()
tmp = out / f".summary.csv.{os.getpid()}-0.cxroi-tmp"
tmp.write_text("being written")
print("locked", flush=True)
sys.stdin.read()
tmp.unlink()
lock.release()
"""


def _holder(out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.endswith(TMP_SUFFIX)]


def test_out_under_a_file_is_refused_before_any_scenario(tmp_path, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(runner_mod, "evaluate_into", lambda *a: ran.append(a))
    (tmp_path / "file").write_text("x")
    with pytest.raises(BatchError, match=r"--out: cannot create the output folder .*file/sub"):
        run_batch([GOOD], tmp_path / "file" / "sub", notebooks=False, progress=False)
    assert cli_main(["batch", str(GOOD), "--out", str(tmp_path / "file" / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and "Traceback" not in err
    assert ran == []


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert cli_main(["batch", str(GOOD), "--out", str(tmp_path / "file"), "--no-notebooks"]) == 2
    assert "must be a folder" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "x"


def test_unwritable_out_is_refused_before_any_scenario(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    ran = []
    monkeypatch.setattr(runner_mod, "evaluate_into", lambda *a: ran.append(a))
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: Path(p) != out and real_access(p, mode, **kw)
    )
    assert cli_main(["batch", str(GOOD), "--out", str(out), "--no-notebooks"]) == 2
    err = capsys.readouterr().err
    assert f"the output folder {out} is not writable" in err
    assert ran == [] and list(out.iterdir()) == []


def test_lock_file_that_cannot_be_made_is_refused(tmp_path):
    out = tmp_path / "out"
    (out / LOCK_NAME).mkdir(parents=True)  # a folder where the lock file should be
    with pytest.raises(BatchError, match="is not writable"):
        run_batch([GOOD], out, notebooks=False, progress=False)
    assert not (out / "summary.csv").exists()


def test_second_batch_refuses_and_leaves_the_first_ones_files(tmp_path, capsys):
    out = tmp_path / "out"
    holder = _holder(out)
    try:
        in_progress = _temporaries(out)
        assert len(in_progress) == 1
        with pytest.raises(BatchError, match=rf"another batch \(process {holder.pid}\)"):
            run_batch([GOOD], out, notebooks=False, progress=False)
        assert cli_main(["batch", str(GOOD), "--out", str(out), "--no-notebooks"]) == 2
        assert "pass --wait" in capsys.readouterr().err
        assert _temporaries(out) == in_progress  # not cleaned up under a running batch
        assert not (out / "summary.csv").exists()
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0
    result = run_batch([GOOD], out, notebooks=False, progress=False)
    assert result.counts()["ok"] == 1


def test_wait_runs_after_the_first_batch_ends(tmp_path):
    out = tmp_path / "out"
    holder = _holder(out)
    said = []

    def release_soon(line: str) -> None:
        said.append(line)
        holder.stdin.close()  # the first batch finishes while the second waits

    result = run_batch([GOOD], out, notebooks=False, progress=False, wait=True, notify=release_soon)
    holder.wait(30)
    assert result.counts()["ok"] == 1
    assert said and f"process {holder.pid}" in said[0]
    assert _temporaries(out) == []


def test_a_killed_batch_does_not_leave_the_folder_locked(tmp_path):
    out = tmp_path / "out"
    holder = _holder(out)
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    stale = _temporaries(out)
    assert len(stale) == 1
    result = run_batch([GOOD], out, notebooks=False, progress=False)  # would refuse if locked
    assert result.counts()["ok"] == 1
    assert not stale[0].exists()  # a dead batch's temporary file is cleaned up
    assert (out / LOCK_NAME).read_text() == ""  # released at the end


def test_cli_timeout_and_wait_arguments(tmp_path, capsys):
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(SystemExit) as exc:
            cli_main(["batch", str(GOOD), "--out", str(tmp_path), "--timeout", bad])
        assert exc.value.code == 2
        assert "--timeout" in capsys.readouterr().err
    out = tmp_path / "ok"
    assert cli_main(["batch", str(GOOD), "--out", str(out), "--no-notebooks", "--wait"]) == 0


def test_released_lock_is_free_though_another_process_holds_a_copy_of_its_descriptor(tmp_path):
    # A worker forked a moment before the release may not have closed its copy yet; the
    # release must not depend on that (deterministic form of the fork race).
    out = tmp_path / "out"
    out.mkdir()
    lock = FolderLock(out)
    lock.acquire()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], pass_fds=(lock.fd,)
    )
    try:
        lock.release()
        other = FolderLock(out)
        other.acquire()  # BatchError "another batch ... is writing" if the copy kept it
        other.release()
    finally:
        holder.kill()
        holder.wait(10)


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.register_at_fork")
def test_a_forked_worker_does_not_keep_the_lock(tmp_path):
    import multiprocessing as mp

    out = tmp_path / "out"
    out.mkdir()
    lock = FolderLock(out)
    lock.acquire()
    child = mp.get_context("fork").Process(target=signal.pause)
    child.start()
    try:
        lock.release()
        result = run_batch([GOOD], out, notebooks=False, progress=False)  # refused if held
        assert result.counts()["ok"] == 1
    finally:
        child.kill()
        child.join(10)
