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

Size: this module is larger than the ~800 lines the package aims at because the schema classes,
their validators and the evidence (provenance) handling call each other both ways (the evidence code
needs the schema's lever and effect names; loading and serialising the schema unwrap and re-wrap the
evidence), so splitting them would make an import cycle. The parts with a clean seam live apart:
ranges and the field registry in cxroi.model.fields, distributions in cxroi.model.distributions,
issues in cxroi.model.issues.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from annotated_types import GroupedMetadata
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WrapSerializer,
)

from cxroi.model import benchmarks
from cxroi.model.currencies import currency_problem, normalise_currency
from cxroi.model.distributions import (
    Distribution,
    _as_real,
    _did_you_mean,
    _err,
    _parse_distribution,
    base_float,
    base_value,
)
from cxroi.model.fields import FIELD_RULES, NONNEG, UNIT, Rule
from cxroi.model.issues import _MISSING, ScenarioError, ScenarioIssue

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
]

LEVERS = ("retention", "wallet", "referral", "service")
FORBIDDEN_NAME_CHARS = ".[]"
MAX_HORIZON_YEARS = 50


# --------------------------------------------------------------------------------------------
# Ranges of numeric fields
# --------------------------------------------------------------------------------------------
# Rule, the common ranges and FIELD_RULES (by field name, docs/model.md §2) are declared once,
# in the field registry (cxroi/model/fields.py).


#: Range of a benefit line's risk and of each entry of a by-lever benefit adjustment.
BENEFIT_RISK = Rule(0.0, 1.0, hi_open=True)
#: Range of a cost line's risk.
COST_RISK = NONNEG
#: Range of a share of today's customers in a tenure mix.
TENURE_SHARE = UNIT
#: Keys of the by-lever form of ``risk.benefit_adjustment`` (docs/model.md §12).
RISK_KEYS = LEVERS + ("lines", "default")


def field_rule(path: str) -> Rule:
    """The range rule of the field at ``path`` (by its last name).

    Examples
    --------
    >>> str(field_rule("segments[Affluent].retention.alpha"))
    'must be > 0'
    """
    head, _, name = path.rpartition(".")
    if "[" in name:
        name = name.split("[", 1)[0]
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


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------
def _real_validator(name: str | Rule, allow_dist: bool = True, optional: bool = False):
    """Validator of one real-valued field: a number in the field's range, or a distribution.

    ``name`` is a key of :data:`FIELD_RULES` or the :class:`Rule` itself.
    """
    rule = name if isinstance(name, Rule) else FIELD_RULES[name]

    def validate(value: Any) -> float | Distribution | None:
        if value is None and optional:
            return None
        if isinstance(value, Distribution):
            return value
        if allow_dist and isinstance(value, Mapping) and "dist" in value:
            return _parse_distribution(value, rule)
        what = "must be a number" + (" or a distribution {dist: ...}" if allow_dist else "")
        x = _as_real(value, what)
        if not rule.holds(x):
            raise _err("range", str(rule))
        return x

    return validate


def _dump_value(value: Any, handler) -> Any:
    if isinstance(value, Distribution):
        return value.to_mapping()
    if isinstance(value, (SBGRetention, LeverRisk)):
        return value.model_dump(exclude_unset=True)
    if isinstance(value, dict):
        return {int(k): v for k, v in value.items()}
    return value


@dataclass(frozen=True)
class _Real(GroupedMetadata):
    """Field metadata of one real-valued field: ``Annotated[Any, _Real("alpha")]``.

    Pydantic unpacks grouped metadata, so this stands for the validator of the field's range
    (:func:`_real_validator`) and the serializer that writes a distribution back as its mapping.
    ``name`` is a key of :data:`FIELD_RULES` or the :class:`Rule` itself.
    """

    name: str | Rule
    optional: bool = False

    def __iter__(self) -> Iterator[object]:
        yield PlainValidator(_real_validator(self.name, optional=self.optional))
        yield WrapSerializer(_dump_value)


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise _err("type", "must be a string")
    text = value.strip()
    if not text:
        raise _err("empty", "must be a non-empty name")
    if len(text) > MAX_NAME_CHARS:
        raise _err("name", f"must be at most {MAX_NAME_CHARS} characters (got {len(text)})")
    bad = [c for c in FORBIDDEN_NAME_CHARS if c in text]
    if bad:
        raise _err("name", "must not contain '.', '[' or ']' (names appear in field paths)")
    if text == "*":
        raise _err("name", "'*' is reserved for 'all segments' in effects")
    return text


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err("type", "must be a non-empty string")
    if len(value.strip()) > MAX_NAME_CHARS:
        raise _err("name", f"must be at most {MAX_NAME_CHARS} characters (got {len(value)})")
    return value.strip()


def _currency(value: Any) -> str:
    """An ISO 4217 code; lower case is read as upper case (see :mod:`cxroi.model.currencies`)."""
    text = _string(value)
    code = normalise_currency(text)
    if code is None:
        raise _err("currency", currency_problem(text))
    return code


def _horizon(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err("type", "must be a whole number of years")
    if isinstance(value, float) and not value.is_integer():
        raise _err("type", "must be a whole number of years")
    years = int(value)
    if not 1 <= years <= MAX_HORIZON_YEARS:
        raise _err("range", f"must be in [1, {MAX_HORIZON_YEARS}]")
    return years


def _list_validator(name: str):
    rule = FIELD_RULES[name]

    def validate(value: Any) -> list[float]:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)) or len(value) == 0:
            raise _err("type", "must be a non-empty list of numbers (years 1.., last value held)")
        out = []
        for i, item in enumerate(value):
            x = _as_real(item, f"item {i} must be a number")
            if not rule.holds(x):
                raise _err("range", f"item {i} {rule}")
            out.append(x)
        return out

    return validate


Name = Annotated[str, PlainValidator(_name)]
Text = Annotated[str, PlainValidator(_string)]
Currency = Annotated[str, PlainValidator(_currency)]
Horizon = Annotated[int, PlainValidator(_horizon)]


def _opex(value: Any) -> float | Distribution | list[float]:
    if isinstance(value, (list, tuple)):
        return _list_validator("opex")(value)
    return _real_validator("opex")(value)


def _capex(value: Any) -> float | Distribution | dict[int, float]:
    if isinstance(value, Mapping) and "dist" not in value:
        return _year_mapping(value)
    return _real_validator("capex")(value)


def _whole_key(key: Any, rule: str) -> int:
    """A mapping key that must be a whole number >= 0 (a digit string counts as one)."""
    number = int(key.strip()) if isinstance(key, str) and key.strip().isdigit() else key
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise _err("type", rule)
    return number


def _whole_mapping(
    value: Mapping, key_rule: str, what: str, entry: Callable[[int], str], rule: Rule
) -> dict[int, float]:
    """A mapping whole number >= 0 -> number in ``rule``, each key given once.

    ``key_rule`` is the message for a bad key (``{key}`` stands for it); messages about a
    value name it as "``what`` for ``entry(key)``" (``amount for year 2``).
    """
    out: dict[int, float] = {}
    for key, item in value.items():
        k = _whole_key(key, key_rule.format(key=repr(key)))
        x = _as_real(item, f"{what} for {entry(k)} must be a number")
        if not rule.holds(x):
            raise _err("range", f"{what} for {entry(k)} {rule}")
        if k in out:
            raise _err("duplicate", f"{entry(k)} is given twice")
        out[k] = x
    return out


def _year_mapping(value: Mapping) -> dict[int, float]:
    """A mapping year -> amount >= 0 (years are whole numbers >= 0; digit strings allowed)."""
    key_rule = "year key {key} must be a whole year 0..horizon_years"
    return _whole_mapping(value, key_rule, "amount", lambda k: f"year {k}", NONNEG)


def _amount(value: Any) -> float | Distribution | list[float] | dict[int, float]:
    """A line's amount: a number, a list or a mapping year -> amount (docs/model.md §11)."""
    if isinstance(value, (list, tuple)):
        return _list_validator("amount")(value)
    if isinstance(value, Mapping) and "dist" not in value:
        return _year_mapping(value)
    return _real_validator("amount")(value)


def _tenure(value: Any) -> float | Distribution | dict[int, float]:
    """A tenure: renewals made (a number) or a mix renewals -> share summing to 1."""
    if isinstance(value, Mapping) and "dist" not in value:
        if not value:
            raise _err("type", "a tenure mix needs at least one renewals -> share entry")
        key_rule = "renewals key {key} must be a whole number >= 0"
        out = _whole_mapping(value, key_rule, "share", lambda k: f"{k} renewals", TENURE_SHARE)
        total = math.fsum(out.values())
        if abs(total - 1.0) > 1e-9:
            raise _err("sum", f"shares must sum to 1 within 1e-9 (they sum to {total:.12g})")
        return out
    return _real_validator("tenure")(value)


Opex = Annotated[Any, PlainValidator(_opex), WrapSerializer(_dump_value)]
Amount = Annotated[Any, PlainValidator(_amount), WrapSerializer(_dump_value)]
Tenure = Annotated[Any, PlainValidator(_tenure), WrapSerializer(_dump_value)]
Capex = Annotated[Any, PlainValidator(_capex), WrapSerializer(_dump_value)]


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


def _number_or(model: type[_Model], name: str):
    """Validator of a field that is a number (or distribution) or, as a mapping, ``model``."""
    real = _real_validator(name)

    def validate(value: Any) -> Any:
        if isinstance(value, model):
            return value
        if isinstance(value, Mapping) and "dist" not in value:
            return model.model_validate(dict(value))
        return real(value)

    return validate


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


def _unquantified(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise _err("type", "must be a list of non-empty strings")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _err("type", f"item {i} must be a non-empty string")
        if len(item.strip()) > MAX_TEXT_CHARS:
            raise _err("name", f"item {i} must be at most {MAX_TEXT_CHARS} characters")
        out.append(item.strip())
    return out


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


def _field_pair(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _err("type", "must be a list of two field paths [PATH_A, PATH_B]")
    return [_string(v) for v in value]


def _rank(value: Any) -> float:
    if isinstance(value, Mapping) and "value" in value and "dist" not in value:
        value = value["value"]  # written with its evidence (docs/model.md §18)
    x = _as_real(value)
    if not -1.0 < x < 1.0:
        raise _err("range", "must be in (-1, 1)")
    return x


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


# --------------------------------------------------------------------------------------------
# Evidence of inputs (docs/model.md §18)
# --------------------------------------------------------------------------------------------
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


# mapping fields whose keys are shown in brackets in a path (segment names, years, renewals)
_BRACKET_PARENTS = ("effects", "capex", "amount", "tenure")


def _walk_values(
    node: Any, path: str, parent: str | None, visit: Callable, post: bool = False
) -> Any:
    """Rebuild ``node`` with ``visit(path, value, is_target)`` applied to every value below it.

    The one walk over field paths of a scenario mapping: list items are addressed by their
    ``name`` (or position) and the keys of ``effects``, ``capex``, ``amount`` and ``tenure``
    in brackets, as in field paths. ``visit`` returns the value to keep; it is applied before
    descending, or after with ``post=True`` (then it sees the rebuilt children).
    ``is_target`` is true for an ``effects`` mapping and its keys (segment names, not inputs).
    """
    if isinstance(node, Mapping):
        out = {}
        for key, child in node.items():
            if parent in _BRACKET_PARENTS and path:
                child_path = f"{path}[{_short(key)}]"
            else:
                child_path = _join(path, _short(key))
            is_target = parent == "effects" or key == "effects"
            if not post:
                child = visit(child_path, child, is_target)
            child = _walk_values(child, child_path, str(key), visit, post)
            out[key] = visit(child_path, child, is_target) if post else child
        return out
    if isinstance(node, list):
        out_list = []
        for i, item in enumerate(node):
            name = item.get("name") if isinstance(item, Mapping) else None
            label = name.strip() if isinstance(name, str) and name.strip() else str(i)
            child_path = f"{path}[{_short(label)}]"
            if not post:
                item = visit(child_path, item, False)
            item = _walk_values(item, child_path, parent, visit, post)
            out_list.append(visit(child_path, item, False) if post else item)
        return out_list
    return node


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

    out = _walk_values(data, "", None, visit)
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

    rebuilt = _walk_values(mapping, "", None, visit, post=True)
    mapping.clear()
    mapping.update(rebuilt)


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
        field_name = path.rsplit(".", 1)[-1]
        bm = BENCHMARK_DEFAULTS.get(field_name)
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


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
#: Largest scenario file or text accepted, in bytes (UTF-8).
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Most YAML aliases (``*name``) one document may use.
MAX_YAML_ALIASES = 1000
#: Most nodes a document may hold once every alias is expanded (mappings, lists, scalars, keys).
MAX_YAML_NODES = 100_000
#: Deepest nesting of mappings and lists (in YAML or in a mapping passed directly).
MAX_YAML_DEPTH = 32
#: Longest segment, initiative or scenario name, in characters.
MAX_NAME_CHARS = 200
#: Longest unquantified-benefit text, in characters.
MAX_TEXT_CHARS = 2000
#: Longest excerpt of the input shown in an error message.
MAX_EXCERPT_CHARS = 80

_MERGE_TAG = "tag:yaml.org,2002:merge"


def _excerpt(text: Any) -> str:
    text = str(text)
    return text if len(text) <= MAX_EXCERPT_CHARS else text[: MAX_EXCERPT_CHARS - 3] + "..."


if TYPE_CHECKING:  # libyaml's loader when built with it; the stubs type both alike
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """Safe YAML loader (libyaml's when available) that refuses a key given twice.

    Merge keys (``<<: *base``) work as YAML defines them: the merged mapping's keys come first
    and keys written in the mapping itself override them.
    """


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:  # merged keys may be overridden: not duplicates
            continue
        if isinstance(key_node, yaml.ScalarNode):  # the usual case: compare without building
            key = (
                loader.construct_object(key_node, deep=deep)
                if key_node.tag != ("tag:yaml.org,2002:str")
                else key_node.value
            )
        else:
            key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {_excerpt(repr(key))} appears twice in one mapping "
                f"(first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _limit_error(rule: str, source: str | None) -> ScenarioError:
    return ScenarioError(ScenarioIssue("", rule), source)


def _check_events(text: str, source: str | None) -> None:
    """Refuse too many aliases or too deep nesting, from the event stream (nothing is built)."""
    loader = _UniqueKeyLoader(text)
    depth = aliases = 0
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    mark = event.start_mark
                    where = f", line {mark.line + 1}" if mark is not None else ""
                    raise _limit_error(
                        f"nesting deeper than {MAX_YAML_DEPTH} levels "
                        f"(limit MAX_YAML_DEPTH{where})",
                        source,
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise _limit_error(
                        f"more than {MAX_YAML_ALIASES} aliases (limit MAX_YAML_ALIASES)", source
                    )
            elif isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()


def _check_expanded(root: yaml.Node, source: str | None) -> None:
    """Refuse a document whose alias-expanded node count is too large.

    The count is taken on the composed node graph, where an alias is the same node object
    reached again, memoising each node's expanded size: the work is linear in the text, never
    in the expansion. A node reached again while its own size is being counted is a recursive
    alias, refused as well.
    """
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise _limit_error("a recursive alias (a node that contains itself)", source)
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            busy.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                total += size(child)
                if total > MAX_YAML_NODES:
                    break
            busy.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            raise _limit_error(
                f"more than {MAX_YAML_NODES} nodes once aliases are expanded "
                "(limit MAX_YAML_NODES)",
                source,
            )
        return total

    size(root)


def read_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML scenario file safely, with limits and line numbers in syntax errors.

    Only regular files are read (not FIFOs, devices or folders), and at most
    ``MAX_YAML_BYTES + 1`` bytes of them; a UTF-8 byte-order mark is allowed.

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not a regular file, is too large, is empty, is not
        UTF-8 or is not valid YAML within the limits of :func:`parse_yaml`.
    """
    source = str(path)
    if "\x00" in source:  # os.stat would raise ValueError: no file name holds a NUL
        raise ScenarioError(ScenarioIssue("", "file not found (the name holds a NUL byte)"))
    if len(source) > 4096:
        raise ScenarioError(ScenarioIssue("", "file not found (the name is over 4096 characters)"))
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                ScenarioIssue(
                    "", "cannot read the file (not a regular file: a folder, FIFO or device)"
                ),
                source,
            )
        with open(path, "rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(ScenarioIssue("", "file not found", source), source) from None
    except OSError as exc:
        reason = _excerpt(exc.strerror or type(exc).__name__)
        raise ScenarioError(ScenarioIssue("", f"cannot read the file ({reason})"), source) from None
    if len(raw) > MAX_YAML_BYTES:
        raise _limit_error(
            f"file larger than {MAX_YAML_BYTES} bytes (limit MAX_YAML_BYTES)", source
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            ScenarioIssue("", f"is not UTF-8 text (bad byte at offset {exc.start})"), source
        ) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str | None = None) -> Any:
    """Parse scenario YAML text safely, within limits checked before anything is expanded.

    No arbitrary objects (safe tags only), no duplicate keys, merge keys as YAML defines them.
    Before any value is built the text must be at most ``MAX_YAML_BYTES`` bytes, use at most
    ``MAX_YAML_ALIASES`` aliases, nest at most ``MAX_YAML_DEPTH`` levels and hold at most
    ``MAX_YAML_NODES`` nodes with every alias expanded, so a "billion laughs" file is refused
    in milliseconds.

    Parameters
    ----------
    text : str
        The YAML text (a leading byte-order mark is ignored).
    source : str, optional
        Name of the text in error messages (a file name).

    Raises
    ------
    ScenarioError
        Naming the source and the limit or syntax problem; never the expanded content.
    """
    if not isinstance(text, str):
        raise ScenarioError(ScenarioIssue("", "YAML text must be a string"), source)
    if len(text) > MAX_YAML_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise _limit_error(
            f"text larger than {MAX_YAML_BYTES} bytes (limit MAX_YAML_BYTES)", source
        )
    text = text.removeprefix("\ufeff")
    try:
        _check_events(text, source)
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                data = None
            else:
                _check_expanded(node, source)
                data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issue = ScenarioIssue("", f"YAML syntax error{where}: {_excerpt(problem)}")
        raise ScenarioError(issue, source) from None
    except RecursionError:
        raise _limit_error("nesting too deep to read", source) from None
    if data is None:
        raise ScenarioError(ScenarioIssue("", "the scenario is empty"), source)
    return data


def _check_mapping_size(data: Any, source: str | None) -> None:
    """Apply the nesting and node-count limits to a mapping passed directly."""
    count = 0
    busy: set[int] = set()

    def walk(node: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_YAML_NODES:
            raise _limit_error(f"more than {MAX_YAML_NODES} values (limit MAX_YAML_NODES)", source)
        if isinstance(node, (Mapping, list, tuple)):
            if depth > MAX_YAML_DEPTH:
                raise _limit_error(
                    f"nesting deeper than {MAX_YAML_DEPTH} levels (limit MAX_YAML_DEPTH)", source
                )
            if id(node) in busy:
                raise _limit_error("a mapping or list that contains itself", source)
            busy.add(id(node))
            items = [x for kv in node.items() for x in kv] if isinstance(node, Mapping) else node
            for item in items:
                walk(item, depth + 1)
            busy.discard(id(node))

    walk(data, 1)


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


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


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


def _short(key: Any) -> str:
    """A key as shown in a path: at most MAX_EXCERPT_CHARS characters of it."""
    return _excerpt(key)


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
