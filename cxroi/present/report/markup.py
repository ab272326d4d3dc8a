"""The report's HTML pieces: inline styles, escaping, tables, year blocks, chart images.

Every element carries its own inline style (e-mail clients drop ``<style>`` blocks), user text
is escaped unless it is markup made here (:class:`_Raw`), a table with many year columns wraps
into blocks of :data:`YEARS_PER_BLOCK` years, and charts are embedded as static images
rendered by vl-convert (:func:`chart_image`), so the HTML reads the same offline.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from cxroi.model.finite import finite_or_none
from cxroi.present.formatting import data_value, format_kpi

#: Year columns per block of a yearly table: a longer horizon wraps onto further blocks, so a
#: printed page (A4 or Letter, landscape) never clips a column.
YEARS_PER_BLOCK = 9

#: Print set-up of the report's HTML: landscape pages, tables that may break between rows but
#: never lose columns, images scaled to the page. E-mail clients ignore it; inline styles stay.
PRINT_CSS = """<style>
@page { size: landscape; margin: 10mm; }
@media print {
  body, .jp-Notebook, .jp-Cell, .jp-OutputArea, .jp-OutputArea-output, .jp-RenderedHTMLCommon {
    overflow: visible !important; max-width: none !important; width: auto !important; }
  .cxroi-report table { font-size: 8pt !important; page-break-inside: auto; }
  .cxroi-report tr { break-inside: avoid; }
  .cxroi-report th, .cxroi-report td { padding: 1px 4px !important; }
  .cxroi-report img { max-width: 100% !important; height: auto !important; }
  .cxroi-report h2 { break-after: avoid; }
}
</style>"""

# Inline styles: e-mail clients drop <style> blocks, so every element carries its own.
_FONT = "font-family:Helvetica,Arial,sans-serif;"
_H2 = f"{_FONT}font-size:1.25em;margin:1.4em 0 0.4em 0;border-bottom:1px solid #ccc;"
_TABLE = f"{_FONT}border-collapse:collapse;font-size:0.9em;margin:0.4em 0;"
_TH = "text-align:left;padding:3px 8px;border-bottom:1px solid #999;background:#f4f4f4;"
_TD = "text-align:left;padding:3px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top;"
_NUM = _TD + "text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;"
_NOTE = f"{_FONT}font-size:0.85em;color:#555;margin:0.3em 0;"


class _Raw(str):
    """Markup made here (not user text): a table puts it in as it is."""


def _esc(value: Any) -> str:
    return value if isinstance(value, _Raw) else html.escape(str(value))


def _table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """An HTML table; ``numeric`` are the column indexes aligned right."""
    numeric = numeric or set()
    head = "".join(
        f'<th style="{_TH}{"text-align:right;" if i in numeric else ""}">{_esc(h)}</th>'
        for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{_NUM if i in numeric else _TD}">{_esc(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _amount(value: Any) -> str:
    """Full amount with thousands separators, for tables an analyst checks."""
    amount = finite_or_none(value)
    return "" if amount is None else f"{amount:,.0f}"


def _h2(title: str) -> str:
    return f'<h2 style="{_H2}">{_esc(title)}</h2>'


def _note(text: str) -> str:
    return f'<p style="{_NOTE}">{_esc(text)}</p>'


def _year_tables(corner: str, columns: list[str], rows: list[list[Any]]) -> str:
    """A table with many year columns as blocks of :data:`YEARS_PER_BLOCK` years.

    ``columns`` are the year columns followed by the summary columns (``Total``, ``Present
    value``), which go with the last block; every block repeats the row labels.
    """
    years = [c for c in columns if c not in ("Total", "Present value")]
    extra = len(columns) - len(years)
    starts = list(range(0, len(years), YEARS_PER_BLOCK)) or [0]
    out = []
    for n, start in enumerate(starts):
        stop = min(start + YEARS_PER_BLOCK, len(years))
        cols = list(range(start, stop))
        if n == len(starts) - 1:
            cols += list(range(len(years), len(years) + extra))
        header = [corner, *[columns[c] for c in cols]]
        body = [[row[0], *[row[1 + c] for c in cols]] for row in rows]
        out.append(_table(header, body, set(range(1, len(header)))))
    return "".join(out)


def _kpi_cell(key: str, value: Any, currency: str, horizon: int, attr: str = "data-kpi") -> str:
    """A KPI's executive text marked, as on the dashboard, with its key and full value."""
    text = _esc(format_kpi(key, value, currency, horizon))
    return f'<span {attr}="{key}" data-value="{data_value(value)}">{text}</span>'


def _ratio(value: Any) -> str:
    ratio = finite_or_none(value)
    return "" if ratio is None else f"{ratio:.2f}"


def chart_image(chart: Any, fmt: str = "svg", alt: str = "") -> str:
    """Render an Altair chart (or a Vega-Lite dict) to an ``<img>`` tag with a data URI.

    An ``<img>`` keeps each SVG a separate document (inline SVGs share one id space, so their
    clip paths can collide) and is what e-mail clients display most reliably.

    Parameters
    ----------
    chart : altair.Chart or dict
        The chart.
    fmt : {"svg", "png"}
        Image format.
    alt : str
        Alternative text.

    Returns
    -------
    str
        HTML.
    """
    import vl_convert as vlc

    # The builders of cxroi.present.charts are tested against the schema; skipping the validation
    # here
    # saves about 0.1 s per report.
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    if fmt == "png":
        data = vlc.vegalite_to_png(spec, scale=2)
        mime = "image/png"
    elif fmt == "svg":
        data = vlc.vegalite_to_svg(spec).encode("utf-8")
        mime = "image/svg+xml"
    else:
        raise ValueError(f"chart format must be 'svg' or 'png' (got {fmt!r})")
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img src="{uri}" alt="{html.escape(alt)}" style="max-width:100%;height:auto;">'

