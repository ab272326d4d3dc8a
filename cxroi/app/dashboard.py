"""The executive dashboard: inputs for every scenario field, KPIs, TEI table and charts.

ipywidgets inputs for every scenario field, KPI cards, the TEI table and five charts that
update on every change.

Flow of one change (see ``docs/dashboard.md``)::

    widget value -> parse (fields.parse_value) -> candidate mapping
        -> cxroi.load_scenario (rules, field paths) -> cxroi.evaluate
        -> KPI/table HTML + chart data rows -> widget state

Nothing is decided here about the economics: the callbacks only read widgets, call the
engine and write widget state. A value the engine refuses leaves the last valid case on
screen and shows the message next to the field (class ``cxroi-error``).

Charts travel as widget state too (no ``Output`` widget, see voila#1428): each chart is an
``ipywidgets.HTML`` holding its Vega-Lite specification and data rows, drawn in the browser by
the Vega bundle served with the page. The specification is built once per layout; an update
sends only new rows, and the page swaps the data of the live view.

Size: this module is larger than the ~800 lines the package aims at because the widget tree, its
callbacks and the live chart updates are being changed by several pieces of work at once; it is to
be split (inputs, KPI panel, charts, versions) once they land. Its widget-free parts already live in
cxroi.app.fields, cxroi.app.views and cxroi.app.session.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import html
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import traitlets
import yaml
from ipywidgets.widgets.widget_int import SliderStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

import cxroi
from cxroi.app import tei_inputs, views
from cxroi.app.fields import (
    CASE_FIELDS,
    DIST_HELP,
    DIST_KINDS,
    EFFECT_FIELDS,
    INITIATIVE_FIELDS,
    SBG_FIELDS,
    SEGMENT_FIELDS,
    FieldParseError,
    FieldSpec,
    css_class,
    describe_distribution,
    format_distribution,
    format_value,
    is_distribution,
    move_base,
    parse_distribution,
    parse_value,
    pct_reading,
)
from cxroi.app.goalseek_bar import GoalSeekBar
from cxroi.app.kernel_log import keep_logs_off_the_page
from cxroi.app.session import Session, bridge_table, versions_table
from cxroi.app.timelimit import TimeLimitExceeded, default_time_limit, time_limit
from cxroi.app.uncertainty_view import UncertaintyView
from cxroi.model.scenario import EVIDENCE_KEYS, FIELD_RULES, base_value, parse_yaml, read_yaml
from cxroi.present import charts
from cxroi.present.headline import headline, switching_recovery

__all__ = ["Dashboard", "FieldInput"]

log = logging.getLogger(__name__)

#: Largest scenario file accepted by the upload button [bytes].
MAX_UPLOAD_BYTES = 1_000_000

#: Chart key -> (data function, chart builder(data, currency, width, height)).
CHARTS: dict[str, tuple[Callable, Callable]] = {
    "cashflow": (charts.cashflow_data, charts.cashflow_chart),
    "bridge": (charts.bridge_data, charts.bridge_chart),
    "initiatives": (charts.initiative_data, charts.initiative_chart),
    "clv": (charts.clv_data, charts.clv_chart),
    "customers": (
        lambda case, currency: charts.customers_data(case),
        lambda data, currency, width, height: charts.customers_chart(data, width, height),
    ),
}

#: Longest part of a file or value repeated in a message [characters].
MAX_ECHO = 60

#: Plain message for a failure the dashboard did not foresee (details go to the log).
UNEXPECTED = "That change could not be applied; the last valid case stays on screen."

#: Plain message for a change or run stopped at the time limit (seconds filled in).
TIMED_OUT = (
    "Stopped: that took longer than {seconds:g} seconds, so the dashboard gave up on it. "
    "The last valid case stays on screen."
)

#: Plain message for a change or run interrupted from outside the page.
INTERRUPTED = "Stopped: that change was interrupted. The last valid case stays on screen."

#: Plain message for values whose results are too large for the engine.
OVERFLOW = "These values give results too large to compute; the last valid case stays on screen."

#: Quiet time after a change before the NPV card's Monte Carlo re-runs [s].
AUTO_MC_DELAY = 0.4

#: Chart size [px] by mode.
CHART_SIZE = {False: (370, 210), True: (580, 280)}

_MISSING = object()


# ------------------------------------------------------------------------ mapping helpers
def _get(mapping: Any, keys: tuple) -> Any:
    node = mapping
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = _unwrap_evidence(node[key])
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = _unwrap_evidence(node[key])
        else:
            return _MISSING
    return node


def _unwrap_evidence(value: Any) -> Any:
    """The value of an input written with its evidence ``{value, source, note, as_of}``."""
    if isinstance(value, dict) and "value" in value and set(value) <= set(EVIDENCE_KEYS):
        return value["value"]
    return value


def _set(mapping: dict, keys: tuple, value: Any) -> None:
    node = mapping
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[key]
        else:
            node = node.setdefault(key, {})
    if value is None:
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


def _effective(scenario: Any, keys: tuple) -> Any:
    """Value in force for ``keys`` (defaults included), read from the validated scenario."""
    node = scenario
    for key in keys:
        if isinstance(key, int):
            node = node[key]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            node = getattr(node, key, None)
        if node is None:
            return None
    return base_value(node)


def _unique(name: str, taken: list[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"


def _finite(value: Any) -> bool:
    try:
        return value is None or bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return True


def _names_distribution(text: Any) -> bool:
    """Whether typed text starts with a distribution kind (``"pert 10%; 25%; 35%"``)."""
    if not isinstance(text, str):
        return False
    word = re.match(r"\s*([A-Za-z]+)", text)
    return bool(word) and word.group(1).lower() in DIST_KINDS


def _bounds(key: str) -> tuple[float, float] | None:
    rule = FIELD_RULES.get(key)
    return rule.clip_bounds() if rule is not None else None


def _echo_number(value: float) -> str:
    """A field value in a sentence: 4 significant digits, thousands separators for amounts."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _echo(value: Any) -> str:
    """``value`` as text for a message, cut to :data:`MAX_ECHO` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def _issue_text(issue: Any) -> str:
    """An issue's rule and value in plain words, without its field path."""
    rule = getattr(issue, "rule", None)
    if rule is None:
        return str(issue)
    value = getattr(issue, "value", _MISSING)
    # A distribution's parameters are in its own input already: no mapping echoed.
    omit = value is _MISSING or type(value).__name__ == "object" or isinstance(value, dict)
    shown = "" if omit else _echo(value)
    return rule + (f" (got {shown})" if shown else "")


# ------------------------------------------------------------------------------ one input
class SafeText(W.Text):
    """Text box whose value is always a string.

    A browser can send any JSON value over the websocket. :class:`ipywidgets.Text` would
    raise a ``TraitError`` inside the comm for a non-string (the traceback goes to the page);
    here a wrong-type value is dropped (the text stays as it was) and ``on_reject`` is
    called with the type's name, so the page can say so in plain words.
    """

    value = traitlets.Any("", help="String value").tag(sync=True)

    def __init__(self, *args, on_reject: Callable | None = None, **kwargs):
        self._on_reject = on_reject
        super().__init__(*args, **kwargs)

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict) -> str:
        value = proposal["value"]
        if isinstance(value, str):
            self._last_text = value
            return value
        old = proposal["owner"]._trait_values.get("value", "")
        old = old if isinstance(old, str) and old else self.__dict__.get("_last_text", old)
        if getattr(self, "_on_reject", None) is not None:
            self._on_reject(type(value).__name__)
        return old if isinstance(old, str) else ""


class _Kit:
    """Layouts and styles shared by all inputs: one widget model each instead of one per input.

    The page creates every model before it shows anything: fewer models, faster first render.
    """

    def __init__(self):
        self.label = W.Layout(width="140px")
        self.entry = W.Layout(width="100px")
        self.cell = W.Layout(width="72px")
        self.slider = W.Layout(width="110px")
        self.box = W.Layout()
        self.html = HTMLStyle()
        self.text = TextStyle()
        self.slider_style = SliderStyle()


class FieldInput:
    """One input: label (benchmark marker), optional slider, typed entry, error message.

    Parameters
    ----------
    spec : FieldSpec
        What the field is.
    keys : tuple
        Where its value lives in the scenario mapping (``("segments", 0, "wallet")``).
    path : str
        Field path as in error messages (``segments[Mass market].wallet``).
    on_change : callable
        ``on_change(field, text)`` with the typed text (the slider sends its value formatted).
    classes : list of str
        DOM classes of the typed entry (test hooks).
    compact : bool
        Without label and slider (cells of the effects grid).
    blank_default : bool
        Show a blank entry when the key is absent (the default applies) instead of the value.
    slider : bool
        Whether to show the slider, where the spec has a range.
    """

    def __init__(
        self,
        spec: FieldSpec,
        keys: tuple,
        path: str,
        on_change: Callable,
        classes: list[str],
        compact: bool = False,
        blank_default: bool = False,
        slider: bool = True,
        label: str | None = None,
        kit: _Kit | None = None,
    ):
        self.spec = spec
        self.keys = keys
        self.path = path
        self.blank_default = blank_default
        self.has_error = False
        self._on_change = on_change
        self._quiet = False
        self._label_text = label or spec.label
        kit = kit or _Kit()
        self._kit = kit
        self.label = W.HTML(layout=kit.label, style=kit.html)
        self.label.add_class("cxroi-label")
        if spec.kind == "choice":
            self.entry = W.Dropdown(options=list(spec.choices), layout=kit.entry)
        else:
            # Typed text reaches the kernel on Enter or when the input loses focus, never
            # keystroke by keystroke: the kernel never rewrites an input while it is typed in.
            self.entry = SafeText(
                continuous_update=False,
                layout=kit.cell if compact else kit.entry,
                style=kit.text,
                on_reject=self._rejected,
            )
            self.entry.add_class("cxroi-text")
        self._dist_hint = ""
        self.entry.tooltip = spec.help or path
        for cls in dict.fromkeys(classes):
            self.entry.add_class(cls)
        self.slider = None
        if spec.slider and slider and not compact:
            lo, hi, step = spec.slider
            cls = W.IntSlider if spec.kind == "int" else W.FloatSlider
            self.slider = cls(
                min=lo,
                max=hi,
                step=step,
                readout=False,
                continuous_update=False,
                layout=kit.slider,
                style=kit.slider_style,
            )
            self.slider.add_class(classes[0].replace("cxroi-field-", "cxroi-slider-"))
            self.slider.observe(self._slider_changed, "value")
        self.entry.observe(self._entry_changed, "value")
        self.error: W.HTML | None = None  # created on the first error (fewer widget models)
        self.note: W.HTML | None = None  # how a typed value was read (created when needed)
        self.dist_entry: SafeText | None = None  # range input of a distribution field
        self.dist_row: W.HBox | None = None
        self._on_dist: Callable | None = None
        if compact:
            self.row = self.box = None
        else:
            parts = [self.label] + ([self.slider] if self.slider else []) + [self.entry]
            self.row = W.HBox(parts, layout=kit.box)
            self.row.add_class("cxroi-fieldrow")
            self.box = W.VBox([self.row], layout=kit.box)

    def add_range(self, on_change: Callable, label: str | None = None) -> W.HBox:
        """Give the field a range input (it holds a distribution); returns its row.

        ``on_change(field, text)`` is called with the typed range text.
        """
        kit = self._kit
        self._on_dist = on_change
        self.dist_entry = SafeText(
            continuous_update=False,
            layout=W.Layout(width="210px"),
            style=kit.text,
            placeholder="triangular low; mode; high",
            on_reject=self._rejected,
        )
        self.dist_entry.tooltip = DIST_HELP
        self.dist_entry.add_class("cxroi-text")
        hook = self.entry._dom_classes[-1].replace("cxroi-field-", "cxroi-range-")
        self.dist_entry.add_class(hook)
        self.dist_entry.observe(self._dist_changed, "value")
        caption = W.HTML(
            f'<span class="cxroi-range-label" title="{html.escape(DIST_HELP)}">'
            f"{html.escape(label or 'Range')}</span>",
            layout=W.Layout(width="140px") if label is None else kit.box,
            style=kit.html,
        )
        self.dist_row = W.HBox([caption, self.dist_entry], layout=kit.box)
        self.dist_row.add_class("cxroi-range-row")
        self._relayout()
        return self.dist_row

    def show_distribution(self, dist: Any) -> None:
        """Show distribution ``dist`` in the range input and as hover text, quietly."""
        if self.dist_entry is None:
            return
        text = format_distribution(dist, self.spec)
        self._quiet = True
        try:
            if self.dist_entry.value != text:
                self.dist_entry.value = text
        finally:
            self._quiet = False
        self._dist_hint = f"{describe_distribution(dist, self.spec)}; base value shown"
        self._hover(self.entry.value if isinstance(self.entry.value, str) else "")

    #: Longest text an entry shows whole; a longer value is repeated in its hover text.
    SHORT = 11

    def _hover(self, text: str) -> None:
        """Hover text of the entry: the whole value when it may be cut, range, help."""
        parts = [text if len(text) > self.SHORT else "", self._dist_hint]
        if self.label is not None and self.row is None:  # a grid cell: no label to hover
            parts.append(getattr(self, "_source_hint", ""))
        parts.append(self.spec.help or self.path)
        tip = " · ".join(p for p in parts if p)
        if self.entry.tooltip != tip:
            self.entry.tooltip = tip

    def _relayout(self) -> None:
        if self.box is None:
            return
        parts = (self.row, self.error, self.note, self.dist_row)
        children = tuple(w for w in parts if w is not None)
        if tuple(self.box.children) != children:
            self.box.children = children

    # -- browser -> kernel
    def _dist_changed(self, change: dict) -> None:
        if not self._quiet and self._on_dist is not None:
            self._on_dist(self, change["new"])

    def _rejected(self, type_name: str) -> None:
        self._on_change(self, _Rejected(type_name))

    def _entry_changed(self, change: dict) -> None:
        if not self._quiet:
            self._on_change(self, change["new"])

    def _slider_changed(self, change: dict) -> None:
        if self._quiet:
            return
        text = format_value(change["new"], self.spec)
        self._quiet = True
        try:
            self.entry.value = text
        finally:
            self._quiet = False
        self._on_change(self, text)

    # -- kernel -> browser
    def show(self, value: Any) -> None:
        """Display ``value`` (``None`` shows a blank entry) without triggering callbacks."""
        text = format_value(value, self.spec)
        self._quiet = True
        try:
            if self.spec.kind == "choice":
                if text in self.spec.choices and self.entry.value != text:
                    self.entry.value = text
            elif self.entry.value != text:
                self.entry.value = text
        finally:
            self._quiet = False
        if self.spec.kind != "choice":
            self._hover(text)
        self.show_slider(value)

    def show_slider(self, value: Any) -> None:
        """Move the slider to ``value`` (held at its end when outside its range), quietly.

        The slider covers the usual range with a fine step; typed entry may go beyond it.
        """
        if self.slider is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        shown = min(max(value, self.slider.min), self.slider.max)
        self._quiet = True
        try:
            if self.slider.value != shown:
                self.slider.value = shown
        finally:
            self._quiet = False

    def set_note(self, message: str | None) -> None:
        """Show (or clear) how a typed value was read, next to the field (``cxroi-warning``)."""
        if self.note is None:
            if not message:
                return
            self.note = W.HTML(layout=self._kit.box, style=self._kit.html)
            self.note.add_class("cxroi-warning")
            self._relayout()
        html_text = f'<span class="cxroi-warning">{html.escape(message)}</span>' if message else ""
        if self.note.value != html_text:
            self.note.value = html_text

    def set_error(self, message: str | None, sink: W.HTML | None = None) -> None:
        """Show (or clear, with ``None``) the error message next to the field."""
        self.has_error = message is not None
        html = views.error_html(message, self.path) if message else ""
        if sink is None:
            if self.error is None:
                if not message:
                    return
                self.error = W.HTML(layout=self._kit.box, style=self._kit.html)
                self._relayout()
            sink = self.error
        if sink.value != html:
            sink.value = html

    def set_provenance(self, provenance: Any, source: Any = None) -> None:
        """Refresh the label (benchmark marker, the input's source in its hover text)."""
        html = views.field_label(self._label_text, provenance, self.spec.help, source)
        hint = views.source_text(source)
        if hint != getattr(self, "_source_hint", ""):
            self._source_hint = hint
            if self.row is None and isinstance(self.entry.value, str):
                self._hover(self.entry.value)
        if self.label.value != html:
            self.label.value = html


class _Rejected:
    """A value of the wrong type sent for a text box (its type's name)."""

    def __init__(self, type_name: str):
        self.type_name = type_name


# ------------------------------------------------------------------------------ dashboard
class Dashboard:
    """Business-case dashboard on one scenario.

    Parameters
    ----------
    scenario : str, path, mapping or cxroi.Scenario
        The scenario to open.
    scenario_dir : str or path, optional
        Folder offered by the scenario picker; defaults to the scenario file's folder.
    time_limit : float, optional
        Seconds one change, upload or Monte Carlo run may take before it is stopped and the
        page says so (default ``$CXROI_TIME_LIMIT`` or 30; 0 turns the limit off).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole dashboard (display it, or leave the Dashboard as a cell's last expression).
    case : cxroi.BusinessCase
        The last valid case, the one on screen.
    scenario : cxroi.Scenario
        Its scenario.
    rev : int
        Number of updates drawn so far (the page's ``data-rev`` hooks).

    Examples
    --------
    >>> app = Dashboard.from_path("scenarios/retail_bank.yaml")
    >>> round(app.case.kpis["npv"], 2)
    2469087.08
    >>> app.set_text("discount_rate", "0.12")
    >>> app.case.kpis["npv"] < 2469087.08  # a higher discount rate lowers the NPV
    True
    """

    def __init__(
        self,
        scenario: Any,
        scenario_dir: str | Path | None = None,
        time_limit: float | None = None,
    ):
        keep_logs_off_the_page()  # no traceback of a refused widget message on the websocket
        #: Seconds one change, upload or run may take before it is stopped (0: no limit).
        self.time_limit = default_time_limit() if time_limit is None else float(time_limit)
        self.scenario = cxroi.load_scenario(scenario)
        source = self.scenario.source
        self._origin = self.scenario.to_mapping()
        self._origin_name = Path(source).name if source else "scenario.yaml"
        folder = scenario_dir or (Path(source).parent if source else None)
        self._scenario_dir = Path(folder) if folder else None
        self._mapping = copy.deepcopy(self._origin)
        self.case = cxroi.evaluate(self.scenario)
        self.rev = 0
        self.present = False
        self._fields: list[FieldInput] = []
        self._field_sinks: dict[int, W.HTML] = {}
        self._specs: dict[tuple, tuple[dict, str]] = {}
        self._sent: dict[str, str] = {}
        self._kit = _Kit()
        self._compact_ranges: list[W.HBox] = []
        self.session = Session(self._mapping)
        self._mc: dict | None = None  # Monte Carlo summary of the NPV card, for _mc_scenario
        self._mc_scenario: Any = None
        self._mc_handle: Any = None
        self._mc_asked_at = 0.0
        self._last_path = "discount_rate"
        self.mc_latency: float | None = None  # last change -> NPV card range drawn [s]
        self._restoring = False
        self._autosave_ready = False
        self._autosave_key = f"cxroi:autosave:v1:{self._origin_name}"
        self._build_static()
        self.uncertainty = UncertaintyView(self)
        self.add_view("Uncertainty", self.uncertainty.widget)
        self._build_versions()
        self._rebuild_inputs()
        self._render()
        self._session_changed()

    @classmethod
    def from_path(cls, path: str | Path, scenario_dir: str | Path | None = None) -> Dashboard:
        """Open the dashboard on a scenario file."""
        return cls(Path(path), scenario_dir=scenario_dir)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------------------- layout
    def _build_static(self) -> None:
        self.title = W.HTML()
        self.picker = W.Dropdown(
            options=self._picker_options(),
            value="",
            tooltip="Open another scenario",
            layout=W.Layout(width="170px"),
        )
        self.picker.add_class("cxroi-picker")
        self.picker.observe(self._picked, "value")
        self.upload = W.FileUpload(
            accept=".yaml,.yml",
            multiple=False,
            description="Upload",
            icon="",
            tooltip="Upload a scenario file (YAML)",
            layout=W.Layout(width="92px"),
        )
        self.upload.add_class("cxroi-upload")
        self.upload.observe(self._uploaded, "value")
        self.download = W.HTML()
        # The header holds every control on one row from 1280 px: short labels, the full
        # meaning in each control's tooltip (its title attribute).
        self.export_button = self._header_button(
            "Export PDF",
            "Export the board pack (PDF) of the current state, edits included",
            "92px",
            "cxroi-export",
            self.export_board_pack,
        )
        self.export_link = W.HTML()
        self.export_link.add_class("cxroi-export-holder")
        self.undo_button = self._header_button(
            "Undo", "Undo the last change", "56px", "cxroi-undo", self.undo
        )
        self.redo_button = self._header_button(
            "Redo", "Redo the change undone", "56px", "cxroi-redo", self.redo
        )
        self.reset_button = self._header_button(
            "Reset", "Reset every input to the scenario as opened", "60px", "cxroi-reset",
            self._reset,
        )  # fmt: skip
        self.present_toggle = W.ToggleButton(
            description="Present",
            icon="",
            tooltip="Present mode: hide the operator controls, larger figures for a projector",
            layout=W.Layout(width="76px"),
        )
        self.present_toggle.add_class("cxroi-present-toggle")
        self.present_toggle.observe(self._toggled, "value")
        self.status = W.HTML()
        spacer = W.HTML(layout=W.Layout(flex="1 1 auto"))
        # the title block: scenario name, subtitle and the recalculation status under them
        titlebox = W.VBox([self.title, self.status])
        titlebox.add_class("cxroi-titlebox")
        self.header = W.HBox(
            [
                titlebox,
                spacer,
                self.picker,
                self.upload,
                self.download,
                self.export_button,
                self.export_link,
                self.undo_button,
                self.redo_button,
                self.reset_button,
                self.present_toggle,
            ]
        )
        self.header.add_class("cxroi-header")

        self.banner = W.HTML()
        self.banner.add_class("cxroi-banner")
        self.kpis = W.HTML()
        self.chart_panes = {key: W.HTML() for key in CHARTS}
        cards = []
        for key, pane in self.chart_panes.items():
            title = f'<div class="cxroi-card-title">{charts.CHART_TITLES[key]}</div>'
            card = W.VBox([W.HTML(title), pane])
            if key == "initiatives":  # standalone and last-in beside Shapley
                self.initiative_values = W.HTML()
                card.children = (*card.children, self.initiative_values)
            card.add_class("cxroi-card")
            cards.append(card)
        self.tei = W.HTML()
        self.unquantified = W.HTML()
        tei_card = W.VBox(
            [
                W.HTML('<div class="cxroi-card-title">TEI cash-flow table</div>'),
                self.tei,
                self.unquantified,
            ]
        )
        tei_card.add_class("cxroi-card")
        grid = W.GridBox(
            cards + [tei_card],
            layout=W.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="12px"),
        )
        grid.add_class("cxroi-charts")
        self.headline = W.HTML()
        self.sources = W.HTML()
        self.breakeven_field = W.Dropdown(options=[], layout=W.Layout(width="360px"))
        self.breakeven_field.add_class("cxroi-breakeven-field")
        breakeven_button = W.Button(
            description="Break-even", icon="", layout=W.Layout(width="100px")
        )
        breakeven_button.add_class("cxroi-breakeven")
        breakeven_button.on_click(lambda _: self._guard(self.breakeven, self.breakeven_field.value))
        self.breakeven_result = W.HTML()
        breakeven_bar = W.HBox([self.breakeven_field, breakeven_button, self.breakeven_result])
        breakeven_bar.add_class("cxroi-breakeven-bar")
        self.goalseek = GoalSeekBar(self)  # "what value of this field gives ROI = 100%?"
        case_view = W.VBox(
            [self.headline, self.kpis, breakeven_bar, self.goalseek.widget, grid, self.sources]
        )
        # Further views (the uncertainty analysis) are added with add_view.
        self.views = W.Tab(children=[case_view], titles=["Business case"])
        self.main = W.VBox([self.banner, self.views], layout=W.Layout(flex="1 1 auto"))
        self.main.add_class("cxroi-main")

        self.sidebar = W.VBox()
        self.sidebar.add_class("cxroi-sidebar")
        self.keybar = W.HBox()
        self.keybar.add_class("cxroi-keybar")
        # The outputs come first in the widget tree so the page draws them first; CSS puts the
        # sidebar on the left (order: -1).
        self.body = W.HBox([self.main, self.sidebar])
        self.body.add_class("cxroi-body")
        # Autosave: the page keeps the state in the browser (cxroi-state.js) and sends it back
        # through the hidden restore input after a reload.
        self.autosave = W.HTML()
        self.restore_input = SafeText(value="", layout=W.Layout(display="none"))
        self.restore_input.add_class("cxroi-restore")
        self.restore_input.observe(
            lambda change: self._guard(self.restore_saved, change["new"]), "value"
        )
        self.header.children = tuple(self.header.children) + (self.autosave, self.restore_input)
        self.widget = W.VBox([self.header, self.body])
        self.widget.add_class("cxroi-app")

    def add_view(self, title: str, widget: W.Widget) -> None:
        """Add an output view as a tab beside the business case (e.g. uncertainty)."""
        self.views.children = tuple(self.views.children) + (widget,)
        self.views.set_title(len(self.views.children) - 1, title)

    def _picker_options(self) -> list[tuple[str, str]]:
        options = [("Open scenario...", "")]
        if self._scenario_dir and self._scenario_dir.is_dir():
            for path in sorted(self._scenario_dir.rglob("*.y*ml")):
                if "data" in path.relative_to(self._scenario_dir).parts[:-1]:
                    continue
                label = path.relative_to(self._scenario_dir).with_suffix("").as_posix()
                options.append((label.replace("_", " "), str(path)))
        return options

    # ---------------------------------------------------------------------------- inputs
    def _field(self, spec, keys, path, index_path, ranged: bool = True, **kwargs) -> FieldInput:
        classes = [css_class(*index_path)]
        named = css_class(*re.split(r"[.\[\]]+", path))
        if named not in classes:
            classes.insert(0, named)
        field = FieldInput(spec, keys, path, self._field_changed, classes, kit=self._kit, **kwargs)
        self._fields.append(field)
        if ranged and is_distribution(_get(self._mapping, keys)):
            label = None
            if kwargs.get("compact"):
                target = keys[-2]
                label = f"{spec.label}, {'all segments' if target == '*' else target}: range"
            row = field.add_range(self._range_changed, label)
            if kwargs.get("compact"):
                self._compact_ranges.append(row)
        return field

    def _group(self, title: str, children: list) -> W.VBox:
        box = W.VBox([W.HTML(f'<div class="cxroi-group-title">{title}</div>')] + children)
        box.add_class("cxroi-group")
        return box

    def _rebuild_inputs(self) -> None:
        """(Re)create every input from the current mapping: on load and structure changes."""
        for field in self._fields:
            for widget in (
                field.entry,
                field.slider,
                field.label,
                field.error,
                field.note,
                field.dist_entry,
                field.dist_row,
                field.row,
                field.box,
            ):
                if widget is not None:
                    widget.close()
        self._fields = []
        self._field_sinks = {}
        m = self._mapping
        case_rows = []
        self.key_fields: list[FieldInput] = []
        self._extras: list[FieldInput] = []
        self._risk_form = None
        for spec in CASE_FIELDS:
            if spec.key == "benefit_adjustment":  # one number or one value per lever
                rows, field = tei_inputs.benefit_risk_rows(self)
                case_rows.extend(rows)
                if field is not None:
                    self.key_fields.append(field)
                continue
            if spec.key in ("benefit_adjustment", "cost_adjustment"):
                keys, path = ("risk", spec.key), f"risk.{spec.key}"
            else:
                keys, path = (spec.key,), spec.key
            field = self._field(spec, keys, path, path.split("."))
            case_rows.append(field.box)
            if spec.key in ("horizon_years", "discount_rate", "benefit_adjustment"):
                self.key_fields.append(field)
        self.case_group = self._group("Case settings", case_rows)

        # Only the selected tab's inputs exist at first; the others are built when selected
        # (fewer widget models: a faster first render with many segments and initiatives).
        self.segment_tabs = self._lazy_tabs(
            m["segments"], self._segment_panel, getattr(self, "_segment_selected", 0)
        )
        add_seg = W.Button(description="Add segment", layout=W.Layout(width="130px"))
        add_seg.add_class("cxroi-add-segment")
        add_seg.on_click(lambda _: self._guard(self._add_segment))
        self.initiative_tabs = self._lazy_tabs(
            m["initiatives"], self._initiative_panel, getattr(self, "_initiative_selected", 0)
        )
        add_ini = W.Button(description="Add initiative", layout=W.Layout(width="130px"))
        add_ini.add_class("cxroi-add-initiative")
        add_ini.on_click(lambda _: self._guard(self._add_initiative))

        segment_parts = [self.segment_tabs, add_seg]
        added = self.__dict__.pop("_neutral_segment", None)
        if added is not None and added in [str(s.get("name", "")) for s in m["segments"]]:
            note = W.HTML(
                f'<div class="cxroi-note cxroi-neutral-note">{html.escape(added)} starts '
                "neutral: no initiative changes it (zero effects, NPV unchanged) until you "
                "set its effects under Initiatives.</div>"
            )
            segment_parts.append(note)
        self.sidebar.children = [
            self.case_group,
            self._group("Segments", segment_parts),
            self._group("Initiatives", [self.initiative_tabs, add_ini]),
        ]
        # Present-mode sliders for the headline effect of each initiative (up to three).
        for j, ini in enumerate(m["initiatives"][:3]):
            effects = ini.get("effects") or {}
            target = "*" if "*" in effects or not effects else next(iter(effects))
            spec = EFFECT_FIELDS[0]
            name = str(ini.get("name", ""))
            field = self._field(
                spec,
                ("initiatives", j, "effects", target, spec.key),
                f"initiatives[{name}].effects[{target}].{spec.key}",
                ["key", "initiatives", j, "effects", target, spec.key],
                label=f"{name}: churn prevented" + ("" if target == "*" else f" ({target})"),
                ranged=False,
            )
            self.key_fields.append(field)
            self._extras.append(field)
        self._layout()
        self._sync_inputs()

    def _lazy_tabs(self, items: list, build: Callable, selected: int = 0) -> W.Tab:
        selected = min(max(int(selected), 0), len(items) - 1)
        children = [W.VBox(layout=self._kit.box) for _ in items]
        tabs = W.Tab(children=children, titles=[str(x.get("name", "")) for x in items])
        built: set[int] = set()

        def show(index: Any) -> None:
            if not isinstance(index, int) or not 0 <= index < len(items) or index in built:
                return
            built.add(index)
            start = len(self._fields)
            children[index].children = build(index, items[index]).children
            self._sync_inputs(fields=self._fields[start:])

        show(selected)
        tabs.selected_index = selected
        tabs.observe(lambda change: self._guard(show, change["new"]), "selected_index")
        return tabs

    def _segment_panel(self, i: int, seg: dict) -> W.VBox:
        name = str(seg.get("name", ""))
        base = f"segments[{name}]"
        rows = []
        retention = _unwrap_evidence(seg.get("retention"))  # a rate written with its source
        sbg = isinstance(retention, dict) and "dist" not in retention
        for spec in SEGMENT_FIELDS:
            if spec.key == "retention":
                model = W.Dropdown(
                    options=[("Constant rate", "constant"), ("sBG curve", "sbg")],
                    value="sbg" if sbg else "constant",
                    description="Retention model",
                    style={"description_width": "146px"},
                    layout=W.Layout(width="290px"),
                )
                model.add_class(css_class("segments", i, "retention_model"))
                model.observe(
                    lambda ch, i=i: self._guard(self._switch_retention, i, ch["new"]), "value"
                )
                rows.append(model)
                if sbg:
                    for sub in SBG_FIELDS:
                        f = self._field(
                            sub,
                            ("segments", i, "retention", sub.key),
                            f"{base}.retention.{sub.key}",
                            ["segments", i, "retention", sub.key],
                        )
                        rows.append(f.box)
                    continue
            blank = spec.key == "new_customers_per_year"
            f = self._field(
                spec,
                ("segments", i, spec.key),
                f"{base}.{spec.key}",
                ["segments", i, spec.key],
                blank_default=blank,
            )
            rows.append(f.box)
        remove = W.Button(
            description="Remove segment",
            layout=W.Layout(width="140px"),
            disabled=len(self._mapping["segments"]) <= 1,
        )
        remove.add_class(css_class("segments", i, "remove"))
        remove.on_click(lambda _, i=i: self._guard(self._remove_segment, i))
        return W.VBox(rows + [remove])

    def _initiative_panel(self, j: int, ini: dict) -> W.VBox:
        name = str(ini.get("name", ""))
        base = f"initiatives[{name}]"
        rows = []
        for spec in INITIATIVE_FIELDS:
            f = self._field(
                spec,
                ("initiatives", j, spec.key),
                f"{base}.{spec.key}",
                ["initiatives", j, spec.key],
            )
            rows.append(f.box)
        targets = ["*"] + [str(s.get("name", "")) for s in self._mapping["segments"]]
        kit = self._kit
        names = "".join(
            f'<span class="cxroi-effect-col" title="{html.escape(name, quote=True)}">'
            f"{html.escape(name)}</span>"
            for name in ("All segments" if t == "*" else t for t in targets)
        )
        cells = [
            W.HTML(
                f'<div class="cxroi-effect-head"><span class="cxroi-effect-name">Effect'
                f"</span>{names}</div>",
                layout=kit.box,
                style=kit.html,
            )
        ]
        errors = W.HTML(layout=kit.box, style=kit.html)
        self._compact_ranges = []
        for spec in EFFECT_FIELDS:
            entries = [
                W.HTML(
                    f'<span class="cxroi-effect-name">{html.escape(spec.label)}</span>',
                    layout=kit.box,
                    style=kit.html,
                )
            ]
            for t in targets:
                f = self._field(
                    spec,
                    ("initiatives", j, "effects", t, spec.key),
                    f"{base}.effects[{t}].{spec.key}",
                    ["initiatives", j, "effects", t, spec.key],
                    compact=True,
                    blank_default=True,
                )
                f.entry.placeholder = "–"
                self._field_sinks[id(f)] = errors
                entries.append(f.entry)
            cells.append(W.HBox(entries, layout=kit.box))
        grid = W.VBox(cells, layout=kit.box)
        grid.add_class("cxroi-effects")
        hint = W.HTML(
            '<div class="cxroi-hint">Effects per segment; blank inherits '
            '"All segments", then 0. Rates as 0.25 or 25%.</div>'
        )
        remove = W.Button(
            description="Remove initiative",
            layout=W.Layout(width="140px"),
            disabled=len(self._mapping["initiatives"]) <= 1,
        )
        remove.add_class(css_class("initiatives", j, "remove"))
        remove.on_click(lambda _, j=j: self._guard(self._remove_initiative, j))
        ranges = list(self._compact_ranges)
        self._compact_ranges = []
        extras = tei_inputs.initiative_extras(self, j, ini)
        return W.VBox(rows + [grid] + ranges + [errors, hint] + extras + [remove])

    def _layout(self) -> None:
        """Place inputs for the current mode (each input is on screen at most once)."""
        key_boxes = [f.box for f in self.key_fields]
        case_keys = [f for f in self.key_fields if f not in self._extras]
        if self.present:
            self.keybar.children = key_boxes
            self.case_group.children = [
                c for c in self.case_group.children if c not in [f.box for f in case_keys]
            ]
            self.widget.children = [self.header, self.keybar, self.body]
            self.body.children = [self.main]
            self.widget.add_class("cxroi-present")
        else:
            self.keybar.children = []
            title = self.case_group.children[0]
            rows = [
                f.box
                for f in self._fields
                if f.keys[0] in ("name", "currency", "horizon_years", "discount_rate", "risk")
            ]
            form = getattr(self, "_risk_form", None)
            if form is not None:  # the benefit risk's form switch, above its inputs
                first = next(
                    (i for i, f in enumerate(rows) if f in self._risk_boxes()), len(rows)
                )
                rows.insert(first, form)
            self.case_group.children = [title] + rows
            self.widget.children = [self.header, self.body]
            self.body.children = [self.main, self.sidebar]
            self.widget.remove_class("cxroi-present")

    def _risk_boxes(self) -> list:
        return [f.box for f in self._fields if f.keys[:2] == ("risk", "benefit_adjustment")]

    def _sync_inputs(self, skip: FieldInput | None = None, fields: list | None = None) -> None:
        """Show the values in force in every input (after a valid change or a rebuild)."""
        provenance = self.scenario.provenance()
        sources = self.scenario.input_sources()
        for field in self._fields if fields is None else fields:
            if field is skip or field.has_error:
                pass
            else:
                value = _get(self._mapping, field.keys)
                if value is _MISSING:
                    value = None if field.blank_default else _effective(self.scenario, field.keys)
                if is_distribution(value):
                    field.show_distribution(value)
                    value = _effective(self.scenario, field.keys)
                field.show(value)
            field.set_provenance(provenance.get(field.path), sources.get(field.path))

    # ---------------------------------------------------------------------------- changes
    def _header_button(
        self, label: str, tooltip: str, width: str, css_class: str, action: Callable
    ) -> W.Button:
        """A header button: short label, its full meaning as tooltip, ``action`` when clicked."""
        button = W.Button(description=label, icon="", tooltip=tooltip, layout=W.Layout(width=width))
        button.add_class(css_class)
        button.on_click(lambda _: self._guard(action))
        return button

    def _guard(self, func: Callable, *args) -> None:
        """Run a callback; an unexpected failure shows a message instead of a traceback.

        The callback runs under :attr:`time_limit`: past it, the work is stopped, the page
        says so in plain words and the last valid case stays (:mod:`cxroi.app.timelimit`).
        """
        try:
            with time_limit(self.time_limit):
                func(*args)
        except TimeLimitExceeded as exc:
            log.warning("cxroi dashboard: callback %s", exc)
            self.banner.value = views.error_html(TIMED_OUT.format(seconds=exc.seconds))
            self._set_status("error")
        except KeyboardInterrupt:  # the kernel interrupted from outside (Jupyter's interrupt)
            log.warning("cxroi dashboard: callback interrupted")
            self.banner.value = views.error_html(INTERRUPTED)
            self._set_status("error")
        except Exception as exc:  # noqa: BLE001 - the UI boundary: keep the kernel serving
            log.exception("cxroi dashboard callback failed: %s", exc)
            self.banner.value = views.error_html(UNEXPECTED)
            self._set_status("error")

    #: The public name other views call (:class:`cxroi.app.uncertainty_view.Host`).
    guard = _guard

    def _field_changed(self, field: FieldInput, text: Any) -> None:
        self._guard(self._apply_field, field, text)

    def _apply_field(self, field: FieldInput, text: Any) -> None:
        label = field.spec.label
        self._last_path = field.path
        if isinstance(text, _Rejected):
            self._show_field_error(field, f"{label}: only text can be typed here (ignored)")
            return
        note = None
        current = _get(self._mapping, field.keys)
        try:
            if field.blank_default and isinstance(text, str) and not text.strip():
                value = None  # a blank override removes it: the inherited value applies
            elif _names_distribution(text) and field.spec.kind not in ("text", "choice"):
                value, note = parse_distribution(text, field.spec)  # a range typed in place
            elif field.spec.kind == "pct" and isinstance(text, str) and text.strip():
                if len(text) > 200:
                    raise FieldParseError(f"is too long ({len(text)} characters)")
                value, note = pct_reading(text)
            else:
                value = parse_value(text, field.spec)
        except FieldParseError as exc:
            field.set_note(None)
            self._show_field_error(field, f"{label}: {exc}")
            return
        if is_distribution(current) and isinstance(value, (int, float)):
            # A new base value moves the distribution (its mode, midpoint or mean): kept.
            value = move_base(current, value, _bounds(field.keys[-1]))
        candidate = copy.deepcopy(self._mapping)
        rename = field.keys[-1] == "name" and len(field.keys) == 3
        if rename and field.keys[0] == "segments":
            old = _get(self._mapping, field.keys)
            for ini in candidate.get("initiatives", []):
                effects = ini.get("effects") or {}
                if old in effects and value not in effects:
                    ini["effects"] = {(value if k == old else k): v for k, v in effects.items()}
        _set(candidate, field.keys, value)
        if value is None and field.keys[2:3] == ("effects",):
            effects = _get(candidate, field.keys[:-2])
            if isinstance(effects, dict) and effects.get(field.keys[-2]) == {}:
                effects.pop(field.keys[-2])  # no override left for that segment
        if self._apply(candidate, source=field):
            self._show_field_error(field, None)
            field.set_note(note)
            field.show_slider(_effective(self.scenario, field.keys))
            if is_distribution(value):
                field.show_distribution(value)
            if is_distribution(value) != is_distribution(current):
                self._rebuild_keeping_tabs()  # a range input comes or goes
                if is_distribution(value):
                    self.field(field.path).show(_effective(self.scenario, field.keys))
            elif rename or field.keys == ("currency",):
                self._rebuild_inputs()
            elif field.keys[-1] == "name":  # a TEI line renamed: its inputs' paths change
                self._rebuild_keeping_tabs()

    def _range_changed(self, field: FieldInput, text: Any) -> None:
        self._guard(self._apply_range, field, text)

    def _apply_range(self, field: FieldInput, text: Any) -> None:
        """A typed range: a new distribution for the field, or (blank) its base value alone."""
        label = field.spec.label
        if isinstance(text, _Rejected):
            self._show_field_error(field, f"{label}: only text can be typed here (ignored)")
            return
        try:
            dist, note = parse_distribution(text, field.spec)
        except FieldParseError as exc:
            self._show_field_error(field, f"{label} range: {exc}")
            return
        current = _get(self._mapping, field.keys)
        value = dist if dist is not None else _effective(self.scenario, field.keys)
        candidate = copy.deepcopy(self._mapping)
        _set(candidate, field.keys, value)
        if not self._apply(candidate, source=field):
            return
        self._show_field_error(field, None)
        field.set_note(note)
        field.show(_effective(self.scenario, field.keys))
        if is_distribution(value):
            field.show_distribution(value)
        if is_distribution(value) != is_distribution(current):
            self._rebuild_keeping_tabs()

    def _rebuild_keeping_tabs(self) -> None:
        self._segment_selected = self.segment_tabs.selected_index or 0
        self._initiative_selected = self.initiative_tabs.selected_index or 0
        self._rebuild_inputs()

    def _show_field_error(self, field: FieldInput, message: str | None) -> None:
        field.set_error(message, self._field_sinks.get(id(field)))

    def _apply(self, candidate: dict, source: FieldInput | None = None) -> bool:
        """Validate and evaluate ``candidate``; on success make it the case on screen."""
        try:
            scenario = cxroi.load_scenario(candidate)
        except cxroi.ScenarioError as err:
            self._show_issues(err, source)
            return False
        if not self._take(scenario, candidate):
            return False
        self._sync_inputs(skip=source)
        return True

    def _take(self, scenario: Any, mapping: dict, rebuild: bool = False) -> bool:
        """Evaluate and draw ``scenario``; if that fails, the previous case stays, whole.

        The case, its KPIs and charts change together or not at all: results the engine
        cannot compute (overflow) never leave new KPIs over old charts. With ``rebuild`` the
        inputs are made anew for the new case before it is drawn, so that the new KPIs on
        the page mean the inputs are current too (text typed after them is never lost).
        """
        old = (self._mapping, self.scenario, self.case, dict(self._sent))
        rebuilt = False
        try:
            with np.errstate(over="raise", invalid="raise"):
                case = cxroi.evaluate(scenario)
            self._mapping, self.scenario, self.case = mapping, scenario, case
            if rebuild:
                rebuilt = True
                self._rebuild_inputs()
            self._render()
            if not all(_finite(v) for v in case.kpis.values()):
                raise OverflowError("a KPI is not finite")
        except (
            ArithmeticError,
            ValueError,
            FloatingPointError,
            TimeLimitExceeded,
            KeyboardInterrupt,
        ) as exc:
            log.info("cxroi dashboard: case not drawn: %s", exc)
            self._mapping, self.scenario, self.case, self._sent = old
            self._sent.clear()  # redraw every chart of the previous case
            if rebuilt:
                self._rebuild_inputs()
            self._render()
            if isinstance(exc, (TimeLimitExceeded, KeyboardInterrupt)):
                raise
            self.banner.value = views.error_html(OVERFLOW)
            self._set_status("error")
            return False
        self.banner.value = ""
        if not self._restoring:
            self.session.record(self._mapping)
            self._session_changed()
        return True

    # ---------------------------------------------------------------------------- session
    def _build_versions(self) -> None:
        """The Versions view: save and open named versions, compare them, the session's changes."""
        self.version_name = SafeText(
            value="", placeholder="Base, Conservative, Stretch...", layout=W.Layout(width="220px")
        )
        self.version_name.add_class("cxroi-version-name")
        save = W.Button(description="Save version", icon="", layout=W.Layout(width="120px"))
        save.add_class("cxroi-save-version")
        save.on_click(lambda _: self._guard(self.save_version, self.version_name.value))
        self.version_pick = W.Dropdown(options=[], layout=W.Layout(width="220px"))
        self.version_pick.add_class("cxroi-version-pick")
        self.version_pick.observe(lambda ch: self._guard(self._show_bridge, ch["new"]), "value")
        open_button = W.Button(description="Open", icon="", layout=W.Layout(width="70px"))
        open_button.add_class("cxroi-open-version")
        open_button.on_click(lambda _: self._guard(self.open_version, self.version_pick.value))
        delete = W.Button(description="Delete", icon="", layout=W.Layout(width="70px"))
        delete.add_class("cxroi-delete-version")
        delete.on_click(lambda _: self._guard(self._delete_version, self.version_pick.value))
        self.version_message = W.HTML()
        self.share_link = W.HTML()
        self.versions_html = W.HTML()
        self.bridge_html = W.HTML()
        self.bridge_html.add_class("cxroi-bridge-holder")
        self.changes_html = W.HTML()
        box = W.VBox(
            [
                W.HBox([self.version_name, save, self.version_pick, open_button, delete]),
                self.version_message,
                self.share_link,
                self.versions_html,
                self.bridge_html,
                W.HTML('<div class="cxroi-card-title">Changes in this session</div>'),
                self.changes_html,
            ]
        )
        box.add_class("cxroi-versions-view")
        self.add_view("Versions", box)

    def _show_bridge(self, name: Any) -> None:
        """The NPV bridge from the first version to version ``name`` (the one picked)."""
        from cxroi.analysis.compare import compare

        versions = self.session.versions
        if not versions or name not in versions or name == next(iter(versions)):
            self.bridge_html.value = ""
            self._bridge_key = None
            return
        base = next(iter(versions))
        key = (base, name, id(versions[base]), id(versions[name]))
        if key == getattr(self, "_bridge_key", None):
            return  # the same two versions: the bridge on screen is current
        self._bridge_key = key
        comparison = compare(versions[base]["mapping"], versions[name]["mapping"])
        self.bridge_html.value = bridge_table(comparison, base, name)

    def _session_changed(self) -> None:
        """Show the session's state: undo/redo, versions, changes and the autosave holder."""
        s = self.session
        self.undo_button.disabled = not s.undo_stack
        self.redo_button.disabled = not s.redo_stack
        sc = self.scenario
        table = versions_table(s.versions, sc.currency, sc.horizon_years)
        if self.versions_html.value != table:
            self.versions_html.value = table
        names = list(s.versions)
        if list(self.version_pick.options) != names:
            self.version_pick.options = names
            if names:  # the version saved last, bridged from the first
                self.version_pick.value = names[-1]
        self._show_bridge(self.version_pick.value)
        items = "".join(f"<li>{html.escape(c)}</li>" for c in reversed(s.changes[-50:]))
        self.changes_html.value = (
            f'<ol class="cxroi-changes" reversed>{items}</ol>'
            if items
            else '<div class="cxroi-note">Nothing changed yet.</div>'
        )
        state = s.to_json()
        token = base64.urlsafe_b64encode(state.encode("utf-8")).decode("ascii").rstrip("=")
        self.share_link.value = (
            f'<a class="cxroi-share-link" href="#cxroi={token}" target="_blank" '
            'title="Opens this state and its versions in a new page; copy it to share">'
            "Link to this state</a>"
        )
        payload = state.replace("</", "<\\/")
        self.autosave.value = (
            f'<div class="cxroi-autosave" data-key="{html.escape(self._autosave_key)}" '
            f'data-ready="{int(self._autosave_ready)}">'
            f'<script type="application/json">{payload}</script></div>'
        )

    def _show_state(self, mapping: dict) -> bool:
        """Put a whole state on screen without recording it as a new change."""
        self._restoring = True
        try:
            for field in self._fields:
                field.has_error = False
            return self._apply_structure(mapping)
        finally:
            self._restoring = False

    def undo(self) -> None:
        """Go back one change."""
        state = self.session.undo()
        if state is not None:
            self._show_state(state)
        self._session_changed()

    def redo(self) -> None:
        """Redo the change undone last."""
        state = self.session.redo()
        if state is not None:
            self._show_state(state)
        self._session_changed()

    def save_version(self, name: Any) -> None:
        """Save the state on screen as a named version."""
        try:
            saved = self.session.save_version(str(name), self._mapping, self.case.kpis)
        except ValueError as exc:
            self.version_message.value = views.error_html(str(exc), "version_name")
            return
        self.version_message.value = (
            f'<div class="cxroi-note">Saved version {html.escape(saved)}.</div>'
        )
        self._session_changed()

    def open_version(self, name: Any) -> None:
        """Put a saved version on screen (an undoable change)."""
        version = self.session.versions.get(name)
        if version is None:
            return
        if self._apply_structure(copy.deepcopy(version["mapping"])):
            self.session._log([f"Opened version {name}"])
        self._session_changed()

    def _delete_version(self, name: Any) -> None:
        self.session.delete_version(name)
        self._session_changed()

    def restore_saved(self, text: Any) -> None:
        """Bring back the state the browser saved before a reload (validated like an upload).

        ``"none"`` means the browser had nothing saved. Versions that no longer load are
        dropped; a saved state that does not load leaves the opened scenario on screen.
        """
        if self._autosave_ready:
            return
        self._autosave_ready = True
        try:
            if not isinstance(text, str) or text in ("", "none"):
                return
            if len(text) > 4 * MAX_UPLOAD_BYTES:
                self.banner.value = views.error_html("The saved state is too large to restore.")
                return
            try:
                scenario, versions = Session.parse_saved(text)
            except ValueError as exc:
                log.info("cxroi dashboard: saved state not restored: %s", exc)
                return
            for name, mapping in versions.items():
                try:
                    sc = cxroi.load_scenario(mapping)
                    kpis = cxroi.evaluate(sc).kpis
                    self.session.save_version(name, sc.to_mapping(), kpis)
                except (cxroi.ScenarioError, ValueError, ArithmeticError):
                    continue
            if scenario != self._mapping:
                self._apply_structure(scenario)
                if self.session.changes and not self.session.changes[-1].startswith("Restored"):
                    self.session._log(["Restored the state saved before the reload"])
        finally:
            self._session_changed()

    def _show_issues(self, err: Any, source: FieldInput | None) -> None:
        unplaced = []
        placed: set[int] = set()
        for issue in getattr(err, "errors", []) or []:
            field = self._field_for(issue.path, prefer=source)
            if field is None:
                unplaced.append(str(issue))
                continue
            if id(field) not in placed:
                self._show_field_error(field, f"{field.spec.label}: {_issue_text(issue)}")
                placed.add(id(field))
        if not getattr(err, "errors", None):
            unplaced.append(str(err))
        if unplaced:
            self.banner.value = views.error_html(
                "Not applied (the last valid case stays on screen): " + "; ".join(unplaced)
            )
        self._set_status("error")

    def _field_for(self, path: str, prefer: FieldInput | None = None) -> FieldInput | None:
        if prefer is not None and (path == prefer.path or path.startswith(prefer.path)):
            return prefer
        if prefer is not None and prefer.keys[-1] == "name" and path.endswith(".name"):
            return prefer  # a rename refused: the issue's path carries the new name
        best = None
        for field in self._fields:
            if field in self._extras:
                continue
            if (
                path == field.path
                or path.startswith(field.path + ".")
                or path.startswith(field.path + "[")
            ):
                if best is None or len(field.path) > len(best.path):
                    best = field
        return best

    def set_text(self, path: str, text: str) -> None:
        """Type ``text`` into the input of field ``path`` (as a user would; for tests)."""
        for field in self._fields:
            if field.path == path and field not in self._extras:
                field.entry.value = text
                return
        raise KeyError(f"no input for {path!r}")

    def field(self, path: str) -> FieldInput:
        """The input of field ``path``."""
        for field in self._fields:
            if field.path == path and field not in self._extras:
                return field
        raise KeyError(f"no input for {path!r}")

    # -- structure
    def _apply_structure(self, candidate: Any) -> bool:
        if not isinstance(candidate, dict):
            # Only a mapping is a scenario here: a string is never opened as a path.
            self.banner.value = views.error_html(
                "Not applied: a scenario file must hold a mapping of fields "
                f"(got {type(candidate).__name__} {_echo(candidate)})"
            )
            self._set_status("error")
            return False
        try:
            scenario = cxroi.load_scenario(candidate)
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            text = "; ".join(
                (f"{i.path}: " if getattr(i, "path", "") else "") + _issue_text(i)
                for i in issues[:5]
            )
            self.banner.value = views.error_html(
                "Not applied (the last valid case stays on screen): " + text
            )
            self._set_status("error")
            return False
        return self._take(scenario, scenario.to_mapping(), rebuild=True)

    def _add_segment(self) -> None:
        candidate = copy.deepcopy(self._mapping)
        segments = candidate["segments"]
        new = copy.deepcopy(segments[-1])
        new["name"] = _unique("New segment", [s["name"] for s in segments])
        segments.append(new)
        # Neutral start: the copy gets an explicit zero for every effect an initiative gives
        # all segments ("*"), so no effect reaches it (NPV unchanged) until the user sets it.
        for ini in candidate.get("initiatives", []):
            effects = ini.get("effects") or {}
            if isinstance(effects.get("*"), dict) and effects["*"]:
                effects[new["name"]] = {key: 0.0 for key in effects["*"]}
        self._segment_selected = len(segments) - 1
        self._neutral_segment = new["name"]
        self._apply_structure(candidate)
        self.__dict__.pop("_neutral_segment", None)

    def _remove_segment(self, i: int) -> None:
        candidate = copy.deepcopy(self._mapping)
        if len(candidate["segments"]) <= 1:
            return
        name = candidate["segments"].pop(i)["name"]
        self._segment_selected = max(i - 1, 0)
        for ini in candidate["initiatives"]:
            (ini.get("effects") or {}).pop(name, None)
        self._apply_structure(candidate)

    def _add_initiative(self) -> None:
        candidate = copy.deepcopy(self._mapping)
        names = [x["name"] for x in candidate["initiatives"]]
        candidate["initiatives"].append(
            {
                "name": _unique("New initiative", names),
                "capex": 0.0,
                "opex": 0.0,
                "effects": {"*": {"churn_prevented": 0.0}},
            }
        )
        self._initiative_selected = len(candidate["initiatives"]) - 1
        self._apply_structure(candidate)

    def _remove_initiative(self, j: int) -> None:
        candidate = copy.deepcopy(self._mapping)
        if len(candidate["initiatives"]) <= 1:
            return
        candidate["initiatives"].pop(j)
        self._initiative_selected = max(j - 1, 0)
        self._apply_structure(candidate)

    def _switch_retention(self, i: int, model: str) -> None:
        candidate = copy.deepcopy(self._mapping)
        seg = candidate["segments"][i]
        current = self.scenario.segments[i]
        memory = self.__dict__.setdefault("_sbg_memory", {})
        if model == "sbg" and not current.is_sbg:
            r = min(max(float(base_value(current.retention)), 0.01), 0.99)
            kept = memory.get(i)
            if kept is not None and abs(kept[1] - r) < 5e-5:
                seg["retention"] = copy.deepcopy(kept[0])  # the fitted curve, unchanged
            else:
                seg["retention"] = {"alpha": 1.0, "beta": round(r / (1 - r), 6), "tenure": 0.0}
        elif model == "constant" and current.is_sbg:
            ret = current.retention
            from cxroi.engine.retention import sbg_retention

            # the mix's retention at base tenure: sum over k of share_k r(k) (docs/model.md §14)
            a, b = base_value(ret.alpha), base_value(ret.beta)
            mix = ret.tenure_mix.items()
            rate = round(sum(s * float(sbg_retention(a, b, k + 1)) for k, s in mix), 4)
            memory[i] = (copy.deepcopy(self._mapping["segments"][i]["retention"]), rate)
            seg["retention"] = rate
        else:
            return
        self._segment_selected = i
        self._apply_structure(candidate)

    def _picked(self, change: dict) -> None:
        path = change["new"]
        if not path:
            return
        allowed = {value for _, value in self._picker_options()}
        self._guard(self._open, path if path in allowed else None)

    def _open(self, path: str | None) -> None:
        if path is None:
            self.banner.value = views.error_html("Scenario picker: unknown file")
            return
        try:
            data = read_yaml(path)
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            self.banner.value = views.error_html(
                f"{Path(path).name}: " + "; ".join(_issue_text(i) for i in issues[:3])
            )
            return
        if self._apply_structure(data):
            self._origin = copy.deepcopy(self._mapping)
            self._origin_name = Path(path).name

    def _uploaded(self, change: dict) -> None:
        if not change["new"]:
            return
        self._guard(self._read_upload, change["new"])
        # Forget the file: the button keeps its plain label (no "Upload (1)"), and the same
        # file can be chosen again.
        self.upload.value = ()

    def _read_upload(self, value: Any) -> None:
        if not value:
            return
        item = value[0] if isinstance(value, (list, tuple)) else None
        if not isinstance(item, dict) or "content" not in item:
            self.banner.value = views.error_html("Upload: not a file")
            return
        content = bytes(item["content"])
        name = _echo(Path(str(item.get("name", "upload.yaml"))).name)
        if len(content) > MAX_UPLOAD_BYTES:
            self.banner.value = views.error_html(f"Upload {name}: larger than 1 MB")
            return
        try:
            data = parse_yaml(content.decode("utf-8"), name)
        except UnicodeDecodeError:
            self.banner.value = views.error_html(f"Upload {name}: not UTF-8 text")
            return
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            self.banner.value = views.error_html(
                f"Upload {name}: " + "; ".join(_issue_text(i) for i in issues[:3])
            )
            return
        if not isinstance(data, dict):
            # Plain text (for example a path) is never opened: only a mapping is a scenario.
            self.banner.value = views.error_html(
                f"Upload {name}: not a scenario (the file must hold a mapping of fields, "
                f"got {type(data).__name__} {_echo(data)})"
            )
            self._set_status("error")
            return
        if self._apply_structure(data):
            self._origin = copy.deepcopy(self._mapping)
            self._origin_name = name

    def _reset(self) -> None:
        for field in self._fields:
            field.has_error = False
        self._apply_structure(copy.deepcopy(self._origin))

    def _toggled(self, change: dict) -> None:
        self._guard(self.set_present, bool(change["new"]))

    def set_present(self, on: bool) -> None:
        """Switch present mode: key sliders only, larger KPIs and charts."""
        on = bool(on)
        if on == self.present:
            return
        self.present = on
        if self.present_toggle.value != on:
            self.present_toggle.value = on
        self._layout()
        self._render()

    # ---------------------------------------------------------------------------- NPV range
    def _draw_kpis(self) -> None:
        case, sc = self.case, self.scenario
        mc: dict | None = None
        if sc.distributions():
            mc = self._mc if self._mc_scenario is sc else {"pending": True}
        self.kpis.value = views.kpi_cards(
            case.kpis,
            case.unadjusted,
            sc.currency,
            sc.horizon_years,
            switching_recovery(case),
            mc=mc,
        )

    def _schedule_mc(self) -> None:
        """Re-run the NPV card's Monte Carlo once the inputs have been still for a moment.

        Each change cancels the run the previous one asked for (a debounce of
        :data:`AUTO_MC_DELAY` on the kernel's event loop); without a running loop (plain
        Python) the run happens at once.
        """
        import time

        if self._mc_handle is not None:
            self._mc_handle.cancel()
            self._mc_handle = None
        if not self.scenario.distributions() or self._mc_scenario is self.scenario:
            return
        self._mc_asked_at = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._auto_mc()
            return
        self._mc_handle = loop.call_later(AUTO_MC_DELAY, self._guard, self._auto_mc)

    def _auto_mc(self) -> None:
        """Monte Carlo of the case on screen (the board pack's draws and seed) onto the NPV card."""
        import time

        from cxroi.analysis.uncertainty import simulate
        from cxroi.present.report import REPORT_DRAWS, REPORT_SEED

        self._mc_handle = None
        sc = self.scenario
        summary = simulate(sc, draws=REPORT_DRAWS, seed=REPORT_SEED, keep_draws=False).summary
        if sc is not self.scenario:  # a newer change is on screen; its own run is scheduled
            return
        self._mc, self._mc_scenario = summary, sc
        self._draw_kpis()
        self.mc_latency = time.perf_counter() - self._mc_asked_at

    def breakeven(self, path: Any) -> None:
        """Show the value of ``path`` at which the NPV is zero, the others as on screen."""
        from cxroi.analysis.uncertainty import switching_value

        if path not in self.scenario.fields():
            return
        value = switching_value(self.scenario, path)["value"]
        base = base_value(self.scenario.fields()[path])
        if value is None:
            text = f"The NPV does not reach zero anywhere in the range of {path}."
        else:
            text = f"NPV = 0 when {path} is {_echo_number(value)} (now {_echo_number(base)})."
        self.breakeven_result.value = (
            f'<span class="cxroi-breakeven-result" data-path="{html.escape(path)}" '
            f'data-value="{views._data_value(value)}">{html.escape(text)}</span>'
        )

    # ---------------------------------------------------------------------------- board pack
    def board_pack(self) -> bytes:
        """The board pack PDF of the case on screen (edits included), as ``cxroi report`` writes.

        Playwright's synchronous API refuses to run on a thread with an asyncio loop (the
        kernel's), so the PDF is printed on a worker thread while this callback waits.
        """
        import tempfile
        from concurrent.futures import ThreadPoolExecutor

        from cxroi.outputs.boardpack import board_pack_html, write_pdf

        document = board_pack_html(self.scenario)
        with tempfile.TemporaryDirectory(prefix="cxroi-pack-") as tmp:
            target = Path(tmp) / "board_pack.pdf"
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(write_pdf, document, target).result()
            return target.read_bytes()

    def export_board_pack(self) -> None:
        """Render the board pack of the current state and offer it as a download link."""
        npv = self.case.kpis["npv"]
        self.export_link.value = (
            '<span class="cxroi-export-status" data-state="busy">Preparing board pack…</span>'
        )
        try:
            pdf = self.board_pack()
        except TimeLimitExceeded:  # the guard says it took too long; no busy note left behind
            self.export_link.value = ""
            raise
        except Exception as exc:  # noqa: BLE001 - shown as a message, the kernel keeps serving
            log.exception("cxroi dashboard: board pack failed: %s", exc)
            self.export_link.value = views.error_html(
                "The board pack could not be written (is Chromium installed?)."
            )
            return
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", self.scenario.name).strip("_") or "scenario"
        link = views.export_link(pdf, f"{stem}_board_pack.pdf")
        self.export_link.value = link.replace(
            "<a ", f'<a data-npv="{views._data_value(npv)}" data-rev="{self.rev}" ', 1
        )

    # ---------------------------------------------------------------------------- output
    def _set_status(self, state: str) -> None:
        self.status.value = (
            f'<span class="cxroi-status" data-rev="{self.rev}" data-state="{state}">'
            f"{'Up to date' if state == 'ok' else 'Not applied: last valid case shown'}</span>"
        )

    def chart_payload(self, key: str) -> dict:
        """Specification (cached per layout) and data rows of chart ``key`` for this case."""
        data_fn, build = CHARTS[key]
        currency = self.scenario.currency
        data = data_fn(self.case, currency)
        width, height = CHART_SIZE[self.present]
        cache_key = (key, currency, self.present)
        if cache_key not in self._specs:
            spec, _, sig = charts.split_spec(build(data, currency, width, height))
            self._specs[cache_key] = (spec, sig)
        spec, sig = self._specs[cache_key]
        rows = charts.json_rows(data)
        return {"sig": sig, "spec": spec, "rows": rows}

    def _render(self) -> None:
        """Write the case on screen into widget state."""
        self.rev += 1
        case, sc = self.case, self.scenario
        title = (
            f'<div class="cxroi-title" title="{html.escape(sc.name)}">{html.escape(sc.name)}</div>'
            '<div class="cxroi-subtitle">Customer-experience business case</div>'
        )
        if self.title.value != title:
            self.title.value = title
        # The KPIs go last: when the page shows the new NPV, the table, charts and the
        # download link it was sent with are already the new case's.
        for key, pane in self.chart_panes.items():
            payload = self.chart_payload(key)
            marker = f"{payload['sig']}:{payload['rows']}"
            if self._sent.get(key) != marker:
                self._sent[key] = marker
                pane.value = views.chart_holder(key, self.rev, payload)
        if any(i.benefit_lines or i.cost_lines for i in sc.initiatives):
            self.tei.value = views.tei_lines_table(case, sc.currency)
        else:
            self.tei.value = views.tei_table(case.tei_table(), sc.currency)
        self.unquantified.value = views.unquantified_html(case.unquantified)
        self.initiative_values.value = views.initiative_values_table(case, sc.currency)
        text = yaml.safe_dump(sc.to_mapping(), sort_keys=False, allow_unicode=True)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", sc.name).strip("_") or "scenario"
        self.download.value = views.download_link(text, f"{stem}.yaml")
        sources = views.sources_html(sc)
        if self.sources.value != sources:
            self.sources.value = sources
        self.headline.value = views.headline_html(headline(case))
        paths = list(sc.fields())
        if list(self.breakeven_field.options) != paths:
            self.breakeven_field.options = paths
        if self._last_path in paths and self.breakeven_field.value != self._last_path:
            self.breakeven_field.value = self._last_path  # the field edited last, one click away
        self.breakeven_result.value = ""
        self.goalseek.refresh(paths)
        self._draw_kpis()
        self._schedule_mc()
        self._set_status("ok")
        self.uncertainty.mark_stale()
