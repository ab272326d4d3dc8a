"""The dashboard's scenario editor without widgets: the edits, their validation and economics.

:class:`ScenarioEditor` holds the state a dashboard edits -- the user's scenario mapping, the
validated :class:`cxroi.Scenario` made from it, its evaluated :class:`cxroi.BusinessCase`, the
scenario as opened, and the session's undo/redo and versions (:class:`cxroi.app.session.Session`).
Every edit the page offers is a method here that returns a *candidate* mapping (a typed value,
a typed range, a segment or initiative added or removed, the retention model switched, a TEI line
added...); the candidate goes through :func:`cxroi.load_scenario` (the rules and the field
paths of docs/model.md §2) and :func:`cxroi.evaluate` before it becomes the state. So the
economics of an edit are the engine's on the edited scenario, and every rule here is tested
without ipywidgets or a browser.

The widgets (:mod:`cxroi.app.dashboard` and its parts) only read a typed text, ask the editor
for the candidate and show the outcome.

Examples
--------
>>> from cxroi.app.fields import CASE_FIELDS
>>> editor = ScenarioEditor("scenarios/retail_bank.yaml")
>>> spec = next(s for s in CASE_FIELDS if s.key == "discount_rate")
>>> editor.edit(spec, ("discount_rate",), "12%")
>>> editor.mapping["discount_rate"]
0.12
>>> editor.case.kpis["npv"] < 2469087.08  # a higher discount rate lowers the NPV
True
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import cxroi
from cxroi.app.fields import (
    DIST_KINDS,
    FieldParseError,
    FieldSpec,
    is_distribution,
    move_base,
    parse_distribution,
    parse_value,
    pct_reading,
)
from cxroi.app.session import Session
from cxroi.model.finite import finite_or_none
from cxroi.model.scenario import EVIDENCE_KEYS, FIELD_RULES, base_value
from cxroi.present.formatting import format_number

__all__ = [
    "LINE_STEMS",
    "MAX_ECHO",
    "MISSING",
    "ScenarioEditor",
    "assign",
    "by_lever",
    "echo",
    "echo_number",
    "effective",
    "issue_text",
    "lookup",
    "unique_name",
    "unwrap_evidence",
]

#: Marks a key absent from the mapping (its default applies), as :func:`lookup` returns it.
MISSING: Any = object()

#: Longest part of a file or value repeated in a message [characters].
MAX_ECHO = 60

#: Longest text read as a rate [characters].
MAX_TYPED = 200

#: Name stems of the lines a TEI section adds (docs/model.md §11).
LINE_STEMS = {"benefit_lines": "New benefit", "cost_lines": "New cost"}

Keys = tuple[Any, ...]


# ------------------------------------------------------------------------ mapping paths
def unwrap_evidence(value: Any) -> Any:
    """The value of an input written with its evidence ``{value, source, note, as_of}``."""
    if isinstance(value, dict) and "value" in value and set(value) <= set(EVIDENCE_KEYS):
        return value["value"]
    return value


def lookup(mapping: Any, keys: Keys) -> Any:
    """The value at ``keys`` in a scenario mapping (evidence unwrapped), or :data:`MISSING`."""
    node = mapping
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = unwrap_evidence(node[key])
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = unwrap_evidence(node[key])
        else:
            return MISSING
    return node


def assign(mapping: dict, keys: Keys, value: Any) -> None:
    """Write ``value`` at ``keys`` in place (``None`` removes the key: its default applies)."""
    node: Any = mapping
    for key in keys[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    if value is None:
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


def effective(scenario: Any, keys: Keys) -> Any:
    """Value in force at ``keys`` (defaults included), read from a validated scenario."""
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


def unique_name(name: str, taken: list[str]) -> str:
    """``name``, or ``name 2``, ``name 3``... the first not in ``taken``."""
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"


def _finite(value: Any) -> bool:
    try:
        return value is None or finite_or_none(value) is not None
    except (TypeError, ValueError):
        return True


def _names_distribution(text: Any) -> bool:
    """Whether typed text starts with a distribution kind (``"pert 10%; 25%; 35%"``)."""
    if not isinstance(text, str):
        return False
    word = re.match(r"\s*([A-Za-z]+)", text)
    return word is not None and word.group(1).lower() in DIST_KINDS


def _bounds(key: Any) -> tuple[float, float] | None:
    rule = FIELD_RULES.get(key)
    return rule.clip_bounds() if rule is not None else None


# ------------------------------------------------------------------------ message text
#: A field value in a sentence (:func:`cxroi.present.formatting.format_number`).
echo_number = format_number


def echo(value: Any) -> str:
    """``value`` as text for a message, cut to :data:`MAX_ECHO` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def issue_text(issue: Any) -> str:
    """An issue's rule and value in plain words, without its field path."""
    rule = getattr(issue, "rule", None)
    if rule is None:
        return str(issue)
    value = getattr(issue, "value", MISSING)
    # A distribution's parameters are in its own input already: no mapping echoed.
    omit = value is MISSING or type(value).__name__ == "object" or isinstance(value, dict)
    shown = "" if omit else echo(value)
    return rule + (f" (got {shown})" if shown else "")


def by_lever(value: Any) -> bool:
    """Whether a benefit risk is given per lever (a mapping that is not a distribution)."""
    return isinstance(value, dict) and "dist" not in value and "value" not in value


# ------------------------------------------------------------------------ the editor
class ScenarioEditor:
    """A scenario being edited: its mapping, scenario, case, origin and session.

    Parameters
    ----------
    scenario : str, path, mapping or cxroi.Scenario
        What is opened (anything :func:`cxroi.load_scenario` takes).

    Attributes
    ----------
    mapping : dict
        The user's values (:meth:`cxroi.Scenario.to_mapping`), edited by the page.
    scenario : cxroi.Scenario
        The validated scenario made from :attr:`mapping`.
    case : cxroi.BusinessCase
        ``cxroi.evaluate(scenario)``: the case on screen.
    origin, origin_name : dict, str
        The scenario as opened (what *Reset* returns to) and its file name.
    session : cxroi.app.session.Session
        Undo/redo, the changes made and the named versions.
    """

    def __init__(self, scenario: Any):
        self.scenario = cxroi.load_scenario(scenario)
        source = self.scenario.source
        self.origin: dict = self.scenario.to_mapping()
        self.origin_name = Path(source).name if source else "scenario.yaml"
        self.mapping: dict = copy.deepcopy(self.origin)
        self.case = cxroi.evaluate(self.scenario)
        self.session = Session(self.mapping)
        # A segment's fitted sBG curve kept while it is shown as a constant rate, so that
        # switching back restores it: segment -> (curve, the constant rate it was read as).
        self._sbg_memory: dict[int, tuple[Any, float]] = {}

    # -- reading
    def value(self, keys: Keys) -> Any:
        """The value typed at ``keys`` (evidence unwrapped), or :data:`MISSING`."""
        return lookup(self.mapping, keys)

    def effective(self, keys: Keys) -> Any:
        """The value in force at ``keys`` (the default where none is typed)."""
        return effective(self.scenario, keys)

    # -- typed values
    def read_text(
        self, spec: FieldSpec, keys: Keys, text: Any, blank_default: bool = False
    ) -> tuple[Any, str | None]:
        """The value ``text`` typed into the input of ``keys`` stands for, and how it was read.

        A blank override (``blank_default``) is ``None``: the inherited value applies. A
        distribution may be typed in place (``pert 10%; 25%; 35%``). A number typed over a
        distribution moves its base value (:func:`cxroi.app.fields.move_base`), so the
        distribution is kept.

        Raises
        ------
        FieldParseError
            The text is not a value of the field's kind.
        """
        value: Any
        note: str | None = None
        if blank_default and isinstance(text, str) and not text.strip():
            value = None
        elif _names_distribution(text) and spec.kind not in ("text", "choice"):
            value, note = parse_distribution(text, spec)
        elif spec.kind == "pct" and isinstance(text, str) and text.strip():
            if len(text) > MAX_TYPED:
                raise FieldParseError(f"is too long ({len(text)} characters)")
            value, note = pct_reading(text)
        else:
            value = parse_value(text, spec)
        current = self.value(keys)
        if is_distribution(current) and isinstance(value, (int, float)):
            value = move_base(current, value, _bounds(keys[-1]))
        return value, note

    def read_range(self, spec: FieldSpec, keys: Keys, text: Any) -> tuple[Any, str | None]:
        """The value a typed range stands for: a distribution, or (blank) the base value alone.

        Raises
        ------
        FieldParseError
            The text is not a distribution of a known kind with valid parameters.
        """
        dist, note = parse_distribution(text, spec)
        return (dist if dist is not None else self.effective(keys)), note

    def with_value(self, keys: Keys, value: Any) -> dict:
        """A candidate: the state with ``value`` at ``keys``.

        Renaming a segment renames its effect overrides in every initiative; a blank effect
        override that leaves a segment with none drops that segment's entry.
        """
        candidate = copy.deepcopy(self.mapping)
        if self.is_rename(keys) and keys[0] == "segments":
            old = self.value(keys)
            for ini in candidate.get("initiatives", []):
                effects = ini.get("effects") or {}
                if old in effects and value not in effects:
                    ini["effects"] = {(value if k == old else k): v for k, v in effects.items()}
        assign(candidate, keys, value)
        if value is None and keys[2:3] == ("effects",):
            effects = lookup(candidate, keys[:-2])
            if isinstance(effects, dict) and effects.get(keys[-2]) == {}:
                effects.pop(keys[-2])  # no override left for that segment
        return candidate

    @staticmethod
    def is_rename(keys: Keys) -> bool:
        """Whether ``keys`` is the name of a segment or an initiative."""
        return keys[-1] == "name" and len(keys) == 3

    # -- structure
    def with_segment_added(self) -> tuple[dict, str]:
        """A candidate with a copy of the last segment added, and the new segment's name.

        The copy starts neutral: it gets an explicit zero for every effect an initiative
        gives all segments (``*``), so the NPV is unchanged until its effects are set.
        """
        candidate = copy.deepcopy(self.mapping)
        segments = candidate["segments"]
        new = copy.deepcopy(segments[-1])
        new["name"] = unique_name("New segment", [s["name"] for s in segments])
        segments.append(new)
        for ini in candidate.get("initiatives", []):
            effects = ini.get("effects") or {}
            if isinstance(effects.get("*"), dict) and effects["*"]:
                effects[new["name"]] = {key: 0.0 for key in effects["*"]}
        return candidate, new["name"]

    def with_segment_removed(self, i: int) -> dict | None:
        """A candidate without segment ``i`` and its effect overrides (None for the last one)."""
        candidate = copy.deepcopy(self.mapping)
        if len(candidate["segments"]) <= 1:
            return None
        name = candidate["segments"].pop(i)["name"]
        for ini in candidate["initiatives"]:
            (ini.get("effects") or {}).pop(name, None)
        return candidate

    def with_initiative_added(self) -> dict:
        """A candidate with a new initiative of zero cost and zero effect."""
        candidate = copy.deepcopy(self.mapping)
        names = [x["name"] for x in candidate["initiatives"]]
        candidate["initiatives"].append(
            {
                "name": unique_name("New initiative", names),
                "capex": 0.0,
                "opex": 0.0,
                "effects": {"*": {"churn_prevented": 0.0}},
            }
        )
        return candidate

    def with_initiative_removed(self, j: int) -> dict | None:
        """A candidate without initiative ``j`` (None for the last one)."""
        candidate = copy.deepcopy(self.mapping)
        if len(candidate["initiatives"]) <= 1:
            return None
        candidate["initiatives"].pop(j)
        return candidate

    def with_retention_model(self, i: int, model: str) -> dict | None:
        """A candidate with segment ``i``'s retention as a constant rate or an sBG curve.

        A constant rate ``r`` becomes the sBG curve ``alpha = 1, beta = r / (1 - r)`` (the
        constant churn ``1 - r`` at tenure 0), or the fitted curve it was read from; an sBG
        curve becomes the share-weighted retention of its tenure mix, ``sum_k share_k r(k)``
        with ``r(k) = (beta + k) / (alpha + beta + k)`` after ``k`` renewals (docs/model.md
        §14), to 4 decimals. None when the segment already has that model.
        """
        candidate = copy.deepcopy(self.mapping)
        seg = candidate["segments"][i]
        current = self.scenario.segments[i]
        if model == "sbg" and not current.is_sbg:
            r = min(max(float(base_value(current.retention)), 0.01), 0.99)
            kept = self._sbg_memory.get(i)
            if kept is not None and abs(kept[1] - r) < 5e-5:
                seg["retention"] = copy.deepcopy(kept[0])  # the fitted curve, unchanged
            else:
                seg["retention"] = {"alpha": 1.0, "beta": round(r / (1 - r), 6), "tenure": 0.0}
        elif model == "constant" and current.is_sbg:
            from cxroi.engine.retention import sbg_retention

            ret = current.retention
            a, b = base_value(ret.alpha), base_value(ret.beta)
            mix = ret.tenure_mix.items()
            rate = round(sum(s * float(sbg_retention(a, b, k + 1)) for k, s in mix), 4)
            self._sbg_memory[i] = (copy.deepcopy(self.mapping["segments"][i]["retention"]), rate)
            seg["retention"] = rate
        else:
            return None
        return candidate

    def with_initiative_edit(self, j: int, edit: Callable[[dict], Any]) -> dict:
        """A candidate with ``edit`` applied to (a copy of) initiative ``j``'s mapping."""
        candidate = copy.deepcopy(self.mapping)
        edit(candidate["initiatives"][j])
        return candidate

    def with_line_added(self, j: int, kind: str) -> dict:
        """A candidate with a TEI line of ``kind`` (amount 0) added to initiative ``j``."""

        def edit(ini: dict) -> None:
            lines = ini.setdefault(kind, [])
            taken = [str(unwrap_evidence(x.get("name", ""))) for x in lines]
            lines.append({"name": unique_name(LINE_STEMS[kind], taken), "amount": 0.0})

        return self.with_initiative_edit(j, edit)

    def with_item_removed(self, j: int, kind: str, k: int) -> dict:
        """A candidate without item ``k`` of initiative ``j``'s list ``kind``.

        ``kind`` is a TEI line kind or ``unquantified``; an emptied list is dropped.
        """

        def edit(ini: dict) -> None:
            items = ini.get(kind) or []
            if 0 <= k < len(items):
                items.pop(k)
            if not items:
                ini.pop(kind, None)

        return self.with_initiative_edit(j, edit)

    def with_benefit_risk_form(self, form: str) -> dict | None:
        """A candidate with the benefit risk as one number (``"number"``) or per lever.

        One number ``b`` becomes ``{default: b}`` (every lever and the lines at ``b``); per
        lever becomes one number, the largest value in force, so the switch never favours
        the case (docs/model.md §12). None when the risk already has that form.
        """
        candidate = copy.deepcopy(self.mapping)
        risk = candidate.setdefault("risk", {})
        current = unwrap_evidence(risk.get("benefit_adjustment", 0.0))
        if form == "lever" and not by_lever(current):
            risk["benefit_adjustment"] = {"default": current}
        elif form == "number" and by_lever(current):
            base = self.scenario.risk.benefit_adjustment_base()
            risk["benefit_adjustment"] = max(base.values()) if isinstance(base, dict) else base
        else:
            return None
        return candidate

    # -- validation and economics
    @staticmethod
    def check(candidate: Any) -> Any:
        """The validated scenario of a candidate mapping.

        Raises
        ------
        cxroi.ScenarioError
            A rule is broken; each issue names its field path, rule and value.
        """
        return cxroi.load_scenario(candidate)

    @staticmethod
    def compute(scenario: Any) -> Any:
        """``cxroi.evaluate(scenario)``, with a numeric overflow raised (not a silent inf).

        Raises
        ------
        FloatingPointError
            The values give results too large for the engine.
        """
        with np.errstate(over="raise", invalid="raise"):
            return cxroi.evaluate(scenario)

    @staticmethod
    def check_finite(case: Any) -> None:
        """Raise ``OverflowError`` when a KPI of ``case`` is not finite."""
        if not all(_finite(v) for v in case.kpis.values()):
            raise OverflowError("a KPI is not finite")

    def state(self) -> tuple[dict, Any, Any]:
        """What :meth:`restore` puts back: the mapping, scenario and case."""
        return self.mapping, self.scenario, self.case

    def restore(self, state: tuple[dict, Any, Any]) -> None:
        """Put back a :meth:`state`."""
        self.mapping, self.scenario, self.case = state

    def accept(self, mapping: dict, scenario: Any, case: Any) -> None:
        """Make a checked and computed candidate the state."""
        self.mapping, self.scenario, self.case = mapping, scenario, case

    def record(self) -> list[str]:
        """Record the state as a change of the session (the lines of what changed)."""
        return self.session.record(self.mapping)

    def apply(self, candidate: Mapping, record: bool = True) -> Any:
        """Check, compute and accept a candidate in one step; returns the new case.

        The state changes only when the candidate loads and computes to finite KPIs.

        Raises
        ------
        cxroi.ScenarioError, ArithmeticError
            The candidate breaks a rule, or its results are too large to compute.
        """
        mapping = copy.deepcopy(dict(candidate))
        scenario = self.check(mapping)
        case = self.compute(scenario)
        self.check_finite(case)
        self.accept(mapping, scenario, case)
        if record:
            self.record()
        return case

    def edit(self, spec: FieldSpec, keys: Keys, text: Any, blank_default: bool = False) -> None:
        """Type ``text`` into the field at ``keys`` and apply it (see :meth:`read_text`).

        Raises
        ------
        FieldParseError, cxroi.ScenarioError, ArithmeticError
            The text is not a value of the field, or the edited scenario is refused.
        """
        value, _ = self.read_text(spec, keys, text, blank_default)
        self.apply(self.with_value(keys, value))

    def reset(self) -> Any:
        """Return to the scenario as opened; returns the new case."""
        return self.apply(copy.deepcopy(self.origin))
