"""Inputs of the TEI extensions: benefit and cost lines, unquantified benefits, risk by lever.

Widgets only: each input is a :class:`cxroi.app.field_input.FieldInput` made by the dashboard
(parsing, validation through :func:`cxroi.load_scenario`, messages naming the field by its
label), and each structure change (a line or an unquantified benefit added or removed, the
benefit risk switched between one number and one value per lever) is a candidate scenario
mapping made by the page's :class:`cxroi.app.editor.ScenarioEditor` and handed to the
dashboard, which validates and evaluates it like any other change.
The rules are docs/model.md §11 (lines) and §12 (risk by lever).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from cxroi.app.editor import LINE_STEMS, by_lever, unwrap_evidence
from cxroi.app.field_input import form_switch
from cxroi.app.fields import (
    BENEFIT_LINE_FIELDS,
    CASE_FIELDS,
    COST_LINE_FIELDS,
    LEVER_RISK_FIELDS,
    UNQUANTIFIED_FIELD,
    css_class,
)

__all__ = [
    "LINE_KINDS",
    "add_line",
    "add_unquantified",
    "benefit_risk_rows",
    "initiative_extras",
    "remove_line",
    "remove_unquantified",
    "switch_benefit_risk",
]

#: (key, section title, name of a new line, button label) of the two kinds of TEI lines.
LINE_KINDS = (
    (
        "benefit_lines",
        "Benefit lines (not driven by customers)",
        LINE_STEMS["benefit_lines"],
        "Add benefit line",
    ),
    ("cost_lines", "Cost lines (beside capex and opex)", LINE_STEMS["cost_lines"], "Add cost line"),
)

_SPECS = {"benefit_lines": BENEFIT_LINE_FIELDS, "cost_lines": COST_LINE_FIELDS}


def _title(text: str) -> W.HTML:
    return W.HTML(f'<div class="cxroi-subgroup-title">{html.escape(text)}</div>')


def _button(app: Any, label: str, hook: str, action, *args) -> W.Button:
    button = W.Button(description=label, icon="", layout=W.Layout(width="auto"))
    button.add_class(hook)
    button.on_click(lambda _: app.guard(action, app, *args))
    return button


# ------------------------------------------------------------------------ per initiative
def initiative_extras(app: Any, j: int, ini: dict) -> list[W.Widget]:
    """The TEI lines and the unquantified benefits of initiative ``j``, as sidebar rows.

    Each line has its name, amount and risk inputs (field paths such as
    ``initiatives[Agent desktop].benefit_lines[Handle time].amount``) and a remove button;
    each kind has an add button. The unquantified benefits are listed one input each, with
    a remove button, and a box to name a new one.
    """
    base = f"initiatives[{ini.get('name', '')}]"
    out: list[W.Widget] = []
    for kind, title, _, add_label in LINE_KINDS:
        parts: list[W.Widget] = [_title(title)]
        for k, line in enumerate(ini.get(kind) or []):
            where = f"{base}.{kind}[{unwrap_evidence(line.get('name', ''))}]"
            rows = []
            for spec in _SPECS[kind]:
                field = app._field(
                    spec,
                    ("initiatives", j, kind, k, spec.key),
                    f"{where}.{spec.key}",
                    ["initiatives", j, kind, k, spec.key],
                    blank_default=spec.key == "risk",
                    slider=False,  # the line's box is narrower than the sidebar
                )
                rows.append(field.box)
            hook = css_class("initiatives", j, kind, k, "remove")
            rows.append(_button(app, "Remove line", hook, remove_line, j, kind, k))
            box = W.VBox(rows)
            box.add_class("cxroi-line")
            parts.append(box)
        hook = css_class("initiatives", j, kind, "add")
        parts.append(_button(app, add_label, hook, add_line, j, kind))
        group = W.VBox(parts)
        group.add_class("cxroi-lines")
        out.append(group)

    parts = [_title("Unquantified benefits (named, in no figure)")]
    for k, _item in enumerate(ini.get("unquantified") or []):
        field = app._field(
            UNQUANTIFIED_FIELD,
            ("initiatives", j, "unquantified", k),
            f"{base}.unquantified[{k}]",
            ["initiatives", j, "unquantified", k],
            ranged=False,
            label=f"Unquantified {k + 1}",
        )
        hook = css_class("initiatives", j, "unquantified", k, "remove")
        field.row.children = tuple(field.row.children) + (
            _button(app, "Remove", hook, remove_unquantified, j, k),
        )
        parts.append(field.box)
    new = W.Text(placeholder="Name a benefit not valued…", layout=W.Layout(width="200px"))
    new.add_class(css_class("initiatives", j, "unquantified", "new"))
    add = W.Button(description="Add", icon="", layout=W.Layout(width="60px"))
    add.add_class(css_class("initiatives", j, "unquantified", "add"))
    add.on_click(lambda _: app.guard(add_unquantified, app, j, new.value))
    parts.append(W.HBox([new, add]))
    group = W.VBox(parts)
    group.add_class("cxroi-unquantified-inputs")
    out.append(group)
    return out


def _change(app: Any, j: int, candidate: dict) -> bool:
    """Apply a candidate that edits initiative ``j``; keep the tabs as they are."""
    app._segment_selected = app.segment_tabs.selected_index or 0
    app._initiative_selected = j
    return app._apply_structure(candidate)


def add_line(app: Any, j: int, kind: str) -> None:
    """Add a line of ``kind`` (``benefit_lines`` or ``cost_lines``) with amount 0 to ``j``."""
    _change(app, j, app.editor.with_line_added(j, kind))


def remove_line(app: Any, j: int, kind: str, k: int) -> None:
    """Remove line ``k`` of ``kind`` from initiative ``j``."""
    _change(app, j, app.editor.with_item_removed(j, kind, k))


def add_unquantified(app: Any, j: int, text: Any) -> None:
    """Add ``text`` (a benefit named but not valued) to initiative ``j``'s list."""
    if not isinstance(text, str) or not text.strip():
        app.banner.value = (
            '<div class="cxroi-error" data-field="unquantified">Unquantified benefit: type '
            "its name first.</div>"
        )
        return
    name = text.strip()
    edit = app.editor.with_initiative_edit
    _change(app, j, edit(j, lambda ini: ini.setdefault("unquantified", []).append(name)))


def remove_unquantified(app: Any, j: int, k: int) -> None:
    """Remove item ``k`` of initiative ``j``'s unquantified benefits."""
    _change(app, j, app.editor.with_item_removed(j, "unquantified", k))


# ------------------------------------------------------------------------ risk by lever
def benefit_risk_rows(app: Any) -> tuple[list[W.Widget], Any]:
    """Rows of the benefit risk adjustment: a form switch, then one number or six levers.

    Returns
    -------
    rows : list of widgets
        The switch (``One number`` / ``Per lever``) and the inputs of the form in force.
    field : FieldInput or None
        The one-number input (a key input of present mode), None in the per-lever form.
    """
    current = unwrap_evidence((app.editor.mapping.get("risk") or {}).get("benefit_adjustment"))
    lever = by_lever(current)
    form = form_switch(
        [("One number", "number"), ("Per lever", "lever")],
        "lever" if lever else "number",
        "Benefit risk",
        "136px",
        "cxroi-field-risk-benefit_adjustment-form",
        lambda new: app.guard(switch_benefit_risk, app, new),
    )
    app._risk_form = form
    if not lever:
        spec = next(s for s in CASE_FIELDS if s.key == "benefit_adjustment")
        keys = ("risk", "benefit_adjustment")
        field = app._field(spec, keys, "risk.benefit_adjustment", list(keys))
        return [form, field.box], field
    rows: list[W.Widget] = [form]
    for spec in LEVER_RISK_FIELDS:
        lever_keys = ("risk", "benefit_adjustment", spec.key)
        path = f"risk.benefit_adjustment.{spec.key}"
        field = app._field(spec, lever_keys, path, list(lever_keys), blank_default=True)
        rows.append(field.box)
    return rows, None


def switch_benefit_risk(app: Any, form: str) -> None:
    """Switch the benefit risk adjustment between one number and one value per lever.

    One number ``b`` becomes ``{default: b}`` (every lever and the lines at ``b``); per lever
    becomes one number, the largest value in force (the switch never favours the case,
    docs/model.md §12).
    """
    candidate = app.editor.with_benefit_risk_form(form)
    if candidate is None:
        return
    app._segment_selected = app.segment_tabs.selected_index or 0
    app._initiative_selected = app.initiative_tabs.selected_index or 0
    app._apply_structure(candidate)
