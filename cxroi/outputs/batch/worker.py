"""The worker side of a batch: the function each worker runs, and a local worker's set-up.

The executor of :mod:`cxroi.outputs.batch.pool` is given :func:`run_task` for each scenario;
it runs the scenario on the calling thread's :class:`~cxroi.outputs.batch.runner.Runner`, so a
worker keeps its warm kernel across the scenarios it runs (a process of the local pool has one
thread; a Dask worker keeps one runner per thread).

A process of the local pool starts with :func:`init_worker` (the executor's ``initializer``):
it ignores Ctrl-C (the batch process handles it), follows the batch process if that dies
(Linux), imports what a scenario needs and starts its warm kernel before its first scenario.
It tells the batch process, over a pipe, when it starts and which scenario it begins (for the
time limit's watchdog and to know which scenario a dead worker was running), and when it is
stopped (SIGTERM: it kills its kernel and exits at once).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing.util
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from cxroi.outputs.batch.layout import Task
from cxroi.outputs.batch.runner import Runner

__all__ = ["init_worker", "run_task", "worker_runner"]

#: Write end of the pipe to the batch process (set in the local pool's worker processes).
_status: Any = None
_local = threading.local()

#: Modules a scenario uses, imported before the first one: its evaluation and record.
_MODULES = ("cxroi.engine.case", "cxroi.model.plausibility", "cxroi.present.report")
_WORKBOOK_MODULES = ("cxroi.outputs.workbook", "xlsxwriter")  # the writer imports it on use
_NOTEBOOK_MODULES = ("nbformat", "nbconvert", "papermill.execute", "jupyter_client.manager")


def worker_runner() -> Runner:
    """The runner of the calling thread, made on first use."""
    runner: Runner | None = getattr(_local, "runner", None)
    if runner is None:
        runner = _local.runner = Runner()
    return runner


def tell(message: str) -> None:
    """Send one line to the batch process, if this is a local worker (never blocks on a lock).

    A message is one write of a few bytes on a pipe, which the operating system keeps whole
    however many workers write at once.
    """
    if _status is not None:
        with contextlib.suppress(OSError):
            _status.send_bytes(message.encode("ascii"))


def run_task(task: Task) -> dict[str, Any]:
    """Run one scenario on this thread's runner; its record (what the executor is given)."""
    tell(f"start {os.getpid()} {task.index} {time.monotonic()!r}")
    return worker_runner().run(task)


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: kill the warm kernel and leave at once (the pool stops or replaces us)."""
    tell(f"stop {os.getpid()}")
    runner: Runner | None = getattr(_local, "runner", None)
    if runner is not None:
        runner.kill()
    os._exit(128 + signum)


def _close_runner() -> None:
    runner: Runner | None = getattr(_local, "runner", None)
    if runner is not None:
        runner.close()


def _set_parent_death_signal() -> None:
    """On Linux, have the kernel send SIGTERM to this worker if the batch process dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def init_worker(status: Any, notebooks: bool, template: str | None, workbooks: bool) -> None:
    """Set up a worker process of the local pool (the executor's ``initializer``).

    Parameters
    ----------
    status : multiprocessing.connection.Connection
        Write end of the pipe to the batch process (see :func:`tell`).
    notebooks : bool
        Start the warm kernel now and load ``template``, so the first scenario's time limit
        does not pay for them.
    template : str, optional
        The report notebook.
    workbooks : bool
        Import the workbook writer now.

    Never raises: a worker whose kernel cannot start records that on each scenario instead.
    """
    global _status
    _status = status
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch process handles Ctrl-C
    signal.signal(signal.SIGTERM, _stop)
    _set_parent_death_signal()
    tell(f"hello {os.getpid()}")
    runner = _local.runner = Runner()
    # A worker told to finish (not killed) shuts its kernel down on its way out.
    multiprocessing.util.Finalize(None, _close_runner, exitpriority=10)
    modules = (
        *_MODULES,
        *(_WORKBOOK_MODULES if workbooks else ()),
        *(_NOTEBOOK_MODULES if notebooks else ()),
    )
    with contextlib.suppress(Exception):
        for name in modules:
            importlib.import_module(name)
        if notebooks:
            runner.warm_up(template)
