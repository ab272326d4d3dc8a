"""A whole batch: check the arguments, lock the folder, run what changed, write the summary.

:func:`run_batch` is the ``cxroi batch`` command. It refuses bad arguments before any scenario
runs (:class:`~cxroi.outputs.batch.layout.BatchError`, exit status 2), takes the output
folder's lock, reuses the records of unchanged scenarios, runs the others on a pool
(:mod:`cxroi.outputs.batch.pool`) with a progress bar, and writes the summary and manifest,
Ctrl-C included.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from cxroi.model.safety import remove_stale_temporaries
from cxroi.outputs.batch.folder import FolderLock, check_not_a_file, stderr_line, usable_out_dir
from cxroi.outputs.batch.layout import REPORT_NOTEBOOK, BatchError, Task
from cxroi.outputs.batch.plan import discover, prepare, reusable
from cxroi.outputs.batch.pool import check_address, make_pool, run_tasks
from cxroi.outputs.batch.record import Record, base_record, now
from cxroi.outputs.batch.summary import BatchResult, warning_texts, write_outputs

__all__ = ["DEFAULT_TIMEOUT", "run_batch"]


#: Default time limit of one scenario [s] (``--timeout``): a report takes a few seconds.
DEFAULT_TIMEOUT = 300.0


def run_batch(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    jobs: int | None = None,
    notebooks: bool = True,
    force: bool = False,
    scheduler: Any = None,
    progress: bool | None = None,
    template: str | os.PathLike[str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    excel: bool = True,
    options: dict[str, Any] | None = None,
    workbooks: bool = True,
    wait: bool = False,
    notify: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run a batch of scenarios and write reports, summary, workbook and manifest.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Scenario files and folders (a folder contributes its ``*.yaml`` and ``*.yml``).
    out_dir : path-like
        Output folder (created if missing).
    jobs : int, optional
        Worker processes; default: the CPUs available to this process.
    notebooks : bool, default True
        Execute the report notebook and export HTML for each scenario. False computes only the
        summary (fast: thousands of scenarios).
    force : bool, default False
        Redo scenarios that an earlier run already completed unchanged.
    scheduler : str or distributed.Client, optional
        Address of a Dask distributed scheduler to run the tasks on instead of local processes.
    progress : bool, optional
        Progress bar on stderr; default: only when stderr is a terminal.
    template : path-like, optional
        Report notebook; default :data:`~cxroi.outputs.batch.layout.REPORT_NOTEBOOK`.
    timeout : float, optional
        Time limit of each scenario [s], default :data:`DEFAULT_TIMEOUT` (None: no limit). A
        scenario that takes longer, in its evaluation or its notebook, is recorded as failed
        and the batch goes on; a worker that does not stop by itself is replaced.
    excel : bool, default True
        Write ``summary.xlsx``.
    options : dict, optional
        Extra facts recorded in the manifest (the CLI records its command line).
    workbooks : bool, default True
        Write each scenario's live driver workbook, ``workbook.xlsx`` beside its report
        (:mod:`cxroi.outputs.workbook`).
    wait : bool, default False
        If another batch is writing into ``out_dir``, wait for it to finish instead of
        refusing (:class:`~cxroi.outputs.batch.folder.FolderLock`).
    notify : callable, optional
        Called with one line of text for what the user should see while the batch runs
        (waiting for another batch, plausibility warnings); default: print to stderr.

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchError
        For bad arguments, all before any scenario runs: missing path, no scenario,
        jobs < 1, an output folder that is a file, cannot be created or is not writable,
        another batch writing into the same folder (without ``wait``), missing notebook,
        unreachable scheduler.
    """
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = discover(given)
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if jobs is None or jobs < 1:
        raise BatchError(f"--jobs must be at least 1 (got {jobs})")
    if isinstance(scheduler, str):
        check_address(scheduler)  # before the output folder is made
    out = Path(out_dir)
    check_not_a_file(out)
    tpl = str(Path(template).resolve()) if template else str(REPORT_NOTEBOOK)
    if notebooks and not Path(tpl).is_file():
        raise BatchError(f"report notebook not found: {tpl}")
    tpl_sha = None
    if notebooks:
        try:
            tpl_sha = hashlib.sha256(Path(tpl).read_bytes()).hexdigest()
        except OSError as exc:
            raise BatchError(f"cannot read the report notebook {tpl}: {exc}") from None
    out = usable_out_dir(out)
    lock = FolderLock(out)
    lock.acquire(wait=wait, notify=notify)
    try:
        started, t0 = now(), time.perf_counter()
        remove_stale_temporaries(out, depth=1)

        records: list[Record | None] = [None] * len(files)
        bar = _progress_bar(len(files), progress)
        prepared: list[Task] = []
        index_of: dict[str, int] = {}  # a scenario's folder -> its index

        def say(line: str) -> None:
            if notify is not None:
                notify(line)
            elif bar is not None and not bar.disable:
                bar.write(line, file=sys.stderr)
            else:
                stderr_line(line)

        def take(index: int, rec: Record) -> None:
            records[index] = rec
            for text in warning_texts(rec):
                say(f"cxroi: warning: {rec.get('file')}: {text}")
            if bar is not None:
                bar.update(1)

        def todo() -> Iterator[Task]:
            for task in prepare(
                files, out, notebooks, tpl if notebooks else None, timeout, tpl_sha, workbooks
            ):
                prepared.append(task)
                index_of[task.dir] = task.index
                previous = None if force else reusable(task)
                if previous is None:
                    yield task
                else:
                    take(task.index, previous)

        def on_record(rec: Record) -> None:
            take(index_of[rec["dir"]], rec)

        interrupted = False
        try:
            pool = make_pool(
                jobs,
                len(files),
                notebooks,
                tpl if notebooks else None,
                workbooks,
                scheduler=scheduler,
                timeout=timeout,
            )
            run_tasks(todo(), pool, on_record, timeout)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if bar is not None:
                bar.close()
        by_index = {t.index: t for t in prepared}
        for i, path in enumerate(files):
            if records[i] is None:
                task = by_index.get(i) or Task(
                    index=i, file=str(path), name=path.stem, dir="", sha256="", out_dir=str(out)
                )
                rec = base_record(task)
                rec["error"] = "interrupted before it finished"
                records[i] = rec
        result = BatchResult(
            out_dir=out,
            records=[r for r in records if r is not None],
            started=started,
            finished=now(),
            seconds=round(time.perf_counter() - t0, 3),
            interrupted=interrupted,
        )
        opts = {
            "paths": [os.fspath(p) for p in given],
            "out": str(out),
            "jobs": jobs,
            "notebooks": notebooks,
            "force": force,
            "scheduler": None
            if scheduler is None
            else str(getattr(scheduler, "address", scheduler)),
            "template": tpl if notebooks else None,
            "template_sha256": tpl_sha,
            "timeout": timeout,
            "wait": wait,
            "workbooks": workbooks,
            **(options or {}),
        }
        write_outputs(result, opts, excel)
        return result
    finally:
        lock.release()


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None

    class _Bar(tqdm):  # type: ignore[misc]  # no monitor thread: workers may be forked later
        monitor_interval = 0

    return _Bar(
        total=total,
        unit="scenario",
        file=sys.stderr,
        disable=None if progress is None else not progress,
        dynamic_ncols=True,
    )
