"""The layout of a batch's output folder, its error class and its unit of work.

Names of the files a batch writes (``docs/batch.md``, "Outputs"), the report template,
:class:`BatchError` (bad arguments, exit status 2) and :class:`Task`, one scenario to run.
Every other module of :mod:`cxroi.outputs.batch` builds on these; this one imports none of
them.

>>> Task(index=0, file="a.yaml", name="A", dir="a", sha256="", out_dir="out").notebooks
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxroi import bundle
from cxroi.errors import InputError

__all__ = [
    "HTML_NAME",
    "LOCK_NAME",
    "MANIFEST",
    "NOTEBOOK_NAME",
    "RECORD_NAME",
    "RECORD_SCHEMA",
    "REPORT_NOTEBOOK",
    "SCENARIO_SUFFIXES",
    "SUMMARY_CSV",
    "SUMMARY_XLSX",
    "WORKBOOK_NAME",
    "BatchError",
    "Task",
]

#: The report notebook (package data: the repository's ``notebooks/report.ipynb``).
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
#: Version of the layout of ``result.json``; a record of another version is never reused.
RECORD_SCHEMA = 1


class BatchError(InputError):
    """Bad batch arguments (no such path, no scenario found, bad option); exit status 2."""


@dataclass
class Task:
    """One scenario to run (picklable: it travels to worker processes and Dask workers).

    ``data`` is the parsed scenario mapping, or None with ``error`` saying why the file could
    not be read or parsed (the scenario is then recorded as failed without running).
    """

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
