"""Executive number formatting: ``$2.47M``, ``23%``, ``3.1 years``.

The dashboard, the batch report and the workbook show the same figures, so they format them
here, once. Every function accepts ``None`` (a KPI that does not exist, such as an IRR for a
cash flow with one sign) and returns :data:`MISSING` for it.

Examples
--------
>>> format_money(2469087.08, "USD")
'$2.47M'
>>> format_money(-221445.02, "EUR")
'-€221K'
>>> format_money(1500, "CHF")
'CHF 1.50K'
>>> format_pct(0.230361)
'23%'
>>> format_pct(0.125, digits=1)
'12.5%'
>>> format_years(3.114295)
'3.1 years'
>>> format_count(15586.16)
'15.6K'
>>> format_kpi("irr", 0.32817, "USD")
'32.8%'
>>> format_payback(None, horizon=1)
'Not in 1 year'
>>> format_amount(-221445.02), format_amount(1500, sign=True), format_number(0.123456)
('-221,445', '+1,500', '0.1235')
"""

from __future__ import annotations

import math

from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import KPIS

__all__ = [
    "CURRENCY_SYMBOLS",
    "KPI_KINDS",
    "MISSING",
    "format_amount",
    "format_count",
    "format_kpi",
    "format_money",
    "format_number",
    "format_payback",
    "format_pct",
    "format_years",
    "data_value",
]

#: Text shown for a figure that does not exist (``None`` or not finite).
MISSING = "n/a"

#: Prefix symbols for common ISO 4217 codes; other codes are written as ``"CHF 2.47M"``.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _is_missing(value) -> bool:
    return value is None or not math.isfinite(float(value))


def _compact(magnitude: float, significant: int) -> str:
    """Format a non-negative number with a K/M/B/T suffix and ``significant`` digits."""
    for scale, suffix in _SUFFIXES:
        # Round first so that 999,999 becomes "1.00M" rather than "1000K".
        if round(magnitude / scale, significant) >= 1 or magnitude >= scale:
            scaled = magnitude / scale
            if float(f"{scaled:.{significant}g}") >= 1000 and suffix != "T":
                continue
            return _significant(scaled, significant) + suffix
    return _significant(magnitude, significant, keep_integer=True)


def _significant(value: float, significant: int, keep_integer: bool = False) -> str:
    if value == 0:
        return "0"
    if keep_integer and value >= 10 ** (significant - 1):
        return f"{value:,.0f}"
    digits_before = max(int(math.floor(math.log10(value))) + 1, 1)
    decimals = max(significant - digits_before, 0)
    return f"{value:,.{decimals}f}"


def format_money(value, currency: str = "USD", significant: int = 3) -> str:
    """Format an amount of money for an executive audience.

    Parameters
    ----------
    value : float or None
        Amount [currency units].
    currency : str, default "USD"
        ISO 4217 code; a known code is shown as its symbol, any other as a prefix.
    significant : int, default 3
        Significant digits kept before the K/M/B/T suffix.

    Returns
    -------
    str
        For example ``"$2.47M"``, ``"-€221K"`` or ``"CHF 1.50K"``; :data:`MISSING` for ``None``.
    """
    if _is_missing(value):
        return MISSING
    value = float(value)
    body = _compact(abs(value), significant)
    if not body.strip("0.,"):
        # One rule for nothing: an amount that rounds to zero at the shown precision is "0"
        # ("€0", never "€0.00" or "-$0"), whatever float noise it carries.
        body, value = "0", 0.0
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(str(currency).upper())
    prefix = symbol if symbol else f"{currency} "
    return f"{sign}{prefix}{body}"


def format_amount(value, sign: bool = False) -> str:
    """An amount in full, to the unit with thousands separators: ``"2,469,087"``.

    The rule of tables that show every digit (the command line's cash-flow tables and
    comparisons) rather than the executive :func:`format_money`.

    Parameters
    ----------
    value : float or None
        Amount [currency units].
    sign : bool, default False
        Write ``+`` before a positive amount (a change).

    Returns
    -------
    str
        The amount; :data:`MISSING` for ``None`` or a value that is not finite.
    """
    v = finite_or_none(value)
    if v is None:
        return MISSING
    return f"{v:+,.0f}" if sign else f"{v:,.0f}"


def format_number(value: float) -> str:
    """A field's value in a sentence: 4 significant digits, amounts of 1,000 or more in full.

    Examples
    --------
    >>> format_number(1234567.8), format_number(0.123456)
    ('1,234,568', '0.1235')
    """
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def format_count(value, significant: int = 3) -> str:
    """Format a count such as customers: ``15586.16 -> "15.6K"``, ``950 -> "950"``."""
    if _is_missing(value):
        return MISSING
    value = float(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude < 10:
        return f"{sign}{magnitude:.1f}"
    if round(magnitude) < 1000:
        return f"{sign}{magnitude:.0f}"
    return sign + _compact(magnitude, significant)


def format_pct(value, digits: int = 0) -> str:
    """Format a decimal ratio as a percentage.

    Parameters
    ----------
    value : float or None
        Decimal ratio (0.23 means 23%).
    digits : int, default 0
        Decimals after the percentage point.

    Returns
    -------
    str
        ``"23%"``; :data:`MISSING` for ``None``.
    """
    if _is_missing(value):
        return MISSING
    text = f"{float(value) * 100:,.{digits}f}"
    if text in {"-0", "-0." + "0" * digits}:
        text = text[1:]
    return text + "%"


def format_years(value, digits: int = 1) -> str:
    """Format a duration in years: ``3.114 -> "3.1 years"``, ``1.0 -> "1.0 year"``.

    Parameters
    ----------
    value : float or None
        Duration [years].
    digits : int, default 1
        Decimals kept.

    Returns
    -------
    str
        The duration with its unit; :data:`MISSING` for ``None`` (never pays back).
    """
    if _is_missing(value):
        return MISSING
    text = f"{float(value):.{digits}f}"
    unit = "year" if float(text) == 1 else "years"
    return f"{text} {unit}"


def format_payback(value, horizon: int | None = None, digits: int = 1) -> str:
    """Format a payback period, saying when there is none within the horizon.

    Parameters
    ----------
    value : float or None
        Payback [years]; ``None`` when the cumulative cash flow never turns positive.
    horizon : int, optional
        Horizon [years], used for ``"Not in 5 years"`` (``"Not in 1 year"``) when ``value`` is
        ``None``; without it a missing payback is :data:`MISSING`.
    digits : int, default 1
        Decimals kept.

    Returns
    -------
    str
        ``"3.1 years"``, ``"1.0 year"``, ``"Not in 5 years"`` or :data:`MISSING`.
    """
    if _is_missing(value):
        if horizon is None:
            return MISSING
        unit = "year" if int(horizon) == 1 else "years"
        return f"Not in {int(horizon)} {unit}"
    return format_years(value, digits)


#: The display kind of each KPI key, read from the KPI registry (:mod:`cxroi.model.kpis`):
#: ``money``, ``pct`` (a ratio shown as a percentage), ``years`` or ``count``.
KPI_KINDS = {k.key: "pct" if k.kind == "ratio" else k.kind for k in KPIS.values()}


def format_kpi(key: str, value, currency: str = "USD", horizon: int | None = None) -> str:
    """The executive display of one KPI, the same in the report, the CLI and the dashboard.

    The rule per kind: money with 3 significant digits and a K/M/B/T suffix (``"$2.47M"``);
    ROI and IRR as a percentage with one decimal (``"32.8%"``); paybacks in years with one
    decimal, or ``"Not in N years"`` when there is none within the horizon; customer counts
    with 3 significant digits (``"15.6K"``).

    Parameters
    ----------
    key : str
        KPI key (a key of :data:`KPI_KINDS`, such as ``"npv"`` or ``"irr"``).
    value : float or None
        The KPI's value.
    currency : str, default "USD"
        ISO 4217 code of money KPIs.
    horizon : int, optional
        Horizon [years], for a payback that does not happen (see :func:`format_payback`).

    Returns
    -------
    str
        The formatted figure.

    Raises
    ------
    ValueError
        If ``key`` is not a KPI key.
    """
    kind = KPI_KINDS.get(key)
    if kind is None:
        raise ValueError(f"KPI key must be one of {sorted(KPI_KINDS)} (got {key!r})")
    if kind == "money":
        return format_money(value, currency)
    if kind == "pct":
        return format_pct(value, 1)
    if kind == "years":
        return format_payback(value, horizon)
    return format_count(value)


def data_value(value) -> str:
    """Full-precision text of a figure for a ``data-value`` attribute; ``"null"`` when missing.

    Examples
    --------
    >>> data_value(0.1), data_value(None), data_value(float("inf"))
    ('0.1', 'null', 'null')
    """
    v = finite_or_none(value)
    return "null" if v is None else repr(v)
