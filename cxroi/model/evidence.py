"""Evidence written beside input values: ``{value, source, note, as_of}`` (docs/model.md §18).

A scenario may give any input with its evidence. Loading unwraps each such mapping to its value
and keeps the evidence by field path (:func:`_unwrap_evidence`); writing the scenario back wraps
the values again (:func:`_rewrap_evidence`). Both walk the mapping with
:func:`cxroi.model.paths.walk`, which addresses list items by name and mapping keys in
brackets, as field paths do.
:func:`cxroi.model.scenario.input_sources` lists every input with the evidence found here.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxroi.model.distributions import _did_you_mean
from cxroi.model.field_types import MAX_TEXT_CHARS
from cxroi.model.issues import ScenarioIssue
from cxroi.model.paths import walk
from cxroi.model.yaml_io import _excerpt

__all__ = ["EVIDENCE_KEYS", "NOT_SOURCED", "Evidence", "InputSource"]

#: Keys of an input written with its evidence: ``{value, source, note, as_of}``.
EVIDENCE_KEYS = ("value", "source", "note", "as_of")
#: What :func:`input_sources` shows for an input that has no evidence.
NOT_SOURCED = "not sourced"


@dataclass(frozen=True)
class Evidence:
    """The evidence written beside one input value: where it comes from, a note, a date."""

    source: str | None = None
    note: str | None = None
    as_of: _dt.date | None = None

    def to_mapping(self, value: Any) -> dict[str, Any]:
        """``{value, source, note, as_of}`` as written in a scenario (the date as ISO text)."""
        out: dict[str, Any] = {"value": value}
        if self.source is not None:
            out["source"] = self.source
        if self.note is not None:
            out["note"] = self.note
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out


@dataclass(frozen=True)
class InputSource:
    """One input of a scenario: its value and where it comes from (see :func:`input_sources`).

    ``kind`` is ``given`` (written in the scenario), ``default`` (a plain default, such as no
    cost to serve, or a value derived from others) or ``benchmark default`` (a default taken
    from a cited benchmark). ``shown`` is what reports print as the source: the user's own,
    the benchmark's citation, or "not sourced".
    """

    path: str
    value: Any
    kind: Literal["given", "default", "benchmark default"]
    source: str | None = None
    note: str | None = None
    as_of: _dt.date | None = None

    @property
    def shown(self) -> str:
        """The source as a report shows it."""
        return self.source if self.source else NOT_SOURCED


def _is_evidence(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value and "dist" not in value


def _unwrap_evidence(data: dict) -> tuple[dict, dict[str, Evidence], list[ScenarioIssue]]:
    """Replace every ``{value, source, note, as_of}`` by its value; collect the evidence."""
    evidence: dict[str, Evidence] = {}
    issues: list[ScenarioIssue] = []

    def visit(path: str, value: Any, is_target: bool) -> Any:
        # the effects mapping (keyed by segment names, one may be "value") is not evidence
        if is_target or not _is_evidence(value) or "name" in value:
            return value
        bad = [k for k in value if k not in EVIDENCE_KEYS]
        for key in bad:
            hint = _did_you_mean(str(key), EVIDENCE_KEYS)
            issues.append(ScenarioIssue(_join(path, _short(key)), f"unknown key{hint}", value[key]))
        parts: dict[str, Any] = {}
        for key in ("source", "note"):
            text = value.get(key)
            if text is None:
                continue
            if not isinstance(text, str):
                issues.append(ScenarioIssue(f"{path}.{key}", "must be a string", text))
            elif len(text) > MAX_TEXT_CHARS:
                issues.append(
                    ScenarioIssue(f"{path}.{key}", f"must be at most {MAX_TEXT_CHARS} characters")
                )
            else:
                parts[key] = text.strip() or None
        as_of = value.get("as_of")
        if as_of is not None:
            date = _as_date(as_of)
            if date is None:
                issues.append(ScenarioIssue(f"{path}.as_of", "must be a date (YYYY-MM-DD)", as_of))
            parts["as_of"] = date
        evidence[path] = Evidence(**parts)
        return value["value"]

    out = walk(data, visit, key_text=_short)
    return out, evidence, issues


def _as_date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _rewrap_evidence(mapping: dict, evidence: Mapping[str, Evidence]) -> None:
    """Write each input that has evidence back as ``{value, source, note, as_of}`` (in place)."""

    def visit(path: str, value: Any, is_target: bool) -> Any:
        found = evidence.get(path)
        return value if found is None or is_target else found.to_mapping(value)

    rebuilt = walk(mapping, visit, post=True, key_text=_short)
    mapping.clear()
    mapping.update(rebuilt)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _short(key: Any) -> str:
    """A key as shown in a path: at most MAX_EXCERPT_CHARS characters of it."""
    return _excerpt(key)
