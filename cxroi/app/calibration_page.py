"""Voila page for retention calibration: cohort table in, fitted sBG and a scenario out.

The notebook ``notebooks/retention_calibration.ipynb`` only builds a :class:`CalibrationApp`
and shows it. Everything here is presentation: the fitting is
:func:`cxroi.analysis.calibration.calibrate`,
the scenario text :func:`cxroi.analysis.calibration.scenario_with_retention`. Charts are Altair
specifications rendered to static SVG by ``vl_convert`` in the kernel and shown in an
``ipywidgets.HTML``, so the page needs no JavaScript library from the network.

Pure builders (fit in, chart or HTML out) come first; the widget class at the end only reads
its widgets, calls them and sets HTML values.

Size: this module is slightly larger than the ~800 lines the package aims at; it holds the pure
builders and the one widget class of a single page, and the fitting itself is in
cxroi.analysis.calibration.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from cxroi import bundle
from cxroi.analysis.calibration import (
    POOLED,
    Calibration,
    CalibrationError,
    CohortTable,
    Interval,
    RetentionFit,
    calibrate,
    format_calibration,
    read_cohorts,
    scenario_with_retention,
)
from cxroi.analysis.calibration.text import share_text
from cxroi.engine.retention import sbg_retention

__all__ = [
    "CalibrationApp",
    "chart_svg",
    "comparison_html",
    "observed_html",
    "retention_chart",
    "summary_html",
    "survival_chart",
]

#: Relative paths (``scenarios/data/...``) are read against the bundled files
#: (:mod:`cxroi.bundle`; the repository's ``scenarios/`` in a checkout).
REPO_ROOT = bundle.bundle_root().resolve()
#: Cohorts drawn as observed points in the survival chart (the first ones in the table).
MAX_CHART_COHORTS = 20
#: Rows of the observed-against-fitted table shown on the page.
MAX_TABLE_ROWS = 200
#: Width of the page's charts [px]; they shrink to their card on narrow screens.
CHART_WIDTH = 600
#: Characters of an uploaded file's name kept in labels and messages.
MAX_UPLOAD_NAME = 80

#: Chart series in plain words: the sBG model, constant retention, the cohorts' own figures.
SBG, CONSTANT = "customers differ (sBG)", "same retention for all"
_COLOURS = {SBG: "#1d3557", CONSTANT: "#e9a23b", "observed": "#2a9d8f"}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_CSS = """
<style>
.cxcal {line-height: 1.4; white-space: normal}
.cxcal table {border-collapse: collapse; font-size: 13px; margin: 4px 0 10px 0}
.cxcal th, .cxcal td {padding: 4px 10px; text-align: right;
  border-bottom: 1px solid var(--cxroi-line, #dee2e6)}
.cxcal th {font-weight: 600; color: var(--cxroi-muted, #6c757d); font-size: 12px}
.cxcal th:first-child, .cxcal td:first-child {text-align: left}
.cxcal .muted {color: var(--cxroi-muted, #6c757d)}
.cxcal .cxroi-term {border-bottom: 1px dotted var(--cxroi-muted, #6c757d); cursor: help}
.cxcal .cxroi-error {color: var(--cxroi-bad, #c0392b); white-space: pre-wrap; font-weight: 600}
.cxcal .cxroi-note {color: var(--cxroi-muted, #6c757d)}
.cxcal a.cxroi-download {display: inline-block; padding: 6px 14px; border-radius: 4px;
  background: var(--cxroi-ink, #1d3557); color: white; text-decoration: none; font-weight: 600}
.cxcal a.cxroi-download:hover {background: #2a4a7a}
</style>
"""

#: Plain-word names of the fit's quantities and what each means (shown on hover).
TERMS = {
    "alpha": (
        "How churn-prone customers differ: shape \u03b1",
        "Shape of how churn-prone customers differ. \u03b1 and \u03b2 describe how each "
        "customer's chance of leaving varies across customers; the average chance of leaving "
        "in a year is \u03b1 / (\u03b1 + \u03b2). Small values mean customers differ a lot: "
        "the churn-prone leave early and retention rises with tenure.",
    ),
    "beta": (
        "How churn-prone customers differ: shape \u03b2",
        "Shape of how churn-prone customers differ. With \u03b1 it sets each customer's "
        "chance of leaving; a larger \u03b2 (against \u03b1) means customers are less "
        "likely to leave on average.",
    ),
    "retention": (
        "Retention rate after {tenure} renewals made",
        "Share of customers who have renewed {tenure} times that renew once more.",
    ),
    "lifetime": (
        "Discounted expected lifetime of a new customer (years)",
        "Years a newly won customer is expected to stay, later years counted less at the "
        "discount rate of {d} a year (Fader & Hardie's DEL).",
    ),
    "residual": (
        "Expected remaining lifetime of a current customer (discounted years)",
        "Further years a customer who has renewed {tenure} times is expected to stay, later "
        "years counted less at {d} a year (Fader & Hardie's DERL).",
    ),
    "clv": (
        "Lifetime value of a new customer ({currency})",
        "Margin of {margin} a year over the discounted expected lifetime (CLV).",
    ),
    "mape": (
        "Average error of the fit (%)",
        "Mean absolute percentage error: how far the model's survivors are from the observed "
        "ones, on average, over the years used in the fit (MAPE).",
    ),
    "backtest": (
        "Average error on later years held out (%)",
        "Fitted on years 0 to {fit} only, then compared with the years after: the test of "
        "how well each model forecasts (MAPE on held-out years).",
    ),
    "last": (
        "Error at the last observed year",
        "Forecast survivors against observed at the last year in the table "
        "(positive: the model expects too many).",
    ),
    "loglik": (
        "Goodness of fit (log-likelihood; higher is better)",
        "How probable the observed cohorts are under the fitted model.",
    ),
    "values": (
        "Fitted values",
        "sBG: the two shapes \u03b1 and \u03b2; constant retention: one rate r for everyone.",
    ),
}


def term(key: str, **values) -> str:
    """A plain-word label with its explanation on hover (``title``), as HTML.

    Parameters
    ----------
    key : str
        A key of :data:`TERMS`.
    **values
        Filled into the label and the explanation (``tenure``, ``d``, ...).

    Returns
    -------
    str
        ``<span class="cxroi-term" data-term=KEY title=EXPLANATION>LABEL</span>``.
    """
    label, hint = TERMS[key]
    return (
        f'<span class="cxroi-term" data-term="{key}" '
        f'title="{html.escape(hint.format(**values))}">{html.escape(label.format(**values))}'
        "</span>"
    )


def resolve(path: str | Path) -> Path:
    """Find a path as given, else relative to the repository (Voila runs in notebooks/)."""
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    return REPO_ROOT / p


# ---------------------------------------------------------------------------------------------
# Pure builders: charts
# ---------------------------------------------------------------------------------------------


def _style(chart, width: int, height: int):
    return (
        chart.properties(width=width, height=height)
        .configure(font=_FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(labelColor="#495057", titleColor="#495057", gridColor="#e9ecef")
        .configure_legend(orient="top", title=None, columnPadding=18, labelLimit=240)
    )


def _colour():
    return alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
        legend=alt.Legend(title=None),
    )


def _dash():
    return alt.StrokeDash(
        "series:N",
        scale=alt.Scale(domain=[SBG, CONSTANT], range=[[1, 0], [6, 4]]),
        legend=None,
    )


def _points(data, x, y, tooltip):
    """Observed points: filled when fitted, hollow when held out."""
    return (
        alt.Chart(data)
        .mark_point(size=40, strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            color=_colour(),
            fill=alt.condition(
                alt.datum.used == "fitted", alt.value(_COLOURS["observed"]), alt.value("white")
            ),
            shape=alt.Shape(
                "used:N",
                scale=alt.Scale(domain=["fitted", "held out"], range=["circle", "square"]),
                legend=None,  # explained in the caption under the charts
            ),
            tooltip=tooltip,
        )
    )


def survival_chart(
    fit: RetentionFit, horizon_periods: int | None = None, width: int = 420, height: int = 260
) -> alt.LayerChart:
    """Share of a cohort still active: observed, sBG with its interval band, constant retention.

    Parameters
    ----------
    fit : RetentionFit
        The fit to draw.
    horizon_periods : int, optional
        Last period drawn (default: 5 beyond the last observation).
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
        Band, two curves and the observed points (held-out ones hollow).
    """
    obs = fit.observed.copy()
    horizon = int(horizon_periods or obs["period"].max() + 5)
    shown = pd.unique(obs["cohort"])[:MAX_CHART_COHORTS]  # a readable, bounded chart
    obs = obs[obs["cohort"].isin(shown)]
    band = fit.survival_band(horizon)
    curves = pd.concat(
        [
            pd.DataFrame({"period": band.period, "share": band.sbg, "series": SBG}),
            pd.DataFrame({"period": band.period, "share": band.constant, "series": CONSTANT}),
        ]
    )
    size = obs.groupby("cohort")["observed"].transform("first")
    points = pd.DataFrame(
        {
            "period": obs.period,
            "share": obs.observed / size,
            "cohort": obs.cohort.astype(str),
            "used": np.where(obs.in_fit, "fitted", "held out"),
            "series": "observed",
        }
    )
    y_title = "share of cohort still active"
    y = alt.Y("share:Q", title=y_title, axis=alt.Axis(format="%"))
    x = alt.X("period:Q", title="years since acquisition")
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.18, color=_COLOURS[SBG])
        .encode(x=x, y=alt.Y("sbg_low:Q", title=y_title), y2="sbg_high:Q")
    )
    lines = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2)
        .encode(x=x, y=y, color=_colour(), strokeDash=_dash())
    )
    dots = _points(
        points, x, y, ["cohort:N", "period:Q", alt.Tooltip("share:Q", format=".1%"), "used:N"]
    )
    return _style(alt.layer(area, lines, dots), width, height)


def _observed_retention(fit: RetentionFit) -> pd.DataFrame:
    """Pooled observed retention S(t) / S(t - 1) over the cohorts observed at t."""
    obs = fit.observed
    rows = []
    for t in range(1, int(obs.period.max()) + 1):
        now = obs[obs.period == t]
        before = obs[(obs.period == t - 1) & obs.cohort.isin(now.cohort)]
        if before.observed.sum() > 0:
            rows.append(
                {
                    "tenure": t - 1,
                    "retention": now.observed.sum() / before.observed.sum(),
                    "used": "fitted" if bool(now.in_fit.all()) else "held out",
                    "series": "observed",
                }
            )
    return pd.DataFrame(rows, columns=["tenure", "retention", "used", "series"])


def retention_chart(
    fit: RetentionFit, horizon_periods: int | None = None, width: int = 420, height: int = 260
) -> alt.LayerChart:
    """Retention rate by renewals made: sBG rises with tenure, constant retention stays flat.

    Parameters
    ----------
    fit : RetentionFit
        The fit to draw.
    horizon_periods : int, optional
        Largest tenure drawn (default: 5 beyond the last observation).
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
        sBG retention (beta + k) / (alpha + beta + k) with its band, the constant rate, and the
        pooled observed rates.
    """
    horizon = int(horizon_periods or fit.observed["period"].max() + 5)
    k = np.arange(horizon)
    est, low, high, _, _ = fit.band(lambda a, b: sbg_retention(a[:, None], b[:, None], k + 1))
    band = pd.DataFrame({"tenure": k, "low": low, "high": high})
    curves = pd.concat(
        [
            pd.DataFrame({"tenure": k, "retention": est, "series": SBG}),
            pd.DataFrame(
                {
                    "tenure": k,
                    "retention": fit.constant.retention,
                    "series": CONSTANT,
                }
            ),
        ]
    )
    x = alt.X("tenure:Q", title="renewals made")
    y = alt.Y(
        "retention:Q",
        title="retention rate",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(zero=False),
    )
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.18, color=_COLOURS[SBG])
        .encode(
            x=x, y=alt.Y("low:Q", title="retention rate", scale=alt.Scale(zero=False)), y2="high:Q"
        )
    )
    lines = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2)
        .encode(x=x, y=y, color=_colour(), strokeDash=_dash())
    )
    dots = _points(
        _observed_retention(fit),
        x,
        y,
        ["tenure:Q", alt.Tooltip("retention:Q", format=".1%"), "used:N"],
    )
    return _style(alt.layer(area, lines, dots), width, height)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to an SVG string offline (vl_convert bundles Vega)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json())


# ---------------------------------------------------------------------------------------------
# Pure builders: HTML
# ---------------------------------------------------------------------------------------------


def _num(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "unbounded"
    return f"{x:,.{digits}g}"


def _row(label: str, i: Interval, se: float | None = None, money: bool = False) -> str:
    def fmt(x):
        return f"{x:,.0f}" if money and math.isfinite(x) else _num(x)

    lo = ("&le; " if i.open_low and i.low != 0 else "") + fmt(i.low)
    hi = ("&ge; " if i.open_high and not math.isinf(i.high) else "") + fmt(i.high)
    se_text = "" if se is None else _num(se, 3)
    return (
        f"<tr><td>{label}</td><td><b>{fmt(i.estimate)}</b></td><td>{se_text}</td>"
        f"<td>{lo}</td><td>{hi}</td></tr>"
    )


def summary_html(
    fit: RetentionFit, margin_per_year: float | None = None, currency: str = ""
) -> str:
    """Table of the sBG estimates and derived quantities with their intervals.

    Parameters
    ----------
    fit : RetentionFit
        The fit.
    margin_per_year : float, optional
        Margin of one customer per year [currency]; adds the CLV of a new customer.
    currency : str
        Shown beside the CLV.

    Returns
    -------
    str
        HTML.
    """
    sbg = fit.sbg
    lvl = f"{fit.level:.0%}"
    d = f"{fit.discount_rate:.1%}"
    tenure = fit.tenure
    rows = [
        _row(term("alpha"), fit.alpha, sbg.se_alpha),
        _row(term("beta"), fit.beta, sbg.se_beta),
        _row(term("retention", tenure=tenure), fit.retention_at_tenure),
        _row(term("lifetime", d=d), fit.lifetime),
        _row(term("residual", tenure=tenure, d=d), fit.residual_lifetime),
    ]
    if margin_per_year is not None and math.isfinite(margin_per_year):
        clv = fit.clv(margin_per_year)
        margin = f"{margin_per_year:,.0f} {currency}".strip()
        rows.append(_row(term("clv", currency=currency or "money", margin=margin), clv, money=True))
    status = (
        "the fit converged"
        if sbg.converged
        else '<span class="cxroi-error">the fit did not converge: '
        f"{html.escape(sbg.message)}</span>"
    )
    cohorts = html.escape(", ".join(fit.cohort_names))
    return (
        f"<div class='cxcal'><p>Fitted <b>{html.escape(fit.name)}</b> on "
        f"{len(fit.cohort_names)} cohort(s) ({cohorts}), years 0 to {fit.fit_periods}; "
        f"{term('loglik')}: {sbg.log_likelihood:,.2f}; {status}.</p>"
        f"<table><tr><th></th><th>Estimate</th><th>Standard error</th><th>{lvl} range: low</th>"
        f"<th>{lvl} range: high</th></tr>{''.join(rows)}</table>"
        f"<p class='cxroi-note'>Ranges hold the values the cohorts support at the {lvl} level "
        "(profile likelihood). Lifetimes count later years less at the discount rate "
        f"({d} a year), as in Fader &amp; Hardie (2010). Hover a label for its meaning.</p></div>"
    )


def comparison_html(cal: Calibration, fit: RetentionFit) -> str:
    """Compare sBG with constant retention: in-sample fit and backtest on held-out years."""
    rows = [
        "<tr><th></th><th>Customers differ (sBG)</th><th>Same retention for all</th></tr>",
        f"<tr><td>{term('values')}</td>"
        f"<td>\u03b1 {fit.sbg.alpha:.4g}, \u03b2 {fit.sbg.beta:.4g}</td>"
        f"<td>r = {fit.constant.retention:.4f}</td></tr>",
        f"<tr><td>{term('loglik')}</td><td>{fit.sbg.log_likelihood:,.2f}</td>"
        f"<td>{fit.constant.log_likelihood:,.2f}</td></tr>",
        f"<tr><td>{term('mape')}</td><td>{share_text(fit.mape_sbg)}</td>"
        f"<td>{share_text(fit.mape_constant)}</td></tr>",
    ]
    bt = cal.backtest
    if bt is not None:
        rows += [
            f"<tr><td>{term('backtest', fit=bt.fit_periods)}</td>"
            f"<td>{share_text(bt.mape_sbg)}</td><td>{share_text(bt.mape_constant)}</td></tr>",
            f"<tr><td>{term('last')}</td>"
            f"<td>{bt.last_period_error_sbg:+.1%}</td>"
            f"<td>{bt.last_period_error_constant:+.1%}</td></tr>",
        ]
    return f"<div class='cxcal'><table>{''.join(rows)}</table></div>"


def observed_html(fit: RetentionFit) -> str:
    """Observed against fitted survivors, one row per cohort and year."""
    lvl = f"{fit.level:.0%}"
    head = (
        "<tr><th>Cohort</th><th>Year</th><th>Observed</th><th>Customers differ (sBG)</th>"
        f"<th>{lvl} range</th><th>Same retention for all</th><th></th></tr>"
    )
    rows = [
        f"<tr><td>{html.escape(str(r.cohort))}</td><td>{r.period}</td>"
        f"<td>{r.observed:,.0f}</td><td>{r.sbg:,.1f}</td>"
        f"<td>{r.sbg_low:,.1f} &ndash; {r.sbg_high:,.1f}</td><td>{r.constant:,.1f}</td>"
        f"<td class='muted'>{'' if r.in_fit else 'held out'}</td></tr>"
        for r in fit.observed.iloc[:MAX_TABLE_ROWS].itertuples()
    ]
    more = len(fit.observed) - MAX_TABLE_ROWS
    note = (
        f"<p class='cxroi-note'>Showing the first {MAX_TABLE_ROWS} rows of "
        f"{len(fit.observed):,}.</p>"
        if more > 0
        else ""
    )
    return f"<div class='cxcal'><table>{head}{''.join(rows)}</table>{note}</div>"


def _download_html(text: str, filename: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<div class="cxcal"><a class="cxroi-download" download="{html.escape(filename)}" '
        f'href="data:application/x-yaml;base64,{data}">Download {html.escape(filename)}</a></div>'
    )


def _error_html(message: str) -> str:
    return f'<div class="cxcal"><div class="cxroi-error">{html.escape(message)}</div></div>'


# ---------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------


def _card(title: str, *children):
    """A titled card in the dashboard's theme (``cxroi-card``, ``cxroi-card-title``)."""
    import ipywidgets as W

    card = W.VBox([W.HTML(f'<div class="cxroi-card-title">{html.escape(title)}</div>'), *children])
    card.add_class("cxroi-card")
    return card


def _side_by_side(*cards):
    """Cards in one row of equal columns (the page's chart and table rows)."""
    import ipywidgets as W

    columns = f"repeat({len(cards)}, minmax(0, 1fr))"
    row = W.GridBox(list(cards), layout=W.Layout(grid_template_columns=columns, grid_gap="12px"))
    row.add_class("cxroi-charts")
    return row


class CalibrationApp:
    """Widgets to calibrate sBG retention from a cohort table and download the scenario.

    Parameters
    ----------
    csv_path : str, optional
        Cohort table shown first (relative paths are tried from the working folder, then from
        the repository).
    scenario_path : str, optional
        Scenario whose segment receives the fit in the download.
    segment : str, optional
        Segment of that scenario (default: its first).
    tenure : int
        Renewals the segment's current customers have made.
    fit_periods : int, optional
        Fit years 0..fit_periods (default: all).
    discount_rate : float, optional
        For DEL, DERL and CLV (default: the scenario's, else 0.10).
    level : float
        Interval level.

    Examples
    --------
    In a notebook, leave ``app`` as a cell's last expression to show the page.

    >>> app = CalibrationApp("scenarios/data/fader_hardie_2007_regular.csv")
    >>> type(app.widget).__name__
    'VBox'

    The page fits on open; on years 0..7 it gives Fader & Hardie's (2007) published estimates
    for the regular segment, alpha 0.704 and beta 1.182:

    >>> bt = app.calibration.backtest
    >>> bt.fit_periods, round(bt.alpha, 3), round(bt.beta, 3)
    (7, 0.704, 1.182)
    >>> "0.6974" in app.summary.value  # the page shows the fit on all 12 years
    True
    """

    def __init__(
        self,
        csv_path: str | None = "scenarios/data/fader_hardie_2007_regular.csv",
        scenario_path: str | None = "scenarios/retail_bank.yaml",
        segment: str | None = None,
        tenure: int = 0,
        fit_periods: int | None = None,
        discount_rate: float | None = None,
        level: float = 0.95,
    ):
        import ipywidgets as W

        self._uploads: dict[str, bytes] = {}
        self.calibration: Calibration | None = None
        data_dir = REPO_ROOT / "scenarios" / "data"
        tables = {p.name: str(p) for p in sorted(data_dir.glob("*.csv"))}
        if csv_path:
            given = resolve(csv_path)
            tables = {given.name: str(given), **tables}
        scenarios = {p.name: str(p) for p in sorted((REPO_ROOT / "scenarios").glob("*.yaml"))}
        chosen = ""
        if scenario_path:
            # Absolute, so that the choice matches a bundled scenario's entry whatever the cwd.
            given = resolve(scenario_path).resolve()
            chosen = str(given)
            others = {k: v for k, v in scenarios.items() if k != given.name}
            scenarios = {given.name: chosen, **others}
        wide = {"description_width": "initial"}
        self.source = W.Dropdown(
            options=list(tables.items()),
            description="Cohort table",
            style=wide,
            layout=W.Layout(width="400px"),
        )
        self.upload = W.FileUpload(accept=".csv", multiple=False, description="Upload CSV")
        self.cohort = W.Dropdown(options=[POOLED], description="Cohorts to fit", style=wide)
        self.fit_periods = W.BoundedIntText(
            value=0, min=0, max=200, description="Fit on years 0 to (0 = all)", style=wide
        )
        self.discount = W.BoundedFloatText(
            value=0.10, min=0.001, max=1.0, step=0.01, description="Discount rate", style=wide
        )
        self.tenure = W.BoundedIntText(
            value=int(tenure),
            min=0,
            max=200,
            description="Renewals made by current customers",
            style=wide,
        )
        self.scenario = W.Dropdown(
            options=[("(none)", "")] + list(scenarios.items()),
            value=chosen,
            description="Scenario",
            style=wide,
        )
        self.segment = W.Dropdown(options=[], description="Segment", style=wide)
        self.status = W.HTML()
        self.survival = W.HTML()
        self.retention = W.HTML()
        self.summary = W.HTML()
        self.comparison = W.HTML()
        self.table = W.HTML()
        self.download = W.HTML()
        self.level = float(level)
        self._discount_given = discount_rate is not None
        if discount_rate is not None:
            self.discount.value = float(discount_rate)
        if fit_periods:
            self.fit_periods.value = int(fit_periods)
        self._busy = False
        self._load_segments(segment)
        details = W.Accordion(children=[self.table])
        details.set_title(0, "Observed against fitted survivors, year by year")
        details.selected_index = None
        header = W.HBox(
            [
                W.HTML(
                    '<div class="cxroi-title">Retention calibration</div>'
                    '<div class="cxroi-subtitle">How long customers stay, fitted to your own '
                    "cohorts</div>"
                )
            ]
        )
        header.add_class("cxroi-header")
        intro = W.HTML(
            "<div class='cxroi-headline'>Pick a cohort table or upload your own CSV (long: "
            "<code>cohort, period, active</code>; wide: <code>cohort, 0, 1, 2, ...</code>). "
            "The page fits a model in which customers differ in how likely they are to leave "
            "(the shifted-beta-geometric model of Fader &amp; Hardie, 2007), compares it with "
            "the same retention for every customer on years held out, and downloads the "
            "scenario with the fitted retention.</div>"
        )
        self.survival.add_class("cxroi-chart")
        self.retention.add_class("cxroi-chart")
        charts = _side_by_side(
            _card("Share of a cohort still active", self.survival),
            _card("Retention rate by renewals made", self.retention),
        )
        tables = _side_by_side(
            _card("Estimates", self.summary),
            _card("Customers differ against the same retention for all", self.comparison),
        )
        body = W.VBox(
            [
                intro,
                _card(
                    "Cohorts and settings",
                    W.HBox([self.source, self.upload, self.cohort]),
                    W.HBox([self.fit_periods, self.discount, self.tenure]),
                    self.status,
                ),
                charts,
                W.HTML(
                    "<div class='cxcal cxroi-note'>Filled circles: years used in the fit; "
                    "hollow squares: later years held out. Shaded: the range the cohorts "
                    f"support for the fitted curve ({self.level:.0%}, profile likelihood).</div>"
                ),
                tables,
                details,
                _card(
                    "Scenario with the fitted retention",
                    W.HBox([self.scenario, self.segment]),
                    self.download,
                ),
            ]
        )
        body.add_class("cxroi-calibration-body")
        self.widget = W.VBox([W.HTML(_CSS), header, body])
        self.widget.add_class("cxroi-app")
        self.widget.add_class("cxroi-calibration")
        self.source.observe(self._on_source, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.scenario.observe(self._on_scenario, names="value")
        for w in (self.cohort, self.fit_periods, self.discount, self.tenure, self.segment):
            w.observe(self._on_change, names="value")
        self.refresh(new_table=True)

    # -- callbacks: read widgets, call pure functions, set values ---------------------------
    def _on_source(self, change) -> None:
        self.refresh(new_table=True)

    def _on_upload(self, change) -> None:
        from cxroi.analysis.calibration.cohorts import MAX_TABLE_BYTES

        for item in change["new"] or ():
            raw_name = "".join(ch for ch in str(item.get("name", "upload")) if ch.isprintable())
            if len(raw_name) > MAX_UPLOAD_NAME:
                raw_name = raw_name[: MAX_UPLOAD_NAME - 3] + "..."
            name = f"uploaded: {raw_name or 'upload'}"
            try:
                content = bytes(item["content"])
            except (KeyError, TypeError, ValueError):
                self.status.value = _error_html(f"{raw_name}: the upload has no file content")
                continue
            if len(content) > MAX_TABLE_BYTES:
                self.status.value = _error_html(
                    f"{raw_name}: file of {len(content):,} bytes is larger than "
                    f"{MAX_TABLE_BYTES:,} bytes (limit MAX_TABLE_BYTES); nothing was read"
                )
                continue
            self._uploads[name] = content
            options = [o for o in self.source.options if o[0] != name]
            self.source.options = [(name, name), *options]
            self.source.value = name  # triggers refresh

    def _on_scenario(self, change) -> None:
        self._load_segments(None)
        self.refresh()

    def _on_change(self, change) -> None:
        self.refresh()

    def _load_segments(self, segment: str | None) -> None:
        from cxroi.model.distributions import base_float
        from cxroi.model.scenario import ScenarioError, load_scenario

        self._scenario = None
        names: list[str] = []
        if self.scenario.value:
            try:
                self._scenario = load_scenario(self.scenario.value)
                names = self._scenario.segment_names
                if not self._discount_given:
                    self.discount.value = base_float(self._scenario.discount_rate)
            except ScenarioError as exc:
                self.status.value = _error_html(str(exc))
        self.segment.options = names
        if names:
            self.segment.value = segment if segment in names else names[0]

    def _table(self):
        key = self.source.value
        if key in self._uploads:  # content is parsed as a CSV table, never taken as a path
            return read_cohorts(self._uploads[key], name=key.removeprefix("uploaded: "))
        if isinstance(key, str) and key.startswith("uploaded: "):
            raise CalibrationError(f"{key}: the upload is no longer held; upload it again")
        return read_cohorts(key)

    def _margin(self) -> tuple[float | None, str]:
        from cxroi.model.distributions import base_float

        if self._scenario is None or not self.segment.value:
            return None, ""
        seg = {s.name: s for s in self._scenario.segments}[self.segment.value]
        revenue = base_float(seg.wallet) * base_float(seg.share_of_wallet)
        margin = revenue * base_float(seg.gross_margin) - base_float(seg.cost_to_serve)
        return margin, self._scenario.currency

    def refresh(self, new_table: bool = False) -> None:
        """Recompute the fit from the widgets and redraw everything."""
        if self._busy:
            return
        self._busy = True
        try:
            self._refresh(new_table)
        finally:
            self._busy = False

    def _refresh(self, new_table: bool) -> None:
        from cxroi.model.scenario import ScenarioError

        try:
            table = self._table()
            if new_table:
                self.cohort.options = [POOLED, *table.names]
                self.cohort.value = POOLED
                if self.fit_periods.value > table.n_periods:
                    self.fit_periods.value = 0
            fit_periods = self.fit_periods.value or None
            calibration = self.calibration = calibrate(
                table,
                fit_periods=fit_periods,
                discount_rate=float(self.discount.value),
                tenure=int(self.tenure.value),
                level=self.level,
            )
            fit = calibration.fit(self.cohort.value)
        except Exception as exc:  # noqa: BLE001 - the page never shows a traceback
            self.calibration = None
            if isinstance(exc, (CalibrationError, ScenarioError)):
                message = str(exc)
            else:
                message = (
                    f"this table could not be calibrated ({type(exc).__name__}); check that "
                    "it is a cohort table with columns cohort, period, active"
                )
            self.status.value = _error_html(message)
            for w in (self.survival, self.retention, self.summary, self.comparison, self.table):
                w.value = ""
            self.download.value = ""
            return
        self.status.value = ""
        margin, currency = self._margin()
        self.survival.value = chart_svg(survival_chart(fit, width=CHART_WIDTH))
        self.retention.value = chart_svg(retention_chart(fit, width=CHART_WIDTH))
        self.summary.value = summary_html(fit, margin, currency)
        self.comparison.value = comparison_html(calibration, fit)
        self.table.value = observed_html(fit)
        self.download.value = self._download(fit, calibration.table)

    def _download(self, fit: RetentionFit, table: CohortTable) -> str:
        from cxroi.model.scenario import ScenarioError

        if not self.scenario.value or not self.segment.value:
            return "<p class='cxroi-note'>Pick a scenario and a segment to download it.</p>"
        try:
            text, _ = scenario_with_retention(
                self.scenario.value,
                fit,
                segment=self.segment.value,
                tenure=int(self.tenure.value),
                table=table,
                scenario_label=Path(self.scenario.value).name,
            )
        except (CalibrationError, ScenarioError) as exc:
            return _error_html(str(exc))
        return _download_html(text, f"{Path(self.scenario.value).stem}-calibrated.yaml")

    # -- display ----------------------------------------------------------------------------
    def report(self) -> str:
        """The plain-text report of the current fit (as ``cxroi calibrate`` prints it)."""
        if self.calibration is None:
            return "no fit"
        return format_calibration(self.calibration, self.cohort.value)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = self.report()  # what papermill and nbconvert keep
        return bundle
