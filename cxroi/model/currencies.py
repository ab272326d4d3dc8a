"""ISO 4217 currency codes accepted in a scenario's ``currency`` field.

The list holds the codes in circulation (ISO 4217 list one, as of 2025, including the
Caribbean guilder ``XCG`` and the Zimbabwe gold ``ZWG``) plus the IMF's special drawing right
``XDR``. Withdrawn codes (``DEM``, ``FRF``...) are refused: a business case is in a currency
one can still pay in.

Lower-case or padded input (``" eur"``) is read as the upper-case code, because the three
letters are unambiguous; anything else that is not a code is refused by validation with a
guess ("EURO" -> "EUR", "dollars" -> "USD").
"""

from __future__ import annotations

import difflib

__all__ = ["ISO_4217", "currency_problem", "normalise_currency"]

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
    RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP
    TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF XDR YER ZAR ZMW
    ZWG
    """.split()
)

#: Words people write for a currency, and the code they mean.
_COMMON_NAMES = {
    "EURO": "EUR",
    "EUROS": "EUR",
    "€": "EUR",
    "DOLLAR": "USD",
    "DOLLARS": "USD",
    "US$": "USD",
    "$": "USD",
    "POUND": "GBP",
    "POUNDS": "GBP",
    "£": "GBP",
    "STERLING": "GBP",
    "UKP": "GBP",
    "YEN": "JPY",
    "¥": "JPY",
    "YUAN": "CNY",
    "RMB": "CNY",
    "RUPEE": "INR",
    "RUPEES": "INR",
    "FRANC": "CHF",
    "FRANCS": "CHF",
}


def normalise_currency(text: str) -> str | None:
    """The ISO 4217 code ``text`` stands for, or None.

    Surrounding blanks and letter case are ignored (``"eur"`` is ``"EUR"``).

    Examples
    --------
    >>> normalise_currency(" eur"), normalise_currency("EURO")
    ('EUR', None)
    """
    code = text.strip().upper()
    return code if code in ISO_4217 else None


def currency_problem(text: str) -> str:
    """Validation message for a value that is not an ISO 4217 code, with a guess if any.

    Examples
    --------
    >>> currency_problem("EURO")
    "must be an ISO 4217 code such as USD, EUR or GBP; did you mean 'EUR'?"
    """
    key = text.strip().upper()
    guess = _COMMON_NAMES.get(key)
    if guess is None:
        close = difflib.get_close_matches(key, sorted(ISO_4217), n=1, cutoff=0.6)
        guess = close[0] if close else None
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"must be an ISO 4217 code such as USD, EUR or GBP{hint}"
