"""A dashboard session: undo/redo, what changed, named versions and the autosaved state.

Pure Python (no widgets), so every rule is testable without a browser. States are scenario
mappings as :meth:`cxroi.Scenario.to_mapping` writes them (the user's values, benchmark
defaults left as defaults), so a version, an undo step and the autosave reopen exactly.

- :class:`Session` keeps the undo and redo stacks, the list of changes made in the session
  and the named versions (Base, Conservative, Stretch...) with their KPIs.
- :func:`describe_changes` says which fields differ between two states, in field paths
  (``discount_rate: 0.1 -> 0.13``).
- :func:`versions_table` lays the versions side by side with each KPI's difference from the
  first version, formatted by :func:`cxroi.present.formatting.format_kpi`.
- :meth:`Session.to_json` / :meth:`Session.restore` carry the state and the versions through
  the browser's storage across a reload (validated again on the way back in).
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Mapping
from typing import Any

from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import HEADLINE_KEYS, KPIS, kpi_label
from cxroi.model.paths import leaves
from cxroi.present.formatting import data_value, format_kpi, format_money, format_pct

__all__ = [
    "MAX_CHANGES",
    "MAX_UNDO",
    "MAX_VERSIONS",
    "VERSION_KPIS",
    "Session",
    "bridge_table",
    "describe_changes",
    "flatten",
    "versions_table",
]

#: Undo steps kept (the oldest are dropped).
MAX_UNDO = 100
#: Changes listed for the session (the oldest are dropped).
MAX_CHANGES = 200
#: Named versions kept at once.
MAX_VERSIONS = 12
#: Longest version name [characters].
MAX_NAME = 40

#: KPIs compared across versions, in table order.
VERSION_KPIS = HEADLINE_KEYS


#: A scenario mapping's values by field path (:func:`cxroi.model.paths.leaves`).
flatten = leaves


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def describe_changes(old: Mapping, new: Mapping, limit: int = 6) -> list[str]:
    """The fields that differ between two scenario mappings, as ``path: old -> new`` lines.

    Parameters
    ----------
    old, new : mapping
        Scenario mappings (``Scenario.to_mapping()``).
    limit : int
        Lines kept; beyond it a last line says how many more fields changed.

    Returns
    -------
    list of str
        Empty when nothing differs.
    """
    a, b = flatten(old), flatten(new)
    lines = []
    for path in list(dict.fromkeys([*a, *b])):
        va, vb = a.get(path), b.get(path)
        if va != vb:
            lines.append(f"{path}: {_show(va)} -> {_show(vb)}")
    if len(lines) > limit:
        lines = lines[: limit - 1] + [f"and {len(lines) - limit + 1} more fields"]
    return lines


def _delta(key: str, value: Any, base: Any, currency: str) -> str:
    value, base = finite_or_none(value), finite_or_none(base)
    if value is None or base is None:
        return ""
    diff = value - base
    if diff == 0:
        return "±0"
    sign = "+" if diff > 0 else "-"
    kind = KPIS[key].kind  # the KPI registry says how the figure reads
    if kind == "money":
        return sign + format_money(abs(diff), currency)
    if kind == "ratio":
        return f"{sign}{format_pct(abs(diff), 1)[:-1]} pts"
    if kind == "years":
        return f"{sign}{abs(diff):.1f} y"
    return sign + format_kpi(key, abs(diff))


def versions_table(versions: Mapping[str, Mapping[str, Any]], currency: str, horizon: int) -> str:
    """The named versions side by side, each KPI with its difference from the first version.

    Parameters
    ----------
    versions : mapping
        Version name -> ``{"kpis": case.kpis, ...}`` in the order saved.
    currency : str
        ISO code of money KPIs.
    horizon : int
        Horizon [years] (a payback that does not happen).

    Returns
    -------
    str
        HTML; every cell holds ``data-version``, ``data-version-kpi`` and a full-precision
        ``data-value``, every difference ``data-delta``.
    """
    if not versions:
        return '<div class="cxroi-note">No version saved yet.</div>'
    names = list(versions)
    base = versions[names[0]]["kpis"]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for key in VERSION_KPIS:
        cells = []
        for i, name in enumerate(names):
            value = versions[name]["kpis"].get(key)
            full = data_value(value)
            text = html.escape(format_kpi(key, value, currency, horizon))
            delta = ""
            if i:
                d = _delta(key, value, base.get(key), currency)
                delta = f' <span class="cxroi-delta" data-delta="{key}">({html.escape(d)})</span>'
            cells.append(
                f'<td data-version="{html.escape(name)}" data-version-kpi="{key}" '
                f'data-value="{full}">'
                f"{text}{delta}</td>"
            )
        rows.append(f"<tr><th>{kpi_label(key, short=True)}</th>{''.join(cells)}</tr>")
    return (
        f'<div class="cxroi-versions"><table><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<div class="cxroi-note">Differences from {html.escape(names[0])} in brackets.</div>'
        "</div>"
    )


def bridge_table(comparison: Any, base: str, name: str) -> str:
    """The NPV bridge from version ``base`` to version ``name``, change by change.

    Parameters
    ----------
    comparison : cxroi.analysis.compare.Comparison
        ``compare(base state, other state)``: its ``npv_change_by_field`` is the exact Shapley
        split of the NPV change over the fields that differ (docs/model.md §15).
    base, name : str
        The two versions' names.

    Returns
    -------
    str
        HTML; each row holds ``data-bridge`` (the change's path) and a full-precision
        ``data-value``; the rows add up to the NPV change.
    """
    cur = comparison.currency
    a, b = comparison.a.get("npv"), comparison.b.get("npv")
    head = (
        f'<div class="cxroi-card-title">NPV bridge: {html.escape(base)} to '
        f"{html.escape(name)}</div>"
    )
    split = comparison.npv_change_by_field
    if a is None or b is None:
        return head + '<div class="cxroi-note">No NPV to bridge.</div>'
    if not split:
        body = (
            '<div class="cxroi-note">The two versions are the same case.</div>'
            if a == b
            else '<div class="cxroi-note">Too many changes to split one by one.</div>'
        )
        return f'<div class="cxroi-bridge">{head}{body}</div>'
    rows = [f"<tr><td>{html.escape(base)}</td><td>{html.escape(format_money(a, cur))}</td></tr>"]
    for path, value in sorted(split.items(), key=lambda kv: -abs(kv[1])):
        sign = "+" if value >= 0 else "-"
        rows.append(
            f'<tr><td>{html.escape(path)}</td><td data-bridge="{html.escape(path)}" '
            f'data-value="{float(value)!r}">{sign}{html.escape(format_money(abs(value), cur))}'
            "</td></tr>"
        )
    last = html.escape(format_money(b, cur))
    rows.append(f"<tr><th>{html.escape(name)}</th><th>{last}</th></tr>")
    note = "by group of changes" if comparison.grouped else "change by change"
    return (
        f'<div class="cxroi-bridge cxroi-versions">{head}<table><tbody>{"".join(rows)}</tbody>'
        f'</table><div class="cxroi-note">Shapley split of the NPV change, {note}; the '
        "steps add up to the difference.</div></div>"
    )


class Session:
    """Undo/redo, the session's changes and the named versions of one dashboard.

    Parameters
    ----------
    mapping : mapping
        The state opened (a scenario mapping).
    """

    def __init__(self, mapping: Mapping):
        self.current: dict = copy.deepcopy(dict(mapping))
        self.undo_stack: list[dict] = []
        self.redo_stack: list[dict] = []
        self.changes: list[str] = []
        self.versions: dict[str, dict[str, Any]] = {}

    # -- history ---------------------------------------------------------------------------
    def record(self, new: Mapping, label: str = "") -> list[str]:
        """Make ``new`` the current state after a change by the user.

        The previous state goes on the undo stack, the redo stack is emptied, and the fields
        that changed are added to :attr:`changes`. Nothing happens when nothing changed.

        Returns
        -------
        list of str
            The change lines added.
        """
        state = copy.deepcopy(dict(new))
        lines = describe_changes(self.current, state)
        if not lines:
            return []
        self.undo_stack.append(self.current)
        del self.undo_stack[:-MAX_UNDO]
        self.redo_stack.clear()
        self.current = state
        added = [f"{label}: {line}" if label else line for line in lines]
        self._log(added)
        return added

    def _log(self, lines: list[str]) -> None:
        self.changes.extend(lines)
        del self.changes[:-MAX_CHANGES]

    def _step(self, back: list[dict], forth: list[dict], note: str) -> dict | None:
        """Pop a state from ``back`` (the current one goes on ``forth``): undo or redo."""
        if not back:
            return None
        forth.append(self.current)
        self.current = back.pop()
        self._log([note])
        return copy.deepcopy(self.current)

    def undo(self) -> dict | None:
        """Step back: the state to show, or None when there is nothing to undo."""
        return self._step(self.undo_stack, self.redo_stack, "Undo")

    def redo(self) -> dict | None:
        """Step forward again: the state to show, or None when there is nothing to redo."""
        return self._step(self.redo_stack, self.undo_stack, "Redo")

    # -- versions --------------------------------------------------------------------------
    def save_version(self, name: str, mapping: Mapping, kpis: Mapping[str, Any]) -> str:
        """Save a state under ``name`` (saving again under a name replaces that version).

        Raises
        ------
        ValueError
            If the name is empty or longer than :data:`MAX_NAME` characters, or a new name
            would exceed :data:`MAX_VERSIONS` versions.
        """
        name = " ".join(str(name).split())
        if not name:
            raise ValueError("version name: must not be empty")
        if len(name) > MAX_NAME:
            raise ValueError(f"version name: at most {MAX_NAME} characters (got {len(name)})")
        if name not in self.versions and len(self.versions) >= MAX_VERSIONS:
            raise ValueError(f"versions: at most {MAX_VERSIONS}; delete one first")
        self.versions[name] = {"mapping": copy.deepcopy(dict(mapping)), "kpis": dict(kpis)}
        self._log([f"Saved version {name}"])
        return name

    def delete_version(self, name: str) -> None:
        """Forget a version (no error if there is none by that name)."""
        if self.versions.pop(name, None) is not None:
            self._log([f"Deleted version {name}"])

    # -- autosave --------------------------------------------------------------------------
    def to_json(self) -> str:
        """The state and the versions' states as JSON (what the browser keeps across reloads)."""
        return json.dumps(
            {
                "scenario": self.current,
                "versions": {n: v["mapping"] for n, v in self.versions.items()},
            },
            separators=(",", ":"),
            allow_nan=False,
            default=str,
        )

    @staticmethod
    def parse_saved(text: str) -> tuple[dict, dict[str, dict]]:
        """Read what :meth:`to_json` wrote: ``(scenario mapping, {version: mapping})``.

        Raises
        ------
        ValueError
            If the text is not such an object (the caller validates each scenario).
        """
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("scenario"), dict):
            raise ValueError("saved state: must be an object with a 'scenario' mapping")
        versions = data.get("versions") or {}
        if not isinstance(versions, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in versions.items()
        ):
            raise ValueError("saved state: 'versions' must map names to scenario mappings")
        return data["scenario"], dict(list(versions.items())[:MAX_VERSIONS])
