"""Writing the live workbook: the sheets in order, the Attribution and Notes sheets, the file.

:func:`workbook_bytes` lays out the sheets of an evaluated case in one in-memory XlsxWriter
workbook (:class:`~cxroi.outputs.workbook.layout.Book`): Inputs, one sheet per segment, Case,
Attribution and Notes. :func:`write_workbook` evaluates a scenario if needed and writes the
bytes atomically, refusing a path it cannot write with :class:`WorkbookError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label
from cxroi.model.safety import atomic_write
from cxroi.outputs.workbook.case import case_sheet
from cxroi.outputs.workbook.inputs import input_rows, inputs_sheet
from cxroi.outputs.workbook.layout import Book, cached_value
from cxroi.outputs.workbook.segments import segment_sheet


class WorkbookError(ValueError):
    """The workbook cannot be written (an unwritable path, a folder in the way)."""


def _write(book: Book) -> bytes:
    """Every sheet of the book in order; the ``.xlsx`` bytes."""
    rows, _ = input_rows(book.sc)
    inputs_sheet(book, rows)
    seg_refs = [segment_sheet(book, j) for j in range(len(book.sc.segments))]
    case_sheet(book, seg_refs)
    _attribution_sheet(book)
    _notes_sheet(book)
    book.wb.close()
    return book.buffer.getvalue()


def _attribution_sheet(book: Book) -> None:
    """The Shapley values by lever and by initiative, as values (they follow no input)."""
    case = book.case
    ws = book.wb.add_worksheet("Attribution")
    ws.write_string(0, 0, "Attribution (Shapley values): values, not formulas",
                    book.fmt["title"])  # fmt: skip
    ws.write_string(
        1, 0,
        "Each value averages a lever's (initiative's) contribution over every order of "
        "switching them on: it needs every coalition projected again, so the values are "
        "cxroi's own and do not follow input changes.",
        book.fmt["note"],
    )  # fmt: skip
    ws.write_string(3, 0, "lever", book.fmt["head"])
    ws.write_string(3, 1, kpi_label("pv_benefits"), book.fmt["head"])
    row = 4
    for lever, v in case.by_lever.items():
        ws.write_string(row, 0, lever)
        ws.write_number(row, 1, cached_value(v) if v is not None else 0.0, book.fmt["money"])
        row += 1
    row += 1
    ws.write_string(row, 0, "initiative", book.fmt["head"])
    ws.write_string(row, 1, kpi_label("npv", short=True), book.fmt["head"])
    row += 1
    if case.by_initiative is None:
        ws.write_string(row, 0, "not computed beyond 8 initiatives")
    else:
        for name, v in case.by_initiative.items():
            ws.write_string(row, 0, name)
            if finite_or_none(v) is not None:
                ws.write_number(row, 1, v, book.fmt["money"])
            row += 1
    book.setup(ws, 4, 1, 40)
    ws.set_column(1, 1, 18)


def _notes_sheet(book: Book) -> None:
    """Conventions, what is a formula, and the workbook names of the results."""
    import cxroi

    ws = book.wb.add_worksheet("Notes")
    lines = [
        f"cxroi {cxroi.__version__}: live driver workbook of '{book.sc.name}'.",
        f"Scenario file: {book.source or book.sc.source or '(not from a file)'}",
        "Inputs: yellow cells are inputs (each a workbook name, column 'name'); green cells "
        "are derived inputs (a formula you may overwrite with a number).",
        "Change an input and recalculate: every figure on the segment sheets and Case "
        "follows. Structure (horizon, segments, initiatives, acquisition mode) is fixed "
        "by the layout: change the scenario and write the workbook again.",
        "Conventions (docs/model.md sections 1-5): years are periods; year 0 is today, "
        "undiscounted; flows fall at the end of each year, discounted by (1+d)^t.",
        "Revenue and service cost use the customers active at the start of a year; churn "
        "happens at its end: churned = active x (1 - r(k)) x m; new customers are active "
        "from the next year.",
        "Workbook names at the results: npv, pv_benefits, pv_costs, roi, irr, "
        "payback_years, discounted_payback_years, extra_customers_end, "
        "annual_switching_loss and, where the model has it, customer_equity and "
        "npv_with_customer_equity (Case sheet, risk-adjusted column; the same names "
        "ending in _unadjusted point at the unadjusted column).",
        "Every formula cell holds cxroi's own number as its cached value. A program that "
        "edits inputs and keeps those cached values must have the spreadsheet recalculate "
        "on load (LibreOffice: Tools > Options > Calc > Formula > Recalculation on file "
        "load: Always); openpyxl drops them, so the spreadsheet computes every cell.",
        "Attribution: Shapley values are written as values (see that sheet).",
    ]
    for r, text in enumerate(lines):
        ws.write_string(r, 0, text)
    ws.set_column(0, 0, 120)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def workbook_bytes(case: Any, source: str | None = None) -> bytes:
    """The live workbook of an evaluated case, as ``.xlsx`` bytes.

    Parameters
    ----------
    case : BusinessCase
        From :func:`cxroi.evaluate`.
    source : str, optional
        Scenario file shown on the Notes sheet (default: the scenario's own source).
    """
    return _write(Book(case, source))


def write_workbook(
    scenario: Any, path: str | os.PathLike, source: str | None = None
) -> Path:
    """Write the live driver workbook of a scenario, atomically.

    Parameters
    ----------
    scenario : Scenario, BusinessCase, mapping or path
        What :func:`cxroi.load_scenario` accepts, or an evaluated case.
    path : path-like
        The ``.xlsx`` file to write. Its folder must exist.
    source : str, optional
        Scenario file named on the Notes sheet.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    cxroi.ScenarioError
        If the scenario is invalid.
    WorkbookError
        If ``path`` cannot be written (missing folder, a folder of that name, no permission).
    """
    from cxroi.engine.case import BusinessCase, evaluate

    case = scenario if isinstance(scenario, BusinessCase) else evaluate(scenario)
    target = Path(path)
    if target.is_dir():
        raise WorkbookError(f"--out: {target} is a folder, not a file to write")
    if not target.parent.is_dir():
        raise WorkbookError(f"--out: the folder {target.parent} does not exist")
    data = workbook_bytes(case, source)
    try:
        return atomic_write(target, data)
    except OSError as exc:
        raise WorkbookError(f"--out: cannot write {target}: {exc.strerror or exc}") from None


