"""HTML fragments of the dashboard: KPI cards, the TEI table, chart holders, messages.

Pure functions (case in, HTML string out), escaped throughout: segment and initiative names
come from users. The test hooks live here: every KPI value carries ``data-kpi`` and a
full-precision ``data-value``; every error carries the class ``cxroi-error``.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import HEADLINE_KEYS, KPIS, kpi_label, kpi_meaning
from cxroi.present.formatting import data_value, format_kpi, format_money, format_pct

__all__ = [
    "KPI_CARDS",
    "chart_holder",
    "download_link",
    "error_html",
    "export_link",
    "field_label",
    "equity_card",
    "headline_html",
    "initiative_values_table",
    "kpi_cards",
    "source_text",
    "sources_html",
    "tei_lines_table",
    "tei_table",
    "unquantified_html",
]

#: Keys of the KPI cards, in display order (labels, kinds and meanings: :mod:`cxroi.model.kpis`).
KPI_CARDS = HEADLINE_KEYS


def _fmt(value: Any, key: str, currency: str, horizon: int | None = None) -> str:
    return format_kpi(key, value, currency, horizon)


_data_value = data_value


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
    (:func:`cxroi.model.kpis.kpi_meaning`).

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
        HTML; each card holds ``<div data-kpi="KEY" data-value="FULL PRECISION">``. A card is
        three blocks, label, figure and its lines (``cxroi-kpi-subs``), which the stylesheet
        lines up along a row of cards.
    """
    cards = []
    for key in KPI_CARDS:
        value = kpis.get(key)
        negative = value is not None and key in ("npv", "roi") and value < 0
        sub = ""
        if KPIS[key].risk_adjusted:
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
        meaning = html.escape(kpi_meaning(key))
        cards.append(
            f'<div class="cxroi-kpi{" cxroi-negative" if negative else ""}" title="{meaning}">'
            f'<div class="cxroi-kpi-label">{html.escape(kpi_label(key))}</div>'
            f'<div class="cxroi-kpi-value" data-kpi="{key}" data-value="{_data_value(value)}">'
            f"{html.escape(_fmt(value, key, currency, horizon))}</div>"
            f'<div class="cxroi-kpi-subs">{sub}</div></div>'
        )
        if key == "npv" and "customer_equity" in kpis:
            cards.append(equity_card(kpis, unadjusted, currency))
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

    mean = npv.get("mean")
    return (
        f'<div class="cxroi-kpi-sub cxroi-kpi-mc" data-state="done" data-draws="{mc["draws"]}">'
        f"Expected (Monte Carlo mean) {span('mean', mean, format_money(mean, currency))} · "
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
            missing = finite_or_none(value) is None
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


def field_label(
    label: str, provenance: Any = None, help_text: str = "", source: Any = None
) -> str:
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
    source : cxroi.model.scenario.InputSource, optional
        The input's evidence (docs/model.md §18): its source then ends the label's hover
        text (:func:`source_text`) and sits in ``data-source`` (``data-source-kind`` holds
        ``given``, ``default`` or ``benchmark default``).
    """
    said = source_text(source)
    tip = " · ".join(t for t in (help_text, said) if t)
    title = f' title="{html.escape(tip)}"' if tip else ""
    if source is not None:
        title += (
            f' data-source="{html.escape(getattr(source, "shown", ""))}"'
            f' data-source-kind="{html.escape(getattr(source, "kind", ""))}"'
        )
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


def source_text(source: Any) -> str:
    """Where an input's value comes from, in words (docs/model.md §18).

    ``Source: CRM churn report FY2025 (12-month average; as of 2025-09-30)`` for the user's
    own evidence, ``Source: <citation> (benchmark default)`` for a default taken from a cited
    benchmark, ``Source: not sourced`` otherwise; empty for no input.
    """
    if source is None:
        return ""
    shown = getattr(source, "shown", None) or "not sourced"
    if getattr(source, "kind", "") == "benchmark default" and getattr(source, "source", None):
        return f"Source: {shown} (benchmark default)"
    extras = []
    if getattr(source, "note", None) and getattr(source, "kind", "") == "given":
        extras.append(str(source.note))
    if getattr(source, "as_of", None) is not None:
        extras.append(f"as of {source.as_of.isoformat()}")
    return f"Source: {shown}" + (f" ({'; '.join(extras)})" if extras else "")


def download_link(text: str, filename: str) -> str:
    """A link that saves ``text`` as ``filename`` (a data: URI: nothing leaves the page)."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="cxroi-download" download="{html.escape(filename)}" '
        f'title="Download the scenario with your edits (YAML)" '
        f'href="data:application/x-yaml;base64,{data}">Download</a>'
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


# ------------------------------------------------------------------------ version 2 figures
#: What the customer-equity card means (docs/model.md §13), its hover text.
EQUITY_MEANING = kpi_meaning("customer_equity")

#: Why customer equity can be missing, in plain words.
EQUITY_UNDEFINED = (
    "not defined: the customers' value after the horizon never settles (retention too high "
    "for the discount rate)"
)


def equity_card(kpis: dict, unadjusted: dict, currency: str) -> str:
    """The customer-equity card: equity and NPV with it, risk-adjusted, unadjusted beside.

    Hooks: ``data-kpi="customer_equity"`` and ``data-kpi="npv_with_customer_equity"`` with
    full-precision ``data-value`` (``"null"`` when undefined), and ``data-kpi-unadjusted``
    for the unadjusted figures, as on the other cards.
    """

    def figure(key: str, source: dict, attr: str) -> str:
        value = source.get(key)
        text = format_money(value, currency) if value is not None else "not defined"
        return f'<span {attr}="{key}" data-value="{_data_value(value)}">{html.escape(text)}</span>'

    equity = kpis.get("customer_equity")
    note = ""
    if equity is None:
        note = f'<div class="cxroi-kpi-sub cxroi-equity-undefined">{EQUITY_UNDEFINED}</div>'
    value_text = (
        html.escape(format_money(equity, currency)) if equity is not None else "Not defined"
    )
    return (
        f'<div class="cxroi-kpi cxroi-equity" title="{html.escape(EQUITY_MEANING)}">'
        f'<div class="cxroi-kpi-label">{html.escape(kpi_label("customer_equity"))}</div>'
        f'<div class="cxroi-kpi-value" data-kpi="customer_equity" '
        f'data-value="{_data_value(equity)}">{value_text}</div>'
        f'<div class="cxroi-kpi-subs">{note}<div class="cxroi-kpi-sub">Unadjusted '
        f"{figure('customer_equity', unadjusted, 'data-kpi-unadjusted')}</div>"
        '<div class="cxroi-kpi-sub">NPV with it '
        f"{figure('npv_with_customer_equity', kpis, 'data-kpi')} · unadjusted "
        f"{figure('npv_with_customer_equity', unadjusted, 'data-kpi-unadjusted')}</div>"
        "</div></div>"
    )


def initiative_values_table(case: Any, currency: str) -> str:
    """Each initiative's NPV three ways: Shapley share, alone, and lost if it alone is cut.

    Hooks: ``[data-initiative=NAME][data-measure=shapley|standalone|last_in]`` with the value
    at full precision in ``data-value`` (docs/model.md §6 and §15).
    """
    shapley = case.by_initiative
    rows = []
    for name in case.scenario.initiative_names:
        cells = []
        for measure, values in (
            ("shapley", shapley),
            ("standalone", case.by_initiative_standalone),
            ("last_in", case.by_initiative_last_in),
        ):
            value = None if values is None else values.get(name)
            text = format_money(value, currency)  # MISSING for None
            css = ' class="cxroi-negative"' if value is not None and value < 0 else ""
            cells.append(
                f'<td{css} data-initiative="{html.escape(name)}" data-measure="{measure}" '
                f'data-value="{_data_value(value)}">{html.escape(text)}</td>'
            )
        label = html.escape(name)
        rows.append(f'<tr><td title="{label}">{label}</td>{"".join(cells)}</tr>')
    head = (
        "<th>Initiative</th>"
        '<th title="Its fair share of the NPV (Shapley value)">Shapley</th>'
        '<th title="NPV if it were the only initiative funded">Alone</th>'
        '<th title="NPV lost if it alone were cut from the programme">Last in</th>'
    )
    return (
        f'<div class="cxroi-initiative-values"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def tei_lines_table(case: Any, currency: str) -> str:
    """The TEI cash-flow table with one row per benefit line and per cost line.

    Rows: the customer benefit, each benefit line (with its risk), total benefits and its
    risk adjustment; capex and opex and each cost line per initiative, total costs and its
    risk adjustment; net and cumulative net (all risk-adjusted, from ``case.line_table()``
    and ``case.cashflow``). Each row carries ``data-row`` and its present value in
    ``data-pv`` at full precision.
    """
    import numpy as np

    cf = case.cashflow
    years = list(cf.index)
    df = cf["discount_factor"].to_numpy()
    heads = ["Initial"] + [f"Year {t}" for t in years[1:]] + ["Total", "Present value"]
    lines = case.line_table()
    rows: list[str] = []

    def row(key: str, label: str, values: Any, css: str = "", totals: bool = True) -> None:
        values = np.asarray(values, dtype=float)
        cells = list(values)
        pv = float((values * df).sum())
        cells += [float(values.sum()), pv] if totals else [None, None]
        tds = "".join(
            "<td></td>" if v is None else f"<td>{html.escape(format_money(v, currency))}</td>"
            for v in cells
        )
        cls = f' class="{css}"' if css else ""
        rows.append(
            f'<tr{cls} data-row="{html.escape(key)}" data-pv="{_data_value(pv)}">'
            f'<td title="{html.escape(label)}">{html.escape(label)}</td>{tds}</tr>'
        )

    for kind, total in (("benefit", "benefits"), ("cost", "costs")):
        for _, r in lines[lines.kind == kind].iterrows():
            who = r.initiative if isinstance(r.initiative, str) else None
            risk = "" if finite_or_none(r.risk) is None else f" (risk {format_pct(r.risk)})"
            label = (f"{who}: " if who else "") + f"{r.line}{risk}"
            key = f"{kind}:{who or ''}:{r.line}"
            row(key, label, [r[t] for t in years])
        row(total, f"Total {total}", cf[total], "cxroi-total")
        row(f"{total}_risk", "of which risk adjustment", cf[total] - cf[f"{total}_unadjusted"])
    row("net", "Net", cf["net"], "cxroi-net")
    row("cumulative_net", "Cumulative net", cf["cumulative_net"], "cxroi-net", totals=False)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    return (
        f'<div class="cxroi-tei cxroi-tei-lines"><table><thead><tr>'
        f"<th>{html.escape(currency)}, risk-adjusted</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def unquantified_html(unquantified: dict) -> str:
    """Benefits named but not valued, under their initiative (in no figure, docs/model.md §11)."""
    if not unquantified:
        return ""
    parts = []
    for name, items in unquantified.items():
        lis = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        parts.append(
            f'<div data-unquantified="{html.escape(name)}"><b>{html.escape(name)}</b>'
            f"<ul>{lis}</ul></div>"
        )
    return (
        '<div class="cxroi-unquantified"><div class="cxroi-card-title">Benefits named but not '
        f"valued (in no figure)</div>{''.join(parts)}</div>"
    )
