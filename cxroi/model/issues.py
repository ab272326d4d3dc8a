"""How a bad scenario is reported: :class:`ScenarioIssue` and :class:`ScenarioError`.

One :class:`ScenarioIssue` per problem (field path, rule, value); the :class:`ScenarioError`
carries them all.

Kept apart from :mod:`cxroi.model.scenario` so that modules the scenario's checks call (such as
:mod:`cxroi.model.correlations`) can report issues without importing the scenario back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxroi.errors import InputError

__all__ = ["ScenarioError", "ScenarioIssue"]


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - never shown
        return "<missing>"


_MISSING = _Missing()


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem found in a scenario: where, which rule, what value."""

    path: str
    rule: str
    value: Any = _MISSING

    def __str__(self) -> str:
        shown = _show(self.value)
        return f"{self.path or '<scenario>'}: {self.rule}" + (f" (got {shown})" if shown else "")


def _show(value: Any) -> str:
    if value is _MISSING:
        return ""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ScenarioError(InputError):
    """A scenario that breaks one or more rules.

    ``str(err)`` lists every problem as ``<field path>: <rule> (got <value>)``;
    ``err.errors`` holds them as :class:`ScenarioIssue` records.
    """

    def __init__(self, errors: list[ScenarioIssue] | ScenarioIssue, source: str | None = None):
        if isinstance(errors, ScenarioIssue):
            errors = [errors]
        self.errors = list(errors)
        self.source = source
        head = f"invalid scenario{f' {source}' if source else ''}"
        lines = [str(e) for e in self.errors]
        if len(lines) == 1:
            message = f"{head}: {lines[0]}"
        else:
            message = f"{head}: {len(lines)} problems\n" + "\n".join(f"  - {x}" for x in lines)
        super().__init__(message)

    @property
    def paths(self) -> list[str]:
        """Field paths of the problems, in order."""
        return [e.path for e in self.errors]
