"""The field registry: one declaration per scenario field (docs/model.md §2).

Each :class:`FieldDoc` holds a field's path pattern, unit, range :class:`Rule`, default (and
where the default comes from) and meaning. Validation reads the rules from here
(:data:`cxroi.model.scenario.FIELD_RULES` is built from :data:`FIELDS`), and the README's
glossary of scenario fields is generated from it (:func:`glossary_markdown`; a test checks the
README holds exactly that text). Print the glossary with ``python -m cxroi.model.fields``.

Examples
--------
>>> str(FIELD_RULES["share_of_wallet"])
'must be in (0, 1]'
>>> FIELD_RULES["share_of_wallet"].interval()
'(0, 1]'
>>> FIELDS_BY_PATH["segments[].wallet"].unit
'money/customer/year'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxroi.model.benchmarks import POOR_CX_CHURN_SHARE, PREVENTABLE_SHARE

__all__ = [
    "ANY",
    "FIELDS",
    "FIELDS_BY_PATH",
    "FIELD_RULES",
    "FieldDoc",
    "NONNEG",
    "POSITIVE",
    "Rule",
    "UNIT",
    "glossary_markdown",
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
    """

    path: str
    unit: str
    meaning: str
    rule: Rule | None = None
    range: str | None = None
    default: str = "-"
    source: str = ""
    glossary: bool = True

    @property
    def name(self) -> str:
        """The field's own name, the last part of its path (``"wallet"``)."""
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")

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

#: Every scenario field, in the order of the glossary.
FIELDS: tuple[FieldDoc, ...] = (
    FieldDoc("name", "text", "scenario name", range="non-empty"),
    FieldDoc("currency", "ISO code", "currency of every amount", range="text", default="USD"),
    FieldDoc("horizon_years", "years", "H, years of benefits", range="1..50", default="3"),
    FieldDoc("discount_rate", "1/year", "d", Rule(-1.0, lo_open=True), default="0.10"),
    FieldDoc(_SEG + "customers", "customers", "N0, active customers today", POSITIVE),
    FieldDoc(
        _SEG + "wallet",
        "money/customer/year",
        "category spend per customer, all providers",
        NONNEG,
    ),
    FieldDoc(
        _SEG + "share_of_wallet",
        "share",
        "part of that spend we capture",
        Rule(0.0, 1.0, lo_open=True),
    ),
    FieldDoc(_SEG + "gross_margin", "share", "gross margin on revenue", UNIT),
    FieldDoc(
        _SEG + "retention",
        "share/year, or `{alpha, beta, tenure}`",
        "constant retention, or sBG",
        UNIT,
        range="[0, 1]; alpha, beta > 0; tenure >= 0",
    ),
    FieldDoc(_SEG + "retention.alpha", "number", "sBG alpha (with beta)", POSITIVE),
    FieldDoc(_SEG + "retention.beta", "number", "sBG beta (with alpha)", POSITIVE),
    FieldDoc(_SEG + "acquisition_cost", "money/customer", "CAC, cost to win one customer", NONNEG),
    FieldDoc(_SEG + "cost_to_serve", "money/customer/year", "service cost", NONNEG, default="0"),
    FieldDoc(
        _SEG + "poor_cx_churn_share",
        "share",
        "share of churn caused by poor experience",
        UNIT,
        default=_pct(POOR_CX_CHURN_SHARE.value),
        source="benchmark",
    ),
    FieldDoc(
        _SEG + "preventable_share",
        "share",
        "share of that churn the company could prevent",
        UNIT,
        default=_pct(PREVENTABLE_SHARE.value),
        source="benchmark",
    ),
    FieldDoc(
        _SEG + "referral_share",
        "share",
        "new customers won by referral, at no CAC",
        UNIT,
        default="0",
    ),  # fmt: skip
    FieldDoc(
        _SEG + "acquisition",
        "`fixed` or `replace`",
        "how many customers are won each year",
        range="-",
        default="fixed",
    ),
    FieldDoc(
        _SEG + "new_customers_per_year",
        "customers/year",
        "used with `fixed`",
        NONNEG,
        default="N0 x (1 - r)",
    ),
    FieldDoc(
        _INI + "capex",
        "money",
        "a number (year 0) or `{year: amount}`, years 0..H",
        NONNEG,
        default="0",
    ),
    FieldDoc(
        _INI + "opex",
        "money/year",
        "a number (every year 1..H) or a list for years 1.., last held",
        NONNEG,
        default="0",
    ),
    FieldDoc(
        _INI + "ramp",
        "share of full effect",
        "list for years 1.., last held",
        UNIT,
        range="[0, 1] each",
        default="[1.0]",
    ),
    FieldDoc(
        "effects.<segment or *>.churn_prevented",
        "share",
        "share of preventable poor-CX churn removed",
        UNIT,
        default="0",
    ),
    FieldDoc(
        _EFF + "share_of_wallet_lift",
        "relative",
        "0.05 = 5% more share of wallet",
        Rule(-1.0),
        default="0",
    ),
    FieldDoc(
        _EFF + "referral_lift", "absolute", "added to referral_share", Rule(-1.0, 1.0), default="0"
    ),  # fmt: skip
    FieldDoc(
        _EFF + "cost_to_serve_change",
        "relative",
        "-0.10 = 10% cheaper to serve",
        Rule(-1.0),
        default="0",
    ),
    FieldDoc(
        _SEG + "retention.tenure",
        "renewals, or `{renewals: share}`",
        "renewals today's sBG customers have made, or a tenure mix "
        "([model §14](docs/model.md#tenure-mix))",
        NONNEG,
        range=">= 0; shares sum to 1",
        default="0",
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
    FieldDoc(
        _INI + "cost_lines",
        "list of `{name, amount, risk}`",
        "costs beside capex and opex (training, internal labour)",
        range="amount >= 0; risk >= 0",
        default="[]",
    ),
    FieldDoc(
        "lines[].amount",
        "money",
        "amount of a benefit or cost line",
        NONNEG,
        glossary=False,
    ),
    FieldDoc(
        _INI + "unquantified",
        "list of texts",
        "benefits named but not valued: in every report, in no figure",
        range="non-empty",
        default="[]",
    ),
    FieldDoc(
        "risk.benefit_adjustment",
        "share, or `{retention, wallet, referral, service, lines, default}`",
        "benefits x (1 - it), a loss x (1 + it); per lever on each year's Shapley share "
        "([§12](docs/model.md#risk-adjustment))",
        Rule(0.0, 1.0, hi_open=True),
        range="[0, 1) each",
        default="0",
    ),
    FieldDoc(
        "risk.cost_adjustment",
        "share",
        "costs x (1 + it); default risk of cost lines",
        NONNEG,
        default="0",
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
