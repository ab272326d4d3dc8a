"""Field types of the scenario schema: the validators behind each kind of input.

:mod:`cxroi.model.scenario` declares its fields with these: ``Annotated[Any, _Real("alpha")]``
for a real-valued field (a number in the field's range or a distribution), :data:`Name`,
:data:`Text`, :data:`Currency`, :data:`Horizon`, and the amounts that may also be a list
(years 1.., last value held) or a mapping year -> amount (:data:`Opex`, :data:`Capex`,
:data:`Amount`) or a tenure mix (:data:`Tenure`). Each raises the error the schema reports as
the field's rule (docs/model.md §2, §11, §14).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import BaseModel, PlainValidator, WrapSerializer

from cxroi.model.currencies import currency_problem, normalise_currency
from cxroi.model.distributions import Distribution, _as_real, _err, _parse_distribution
from cxroi.model.fields import FIELD_RULES, NONNEG, UNIT, Rule

__all__ = [
    "FORBIDDEN_NAME_CHARS",
    "MAX_HORIZON_YEARS",
    "MAX_NAME_CHARS",
    "MAX_TEXT_CHARS",
    "TENURE_SHARE",
    "Amount",
    "Capex",
    "Currency",
    "Horizon",
    "Name",
    "Opex",
    "Tenure",
    "Text",
]

#: Characters a name may not hold (names appear in field paths).
FORBIDDEN_NAME_CHARS = ".[]"
#: Longest horizon, in years.
MAX_HORIZON_YEARS = 50
#: Longest segment, initiative or scenario name, in characters.
MAX_NAME_CHARS = 200
#: Longest free text (an unquantified benefit, an input's source or note), in characters.
MAX_TEXT_CHARS = 2000
#: Range of a share of today's customers in a tenure mix.
TENURE_SHARE = UNIT


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
    if isinstance(value, BaseModel):  # a retention or benefit risk given as a mapping
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


def _number_or(model: type[BaseModel], name: str):
    """Validator of a field that is a number (or distribution) or, as a mapping, ``model``."""
    real = _real_validator(name)

    def validate(value: Any) -> Any:
        if isinstance(value, model):
            return value
        if isinstance(value, Mapping) and "dist" not in value:
            return model.model_validate(dict(value))
        return real(value)

    return validate


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
