"""The batch's workers: one loop over a :class:`concurrent.futures.Executor`.

:func:`run_tasks` submits each scenario (:func:`~cxroi.outputs.batch.worker.run_task`) to an
executor, keeps a few more in flight than there are workers, and hands each record over as its
future completes. Which executor runs them is the only difference between the three pools:

* :class:`LocalPool`, a :class:`~concurrent.futures.ProcessPoolExecutor` whose workers keep a
  warm kernel (:func:`~cxroi.outputs.batch.worker.init_worker`), forked where that is safe so
  they start with cxroi imported;
* :class:`DaskPool`, ``distributed.Client(ADDRESS).get_executor()`` for ``--scheduler``: the
  same tasks on a Dask cluster (the workers must see the output folder and have cxroi);
* :class:`Pool` over an :class:`InlineExecutor`, which runs each task in the batch process as
  it is submitted (small batches without notebooks: no start-up cost).

Failures stay local. A scenario's own error is its record's (the runner never raises). A
worker process that dies breaks a process pool (``BrokenProcessPool``);
the local pool then knows from its workers' messages which scenario was running in the dead
one, records it as failed, starts a new pool and runs the scenarios that were cut short again.
The time limit is kept by each worker itself where it can (``SIGALRM`` and nbclient's cell
timeout); the local pool also stops a worker whose scenario has run :func:`watchdog_limit`
seconds, and records that scenario as a :class:`~cxroi.outputs.batch.record.ScenarioTimeout`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from typing import Any

from cxroi.outputs.batch.kernel import close_all_kernels
from cxroi.outputs.batch.layout import BatchError, Task
from cxroi.outputs.batch.record import (
    Record,
    ScenarioTimeout,
    error_text,
    failure_record,
    lost_record,
)
from cxroi.outputs.batch.worker import init_worker, run_task

__all__ = [
    "DASK_CONNECT_TIMEOUT",
    "IN_PROCESS_MAX",
    "DaskPool",
    "check_address",
    "InlineExecutor",
    "LocalPool",
    "Pool",
    "make_pool",
    "mp_context",
    "run_tasks",
    "watchdog_limit",
]


#: Without notebooks, batches up to this size run in the calling process (no start-up cost).
IN_PROCESS_MAX = 24
#: Seconds to wait for a Dask scheduler before giving up (bad address: exit status 2).
DASK_CONNECT_TIMEOUT = 20
#: Seconds a worker told to stop (SIGTERM) is given before it is killed (SIGKILL).
STOP_GRACE = 10.0
#: A pool that breaks this many times in a row without finishing a scenario gives up on the
#: scenarios it was running (their workers die before they can say which one is at fault).
MAX_IDLE_BREAKS = 3
#: A scenario cut short this many times by other workers' deaths is not run again.
MAX_ATTEMPTS = 3


def watchdog_limit(timeout: float) -> float:
    """Seconds after which the batch process stops a worker whose scenario has not answered.

    A little beyond the scenario's own limit: the worker enforces ``timeout`` itself where it
    can (the evaluation and each notebook cell) and needs a moment to record the failure; the
    watchdog catches what it cannot interrupt.

    >>> watchdog_limit(60)
    68.0
    """
    return timeout + min(30.0, 2.0 + 0.1 * timeout)


def mp_context() -> Any:
    """``fork`` where it is safe (POSIX, one thread): workers start with cxroi imported."""
    if "fork" in mp.get_all_start_methods() and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("spawn")


class InlineExecutor(Executor):
    """An executor that runs each call in the calling thread as it is submitted.

    Its futures are done when :meth:`submit` returns; Ctrl-C (KeyboardInterrupt) propagates.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; a done future with its result or exception."""
        future: Future[Any] = Future()
        try:
            result = fn(*args, **kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


class Pool:
    """An executor and what :func:`run_tasks` asks of it (as is: the in-process pool).

    Attributes
    ----------
    executor : concurrent.futures.Executor
        Runs :func:`~cxroi.outputs.batch.worker.run_task`.
    window : int or None
        Scenarios kept in flight at once (None: all of them).
    """

    def __init__(self, executor: Executor, window: int | None) -> None:
        self.executor = executor
        self.window = window

    def submit(self, task: Task) -> Future[Record]:
        """Start one scenario."""
        return self.executor.submit(run_task, task)

    def finished(self, task: Task) -> None:
        """Note that a scenario's future has completed (its record has arrived)."""

    def watch(self, limit: float | None) -> float | None:
        """Look after the workers; seconds until the loop should look again (None: no need)."""
        return None

    def recover(self, broken: list[Task]) -> tuple[list[tuple[Task, Record]], list[Task]]:
        """After the pool broke: the scenarios at fault with their records, those to run again."""
        return [(t, lost_record(t)) for t in broken], []

    def close(self, now: bool = False) -> None:
        """Let the workers finish and free them (``now``: stop them at once)."""
        self.executor.shutdown(wait=not now, cancel_futures=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def stop_worker(pid: int, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to a worker process (SIGTERM: it kills its kernel and exits at once)."""
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


class LocalPool(Pool):
    """Worker processes on this machine: a :class:`ProcessPoolExecutor`, rebuilt if it breaks.

    Each worker says on a pipe when it starts (``hello PID``), when it begins a scenario
    (``start PID INDEX TIME``) and when it is stopped (``stop PID``); see
    :mod:`cxroi.outputs.batch.worker`. From these the pool knows which scenario each worker
    runs and since when.
    """

    def __init__(self, workers: int, notebooks: bool, template: str | None, workbooks: bool):
        self.workers = workers
        self._ctx = mp_context()
        self._setup = (notebooks, template, workbooks)
        self._done: set[int] = set()
        self._attempts: Counter[int] = Counter()
        self._idle_breaks = 0
        super().__init__(self._new_executor(), window=2 * workers)

    def _new_executor(self) -> ProcessPoolExecutor:
        self._reader, self._writer = self._ctx.Pipe(duplex=False)
        self._pids: set[int] = set()
        self._stopped: set[int] = set()
        self._running: dict[int, tuple[int, float]] = {}  # index -> (pid, since)
        self._killed: dict[int, tuple[int, float]] = {}  # pid -> (index, when), by the watchdog
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._ctx,
            initializer=init_worker,
            initargs=(self._writer, *self._setup),
        )

    def _read(self) -> None:
        """Take in the workers' messages."""
        while self._reader.poll():
            kind, pid_text, *rest = self._reader.recv_bytes().decode("ascii").split()
            pid = int(pid_text)
            if kind == "hello":
                self._pids.add(pid)
            elif kind == "stop":
                self._stopped.add(pid)
            elif kind == "start":
                index = int(rest[0])
                if index not in self._done:
                    for other, (p, _) in list(self._running.items()):
                        if p == pid:  # that worker has moved on
                            del self._running[other]
                    self._running[index] = (pid, float(rest[1]))

    def finished(self, task: Task) -> None:
        """Note that a scenario's future has completed (its record has arrived)."""
        self._done.add(task.index)
        self._running.pop(task.index, None)
        self._idle_breaks = 0

    def watch(self, limit: float | None) -> float | None:
        """Stop the worker of a scenario running past ``limit`` seconds; look again in 1 s."""
        self._read()
        if limit is None:
            return 1.0
        now = time.monotonic()
        for index, (pid, since) in list(self._running.items()):
            if pid not in self._killed and now - since > limit:
                self._killed[pid] = (index, now)
                stop_worker(pid)
        for pid, (_, when) in self._killed.items():
            if now - when > STOP_GRACE:  # it did not stop by itself
                stop_worker(pid, signal.SIGKILL)
        return 1.0

    def recover(self, broken: list[Task]) -> tuple[list[tuple[Task, Record]], list[Task]]:
        """After a worker died: fail the scenario it was running, start a new pool.

        A scenario whose worker was stopped by the watchdog is a :class:`ScenarioTimeout`; one
        whose worker died without being told to is lost (the worker's death is its record);
        the others, stopped only because the pool broke, run again.
        """
        processes = _processes(self.executor)
        self.executor.shutdown(wait=True)  # the executor has stopped every worker by now
        self._read()
        codes = {pid: getattr(p, "exitcode", None) for pid, p in processes.items()}
        by_watchdog = {index: pid for pid, (index, _) in self._killed.items()}
        records: list[tuple[Task, Record]] = []
        again: list[Task] = []
        for task in broken:
            started = self._running.get(task.index)
            if started is not None:
                self._attempts[task.index] += 1
            if task.index in by_watchdog:
                timeout = ScenarioTimeout(task.timeout or 0.0, replaced=True)
                records.append((task, failure_record(task, str(timeout))))
            elif started is not None and (
                started[0] not in self._stopped or self._attempts[task.index] >= MAX_ATTEMPTS
            ):
                records.append((task, lost_record(task, codes.get(started[0]))))
            else:
                again.append(task)
        if not records:
            self._idle_breaks += 1
            if self._idle_breaks >= MAX_IDLE_BREAKS:
                error = "not run: the worker processes died before they could run it"
                records = [(t, failure_record(t, error)) for t in again]
                again = []
        self._close_pipe()
        self.executor = self._new_executor()
        return records, again

    def close(self, now: bool = False) -> None:
        """Let the workers finish their scenarios and shut their kernels down.

        With ``now`` (Ctrl-C), stop them at once instead: SIGTERM, then SIGKILL after
        :data:`STOP_GRACE` seconds. A scenario cut short leaves no record and runs next time.
        """
        if now:
            self._read()
            pids = self._pids - self._stopped
            for pid in pids:
                stop_worker(pid)
            deadline = time.monotonic() + STOP_GRACE
            while any(_alive(p) for p in pids) and time.monotonic() < deadline:
                time.sleep(0.05)
            for pid in pids:
                if _alive(pid):
                    stop_worker(pid, signal.SIGKILL)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._close_pipe()

    def _close_pipe(self) -> None:
        for end in (self._reader, self._writer):
            with contextlib.suppress(OSError):
                end.close()


def _processes(executor: Executor) -> dict[int, Any]:
    """The worker processes of a process pool by pid, where the executor tells (for exit codes)."""
    return dict(getattr(executor, "_processes", None) or {})


def check_address(address: str) -> None:
    """Refuse a scheduler address Dask cannot parse before any client is made.

    A ``distributed.Client`` made on a malformed address fails half-built, and its finalizer
    then waits on a connection that never was; Dask's own parser names the fault at once.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise BatchError(
            f"--scheduler: not a Dask scheduler address ({exc}); expected tcp://HOST:PORT, "
            f"got {address!r}"
        ) from None


class DaskPool(Pool):
    """The workers of a Dask distributed cluster (``--scheduler ADDRESS``).

    ``scheduler`` is the scheduler's address or a ``distributed.Client``. After the batch, the
    workers' warm kernels are shut down.
    """

    def __init__(self, scheduler: Any, notebooks: bool) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - the dask extra is installed for tests
            raise BatchError(f"--scheduler needs Dask: pip install 'cxroi[dask]' ({exc})") from None
        self._own = not hasattr(scheduler, "get_executor")
        if self._own:
            check_address(str(scheduler))
            try:
                client = Client(scheduler, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise BatchError(
                    f"cannot connect to the Dask scheduler {scheduler}: {exc}"
                ) from None
        else:
            client = scheduler
        self.client = client
        self._notebooks = notebooks
        super().__init__(client.get_executor(pure=False), window=None)

    def close(self, now: bool = False) -> None:
        """Cancel what is left (``now``), shut the workers' kernels down, disconnect."""
        try:
            self.executor.shutdown(wait=not now)
            if self._notebooks:
                with contextlib.suppress(Exception):
                    self.client.run(close_all_kernels)
        finally:
            if self._own:
                self.client.close()


def make_pool(
    jobs: int,
    expected: int,
    notebooks: bool,
    template: str | None,
    workbooks: bool,
    scheduler: Any = None,
    timeout: float | None = None,
) -> Pool:
    """The pool for a batch of ``expected`` scenarios.

    Without notebooks, with one job or a few scenarios, the scenarios run in this process
    (where :func:`~cxroi.outputs.batch.runner.time_limit` keeps ``timeout``; off the main
    thread it cannot, so they go to worker processes).
    """
    if scheduler is not None:
        return DaskPool(scheduler, notebooks)
    on_main = threading.current_thread() is threading.main_thread()
    in_process = not notebooks and (jobs <= 1 or expected <= IN_PROCESS_MAX)
    if in_process and (timeout is None or on_main):
        return Pool(InlineExecutor(), window=1)
    return LocalPool(max(1, min(jobs, expected)), notebooks, template, workbooks)


def run_tasks(
    tasks: Iterable[Task],
    pool: Pool,
    on_record: Callable[[Record], None],
    timeout: float | None = None,
) -> None:
    """Run ``tasks`` on ``pool``; call ``on_record`` with each record as it arrives.

    ``tasks`` is consumed lazily: this process reads the next scenarios while the workers are
    busy. The pool is closed on the way out; on Ctrl-C the records already there are handed
    over, the workers are stopped at once and KeyboardInterrupt propagates.
    """
    source = iter(tasks)
    again: deque[Task] = deque()
    inflight: dict[Future[Record], Task] = {}
    limit = None if timeout is None else watchdog_limit(timeout)

    def hand_over(future: Future[Record], task: Task) -> bool:
        """Pass a completed future's record on; False if its pool broke under it."""
        exc = future.exception()
        if isinstance(exc, BrokenExecutor):
            return False
        pool.finished(task)
        if exc is None:
            on_record(future.result())
        else:  # the worker could not run it at all (a Dask worker lost, say)
            on_record(failure_record(task, f"the worker could not run it: {error_text(exc)}"))
        return True

    now = False
    try:
        while True:
            broken: list[Task] = []
            while pool.window is None or len(inflight) < pool.window:
                task = again.popleft() if again else next(source, None)
                if task is None:
                    break
                try:
                    inflight[pool.submit(task)] = task
                except BrokenExecutor:
                    broken.append(task)
                    break
            if not inflight and not broken:
                break
            done: set[Future[Record]] = set()
            if inflight:
                done, _ = wait(inflight, timeout=pool.watch(limit), return_when=FIRST_COMPLETED)
            for future in done:
                task = inflight.pop(future)
                if not hand_over(future, task):
                    broken.append(task)
            if broken:
                rest = list(inflight.items())
                inflight.clear()
                wait([f for f, _ in rest])  # a broken pool fails every future it holds
                broken += [t for f, t in rest if not hand_over(f, t)]
                records, retry = pool.recover(broken)
                for task, rec in records:
                    pool.finished(task)
                    on_record(rec)
                again.extendleft(reversed(sorted(retry, key=lambda t: t.index)))
    except KeyboardInterrupt:
        # Keep what has already arrived, then stop the workers at once.
        for future, task in list(inflight.items()):
            if future.done():
                with contextlib.suppress(Exception):
                    hand_over(future, task)
        now = True
        raise
    finally:
        pool.close(now=now)
