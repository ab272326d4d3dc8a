"""The executive dashboard: inputs for every scenario field, KPIs, TEI table and charts.

ipywidgets inputs for every scenario field, KPI cards, the TEI table and five charts that
update on every change.

Flow of one change (see ``docs/dashboard.md``)::

    widget value -> ScenarioEditor (parse, candidate mapping)
        -> cxroi.load_scenario (rules, field paths) -> cxroi.evaluate
        -> KPI/table HTML + chart data rows -> widget state

Nothing is decided here about the economics: the edits, their validation and evaluation are
:class:`cxroi.app.editor.ScenarioEditor` (no widgets); the callbacks only read widgets, ask the
editor and write widget state. A value the engine refuses leaves the last valid case on
screen and shows the message next to the field (class ``cxroi-error``).

:class:`Dashboard` is assembled from its parts, one module each:

- :mod:`cxroi.app.header`: title, status, scenario picker, upload, download, board pack,
  undo/redo/reset, present mode;
- :mod:`cxroi.app.sidebar`: the inputs (:mod:`cxroi.app.field_input`) and what typing does;
- :mod:`cxroi.app.case_view`: headline, KPI cards, break-even, goal seek, charts, TEI table;
- :mod:`cxroi.app.versions_view`: versions, the session's changes, autosave;
- :mod:`cxroi.app.guard`: the time limit and plain messages instead of tracebacks.

This module joins them and holds the one path by which a candidate becomes the case on screen
(:meth:`Dashboard._apply`, :meth:`Dashboard._apply_structure`, :meth:`Dashboard._take`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ipywidgets as W

import cxroi
from cxroi.app import views
from cxroi.app.case_view import AUTO_MC_DELAY, CHART_SIZE, CHARTS, CaseViewMixin
from cxroi.app.editor import MAX_ECHO, ScenarioEditor, echo, issue_text
from cxroi.app.field_input import FieldInput, Kit, Rejected, SafeText
from cxroi.app.guard import INTERRUPTED, OVERFLOW, TIMED_OUT, UNEXPECTED, GuardMixin
from cxroi.app.header import MAX_UPLOAD_BYTES, HeaderMixin
from cxroi.app.kernel_log import keep_logs_off_the_page
from cxroi.app.sidebar import SidebarMixin
from cxroi.app.timelimit import TimeLimitExceeded, default_time_limit
from cxroi.app.uncertainty_view import UncertaintyView
from cxroi.app.versions_view import VersionsMixin

__all__ = [
    "AUTO_MC_DELAY",
    "CHARTS",
    "CHART_SIZE",
    "INTERRUPTED",
    "MAX_ECHO",
    "MAX_UPLOAD_BYTES",
    "OVERFLOW",
    "TIMED_OUT",
    "UNEXPECTED",
    "Dashboard",
    "FieldInput",
    "Kit",
    "Rejected",
    "SafeText",
]

log = logging.getLogger(__name__)


class Dashboard(GuardMixin, HeaderMixin, SidebarMixin, CaseViewMixin, VersionsMixin):
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
    editor : cxroi.app.editor.ScenarioEditor
        The edited scenario, its case and the session, without widgets.
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
        self.editor = ScenarioEditor(scenario)
        source = self.scenario.source
        folder = scenario_dir or (Path(source).parent if source else None)
        self._scenario_dir = Path(folder) if folder else None
        self.rev = 0
        self.present = False
        self._fields = []
        self._field_sinks = {}
        self._specs = {}
        self._sent = {}
        self._kit = Kit()
        self._compact_ranges = []
        self._risk_form = None
        self._segment_selected = 0
        self._initiative_selected = 0
        self._neutral_segment = None  # a segment just added: the page says it starts neutral
        self._bridge_key = None
        self._mc = None  # Monte Carlo summary of the NPV card, for _mc_scenario
        self._mc_scenario = None
        self._mc_handle = None
        self._mc_asked_at = 0.0
        self._last_path = "discount_rate"
        self.mc_latency = None  # last change -> NPV card range drawn [s]
        self._restoring = False
        self._autosave_ready = False
        self._autosave_key = f"cxroi:autosave:v1:{self.editor.origin_name}"
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

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------------------- layout
    def _build_static(self) -> None:
        self._build_header()
        self._build_case_view()
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

    # ---------------------------------------------------------------------------- changes
    def _apply(self, candidate: dict, source: FieldInput | None = None) -> bool:
        """Validate and evaluate ``candidate``; on success make it the case on screen."""
        try:
            scenario = self.editor.check(candidate)
        except cxroi.ScenarioError as err:
            self._show_issues(err, source)
            return False
        if not self._take(scenario, candidate):
            return False
        self._sync_inputs(skip=source)
        return True

    def _apply_structure(self, candidate: Any) -> bool:
        """Validate and evaluate a whole new state (structure change, upload, undo...).

        The inputs are made anew for it; a refusal is said in the banner.
        """
        if not isinstance(candidate, dict):
            # Only a mapping is a scenario here: a string is never opened as a path.
            self.banner.value = views.error_html(
                "Not applied: a scenario file must hold a mapping of fields "
                f"(got {type(candidate).__name__} {echo(candidate)})"
            )
            self._set_status("error")
            return False
        try:
            scenario = self.editor.check(candidate)
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            text = "; ".join(
                (f"{i.path}: " if getattr(i, "path", "") else "") + issue_text(i)
                for i in issues[:5]
            )
            self.banner.value = views.error_html(
                "Not applied (the last valid case stays on screen): " + text
            )
            self._set_status("error")
            return False
        return self._take(scenario, scenario.to_mapping(), rebuild=True)

    def _take(self, scenario: Any, mapping: dict, rebuild: bool = False) -> bool:
        """Evaluate and draw ``scenario``; if that fails, the previous case stays, whole.

        The case, its KPIs and charts change together or not at all: results the engine
        cannot compute (overflow) never leave new KPIs over old charts. With ``rebuild`` the
        inputs are made anew for the new case before it is drawn, so that the new KPIs on
        the page mean the inputs are current too (text typed after them is never lost).
        """
        editor = self.editor
        old, sent = editor.state(), dict(self._sent)
        rebuilt = False
        try:
            case = editor.compute(scenario)
            editor.accept(mapping, scenario, case)
            if rebuild:
                rebuilt = True
                self._rebuild_inputs()
            self._render()
            editor.check_finite(case)
        except (
            ArithmeticError,
            ValueError,
            FloatingPointError,
            TimeLimitExceeded,
            KeyboardInterrupt,
        ) as exc:
            log.info("cxroi dashboard: case not drawn: %s", exc)
            editor.restore(old)
            self._sent = sent
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
            editor.record()
            self._session_changed()
        return True

    # ---------------------------------------------------------------------------- output
    def _render(self) -> None:
        """Write the case on screen into widget state."""
        self.rev += 1
        self._render_header()
        # The KPIs go last: when the page shows the new NPV, the table, charts and the
        # download link it was sent with are already the new case's.
        self._render_charts()
        self._render_download()
        self._render_findings()
        self._draw_kpis()
        self._schedule_mc()
        self._set_status("ok")
        self.uncertainty.mark_stale()
