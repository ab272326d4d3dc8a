"""The dashboard's Versions view and session: undo/redo, named versions, changes, autosave.

Widgets only: the rules (undo and redo stacks, the changes listed, versions and their KPIs, the
state kept across a reload) are :class:`cxroi.app.session.Session`, held by the page's
:class:`cxroi.app.editor.ScenarioEditor`; the bridge between two versions is
:func:`cxroi.analysis.compare.compare`. A state put back on screen (undo, a version, the
autosave) is validated and evaluated like an upload.
"""

from __future__ import annotations

import base64
import copy
import html
import logging
from typing import Any

import ipywidgets as W

import cxroi
from cxroi.app import views
from cxroi.app.field_input import SafeText
from cxroi.app.header import MAX_UPLOAD_BYTES
from cxroi.app.page import Page
from cxroi.app.session import Session, bridge_table, versions_table

__all__ = ["VersionsMixin"]

log = logging.getLogger("cxroi.app.dashboard")


class VersionsMixin(Page):
    """The Versions view of :class:`cxroi.app.dashboard.Dashboard` and the session's controls."""

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
        versions = self.session.versions
        if not versions or name not in versions or name == next(iter(versions)):
            self.bridge_html.value = ""
            self._bridge_key = None
            return
        from cxroi.analysis.compare import compare  # only with two versions to compare

        base = next(iter(versions))
        key = (base, name, id(versions[base]), id(versions[name]))
        if key == self._bridge_key:
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
        self._step(self.session.undo())

    def redo(self) -> None:
        """Redo the change undone last."""
        self._step(self.session.redo())

    def _step(self, state: dict | None) -> None:
        """Show the state undo or redo stepped to (None: nothing to step to)."""
        if state is not None:
            self._show_state(state)
        self._session_changed()

    def save_version(self, name: Any) -> None:
        """Save the state on screen as a named version."""
        try:
            saved = self.session.save_version(str(name), self.editor.mapping, self.case.kpis)
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
            if scenario != self.editor.mapping:
                self._apply_structure(scenario)
                if self.session.changes and not self.session.changes[-1].startswith("Restored"):
                    self.session._log(["Restored the state saved before the reload"])
        finally:
            self._session_changed()
