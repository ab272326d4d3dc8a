"""The record of one scenario: ``result.json``, written last, and what a failure says.

:func:`base_record` is the record of a scenario before it runs (status ``failed``, no
figures); the runner fills it in (:mod:`cxroi.outputs.batch.runner`). :func:`error_text`
turns any failure into one plain line, :class:`ScenarioTimeout` is the failure of a scenario
that ran past its time limit, and :func:`lost_record` the record of one whose worker process
died under it.

>>> str(ScenarioTimeout(60))
'took longer than the time limit of 60 s (--timeout)'
>>> dumps({"npv": float("nan"), "irr": 0.25})
'{"npv":null,"irr":0.25}'
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from pathlib import Path
from typing import Any

import cxroi
from cxroi.model.finite import finite_or_none
from cxroi.model.safety import atomic_write
from cxroi.model.scenario import ScenarioError
from cxroi.outputs.batch.layout import RECORD_NAME, RECORD_SCHEMA, Task

__all__ = [
    "Record",
    "ScenarioTimeout",
    "base_record",
    "dumps",
    "error_text",
    "failure_record",
    "finish",
    "json_safe",
    "lost_record",
    "now",
    "write_record",
]

#: A scenario's record, as ``result.json`` holds it.
Record = dict[str, Any]


class ScenarioTimeout(Exception):
    """A scenario ran longer than its time limit (``--timeout``).

    ``replaced`` says that its worker process did not stop by itself and was stopped.
    """

    def __init__(self, seconds: float, replaced: bool = False) -> None:
        self.seconds = seconds
        self.replaced = replaced
        super().__init__(seconds)

    def __str__(self) -> str:
        text = f"took longer than the time limit of {self.seconds:g} s (--timeout)"
        if self.replaced:
            text += "; its worker process was stopped and replaced"
        return text


def error_text(exc: BaseException) -> str:
    """One line for a failure: a time limit, a scenario's rule breaches, or type and text."""
    if isinstance(exc, ScenarioTimeout):
        return str(exc)
    if isinstance(exc, ScenarioError):
        issues = getattr(exc, "errors", None)
        if issues:
            return "; ".join(str(i) for i in issues)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a ``Z``."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def base_record(task: Task) -> Record:
    """The record of ``task`` before it runs: status ``failed``, its error if any, no figures."""
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
        "started": now(),
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


def failure_record(task: Task, error: str) -> Record:
    """The record of a scenario that failed outside its own run (lost worker, time limit)."""
    record = base_record(task)
    record["error"] = error
    record["finished"] = now()
    return record


def lost_record(task: Task, exitcode: int | None = None) -> Record:
    """The record of a scenario whose worker process died while running it."""
    if exitcode is None:
        how = ""
    elif exitcode < 0:
        how = f" (signal {-exitcode})"
    else:
        how = f" (exit {exitcode})"
    return failure_record(task, f"the worker process died{how} while running this scenario")


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by None so that the JSON is standard."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def finish(record: Record, t0: float) -> Record:
    """Stamp the end time and the seconds since ``t0`` (``time.perf_counter``) on a record."""
    record["finished"] = now()
    record["seconds"] = round(time.perf_counter() - t0, 4)
    return record


def dumps(obj: Any) -> str:
    """Compact, standard JSON (the C encoder; non-finite floats become null)."""
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(json_safe(obj), separators=(",", ":"), allow_nan=False)


def write_record(task: Task, record: Record) -> None:
    """Write ``result.json`` of ``task`` atomically: the mark of a finished scenario."""
    folder = Path(task.out_dir) / task.dir
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / RECORD_NAME, dumps(record))
