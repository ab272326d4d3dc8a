"""The scenario report: what ``notebooks/scenario_report.ipynb`` shows.

The notebook only holds a ``parameters`` cell (the scenario's top-level fields, so that a
scenario YAML file is a papermill parameters file) and calls :func:`build` and
:meth:`Report.display`. Everything it shows is made here, as plain HTML with inline styles
and charts embedded as static SVG (or PNG) images rendered by vl-convert, so that the HTML
export reads the same offline, in a browser and in an e-mail client:

1. headline KPIs, risk-adjusted and unadjusted;
2. the TEI cash-flow table and the cash-flow chart;
3. attribution of the PV of benefits by lever and of the NPV by initiative (Shapley values);
4. per-segment customer lifetime value and customers over time;
5. every assumption with its provenance (given by the user, a plain default, or a cited
   benchmark default with its source).

Sections are functions ``section(report) -> str`` listed in :data:`SECTIONS`; a later section
(such as the uncertainty analysis of a scenario with distributions) is added by appending a
function there, and the notebook does not change.

The same facts feed the batch summary and workbook (:mod:`cxroi.outputs.batch`,
:mod:`cxroi.outputs.workbook`),
so :func:`assumption_rows` is a plain function returning JSON-able rows.

Size: this module is larger than the ~800 lines the package aims at because it is one document, one
function per section, read top to bottom; the sections share its escaping and table helpers.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cxroi
from cxroi.model.distributions import base_float
from cxroi.model.fields import FIELDS_BY_PATH, field_doc, unit_text
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import KPI_KEYS, kpi_label, kpi_meaning
from cxroi.model.paths import field_name, lookup, parent, parts
from cxroi.model.scenario import Distribution, Scenario, ScenarioError, ScenarioIssue
from cxroi.present.formatting import (
    data_value,
    format_kpi,
    format_money,
    format_pct,
    format_years,
)

__all__ = [
    "SECTIONS",
    "SOURCE_LABELS",
    "user_evidence",
    "Report",
    "assumption_rows",
    "build",
    "chart_image",
    "check_parameters",
    "render",
]

#: Top-level scenario fields, in the order of the notebook's ``parameters`` cell.
PARAMETER_NAMES = tuple(Scenario.model_fields)
#: Report parameters that are not scenario fields: the scenario file the report names in its
#: header (with its SHA-256); the batch passes it.
REPORT_OPTIONS = ("scenario_file",)
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

#: How each kind of provenance reads in a table (the report's and the workbook's).
SOURCE_LABELS = {
    "user": "given",
    "default": "default",
    "benchmark": "benchmark default",
    "derived": "derived",
}

# Inline styles: e-mail clients drop <style> blocks, so every element carries its own.
_FONT = "font-family:Helvetica,Arial,sans-serif;"
_H2 = f"{_FONT}font-size:1.25em;margin:1.4em 0 0.4em 0;border-bottom:1px solid #ccc;"
_TABLE = f"{_FONT}border-collapse:collapse;font-size:0.9em;margin:0.4em 0;"
_TH = "text-align:left;padding:3px 8px;border-bottom:1px solid #999;background:#f4f4f4;"
_TD = "text-align:left;padding:3px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top;"
_NUM = _TD + "text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;"
_NOTE = f"{_FONT}font-size:0.85em;color:#555;margin:0.3em 0;"


# --------------------------------------------------------------------------------------------
# Assumptions and provenance
# --------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A JSON-able rendering of a field value: number, text or None."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Distribution):
        return _describe_distribution(value)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            inner = v.model_dump(exclude_unset=True) if hasattr(v, "model_dump") else v
            parts.append(f"{k}: {_short(_plain(inner))}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(_plain(v)) for v in value) + "]"
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(exclude_unset=True))
    return str(value)


def _describe_distribution(dist: Distribution) -> str:
    spec = dist.to_mapping()
    kind = spec.pop("dist")
    args = ", ".join(f"{k}={_text(v)}" for k, v in spec.items())
    return f"{kind}({args})"


def _short(value: Any) -> str:
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _in_field_order(paths: list[str]) -> list[str]:
    """Sort sibling paths by their model's field order (the scenario lists set fields unordered)."""
    from cxroi.model.scenario import EFFECT_FIELDS

    order = {name: i for i, name in enumerate((*EFFECT_FIELDS, "alpha", "beta", "tenure"))}
    heads = list(dict.fromkeys(parent(p) for p in paths))

    def key(p: str) -> tuple[int, int]:
        return heads.index(parent(p)), order.get(field_name(p), len(order))

    return sorted(paths, key=key)


def user_evidence(scenario: Any, path: str) -> Any:
    """The evidence written with an input (``{value, source, note, as_of}``), or None.

    Looks the path up as written and without a trailing ``[year]`` (evidence written on a
    whole capex mapping covers each of its years).
    """
    evidence = getattr(scenario, "evidence", None)
    if not isinstance(evidence, dict) or not evidence:
        return None
    found = evidence.get(path)
    if found is None and path.endswith("]"):
        found = evidence.get(path[: path.rindex("[")])
    return found


def _by_year(path: str, value: Any) -> Any:
    """Capex by year, opex and ramp lists as "year 0: 500,000; year 1: 250,000"."""
    last = field_name(path)
    if last == "capex" and isinstance(value, Mapping):
        return "; ".join(f"year {k}: {_text(float(_base(v)))}" for k, v in sorted(value.items()))
    if last in ("opex", "ramp") and isinstance(value, (list, tuple)):
        parts = [f"year {k}: {_text(float(_base(v)))}" for k, v in enumerate(value, start=1)]
        parts[-1] = parts[-1].replace(":", " on:", 1)  # the last value is held
        return "; ".join(parts)
    return _plain(value)


def _evidence(path: str, own: Any, source: str) -> str:
    """What stands behind a value: the user's source, a cited benchmark, or "not sourced".

    ``own`` is the evidence written with the value (its ``source``), or None.
    """
    from cxroi.model.scenario import BENCHMARK_DEFAULTS

    given = getattr(own, "source", None)
    if given:
        return str(given)
    if source == "benchmark":
        bm = BENCHMARK_DEFAULTS.get(field_name(path))
        return f"{bm.source} ({bm.year})" if bm is not None else "cited benchmark"
    if source == "default":
        return "model default"
    if source == "derived":
        return "derived"
    return "not sourced"


def _as_of(own: Any) -> str | None:
    value = getattr(own, "as_of", None)
    return None if value is None else str(value)


def _derived_value(scenario: Any, path: str) -> Any:
    """The number of a derived field, as the engine computes it.

    ``new_customers_per_year``: N0 x (1 - r at base tenure), with a tenure mix's churn for
    1 - r.
    """
    if not path.endswith(".new_customers_per_year"):
        return "computed in each evaluation"
    name = parts(path)[1][1]  # segments[<name>].new_customers_per_year
    seg = next(s for s in scenario.segments if s.name == name)
    if seg.acquisition == "replace":
        return "not used (acquisition: replace wins back what churned)"
    if seg.is_sbg:  # a tenure mix: the share-weighted retention (docs/model.md §14)
        r = seg.retention
        a, b = _base(r.alpha), _base(r.beta)
        rate = sum(share * (b + k) / (a + b + k) for k, share in r.tenure_mix.items())
    else:
        rate = _base(seg.retention)
    return _base(seg.customers) * (1.0 - rate)


def assumption_rows(scenario: Any) -> list[dict[str, Any]]:
    """Every assumption of a scenario with its value and provenance.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.

    Returns
    -------
    list of dict
        One row per field path, in scenario order, with keys ``path``, ``label`` and ``unit``
        (the field registry's, :mod:`cxroi.model.fields`), ``value`` (a number, or
        text for lists, mappings and distributions), ``source`` (``user``, ``default``,
        ``benchmark`` or ``derived``), ``benchmark`` (key of the cited statistic or None),
        ``note`` (the benchmark's source and caveat, or how a derived value is computed),
        ``evidence`` (the user's own source where given, the cited publication for a
        benchmark default, ``model default``, ``derived``, or ``not sourced`` for a given value
        without a source) and ``as_of`` (the date of the evidence, or None). Effect fields are
        listed where the user gave them. Capex by year, opex and ramp lists read as years and
        amounts; a derived ``new_customers_per_year`` shows its number.
    """
    prov = scenario.provenance()
    fields = scenario.fields()
    name = FIELDS_BY_PATH["name"]
    rows: list[dict[str, Any]] = [
        {"path": "name", "label": name.title, "unit": name.unit, "value": scenario.name,
         "source": "user", "benchmark": None, "note": ""}
    ]  # fmt: skip
    seen = {"name"}

    def add(path: str, value: Any) -> None:
        p = prov.get(path)
        source = p.source if p else "user"
        own = user_evidence(scenario, path)
        doc = field_doc(path)
        rows.append(
            {
                "path": path,
                "label": doc.title if doc is not None else path,
                "unit": unit_text(path, scenario.currency),
                "value": _by_year(path, value),
                "source": source,
                "benchmark": p.benchmark if p else None,
                "note": (getattr(own, "note", None) or (p.note if p else "")),
                "evidence": _evidence(path, own, source),
                "as_of": _as_of(own),
            }
        )
        seen.add(path)

    for path in prov:
        if path in seen:
            continue
        if path.endswith(".effects") and not any(f.startswith(path + "[") for f in fields):
            add(path, "none")
            continue
        if path in fields:
            add(path, fields[path])
            continue
        children = _in_field_order(
            [f for f in fields if f.startswith((path + ".", path + "[")) and f not in prov]
        )
        if children:
            # An sBG retention or an initiative's effects: listed field by field.
            for f in children:
                add(f, fields[f])
            continue
        try:
            value = lookup(scenario, path)
        except (AttributeError, KeyError, StopIteration):
            value = None
        if value is None and prov[path].source == "derived":
            value = _derived_value(scenario, path)
        add(path, value)
    for path, value in fields.items():
        if path not in seen:
            add(path, value)
    return rows


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------
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


def _all_charts(case: Any) -> dict[str, Any]:
    from cxroi.present import charts

    return charts.all_charts(case)


# --------------------------------------------------------------------------------------------
# HTML helpers
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------
@dataclass
class Report:
    """A scenario's evaluated case, ready to be shown section by section.

    Parameters
    ----------
    scenario : Scenario
        The loaded scenario.
    case : BusinessCase
        Its evaluation.
    chart_format : {"svg", "png"}
        Image format of the charts.
    """

    scenario: Any
    case: Any
    chart_format: str = "svg"
    sections: list[Callable[[Report], str]] = field(default_factory=lambda: list(SECTIONS))
    scenario_file: str | None = None
    run_time: str = field(default_factory=lambda: _utc_now())
    _charts: dict[str, Any] | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_parameters(cls, chart_format: str = "svg", **parameters: Any) -> Report:
        """Load and evaluate a scenario given as the notebook's parameters.

        Parameters
        ----------
        chart_format : {"svg", "png"}
            Image format of the charts.
        **parameters
            The scenario's top-level fields (``name``, ``currency``, ``horizon_years``,
            ``discount_rate``, ``segments``, ``initiatives``, ``risk``); ``None`` values are
            left out so that the scenario's defaults apply.

        Raises
        ------
        cxroi.ScenarioError
            If the parameters do not form a valid scenario.
        """
        source = parameters.pop("scenario_file", None)
        mapping = {k: v for k, v in parameters.items() if v is not None}
        scenario = cxroi.load_scenario(mapping)
        return cls(
            scenario, cxroi.evaluate(scenario), chart_format=chart_format, scenario_file=source
        )

    # -- output --------------------------------------------------------------------------------
    def to_html(self) -> str:
        """All sections as one HTML fragment."""
        body = "\n".join(section(self) for section in self.sections)
        return f'<div class="cxroi-report">{body}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def display(self) -> None:
        """Display each section as its own notebook output."""
        from IPython.display import HTML, display

        for section in self.sections:
            display(HTML(f'<div class="cxroi-report">{section(self)}</div>'))

    def image(self, chart_name: str, alt: str) -> str:
        """Chart ``chart_name`` of :func:`cxroi.present.charts.all_charts` as an ``<img>`` tag."""
        if self._charts is None:
            self._charts = _all_charts(self.case)
        return chart_image(self._charts[chart_name], self.chart_format, alt)


def _section_header(r: Report) -> str:
    sc = r.scenario
    risk = sc.risk
    parts = [
        f"currency {sc.currency}",
        f"horizon {sc.horizon_years} years",
        f"discount rate {format_pct(_base(sc.discount_rate), 1)}",
        f"benefits reduced by {_benefit_risk_text(risk)}"
        f" and costs raised by {format_pct(_base(risk.cost_adjustment), 1)} for risk (TEI)",
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


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


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


_base = base_float


def _benefit_risk_text(risk: Any) -> str:
    """The benefit risk adjustment in words: one percentage, or one per lever and lines."""
    base = risk.benefit_adjustment_base()
    if isinstance(base, dict):
        return ", ".join(f"{format_pct(v, 1)} ({k})" for k, v in base.items())
    return format_pct(base, 1)


_data_value = data_value


def _kpi_cell(key: str, value: Any, currency: str, horizon: int, attr: str = "data-kpi") -> str:
    """A KPI's executive text marked, as on the dashboard, with its key and full value."""
    text = _esc(format_kpi(key, value, currency, horizon))
    return f'<span {attr}="{key}" data-value="{_data_value(value)}">{text}</span>'


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


def lever_benefits(case: Any) -> Any:
    r"""Each year's customer benefit split by lever (Shapley values per year), unadjusted.

    .. math:: B_t = \sum_l \phi_{l,t}

    where :math:`\phi_{l,t}` is the Shapley value of lever *l* in the game whose value of a
    set of levers S is the year-t contribution with only S on minus the baseline's (every
    initiative active; docs/model.md §6 applied year by year).

    Returns
    -------
    DataFrame
        Rows ``retention``, ``wallet``, ``referral``, ``service``; columns years 0..H (year 0
        is 0) [money].
    """
    import numpy as np
    import pandas as pd

    from cxroi.engine import project as engine
    from cxroi.engine.attribution import coalition_masks, shapley_values
    from cxroi.model.scenario import LEVERS

    sc = case.scenario
    p = engine.compile_scenario(sc)
    masks = coalition_masks(len(LEVERS))
    proj = engine.project(p, masks, np.ones((len(masks), len(sc.initiatives))))
    contribution = proj.contribution.sum(axis=-2)  # (16, H)
    benefit = contribution - contribution[0]
    phi = shapley_values(benefit.T)  # (H, 4)
    table = np.concatenate([np.zeros((1, len(LEVERS))), phi], axis=0).T
    return pd.DataFrame(table, index=list(LEVERS), columns=range(sc.horizon_years + 1))


def line_amounts(amount: Any, H: int) -> list[float]:
    """A TEI line's amount in years 0..H (docs/model.md §11).

    A number is every year 1..H, a list runs from year 1 with its last value held, a mapping
    gives years (others 0).
    """
    if isinstance(amount, Mapping):
        return [_base(amount[t]) if t in amount else 0.0 for t in range(H + 1)]
    if isinstance(amount, (list, tuple)):
        held = [_base(v) for v in amount] + [_base(amount[-1])] * H
        return [0.0] + held[:H]
    return [0.0] + [_base(amount)] * H


def _section_cashflow(r: Report) -> str:
    tei = r.case.tei_table()
    rows = [[idx, *[_amount(v) for v in tei.loc[idx]]] for idx in tei.index]
    import numpy as np

    cur = r.case.currency
    cf = r.case.cashflow
    df = cf["discount_factor"].to_numpy()
    levers = lever_benefits(r.case)
    lever_rows = []
    for lever, values in levers.iterrows():
        v = values.to_numpy()
        lever_rows.append([f"{lever} lever", *[_amount(x) for x in v], _amount(v.sum()),
                           _amount((v * df).sum())])  # fmt: skip
    customer = cf.get("customer_benefits_unadjusted", cf["benefits_unadjusted"]).to_numpy()
    unadj = cf["benefits_unadjusted"].to_numpy()
    adj = cf["benefits"].to_numpy()
    H = r.scenario.horizon_years
    rows_after = [("Customer benefit, unadjusted", customer)]
    for ini in r.scenario.initiatives:
        for line in getattr(ini, "benefit_lines", None) or []:
            label = f"TEI line: {ini.name} / {line.name}, unadjusted"
            rows_after.append((label, np.asarray(line_amounts(line.amount, H))))
    rows_after += [("Risk adjustment", adj - unadj), ("Benefits, risk-adjusted", adj)]
    for label, v in rows_after:
        lever_rows.append([label, *[_amount(x) for x in v], _amount(v.sum()),
                           _amount((v * df).sum())])  # fmt: skip
    return (
        _h2("Cash flows (Forrester TEI layout, risk-adjusted)")
        + _year_tables(f"[{cur}]", [str(c) for c in tei.columns], rows)
        + _note(
            "Benefits by lever and year: each year's customer benefit (with CX minus baseline) "
            "split over the four levers by Shapley values, so the levers add up to the year's "
            "benefit; then each TEI benefit line, and the risk adjustment."
        )
        + _year_tables(f"Benefits [{cur}]", [str(c) for c in tei.columns], lever_rows)
        + _note(
            "Year 0 is today and is not discounted; benefits and costs fall at the end of each "
            "year and are discounted by (1 + discount rate)^year."
        )
        + r.image("cashflow", "Cash flows by year with the cumulative net")
    )


def _section_lines(r: Report) -> str:
    """The TEI table by line, the unquantified benefits, customer equity, initiative views."""
    import numpy as np

    case, cur = r.case, r.case.currency
    H = r.scenario.horizon_years
    years = list(range(H + 1))
    cf = case.cashflow
    df = cf["discount_factor"].to_numpy()
    columns = ["Initial", *[f"Year {t}" for t in years[1:]], "Total", "Present value"]

    def row(label: str, v: Any) -> list[Any]:
        v = np.asarray(v, dtype=float)
        return [label, *[_amount(x) for x in v], _amount(v.sum()), _amount((v * df).sum())]

    table = case.line_table()
    rows = []
    for kind, key in (("benefit", "benefits"), ("cost", "costs")):
        for _, line in table[table.kind == kind].iterrows():
            who = line.initiative if isinstance(line.initiative, str) else "All segments"
            risk = "" if line.risk is None or line.risk != line.risk else f" (risk {line.risk:.0%})"
            rows.append(row(f"{who}: {line.line}{risk}", [line[t] for t in years]))
        rows.append(row(f"Risk adjustment ({key})", cf[key] - cf[f"{key}_unadjusted"]))
        rows.append(row(f"Total {key}, risk-adjusted", cf[key]))
    rows.append(row("Net", cf["net"]))
    out = _h2("Benefits and costs by line (TEI)") + _note(
        "One row per benefit line and per cost line, each risk-adjusted by its own risk; the "
        "customer benefit of all segments is one line. Lines are not scaled by the ramp."
    )
    out += _year_tables(f"[{cur}]", columns, rows)
    unquantified = case.unquantified
    if unquantified:
        items = "".join(
            f"<li><b>{_esc(name)}</b><ul>"
            + "".join(f"<li data-unquantified>{_esc(x)}</li>" for x in texts)
            + "</ul></li>"
            for name, texts in unquantified.items()
        )
        out += (
            _note("Benefits named but not valued: they are in no figure of this report.")
            + f'<ul style="{_FONT}">{items}</ul>'
        )
    horizon = r.scenario.horizon_years
    eq_rows = [
        [
            kpi_label(key),
            _esc(format_kpi("npv", case.kpis[base], cur, horizon)) if base else "",
            _Raw(_kpi_cell(key, case.kpis[key], cur, horizon)),
            _Raw(_kpi_cell(key, case.unadjusted[key], cur, horizon, "data-kpi-unadjusted")),
        ]
        for base, key in ((None, "customer_equity"), ("npv", "npv_with_customer_equity"))
    ]
    out += (
        _h2("Customer equity beside the NPV")
        + _note(
            "What the extra customers still active after the last year are worth, with the "
            "programme stopped (baseline margins and retention). Reported beside the TEI NPV, "
            "never inside it, ROI, IRR or payback; n/a where the value does not converge."
        )
        + _table(["", "TEI NPV", "Risk-adjusted", "Unadjusted"], eq_rows, numeric={1, 2, 3})
    )
    ini_rows = [
        [
            name,
            _amount(case.by_initiative[name]) if case.by_initiative is not None else "n/a",
            _amount(case.by_initiative_standalone[name]),
            _amount(case.by_initiative_last_in[name]),
        ]
        for name in r.scenario.initiative_names
    ]
    out += (
        _h2("Each initiative: fair share, alone, last in")
        + _note(
            "Shapley: the initiative's fair share of the NPV. Standalone: the NPV if only this "
            "initiative is funded. Last in: the NPV lost if only this initiative is cut."
        )
        + _table(
            [f"Initiative [{cur}]", "Shapley", "Standalone", "Last in"], ini_rows, numeric={1, 2, 3}
        )  # fmt: skip
    )
    return out


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


def _ratio(value: Any) -> str:
    ratio = finite_or_none(value)
    return "" if ratio is None else f"{ratio:.2f}"


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


#: Monte Carlo draws and seed of the report's uncertainty section.
REPORT_DRAWS = 10_000
REPORT_SEED = 0
#: Switching values shown: the fields closest to breaking the case.
REPORT_SWITCHING_ROWS = 8


def _value(x: float) -> str:
    """An input's value: thousands separators for amounts, 4 significant digits otherwise."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _section_uncertainty(r: Report) -> str:
    """Monte Carlo summary, histogram, fan and tornado; switching values of the key fields."""
    from cxroi.analysis import uncertainty as u
    from cxroi.present import uncertainty_charts as uc

    sc, cur = r.scenario, r.case.currency
    parts = [_h2("Uncertainty: how sure, and what has to be true")]
    if sc.distributions():
        result = u.simulate(sc, draws=REPORT_DRAWS, seed=REPORT_SEED)
        summary = result.summary
        rows = []
        for key in ("npv", "roi", "payback_years"):
            stats = summary[key]
            rows.append(
                [kpi_label(key, short=True)]
                + [
                    format_kpi(key, stats[q], cur, sc.horizon_years)
                    for q in ("mean", "p5", "p50", "p95")
                ]
            )
        parts.append(_table(["", "mean", "P5", "P50", "P95"], rows, {1, 2, 3, 4}))
        how = (
            "drawn with their rank correlations" if sc.correlations else "each drawn independently"
        )
        parts.append(
            _note(
                f"{summary['draws']:,} draws (seed {REPORT_SEED}) of {len(sc.distributions())} "
                f"uncertain inputs, {how}. P(NPV > 0) = "
                f"{summary['prob_npv_positive']:.1%}; P(payback within {sc.horizon_years} "
                f"years) = {summary['prob_payback_within_horizon']:.1%}. A draw that never pays "
                "back counts as infinitely late, so a payback percentile on such draws reads "
                "'never'."
            )
        )
        from cxroi.present.decisions import report_html

        parts.append(report_html(r.case.kpis["npv"], summary, cur, len(sc.correlations)))
        base_npv = r.case.kpis["npv"] or 0.0
        torn = u.tornado(sc)
        parts.append(
            chart_image(
                uc.histogram_chart(uc.histogram_data(result, cur), cur),
                r.chart_format,
                "NPV across Monte Carlo draws",
            )
            + chart_image(
                uc.fan_chart(uc.fan_data(result), cur),
                r.chart_format,
                "Range of cumulative net cash flow by year",
            )
            + chart_image(
                uc.tornado_chart(uc.tornado_data(torn, base_npv, cur), cur, width=620),
                r.chart_format,
                "Tornado: NPV at P10 and P90 of each input",
            )
        )
        parts.append(
            _table(
                ["Input", "P10", "P90", f"NPV at P10 [{cur}]", f"NPV at P90 [{cur}]"],
                [
                    [
                        t["path"],
                        _value(t["low"]),
                        _value(t["high"]),
                        _amount(t["npv_low"]),
                        _amount(t["npv_high"]),
                    ]
                    for t in torn
                ],
                {1, 2, 3, 4},
            )
        )
    else:
        parts.append(
            _note(
                "No input of this scenario carries a distribution, so there is no Monte Carlo "
                "range. Give uncertain inputs a distribution ({dist: pert, low, mode, high}) "
                "to get one."
            )
        )
    table = u.switching_values(sc).head(REPORT_SWITCHING_ROWS)
    rows = [
        [
            row.path,
            _value(row.base),
            "none in range"
            if finite_or_none(row.switching_value) is None
            else _value(row.switching_value),
            "" if not math.isfinite(row.change) else f"{row.change:+.0%}",
        ]
        for row in table.itertuples()
    ]
    parts.append(
        _table(["Input", "Base", "NPV = 0 at", "Change"], rows, {1, 2, 3})
        + _note(
            "Switching values (HM Treasury Green Book): the value of one input at which the NPV "
            "falls to zero, all others at base; the inputs closest to breaking the case first."
        )
    )
    return "".join(parts)


#: The report's sections, in order. Each is ``section(report) -> HTML``.
SECTIONS: list[Callable[[Report], str]] = [
    _section_header,
    _section_headline,
    _section_cashflow,
    _section_lines,
    _section_attribution,
    _section_segments,
    _section_uncertainty,
    _section_assumptions,
]


#: Names a notebook kernel defines by itself (IPython's history and helpers).
_KERNEL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})


def check_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario fields a notebook was given, refusing any name the scenario does not know.

    The report notebook calls this on ``globals()`` right after papermill's injected
    parameters, so that ``-p horizon_year 7`` fails with the name and a suggestion instead of
    running the default case.

    Parameters
    ----------
    namespace : mapping
        The notebook's global variables.

    Returns
    -------
    dict
        The given top-level fields (those not ``None``), ready for :func:`build`.

    Raises
    ------
    cxroi.ScenarioError
        Naming each unknown parameter, the rule and, when one is close, the field meant.
    """
    import difflib
    import types

    issues = []
    for name, value in namespace.items():
        if name.startswith("_") or name in _KERNEL_NAMES or name in PARAMETER_NAMES:
            continue
        if name in REPORT_OPTIONS:
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, type)):
            continue
        close = difflib.get_close_matches(name, PARAMETER_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        rule = f"unknown report parameter (known: {', '.join(PARAMETER_NAMES)}){hint}"
        issues.append(ScenarioIssue(name, rule, value))
    if issues:
        raise ScenarioError(issues, source="(notebook parameters)")
    names = (*PARAMETER_NAMES, *REPORT_OPTIONS)
    return {k: namespace[k] for k in names if namespace.get(k) is not None}


def build(chart_format: str = "svg", **parameters: Any) -> Report:
    """Build the report of the scenario given by its top-level fields (the notebook's call).

    Parameters
    ----------
    chart_format : {"svg", "png"}
        Image format of the charts.
    **parameters
        ``name``, ``currency``, ``horizon_years``, ``discount_rate``, ``segments``,
        ``initiatives``, ``risk``; ``None`` means "not given", so the scenario's own default
        (and its provenance, "default" or "benchmark default") applies. ``scenario_file``
        names the file the report's header cites with its SHA-256.

    Returns
    -------
    Report
    """
    return Report.from_parameters(chart_format=chart_format, **parameters)


def render(scenario: Any, chart_format: str = "svg") -> str:
    """The full report of a scenario (path, mapping or Scenario) as an HTML fragment."""
    sc = cxroi.load_scenario(scenario)
    return Report(sc, cxroi.evaluate(sc), chart_format=chart_format).to_html()
