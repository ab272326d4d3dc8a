"""The field registry: one declaration per scenario field (docs/model.md §2).

Each :class:`FieldDoc` holds a field's path pattern, label, unit, range :class:`Rule`, default
(and where the default comes from), meaning and, for a field the dashboard edits, its
:class:`Entry` (input kind, slider range and step, help text). Everything that names or shows a
field reads it from here: validation (:data:`cxroi.model.scenario.FIELD_RULES` is built from
:data:`FIELDS`), the dashboard's inputs (:mod:`cxroi.app.fields`), the report's assumption
table, the workbook's Inputs sheet (:func:`field_doc` finds the entry of a concrete path such
as ``segments[Affluent].wallet``) and the README's glossary of scenario fields
(:func:`glossary_markdown`; a test checks the README holds exactly that text). Print the
glossary with ``python -m cxroi.model.fields``. Adding a field is one :class:`FieldDoc` here,
plus its economics in the engine.

Examples
--------
>>> str(FIELD_RULES["share_of_wallet"])
'must be in (0, 1]'
>>> FIELD_RULES["share_of_wallet"].interval()
'(0, 1]'
>>> FIELDS_BY_PATH["segments[].wallet"].unit
'money/customer/year'
>>> field_doc("segments[Affluent].retention").label
'Retention rate'
>>> unit_text("initiatives[CRM].opex[2]", "EUR")
'EUR/year'
>>> path_label("initiatives[CRM].effects[*].churn_prevented")
'CRM: Churn prevented (all segments)'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cxroi.model.benchmarks import POOR_CX_CHURN_SHARE, PREVENTABLE_SHARE
from cxroi.model.paths import field_name, parts

__all__ = [
    "ANY",
    "Entry",
    "FIELDS",
    "FIELDS_BY_PATH",
    "FIELD_RULES",
    "FieldDoc",
    "NONNEG",
    "POSITIVE",
    "Rule",
    "UNIT",
    "field_doc",
    "glossary_markdown",
    "path_label",
    "unit_text",
]


@dataclass(frozen=True)
class Rule:
    """Allowed range of a numeric field; ``None`` bounds are unbounded."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def holds(self, x: float) -> bool:
        """Whether ``x`` lies in the range."""
        if not math.isfinite(x):
            return False
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return False
        if self.hi is not None and (x > self.hi or (self.hi_open and x == self.hi)):
            return False
        return True

    def clip_bounds(self) -> tuple[float, float]:
        """Bounds to clip draws to: an open bound ``b`` becomes ``b +/- 1e-9``."""
        lo = -math.inf if self.lo is None else self.lo + (1e-9 if self.lo_open else 0.0)
        hi = math.inf if self.hi is None else self.hi - (1e-9 if self.hi_open else 0.0)
        return lo, hi

    def interval(self) -> str:
        """The range in interval notation: ``"(0, 1]"``, ``">= 0"``, ``"any"``."""
        text = str(self).removeprefix("must be ").removeprefix("in ")
        return "any" if text == "a finite number" else text

    def __str__(self) -> str:
        if self.lo is not None and self.hi is not None:
            left = "(" if self.lo_open else "["
            right = ")" if self.hi_open else "]"
            return f"must be in {left}{_num(self.lo)}, {_num(self.hi)}{right}"
        if self.lo is not None:
            return f"must be {'>' if self.lo_open else '>='} {_num(self.lo)}"
        if self.hi is not None:
            return f"must be {'<' if self.hi_open else '<='} {_num(self.hi)}"
        return "must be a finite number"


def _num(x: float) -> str:
    return f"{x:g}"


UNIT = Rule(0.0, 1.0)
NONNEG = Rule(0.0)
POSITIVE = Rule(0.0, lo_open=True)
ANY = Rule()


@dataclass(frozen=True)
class Entry:
    """How the dashboard edits a field: its input kind, slider and help.

    Attributes
    ----------
    kind : str
        ``pct`` (decimal shown as %), ``money``, ``count``, ``number``, ``int``, ``text``,
        ``choice``, ``money_list`` (opex), ``pct_list`` (ramp), ``capex``, ``amount`` (a TEI
        line's amount) or ``tenure`` (renewals made, or a mix); see :mod:`cxroi.app.fields`.
    slider : tuple of float or None
        ``(min, max, step)`` of the slider where a range is natural; typed entry may go
        beyond it (the rule decides).
    optional : bool
        Whether a blank entry is allowed (the key is then removed: the default applies).
    choices : tuple of str
        Options of a ``choice`` field.
    help : str
        Tooltip text.
    """

    kind: str
    slider: tuple[float, float, float] | None = None
    optional: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class FieldDoc:
    """One scenario field as the registry declares it.

    Attributes
    ----------
    path : str
        Path pattern: ``segments[].wallet`` (any segment), ``effects.*.referral_lift``.
    unit : str
        Unit or form of the value, in words.
    meaning : str
        What the field is, in a few words.
    rule : Rule or None
        Allowed range of a numeric field (validation reads it); None for other fields.
    range : str or None
        The range in words where the rule alone does not say it (compound fields); by default
        the rule's interval.
    default : str
        The value used when the field is absent (``"-"``: required or no default).
    source : str
        Where the default comes from, when it is a published figure (shown after it).
    glossary : bool
        Whether the field has its own row in the glossary.
    label : str
        Name shown to people (dashboard, report, workbook); by default the field's name.
    entry : Entry or None
        How the dashboard edits the field; None when it has no input of its own.
    value_unit : str or None
        Unit of one number of the field, where ``unit`` also names other forms (retention
        ``share/year``); by default ``unit``.
    """

    path: str
    unit: str
    meaning: str
    rule: Rule | None = None
    range: str | None = None
    default: str = "-"
    source: str = ""
    glossary: bool = True
    label: str = ""
    entry: Entry | None = None
    value_unit: str | None = None

    @property
    def title(self) -> str:
        """The label, or the field's name when none is declared."""
        return self.label or self.name

    @property
    def number_unit(self) -> str:
        """Unit of one number of the field (``value_unit``, else ``unit``)."""
        return self.value_unit if self.value_unit is not None else self.unit

    @property
    def name(self) -> str:
        """The field's own name, the last part of its path (``"wallet"``)."""
        return field_name(self.path)

    def range_text(self) -> str:
        """The range column of the glossary."""
        if self.range is not None:
            return self.range
        return self.rule.interval() if self.rule is not None else "-"

    def default_text(self) -> str:
        """The default column of the glossary: the value, then its source if it has one."""
        return f"{self.default} ({self.source})" if self.source else self.default


def _pct(x: float) -> str:
    return f"{x:g}"


_SEG, _INI, _EFF = "segments[].", "initiatives[].", "effects.*."


def _line_fields(kind: str, risk_help: str) -> tuple[FieldDoc, ...]:
    """The name, amount and risk of a TEI benefit or cost line (docs/model.md §11)."""
    where = f"{_INI}{kind}_lines[]."
    title = kind.capitalize()
    return (
        FieldDoc(where + "name", "text", f"{kind} line name", range="non-empty", glossary=False,
                 label=f"{title} line name", entry=Entry("text")),
        FieldDoc(
            where + "amount", "money/year", f"amount of a {kind} line", NONNEG, glossary=False,
            label=f"{title} line amount",
            entry=Entry("amount", help="Every year: 250k; by year 1, 2, ...: 100k; 200k (last "
                        "held); or 0: 50k; 1: 100k"),
        ),
        FieldDoc(where + "risk", "share", f"risk adjustment of a {kind} line", glossary=False,
                 label=f"{title} line risk",
                 entry=Entry("pct", slider=(0.0, 0.5, 0.01), optional=True, help=risk_help)),
    )  # fmt: skip


#: Every scenario field, in the order of the glossary (rows with ``glossary=False``
#: are fields the glossary covers in another row).
FIELDS: tuple[FieldDoc, ...] = (
    FieldDoc(
        "name", "text", "scenario name", range="non-empty", label="Case name", entry=Entry("text")
    ),
    FieldDoc(
        "currency",
        "ISO code",
        "currency of every amount",
        range="text",
        default="USD",
        label="Currency",
        entry=Entry("text", help="ISO 4217 code, e.g. USD, EUR"),
    ),
    FieldDoc(
        "horizon_years",
        "years",
        "H, years of benefits",
        range="1..50",
        default="3",
        label="Horizon (years)",
        entry=Entry("int", slider=(1, 20, 1)),
    ),
    FieldDoc(
        "discount_rate",
        "1/year",
        "d",
        Rule(-1.0, lo_open=True),
        default="0.10",
        label="Discount rate",
        entry=Entry("pct", slider=(0.0, 0.30, 0.005), help="Annual hurdle rate; type 0.12 or 12%"),
    ),
    FieldDoc(
        _SEG + "name",
        "text",
        "segment name",
        range="non-empty",
        glossary=False,
        label="Segment name",
        entry=Entry("text"),
    ),
    FieldDoc(
        _SEG + "customers",
        "customers",
        "N0, active customers today",
        POSITIVE,
        label="Customers today",
        entry=Entry("count"),
    ),
    FieldDoc(
        _SEG + "wallet",
        "money/customer/year",
        "category spend per customer, all providers",
        NONNEG,
        label="Wallet per customer / year",
        entry=Entry("money", help="Annual category spend per customer, all providers"),
    ),
    FieldDoc(
        _SEG + "share_of_wallet",
        "share",
        "part of that spend we capture",
        Rule(0.0, 1.0, lo_open=True),
        label="Share of wallet",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01)),
    ),
    FieldDoc(
        _SEG + "gross_margin",
        "share",
        "gross margin on revenue",
        UNIT,
        label="Gross margin",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01)),
    ),
    FieldDoc(
        _SEG + "retention",
        "share/year, or `{alpha, beta, tenure}`",
        "constant retention, or sBG",
        UNIT,
        range="[0, 1]; alpha, beta > 0; tenure >= 0",
        label="Retention rate",
        entry=Entry("pct", slider=(0.5, 0.999, 0.001)),
        value_unit="share/year",
    ),
    FieldDoc(
        _SEG + "retention.alpha",
        "number",
        "sBG alpha (with beta)",
        POSITIVE,
        label="Retention sBG alpha",
        entry=Entry("number"),
    ),
    FieldDoc(
        _SEG + "retention.beta",
        "number",
        "sBG beta (with alpha)",
        POSITIVE,
        label="Retention sBG beta",
        entry=Entry("number"),
    ),
    FieldDoc(
        _SEG + "acquisition_cost",
        "money/customer",
        "CAC, cost to win one customer",
        NONNEG,
        label="Acquisition cost (CAC)",
        entry=Entry("money"),
    ),
    FieldDoc(
        _SEG + "cost_to_serve",
        "money/customer/year",
        "service cost",
        NONNEG,
        default="0",
        label="Cost to serve / year",
        entry=Entry("money", optional=True),
    ),
    FieldDoc(
        _SEG + "poor_cx_churn_share",
        "share",
        "share of churn caused by poor experience",
        UNIT,
        default=_pct(POOR_CX_CHURN_SHARE.value),
        source="benchmark",
        label="Churn due to poor CX",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01), optional=True),
    ),
    FieldDoc(
        _SEG + "preventable_share",
        "share",
        "share of that churn the company could prevent",
        UNIT,
        default=_pct(PREVENTABLE_SHARE.value),
        source="benchmark",
        label="Of which preventable",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01), optional=True),
    ),
    FieldDoc(
        _SEG + "referral_share",
        "share",
        "new customers won by referral, at no CAC",
        UNIT,
        default="0",
        label="Won by referral",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01), optional=True),
    ),
    FieldDoc(
        _SEG + "acquisition",
        "`fixed` or `replace`",
        "how many customers are won each year",
        range="-",
        default="fixed",
        label="Acquisition",
        entry=Entry(
            "choice",
            choices=("fixed", "replace"),
            help="fixed: win new customers per year; replace: win what churned",
        ),
    ),
    FieldDoc(
        _SEG + "new_customers_per_year",
        "customers/year",
        "used with `fixed`",
        NONNEG,
        default="N0 x (1 - r)",
        label="New customers / year",
        entry=Entry("count", optional=True, help="Blank: replaces this year's baseline churn"),
    ),
    FieldDoc(
        _INI + "name",
        "text",
        "initiative name",
        range="non-empty",
        glossary=False,
        label="Initiative name",
        entry=Entry("text"),
    ),
    FieldDoc(
        _INI + "capex",
        "money",
        "a number (year 0) or `{year: amount}`, years 0..H",
        NONNEG,
        default="0",
        label="Capex",
        entry=Entry("capex", optional=True, help="Year 0 amount, or by year: 0: 500k, 1: 250k"),
    ),
    FieldDoc(
        _INI + "opex",
        "money/year",
        "a number (every year 1..H) or a list for years 1.., last held",
        NONNEG,
        default="0",
        label="Opex / year",
        entry=Entry(
            "money_list",
            optional=True,
            help="One amount for every year, or a list for years 1, 2, ... (last held)",
        ),
    ),
    FieldDoc(
        _INI + "ramp",
        "share of full effect",
        "list for years 1.., last held",
        UNIT,
        range="[0, 1] each",
        default="[1.0]",
        label="Ramp-up",
        entry=Entry(
            "pct_list", optional=True, help="Share of full effect in years 1, 2, ... (last held)"
        ),
    ),
    FieldDoc(
        _INI + "effects",
        "`{segment or *: {effect: value}}`",
        "the initiative's effects on each segment, or on every segment (`*`)",
        glossary=False,
        label="Effects",
    ),
    FieldDoc(
        "effects.<segment or *>.churn_prevented",
        "share",
        "share of preventable poor-CX churn removed",
        UNIT,
        default="0",
        label="Churn prevented",
        entry=Entry("pct", slider=(0.0, 1.0, 0.01)),
    ),
    FieldDoc(
        _EFF + "share_of_wallet_lift",
        "relative",
        "0.05 = 5% more share of wallet",
        Rule(-1.0),
        default="0",
        label="Wallet-share lift",
        entry=Entry("pct"),
    ),
    FieldDoc(
        _EFF + "referral_lift",
        "absolute",
        "added to referral_share",
        Rule(-1.0, 1.0),
        default="0",
        label="Referral lift",
        entry=Entry("pct"),
    ),  # fmt: skip
    FieldDoc(
        _EFF + "cost_to_serve_change",
        "relative",
        "-0.10 = 10% cheaper to serve",
        Rule(-1.0),
        default="0",
        label="Cost-to-serve change",
        entry=Entry("pct"),
    ),
    FieldDoc(
        _SEG + "retention.tenure",
        "renewals, or `{renewals: share}`",
        "renewals today's sBG customers have made, or a tenure mix "
        "([model §14](docs/model.md#tenure-mix))",
        NONNEG,
        range=">= 0; shares sum to 1",
        default="0",
        label="Renewals made (tenure)",
        entry=Entry(
            "tenure",
            optional=True,
            help="Renewals today's customers have made: 4, or a mix renewals: share such as "
            "0: 50%; 8: 50% (shares sum to 100%)",
        ),
        value_unit="renewals",
    ),
    FieldDoc(
        _SEG + "retention.tenure[]",
        "share of today's customers",
        "share of today's customers with that many renewals made (a tenure mix)",
        glossary=False,
        label="Tenure mix share",
    ),
    FieldDoc(
        _INI + "benefit_lines",
        "list of `{name, amount, risk}`",
        "TEI benefits no customer drives (agent time, retired IT); amount a number "
        "(years 1..H), a list (held) or `{year: amount}`; not ramped "
        "([§11](docs/model.md#tei-lines))",
        range="amount >= 0; risk [0, 1)",
        default="[]",
    ),
    *_line_fields(
        "benefit", "Amount x (1 - this); blank: the benefit risk adjustment for lines applies"
    ),
    FieldDoc(
        _INI + "cost_lines",
        "list of `{name, amount, risk}`",
        "costs beside capex and opex (training, internal labour)",
        range="amount >= 0; risk >= 0",
        default="[]",
    ),
    *_line_fields("cost", "Amount x (1 + this); blank: the cost risk adjustment applies"),
    FieldDoc(
        _INI + "unquantified",
        "list of texts",
        "benefits named but not valued: in every report, in no figure",
        range="non-empty",
        default="[]",
    ),
    FieldDoc(
        _INI + "unquantified[]",
        "text",
        "one benefit named but not valued",
        glossary=False,
        label="Unquantified benefit",
        entry=Entry("text", help="Named in every report, in no figure"),
    ),
    FieldDoc(
        "risk.benefit_adjustment",
        "share, or `{retention, wallet, referral, service, lines, default}`",
        "benefits x (1 - it), a loss x (1 + it); per lever on each year's Shapley share "
        "([§12](docs/model.md#risk-adjustment))",
        Rule(0.0, 1.0, hi_open=True),
        range="[0, 1) each",
        default="0",
        label="Benefit risk adjustment",
        entry=Entry(
            "pct", slider=(0.0, 0.5, 0.01), optional=True, help="TEI risk: benefits x (1 - this)"
        ),
        value_unit="share",
    ),
    *(
        FieldDoc(
            "risk.benefit_adjustment." + key,
            "share",
            f"benefit risk adjustment: {what}",
            glossary=False,
            label=label,
            entry=Entry("pct", optional=True, help="Blank is 0" if key == "default" else ""),
        )
        for key, label, what in (
            ("retention", "Retention risk", "the retention lever"),
            ("wallet", "Wallet-share risk", "the share-of-wallet lever"),
            ("referral", "Referral risk", "the referral lever"),
            ("service", "Cost-to-serve risk", "the cost-to-serve lever"),
            ("lines", "Benefit-lines risk", "TEI benefit lines without their own risk"),
            ("default", "Other levers' risk", "the levers not given"),
        )
    ),
    FieldDoc(
        "risk.cost_adjustment",
        "share",
        "costs x (1 + it); default risk of cost lines",
        NONNEG,
        default="0",
        label="Cost risk adjustment",
        entry=Entry(
            "pct", slider=(0.0, 0.5, 0.01), optional=True, help="TEI risk: costs x (1 + this)"
        ),
    ),
    FieldDoc(
        "any number",
        "`{value, source, note, as_of}`",
        "the value with its evidence; reports show the source, the benchmark for a default, "
        'or "not sourced" ([§18](docs/model.md#provenance))',
        range="as the field",
    ),
)

#: The registry by path pattern.
FIELDS_BY_PATH: dict[str, FieldDoc] = {f.path: f for f in FIELDS}

#: Allowed range of every numeric field, by field name (docs/model.md §2): read from
#: :data:`FIELDS`.
FIELD_RULES: dict[str, Rule] = {f.name: f.rule for f in FIELDS if f.rule is not None}

_INDEX = re.compile(r"\[[^\]]*\]")
_EFFECTS = re.compile(r"^effects\.[^.]+\.")


def _pattern(path: str) -> str:
    """A path with every bracket emptied and an effect under its initiative.

    ``initiatives[].effects[].referral_lift`` for a registry path or a concrete field path.
    """
    return _EFFECTS.sub("initiatives[].effects[].", _INDEX.sub("[]", path))


_BY_PATTERN: dict[str, FieldDoc] = {_pattern(f.path): f for f in FIELDS if f.path != "any number"}


def field_doc(path: str) -> FieldDoc | None:
    """The registry's entry for a concrete field path, or None if it names no field.

    Names in brackets (segments, initiatives, lines, effect targets) match any name; a year
    or list position after a field (``capex[2]``, ``opex[3]``, ``ramp[1]``) is that field.

    Examples
    --------
    >>> field_doc("initiatives[CRM].effects[Affluent].churn_prevented").label
    'Churn prevented'
    >>> field_doc("initiatives[CRM].capex[1]").path
    'initiatives[].capex'
    >>> field_doc("segments[A].retention.tenure[4]").unit
    "share of today's customers"
    >>> field_doc("nothing") is None
    True
    """
    key = _pattern(path)
    found = _BY_PATTERN.get(key)
    if found is None and key.endswith("[]"):
        found = _BY_PATTERN.get(key[:-2])
    return found


def unit_text(path: str, currency: str | None = None) -> str:
    """Unit of one number at a concrete field path, as plain text.

    "money" is written as the currency and the glossary's Markdown code marks are dropped.
    Returns ``""`` for a path the registry does not hold.
    """
    doc = field_doc(path)
    if doc is None:
        return ""
    unit = doc.number_unit.replace("`", "")
    return re.sub(r"\bmoney\b", currency, unit) if currency else unit


#: Lists whose items name the owner of a field in :func:`path_label`.
_OWNERS = ("segments", "initiatives")


def path_label(path: str) -> str:
    """A concrete field path in words: its owner, the field's label, then what else it names.

    The owner is the segment or initiative the path is under; a line's name, an effect's
    target (``*`` is all segments) and a year follow the label in parentheses. A path the
    registry does not hold is named by its field name.

    Examples
    --------
    >>> path_label("segments[Affluent].retention.alpha")
    'Affluent: Retention sBG alpha'
    >>> path_label("initiatives[CRM].benefit_lines[Fewer calls].amount")
    'CRM: Benefit line amount (Fewer calls)'
    >>> path_label("discount_rate"), path_label("risk.benefit_adjustment.wallet")
    ('Discount rate', 'Wallet-share risk')
    """
    doc = field_doc(path)
    label = doc.title if doc is not None else field_name(path).replace("_", " ")
    owner, more, after = None, [], None
    for attr, key in parts(path):
        if attr is not None:
            after = attr
        elif after in _OWNERS and owner is None:
            owner = key
        else:
            more.append("all segments" if key == "*" and after == "effects" else str(key))
    if more:
        label += f" ({', '.join(more)})"
    return f"{owner}: {label}" if owner else label


def glossary_markdown() -> str:
    """The glossary of scenario fields as a Markdown table (as in the README).

    Returns
    -------
    str
        The table, one row per field with ``glossary=True``, ending in a newline.
    """
    rows = ["| field | unit | range | default | meaning |", "|---|---|---|---|---|"]
    for f in FIELDS:
        if f.glossary:
            cells = (f"`{f.path}`" if f.path != "any number" else f.path, f.unit,
                     f.range_text(), f.default_text(), f.meaning)  # fmt: skip
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover - a tool: print the glossary for the README
    print(glossary_markdown(), end="")
