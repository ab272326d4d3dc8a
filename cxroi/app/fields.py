"""The dashboard's inputs: one :class:`FieldSpec` per scenario field, and typed-text parsing.

The specs are read from the field registry (:mod:`cxroi.model.fields`), which declares each
field's label, input kind, slider and help once; :func:`specs_under` groups them as the
dashboard lays them out (case, segment, sBG retention, initiative, TEI line, effect).

Everything here is pure (no widgets), so it is tested without a browser. A typed value is
parsed into a number, a list or a capex mapping; it is *not* range-checked here: the candidate
scenario goes through :func:`cxroi.load_scenario`, which owns the rules and names the field.

Typed entry accepts ``0.12``, ``12`` or ``12%`` for rates and shares (a bare number above 1 in
size is read as a percentage, see :func:`pct_reading`), ``1,500,000``, ``1.5M`` or ``250k``
for money and counts, ``0.4, 0.8, 1`` (``;`` between amounts) for lists and
``0: 500k; 1: 250k`` for capex by year.

A field given as a distribution (docs/model.md §7) is shown and edited as its kind and parameters,
``triangular 8%; 12%; 15%`` (see :func:`format_distribution`, :func:`parse_distribution`);
its base value moves with :func:`move_base`, so the distribution is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cxroi.model import fields as registry
from cxroi.model.distributions import DIST_PARAMETERS, distribution_base, move_base
from cxroi.model.fields import FieldDoc
from cxroi.model.paths import parent

__all__ = [
    "CASE_FIELDS",
    "COST_LINE_FIELDS",
    "BENEFIT_LINE_FIELDS",
    "EFFECT_FIELDS",
    "FieldParseError",
    "FieldSpec",
    "INITIATIVE_FIELDS",
    "LEVER_RISK_FIELDS",
    "UNQUANTIFIED_FIELD",
    "SEGMENT_FIELDS",
    "SBG_FIELDS",
    "DIST_KINDS",
    "css_class",
    "format_distribution",
    "format_value",
    "move_base",
    "parse_distribution",
    "parse_value",
    "pct_reading",
    "spec_of",
    "specs_under",
]

#: Longest text accepted in one input (anything longer is refused before parsing).
MAX_TEXT = 200


class FieldParseError(ValueError):
    """Typed text that is not a value of the field's kind."""


@dataclass(frozen=True)
class FieldSpec:
    """One editable scenario field, as the dashboard's widgets read it.

    The specs of scenario fields are built from the field registry (:func:`spec_of`,
    :mod:`cxroi.model.fields`), which declares each field's label, kind, slider and help once.

    Attributes
    ----------
    key : str
        Key in its mapping (``"discount_rate"``, ``"wallet"``...).
    label : str
        Label shown to the user.
    kind : str
        ``pct`` (decimal shown as %), ``money``, ``count``, ``number``, ``int``, ``text``,
        ``choice``, ``money_list`` (opex), ``pct_list`` (ramp), ``capex`` or ``amount`` (a
        TEI line's amount: one number, a list by year or ``year: amount`` pairs) or ``tenure``
        (renewals made: one number or a mix ``renewals: share`` pairs).
    slider : tuple of float or None
        ``(min, max, step)`` of the slider where a range is natural; typed entry may go
        beyond it (the scenario's rules decide).
    optional : bool
        Whether a blank entry is allowed (the key is then removed: default applies).
    choices : tuple of str
        Options of a ``choice`` field.
    help : str
        Tooltip text.
    """

    key: str
    label: str
    kind: str
    slider: tuple[float, float, float] | None = None
    optional: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


def spec_of(doc: FieldDoc) -> FieldSpec:
    """The dashboard input of a registry field (its label and :class:`~cxroi.model.fields.Entry`).

    Raises
    ------
    ValueError
        If the field has no entry (the dashboard does not edit it on its own).
    """
    entry = doc.entry
    if entry is None:
        raise ValueError(f"{doc.path}: the field registry declares no dashboard entry for it")
    return FieldSpec(doc.name, doc.title, entry.kind, entry.slider, entry.optional,
                     entry.choices, entry.help)  # fmt: skip


def specs_under(*heads: str) -> tuple[FieldSpec, ...]:
    """Inputs of the registry's fields directly under one of ``heads``, in registry order.

    ``""`` is the scenario's top level and ``"effects"`` any effect target.
    """
    out = []
    for doc in registry.FIELDS:
        head = parent(doc.path)
        if head.startswith("effects."):
            head = "effects"
        if doc.entry is not None and head in heads and not doc.path.endswith("]"):
            out.append(spec_of(doc))
    return tuple(out)


#: The case's own inputs: name, currency, horizon, discount rate and the two risk adjustments.
CASE_FIELDS = specs_under("", "risk")
#: A segment's inputs (an sBG retention's parameters are :data:`SBG_FIELDS`).
SEGMENT_FIELDS = specs_under("segments[]")
#: Fields of an sBG retention (replacing the scalar ``retention`` row).
SBG_FIELDS = specs_under("segments[].retention")
#: An initiative's own inputs (its effects, lines and unquantified benefits are separate).
INITIATIVE_FIELDS = specs_under("initiatives[]")
#: Fields of a TEI benefit line (docs/model.md §11); the risk is blank when it is inherited.
BENEFIT_LINE_FIELDS = specs_under("initiatives[].benefit_lines[]")
#: Fields of a TEI cost line (docs/model.md §11).
COST_LINE_FIELDS = specs_under("initiatives[].cost_lines[]")
#: One benefit named but not valued (docs/model.md §11).
UNQUANTIFIED_FIELD = spec_of(registry.FIELDS_BY_PATH["initiatives[].unquantified[]"])
#: The by-lever form of the benefit risk adjustment (docs/model.md §12): blank = ``default``.
LEVER_RISK_FIELDS = specs_under("risk.benefit_adjustment")
#: An initiative's effect on a segment (or on every segment, ``*``).
EFFECT_FIELDS = specs_under("effects")

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(k|m|bn|b|t|%)?$")


def css_class(*parts: Any) -> str:
    """DOM class for an input: ``css_class("discount_rate") == "cxroi-field-discount_rate"``.

    Parts are joined with ``-``; characters other than letters, digits, ``_`` and ``-``
    become ``-`` and ``*`` becomes ``all``.
    """
    text = "-".join(str(p).replace("*", "all") for p in parts)
    return "cxroi-field-" + re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _number(text: str, kind: str) -> float:
    raw = text.strip().replace(",", "").replace("_", "").replace(" ", "").lower()
    raw = raw.lstrip("$€£¥")
    match = _NUMBER.match(raw)
    if not match:
        raise FieldParseError(f"not a number (got {text.strip()!r})")
    value = float(match.group(1))
    suffix = match.group(2)
    if suffix == "%":
        value /= 100.0
    elif suffix:
        value *= _SUFFIX[suffix]
    if not math.isfinite(value):
        raise FieldParseError(f"not a finite number (got {text.strip()!r})")
    if kind == "int":
        if value != int(value):
            raise FieldParseError(f"must be a whole number (got {text.strip()!r})")
        return int(value)
    return value


def _typed(text: Any) -> str:
    """The typed text, stripped; refused if it is not text or longer than :data:`MAX_TEXT`."""
    if not isinstance(text, str):
        raise FieldParseError(f"must be text (got {type(text).__name__})")
    if len(text) > MAX_TEXT:
        raise FieldParseError(f"is too long ({len(text)} characters)")
    return text.strip()


def parse_value(text: Any, spec: FieldSpec) -> Any:
    """Parse what a user typed into a value of ``spec.kind``.

    Parameters
    ----------
    text : str
        Typed text (anything else is refused: a browser can send any value).
    spec : FieldSpec
        The field.

    Returns
    -------
    object
        Number, int, str, list of float or ``{year: amount}``; ``None`` for a blank optional
        field.

    Raises
    ------
    FieldParseError
        With a message that does not repeat the field name (the caller adds it).
    """
    stripped = _typed(text)
    if not stripped:
        if spec.optional:
            return None
        raise FieldParseError("is required")
    kind = spec.kind
    if kind == "text":
        return stripped
    if kind == "choice":
        if stripped not in spec.choices:
            raise FieldParseError(f"must be one of {', '.join(spec.choices)} (got {stripped!r})")
        return stripped
    if kind == "pct":
        return pct_reading(stripped)[0]
    if kind in ("money", "count", "number", "int"):
        return _number(stripped, kind)
    if kind in ("money_list", "pct_list"):
        # Money may carry thousands separators ("300,000; 250,000" or "300,000, 250,000"),
        # so items are split on ";", ", " and spaces; a ramp never does, so "," splits too.
        pattern = r";|,\s+|\s+" if kind == "money_list" else r"[;,\s]+"
        items = [p for p in re.split(pattern, stripped) if p.strip()]
        values = [_number(p, "number") for p in items]
        if kind == "money_list" and len(values) == 1:
            return values[0]
        return values
    if kind == "tenure":
        if ":" not in stripped:
            return _number(stripped, "number")
        mix = _pairs(stripped, "renewals: share", "{} renewals", lambda t: pct_reading(t)[0])
        total = math.fsum(mix.values())
        if abs(total - 1.0) > 1e-9:
            raise FieldParseError(
                f"the shares of today's customers must add up to 100% (they add up to "
                f"{_pct(total)})"
            )
        return mix
    if kind == "amount":
        if ":" in stripped:
            return parse_value(stripped, FieldSpec(spec.key, spec.label, "capex"))
        return parse_value(stripped, FieldSpec(spec.key, spec.label, "money_list"))
    if kind == "capex":
        if ":" not in stripped:
            return _number(stripped, "number")
        return _pairs(stripped, "year: amount", "year {}", lambda t: _number(t, "number"))
    raise FieldParseError(f"unknown field kind {kind!r}")  # pragma: no cover - specs are fixed


def _pairs(text: str, form: str, key_name: str, read: Callable[[str], float]) -> dict[int, float]:
    """Read ``key: value`` pairs split by ``;`` (or ``,`` and a space).

    Keys are whole numbers (years, renewals); values are read by ``read``. ``form`` names
    the pairs in a message (``"year: amount"``), ``key_name`` a key given twice
    (``"year {}"``).
    """
    out: dict[int, float] = {}
    for part in re.split(r";|,\s+", text):
        if not part.strip():
            continue
        key_text, sep, value_text = part.partition(":")
        if not sep or not value_text.strip():
            raise FieldParseError(f"write {form} pairs (got {part.strip()!r})")
        key = int(_number(key_text, "int"))
        if key in out:
            raise FieldParseError(f"{key_name.format(key)} is given twice")
        out[key] = read(value_text.strip())
    return out


_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+\s*%?$")


def pct_reading(text: str) -> tuple[float, str | None]:
    """Read a typed rate or share, and say how a bare number was read.

    A number with ``%`` is a percentage (``150%`` is 1.5); a bare number of size at most 1
    is a decimal (``0.12`` is 12%); a bare number above 1 in size is a percentage
    (``12`` is 12%), since no rate shown in % is meant as 1,200%. One comma between
    digits is a decimal comma (``0,12`` is 0.12, never 12).

    Parameters
    ----------
    text : str
        Typed text (already stripped).

    Returns
    -------
    value : float
        The rate as a decimal.
    note : str or None
        ``"read as 12%"`` when the reading was not spelled out with ``%``, else ``None``.

    Raises
    ------
    FieldParseError
        If the text is not a number.
    """
    raw = text.strip()
    comma = "," in raw
    if comma:
        if not _DECIMAL_COMMA.match(raw):
            raise FieldParseError(f"write a rate as 0.12 or 12% (got {raw[:40]!r})")
        raw = raw.replace(",", ".")
    value = _number(raw, "number")
    explicit = raw.rstrip().endswith("%")
    if explicit:
        return value, ("read as " + _pct(value) if comma else None)
    if abs(value) > 1:
        value /= 100.0
        return value, f"read {raw} as {_pct(value)}"
    if comma:
        return value, f"read {text.strip()} as {_pct(value)}"
    return value, None


def _plain(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1 else f"{value:.6g}"


def _pct(value: float) -> str:
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + "%"


def format_value(value: Any, spec: FieldSpec) -> str:
    """Text shown in an input for ``value`` (the inverse of :func:`parse_value`).

    Examples
    --------
    >>> format_value(0.125, FieldSpec("d", "d", "pct"))
    '12.5%'
    >>> format_value({0: 500000.0, 1: 250000.0}, FieldSpec("c", "c", "capex"))
    '0: 500,000; 1: 250,000'
    """
    if value is None:
        return ""
    if isinstance(value, dict) and "dist" in value:
        value = distribution_base(value)
    kind = spec.kind
    if kind in ("text", "choice"):
        return str(value)
    if kind == "int":
        return str(int(value))
    if kind == "pct":
        return _pct(float(value))
    if kind in ("money", "count", "number"):
        return _plain(float(value))
    if kind == "pct_list":
        return ", ".join(_pct(float(v)) for v in _as_list(value))
    if kind == "money_list":
        return "; ".join(_plain(float(v)) for v in _as_list(value))
    if kind == "tenure":
        if isinstance(value, dict):
            return "; ".join(f"{int(k)}: {_pct(float(v))}" for k, v in value.items())
        return _plain(float(value))
    if kind == "amount":
        if isinstance(value, dict):
            return format_value(value, FieldSpec(spec.key, spec.label, "capex"))
        if isinstance(value, (list, tuple)):
            return "; ".join(_plain(float(v)) for v in value)
        return _plain(float(value))
    if kind == "capex":
        if isinstance(value, dict):
            return "; ".join(f"{int(y)}: {_plain(float(a))}" for y, a in value.items())
        return _plain(float(value))
    return str(value)  # pragma: no cover


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


# ------------------------------------------------------------------------------ distributions
#: Distribution kinds and their parameters, in the order they are typed (docs/model.md §7).
DIST_KINDS = DIST_PARAMETERS

#: Hover text of a range input: the forms it accepts.
DIST_HELP = (
    "triangular low; mode; high, pert low; mode; high, uniform low; high or normal mean; sd. "
    "Blank keeps the base value as a single number."
)

_DIST_TEXT = re.compile(r"^([A-Za-z]+)\s*[:(]?\s*(.*?)\s*\)?$", re.S)


def is_distribution(value: Any) -> bool:
    """Whether ``value`` is a distribution mapping (``{"dist": ..., ...}``)."""
    return isinstance(value, dict) and "dist" in value


def _one(value: float, spec: FieldSpec) -> str:
    return _pct(value) if spec.kind in ("pct", "pct_list") else _plain(value)


def format_distribution(value: Any, spec: FieldSpec) -> str:
    """Text of a distribution in a range input: kind, then its parameters split by ``;``.

    Examples
    --------
    >>> spec = FieldSpec("d", "d", "pct")
    >>> format_distribution({"dist": "triangular", "low": 0.08, "mode": 0.12, "high": 0.15}, spec)
    'triangular 8%; 12%; 15%'
    >>> money = FieldSpec("o", "o", "money")
    >>> format_distribution({"dist": "normal", "mean": 1.2e6, "sd": 1e5}, money)
    'normal 1,200,000; 100,000'
    """
    if not is_distribution(value):
        return ""
    kind = str(value["dist"])
    params = DIST_KINDS.get(kind, ())
    return kind + " " + "; ".join(_one(float(value[k]), spec) for k in params if k in value)


def describe_distribution(value: Any, spec: FieldSpec) -> str:
    """Short description for hover text: ``"triangular 8% to 15%, mode 12%"``."""
    if not is_distribution(value):
        return ""
    kind = value["dist"]
    if kind == "normal":
        return f"normal, mean {_one(value['mean'], spec)}, sd {_one(value['sd'], spec)}"
    text = f"{kind} {_one(value['low'], spec)} to {_one(value['high'], spec)}"
    return text + (f", mode {_one(value['mode'], spec)}" if "mode" in value else "")


def parse_distribution(text: Any, spec: FieldSpec) -> tuple[dict | None, str | None]:
    """Read a typed distribution: ``triangular 8%; 12%; 15%``, ``normal 0.10; 0.01``...

    Parameters
    ----------
    text : str
        Typed text. Parameters are split by ``;`` (or ``,`` followed by a space); a rate's
        parameters are read like a rate (``12`` is 12%, see :func:`pct_reading`).
    spec : FieldSpec
        The field the distribution belongs to.

    Returns
    -------
    dist : dict or None
        ``{"dist": kind, <parameters>}``; ``None`` for a blank text (no distribution).
    note : str or None
        How bare numbers of a rate were read, if any was.

    Raises
    ------
    FieldParseError
        Unknown kind, wrong number of parameters or a parameter that is not a number. The
        order rules (``low <= mode <= high``, ``sd > 0``) are the scenario's to check.
    """
    stripped = _typed(text)
    if not stripped:
        return None, None
    match = _DIST_TEXT.match(stripped)
    kind = match.group(1).lower() if match else ""
    if match is None or kind not in DIST_KINDS:
        raise FieldParseError(
            f"a range starts with triangular, pert, uniform or normal (got {stripped[:40]!r})"
        )
    params = DIST_KINDS[kind]
    items = [p for p in re.split(r";|,\s+|\s+", match.group(2)) if p.strip()]
    if len(items) != len(params):
        raise FieldParseError(
            f"a {kind} range needs {len(params)} numbers: {', '.join(params)} (got {len(items)})"
        )
    out: dict[str, Any] = {"dist": kind}
    notes = []
    for key, item in zip(params, items, strict=True):
        if spec.kind in ("pct", "pct_list"):
            out[key], note = pct_reading(item)
            if note:
                notes.append(note.replace("read ", "", 1))
        else:
            out[key] = _number(item, "number")
    return out, ("read " + ", ".join(notes) if notes else None)
