"""Running one scenario: validate, evaluate, write its workbook, report and record.

A :class:`Runner` lives in each worker (a process of the local pool, a Dask worker thread, or
the batch process itself for small batches without notebooks); it keeps the worker's warm
kernel (:class:`~cxroi.outputs.batch.kernel.WarmKernel`), its loaded report template and its
HTML exporter across scenarios. :meth:`Runner.run` never raises for a scenario's own failure:
it returns the scenario's record with status ``failed`` and the reason.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from cxroi.model.distributions import base_float
from cxroi.model.safety import atomic_write
from cxroi.model.scenario import ScenarioError
from cxroi.outputs.batch.kernel import WarmKernel
from cxroi.outputs.batch.layout import (
    HTML_NAME,
    NOTEBOOK_NAME,
    RECORD_NAME,
    REPORT_NOTEBOOK,
    WORKBOOK_NAME,
    Task,
)
from cxroi.outputs.batch.record import (
    Record,
    ScenarioTimeout,
    base_record,
    error_text,
    finish,
    json_safe,
    write_record,
)

__all__ = ["Runner", "evaluate_into", "time_limit"]


def evaluate_into(record: Record, data: Any) -> Any:
    """Validate and evaluate a scenario mapping; fill the record's figures. Returns the case.

    The figures are those of ``cxroi run --json`` (``result``), with the unadjusted cash
    flows, the assumptions table and the plausibility warnings.
    """
    from cxroi.engine.case import evaluate
    from cxroi.model.plausibility import plausibility_warnings
    from cxroi.model.scenario import load_scenario
    from cxroi.present.report import assumption_rows

    sc = load_scenario(data)
    record["warnings"] = [json_safe(w.to_json()) for w in plausibility_warnings(sc)]
    case = evaluate(sc)
    cf = case.cashflow
    record["scenario"] = sc.name
    record["currency"] = sc.currency
    record["horizon_years"] = int(sc.horizon_years)
    record["discount_rate"] = base_float(sc.discount_rate)
    record["risk"] = {
        "benefit_adjustment": sc.risk.benefit_adjustment_base(),
        "cost_adjustment": base_float(sc.risk.cost_adjustment),
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
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ScenarioTimeout` in the block if it runs longer than ``seconds``.

    Uses a real-time interval timer (``SIGALRM``), so it interrupts pure-Python loops and
    sleeps; it works on the main thread of a POSIX process only and is a no-op elsewhere (the
    batch process then relies on its watchdog over the local worker processes, see
    :mod:`cxroi.outputs.batch.pool`). An alarm the host program had set is put back as it
    was, less the time spent; if that alarm is due first, it is left alone and this limit is
    not applied.
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if seconds is None or not usable:
        yield
        return

    previous_delay, previous_interval = signal.getitimer(signal.ITIMER_REAL)
    if previous_delay and previous_delay <= seconds:
        yield  # the host's own alarm comes first; leave it alone (the watchdog still applies)
        return
    limit = seconds

    def _alarm(signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(limit)

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


# JupyterLab's HTML look without the scripts it would fetch from the web (RequireJS, MathJax,
# Mermaid, widgets): the report is tables and images, so the file stands alone offline.
_HTML_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _write_workbook(task: Task, record: Record, case: Any) -> None:
    """Write the scenario's live driver workbook beside its report."""
    from cxroi.outputs.workbook import write_workbook

    folder = Path(task.out_dir) / task.dir
    folder.mkdir(parents=True, exist_ok=True)
    write_workbook(case, folder / WORKBOOK_NAME, source=task.file)
    record["outputs"]["workbook"] = WORKBOOK_NAME


class Runner:
    """Runs tasks in one process or thread; holds the warm kernel and the HTML exporter."""

    def __init__(self) -> None:
        self._kernel: WarmKernel | None = None
        self._exporter: Any = None
        self._template: dict[str, Any] = {}

    # -- public --------------------------------------------------------------------------------
    def run(self, task: Task) -> Record:
        """Run one scenario and write its outputs; its record, ``ok`` or ``failed``."""
        t0 = time.perf_counter()
        record = base_record(task)
        limit = task.timeout
        try:
            if task.error is None:
                with time_limit(limit):
                    case = evaluate_into(record, task.data)
                    if task.workbook:
                        _write_workbook(task, record, case)
                record["status"] = "ok"
                if task.notebooks:
                    left = None if limit is None else math.ceil(limit - (time.perf_counter() - t0))
                    # nbclient wants whole seconds per cell; the scenario's limit still holds
                    self._notebook(task, record, None if left is None else max(1, left))
                    if record["status"] != "ok" and limit and time.perf_counter() - t0 >= limit:
                        raise ScenarioTimeout(limit)
        except Exception as exc:  # any failure of one scenario is recorded, never raised
            record["status"] = "failed"
            record["error"] = error_text(exc)
            if not isinstance(exc, (ScenarioError, ScenarioTimeout)):
                record["traceback"] = traceback.format_exc(limit=20)
        finish(record, t0)
        try:
            write_record(task, record)
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
        """Shut the warm kernel down, if there is one."""
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None

    def kill(self) -> None:
        """Kill the warm kernel at once (a worker being stopped; safe in a signal handler)."""
        if self._kernel is not None:
            self._kernel.kill()

    # -- notebooks -----------------------------------------------------------------------------
    def _kernel_for(self) -> WarmKernel:
        if self._kernel is None:
            self._kernel = WarmKernel()
        return self._kernel

    def _load_template(self, template: str) -> Any:
        from papermill.iorw import load_notebook_node

        key = str(template)
        if key not in self._template:
            self._template[key] = load_notebook_node(key)
        return self._template[key]

    def _notebook(self, task: Task, record: Record, timeout: float | None) -> None:
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
        return str(body)
