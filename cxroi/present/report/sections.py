"""The report's sections that read the case: header, headline, attribution, segments, inputs.

Each section is a function ``section(report) -> str`` of HTML: the header (the scenario file
with its SHA-256, the run time, the cxroi version, the case's settings), the headline KPIs
risk-adjusted and unadjusted, where the value comes from (Shapley values by lever and by
initiative), customers and lifetime value by segment, and every assumption with its
provenance. The cash-flow sections are in :mod:`cxroi.present.report.cashflows`, the
uncertainty section in :mod:`cxroi.present.report.uncertainty`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cxroi
from cxroi.model.distributions import base_float
from cxroi.model.kpis import KPI_KEYS, kpi_label, kpi_meaning
from cxroi.present.formatting import format_kpi, format_money, format_pct, format_years
from cxroi.present.report.assumptions import SOURCE_LABELS, _text, assumption_rows
from cxroi.present.report.markup import (
    _FONT,
    PRINT_CSS,
    _amount,
    _esc,
    _h2,
    _kpi_cell,
    _note,
    _ratio,
    _Raw,
    _table,
)

if TYPE_CHECKING:
    from cxroi.present.report.document import Report


def _section_header(r: Report) -> str:
    sc = r.scenario
    risk = sc.risk
    parts = [
        f"currency {sc.currency}",
        f"horizon {sc.horizon_years} years",
        f"discount rate {format_pct(base_float(sc.discount_rate), 1)}",
        f"benefits reduced by {_benefit_risk_text(risk)}"
        f" and costs raised by {format_pct(base_float(risk.cost_adjustment), 1)} for risk (TEI)",
    ]
    source = r.scenario_file or sc.source
    digest = _sha256(source)
    facts = [
        ["Scenario file", source or "(given as parameters, not from a file)"],
        ["SHA-256 of the file", digest or "n/a"],
        ["Run", r.run_time],
        ["cxroi version", cxroi.__version__],
    ]
    return (
        PRINT_CSS
        + f'<h1 style="{_FONT}font-size:1.6em;margin:0 0 0.2em 0;">{_esc(sc.name)}</h1>'
        + _note("; ".join(parts) + ".")
        + _table(["Report of", ""], facts)
    )


def _sha256(path: str | None) -> str | None:
    """SHA-256 of a file's bytes, or None when there is no readable file."""
    import hashlib

    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _benefit_risk_text(risk: Any) -> str:
    """The benefit risk adjustment in words: one percentage, or one per lever and lines."""
    base = risk.benefit_adjustment_base()
    if isinstance(base, dict):
        return ", ".join(f"{format_pct(v, 1)} ({k})" for k, v in base.items())
    return format_pct(base, 1)


def _section_headline(r: Report) -> str:
    case, cur, horizon = r.case, r.case.currency, r.scenario.horizon_years
    from cxroi.present.headline import headline

    rows = [
        [
            kpi_label(key),
            _Raw(_kpi_cell(key, case.kpis[key], cur, horizon)),
            _Raw(_kpi_cell(key, case.unadjusted[key], cur, horizon, "data-kpi-unadjusted")),
            kpi_meaning(key),
        ]
        for key in KPI_KEYS
    ]
    npv, payback = case.kpis["npv"], case.kpis["payback_years"]
    verdict = (
        f"Risk-adjusted NPV {format_money(npv, cur)}: the portfolio "
        f"{'creates' if (npv or 0) >= 0 else 'destroys'} value at the discount rate given; "
        + (
            f"it pays back in {format_years(payback)}."
            if payback is not None
            else f"it does not pay back within the horizon "
            f"({format_kpi('payback_years', None, cur, r.scenario.horizon_years)})."
        )
    )
    story = f'<p data-headline style="{_FONT}font-size:1.05em;margin:0.3em 0;">'
    return (
        _h2("Headline")
        + story
        + _esc(headline(case))
        + "</p>"
        + _note(verdict)
        + _table(["", "Risk-adjusted", "Unadjusted", "What it means"], rows, numeric={1, 2})
    )


def _section_attribution(r: Report) -> str:
    case, cur = r.case, r.case.currency
    pvb = case.kpis["pv_benefits"] or 0.0
    lever_rows = [
        [lever, _amount(v), format_pct(v / pvb) if pvb else ""]
        for lever, v in case.by_lever.items()
    ]
    out = (
        _h2("Where the value comes from")
        + _note(
            "Shapley values: each lever's (and each initiative's) average contribution over "
            "every order of switching them on; they add up to the total exactly."
        )
        + _table([f"Lever [{cur}]", kpi_label("pv_benefits"), "Share"], lever_rows, numeric={1, 2})
        + r.image("bridge", "PV of benefits by lever")
    )
    if case.by_initiative is None:
        return out + _note("Attribution by initiative is computed for up to 8 initiatives.")
    npv = case.kpis["npv"] or 0.0
    ini_rows = [
        [name, _amount(v), format_pct(v / npv) if npv else ""]
        for name, v in case.by_initiative.items()
    ]
    return (
        out
        + _table(
            [f"Initiative [{cur}]", kpi_label("npv", short=True), "Share"], ini_rows, {1, 2}
        )
        + r.image("initiatives", "NPV by initiative")
    )


def _section_segments(r: Report) -> str:
    seg = r.case.by_segment
    cur = r.case.currency
    rows = []
    for name, row in seg.iterrows():
        rows.append(
            [
                name,
                _amount(row["clv_baseline"]),
                _amount(row["clv_with_cx"]),
                _amount(row["acquisition_cost"]),
                _ratio(row["clv_to_cac_baseline"]),
                _ratio(row["clv_to_cac_with_cx"]),
                _amount(row["annual_switching_loss"]),
            ]
        )
    header = [
        f"Segment [{cur}]",
        "CLV baseline",
        "CLV with CX",
        "Acquisition cost",
        "CLV/CAC baseline",
        "CLV/CAC with CX",
        kpi_label("annual_switching_loss"),
    ]
    return (
        _h2("Customers and lifetime value by segment")
        + _table(header, rows, numeric=set(range(1, len(header))))
        + _note(
            "CLV: discounted margin of one new customer from acquisition on, all initiatives "
            "at full effect in 'with CX'."
        )
        + r.image("clv", "Customer lifetime value by segment")
        + r.image("customers", "Active customers by year")
    )


_NOT_SOURCED = '<span style="color:#b00020;font-weight:bold;">not sourced</span>'


def _section_assumptions(r: Report) -> str:
    rows = []
    unsourced = 0
    for row in assumption_rows(r.scenario):
        kind = SOURCE_LABELS.get(row["source"], row["source"])
        evidence = row.get("evidence") or ""
        if evidence == "not sourced":
            evidence = _Raw(_NOT_SOURCED)
            unsourced += 1
        value = row["value"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _text(value)
        field = _Raw(f"{_esc(row['label'])}<br><code>{_esc(row['path'])}</code>")
        rows.append(
            [field, "" if value is None else value, row["unit"], kind, evidence, row["note"],
             row.get("as_of") or ""]
        )  # fmt: skip
    return (
        _h2("Assumptions and where they come from")
        + _note(
            "'given' values are in the scenario file; 'benchmark default' values are published "
            "survey statistics used because the scenario gives none (the source column cites "
            "them; replace them with your own data where you can); 'default' values are the "
            "model's neutral defaults; 'derived' values are computed from other inputs. "
            f"{unsourced} given value(s) carry no source: they are marked 'not sourced'."
        )
        + _table(["Field", "Value", "Unit", "Kind", "Source", "Note", "As of"], rows)
    )

