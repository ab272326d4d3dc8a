"""The dashboard's inputs: case settings, segment and initiative tabs, and what typing does.

Widgets only. The sidebar makes one :class:`cxroi.app.field_input.FieldInput` per scenario field
(the segment and initiative tabs build theirs when first selected: fewer widget models, a faster
first render), shows the values in force with their source, and turns what is typed into a
candidate scenario through the page's :class:`cxroi.app.editor.ScenarioEditor`: the editor reads
the text and makes the candidate, the page validates and evaluates it
(:meth:`cxroi.app.dashboard.Dashboard._apply`). A refused value is shown next to its field (the
issue's path finds the input); the last valid case stays on screen.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from typing import Any

import ipywidgets as W

from cxroi.app import tei_inputs, views
from cxroi.app.editor import MISSING, issue_text, unwrap_evidence
from cxroi.app.field_input import FieldInput, Rejected, form_switch
from cxroi.app.fields import (
    CASE_FIELDS,
    EFFECT_FIELDS,
    INITIATIVE_FIELDS,
    SBG_FIELDS,
    SEGMENT_FIELDS,
    FieldParseError,
    css_class,
    format_value,
    is_distribution,
)
from cxroi.app.page import Page
from cxroi.model.paths import parts

__all__ = ["SidebarMixin"]


class SidebarMixin(Page):
    """The input sidebar of :class:`cxroi.app.dashboard.Dashboard` and its callbacks."""

    def _field(self, spec, keys, path, index_path, ranged: bool = True, **kwargs) -> FieldInput:
        classes = [css_class(*index_path)]
        named = css_class(*(attr or key for attr, key in parts(path)))
        if named not in classes:
            classes.insert(0, named)
        field = FieldInput(spec, keys, path, self._field_changed, classes, kit=self._kit, **kwargs)
        self._fields.append(field)
        if ranged and is_distribution(self.editor.value(keys)):
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
        m = self.editor.mapping
        case_rows = []
        self.key_fields = []
        self._extras = []
        self._risk_form = None
        for spec in CASE_FIELDS:
            if spec.key == "benefit_adjustment":  # one number or one value per lever
                rows, field = tei_inputs.benefit_risk_rows(self)
                case_rows.extend(rows)
                if field is not None:
                    self.key_fields.append(field)
                continue
            keys: tuple[str, ...]
            if spec.key in ("benefit_adjustment", "cost_adjustment"):
                keys, path = ("risk", spec.key), f"risk.{spec.key}"
            else:
                keys, path = (spec.key,), spec.key
            field = self._field(spec, keys, path, list(keys))
            case_rows.append(field.box)
            if spec.key in ("horizon_years", "discount_rate", "benefit_adjustment"):
                self.key_fields.append(field)
        self.case_group = self._group("Case settings", case_rows)

        # Only the selected tab's inputs exist at first; the others are built when selected
        # (fewer widget models: a faster first render with many segments and initiatives).
        self.segment_tabs = self._lazy_tabs(
            m["segments"], self._segment_panel, self._segment_selected
        )
        add_seg = W.Button(description="Add segment", layout=W.Layout(width="130px"))
        add_seg.add_class("cxroi-add-segment")
        add_seg.on_click(lambda _: self._guard(self._add_segment))
        self.initiative_tabs = self._lazy_tabs(
            m["initiatives"], self._initiative_panel, self._initiative_selected
        )
        add_ini = W.Button(description="Add initiative", layout=W.Layout(width="130px"))
        add_ini.add_class("cxroi-add-initiative")
        add_ini.on_click(lambda _: self._guard(self._add_initiative))

        segment_parts = [self.segment_tabs, add_seg]
        added, self._neutral_segment = self._neutral_segment, None
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
                label=f"{name}: {spec.label.lower()}" + ("" if target == "*" else f" ({target})"),
                ranged=False,
                blank_default=True,
            )
            # No value typed (a TEI study sets no effect): blank, as in the effects grid, with
            # the value in force, 0 (no "All segments" value to inherit), as its placeholder.
            field.entry.placeholder = format_value(0.0, spec)
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
        retention = unwrap_evidence(seg.get("retention"))  # a rate written with its source
        sbg = isinstance(retention, dict) and "dist" not in retention
        for spec in SEGMENT_FIELDS:
            if spec.key == "retention":
                model = form_switch(
                    [("Constant rate", "constant"), ("sBG curve", "sbg")],
                    "sbg" if sbg else "constant",
                    "Retention model",
                    "146px",
                    css_class("segments", i, "retention_model"),
                    partial(self._guard, self._switch_retention, i),
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
        remove = self._remove_button("segment", i, self._remove_segment)
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
        targets = ["*"] + [str(s.get("name", "")) for s in self.editor.mapping["segments"]]
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
        remove = self._remove_button("initiative", j, self._remove_initiative)
        ranges = list(self._compact_ranges)
        self._compact_ranges = []
        extras = tei_inputs.initiative_extras(self, j, ini)
        return W.VBox(rows + [grid] + ranges + [errors, hint] + extras + [remove])

    def _remove_button(self, item: str, index: int, remove: Callable[[int], Any]) -> W.Button:
        """*Remove segment* (``item``) ``index``; disabled for the last one of its list."""
        button = W.Button(
            description=f"Remove {item}",
            layout=W.Layout(width="140px"),
            disabled=len(self.editor.mapping[f"{item}s"]) <= 1,
        )
        button.add_class(css_class(f"{item}s", index, "remove"))
        button.on_click(lambda _: self._guard(remove, index))
        return button

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
            form = self._risk_form
            if form is not None:  # the benefit risk's form switch, above its inputs
                first = next((i for i, f in enumerate(rows) if f in self._risk_boxes()), len(rows))
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
                value = self.editor.value(field.keys)
                if value is MISSING:
                    value = None if field.blank_default else self.editor.effective(field.keys)
                if is_distribution(value):
                    field.show_distribution(value)
                    value = self.editor.effective(field.keys)
                field.show(value)
            field.set_provenance(provenance.get(field.path), sources.get(field.path))

    def _field_changed(self, field: FieldInput, text: Any) -> None:
        self._guard(self._apply_field, field, text)

    def _apply_field(self, field: FieldInput, text: Any) -> None:
        """Typed text of a field: read, applied when the scenario takes it, shown."""
        self._last_path = field.path
        self._apply_typed(field, text, in_range=False)

    def _range_changed(self, field: FieldInput, text: Any) -> None:
        self._guard(self._apply_range, field, text)

    def _apply_range(self, field: FieldInput, text: Any) -> None:
        """A typed range: a new distribution for the field, or (blank) its base value alone."""
        self._apply_typed(field, text, in_range=True)

    def _apply_typed(self, field: FieldInput, text: Any, in_range: bool) -> None:
        """Text the entry (or, ``in_range``, the range input) of ``field`` sent.

        The editor reads it and makes the candidate; refused text or values are said next to
        the field.
        """
        label = field.spec.label
        if isinstance(text, Rejected):
            self._show_field_error(field, f"{label}: only text can be typed here (ignored)")
            return
        editor, keys = self.editor, field.keys
        current = editor.value(keys)
        try:
            if in_range:
                value, note = editor.read_range(field.spec, keys, text)
            else:
                value, note = editor.read_text(field.spec, keys, text, field.blank_default)
        except FieldParseError as exc:
            if not in_range:
                field.set_note(None)
            self._show_field_error(field, f"{label}{' range' if in_range else ''}: {exc}")
            return
        if not self._apply(editor.with_value(keys, value), source=field):
            return
        self._show_field_error(field, None)
        field.set_note(note)
        if in_range:
            field.show(editor.effective(keys))
        else:
            field.show_slider(editor.effective(keys))
        if is_distribution(value):
            field.show_distribution(value)
        if is_distribution(value) != is_distribution(current):
            self._rebuild_keeping_tabs()  # a range input comes or goes
            if is_distribution(value) and not in_range:
                self.field(field.path).show(editor.effective(keys))
        elif in_range:
            return
        elif editor.is_rename(keys) or keys == ("currency",):
            self._rebuild_inputs()
        elif keys[-1] == "name":  # a TEI line renamed: its inputs' paths change
            self._rebuild_keeping_tabs()

    def _rebuild_keeping_tabs(self) -> None:
        self._segment_selected = self.segment_tabs.selected_index or 0
        self._initiative_selected = self.initiative_tabs.selected_index or 0
        self._rebuild_inputs()

    def _show_field_error(self, field: FieldInput, message: str | None) -> None:
        field.set_error(message, self._field_sinks.get(id(field)))

    def _show_issues(self, err: Any, source: FieldInput | None) -> None:
        unplaced = []
        placed: set[int] = set()
        for issue in getattr(err, "errors", []) or []:
            field = self._field_for(issue.path, prefer=source)
            if field is None:
                unplaced.append(str(issue))
                continue
            if id(field) not in placed:
                self._show_field_error(field, f"{field.spec.label}: {issue_text(issue)}")
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
    def _add_segment(self) -> None:
        candidate, name = self.editor.with_segment_added()
        self._segment_selected = len(candidate["segments"]) - 1
        self._neutral_segment = name
        self._apply_structure(candidate)
        self._neutral_segment = None

    def _remove_segment(self, i: int) -> None:
        candidate = self.editor.with_segment_removed(i)
        if candidate is not None:
            self._segment_selected = max(i - 1, 0)
            self._apply_structure(candidate)

    def _add_initiative(self) -> None:
        candidate = self.editor.with_initiative_added()
        self._initiative_selected = len(candidate["initiatives"]) - 1
        self._apply_structure(candidate)

    def _remove_initiative(self, j: int) -> None:
        candidate = self.editor.with_initiative_removed(j)
        if candidate is not None:
            self._initiative_selected = max(j - 1, 0)
            self._apply_structure(candidate)

    def _switch_retention(self, i: int, model: str) -> None:
        candidate = self.editor.with_retention_model(i, model)
        if candidate is not None:
            self._segment_selected = i
            self._apply_structure(candidate)
