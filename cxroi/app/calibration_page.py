"""Voila page for retention calibration: cohort table in, fitted sBG and a scenario out.

The notebook ``notebooks/retention_calibration.ipynb`` only builds a :class:`CalibrationApp`
and shows it. Everything here is presentation: the fitting is
:func:`cxroi.analysis.calibration.calibrate`,
the scenario text :func:`cxroi.analysis.calibration.scenario_with_retention`. Charts are Altair
specifications rendered to static SVG by ``vl_convert`` in the kernel and shown in an
``ipywidgets.HTML``, so the page needs no JavaScript library from the network.

The pure builders (fit in, chart or HTML out) are in :mod:`cxroi.app.calibration_charts` and
:mod:`cxroi.app.calibration_html` (re-exported here); the widget class below only reads its
widgets, calls them and sets HTML values.
"""

from __future__ import annotations

import html
from pathlib import Path

from cxroi import bundle
from cxroi.analysis.calibration import (
    POOLED,
    Calibration,
    CalibrationError,
    CohortTable,
    RetentionFit,
    calibrate,
    format_calibration,
    read_cohorts,
    scenario_with_retention,
)
from cxroi.app.calibration_charts import (
    CONSTANT,
    MAX_CHART_COHORTS,
    SBG,
    chart_svg,
    retention_chart,
    survival_chart,
)
from cxroi.app.calibration_html import (
    MAX_TABLE_ROWS,
    PAGE_CSS,
    TERMS,
    comparison_html,
    download_html,
    error_html,
    observed_html,
    summary_html,
    term,
)
from cxroi.model.fields import path_label

__all__ = [
    "CONSTANT",
    "MAX_CHART_COHORTS",
    "MAX_TABLE_ROWS",
    "SBG",
    "TERMS",
    "CalibrationApp",
    "chart_svg",
    "comparison_html",
    "observed_html",
    "retention_chart",
    "summary_html",
    "survival_chart",
    "term",
]

#: Relative paths (``scenarios/data/...``) are read against the bundled files
#: (:mod:`cxroi.bundle`; the repository's ``scenarios/`` in a checkout).
REPO_ROOT = bundle.bundle_root().resolve()
#: Width of the page's charts [px]; they shrink to their card on narrow screens.
CHART_WIDTH = 600
#: Characters of an uploaded file's name kept in labels and messages.
MAX_UPLOAD_NAME = 80


def resolve(path: str | Path) -> Path:
    """Find a path as given, else relative to the repository (Voila runs in notebooks/)."""
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    return REPO_ROOT / p


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
            value=0.10, min=0.001, max=1.0, step=0.01, style=wide,
            description=path_label("discount_rate"),
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
        self.widget = W.VBox([W.HTML(PAGE_CSS), header, body])
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
                self.status.value = error_html(f"{raw_name}: the upload has no file content")
                continue
            if len(content) > MAX_TABLE_BYTES:
                self.status.value = error_html(
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
                self.status.value = error_html(str(exc))
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
            self.status.value = error_html(message)
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
            return error_html(str(exc))
        return download_html(text, f"{Path(self.scenario.value).stem}-calibrated.yaml")

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
