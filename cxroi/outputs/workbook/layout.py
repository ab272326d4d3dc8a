"""What every sheet of the live workbook shares: cell addresses, number formats, the self.

A1 addresses of 0-based (row, column) cells, numbers as formula text, the cached value of a
formula cell, the number formats, XlsxWriter's worksheet without its formula rewriting (the
workbook uses only :data:`FUNCTIONS`), and :class:`Book`: the evaluated case being written,
its compiled parameters and levers, the XlsxWriter workbook with its formats, and the row
writers the sheets share.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from cxroi.model.finite import finite_or_none
from cxroi.model.scenario import Scenario

#: Number formats: money, a ratio shown as a percentage, a rate to 6 decimals, a count of
#: customers and years.
MONEY_FORMAT = "#,##0.00"
PCT_FORMAT = "0.00%"
RATE_FORMAT = "0.000000"
COUNT_FORMAT = "#,##0.00"
YEARS_FORMAT = "0.00"

_INVALID_TITLE = re.compile(r"[\[\]:*?/\\']")


def sheet_title(index: int, kind: str, name: str) -> str:
    r"""A valid worksheet title: ``"S1 Mass market"`` (at most 31 characters).

    Excel titles hold none of ``[ ] : * ? / \``; apostrophes are dropped too so that formulas
    can always quote the title. The index makes titles unique.

    Examples
    --------
    >>> sheet_title(1, "S", 'Retail: base/best [2026]?')
    'S1 Retail base best 2026'
    >>> len(sheet_title(12, "S", "x" * 40))
    31
    """
    clean = re.sub(r"\s+", " ", _INVALID_TITLE.sub(" ", str(name))).strip()
    clean = "".join(ch for ch in clean if ch.isprintable())
    return f"{kind}{index} {clean}"[:31].rstrip()


def col_letters(index: int) -> str:
    """Column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of 0-based (row, col)."""
    if absolute:
        return f"${col_letters(col)}${row + 1}"
    return f"{col_letters(col)}{row + 1}"


def sheet_cell(sheet: str, row: int, col: int) -> str:
    """A1 reference of 0-based (row, col) on the sheet titled ``sheet``.

    Examples
    --------
    >>> sheet_cell("S1 Retail", 4, 2)
    "'S1 Retail'!C5"
    """
    return f"'{sheet}'!{cell_ref(row, col)}"


def formula_number(x: float) -> str:
    """A number as formula text (exact round trip).

    Examples
    --------
    >>> formula_number(2.0), formula_number(1e6), formula_number(0.0001)
    ('2', '1000000', '0.0001')
    """
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def cached_value(x: Any) -> Any:
    """Cached value of a formula cell: a finite number, or an empty text for null.

    Examples
    --------
    >>> cached_value(2.5), cached_value(None), cached_value(float("inf"))
    (2.5, '', '')
    """
    value = finite_or_none(x)
    return "" if value is None else value


#: The only spreadsheet functions the workbook uses: all in Excel 2007 and LibreOffice, none of
#: them a "future" or dynamic-array function that XlsxWriter would have to prefix.
FUNCTIONS = ("AND", "COUNT", "COUNTIF", "EXP", "GAMMALN", "IF", "IFERROR", "IRR", "MAX", "MIN",
             "OR", "ROW", "SIGN", "SUM", "SUMPRODUCT")  # fmt: skip


def _worksheet_class() -> type:
    """XlsxWriter's worksheet without its formula rewriting (half the writing time).

    XlsxWriter runs about 30 regular expressions over every formula to prefix functions newer
    than Excel 2007; the workbook uses none (:data:`FUNCTIONS`, checked by a test), so the
    formula is stored as written, less its leading ``=``.
    """
    from xlsxwriter.worksheet import Worksheet

    class _Sheet(Worksheet):
        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            return formula[1:] if formula.startswith("=") else formula

    return _Sheet


class Book:
    """The workbook being written: the case, its compiled parameters, the formats.

    The sheets are functions of a book (:mod:`cxroi.outputs.workbook.inputs`,
    :mod:`~cxroi.outputs.workbook.segments`, :mod:`~cxroi.outputs.workbook.case`, ...); the
    book only holds what they share and writes the rows they all write.

    Parameters
    ----------
    case : BusinessCase
        The evaluated case (:func:`cxroi.evaluate`).
    source : str, optional
        Scenario file named on the Notes sheet.

    Attributes
    ----------
    sc : Scenario
        The case's scenario; ``H`` its horizon [years].
    p : Params
        Its compiled parameters (:func:`cxroi.engine.project.compile_scenario`).
    levers : tuple of ndarray
        The levers in force (churn multiplier, share of wallet, referral share, cost to
        serve), each of shape (arm, segment, year): arm 0 the baseline, arm 1 with CX.
    wb : xlsxwriter.Workbook
        The workbook, written in memory into ``buffer``.
    fmt : dict
        Its cell formats by name (``money``, ``pct``, ``input``, ...).
    """

    def __init__(self, case: Any, source: str | None = None) -> None:
        import xlsxwriter

        from cxroi.engine import project as engine

        self.case = case
        self.sc: Scenario = case.scenario
        self.H = int(self.sc.horizon_years)
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        wb = self.wb
        wb.worksheet_class = _worksheet_class()
        self.fmt = {
            "head": wb.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1}),
            "title": wb.add_format({"bold": True, "font_size": 13}),
            "bold": wb.add_format({"bold": True}),
            "note": wb.add_format({"italic": True, "font_color": "#555555"}),
            "money": wb.add_format({"num_format": MONEY_FORMAT}),
            "money_b": wb.add_format({"num_format": MONEY_FORMAT, "bold": True, "top": 1}),
            "pct": wb.add_format({"num_format": PCT_FORMAT}),
            "rate": wb.add_format({"num_format": RATE_FORMAT}),
            "count": wb.add_format({"num_format": COUNT_FORMAT}),
            "years": wb.add_format({"num_format": YEARS_FORMAT}),
            "input": wb.add_format({"bg_color": "#FFF2CC", "num_format": "General"}),
            "derived": wb.add_format({"bg_color": "#E2EFDA", "num_format": "General"}),
            "text": wb.add_format({"text_wrap": False}),
        }
        self.p = engine.compile_scenario(self.sc)
        self.levers = engine.levers_in_force(
            self.p, np.array([[0.0] * 4, [1.0] * 4]), np.ones((2, len(self.sc.initiatives)))
        )
        self.source = source

    def setup(self, ws: Any, header_rows: int, first_cols: int, width: int) -> None:
        """Freeze the header rows and first columns; print landscape, fit to the page width."""
        ws.freeze_panes(header_rows, first_cols)
        ws.set_landscape()
        ws.set_paper(9)  # A4; Letter users print "fit to width" just the same
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, header_rows - 1)
        ws.set_column(0, 0, width)

    def formula(
        self, ws: Any, row: int, col: int, text: str, value: Any, fmt: str | None = "money"
    ) -> None:
        """The formula ``text`` (no leading ``=``) at (row, col), cxroi's ``value`` cached."""
        ws.write_formula(row, col, "=" + text, self.fmt[fmt] if fmt else None, cached_value(value))

    def year_row(self, ws: Any, row: int, title: str, text: Callable[[int], str], values: Any,
                 fmt: str = "money", bold: bool = False) -> None:  # fmt: skip
        """A row titled ``title`` with the formula ``text(t)`` in each year column 0..H."""
        ws.write_string(row, 0, title, self.fmt["bold"] if bold else None)
        for t in range(len(values)):
            self.formula(ws, row, 1 + t, text(t), values[t], fmt)

    def formula_or_zero(self, ws: Any, row: int, col: int, text: str | None, value: Any) -> None:
        """The formula ``text`` (cached ``value``), or a plain 0 where there is none."""
        if text:
            self.formula(ws, row, col, text, value)
        else:
            ws.write_number(row, col, 0.0, self.fmt["money"])

    def total_row(self, ws: Any, row: int, title: str, rows: list[int], values: Any) -> None:
        """A bold row summing ``rows`` in each year column 0..H (cached ``values``)."""
        ws.write_string(row, 0, title, self.fmt["bold"])
        values = np.asarray(values)
        for t in range(len(values)):
            c = 1 + t
            cells = f"{col_letters(c)}{rows[0] + 1}:{col_letters(c)}{rows[-1] + 1}"
            self.formula(ws, row, c, f"SUM({cells})", values[t], "money_b")
