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
  half-written file under a final name. ``result.json`` is written last: it marks the
  scenario as done.
* A re-run skips a scenario whose ``result.json`` records status ``ok``, the same input file
  and SHA-256, the same cxroi version, the same report template SHA-256 (with notebooks) and
  the outputs asked for (:func:`~cxroi.outputs.batch.plan.reusable`); ``force=True`` redoes
  it. Failed and interrupted scenarios are always run again.
* A scenario that is invalid, crashes, runs past its time limit, or whose worker process dies
  is recorded as ``failed`` with its message; all others complete.
* Each scenario's folder comes from its file path relative to the inputs
  (:func:`output_folders`: safe characters only, no path traversal), never from its
  ``name``, so two scenarios with the same name never share, swap or overwrite outputs. YAML
  is parsed with a safe loader.

Workers
-------
One loop submits the scenarios to a :class:`concurrent.futures.Executor`: a process pool on
this machine whose workers each keep one warm Jupyter kernel across their scenarios, or, with
``scheduler=ADDRESS``, a Dask cluster's executor (``distributed.Client(ADDRESS)``; its
workers must see the output folder and have cxroi installed). Small batches without
notebooks run in the calling process.

The modules, in the order they build on each other:

* :mod:`~cxroi.outputs.batch.layout`: file names, :class:`BatchError`, the task of a scenario;
* :mod:`~cxroi.outputs.batch.record`: the record of one scenario and what a failure says;
* :mod:`~cxroi.outputs.batch.plan`: discovery, output folders, parsing, resume;
* :mod:`~cxroi.outputs.batch.folder`: the output folder's checks and lock;
* :mod:`~cxroi.outputs.batch.kernel`: warm kernels and their papermill engine;
* :mod:`~cxroi.outputs.batch.runner`: running one scenario (time limit, workbook, report);
* :mod:`~cxroi.outputs.batch.worker`: the worker side (initializer, the task function);
* :mod:`~cxroi.outputs.batch.pool`: the executors and the loop over them;
* :mod:`~cxroi.outputs.batch.summary`: ``summary.csv``, ``summary.xlsx``, the manifest;
* :mod:`~cxroi.outputs.batch.run`: :func:`run_batch`.
"""

from __future__ import annotations

from cxroi.outputs.batch.kernel import warm_kernel_engine
from cxroi.outputs.batch.layout import (
    LOCK_NAME,
    MANIFEST,
    RECORD_NAME,
    REPORT_NOTEBOOK,
    SUMMARY_CSV,
    SUMMARY_XLSX,
    BatchError,
)
from cxroi.outputs.batch.plan import discover, output_folders
from cxroi.outputs.batch.pool import DASK_CONNECT_TIMEOUT
from cxroi.outputs.batch.record import ScenarioTimeout
from cxroi.outputs.batch.run import DEFAULT_TIMEOUT, run_batch
from cxroi.outputs.batch.summary import (
    WARNING_SEPARATOR,
    BatchResult,
    summary_rows,
    summary_table,
    varied_inputs,
    warning_texts,
)
from cxroi.outputs.records import KPI_COLUMNS, SUMMARY_COLUMNS

__all__ = [
    "BatchError",
    "BatchResult",
    "ScenarioTimeout",
    "DASK_CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "KPI_COLUMNS",
    "LOCK_NAME",
    "MANIFEST",
    "RECORD_NAME",
    "REPORT_NOTEBOOK",
    "SUMMARY_COLUMNS",
    "SUMMARY_CSV",
    "SUMMARY_XLSX",
    "WARNING_SEPARATOR",
    "discover",
    "output_folders",
    "run_batch",
    "summary_rows",
    "summary_table",
    "varied_inputs",
    "warning_texts",
    "warm_kernel_engine",
]
