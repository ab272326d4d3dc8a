"""Voila page for retention calibration: cohort table in, fitted sBG and a scenario out.

The notebook ``notebooks/retention_calibration.ipynb`` only builds a :class:`CalibrationApp`
and shows it. Everything here is presentation: the fitting is
:func:`cxroi.analysis.calibration.calibrate`,
the scenario text :func:`cxroi.analysis.calibration.scenario_with_retention`. Charts are Altair
specifications rendered to static SVG by ``vl_convert`` in the kernel and shown in an
``ipywidgets.HTML``, so the page needs no JavaScript library from the network.

Pure builders (fit in, chart or HTML out) come first; the widget class at the end only reads
its widgets, calls them and sets HTML values.
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
    Interval,
    RetentionFit,
    calibrate,
    format_calibration,
    read_cohorts,
    scenario_with_retention,
)
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
#: Characters of an uploaded file's name kept in labels and messages.
MAX_UPLOAD_NAME = 80

_COLOURS = {"sBG fit": "#1d3557", "constant retention": "#e9a23b", "observed": "#2a9d8f"}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_CSS = """
<style>
.cxcal table {border-collapse: collapse; font-size: 13px; margin: 4px 0 10px 0}
.cxcal th, .cxcal td {padding: 3px 10px; text-align: right; border-bottom: 1px solid #e9ecef}
.cxcal th:first-child, .cxcal td:first-child {text-align: left}
.cxcal .muted {color: #6c757d}
.cxcal .cxroi-error {color: #c0392b; white-space: pre-wrap; font-weight: 600}
.cxcal .cxroi-note {color: #6c757d}
.cxcal a.cxroi-download {display: inline-block; padding: 6px 14px; border-radius: 4px;
  background: #1d3557; color: white; text-decoration: none; font-weight: 600}
.cxcal a.cxroi-download:hover {background: #2a4a7a}
</style>
"""


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
        .configure_legend(orient="top", title=None)
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
        scale=alt.Scale(domain=["sBG fit", "constant retention"], range=[[1, 0], [6, 4]]),
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
            pd.DataFrame({"period": band.period, "share": band.sbg, "series": "sBG fit"}),
            pd.DataFrame(
                {"period": band.period, "share": band.constant, "series": "constant retention"}
            ),
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
        .mark_area(opacity=0.18, color=_COLOURS["sBG fit"])
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
    est, low, high, _, _ = fit.interval(lambda a, b: sbg_retention(a[:, None], b[:, None], k + 1))
    band = pd.DataFrame({"tenure": k, "low": low, "high": high})
    curves = pd.concat(
        [
            pd.DataFrame({"tenure": k, "retention": est, "series": "sBG fit"}),
            pd.DataFrame(
                {
                    "tenure": k,
                    "retention": fit.constant.retention,
                    "series": "constant retention",
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
        .mark_area(opacity=0.18, color=_COLOURS["sBG fit"])
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


def chart_svg(chart) -> str:
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
    rows = [
        _row("alpha", fit.alpha, sbg.se_alpha),
        _row("beta", fit.beta, sbg.se_beta),
        _row(f"retention at {fit.tenure} renewals made", fit.retention_at_tenure),
        _row(f"DEL, new customer [years, d = {d}]", fit.lifetime),
        _row(f"DERL after {fit.tenure} renewals [years, d = {d}]", fit.residual_lifetime),
    ]
    if margin_per_year is not None and math.isfinite(margin_per_year):
        clv = fit.clv(margin_per_year)
        rows.append(
            _row(
                f"CLV of a new customer [{html.escape(currency)}; margin "
                f"{margin_per_year:,.0f} a year]",
                clv,
                money=True,
            )
        )
    status = (
        "converged"
        if sbg.converged
        else f'<span class="cxroi-error">not converged: {html.escape(sbg.message)}</span>'
    )
    cohorts = html.escape(", ".join(fit.cohort_names))
    return (
        f"<div class='cxcal'><p>sBG fit <b>{html.escape(fit.name)}</b> on "
        f"{len(fit.cohort_names)} cohort(s) ({cohorts}), periods 0..{fit.fit_periods}; "
        f"log-likelihood {sbg.log_likelihood:,.2f}; {status}.</p>"
        f"<table><tr><th></th><th>estimate</th><th>std err</th><th>{lvl} low</th>"
        f"<th>{lvl} high</th></tr>{''.join(rows)}</table>"
        "<p class='cxroi-note'>Intervals are profile-likelihood intervals; DEL and DERL as in "
        "Fader &amp; Hardie (2010).</p></div>"
    )


def comparison_html(cal: Calibration, fit: RetentionFit) -> str:
    """Compare sBG with constant retention: in-sample fit and backtest on held-out years."""
    rows = [
        "<tr><th></th><th>sBG</th><th>constant retention</th></tr>",
        f"<tr><td>parameters</td><td>alpha {fit.sbg.alpha:.4g}, beta {fit.sbg.beta:.4g}</td>"
        f"<td>r = {fit.constant.retention:.4f}</td></tr>",
        f"<tr><td>log-likelihood</td><td>{fit.sbg.log_likelihood:,.2f}</td>"
        f"<td>{fit.constant.log_likelihood:,.2f}</td></tr>",
        f"<tr><td>MAPE on fitted years</td><td>{_pct(fit.mape_sbg)}</td>"
        f"<td>{_pct(fit.mape_constant)}</td></tr>",
    ]
    bt = cal.backtest
    if bt is not None:
        rows += [
            f"<tr><td>backtest: fitted on years 0..{bt.fit_periods}, MAPE on later years</td>"
            f"<td>{_pct(bt.mape_sbg)}</td><td>{_pct(bt.mape_constant)}</td></tr>",
            f"<tr><td>backtest: error at the last observed year</td>"
            f"<td>{bt.last_period_error_sbg:+.1%}</td>"
            f"<td>{bt.last_period_error_constant:+.1%}</td></tr>",
        ]
    return f"<div class='cxcal'><table>{''.join(rows)}</table></div>"


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.1%}"


def observed_html(fit: RetentionFit) -> str:
    """Observed against fitted survivors, one row per cohort and year."""
    lvl = f"{fit.level:.0%}"
    head = (
        "<tr><th>cohort</th><th>year</th><th>observed</th><th>sBG</th>"
        f"<th>{lvl} interval</th><th>constant</th><th></th></tr>"
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
            options=list(tables.items()), description="Cohort table", style=wide
        )
        self.upload = W.FileUpload(accept=".csv", multiple=False, description="Upload CSV")
        self.cohort = W.Dropdown(options=[POOLED], description="Fit cohorts", style=wide)
        self.fit_periods = W.BoundedIntText(
            value=0, min=0, max=200, description="Fit years 0.. (0 = all)", style=wide
        )
        self.discount = W.BoundedFloatText(
            value=0.10, min=0.001, max=1.0, step=0.01, description="Discount rate", style=wide
        )
        self.tenure = W.BoundedIntText(
            value=int(tenure), min=0, max=200, description="Tenure (renewals made)", style=wide
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
        details.set_title(0, "Observed against fitted survivors")
        details.selected_index = None
        self.widget = W.VBox(
            [
                W.HTML(_CSS),
                W.HBox([self.source, self.upload, self.cohort]),
                W.HBox([self.fit_periods, self.discount, self.tenure]),
                self.status,
                W.HBox([self.survival, self.retention]),
                W.HTML(
                    "<div class='cxcal cxroi-note'>Filled circles: years used in the fit; "
                    "hollow squares: later years held out. Shaded: the sBG curve's "
                    f"{self.level:.0%} profile-likelihood interval.</div>"
                ),
                W.HTML("<h3>Estimates</h3>"),
                self.summary,
                W.HTML("<h3>sBG against constant retention</h3>"),
                self.comparison,
                details,
                W.HTML("<h3>Scenario with the fitted retention</h3>"),
                W.HBox([self.scenario, self.segment]),
                self.download,
            ]
        )
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
        from cxroi.analysis.calibration import MAX_TABLE_BYTES

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
        from cxroi.model.scenario import ScenarioError, base_value, load_scenario

        self._scenario = None
        names: list[str] = []
        if self.scenario.value:
            try:
                self._scenario = load_scenario(self.scenario.value)
                names = self._scenario.segment_names
                if not self._discount_given:
                    self.discount.value = float(base_value(self._scenario.discount_rate))
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
        from cxroi.model.scenario import base_value

        if self._scenario is None or not self.segment.value:
            return None, ""
        seg = {s.name: s for s in self._scenario.segments}[self.segment.value]
        margin = base_value(seg.wallet) * base_value(seg.share_of_wallet) * base_value(
            seg.gross_margin
        ) - base_value(seg.cost_to_serve)
        return float(margin), self._scenario.currency

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
            self.calibration = calibrate(
                table,
                fit_periods=fit_periods,
                discount_rate=float(self.discount.value),
                tenure=int(self.tenure.value),
                level=self.level,
            )
            fit = self.calibration.fit(self.cohort.value)
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
        self.survival.value = chart_svg(survival_chart(fit))
        self.retention.value = chart_svg(retention_chart(fit))
        self.summary.value = summary_html(fit, margin, currency)
        self.comparison.value = comparison_html(self.calibration, fit)
        self.table.value = observed_html(fit)
        self.download.value = self._download(fit)

    def _download(self, fit: RetentionFit) -> str:
        from cxroi.model.scenario import ScenarioError

        if not self.scenario.value or not self.segment.value:
            return "<p class='cxroi-note'>Pick a scenario and a segment to download it.</p>"
        try:
            text, _ = scenario_with_retention(
                self.scenario.value,
                fit,
                segment=self.segment.value,
                tenure=int(self.tenure.value),
                table=self.calibration.table,
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
