"""What a batch leaves at the top of its folder: ``summary.csv``, ``summary.xlsx``, the manifest.

:class:`BatchResult` is what :func:`~cxroi.outputs.batch.run.run_batch` returns;
:func:`summary_table` gives the rows of ``summary.csv`` (one per scenario: status, error,
warnings, every KPI of ``cxroi run --json``, then one column per input that differs across the
scenarios), and :func:`write_outputs` writes the summary files and ``manifest.json``
atomically.

>>> rows = summary_rows([{"scenario": "A", "status": "ok", "result": {"npv": 1.5}}])
>>> rows[0]["scenario"], rows[0]["npv"], rows[0]["error"]
('A', 1.5, '')
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cxroi
from cxroi.model.safety import atomic_write, neutralise
from cxroi.outputs.batch.layout import MANIFEST, SUMMARY_CSV, SUMMARY_XLSX
from cxroi.outputs.batch.record import Record, dumps, json_safe
from cxroi.outputs.records import SUMMARY_COLUMNS, SUMMARY_KPIS, SUMMARY_LEVERS

__all__ = [
    "WARNING_SEPARATOR",
    "BatchResult",
    "summary_rows",
    "summary_table",
    "varied_inputs",
    "warning_texts",
    "write_outputs",
]


#: Between two warnings in the ``warnings`` column of the summary.
WARNING_SEPARATOR = " | "

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


@dataclass
class BatchResult:
    """What a batch did. ``records`` are in input order, one per scenario file."""

    out_dir: Path
    records: list[Record]
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
    def failed(self) -> list[Record]:
        """Records of the failed scenarios."""
        return [r for r in self.records if r["status"] != "ok"]

    @property
    def exit_code(self) -> int:
        """0 if every scenario succeeded, 1 if any failed, 130 after Ctrl-C."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


def warning_texts(record: Record) -> list[str]:
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


def summary_rows(records: Iterable[Record]) -> list[dict[str, Any]]:
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
        for k in SUMMARY_KPIS:
            row[k] = result.get(k)
            row[f"unadjusted.{k}"] = (result.get("unadjusted") or {}).get(k)
        for k in SUMMARY_LEVERS:
            row[f"by_lever.{k}"] = (result.get("by_lever") or {}).get(k)
        rows.append({c: row.get(c) for c in SUMMARY_COLUMNS})
    return rows


def varied_inputs(records: Iterable[Record]) -> dict[str, list[Any]]:
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
        path: values for path, values in table.items() if len({repr(values[n]) for n in ok}) > 1
    }


def summary_table(records: Sequence[Record]) -> tuple[list[str], list[dict[str, Any]]]:
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
        out: list[object] = []
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


def _manifest_text(manifest: dict[str, Any]) -> str:
    """Indented JSON with one line per scenario: readable, and quick for thousands."""
    head = dict(manifest)
    scenarios = head.pop("scenarios")
    text = json.dumps(json_safe(head), indent=1, allow_nan=False)
    body = ",\n  ".join(dumps(s) for s in scenarios)
    return text[:-2] + ',\n "scenarios": [\n  ' + body + "\n ]\n}\n"


def write_outputs(result: BatchResult, options: dict[str, Any], excel: bool) -> None:
    """Write ``summary.csv``, ``summary.xlsx`` (with ``excel``) and ``manifest.json``."""
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
