"""Scenario batches: papermill reports, an auditable summary and a workbook that reconciles.

:func:`run_batch` (the ``cxroi batch`` command) takes scenario files and folders and writes,
under an output folder ``DIR``::

    DIR/<folder>/report.ipynb      the executed papermill notebook (unless no_notebooks)
    DIR/<folder>/report.html       the same report as HTML without code
    DIR/<folder>/result.json       the scenario's record: hash, status, KPIs, cash flows
    DIR/<folder>/workbook.xlsx     the live driver workbook (:mod:`cxroi.outputs.workbook`)
    DIR/summary.csv                one row per scenario: status, error, every KPI, and a column
                                   per input that differs across the scenarios
    DIR/summary.xlsx               the same, filterable, linking each scenario's workbook
    DIR/manifest.json              versions, input hashes, parameters, times, statuses

How it stays auditable and safe
-------------------------------
* Every file is written to a temporary file beside its final name and renamed over it
  (:func:`cxroi.model.safety.atomic_write`), so Ctrl-C or a killed process never leaves a
  half-written
  file under a final name. ``result.json`` is written last: it marks the scenario as done.
* A re-run skips a scenario whose ``result.json`` records status ``ok``, the same input file
  and SHA-256, the same cxroi version, the same report template SHA-256 (with notebooks) and
  the outputs asked for (:func:`_reusable`); ``force=True`` redoes it. Failed and interrupted
  scenarios are always run again.
* A scenario that is invalid, crashes, or whose worker process dies is recorded as ``failed``
  with its message; all others complete.
* Each scenario's folder comes from its file path relative to the inputs
  (:func:`output_folders`: safe characters only, no path traversal), never from its
  ``name``, so two scenarios with the same name never share, swap or overwrite outputs. YAML
  is parsed with a safe loader.

Speed
-----
Starting a Jupyter kernel and importing Altair costs about 4 s, far more than a report. Each
worker process therefore keeps one kernel alive across scenarios (a papermill engine, see
:func:`warm_kernel_engine`): before each notebook the kernel's namespace is reset to a fresh
session (``InteractiveShell.reset``; execution counts restart at 1), and the notebook is then
parameterised and executed exactly as ``papermill`` does, papermill metadata included.
Without notebooks the scenarios are evaluated by a pool of plain processes, in chunks.

``scheduler=ADDRESS`` sends the same tasks to a Dask distributed cluster instead; the workers
must see the output folder (a shared file system) and have cxroi installed.

Size: this module is larger than the ~800 lines the package aims at because the move of its worker
pool onto concurrent.futures and Dask, under way in another change, touches most of it; it is to be
split along its banners (discovery, notebook runs, records, summary, pool) once that lands.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as _dt
import hashlib
import io
import json
import logging
import math
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait as _wait_any
from pathlib import Path
from typing import Any

import cxroi
from cxroi import bundle
from cxroi.errors import InputError
from cxroi.model import scenario as _scenario_mod
from cxroi.model.distributions import base_float
from cxroi.model.finite import finite_or_none
from cxroi.model.safety import (
    atomic_write,
    neutralise,
    remove_stale_temporaries,
    unique_names,
)
from cxroi.outputs.records import KPI_COLUMNS, SUMMARY_COLUMNS, SUMMARY_KPIS, SUMMARY_LEVERS

__all__ = [
    "BatchError",
    "BatchResult",
    "ScenarioTimeout",
    "KPI_COLUMNS",
    "REPORT_NOTEBOOK",
    "SUMMARY_COLUMNS",
    "discover",
    "output_folders",
    "run_batch",
    "summary_rows",
    "summary_table",
    "varied_inputs",
    "warning_texts",
    "warm_kernel_engine",
]

log = logging.getLogger(__name__)

#: The report notebook of the repository checkout (notebooks are not shipped in the wheel).
REPORT_NOTEBOOK = bundle.notebook("report")

SCENARIO_SUFFIXES = (".yaml", ".yml")
NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = "report.html"
RECORD_NAME = "result.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_XLSX = "summary.xlsx"
WORKBOOK_NAME = "workbook.xlsx"
MANIFEST = "manifest.json"
#: Lock file of a batch's output folder (one batch at a time writes into a folder).
LOCK_NAME = ".cxroi-batch.lock"
RECORD_SCHEMA = 1
#: Without notebooks, batches up to this size run in the calling process (no start-up cost).
_IN_PROCESS_MAX = 24
ENGINE_NAME = "cxroi-warm"
#: Default time limit of one scenario [s] (``--timeout``): a report takes a few seconds.
DEFAULT_TIMEOUT = 300.0
#: Seconds to wait for a Dask scheduler before giving up (bad address: exit status 2).
DASK_CONNECT_TIMEOUT = 20

_KPIS = SUMMARY_KPIS
_LEVERS = SUMMARY_LEVERS


#: Packages whose versions the manifest records.
_VERSIONED = (
    "cxroi",
    "numpy",
    "pandas",
    "scipy",
    "pydantic",
    "pyyaml",
    "altair",
    "vl-convert-python",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "openpyxl",
    "tqdm",
    "dask",
    "distributed",
)


class BatchError(InputError):
    """Bad batch arguments (no such path, no scenario found, bad option); exit status 2."""


# --------------------------------------------------------------------------------------------
# Discovery, hashing, parsing
# --------------------------------------------------------------------------------------------
def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders by their ``*.yaml``/``*.yml``.

    Folders are not searched recursively (``scenarios/data/`` holds CSV cohort data, and
    ``scenarios/uncertain/`` is passed explicitly when wanted). A file named twice is kept once.

    Raises
    ------
    BatchError
        If a path does not exist or nothing is found.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            items = sorted(
                c for c in p.iterdir() if c.is_file() and c.suffix.lower() in SCENARIO_SUFFIXES
            )
        elif p.is_file():
            items = [p]
        else:
            raise BatchError(f"no such file or folder: {raw}")
        for item in items:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                found.append(item)
    if not found:
        where = ", ".join(map(str, paths))
        raise BatchError(f"no scenario files (*.yaml, *.yml) found in: {where}")
    return found


def _parse(text: str, source: str) -> Any:
    """Parse scenario YAML safely; syntax errors become :class:`cxroi.ScenarioError`."""
    return _scenario_mod.parse_yaml(text, source)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ScenarioTimeout(Exception):
    """A scenario ran longer than its time limit (``--timeout``)."""

    def __init__(self, seconds: float, replaced: bool = False) -> None:
        self.seconds = seconds
        self.replaced = replaced
        super().__init__(seconds)

    def __str__(self) -> str:
        text = f"took longer than the time limit of {self.seconds:g} s (--timeout)"
        if self.replaced:
            text += "; its worker process was stopped and replaced"
        return text


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ScenarioTimeout):
        return str(exc)
    if isinstance(exc, cxroi.ScenarioError):
        issues = getattr(exc, "errors", None)
        if issues:
            return "; ".join(str(i) for i in issues)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Tasks and records
# --------------------------------------------------------------------------------------------
@dataclass
class _Task:
    """One scenario to run (picklable: it travels to worker processes and Dask workers)."""

    index: int
    file: str
    name: str
    dir: str
    sha256: str
    out_dir: str
    data: Any = None
    error: str | None = None
    notebooks: bool = True
    template: str | None = None
    timeout: float | None = None
    template_sha256: str | None = None
    source: str = ""
    workbook: bool = True


def _base_record(task: _Task) -> dict[str, Any]:
    return {
        "schema": RECORD_SCHEMA,
        "scenario": task.name,
        "file": task.file,
        "dir": task.dir,
        "source": task.source,
        "sha256": task.sha256,
        "template_sha256": task.template_sha256 if task.notebooks else None,
        "cxroi_version": cxroi.__version__,
        "status": "failed",
        "error": task.error,
        "warnings": [],
        "notebooks": task.notebooks,
        "reused": False,
        "started": _now(),
        "finished": None,
        "seconds": None,
        "outputs": {},
        "currency": None,
        "horizon_years": None,
        "discount_rate": None,
        "risk": None,
        "parameters": task.data if isinstance(task.data, dict) else None,
        "result": None,
        "cashflow_unadjusted": None,
        "assumptions": None,
    }


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by None so that the JSON is standard."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _evaluate_into(record: dict[str, Any], data: Any) -> Any:
    """Validate and evaluate a scenario mapping; fill the record's figures. Returns the case."""
    from cxroi.model.plausibility import plausibility_warnings
    from cxroi.present.report import assumption_rows

    sc = cxroi.load_scenario(data)
    record["warnings"] = [_json_safe(w.to_json()) for w in plausibility_warnings(sc)]
    case = cxroi.evaluate(sc)
    cf = case.cashflow
    record["scenario"] = sc.name
    record["currency"] = sc.currency
    record["horizon_years"] = int(sc.horizon_years)
    record["discount_rate"] = _base(sc.discount_rate)
    record["risk"] = {
        "benefit_adjustment": sc.risk.benefit_adjustment_base(),
        "cost_adjustment": _base(sc.risk.cost_adjustment),
    }
    record["parameters"] = sc.model_dump(mode="json")
    record["result"] = case.to_json()
    record["cashflow_unadjusted"] = {
        "benefits": [float(x) for x in cf["benefits_unadjusted"]],
        "costs": [float(x) for x in cf["costs_unadjusted"]],
    }
    record["assumptions"] = assumption_rows(sc)
    return case


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ScenarioTimeout` in the block if it runs longer than ``seconds``.

    Uses a real-time interval timer (``SIGALRM``), so it interrupts pure-Python loops and
    sleeps; it works on the main thread of a POSIX process only and is a no-op elsewhere (the
    batch process then relies on its watchdog over the worker processes, see
    :func:`_run_local`). An alarm the host program had set is put back as it was, less the
    time spent; if that alarm is due first, it is left alone and this limit is not applied.
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    previous_delay, previous_interval = signal.getitimer(signal.ITIMER_REAL)
    if previous_delay and previous_delay <= seconds:
        yield  # the host's own alarm comes first; leave it alone (the watchdog still applies)
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise ScenarioTimeout(seconds)

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if previous_delay:  # a host's alarm (pytest-timeout, say) goes on as it was
            left = max(1e-3, previous_delay - (time.monotonic() - start))
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


_base = base_float


def _finish(record: dict[str, Any], t0: float) -> dict[str, Any]:
    record["finished"] = _now()
    record["seconds"] = round(time.perf_counter() - t0, 4)
    return record


def _dumps(obj: Any) -> str:
    """Compact, standard JSON (the C encoder; non-finite floats become null)."""
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_json_safe(obj), separators=(",", ":"), allow_nan=False)


def _workbook(task: _Task, record: dict[str, Any], case: Any) -> None:
    """Write the scenario's live driver workbook beside its report."""
    from cxroi.outputs.workbook import write_workbook

    folder = Path(task.out_dir) / task.dir
    folder.mkdir(parents=True, exist_ok=True)
    write_workbook(case, folder / WORKBOOK_NAME, source=task.file)
    record["outputs"]["workbook"] = WORKBOOK_NAME


def _write_record(task: _Task, record: dict[str, Any]) -> None:
    folder = Path(task.out_dir) / task.dir
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / RECORD_NAME, _dumps(record))


# JupyterLab's HTML look without the scripts it would fetch from the web (RequireJS, MathJax,
# Mermaid, widgets): the report is tables and images, so the file stands alone offline.
_HTML_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


class _Runner:
    """Runs tasks in one process or thread; holds the warm kernel and the HTML exporter."""

    def __init__(self) -> None:
        self._kernel: _WarmKernel | None = None
        self._exporter: Any = None
        self._template: dict[str, Any] = {}

    # -- public --------------------------------------------------------------------------------
    def run(self, task: _Task) -> dict[str, Any]:
        t0 = time.perf_counter()
        record = _base_record(task)
        limit = task.timeout
        try:
            if task.error is None:
                with _time_limit(limit):
                    case = _evaluate_into(record, task.data)
                    if task.workbook:
                        _workbook(task, record, case)
                record["status"] = "ok"
                if task.notebooks:
                    left = None if limit is None else math.ceil(limit - (time.perf_counter() - t0))
                    # nbclient wants whole seconds per cell; the scenario's limit still holds
                    self._notebook(task, record, None if left is None else max(1, left))
                    if record["status"] != "ok" and limit and time.perf_counter() - t0 >= limit:
                        raise ScenarioTimeout(limit)
        except Exception as exc:  # any failure of one scenario is recorded, never raised
            record["status"] = "failed"
            record["error"] = _error_text(exc)
            if not isinstance(exc, (cxroi.ScenarioError, ScenarioTimeout)):
                record["traceback"] = traceback.format_exc(limit=20)
        _finish(record, t0)
        try:
            _write_record(task, record)
        except OSError as exc:
            record["status"] = "failed"
            record["error"] = f"cannot write {RECORD_NAME}: {exc}"
        return record

    def warm_up(self, template: str | None) -> None:
        """Start the kernel and import the report's modules before the first scenario."""
        if template:
            self._load_template(template)
        self._kernel_for().ensure()

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None

    # -- notebooks -----------------------------------------------------------------------------
    def _kernel_for(self) -> _WarmKernel:
        if self._kernel is None:
            self._kernel = _WarmKernel()
        return self._kernel

    def _load_template(self, template: str) -> Any:
        from papermill.iorw import load_notebook_node

        key = str(template)
        if key not in self._template:
            self._template[key] = load_notebook_node(key)
        return self._template[key]

    def _notebook(self, task: _Task, record: dict[str, Any], timeout: float | None) -> None:
        import nbformat

        folder = Path(task.out_dir) / task.dir
        folder.mkdir(parents=True, exist_ok=True)
        nb_path, html_path = folder / NOTEBOOK_NAME, folder / HTML_NAME
        template = task.template or str(REPORT_NOTEBOOK)
        nb, error = self._kernel_for().execute(
            self._load_template(template),
            {**task.data, "scenario_file": task.file},
            input_path=template,
            output_path=str(nb_path),
            timeout=timeout,
        )
        if nb is not None:
            atomic_write(nb_path, nbformat.writes(nb))
            record["outputs"]["notebook"] = NOTEBOOK_NAME
            atomic_write(html_path, self._html(nb, record["scenario"]))
            record["outputs"]["html"] = HTML_NAME
        if error:
            record["status"] = "failed"
            record["error"] = error

    def _html(self, nb: Any, title: str) -> str:
        if self._exporter is None:
            from jinja2 import DictLoader
            from nbconvert import HTMLExporter

            self._exporter = HTMLExporter(
                extra_loaders=[DictLoader({"cxroi_report.html.j2": _HTML_TEMPLATE})],
                template_file="cxroi_report.html.j2",
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
            )
        body, _ = self._exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        return body


# --------------------------------------------------------------------------------------------
# Warm kernels: a papermill engine that keeps one kernel per thread alive
# --------------------------------------------------------------------------------------------
_RESET_CODE = """\
import os as _cxroi_os
_cxroi_os.chdir({cwd!r})
get_ipython().reset(new_session=True)
"""

_WARM_UP_CODE = """\
import altair, vl_convert, pandas, cxroi, cxroi.present.report, cxroi.present.charts
vl_convert.vegalite_to_svg({"mark": "bar", "data": {"values": [{"a": 1}]},
                            "encoding": {"x": {"field": "a", "type": "quantitative"}}})
"""

_local = threading.local()
_all_kernels: list[_WarmKernel] = []
_all_lock = threading.Lock()


class _WarmKernel:
    """One long-lived Jupyter kernel (the kernel manager and client of an nbclient run)."""

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self.km: Any = None
        self.kc: Any = None
        self.cwd = os.getcwd()

    def ensure(self) -> None:
        """Start the kernel (if needed) and import the report's modules into it."""
        if self.km is not None:
            return
        with _all_lock:
            if self not in _all_kernels:
                _all_kernels.append(self)
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        # The kernel's own stderr only carries start-up chatter; cell output travels by iopub.
        run_sync(km.start_kernel)(
            cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)
        except BaseException:
            with contextlib.suppress(Exception):
                kc.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            raise
        self.km, self.kc = km, kc
        self._silent(_WARM_UP_CODE, timeout=300)

    def _silent(self, code: str, timeout: float = 60) -> None:
        """Run code without a trace in the notebook (no execution count, no history)."""
        from jupyter_core.utils import run_sync

        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the kernel did not answer in time")
            reply = run_sync(self.kc.get_shell_msg)(timeout=remaining)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(
                f"kernel preparation failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def execute(
        self,
        template: Any,
        parameters: dict[str, Any],
        input_path: str,
        output_path: str,
        timeout: float | None,
    ) -> tuple[Any, str | None]:
        """Parameterise and execute a copy of ``template`` as papermill does.

        Returns the executed notebook (also when a cell failed; None if the kernel could not
        be started) and an error message or None.
        """
        from papermill.exceptions import PapermillExecutionError
        from papermill.execute import (
            prepare_notebook_metadata,
            raise_for_execution_errors,
            remove_error_markers,
        )
        from papermill.parameterize import parameterize_notebook

        nb = copy.deepcopy(template)
        nb = parameterize_notebook(
            nb, parameters, report_mode=False, kernel_name=self.kernel_name, language="python"
        )
        nb = prepare_notebook_metadata(nb, input_path, output_path)
        nb = remove_error_markers(nb)
        try:
            self.ensure()
            self._silent(_RESET_CODE.format(cwd=self.cwd))
        except Exception as exc:
            self.close()
            return None, f"cannot start the notebook kernel: {_error_text(exc)}"
        _local.current = self
        try:
            nb = warm_kernel_engine().execute_notebook(
                nb,
                self.kernel_name,
                output_path=None,
                progress_bar=False,
                execution_timeout=timeout,
            )
        except Exception as exc:
            # A dead or hung kernel: throw it away, the next scenario starts a fresh one.
            self.close()
            return nb, f"notebook execution failed: {_error_text(exc)}"
        finally:
            _local.current = None
        try:
            raise_for_execution_errors(nb, None)
        except PapermillExecutionError as exc:
            return nb, f"notebook cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}"
        return nb, None

    def close(self) -> None:
        """Shut the kernel down (best effort, then by force)."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        with _all_lock:
            if self in _all_kernels:
                _all_kernels.remove(self)
        if km is None:
            return
        from jupyter_core.utils import run_sync

        pid = _kernel_pid(km)
        with contextlib.suppress(Exception):
            kc.stop_channels()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _kernel_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
    return pid


def _close_all_kernels() -> int:
    """Shut down every warm kernel of this process (Dask workers call this after a batch)."""
    with _all_lock:
        kernels = list(_all_kernels)
        _all_kernels.clear()
    for k in kernels:
        k.close()
    return len(kernels)


def _make_engine() -> type:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine
    from papermill.log import logger

    class _Engine(Engine):
        """A papermill engine that runs the notebook on the calling thread's warm kernel.

        Use it through the batch runner, which prepares the kernel; registered with papermill
        as ``cxroi-warm``.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            warm = getattr(_local, "current", None)
            if warm is None:
                warm = _WarmKernel(kernel_name)
                _local.current = warm
            warm.ensure()
            client = PapermillNotebookClient(
                nb_man,
                km=warm.km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = warm.kc
            return client.execute(cleanup_kc=False)

    return _Engine


_ENGINE: type | None = None


def warm_kernel_engine() -> type:
    """The papermill engine class that runs notebooks on the calling thread's warm kernel.

    It is registered with papermill as ``cxroi-warm`` on first use; papermill is imported then.
    """
    global _ENGINE
    if _ENGINE is None:
        from papermill.engines import papermill_engines

        _ENGINE = _make_engine()
        papermill_engines.register(ENGINE_NAME, _ENGINE)
    return _ENGINE


# --------------------------------------------------------------------------------------------
# Local worker processes
# --------------------------------------------------------------------------------------------
def _set_parent_death_signal() -> None:
    """On Linux, have the kernel send SIGTERM to this worker if the batch process dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _worker_main(conn: Any, warm_template: str | None, notebooks: bool) -> None:
    """Worker process loop: receive a chunk of tasks, send back one record per task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch process handles Ctrl-C

    def _terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    _set_parent_death_signal()
    runner = _Runner()
    try:
        if notebooks:
            with contextlib.suppress(Exception):
                runner.warm_up(warm_template)
        try:
            conn.send(_READY)  # the scenario clock of the batch process starts now
        except (BrokenPipeError, OSError):
            return
        while True:
            try:
                chunk = conn.recv()
            except (EOFError, OSError):
                break
            if chunk is None:
                break
            for task in chunk:
                record = runner.run(task)
                try:
                    conn.send(record)
                except (BrokenPipeError, OSError):
                    return
    finally:
        runner.close()


#: What a worker sends once its kernel is warm, before its first record.
_READY = "ready"


class _Worker:
    """A worker process, the tasks sent to it and not yet answered, and its scenario clock.

    ``clock`` is when the worker began its current scenario (None while it is idle or still
    warming up): the moment it became ready, was sent a task, or answered the previous one.
    """

    def __init__(self, ctx: Any, template: str | None, notebooks: bool) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.proc = ctx.Process(target=_worker_main, args=(child, template, notebooks), daemon=True)
        self.proc.start()
        child.close()
        self.tasks: deque[_Task] = deque()
        self.ready = False
        self.clock: float | None = None

    def sent(self) -> None:
        if self.ready and self.clock is None:
            self.clock = time.monotonic()


def _watchdog_limit(timeout: float) -> float:
    """Seconds after which the batch process stops a worker whose scenario has not answered.

    A little beyond the scenario's own limit: the worker enforces ``timeout`` itself where it
    can (the evaluation and each notebook cell) and needs a moment to record the failure and
    shut its kernel down; the watchdog catches what it cannot interrupt.
    """
    return timeout + min(30.0, 2.0 + 0.1 * timeout)


def _mp_context() -> Any:
    """``fork`` where it is safe (POSIX, one thread): workers start with cxroi imported."""
    if "fork" in mp.get_all_start_methods() and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _run_local(
    tasks: Iterable[_Task],
    jobs: int,
    notebooks: bool,
    template: str | None,
    on_record: Callable[[dict[str, Any]], None],
    expected: int,
    timeout: float | None = None,
) -> None:
    """Run tasks in ``jobs`` worker processes; call ``on_record`` as each finishes.

    ``tasks`` is consumed lazily: this process reads the next scenarios while the workers are
    busy. Without notebooks, with one job or a few scenarios, the tasks run in this process
    (where :func:`_time_limit` enforces ``timeout``; off the main thread they go to a worker).

    A worker whose scenario has not answered :func:`_watchdog_limit` seconds after it began is
    stopped (SIGTERM, then SIGKILL); its scenario is recorded as failed with a
    :class:`ScenarioTimeout` message, the rest of its tasks go back to the queue and a new
    worker takes its place.
    """
    on_main = threading.current_thread() is threading.main_thread()
    in_process = not notebooks and (jobs <= 1 or expected <= _IN_PROCESS_MAX)
    if in_process and (timeout is None or on_main):
        runner = _Runner()
        for task in tasks:
            on_record(runner.run(task))
        return
    source = iter(tasks)
    try:
        pending: deque[_Task] = deque([next(source)])
    except StopIteration:
        return
    exhausted = False

    def pull(n: int) -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < n:
            try:
                pending.append(next(source))
            except StopIteration:
                exhausted = True

    limit = None if timeout is None else _watchdog_limit(timeout)
    ctx = _mp_context()
    n_workers = max(1, min(jobs, expected))
    chunk = 1 if notebooks else max(1, min(32, expected // (n_workers * 8)))
    workers = [_Worker(ctx, template, notebooks) for _ in range(n_workers)]
    try:
        while True:
            for w in workers:
                if not w.tasks:
                    pull(chunk)
                    if pending:
                        batch = [pending.popleft() for _ in range(min(chunk, len(pending)))]
                        w.tasks.extend(batch)
                        w.conn.send(batch)
                        w.sent()
            if exhausted and not pending and not any(w.tasks for w in workers):
                break
            waitables = [w.conn for w in workers] + [w.proc.sentinel for w in workers]
            wait_for = 0.0 if not exhausted else None
            clocks = [w.clock for w in workers if w.tasks and w.clock is not None]
            if limit is not None and clocks:
                until = max(0.0, min(clocks) + limit - time.monotonic())
                wait_for = until if wait_for is None else min(wait_for, until)
            ready = _wait_any(waitables, timeout=wait_for)
            if not ready and not exhausted:
                pull(len(pending) + 8)  # read ahead while the workers compute
            for i, w in enumerate(list(workers)):
                if w.conn in ready or w.proc.sentinel in ready:
                    if _drain(w, on_record):
                        if w.tasks:
                            on_record(_lost_record(w.tasks.popleft(), w.proc.exitcode))
                            pending.extendleft(reversed(w.tasks))
                            w.tasks.clear()
                        w.conn.close()
                        workers[i] = _Worker(ctx, template, notebooks)
                        continue
                if limit is not None and _overdue(w, limit):
                    task = w.tasks.popleft()
                    _stop_workers([w], now=True)
                    on_record(_timeout_record(task, timeout))
                    pending.extendleft(reversed(w.tasks))
                    w.tasks.clear()
                    workers[i] = _Worker(ctx, template, notebooks)
    except KeyboardInterrupt:
        # Keep what has already arrived, then stop the workers at once: a scenario cut short
        # leaves no record, so the next run does it again.
        for w in workers:
            with contextlib.suppress(Exception):
                _drain(w, on_record)
        _stop_workers(workers, now=True)
        raise
    finally:
        _stop_workers(workers)


def _drain(w: _Worker, on_record: Callable[[dict[str, Any]], None]) -> bool:
    """Receive every record a worker has sent; True if the worker is gone."""
    try:
        while w.conn.poll():
            record = w.conn.recv()
            if isinstance(record, str) and record == _READY:
                w.ready = True
                w.clock = time.monotonic() if w.tasks else None
                continue
            if w.tasks:
                w.tasks.popleft()
            w.clock = time.monotonic() if w.tasks else None
            on_record(record)
    except (EOFError, OSError):
        return True
    if not w.proc.is_alive():
        return True
    return False


def _overdue(w: _Worker, limit: float) -> bool:
    """Whether the worker's current scenario has run past ``limit`` seconds."""
    return bool(w.tasks) and w.clock is not None and time.monotonic() - w.clock > limit


def _timeout_record(task: _Task, timeout: float | None) -> dict[str, Any]:
    record = _base_record(task)
    record["error"] = str(ScenarioTimeout(timeout or 0.0, replaced=True))
    record["finished"] = _now()
    return record


def _lost_record(task: _Task, exitcode: int | None) -> dict[str, Any]:
    record = _base_record(task)
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit {exitcode}"
    record["error"] = f"the worker process died ({how}) while running this scenario"
    record["finished"] = _now()
    return record


def _stop_workers(workers: Sequence[_Worker], now: bool = False) -> None:
    """Ask the workers to finish (or, with ``now``, terminate them) and reap them."""
    for w in workers:
        if not w.proc.is_alive():
            continue
        if now:
            w.proc.terminate()  # SIGTERM: the worker shuts its kernel down and exits
        else:
            with contextlib.suppress(Exception):
                w.conn.send(None)
    deadline = time.monotonic() + 10
    for w in workers:
        w.proc.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.proc.is_alive():
            w.proc.terminate()
    for w in workers:
        w.proc.join(5)
        if w.proc.is_alive():
            w.proc.kill()
            w.proc.join(1)
        with contextlib.suppress(Exception):
            w.conn.close()


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------
def _dask_task(task: _Task) -> dict[str, Any]:
    runner = getattr(_local, "runner", None)
    if runner is None:
        runner = _local.runner = _Runner()
    return runner.run(task)


def _dask_close() -> int:
    return _close_all_kernels()


def _run_dask(
    tasks: Sequence[_Task],
    scheduler: Any,
    notebooks: bool,
    on_record: Callable[[dict[str, Any]], None],
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - the dask extra is installed for the tests
        raise BatchError(
            f"--scheduler needs Dask: pip install 'cxroi[dask]' ({exc})"
        ) from None
    if not tasks:
        return
    try:
        client = Client(scheduler, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None
    try:
        futures = client.map(_dask_task, list(tasks), pure=False)
        by_future = dict(zip(futures, tasks, strict=True))
        for future in as_completed(futures, loop=client.loop):
            task = by_future[future]
            try:
                record = future.result()
            except Exception as exc:  # a killed worker (KilledWorker) or a lost task
                record = _base_record(task)
                record["error"] = f"the Dask task failed: {_error_text(exc)}"
                record["finished"] = _now()
            on_record(record)
    finally:
        if notebooks:
            with contextlib.suppress(Exception):
                client.run(_dask_close)
        client.close()


# --------------------------------------------------------------------------------------------
# Summary, manifest
# --------------------------------------------------------------------------------------------
#: Between two warnings in the ``warnings`` column of the summary.
WARNING_SEPARATOR = " | "


def warning_texts(record: dict[str, Any]) -> list[str]:
    """The plausibility warnings of a record as plain sentences (:mod:`cxroi.model.plausibility`).

    Each names the field, the value, its plausible range and, where there is one, the likely
    intended value, e.g. ``discount_rate: 14 is outside the plausible range [-0.05, 0.5] for an
    annual discount rate (rates and shares are decimals); did you mean 0.14?``.
    """
    out = []
    for w in record.get("warnings") or []:
        text = w.get("message") if isinstance(w, dict) else w
        if text:
            out.append(str(text))
    return out


def summary_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per record with the :data:`SUMMARY_COLUMNS` (numbers stay numbers)."""
    rows = []
    for rec in records:
        result = rec.get("result") or {}
        row: dict[str, Any] = {
            "scenario": rec.get("scenario"),
            "file": rec.get("file"),
            "status": rec.get("status"),
            "error": rec.get("error") or "",
            "warnings": WARNING_SEPARATOR.join(warning_texts(rec)),
            "currency": rec.get("currency"),
            "horizon_years": rec.get("horizon_years"),
            "discount_rate": rec.get("discount_rate"),
            "output": rec.get("dir"),
        }
        for k in _KPIS:
            row[k] = result.get(k)
            row[f"unadjusted.{k}"] = (result.get("unadjusted") or {}).get(k)
        for k in _LEVERS:
            row[f"by_lever.{k}"] = (result.get("by_lever") or {}).get(k)
        rows.append({c: row.get(c) for c in SUMMARY_COLUMNS})
    return rows


def varied_inputs(records: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """The inputs that differ across a batch's successful scenarios, by field path.

    Returns a mapping from field path (as in the assumptions, ``segments[Retail].retention``)
    to one value per record, in record order (None for a failed record or a scenario without
    that field). Paths already among :data:`SUMMARY_COLUMNS` (``discount_rate``...) are left
    out, and so are ``name`` and derived values (a default ``new_customers_per_year``).
    """
    records = list(records)
    table: dict[str, list[Any]] = {}
    for n, rec in enumerate(records):
        if rec.get("status") != "ok":
            continue
        for row in rec.get("assumptions") or []:
            path = row.get("path")
            if not path or path == "name" or path in SUMMARY_COLUMNS:
                continue
            if row.get("source") == "derived":  # a consequence of other inputs, not an input
                continue
            table.setdefault(path, [None] * len(records))[n] = row.get("value")
    ok = [n for n, rec in enumerate(records) if rec.get("status") == "ok"]
    return {
        path: values
        for path, values in table.items()
        if len({repr(values[n]) for n in ok}) > 1
    }


def summary_table(records: Sequence[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of ``summary.csv``: :func:`summary_rows` plus :func:`varied_inputs`."""
    rows = summary_rows(records)
    varied = varied_inputs(records)
    for n, row in enumerate(rows):
        for path, values in varied.items():
            row[path] = values[n]
    return [*SUMMARY_COLUMNS, *varied], rows


def _csv_text(rows: list[dict[str, Any]], columns: Sequence[str] = SUMMARY_COLUMNS) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        out = []
        for c in columns:
            v = row[c]
            if v is None:
                out.append("")
            elif isinstance(v, float):
                out.append(repr(v) if math.isfinite(v) else "")
            else:
                out.append(neutralise(str(v)))
        writer.writerow(out)
    return buf.getvalue()


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["cxroi"] = cxroi.__version__
    return out


_MANIFEST_KEYS = (
    "scenario",
    "file",
    "dir",
    "sha256",
    "template_sha256",
    "cxroi_version",
    "status",
    "error",
    "warnings",
    "reused",
    "started",
    "finished",
    "seconds",
    "outputs",
    "parameters",
)


def _manifest(result: BatchResult, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "tool": "cxroi batch",
        "cxroi_version": cxroi.__version__,
        "started": result.started,
        "finished": result.finished,
        "seconds": result.seconds,
        "interrupted": result.interrupted,
        "options": options,
        "versions": _versions(),
        "counts": result.counts(),
        "scenarios": [{k: rec.get(k) for k in _MANIFEST_KEYS} for rec in result.records],
    }


# --------------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    """What a batch did. ``records`` are in input order, one per scenario file."""

    out_dir: Path
    records: list[dict[str, Any]]
    started: str
    finished: str
    seconds: float
    interrupted: bool = False
    files: dict[str, Path] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of scenarios ``ok``, ``failed`` and ``reused`` (skipped as unchanged)."""
        ok = sum(r["status"] == "ok" for r in self.records)
        return {
            "total": len(self.records),
            "ok": ok,
            "failed": len(self.records) - ok,
            "reused": sum(bool(r.get("reused")) for r in self.records),
        }

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Records of the failed scenarios."""
        return [r for r in self.records if r["status"] != "ok"]

    @property
    def exit_code(self) -> int:
        """0 if every scenario succeeded, 1 if any failed, 130 after Ctrl-C."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


def output_folders(files: Sequence[Path]) -> list[str]:
    """The output folder name of each scenario file, from its path (never from its name).

    Each folder is the file's path relative to the deepest folder holding all ``files``,
    without the suffix, with ``__`` between path parts and made safe by
    :func:`cxroi.model.safety.safe_name` (``east/retail.yaml`` and ``west/retail.yaml`` give
    ``east__retail`` and ``west__retail``). Two files that still map to the same folder (such
    as ``a.yaml`` and ``a.yml``) are told apart with ``-2`` in the order of their absolute
    paths, so the folders depend on the set of files only, never on the order they are given
    in or on the scenario names inside them.

    Parameters
    ----------
    files : sequence of Path
        Scenario files, as found by :func:`discover`.

    Returns
    -------
    list of str
        Folder names, in the order of ``files``, unique ignoring case.

    Examples
    --------
    >>> from pathlib import Path
    >>> output_folders([Path("/s/west/retail.yaml"), Path("/s/east/retail.yaml")])
    ['west__retail', 'east__retail']
    >>> output_folders([Path("/s/b.yml"), Path("/s/b.yaml")])
    ['b-2', 'b']
    """
    if not files:
        return []
    resolved = [Path(os.path.abspath(p)) for p in files]
    root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    stems = ["__".join(p.relative_to(root).with_suffix("").parts) for p in resolved]
    order = sorted(range(len(files)), key=lambda i: str(resolved[i]))
    reserved = (SUMMARY_CSV, SUMMARY_XLSX, MANIFEST, LOCK_NAME)
    names = unique_names([stems[i] for i in order], reserved=reserved)
    folders = [""] * len(files)
    for k, i in enumerate(order):
        folders[i] = names[k]
    return folders


def _prepare(
    files: Sequence[Path],
    out_dir: Path,
    notebooks: bool,
    template: str | None,
    timeout: float | None,
    template_sha256: str | None = None,
    workbook: bool = True,
) -> Iterator[_Task]:
    """Read, hash and parse each file, in order; each scenario's folder comes from its path.

    A generator, so that workers start on the first scenarios while later ones are read.
    Folders are given by :func:`output_folders`, so two scenarios with the same ``name`` never
    share or swap outputs.
    """
    folders = output_folders(files)
    for index, path in enumerate(files):
        data, error, digest = None, None, ""
        try:
            blob = path.read_bytes()
            digest = hashlib.sha256(blob).hexdigest()
            data = _parse(blob.decode("utf-8"), str(path))
            if not isinstance(data, dict):
                raise cxroi.ScenarioError(
                    cxroi.ScenarioIssue(
                        "", "the scenario must be a mapping of fields", type(data).__name__
                    ),
                    str(path),
                )
        except (OSError, UnicodeDecodeError) as exc:
            error = f"cannot read the file: {exc}"
        except cxroi.ScenarioError as exc:
            error = _error_text(exc)
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            name = path.stem
        yield _Task(
            index=index,
            file=str(path),
            name=name,
            dir=folders[index],
            sha256=digest,
            out_dir=str(out_dir),
            data=data if error is None else None,
            error=error,
            notebooks=notebooks,
            template=template,
            timeout=timeout,
            template_sha256=template_sha256,
            source=str(path.resolve()),
            workbook=workbook,
        )


def _reusable(task: _Task) -> dict[str, Any] | None:
    """The previous record of an unchanged, successful scenario, or None.

    A record is reused only if all of these are unchanged since it was written: the scenario
    file (its path and the SHA-256 of its bytes), the cxroi version, and, when reports are
    asked for, the SHA-256 of the report notebook template. A record of a failed scenario, or
    one written without the outputs now asked for, is never reused.
    """
    folder = Path(task.out_dir) / task.dir
    try:
        rec = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("schema") != RECORD_SCHEMA:
        return None
    same = (
        rec.get("status") == "ok"
        and rec.get("sha256") == task.sha256
        and rec.get("cxroi_version") == cxroi.__version__
        and (rec.get("source") or rec.get("file")) == (task.source or task.file)
        and (rec.get("notebooks") or not task.notebooks)
        and (not task.notebooks or rec.get("template_sha256") == task.template_sha256)
    )
    if not same:
        return None
    if task.notebooks and not all((folder / name).is_file() for name in (NOTEBOOK_NAME, HTML_NAME)):
        return None
    if task.workbook and not (folder / WORKBOOK_NAME).is_file():
        return None
    rec["reused"] = True
    return rec


def _check_not_a_file(out: Path) -> None:
    """Refuse an output path that exists and is not a folder."""
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out must be a folder, and {out} is a file")


def _usable_out_dir(out: Path) -> Path:
    """Create the output folder if needed and make sure this process can write into it.

    Checked before any scenario runs, so that a batch never computes for an hour and then
    finds it cannot write its summary.

    Raises
    ------
    BatchError
        If the folder cannot be created (a file in the way, no permission), or it exists but
        is not writable.
    """
    _check_not_a_file(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BatchError(f"--out: cannot create the output folder {out}: {reason}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BatchError(f"--out: the output folder {out} is not writable")
    return out.resolve()


#: Descriptors of the folder locks this process holds (closed in forked children).
_HELD_LOCKS: set[int] = set()


def _close_held_locks_in_child() -> None:
    """In a forked worker, drop the copies of the batch's lock descriptors.

    The lock stays with the batch process (it holds the same open file); a worker that outlives
    a killed batch for a moment then cannot keep the folder locked.
    """
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks_in_child)


class _FolderLock:
    """One batch at a time per output folder: an advisory ``flock`` on ``DIR/.cxroi-batch.lock``.

    The lock belongs to the open file, so the operating system releases it when the batch
    process ends in any way, SIGKILL included: a killed batch never leaves the folder locked.
    The file holds the process id of the holder, for the message a second batch shows; it is
    never deleted (deleting a lock file lets two processes lock two different files). The
    start-up clean-up of stale temporary files runs only under the lock, so it can never remove
    the files of a batch that is still running.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def _holder(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            text = self.path.read_text(encoding="ascii").strip()
            if text:
                return f"process {int(text)}"
        return "another process"

    def acquire(self, wait: bool = False, notify: Callable[[str], None] | None = None) -> None:
        """Take the lock, or refuse (``wait=False``) or block until it is free.

        Raises
        ------
        BatchError
            If the lock file cannot be created (the folder is not writable), or another batch
            holds the lock and ``wait`` is False.
        """
        import fcntl

        folder = self.path.parent
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise BatchError(
                f"--out: the output folder {folder} is not writable: {reason}"
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                who = self._holder()
                if not wait:
                    raise BatchError(
                        f"--out: another batch ({who}) is writing into {folder}; wait for it "
                        "to finish, choose another --out, or pass --wait"
                    ) from None
                (notify or _stderr)(
                    f"cxroi: waiting for another batch ({who}) to finish in {folder}"
                )
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        _HELD_LOCKS.add(fd)

    def release(self) -> None:
        """Give the lock up, even if a forked worker still holds a copy of the descriptor.

        Closing our descriptor alone would leave the lock held through any copy (a worker
        forked a moment ago that has not yet closed it); ``LOCK_UN`` on the shared open file
        releases it for every copy at once.
        """
        import fcntl

        if self.fd is not None:
            _HELD_LOCKS.discard(self.fd)
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_batch(
    paths: Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    jobs: int | None = None,
    notebooks: bool = True,
    force: bool = False,
    scheduler: Any = None,
    progress: bool | None = None,
    template: str | os.PathLike | None = None,
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
    paths : iterable of path-like
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
        Report notebook; default :data:`REPORT_NOTEBOOK`.
    timeout : float, optional
        Time limit of each scenario [s], default :data:`DEFAULT_TIMEOUT` (None: no limit). A
        scenario that takes longer, in its evaluation or its notebook, is recorded as failed
        and the batch goes on; a worker that does not stop by itself is replaced.
    excel : bool, default True
        Write ``summary.xlsx``.
    workbooks : bool, default True
        Write each scenario's live driver workbook, ``workbook.xlsx`` beside its report
        (:mod:`cxroi.outputs.workbook`).
    options : dict, optional
        Extra facts recorded in the manifest (the CLI records its command line).
    wait : bool, default False
        If another batch is writing into ``out_dir``, wait for it to finish instead of
        refusing (:class:`_FolderLock`).
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
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = discover(paths)
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if jobs < 1:
        raise BatchError(f"--jobs must be at least 1 (got {jobs})")
    out = Path(out_dir)
    _check_not_a_file(out)
    tpl = str(Path(template).resolve()) if template else str(REPORT_NOTEBOOK)
    if notebooks and not Path(tpl).is_file():
        raise BatchError(f"report notebook not found: {tpl}")
    tpl_sha = None
    if notebooks:
        try:
            tpl_sha = hashlib.sha256(Path(tpl).read_bytes()).hexdigest()
        except OSError as exc:
            raise BatchError(f"cannot read the report notebook {tpl}: {exc}") from None
    out = _usable_out_dir(out)
    lock = _FolderLock(out)
    lock.acquire(wait=wait, notify=notify)
    try:
        started, t0 = _now(), time.perf_counter()
        remove_stale_temporaries(out, depth=1)

        records: list[dict[str, Any] | None] = [None] * len(files)
        bar = _progress_bar(len(files), progress)
        index_of: dict[str, int] = {}
        prepared: list[_Task] = []

        def todo() -> Iterator[_Task]:
            for task in _prepare(
                files, out, notebooks, tpl if notebooks else None, timeout, tpl_sha, workbooks
            ):
                index_of[task.dir] = task.index
                prepared.append(task)
                previous = None if force else _reusable(task)
                if previous is None:
                    yield task
                else:
                    records[task.index] = previous
                    announce(previous)
                    if bar is not None:
                        bar.update(1)

        def say(line: str) -> None:
            if notify is not None:
                notify(line)
            elif bar is not None and not bar.disable:
                bar.write(line, file=sys.stderr)
            else:
                _stderr(line)

        def announce(rec: dict[str, Any]) -> None:
            for text in warning_texts(rec):
                say(f"cxroi: warning: {rec.get('file')}: {text}")

        def on_record(rec: dict[str, Any]) -> None:
            records[index_of[rec["dir"]]] = rec
            announce(rec)
            if bar is not None:
                bar.update(1)

        interrupted = False
        try:
            if scheduler is not None:
                _run_dask(list(todo()), scheduler, notebooks, on_record)
            else:
                _run_local(
                    todo(),
                    jobs,
                    notebooks,
                    tpl if notebooks else None,
                    on_record,
                    len(files),
                    timeout,
                )
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if bar is not None:
                bar.close()
        by_index = {t.index: t for t in prepared}
        for i, path in enumerate(files):
            if records[i] is None:
                task = by_index.get(i) or _Task(
                    index=i, file=str(path), name=path.stem, dir="", sha256="", out_dir=str(out)
                )
                rec = _base_record(task)
                rec["error"] = "interrupted before it finished"
                records[i] = rec
        result = BatchResult(
            out_dir=out,
            records=[r for r in records if r is not None],
            started=started,
            finished=_now(),
            seconds=round(time.perf_counter() - t0, 3),
            interrupted=interrupted,
        )
        opts = {
            "paths": [str(p) for p in paths],
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
        _write_outputs(result, opts, excel)
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

    class _Bar(tqdm):  # no monitor thread: worker processes may be forked later
        monitor_interval = 0

    return _Bar(
        total=total,
        unit="scenario",
        file=sys.stderr,
        disable=None if progress is None else not progress,
        dynamic_ncols=True,
    )


def _manifest_text(manifest: dict[str, Any]) -> str:
    """Indented JSON with one line per scenario: readable, and quick for thousands."""
    head = dict(manifest)
    scenarios = head.pop("scenarios")
    text = json.dumps(_json_safe(head), indent=1, allow_nan=False)
    body = ",\n  ".join(_dumps(s) for s in scenarios)
    return text[:-2] + ',\n "scenarios": [\n  ' + body + "\n ]\n}\n"


def _write_outputs(result: BatchResult, options: dict[str, Any], excel: bool) -> None:
    out = result.out_dir
    columns, rows = summary_table(result.records)
    result.files["summary.csv"] = atomic_write(out / SUMMARY_CSV, _csv_text(rows, columns))
    if excel:
        from cxroi.outputs.workbook import write_summary_workbook

        result.files["summary.xlsx"] = write_summary_workbook(
            out / SUMMARY_XLSX, columns, rows, result.records
        )
    manifest = _manifest(result, options)
    result.files["manifest.json"] = atomic_write(out / MANIFEST, _manifest_text(manifest))
