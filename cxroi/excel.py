"""The batch workbook: a summary finance can filter, and cash flows it can recompute.

:func:`write_workbook` writes ``summary.xlsx`` from batch records (:mod:`cxroi.batch`):

* ``Summary``: one row per scenario, the same columns as ``summary.csv`` (status, error and
  every KPI of ``cxroi run --json``), with a link to the scenario's cash-flow sheet;
* per successful scenario, a cash-flow sheet (``<n> CF <name>``) and an assumptions sheet
  (``<n> AS <name>``);
* ``Notes``: what the sheets hold and the conventions.

In a cash-flow sheet the yearly unadjusted benefits and costs are values; everything else is a
formula over them: the risk adjustment, net, cumulative and discounted flows, the totals, and
the present values, NPV, ROI and IRR. Beside each formula stands cxroi's own figure and the
difference, so that anyone can see the two agree to the cent.

Excel's ``NPV(rate, values)`` discounts its first value by one period. Year 0 (the initial
investment, undiscounted in the TEI convention) is therefore added outside it:
``NPV = net_0 + NPV(d, net_1..net_H)``.

Text cells that begin with ``=``, ``+``, ``-`` or ``@`` and are not numbers are neutralised
(:func:`cxroi.safety.neutralise`) and stored as text, never as formulas.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from cxroi.safety import atomic_path, neutralise

__all__ = ["DETAIL_SHEETS_LIMIT", "Sheet", "sheet_title", "write_workbook"]

#: Scenarios beyond this many get no cash-flow and assumptions sheets of their own (a workbook
#: with thousands of sheets is neither fast to write nor usable); the Summary row remains.
DETAIL_SHEETS_LIMIT = 200

_MONEY = "#,##0.00"
_PCT = "0.00%"
_YEARS = "0.00"
_COUNT = "#,##0.00"
_INVALID_TITLE = re.compile(r"[\[\]:*?/\\']")

#: Number format of each numeric summary column.
_FORMATS = {
    "discount_rate": _PCT,
    "roi": _PCT,
    "irr": _PCT,
    "payback_years": _YEARS,
    "discounted_payback_years": _YEARS,
    "extra_customers_end": _COUNT,
}


def _format_of(column: str) -> str:
    key = column.split(".")[-1]
    return _FORMATS.get(key, _MONEY)


def sheet_title(index: int, kind: str, name: str, width: int = 3) -> str:
    r"""A valid, unique worksheet title: ``"007 CF Retail bank - service re"``.

    Excel titles hold at most 31 characters and none of ``[ ] : * ? / \``; apostrophes are
    dropped too, so that formulas can always quote the title. The index makes titles unique.

    Examples
    --------
    >>> sheet_title(1, "CF", 'Retail bank: base/best [2026]?')
    '001 CF Retail bank base best 20'
    >>> len(sheet_title(12, "AS", "x" * 40))
    31
    """
    clean = re.sub(r"\s+", " ", _INVALID_TITLE.sub(" ", _xml_text(str(name)))).strip()
    return f"{index:0{width}d} {kind} {clean}"[:31].rstrip()


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _col(index: int) -> str:
    """Column letters of a 1-based column index: 1 -> A, 28 -> AB."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------------------------
# A minimal SpreadsheetML (xlsx) writer
# --------------------------------------------------------------------------------------------
# openpyxl spends about 25 us per cell; a 2,000-scenario summary has 60,000 cells. Writing the
# few XML parts of a workbook directly is 20 times faster and keeps full control over what is a
# formula: only Sheet.formula() writes one, and text always goes out as an inline string.

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0.00%": 10}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _xml_text(text: str) -> str:
    """Drop the control characters XML 1.0 cannot carry."""
    return _ILLEGAL_XML.sub("", text)


class _Styles:
    """Cell formats (number format, bold, link) registered as they are used."""

    def __init__(self) -> None:
        self.custom: dict[str, int] = {}
        self.xfs: dict[tuple[int, int], int] = {(0, 0): 0}

    def index(self, number_format: str | None, font: int = 0) -> int:
        fmt = number_format or "General"
        num_id = _BUILTIN_FORMATS.get(fmt)
        if num_id is None:
            num_id = self.custom.setdefault(fmt, 164 + len(self.custom))
        return self.xfs.setdefault((num_id, font), len(self.xfs))

    def xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'
            for code, i in self.custom.items()
        )
        xfs = []
        for (num, font), _ in sorted(self.xfs.items(), key=lambda kv: kv[1]):
            apply = (' applyNumberFormat="1"' if num else "") + (' applyFont="1"' if font else "")
            xfs.append(
                f'<xf numFmtId="{num}" fontId="{font}" fillId="0" borderId="0" xfId="0"{apply}/>'
            )
        return (
            f"{_XML}<styleSheet {_NS}>"
            + (f'<numFmts count="{len(self.custom)}">{fmts}</numFmts>' if fmts else "")
            + '<fonts count="3">'
            '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/>'
            '<family val="2"/></font>'
            "</fonts>"
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(self.xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


BOLD, LINK = 1, 2


class Sheet:
    """One worksheet being written: cells by (row, column), 1-based.

    Text is neutralised (:func:`cxroi.safety.neutralise`) and stored as an inline string, so
    no user text can become a formula; formulas come only from :meth:`formula`.
    """

    def __init__(self, title: str, styles: _Styles) -> None:
        self.title = title
        self._styles = styles
        self._cells: dict[int, dict[int, str]] = {}
        self._widths: dict[int, float] = {}
        self._links: list[tuple[str, str]] = []
        self._freeze: tuple[int, int] | None = None

    def _set(self, row: int, col: int, style: int, kind: str, inner: str) -> None:
        s = f' s="{style}"' if style else ""
        self._cells.setdefault(row, {})[col] = f'<c r="{_col(col)}{row}"{s}{kind}>{inner}</c>'

    def put(
        self,
        row: int,
        col: int,
        value: Any,
        number_format: str | None = None,
        font: int = 0,
    ) -> None:
        """Write a number, a boolean or text (``None`` and non-finite numbers leave it empty)."""
        if value is None:
            return
        if isinstance(value, bool):
            self._set(row, col, self._styles.index(None, font), ' t="b"', f"<v>{int(value)}</v>")
        elif isinstance(value, (int, float)):
            if not math.isfinite(value):
                return
            style = self._styles.index(number_format, font)
            self._set(row, col, style, "", f"<v>{value!r}</v>")
        else:
            text = escape(_xml_text(str(neutralise(str(value)))))
            inner = f'<is><t xml:space="preserve">{text}</t></is>'
            self._set(row, col, self._styles.index(None, font), ' t="inlineStr"', inner)

    def formula(self, row: int, col: int, formula: str, number_format: str | None = None) -> None:
        """Write a formula this module composed (with or without the leading ``=``)."""
        body = escape(formula[1:] if formula.startswith("=") else formula)
        self._set(row, col, self._styles.index(number_format), "", f"<f>{body}</f>")

    def link(self, row: int, col: int, title: str) -> None:
        """A cell showing ``title`` that links to cell A1 of that sheet."""
        self.put(row, col, title, font=LINK)
        self._links.append((f"{_col(col)}{row}", f"{_quote(title)}!A1"))

    def width(self, col: int, width: float) -> None:
        """Set a column's width [characters]."""
        self._widths[col] = width

    def freeze(self, row: int, col: int) -> None:
        """Freeze the rows above ``row`` and the columns left of ``col``."""
        self._freeze = (row, col)

    def cell_xml(self, row: int, col: int) -> str | None:
        """The XML written for one cell (for tests)."""
        return self._cells.get(row, {}).get(col)

    def xml(self) -> str:
        """The worksheet part."""
        parts = [f"{_XML}<worksheet {_NS} {_NS_R}>"]
        if self._freeze:
            row, col = self._freeze
            attrs = []
            if col > 1:
                attrs.append(f'xSplit="{col - 1}"')
            if row > 1:
                attrs.append(f'ySplit="{row - 1}"')
            pane = (
                "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
            )
            parts.append(
                '<sheetViews><sheetView workbookViewId="0">'
                f'<pane {" ".join(attrs)} topLeftCell="{_col(col)}{row}" activePane="{pane}" '
                'state="frozen"/></sheetView></sheetViews>'
            )
        if self._widths:
            cols = "".join(
                f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                for c, w in sorted(self._widths.items())
            )
            parts.append(f"<cols>{cols}</cols>")
        parts.append("<sheetData>")
        for r in sorted(self._cells):
            cells = self._cells[r]
            parts.append(f'<row r="{r}">' + "".join(cells[c] for c in sorted(cells)) + "</row>")
        parts.append("</sheetData>")
        if self._links:
            links = "".join(
                f'<hyperlink ref="{ref}" location={quoteattr(loc)}/>' for ref, loc in self._links
            )
            parts.append(f"<hyperlinks>{links}</hyperlinks>")
        parts.append("</worksheet>")
        return "".join(parts)


class _Workbook:
    def __init__(self) -> None:
        self.styles = _Styles()
        self.sheets: list[Sheet] = []

    def add(self, title: str) -> Sheet:
        sheet = Sheet(title, self.styles)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: str | os.PathLike) -> None:
        n = len(self.sheets)
        sheet_xml = [s.xml() for s in self.sheets]  # registers every style first
        content_types = (
            f"{_XML}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + "</Types>"
        )
        rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        )
        book = (
            f"{_XML}<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews><sheets>"
            + "".join(
                f'<sheet name={quoteattr(s.title)} sheetId="{i}" r:id="rId{i}"/>'
                for i, s in enumerate(self.sheets, start=1)
            )
            + '</sheets><calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'
        )
        book_rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("[Content_Types].xml", content_types)
            zf.writestr("_rels/.rels", rels)
            zf.writestr("xl/workbook.xml", book)
            zf.writestr("xl/_rels/workbook.xml.rels", book_rels)
            zf.writestr("xl/styles.xml", self.styles.xml())
            for i, xml in enumerate(sheet_xml, start=1):
                zf.writestr(f"xl/worksheets/sheet{i}.xml", xml)


# Rows of a cash-flow sheet (1-based).
ROW_RATE, ROW_BENEFIT_ADJ, ROW_COST_ADJ = 4, 5, 6
ROW_YEAR = 8
ROW_BEN_UNADJ, ROW_COST_UNADJ = 9, 10
ROW_BEN, ROW_COST, ROW_NET, ROW_CUM = 11, 12, 13, 14
ROW_DF, ROW_DNET, ROW_DCUM = 15, 16, 17
ROW_KPI_HEADER = 19
KPI_ROWS = {
    "pv_benefits": 20,
    "pv_costs": 21,
    "npv": 22,
    "roi": 23,
    "irr": 24,
    "payback_years": 25,
    "discounted_payback_years": 26,
    "extra_customers_end": 27,
    "annual_switching_loss": 28,
    "unadjusted.npv": 29,
}
#: Columns of the formula, cxroi's value and the difference in the KPI block.
COL_FORMULA, COL_CXROI, COL_DIFF = 2, 3, 4

_KPI_NAMES = {
    "pv_benefits": "PV of benefits",
    "pv_costs": "PV of costs",
    "npv": "NPV",
    "roi": "ROI (NPV / PV of costs)",
    "irr": "IRR",
    "payback_years": "Payback [years]",
    "discounted_payback_years": "Discounted payback [years]",
    "extra_customers_end": "Extra customers at the end",
    "annual_switching_loss": "Revenue lost each year to preventable poor CX",
    "unadjusted.npv": "NPV, unadjusted",
}


def _benefit_risk_row(value: Any) -> tuple[str, Any, Any]:
    """The benefit risk row: a percentage, or the by-lever values in words."""
    if isinstance(value, dict):
        text = ", ".join(f"{k} {v:.0%}" for k, v in value.items())
        return ("Benefit risk adjustment (by lever)", text, None)
    return ("Benefit risk adjustment", value, _PCT)


def _cashflow_sheet(ws: Sheet, rec: dict[str, Any]) -> None:
    """Yearly cash flows with formulas; the KPI block compares them with cxroi's figures."""
    result = rec["result"]
    years = result["cashflow"]["year"]
    horizon = len(years) - 1
    first, last = _col(2), _col(2 + horizon)  # year 0 in column B
    after = _col(3)  # year 1
    total_col = 3 + horizon
    rate = f"$B${ROW_RATE}"

    header = [
        ("Scenario", rec["scenario"], None),
        ("File", rec["file"], None),
        ("Currency", rec["currency"], None),
        ("Discount rate", rec["discount_rate"], _PCT),
        _benefit_risk_row(rec["risk"]["benefit_adjustment"]),
        ("Cost risk adjustment", rec["risk"]["cost_adjustment"], _PCT),
    ]
    for r, (label, value, fmt) in enumerate(header, start=1):
        ws.put(r, 1, label, font=BOLD)
        ws.put(r, 2, value, fmt)

    ws.put(ROW_YEAR, 1, f"Year [{rec['currency']}]", font=BOLD)
    for j, year in enumerate(years):
        ws.put(ROW_YEAR, 2 + j, int(year), "0", font=BOLD)
    ws.put(ROW_YEAR, total_col, "Total", font=BOLD)

    labels = {
        ROW_BEN_UNADJ: "Benefits, unadjusted",
        ROW_COST_UNADJ: "Costs, unadjusted",
        ROW_BEN: "Benefits, risk-adjusted",
        ROW_COST: "Costs, risk-adjusted",
        ROW_NET: "Net cash flow",
        ROW_CUM: "Cumulative net",
        ROW_DF: "Discount factor",
        ROW_DNET: "Discounted net",
        ROW_DCUM: "Cumulative discounted net",
    }
    for row, label in labels.items():
        ws.put(row, 1, label)
    unadj = rec["cashflow_unadjusted"]
    for j in range(len(years)):
        c, prev, col = _col(2 + j), _col(1 + j), 2 + j
        ws.put(ROW_BEN_UNADJ, col, float(unadj["benefits"][j]), _MONEY)
        ws.put(ROW_COST_UNADJ, col, float(unadj["costs"][j]), _MONEY)
        ws.formula(ROW_BEN, col, f"={c}{ROW_BEN_UNADJ}*(1-$B${ROW_BENEFIT_ADJ})", _MONEY)
        ws.formula(ROW_COST, col, f"={c}{ROW_COST_UNADJ}*(1+$B${ROW_COST_ADJ})", _MONEY)
        ws.formula(ROW_NET, col, f"={c}{ROW_BEN}-{c}{ROW_COST}", _MONEY)
        cum = f"={c}{ROW_NET}" if j == 0 else f"={prev}{ROW_CUM}+{c}{ROW_NET}"
        ws.formula(ROW_CUM, col, cum, _MONEY)
        ws.formula(ROW_DF, col, f"=1/(1+{rate})^{c}{ROW_YEAR}", "0.000000")
        ws.formula(ROW_DNET, col, f"={c}{ROW_NET}*{c}{ROW_DF}", _MONEY)
        dcum = f"={c}{ROW_DNET}" if j == 0 else f"={prev}{ROW_DCUM}+{c}{ROW_DNET}"
        ws.formula(ROW_DCUM, col, dcum, _MONEY)
    for row in (ROW_BEN_UNADJ, ROW_COST_UNADJ, ROW_BEN, ROW_COST, ROW_NET, ROW_DNET):
        ws.formula(row, total_col, f"=SUM({first}{row}:{last}{row})", _MONEY)

    for col, text in ((1, "KPI"), (COL_FORMULA, "Excel"), (COL_CXROI, "cxroi"), (4, "Difference")):
        ws.put(ROW_KPI_HEADER, col, text, font=BOLD)

    def npv_of(row: int) -> str:
        # Excel's NPV() discounts its first value by one period: year 0 stays outside it.
        return f"{first}{row}+NPV({rate},{after}{row}:{last}{row})"

    kpis = {k: result.get(k) for k in KPI_ROWS if "." not in k}
    kpis["unadjusted.npv"] = (result.get("unadjusted") or {}).get("npv")
    pvc, npv = (f"B{KPI_ROWS[k]}" for k in ("pv_costs", "npv"))
    formulas = {
        "pv_benefits": f"={npv_of(ROW_BEN)}",
        "pv_costs": f"={npv_of(ROW_COST)}",
        "npv": f"={npv_of(ROW_NET)}",
        "roi": f'=IF({pvc}=0,"",{npv}/{pvc})',
        "irr": f"=IRR({first}{ROW_NET}:{last}{ROW_NET})" if kpis["irr"] is not None else None,
        "unadjusted.npv": (
            f"={first}{ROW_BEN_UNADJ}-{first}{ROW_COST_UNADJ}"
            f"+NPV({rate},{after}{ROW_BEN_UNADJ}:{last}{ROW_BEN_UNADJ})"
            f"-NPV({rate},{after}{ROW_COST_UNADJ}:{last}{ROW_COST_UNADJ})"
        ),
    }
    for key, row in KPI_ROWS.items():
        fmt = _format_of(key)
        ws.put(row, 1, _KPI_NAMES[key])
        value = kpis.get(key)
        ws.put(row, COL_CXROI, value if value is not None else "none", fmt)
        formula = formulas.get(key)
        if formula is not None:
            ws.formula(row, COL_FORMULA, formula, fmt)
            if value is not None:
                diff_fmt = "0.00" if fmt == _MONEY else "0.000000"
                ws.formula(row, COL_DIFF, f"=B{row}-C{row}", diff_fmt)
        elif key == "irr":
            ws.put(row, COL_FORMULA, "none: the net cash flow does not change sign")
    ws.put(
        KPI_ROWS["unadjusted.npv"] + 2,
        1,
        "Excel's NPV() discounts its first value by one year, so year 0 is added outside it. "
        "Payback, extra customers and switching loss are cxroi's figures (no formula).",
    )
    ws.width(1, 44)
    for j in range(2, total_col + 1):
        ws.width(j, 16)
    ws.freeze(ROW_YEAR + 1, 2)


def _assumptions_sheet(ws: Sheet, rec: dict[str, Any]) -> None:
    """Every assumption of the scenario with its provenance."""
    for r, (label, value) in enumerate(
        (("Scenario", rec["scenario"]), ("File", rec["file"]), ("SHA-256", rec.get("sha256"))),
        start=1,
    ):
        ws.put(r, 1, label, font=BOLD)
        ws.put(r, 2, value)
    for j, text in enumerate(("Field", "Value", "Source", "Benchmark", "Note"), start=1):
        ws.put(5, j, text, font=BOLD)
    for i, row in enumerate(rec.get("assumptions") or [], start=6):
        ws.put(i, 1, row.get("path"))
        ws.put(i, 2, row.get("value"))
        ws.put(i, 3, row.get("source"))
        ws.put(i, 4, row.get("benchmark"))
        ws.put(i, 5, row.get("note") or None)
    for j, width in enumerate((60, 22, 12, 30, 80), start=1):
        ws.width(j, width)
    ws.freeze(6, 1)


def _summary_sheet(ws: Sheet, records: Sequence[dict[str, Any]], links: dict[int, str]) -> None:
    from cxroi.batch import KPI_COLUMNS, SUMMARY_COLUMNS, summary_rows

    columns = [*SUMMARY_COLUMNS, "cash-flow sheet"]
    for j, name in enumerate(columns, start=1):
        ws.put(1, j, name, font=BOLD)
    numeric = set(KPI_COLUMNS) | {"discount_rate"}
    formats = [_format_of(name) if name in numeric else None for name in SUMMARY_COLUMNS]
    for i, row in enumerate(summary_rows(records), start=2):
        for j, name in enumerate(SUMMARY_COLUMNS, start=1):
            ws.put(i, j, row[name] if row[name] != "" else None, formats[j - 1])
        title = links.get(i - 2)
        if title:
            ws.link(i, len(columns), title)
    ws.freeze(2, 2)
    for j, width in ((1, 36), (2, 30), (4, 40), (len(columns), 32)):
        ws.width(j, width)


def _notes_sheet(
    ws: Sheet, records: Sequence[dict[str, Any]], skipped_details: int, detail_limit: int
) -> None:
    lines = [
        "cxroi batch workbook",
        "",
        "Summary: one row per scenario (status ok or failed, the error, every KPI of "
        "`cxroi run --json`, risk-adjusted and unadjusted, and the Shapley PV of benefits by "
        "lever). Money is in each scenario's currency.",
        "<n> CF <name>: yearly cash flows. Unadjusted benefits and costs are values; the risk "
        "adjustment, net, cumulative and discounted flows, totals, PVs, NPV, ROI and IRR are "
        "Excel formulas. Column C holds cxroi's figure and column D the difference.",
        "<n> AS <name>: every assumption with its provenance (given, default, benchmark "
        "default with its source, or derived).",
        "Conventions: year 0 is today and undiscounted; years 1..H are end-of-year and "
        "discounted by (1 + discount rate)^year. Excel's NPV() discounts its first value, so "
        "year 0 is added outside it.",
        "Text beginning with = + - or @ is shown with a leading apostrophe (formula-injection "
        "protection).",
    ]
    if skipped_details:
        lines.append(
            f"{skipped_details} successful scenarios beyond the first {detail_limit} have a "
            "Summary row but no sheets of their own; their result.json files hold the cash flows."
        )
    lines.append(f"Scenarios: {len(records)}.")
    for i, text in enumerate(lines, start=1):
        ws.put(i, 1, text or None, font=BOLD if i == 1 else 0)
    ws.width(1, 120)


def write_workbook(
    path: str | os.PathLike,
    records: Sequence[dict[str, Any]],
    detail_limit: int = DETAIL_SHEETS_LIMIT,
) -> Path:
    """Write the batch workbook atomically.

    Parameters
    ----------
    path : path-like
        Where to write ``summary.xlsx``.
    records : sequence of dict
        Batch records (``result.json`` contents), in summary order.
    detail_limit : int
        Successful scenarios that get their own cash-flow and assumptions sheets.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    wb = _Workbook()
    summary = wb.add("Summary")
    notes = wb.add("Notes")
    width = max(3, len(str(len(records))))
    links: dict[int, str] = {}
    skipped = 0
    for i, rec in enumerate(records):
        if rec.get("status") != "ok" or not rec.get("result"):
            continue
        if len(links) >= detail_limit:
            skipped += 1
            continue
        name = rec.get("scenario") or ""
        cf_title = sheet_title(i + 1, "CF", name, width)
        _cashflow_sheet(wb.add(cf_title), rec)
        _assumptions_sheet(wb.add(sheet_title(i + 1, "AS", name, width)), rec)
        links[i] = cf_title
    _summary_sheet(summary, records, links)
    _notes_sheet(notes, records, skipped, detail_limit)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
