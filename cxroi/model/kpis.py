"""The KPI registry: one declaration per figure a business case reports (docs/model.md §5, §13).

Every output reads its KPI labels, display kinds and plain-words meanings from here: the CLI's
tables, the report, the headline, the dashboard's cards and versions view, the board pack and
the workbook. Numbers are formatted by :func:`cxroi.present.formatting.format_kpi`, which reads
the kind declared here.

Kinds
-----
``money``
    An amount in the scenario's currency.
``ratio``
    A decimal rate shown as a percentage (ROI, IRR).
``years``
    A duration in years (paybacks).
``count``
    A number of customers.

Examples
--------
>>> KPIS["extra_customers_end"].label
'Extra customers at the horizon'
>>> KPIS["roi"].kind, KPIS["roi"].risk_adjusted
('ratio', True)
>>> KPI_KEYS[:3]
('npv', 'pv_benefits', 'pv_costs')
>>> lever_label("wallet"), LEVER_NAMES["service"].words
('Wallet', 'cheaper service')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EQUITY_KEYS",
    "HEADLINE_KEYS",
    "KPIS",
    "KPI_KEYS",
    "Kpi",
    "LEVER_NAMES",
    "Lever",
    "kpi_label",
    "kpi_meaning",
    "lever_label",
]

Kind = Literal["money", "ratio", "years", "count"]


@dataclass(frozen=True)
class Kpi:
    """What one KPI is: its key, how it is named and shown, and what it means.

    Attributes
    ----------
    key : str
        Key in ``BusinessCase.kpis`` and in ``cxroi run --json``.
    label : str
        Name in tables, cards and the report.
    short : str
        Name where room is tight (the versions table, chart titles).
    kind : {"money", "ratio", "years", "count"}
        What the number is, which fixes its display.
    risk_adjusted : bool
        Whether the risk adjustment changes it (docs/model.md §5); when it does, outputs show
        the unadjusted figure beside it.
    meaning : str
        One sentence in plain words: what the number means to a board.
    """

    key: str
    label: str
    short: str
    kind: Kind
    risk_adjusted: bool
    meaning: str


_TEI = (
    Kpi(
        "npv",
        "Net present value",
        "NPV",
        "money",
        True,
        "What the programme is worth today after paying for it: benefits minus costs, "
        "discounted and reduced for risk.",
    ),
    Kpi(
        "pv_benefits",
        "PV of benefits",
        "PV benefits",
        "money",
        True,
        "Today's value of every extra profit the programme brings, reduced for risk.",
    ),
    Kpi(
        "pv_costs",
        "PV of costs",
        "PV costs",
        "money",
        True,
        "Today's value of everything the programme costs, raised for risk.",
    ),
    Kpi(
        "roi",
        "ROI",
        "ROI",
        "ratio",
        True,
        "Net value returned per unit spent: NPV divided by the present value of costs.",
    ),
    Kpi(
        "irr",
        "IRR",
        "IRR",
        "ratio",
        True,
        "The yearly return the programme earns; above the discount rate it creates value.",
    ),
    Kpi(
        "payback_years",
        "Payback",
        "Payback",
        "years",
        True,
        "How long until the money put in has come back (undiscounted).",
    ),
    Kpi(
        "discounted_payback_years",
        "Discounted payback",
        "Disc. payback",
        "years",
        True,
        "How long until the money put in has come back in today's money.",
    ),
    Kpi(
        "extra_customers_end",
        "Extra customers at the horizon",
        "Extra customers",
        "count",
        False,
        "How many more customers there are at the end of the horizon than without the programme.",
    ),
    Kpi(
        "annual_switching_loss",
        "Annual switching loss",
        "Switching loss",
        "money",
        False,
        "Revenue lost each year to customers who leave because of poor experience that could "
        "have been prevented.",
    ),
)

_EQUITY = (
    Kpi(
        "customer_equity",
        "Customer equity after the horizon",
        "Customer equity",
        "money",
        True,
        "What the extra customers the programme keeps and wins are still worth after the last "
        "year of the case, with the programme stopped: reported beside the NPV, never inside "
        "it, ROI, IRR or payback.",
    ),
    Kpi(
        "npv_with_customer_equity",
        "NPV with customer equity",
        "NPV + equity",
        "money",
        True,
        "The net present value plus the customer equity after the horizon.",
    ),
)

#: Every KPI by key: the TEI figures in the order of ``cxroi run --json``, then customer equity.
KPIS: dict[str, Kpi] = {k.key: k for k in _TEI + _EQUITY}
#: The TEI figures of a case, in the order of ``cxroi run --json``.
KPI_KEYS: tuple[str, ...] = tuple(k.key for k in _TEI)
#: Customer equity figures (docs/model.md §13): beside the case, never inside it.
EQUITY_KEYS: tuple[str, ...] = tuple(k.key for k in _EQUITY)
#: The headline figures, in the order of the dashboard's cards, the board pack's first page and
#: the versions table (the present values of benefits and costs are shown under the NPV).
HEADLINE_KEYS: tuple[str, ...] = (
    "npv",
    "roi",
    "irr",
    "payback_years",
    "discounted_payback_years",
    "annual_switching_loss",
    "extra_customers_end",
)


def _get(key: str) -> Kpi:
    try:
        return KPIS[key]
    except KeyError:
        raise ValueError(f"KPI key must be one of {sorted(KPIS)} (got {key!r})") from None


def kpi_label(key: str, short: bool = False) -> str:
    """The label of a KPI (its short label with ``short=True``).

    Raises
    ------
    ValueError
        If ``key`` is not a KPI key.
    """
    k = _get(key)
    return k.short if short else k.label


def kpi_meaning(key: str) -> str:
    """The plain-words meaning of a KPI (for hover text and the report).

    Raises
    ------
    ValueError
        If ``key`` is not a KPI key.
    """
    return _get(key).meaning


@dataclass(frozen=True)
class Lever:
    """One source of the benefits that ``BusinessCase.by_lever`` splits them into.

    Attributes
    ----------
    key : str
        Key in ``BusinessCase.by_lever``.
    label : str
        Name in charts and tables (the value bridge).
    words : str
        Name in a sentence (the headline).
    """

    key: str
    label: str
    words: str


#: The value levers (docs/model.md §3), then the TEI benefit lines beside them, by key.
LEVER_NAMES: dict[str, Lever] = {
    lv.key: lv
    for lv in (
        Lever("retention", "Retention", "customers kept (retention)"),
        Lever("wallet", "Wallet", "wallet share"),
        Lever("referral", "Referral", "referrals"),
        Lever("service", "Service", "cheaper service"),
        Lever("lines", "Benefit lines", "benefit lines not driven by customers (TEI lines)"),
    )
}


def lever_label(key: str) -> str:
    """The label of a value lever (or of ``lines``).

    Raises
    ------
    ValueError
        If ``key`` is not a lever key.
    """
    try:
        return LEVER_NAMES[key].label
    except KeyError:
        raise ValueError(f"lever key must be one of {sorted(LEVER_NAMES)} (got {key!r})") from None
