"""What the parts of the dashboard share: the editor, the case on screen and the page's widgets.

:class:`cxroi.app.dashboard.Dashboard` is made of parts, one module each: the header
(:mod:`cxroi.app.header`), the input sidebar (:mod:`cxroi.app.sidebar`), the business-case view
(:mod:`cxroi.app.case_view`), the Versions view (:mod:`cxroi.app.versions_view`) and the guard
(:mod:`cxroi.app.guard`). :class:`Page` is their common base: it holds the scenario editor's
state under the names the page has always used (``scenario``, ``case``, ``session``) and names,
for the type checker, the widgets and methods one part uses from another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxroi.app.editor import ScenarioEditor

if TYPE_CHECKING:
    from cxroi.app.field_input import FieldInput, Kit
    from cxroi.app.goalseek_bar import GoalSeekBar
    from cxroi.app.uncertainty_view import UncertaintyView

__all__ = ["Page"]


class _FromEditor:
    """A page attribute that is the attribute ``name`` of the page's :class:`ScenarioEditor`."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc

    def __get__(self, page: Any, owner: type | None = None) -> Any:
        return self if page is None else getattr(page.editor, self.name)

    def __set__(self, page: Any, value: Any) -> None:
        setattr(page.editor, self.name, value)


class Page:
    """The state every part of the dashboard reads: :attr:`editor` and the case it holds."""

    editor: ScenarioEditor

    scenario = _FromEditor("scenario", "The validated scenario on screen.")
    case = _FromEditor("case", "The evaluated case on screen.")
    session = _FromEditor("session", "Undo/redo, changes and versions of the page.")
    _mapping = _FromEditor("mapping", "The user's values on screen.")

    if TYPE_CHECKING:  # made by the parts; named here for the type checker only
        time_limit: float
        rev: int
        present: bool
        mc_latency: float | None
        # dashboard
        widget: Any
        body: Any
        main: Any
        sidebar: Any
        keybar: Any
        autosave: Any
        restore_input: Any
        uncertainty: UncertaintyView
        _scenario_dir: Path | None
        _restoring: bool
        _autosave_ready: bool
        _autosave_key: str
        # header
        header: Any
        title: Any
        status: Any
        picker: Any
        upload: Any
        download: Any
        export_button: Any
        export_link: Any
        undo_button: Any
        redo_button: Any
        reset_button: Any
        present_toggle: Any
        # case view
        banner: Any
        kpis: Any
        chart_panes: dict[str, Any]
        initiative_values: Any
        tei: Any
        unquantified: Any
        headline: Any
        sources: Any
        breakeven_field: Any
        breakeven_result: Any
        goalseek: GoalSeekBar
        views: Any
        _specs: dict[tuple, tuple[dict, str]]
        _sent: dict[str, str]
        _last_path: str
        _mc: dict | None
        _mc_scenario: Any
        _mc_handle: Any
        _mc_asked_at: float
        # sidebar
        _kit: Kit
        _fields: list[FieldInput]
        _field_sinks: dict[int, Any]
        _compact_ranges: list[Any]
        key_fields: list[FieldInput]
        _extras: list[FieldInput]
        _risk_form: Any
        case_group: Any
        segment_tabs: Any
        initiative_tabs: Any
        _segment_selected: int
        _initiative_selected: int
        _neutral_segment: str | None
        # versions view
        version_name: Any
        version_pick: Any
        version_message: Any
        share_link: Any
        versions_html: Any
        bridge_html: Any
        changes_html: Any
        _bridge_key: tuple | None

        def _guard(self, func: Callable[..., Any], *args: Any) -> None: ...
        def guard(self, func: Callable[..., Any], *args: Any) -> None: ...  # noqa: D102
        def _set_status(self, state: str) -> None: ...
        def _render(self) -> None: ...
        def _apply(self, candidate: dict, source: FieldInput | None = None) -> bool: ...
        def _apply_structure(self, candidate: Any) -> bool: ...
        def _layout(self) -> None: ...
        def _rebuild_inputs(self) -> None: ...
        def _sync_inputs(
            self, skip: FieldInput | None = None, fields: list | None = None
        ) -> None: ...
        def _session_changed(self) -> None: ...
        def add_view(self, title: str, widget: Any) -> None: ...  # noqa: D102
        def export_board_pack(self) -> None: ...  # noqa: D102
        def undo(self) -> None: ...  # noqa: D102
        def redo(self) -> None: ...  # noqa: D102
        def _reset(self) -> None: ...
