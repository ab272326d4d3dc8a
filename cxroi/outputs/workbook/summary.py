"""The batch's summary workbook: one filterable row per scenario, linking its live workbook.

``summary.xlsx`` holds the columns of ``summary.csv`` (status, error, every KPI risk-adjusted
and unadjusted, the Shapley PV of benefits by lever, and each input that varies across the
batch), numbers in the KPI registry's formats, a frozen header, an autofilter, and a link to
each scenario's ``workbook.xlsx``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cxroi.model.kpis import KPIS
from cxroi.model.safety import atomic_write, neutralise
from cxroi.outputs.workbook.layout import COUNT_FORMAT, MONEY_FORMAT, PCT_FORMAT, YEARS_FORMAT

#: Number format of a summary column by the KPI registry's kind (inputs: their own).
_KIND_FORMATS = {
    "money": MONEY_FORMAT, "ratio": PCT_FORMAT, "years": YEARS_FORMAT, "count": COUNT_FORMAT
}  # fmt: skip
_INPUT_FORMATS = {"discount_rate": PCT_FORMAT, "horizon_years": "0"}


def _summary_format(column: str) -> str:
    """Number format of a summary column (``npv``, ``unadjusted.roi``, ``by_lever.wallet``)."""
    key = column.split(".")[-1]
    if key in KPIS and not column.startswith("by_lever."):
        return _KIND_FORMATS[KPIS[key].kind]
    return _INPUT_FORMATS.get(key, MONEY_FORMAT)


def write_summary_workbook(
    path: str | os.PathLike,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    records: Sequence[dict[str, Any]],
) -> Path:
    """Write a batch's ``summary.xlsx`` atomically: one filterable row per scenario.

    Parameters
    ----------
    path : path-like
        Where to write.
    columns : sequence of str
        The columns of ``summary.csv`` (the fixed ones and one per input that varies).
    rows : sequence of dict
        One row per scenario, keyed by column.
    records : sequence of dict
        The batch records in the same order (for the link to each scenario's workbook).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import xlsxwriter

    from cxroi.outputs.records import KPI_COLUMNS

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False},
    )  # fmt: skip
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1, "text_wrap": True})
    numeric = set(KPI_COLUMNS) | {"discount_rate", "horizon_years"}
    formats: dict[str, Any] = {}
    for name in columns:
        if name in numeric:
            formats[name] = wb.add_format({"num_format": _summary_format(name)})
    ws = wb.add_worksheet("Summary")
    all_columns = [*columns, "workbook"]
    for c, name in enumerate(all_columns):
        ws.write_string(0, c, str(neutralise(name)), head)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(columns):
            value = row.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_string(r, c, str(value))
            elif isinstance(value, (int, float)):
                if math.isfinite(value):
                    ws.write_number(r, c, value, formats.get(name))
            else:
                ws.write_string(r, c, str(neutralise(str(value))))
        rec = records[r - 1] if r - 1 < len(records) else {}
        target = (rec.get("outputs") or {}).get("workbook")
        if target and rec.get("dir"):
            ws.write_url(r, len(columns), f"external:{rec['dir']}/{target}", string=target)
    ws.autofilter(0, 0, len(rows), len(all_columns) - 1)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 30)
    ws.set_column(2, len(all_columns) - 1, 16)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    notes = wb.add_worksheet("Notes")
    for r, text in enumerate(
        (
            "cxroi batch summary: one row per scenario (status, error, every KPI of "
            "`cxroi run --json` risk-adjusted and unadjusted, the Shapley PV of benefits by "
            "lever).",
            "Columns after 'output' are the inputs that differ between the batch's scenarios, "
            "by field path, so the rows can be filtered and pivoted by them.",
            "'workbook' links each scenario's live driver workbook (every figure a formula over "
            "its Inputs sheet).",
            f"Scenarios: {len(rows)}. Money is in each scenario's currency.",
        )
    ):
        notes.write_string(r, 0, text)
    notes.set_column(0, 0, 120)
    wb.close()
    return atomic_write(path, buffer.getvalue())
