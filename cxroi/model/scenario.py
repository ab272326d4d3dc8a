"""Scenario schema, loading, validation, field paths and provenance.

A scenario is the YAML (or mapping) that describes one CX business case: the customer segments,
the CX initiatives, the horizon, the discount rate and the TEI risk adjustments. It is validated
here, at the edge, so that the engine can trust it. Every problem is reported as a
:class:`ScenarioIssue` naming the field path (``segments[Affluent].retention``), the rule broken
and the value given; :class:`ScenarioError` carries all of them.

Field paths follow docs/model.md §7: list items are addressed by name,
``segments[Mass market].wallet``, ``initiatives[Redesign].effects[*].churn_prevented``,
``segments[Affluent].retention.alpha``, ``risk.benefit_adjustment``, ``discount_rate``.

Any real-valued scalar field may be given as a distribution (``{dist: pert, low, mode, high}``,
``triangular``, ``uniform`` or ``normal``); deterministic evaluation uses its base value.

Size: this module is a little over the ~800 lines the package aims at because the schema
classes, the provenance and input sources that read them, and the mapping of pydantic's errors
onto field paths (which walks the same classes) belong together. The parts with a clean seam
live apart and are re-exported here: the field types and their validators in
cxroi.model.field_types, the evidence written beside inputs in cxroi.model.evidence, safe YAML
reading and its limits in cxroi.model.yaml_io, ranges and the field registry in
cxroi.model.fields, distributions in cxroi.model.distributions, issues in cxroi.model.issues.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WrapSerializer,
)

from cxroi.model import benchmarks, paths
from cxroi.model.distributions import Distribution, _did_you_mean, base_float, base_value

# The `import *` lines keep the public names of the modules split from this one at their old
# address as well (cxroi.model.scenario.MAX_YAML_BYTES, .EVIDENCE_KEYS, .Amount ...).
from cxroi.model.evidence import *  # noqa: F403
from cxroi.model.evidence import (
    Evidence,
    InputSource,
    _join,
    _rewrap_evidence,
    _short,
    _unwrap_evidence,
)
from cxroi.model.field_types import *  # noqa: F403
from cxroi.model.field_types import (
    MAX_NAME_CHARS,
    Amount,
    Capex,
    Currency,
    Horizon,
    Name,
    Opex,
    Tenure,
    Text,
    _dump_value,
    _field_pair,
    _list_validator,
    _number_or,
    _rank,
    _Real,
    _unquantified,
)
from cxroi.model.fields import FIELD_RULES, NONNEG, Rule
from cxroi.model.issues import _MISSING, ScenarioError, ScenarioIssue
from cxroi.model.yaml_io import *  # noqa: F403
from cxroi.model.yaml_io import _check_mapping_size, parse_yaml, read_yaml

__all__ = [
    "Correlation",
    "Distribution",
    "Effect",
    "Initiative",
    "Provenance",
    "Risk",
    "SBGRetention",
    "Scenario",
    "ScenarioError",
    "field_rule",
    "ScenarioIssue",
    "Segment",
    "load_scenario",
    "load_scenario_text",
    "input_sources",
    "Evidence",
    "InputSource",
    "BenefitLine",
    "CostLine",
    "LeverRisk",
    "FIELD_RULES",
    "base_float",
    "base_value",
    "parse_yaml",
    "read_yaml",
]

LEVERS = ("retention", "wallet", "referral", "service")


# --------------------------------------------------------------------------------------------
# Ranges of numeric fields
# --------------------------------------------------------------------------------------------
# Rule, the common ranges and FIELD_RULES (by field name, docs/model.md §2) are declared once,
# in the field registry (cxroi/model/fields.py).


#: Range of a benefit line's risk and of each entry of a by-lever benefit adjustment.
BENEFIT_RISK = Rule(0.0, 1.0, hi_open=True)
#: Range of a cost line's risk.
COST_RISK = NONNEG
#: Keys of the by-lever form of ``risk.benefit_adjustment`` (docs/model.md §12).
RISK_KEYS = LEVERS + ("lines", "default")


def field_rule(path: str) -> Rule:
    """The range rule of the field at ``path`` (by its last name).

    Examples
    --------
    >>> str(field_rule("segments[Affluent].retention.alpha"))
    'must be > 0'
    """
    head, name = paths.parent(path), paths.field_name(path)
    # fields whose range depends on where they sit (docs/model.md §11-§12)
    if name == "risk" and ".benefit_lines[" in head:
        return BENEFIT_RISK
    if name == "risk" and ".cost_lines[" in head:
        return COST_RISK
    if head == "risk.benefit_adjustment":
        return BENEFIT_RISK
    if name not in FIELD_RULES:
        shown = path if len(path) <= 80 else path[:77] + "..."  # never echo a huge argument
        raise ScenarioError(ScenarioIssue(shown, "names no numeric field"))
    return FIELD_RULES[name]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class SBGRetention(_Model):
    """Heterogeneous retention: shifted-beta-geometric (Fader & Hardie 2007).

    ``tenure`` is the number of renewals today's customers have already made.
    """

    alpha: Annotated[Any, _Real("alpha")]
    beta: Annotated[Any, _Real("beta")]
    tenure: Tenure = 0.0

    @property
    def tenure_mix(self) -> dict[float, float]:
        """Today's customers by renewals made: ``{renewals: share}`` (a number is ``{k: 1}``)."""
        if isinstance(self.tenure, dict):
            return {float(k): v for k, v in self.tenure.items()}
        return {base_float(self.tenure): 1.0}


Retention = Annotated[
    Any, PlainValidator(_number_or(SBGRetention, "retention")), WrapSerializer(_dump_value)
]


class Segment(_Model):
    """One customer segment (docs/model.md §2)."""

    name: Name
    customers: Annotated[Any, _Real("customers")]
    wallet: Annotated[Any, _Real("wallet")]
    share_of_wallet: Annotated[Any, _Real("share_of_wallet")]
    gross_margin: Annotated[Any, _Real("gross_margin")]
    retention: Retention
    acquisition_cost: Annotated[Any, _Real("acquisition_cost")]
    cost_to_serve: Annotated[Any, _Real("cost_to_serve")] = 0.0
    poor_cx_churn_share: Annotated[Any, _Real("poor_cx_churn_share")] = (
        benchmarks.POOR_CX_CHURN_SHARE.value
    )
    preventable_share: Annotated[Any, _Real("preventable_share")] = (
        benchmarks.PREVENTABLE_SHARE.value
    )
    referral_share: Annotated[Any, _Real("referral_share")] = 0.0
    acquisition: Literal["fixed", "replace"] = "fixed"
    new_customers_per_year: Annotated[Any, _Real("new_customers_per_year", optional=True)] = None

    @property
    def is_sbg(self) -> bool:
        """Whether retention is heterogeneous (sBG) rather than a constant rate."""
        return isinstance(self.retention, SBGRetention)


class Effect(_Model):
    """Effect of one initiative on one segment (or on all, under ``"*"``)."""

    churn_prevented: Annotated[Any, _Real("churn_prevented")] = 0.0
    share_of_wallet_lift: Annotated[Any, _Real("share_of_wallet_lift")] = 0.0
    referral_lift: Annotated[Any, _Real("referral_lift")] = 0.0
    cost_to_serve_change: Annotated[Any, _Real("cost_to_serve_change")] = 0.0


EFFECT_FIELDS = tuple(Effect.model_fields)
#: The plain numeric fields of a segment (retention and acquisition volume come apart).
SEGMENT_NUMBERS = (
    "customers",
    "wallet",
    "share_of_wallet",
    "gross_margin",
    "acquisition_cost",
    "cost_to_serve",
    "poor_cx_churn_share",
    "preventable_share",
    "referral_share",
)


class BenefitLine(_Model):
    """A benefit no customer drives (agent productivity, retired IT...): docs/model.md §11.

    ``amount`` [money/year] is a number (every year 1..H), a list (years 1.., last value held)
    or a mapping year -> amount (years 0..H). ``risk`` in [0, 1) defaults to the benefit
    adjustment (its ``lines`` entry in the by-lever form).
    """

    name: Name
    amount: Amount
    risk: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None


class CostLine(_Model):
    """A cost beside capex and opex (training, internal labour...): docs/model.md §11.

    ``amount`` as for :class:`BenefitLine`; ``risk`` >= 0 defaults to the cost adjustment.
    """

    name: Name
    amount: Amount
    risk: Annotated[Any, _Real(COST_RISK, optional=True)] = None


class Initiative(_Model):
    """One CX initiative: its costs, its ramp-up, its effects by segment and its TEI lines."""

    name: Name
    capex: Capex = 0.0
    opex: Opex = 0.0
    ramp: Annotated[list[float], PlainValidator(_list_validator("ramp"))] = Field(
        default_factory=lambda: [1.0]
    )
    effects: dict[str, Effect] = Field(default_factory=dict)
    benefit_lines: list[BenefitLine] = Field(default_factory=list)
    cost_lines: list[CostLine] = Field(default_factory=list)
    unquantified: Annotated[list[str], PlainValidator(_unquantified)] = Field(default_factory=list)


class LeverRisk(_Model):
    """The by-lever form of the benefit risk adjustment (docs/model.md §12).

    Each entry is in [0, 1); ``default`` (0 when absent) applies to the keys not given.
    """

    retention: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None
    wallet: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None
    referral: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None
    service: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None
    lines: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None
    default: Annotated[Any, _Real(BENEFIT_RISK, optional=True)] = None

    def value(self, key: str) -> Any:
        """The entry for ``key`` (a lever or ``lines``), falling back to ``default``, then 0."""
        own = getattr(self, key)
        if own is not None:
            return own
        return self.default if self.default is not None else 0.0


BenefitAdjustment = Annotated[
    Any, PlainValidator(_number_or(LeverRisk, "benefit_adjustment")), WrapSerializer(_dump_value)
]


class Risk(_Model):
    """TEI risk adjustments: benefits x (1 - b), costs x (1 + c) (docs/model.md §12).

    ``benefit_adjustment`` is a number or a :class:`LeverRisk` (one value per lever and lines).
    """

    benefit_adjustment: BenefitAdjustment = 0.0
    cost_adjustment: Annotated[Any, _Real("cost_adjustment")] = 0.0

    @property
    def by_lever(self) -> bool:
        """Whether the benefit adjustment is given per lever."""
        return isinstance(self.benefit_adjustment, LeverRisk)

    def benefit_adjustment_base(self) -> float | dict[str, float]:
        """Base value of the benefit adjustment: a number, or ``{lever or lines: value}``."""
        if isinstance(self.benefit_adjustment, LeverRisk):
            return {k: base_float(self.benefit_risk(k)) for k in LEVERS + ("lines",)}
        return base_float(self.benefit_adjustment)

    def benefit_adjustment_text(self) -> str:
        """The benefit adjustment in words: ``10%`` or ``retention 25%, wallet 10%, ...``."""
        base = self.benefit_adjustment_base()
        if isinstance(base, dict):
            return ", ".join(f"{k} {v:.0%}" for k, v in base.items())
        return f"{base:.0%}"

    def benefit_risk(self, key: str) -> Any:
        """Benefit adjustment that applies to a lever or to ``lines`` (number or distribution)."""
        if isinstance(self.benefit_adjustment, LeverRisk):
            return self.benefit_adjustment.value(key)
        return self.benefit_adjustment


class Correlation(_Model):
    """Spearman rank correlation of two distributed fields (docs/model.md §16)."""

    fields: Annotated[list[str], PlainValidator(_field_pair)]
    rank: Annotated[float, PlainValidator(_rank)]


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: the user, a plain default, or a cited benchmark.

    ``user_source`` and ``as_of`` carry the evidence written with a given value
    (docs/model.md §18); ``evidence`` is the same source.
    """

    source: Literal["user", "default", "benchmark", "derived"]
    benchmark: str | None = None
    note: str = ""
    user_source: str | None = None
    as_of: _dt.date | None = None

    @property
    def evidence(self) -> str | None:
        """The user's own source of a given value, if written."""
        return self.user_source


class Scenario(_Model):
    """A validated CX business case: segments, initiatives, horizon, discounting, risk."""

    name: Text
    currency: Currency = "USD"
    horizon_years: Horizon = 3
    discount_rate: Annotated[Any, _Real("discount_rate")] = 0.10
    segments: list[Segment] = Field(min_length=1)
    initiatives: list[Initiative] = Field(min_length=1)
    risk: Risk = Field(default_factory=Risk)
    correlations: list[Correlation] = Field(default_factory=list)

    _source: str | None = PrivateAttr(default=None)
    _evidence: dict[str, Evidence] = PrivateAttr(default_factory=dict)

    # -- convenience -------------------------------------------------------------------------
    @property
    def source(self) -> str | None:
        """Path of the file the scenario was read from, if any."""
        return self._source

    @property
    def segment_names(self) -> list[str]:
        """Segment names, in order."""
        return [s.name for s in self.segments]

    @property
    def initiative_names(self) -> list[str]:
        """Initiative names, in order."""
        return [i.name for i in self.initiatives]

    def to_mapping(self) -> dict[str, Any]:
        """Plain mapping of the values the user gave, accepted again by :func:`load_scenario`.

        Defaults are left out, so a value still on a benchmark default stays one; the top-level
        fields are always written.
        """
        out = self.model_dump(exclude_unset=True, mode="python")
        for key in ("currency", "horizon_years", "discount_rate"):
            value = getattr(self, key)
            out[key] = value.to_mapping() if isinstance(value, Distribution) else value
        order = ["name", "currency", "horizon_years", "discount_rate", "segments", "initiatives"]
        ordered = {k: out[k] for k in order}
        if "risk" in out:
            ordered["risk"] = out["risk"]
        if self._evidence:
            _rewrap_evidence(ordered, self._evidence)
        if self.correlations:
            ordered["correlations"] = out["correlations"]
        return ordered

    def fields(self) -> dict[str, Any]:
        """Every scalar numeric field by path, with its given value (number or distribution).

        Effect fields are listed where they are given (a segment's own entry or ``"*"``).
        """
        out: dict[str, Any] = {"discount_rate": self.discount_rate}
        badj = self.risk.benefit_adjustment
        if isinstance(badj, LeverRisk):
            for key in RISK_KEYS:
                if getattr(badj, key) is not None:
                    out[f"risk.benefit_adjustment.{key}"] = getattr(badj, key)
        else:
            out["risk.benefit_adjustment"] = badj
        out["risk.cost_adjustment"] = self.risk.cost_adjustment
        for seg in self.segments:
            base = f"segments[{seg.name}]"
            for key in SEGMENT_NUMBERS:
                out[f"{base}.{key}"] = getattr(seg, key)
            if seg.is_sbg:
                for key in ("alpha", "beta", "tenure"):
                    value = getattr(seg.retention, key)
                    if not isinstance(value, dict):  # a tenure mix is not one number
                        out[f"{base}.retention.{key}"] = value
            else:
                out[f"{base}.retention"] = seg.retention
            if seg.new_customers_per_year is not None:
                out[f"{base}.new_customers_per_year"] = seg.new_customers_per_year
        for ini in self.initiatives:
            base = f"initiatives[{ini.name}]"
            if not isinstance(ini.capex, dict):
                out[f"{base}.capex"] = ini.capex
            if not isinstance(ini.opex, list):
                out[f"{base}.opex"] = ini.opex
            for target, effect in ini.effects.items():
                for key in EFFECT_FIELDS:  # schema order: draws must not depend on set order
                    if key in effect.model_fields_set:
                        out[f"{base}.effects[{target}].{key}"] = getattr(effect, key)
            for kind in ("benefit_lines", "cost_lines"):
                for line in getattr(ini, kind):
                    where = f"{base}.{kind}[{line.name}]"
                    if not isinstance(line.amount, (list, dict)):
                        out[f"{where}.amount"] = line.amount
                    if line.risk is not None:
                        out[f"{where}.risk"] = line.risk
        return out

    @property
    def evidence(self) -> dict[str, Evidence]:
        """The evidence written with input values, by field path (docs/model.md §18)."""
        return dict(self._evidence)

    def input_sources(self) -> dict[str, InputSource]:
        """Every input with its value and where it comes from, by field path.

        See :func:`input_sources`.
        """
        return input_sources(self)

    def field_base(self, path: str) -> float | None:
        """Base value of the scalar numeric field at ``path`` (see :meth:`fields`), or None.

        A distribution gives its base value; a path :meth:`fields` does not list gives None.
        """
        value = self.fields().get(path)
        return None if value is None else base_float(value)

    def distributions(self) -> dict[str, Distribution]:
        """Fields given as distributions, by path."""
        return {p: v for p, v in self.fields().items() if isinstance(v, Distribution)}

    def provenance(self) -> dict[str, Provenance]:
        """Where each field's value comes from, by path.

        ``user`` for values given in the scenario, ``benchmark`` for defaults taken from a cited
        benchmark (:mod:`cxroi.model.benchmarks`), ``default`` for plain defaults (zero effects, no
        cost to serve...) and ``derived`` for values computed from others
        (``new_customers_per_year`` when not given).
        """
        out: dict[str, Provenance] = {}
        top = self.model_fields_set
        for key in ("currency", "horizon_years", "discount_rate"):
            out[key] = Provenance("user" if key in top else "default")
        for key in ("benefit_adjustment", "cost_adjustment"):
            risk_given = "risk" in top and key in self.risk.model_fields_set
            out[f"risk.{key}"] = Provenance("user" if risk_given else "default")
        for seg in self.segments:
            base = f"segments[{seg.name}]"
            seg_given = seg.model_fields_set
            for key in Segment.model_fields:
                if key == "name":
                    continue
                path = f"{base}.{key}"
                if key in seg_given:
                    out[path] = Provenance("user")
                elif key in BENCHMARK_DEFAULTS:
                    bm = BENCHMARK_DEFAULTS[key]
                    out[path] = Provenance("benchmark", bm.key, _benchmark_note(bm))
                elif key == "new_customers_per_year":
                    out[path] = Provenance(
                        "derived", note="N0 x (1 - retention at base tenure): replaces churn"
                    )
                else:
                    out[path] = Provenance("default")
            if seg.is_sbg:
                tenure_given = "tenure" in seg.retention.model_fields_set
                out[f"{base}.retention.tenure"] = Provenance("user" if tenure_given else "default")
        for ini in self.initiatives:
            base = f"initiatives[{ini.name}]"
            for key in ("capex", "opex", "ramp", "effects"):
                given = key in ini.model_fields_set
                out[f"{base}.{key}"] = Provenance("user" if given else "default")
        for path, ev in self._evidence.items():  # the evidence written with given values
            own = out.get(path, Provenance("user"))
            out[path] = dataclass_replace(
                own, source="user", user_source=ev.source, as_of=ev.as_of,
                note=ev.note if ev.note is not None else own.note,
            )  # fmt: skip
        return out


def input_sources(scenario: Scenario) -> dict[str, InputSource]:
    """Every input of a scenario with its value and source, by field path (docs/model.md §18).

    Lists each numeric field the engine reads (given or defaulted; effect fields where they are
    given), each line's amount and risk, and any other value written with evidence (a year of a
    capex mapping, an item of an opex list). ``kind`` tells a given value from a plain default
    and from a benchmark default; ``source`` is the user's evidence for a given value and the
    benchmark's citation for a benchmark default, else None (shown as "not sourced").

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict of str to InputSource

    Examples
    --------
    >>> sc = load_scenario({"name": "Demo", "segments": [{"name": "All", "customers": 1000,
    ...     "wallet": 100, "share_of_wallet": 0.5, "gross_margin": 0.3,
    ...     "retention": {"value": 0.8, "source": "CRM churn report", "as_of": "2025-09-30"},
    ...     "acquisition_cost": 50}], "initiatives": [{"name": "Chat"}]})
    >>> src = input_sources(sc)
    >>> src["segments[All].retention"].shown, src["segments[All].cost_to_serve"].shown
    ('CRM churn report', 'not sourced')
    >>> src["segments[All].preventable_share"].kind
    'benchmark default'
    """
    evidence = scenario._evidence
    prov = scenario.provenance()
    out: dict[str, InputSource] = {}

    def add(path: str, value: Any, given: bool) -> None:
        ev = evidence.get(path, Evidence())
        bm = BENCHMARK_DEFAULTS.get(paths.field_name(path))
        if given:
            out[path] = InputSource(path, value, "given", ev.source, ev.note, ev.as_of)
        elif bm is not None and path.startswith("segments["):
            out[path] = InputSource(
                path, value, "benchmark default", f"{bm.source} ({bm.year})", _benchmark_note(bm)
            )
        else:
            note = prov[path].note if path in prov and prov[path].note else None
            out[path] = InputSource(path, value, "default", None, note)

    top = scenario.model_fields_set
    for key in ("horizon_years", "discount_rate"):
        add(key, getattr(scenario, key), key in top)
    risk_given = scenario.risk.model_fields_set if "risk" in top else set()
    badj = scenario.risk.benefit_adjustment
    if isinstance(badj, LeverRisk):
        for key in RISK_KEYS:
            add(f"risk.benefit_adjustment.{key}", badj.value(key), getattr(badj, key) is not None)
    else:
        add("risk.benefit_adjustment", badj, "benefit_adjustment" in risk_given)
    add("risk.cost_adjustment", scenario.risk.cost_adjustment, "cost_adjustment" in risk_given)
    for seg in scenario.segments:
        base = f"segments[{seg.name}]"
        given = seg.model_fields_set
        for key in SEGMENT_NUMBERS:
            add(f"{base}.{key}", getattr(seg, key), key in given)
        add(f"{base}.new_customers_per_year", seg.new_customers_per_year,
            "new_customers_per_year" in given)  # fmt: skip
        if seg.is_sbg:
            r = seg.retention
            for key in ("alpha", "beta", "tenure"):
                add(f"{base}.retention.{key}", getattr(r, key), key in r.model_fields_set)
        else:
            add(f"{base}.retention", seg.retention, True)
    for ini in scenario.initiatives:
        base = f"initiatives[{ini.name}]"
        for key in ("capex", "opex", "ramp"):
            add(f"{base}.{key}", getattr(ini, key), key in ini.model_fields_set)
        for target, effect in ini.effects.items():
            for key in EFFECT_FIELDS:
                if key in effect.model_fields_set:
                    add(f"{base}.effects[{target}].{key}", getattr(effect, key), True)
        for kind in ("benefit_lines", "cost_lines"):
            default = "cost_adjustment" if kind == "cost_lines" else None
            for line in getattr(ini, kind):
                where = f"{base}.{kind}[{line.name}]"
                add(f"{where}.amount", line.amount, True)
                if line.risk is not None:
                    add(f"{where}.risk", line.risk, True)
                else:
                    value = (
                        scenario.risk.cost_adjustment
                        if default
                        else scenario.risk.benefit_risk("lines")
                    )
                    add(f"{where}.risk", value, False)
    for path, ev in evidence.items():  # values inside a mapping or list (a capex year...)
        if path not in out:
            out[path] = InputSource(path, None, "given", ev.source, ev.note, ev.as_of)
    return out


#: Segment fields whose defaults are benchmark statistics (see :mod:`cxroi.model.benchmarks`).
BENCHMARK_DEFAULTS = {
    "poor_cx_churn_share": benchmarks.POOR_CX_CHURN_SHARE,
    "preventable_share": benchmarks.PREVENTABLE_SHARE,
}


def _benchmark_note(bm: Any) -> str:
    return f"{bm.source} ({bm.year}). Caveat: {bm.caveat}"


def load_scenario_text(text: str, source_name: str = "<text>") -> Scenario:
    """Load and validate a scenario from YAML *content* (an upload, a text box).

    Use this, never :func:`load_scenario`, when you hold a file's content: the text is parsed
    as YAML and is never taken as a path, whatever it says.

    Parameters
    ----------
    text : str
        The YAML text.
    source_name : str
        Name shown in error messages (the uploaded file's name).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        As :func:`parse_yaml` and :func:`load_scenario`.

    Examples
    --------
    >>> try:
    ...     load_scenario_text("/etc/passwd", "upload.yaml")
    ... except ScenarioError as exc:
    ...     print(exc.errors[0].rule)
    the scenario must be a mapping of fields
    """
    return _load_data(parse_yaml(text, source_name), source_name)


def load_scenario(source: str | os.PathLike | Mapping | Scenario) -> Scenario:
    """Load and validate a scenario from a YAML file, a mapping, or a :class:`Scenario`.

    Parameters
    ----------
    source : str, path-like, mapping or Scenario
        Path of a YAML scenario file, or the scenario as a mapping (for example a papermill
        notebook's parameters). A string is always a path; for YAML content use
        :func:`load_scenario_text`.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Naming the field path, the rule and the value of every problem found.

    Examples
    --------
    >>> sc = load_scenario({
    ...     "name": "Demo", "segments": [{"name": "All", "customers": 1000, "wallet": 100,
    ...     "share_of_wallet": 0.5, "gross_margin": 0.3, "retention": 0.8,
    ...     "acquisition_cost": 50}],
    ...     "initiatives": [{"name": "Chat", "opex": 1000,
    ...                      "effects": {"*": {"churn_prevented": 0.2}}}]})
    >>> sc.segments[0].poor_cx_churn_share  # benchmark default (Accenture 2013)
    0.66
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = str(source)
        return _load_data(read_yaml(source), path, from_file=True)
    return _load_data(source, None)


def _load_data(data: Any, path: str | None, from_file: bool = False) -> Scenario:
    """Validate parsed data (a mapping of fields) into a :class:`Scenario`."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            ScenarioIssue("", "the scenario must be a mapping of fields", type(data).__name__), path
        )
    _check_mapping_size(data, path)
    data, evidence, problems = _unwrap_evidence(dict(data))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems + _issues_from_pydantic(exc, data), path) from None
    problems += _cross_checks(scenario)
    if problems:
        raise ScenarioError(problems, path)
    scenario._source = path if from_file else None
    scenario._evidence = evidence
    return scenario


_MESSAGES = {
    "missing": "is required",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "too_short": "must have at least one item",
    "literal_error": None,
    "string_type": "must be a string",
}


def _issues_from_pydantic(exc: ValidationError, data: Any) -> list[ScenarioIssue]:
    issues: list[ScenarioIssue] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            path = _path_of(loc[:-1], data)
            key = loc[-1]
            model = _model_at(loc[:-1])
            hint = _did_you_mean(str(key), model.model_fields if model else ())
            issues.append(
                ScenarioIssue(_join(path, _short(key)), f"unknown key{hint}", _value_at(loc, data))
            )
            continue
        path = _path_of(loc, data)
        if kind == "missing":
            issues.append(ScenarioIssue(path, "is required", _MISSING))
            continue
        rule = _MESSAGES.get(kind) or err["msg"]
        if kind == "literal_error":
            rule = err["msg"].replace("Input should be", "must be")
        issues.append(ScenarioIssue(path, rule, err.get("input", _MISSING)))
    return issues


def _path_of(loc: tuple, data: Any) -> str:
    """Turn a pydantic location into a field path, naming list items by their name."""
    parts: list[str] = []
    node = data
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            name = item.get("name") if isinstance(item, Mapping) else None
            named = isinstance(name, str) and 0 < len(name.strip()) <= MAX_NAME_CHARS
            label = str(name).strip() if named else str(key)  # an overlong name: its position
            if parts:
                parts[-1] += f"[{label}]"
            else:
                parts.append(f"[{label}]")
            node = item
            continue
        parent_is_dict_field = i > 0 and loc[i - 1] in ("effects", "capex")
        if parent_is_dict_field and parts:
            parts[-1] += f"[{_short(key)}]"
        else:
            parts.append(_short(key))
        node = node.get(key) if isinstance(node, Mapping) else None
    return ".".join(parts)


def _value_at(loc: tuple, data: Any) -> Any:
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


#: Where a pydantic location steps from a schema model into another: (model, key) -> (model,
#: location items the step takes: 2 for a list item or mapping entry, whose index or key follows).
_CHILD_MODELS: dict[tuple[type[BaseModel], str], tuple[type[BaseModel], int]] = {
    (Scenario, "segments"): (Segment, 2),
    (Scenario, "initiatives"): (Initiative, 2),
    (Scenario, "risk"): (Risk, 1),
    (Initiative, "effects"): (Effect, 2),
    (Initiative, "benefit_lines"): (BenefitLine, 2),
    (Initiative, "cost_lines"): (CostLine, 2),
    (Risk, "benefit_adjustment"): (LeverRisk, 1),
    (Segment, "retention"): (SBGRetention, 1),
}


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema model that applies at a pydantic location (for 'did you mean')."""
    model: type[BaseModel] = Scenario
    i = 0
    while i < len(loc):
        step = _CHILD_MODELS.get((model, loc[i]))
        if step is None:
            return None
        model, taken = step
        i += taken
    return model


def _cross_checks(sc: Scenario) -> list[ScenarioIssue]:
    """Rules that span several fields: unique names, effect targets, years inside the horizon."""
    issues: list[ScenarioIssue] = []
    for kind, items in (("segments", sc.segments), ("initiatives", sc.initiatives)):
        seen: set[str] = set()
        for item in items:
            if item.name in seen:
                issues.append(
                    ScenarioIssue(f"{kind}[{item.name}].name", "names must be unique", item.name)
                )
            seen.add(item.name)
    if sc.correlations:
        from cxroi.model.correlations import correlation_issues

        issues.extend(correlation_issues(sc))
    names = set(sc.segment_names)
    H = sc.horizon_years
    for ini in sc.initiatives:
        base = f"initiatives[{ini.name}]"
        for target in ini.effects:
            if target != "*" and target not in names:
                hint = _did_you_mean(target, names)
                issues.append(
                    ScenarioIssue(
                        f"{base}.effects[{target}]",
                        f"names no segment (use a segment name or '*'){hint}",
                        target,
                    )
                )
        issues += _years_beyond(f"{base}.capex", ini.capex, H)
        for kind in ("benefit_lines", "cost_lines"):
            seen_lines: set[str] = set()
            for line in getattr(ini, kind):
                where = f"{base}.{kind}[{line.name}]"
                if line.name in seen_lines:
                    issues.append(
                        ScenarioIssue(
                            f"{where}.name", f"names must be unique within {kind}", line.name
                        )
                    )
                seen_lines.add(line.name)
                issues += _years_beyond(f"{where}.amount", line.amount, H)
    return issues


def _years_beyond(path: str, amounts: Any, horizon: int) -> list[ScenarioIssue]:
    """An issue for each year of a mapping year -> amount beyond the horizon (other forms: none)."""
    if not isinstance(amounts, dict):
        return []
    rule = f"year must be in 0..horizon_years ({horizon})"
    return [ScenarioIssue(f"{path}[{year}]", rule, year) for year in amounts if year > horizon]
