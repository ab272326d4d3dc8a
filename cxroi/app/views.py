"""HTML fragments of the dashboard: KPI cards, the TEI table, chart holders, messages.

Pure functions (case in, HTML string out), escaped throughout: segment and initiative names
come from users. The test hooks live here: every KPI value carries ``data-kpi`` and a
full-precision ``data-value``; every error carries the class ``cxroi-error``.
"""

from __future__ import annotations

import base64
import html
import json
import math
from typing import Any

from cxroi.present.formatting import format_kpi, format_money, format_pct
from cxroi.present.headline import KPI_MEANINGS

__all__ = [
    "KPI_CARDS",
    "chart_holder",
    "download_link",
    "error_html",
    "export_link",
    "field_label",
    "headline_html",
    "kpi_cards",
    "sources_html",
    "tei_table",
]

#: (key, title, kind) of the KPI cards, in display order.
KPI_CARDS = (
    ("npv", "Net present value", "money"),
    ("roi", "ROI", "pct"),
    ("irr", "IRR", "pct"),
    ("payback_years", "Payback", "years"),
    ("discounted_payback_years", "Discounted payback", "years"),
    ("annual_switching_loss", "Annual switching loss", "money"),
    ("extra_customers_end", "Extra customers at horizon", "count"),
)

#: KPIs that are not risk-adjusted (docs/model.md §5): no "unadjusted" line under them.
_NOT_ADJUSTED = {"annual_switching_loss", "extra_customers_end"}


def _fmt(value: Any, key: str, currency: str, horizon: int | None = None) -> str:
    return format_kpi(key, value, currency, horizon)


def _data_value(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "null"
    return repr(float(value))


def kpi_cards(
    kpis: dict,
    unadjusted: dict,
    currency: str,
    horizon: int,
    recovery: dict | None = None,
    mc: dict | None = None,
) -> str:
    """KPI cards, risk-adjusted with the unadjusted figure beside.

    Each card's hover text is the KPI's plain-words meaning
    (:data:`cxroi.present.headline.KPI_MEANINGS`).

    Parameters
    ----------
    kpis, unadjusted : dict
        ``case.kpis`` and ``case.unadjusted``.
    currency : str
        ISO code.
    horizon : int
        Horizon [years] (for "Not in 5 years" when there is no payback).
    recovery : dict, optional
        :func:`cxroi.present.headline.switching_recovery` of the case: the switching-loss card then
        says what share of the loss the programme wins back (``data-kpi="switching_recovered"``).
    mc : dict, optional
        Monte Carlo summary (:func:`cxroi.simulate`) of the case: the NPV card then shows
        P(NPV > 0) and the P5-P95 range (``.cxroi-kpi-mc``, ``data-mc-npv`` hooks);
        ``{"pending": True}`` says a run is on its way.

    Returns
    -------
    str
        HTML; each card holds ``<div data-kpi="KEY" data-value="FULL PRECISION">``.
    """
    cards = []
    for key, title, _kind in KPI_CARDS:
        value = kpis.get(key)
        negative = value is not None and key in ("npv", "roi") and value < 0
        sub = ""
        if key not in _NOT_ADJUSTED:
            raw = unadjusted.get(key)
            sub = (
                f'<div class="cxroi-kpi-sub">Unadjusted <span data-kpi-unadjusted="{key}" '
                f'data-value="{_data_value(raw)}">{html.escape(_fmt(raw, key, currency, horizon))}'
                "</span></div>"
            )
        elif key == "annual_switching_loss":
            sub = '<div class="cxroi-kpi-sub">Revenue lost to preventable poor CX</div>'
            share = (recovery or {}).get("share")
            if recovery is not None and share is not None:
                sub += (
                    '<div class="cxroi-kpi-sub cxroi-recovered">Programme wins back '
                    f'<span data-kpi="switching_recovered" data-value="{_data_value(share)}">'
                    f"{html.escape(format_pct(share))}</span> "
                    f"({html.escape(format_money(recovery.get('recovered'), currency))} a year)"
                    "</div>"
                )
        else:
            sub = '<div class="cxroi-kpi-sub">With CX minus baseline</div>'
        if key == "npv" and mc is not None:
            sub += _mc_line(mc, currency)
        if key == "npv":
            sub += (
                '<div class="cxroi-kpi-sub">PV benefits <span data-kpi="pv_benefits" '
                f'data-value="{_data_value(kpis.get("pv_benefits"))}">'
                f"{html.escape(format_money(kpis.get('pv_benefits'), currency))}</span> · PV costs "
                f'<span data-kpi="pv_costs" data-value="{_data_value(kpis.get("pv_costs"))}">'
                f"{html.escape(format_money(kpis.get('pv_costs'), currency))}</span></div>"
            )
        meaning = html.escape(KPI_MEANINGS.get(key, ""))
        cards.append(
            f'<div class="cxroi-kpi{" cxroi-negative" if negative else ""}" title="{meaning}">'
            f'<div class="cxroi-kpi-label">{html.escape(title)}</div>'
            f'<div class="cxroi-kpi-value" data-kpi="{key}" data-value="{_data_value(value)}">'
            f"{html.escape(_fmt(value, key, currency, horizon))}</div>{sub}</div>"
        )
    return (
        '<div class="cxroi-kpis">' + "".join(cards) + "</div>"
        '<div class="cxroi-note">Risk-adjusted (TEI) unless marked unadjusted.</div>'
    )


def _mc_line(mc: dict, currency: str) -> str:
    """P(NPV > 0) and the P5-P95 range of the NPV under the NPV card."""
    if mc.get("pending"):
        return (
            '<div class="cxroi-kpi-sub cxroi-kpi-mc" data-state="pending">'
            "P(NPV &gt; 0) and range: updating…</div>"
        )
    prob, npv = mc["prob_npv_positive"], mc["npv"]

    def span(key: str, value: Any, text: str) -> str:
        value_attr = f'data-value="{_data_value(value)}"'
        return f'<span data-mc-npv="{key}" {value_attr}>{html.escape(text)}</span>'

    return (
        f'<div class="cxroi-kpi-sub cxroi-kpi-mc" data-state="done" data-draws="{mc["draws"]}">'
        f"P(NPV &gt; 0) {span('prob_npv_positive', prob, format_pct(prob))} · "
        f"P5–P95 {span('p5', npv['p5'], format_money(npv['p5'], currency))} to "
        f"{span('p95', npv['p95'], format_money(npv['p95'], currency))}</div>"
    )


def tei_table(table: Any, currency: str) -> str:
    """The TEI cash-flow table (``case.tei_table()``) as HTML, in executive format."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for name, row in table.iterrows():
        cells = []
        for value in row.tolist():
            missing = value is None or (isinstance(value, float) and not math.isfinite(value))
            text = "" if missing else html.escape(format_money(value, currency))
            cells.append(f"<td>{text}</td>")
        css = ' class="cxroi-net"' if str(name).lower().startswith("net") else ""
        rows.append(f"<tr{css}><td>{html.escape(str(name))}</td>{''.join(cells)}</tr>")
    return (
        f'<div class="cxroi-tei"><table><thead><tr><th>{html.escape(currency)}, risk-adjusted</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def chart_holder(key: str, rev: int, payload: dict) -> str:
    """Holder of one chart, drawn in the browser by ``cxroi-charts.js``.

    Parameters
    ----------
    key : str
        Chart key (``cashflow``, ``bridge``...).
    rev : int
        Update number: the page sets ``data-rendered`` to it once the chart is drawn.
    payload : dict
        ``{"sig", "spec", "rows"}`` (see :func:`cxroi.present.charts.split_spec`).
    """
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return (
        f'<div class="cxroi-vega" data-chart="{html.escape(key)}" data-rev="{int(rev)}">'
        f'<script type="application/json">{text}</script></div>'
    )


def error_html(message: str, path: str = "") -> str:
    """An error message (class ``cxroi-error``) naming the field it is about."""
    return f'<div class="cxroi-error" data-field="{html.escape(path)}">{html.escape(message)}</div>'


def field_label(label: str, provenance: Any = None, help_text: str = "") -> str:
    """Label of an input, marked when the value is still a benchmark default.

    Parameters
    ----------
    label : str
        Field label.
    provenance : cxroi.model.scenario.Provenance, optional
        Where the value comes from; ``benchmark`` adds a marker whose hover text gives the
        source and caveat, ``derived`` a marker explaining the rule.
    help_text : str
        Hover text of the label itself.
    """
    title = f' title="{html.escape(help_text)}"' if help_text else ""
    mark = ""
    source = getattr(provenance, "source", None)
    if source == "benchmark":
        note = getattr(provenance, "note", "") or "benchmark default"
        mark = (
            f'<span class="cxroi-bench" data-benchmark="{html.escape(str(provenance.benchmark))}" '
            f'title="Benchmark default. {html.escape(note)}">benchmark</span>'
        )
    elif source == "derived":
        note = getattr(provenance, "note", "")
        mark = f'<span class="cxroi-derived" title="{html.escape(note)}">derived</span>'
    return f"<span{title}>{html.escape(label)}</span>{mark}"


def download_link(text: str, filename: str) -> str:
    """A link that saves ``text`` as ``filename`` (a data: URI: nothing leaves the page)."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="cxroi-download" download="{html.escape(filename)}" '
        f'href="data:application/x-yaml;base64,{data}">Download scenario</a>'
    )


def headline_html(sentence: str) -> str:
    """The headline sentence of the case (:func:`cxroi.present.headline.headline`)."""
    return f'<div class="cxroi-headline" data-headline>{html.escape(sentence)}</div>'


def sources_html(scenario: Any) -> str:
    """The cited benchmark statistics the scenario uses, with their sources and caveats.

    One entry per benchmark still in force as a default (``scenario.provenance()``), listing
    the fields that use it; a note when every value is the user's own.
    """
    from cxroi.model import benchmarks
    used: dict[str, list[str]] = {}
    for path, prov in scenario.provenance().items():
        if getattr(prov, "source", None) == "benchmark" and prov.benchmark:
            used.setdefault(prov.benchmark, []).append(path)
    title = '<div class="cxroi-card-title">Sources of the benchmark defaults in use</div>'
    if not used:
        return (
            f'<div class="cxroi-sources">{title}<div class="cxroi-note">No benchmark default is '
            "in use: every value comes from the scenario.</div></div>"
        )
    items = []
    for key, paths in used.items():
        bench = benchmarks.BENCHMARKS.get(key)
        if bench is None:
            continue
        items.append(
            f'<li data-benchmark="{html.escape(key)}"><b>{html.escape(bench.statement)}</b> '
            f"({html.escape(bench.publisher)}, {bench.year}; used as "
            f"{html.escape(', '.join(paths))}). <i>Source:</i> {html.escape(bench.source)}. "
            f"<i>Caveat:</i> {html.escape(bench.caveat)}</li>"
        )
    return f'<div class="cxroi-sources">{title}<ul>{"".join(items)}</ul></div>'


def export_link(pdf: bytes, filename: str) -> str:
    """A link that saves the board pack PDF (a data: URI, like the scenario download)."""
    data = base64.b64encode(pdf).decode("ascii")
    return (
        f'<a class="cxroi-export-link" download="{html.escape(filename)}" '
        f'href="data:application/pdf;base64,{data}">Download board pack (PDF)</a>'
    )
