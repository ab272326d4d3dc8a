"""Published customer-experience statistics as named, cited constants.

The articles cxroi grew from quote a handful of statistics again and again: a 5% rise in
retention lifting profit by 25-95%, two thirds of consumers switching over poor service, 81%
of switchers saying the company could have kept them, a $5.9 trillion "switching economy",
acquisition costing 5-25 times retention, engaged customers worth more, customers willing to
pay more for good service. This module records each of them once, as a :class:`Benchmark`
that says who published it, when, what was actually measured, on whom, and what it does *not*
show.

Two of them feed scenario defaults (docs/model.md §2):

* :data:`POOR_CX_CHURN_SHARE` (0.66) is the default ``poor_cx_churn_share`` of a segment;
* :data:`PREVENTABLE_SHARE` (0.81) is the default ``preventable_share`` of a segment.

Both are survey answers, not measurements of a company's churn. Using them as model inputs is
an assumption, and the scenario's provenance marks every field filled from them so that a
reader can see where the number came from and replace it with the company's own churn-reason
data. All other records are context and sense checks; cxroi computes nothing from them.

Some figures in the seed articles could not be traced to an original source. They are kept
here, with ``traced=False`` and a caveat that says so, so that a user who meets them in a
board paper can look them up and see why cxroi does not rely on them.

Conventions
-----------
* ``value`` is a decimal: 0.66, never 66. Shares are in [0, 1]; relative changes are decimals
  of the base (0.25 = 25% more); ratios are plain multiples; money is in the stated currency.
* ``value`` is the single figure the source states. Where the source states only a range,
  ``value`` is the midpoint of ``low`` and ``high``: a convenience for sorting and charts,
  never a published number. Quote the range.
* ``year`` is the year of the original publication. For an untraced figure it is the year the
  figure is attributed to, or failing that the year of the seed article that repeats it.

References
----------
.. [1] Reichheld, F. F. and Sasser, W. E. (1990). "Zero Defections: Quality Comes to
   Services". Harvard Business Review 68(5), 105-111.
.. [2] Reichheld, F. F. (1996). *The Loyalty Effect*. Boston: Harvard Business School Press.
.. [3] Reichheld, F. F. and Schefter, P. (2000). "E-Loyalty: Your Secret Weapon on the Web".
   Harvard Business Review 78(4), 105-113.
.. [4] Accenture (2013). *Accenture 2013 Global Consumer Pulse Survey: Global & U.S. Key
   Findings*. Accenture.
.. [5] American Express (2011). *2011 Global Customer Service Barometer* (US results,
   press release of 3 May 2011).
.. [6] PwC (2018). *Experience is everything: Here's how to get it right*. PwC Consumer
   Intelligence Series, Future of Customer Experience Survey 2017/18.
.. [7] Gallup (2013). *State of the American Workplace*; Gallup customer engagement (CE3)
   research as summarised by Gallup.
.. [8] Gallo, A. (2014). "The Value of Keeping the Right Customers". HBR.org, 29 October 2014.
.. [9] Sharp, B. (2005). "A 5% drop in defection does not lead to 80%+ more profits". Ehrenberg-
   Bass Institute, University of South Australia (commentary on [1]).

Examples
--------
>>> from cxroi.model.benchmarks import POOR_CX_CHURN_SHARE, PREVENTABLE_SHARE, get
>>> POOR_CX_CHURN_SHARE.value, PREVENTABLE_SHARE.value
(0.66, 0.81)
>>> get("reichheld_retention_profit").low, get("reichheld_retention_profit").high
(0.25, 0.95)
>>> get("gallup_b2b_revenue_premium").traced
False
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by as_frame only: the model stays light to import
    import pandas as pd

__all__ = [
    "Benchmark",
    "BENCHMARKS",
    "POOR_CX_CHURN_SHARE",
    "PREVENTABLE_SHARE",
    "UNITS",
    "get",
    "as_frame",
]

#: Units a :class:`Benchmark` may carry, with what a value in that unit means.
UNITS: dict[str, str] = {
    "share": "fraction of a population, decimal in [0, 1]",
    "relative": "relative difference from a base, decimal (0.25 = 25% more)",
    "ratio": "multiple of another quantity (5.0 = five times)",
    "USD": "US dollars",
}

#: Words an untraced record's caveat must contain, so the flag is visible in plain text.
UNTRACED_PHRASE = "could not be traced"


@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """One published statistic with its source and the limits of what it shows.

    Parameters
    ----------
    key : str
        Identifier used in :data:`BENCHMARKS` and in scenario provenance.
    value : float
        The figure as a decimal (0.66, not 66) [unit]. For a range, the midpoint of
        ``low`` and ``high``.
    unit : str
        One of :data:`UNITS`: ``"share"``, ``"relative"``, ``"ratio"`` or ``"USD"``.
    low, high : float or None
        Ends of the published range, when the source gives a range [unit].
    statement : str
        The claim in plain words, as it is usually repeated.
    source : str
        Full citation of the original publication, or what the seed article names.
    publisher : str
        Organisation that published or commissioned the figure.
    year : int
        Year of the original publication (see the module notes for untraced figures).
    measured : str
        What was actually measured or estimated, as opposed to how it is quoted.
    population : str
        Who or what was studied: sample, countries, industries.
    caveat : str
        What the figure does not show and how to use it; for ``traced=False`` it says
        plainly that the figure could not be traced.
    traced : bool
        True when the figure was found in, or in reporting of, a named original source.

    Raises
    ------
    ValueError
        If the unit is unknown, the value lies outside its unit's range or outside
        ``[low, high]``, a text field is empty, or an untraced record does not say so.
    """

    key: str
    value: float
    unit: str
    low: float | None = None
    high: float | None = None
    statement: str
    source: str
    publisher: str
    year: int
    measured: str
    population: str
    caveat: str
    traced: bool

    def __post_init__(self) -> None:
        """Check units, ranges and text fields; see the class docstring."""
        where = f"benchmark {self.key!r}"
        if self.unit not in UNITS:
            raise ValueError(f"{where}: unit must be one of {sorted(UNITS)} (got {self.unit!r})")
        for name in ("key", "statement", "source", "publisher", "measured", "population", "caveat"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: {name} must be a non-empty string (got {text!r})")
        if not 1900 <= self.year <= 2100:
            raise ValueError(f"{where}: year must be a calendar year (got {self.year!r})")
        for name in ("value", "low", "high"):
            x = getattr(self, name)
            if x is None:
                continue
            if not math.isfinite(x):
                raise ValueError(f"{where}: {name} must be finite (got {x!r})")
            if self.unit == "share" and not 0.0 <= x <= 1.0:
                raise ValueError(
                    f"{where}: {name} is a share and must be a decimal in [0, 1] "
                    f"(got {x!r}; write 0.66, not 66)"
                )
            if self.unit == "relative" and not -1.0 < x <= 10.0:
                raise ValueError(
                    f"{where}: {name} is a relative change and must be a decimal "
                    f"in (-1, 10] (got {x!r}; write 0.25, not 25)"
                )
            if self.unit in ("ratio", "USD") and x <= 0:
                raise ValueError(f"{where}: {name} must be positive (got {x!r})")
        if self.low is not None and self.value < self.low:
            raise ValueError(f"{where}: value {self.value!r} is below low {self.low!r}")
        if self.high is not None and self.value > self.high:
            raise ValueError(f"{where}: value {self.value!r} is above high {self.high!r}")
        if not self.traced and UNTRACED_PHRASE not in self.caveat.lower():
            raise ValueError(
                f"{where}: an untraced benchmark's caveat must say it {UNTRACED_PHRASE!r}"
            )

    @property
    def is_range(self) -> bool:
        """True when the source gives a range (both ``low`` and ``high``)."""
        return self.low is not None and self.high is not None


# --------------------------------------------------------------------------------------------
# Switching and churn (Accenture Global Consumer Pulse)
# --------------------------------------------------------------------------------------------

POOR_CX_CHURN_SHARE = Benchmark(
    key="accenture_switched_poor_service",
    value=0.66,
    unit="share",
    statement=(
        "About two in three consumers say they switched away from at least one provider "
        "in the past year because of poor customer service."
    ),
    source="Accenture, Accenture 2013 Global Consumer Pulse Survey: Global & U.S. Key Findings",
    publisher="Accenture",
    year=2013,
    measured=(
        "The share of surveyed consumers who answered that, in the past twelve months, "
        "they had left at least one provider in any of the covered industries because "
        "of poor service. It is a share of people, self-reported after the fact; it is "
        "not a share of churn events and not a measured cause of churn."
    ),
    population=(
        "Online survey of about 12,900 consumers in 32 countries across ten industries "
        "(retail, banking, insurance, telecoms, cable, utilities, hotels and others); "
        "1,256 of them in the US."
    ),
    caveat=(
        "Not the share of a company's churn that poor experience causes. A person who left "
        "one of many providers over service counts as a yes, whatever drove their other "
        "switches, and people often give service as the reason when price or a move was "
        "the trigger. Reports of the survey disagree on the 2013 global figure (62% and "
        "66% both appear); the 2011 edition also reported 66%, and the 2013 US figure was "
        "51%. cxroi uses 0.66 only as the default poor_cx_churn_share; replace it with "
        "your own churn-reason data (exit surveys, cancellation reason codes)."
    ),
    traced=True,
)
"""Default of a segment's ``poor_cx_churn_share`` (docs/model.md §2)."""

PREVENTABLE_SHARE = Benchmark(
    key="accenture_switch_preventable",
    value=0.81,
    unit="share",
    statement=(
        "About four in five people who switched provider say the company could have "
        "done something to keep them."
    ),
    source="Accenture, Accenture 2013 Global Consumer Pulse Survey: Global & U.S. "
    "Key Findings (US results)",
    publisher="Accenture",
    year=2013,
    measured=(
        "Among US respondents who had switched a provider in the past year, the share "
        "who agreed that the company could have done something differently to prevent "
        "it. A hindsight opinion of people who left, not a measured prevention rate."
    ),
    population="US respondents to the 2013 survey (1,256 people) who reported switching.",
    caveat=(
        "The question asks whether anything at all could have kept the customer, and the "
        "answer includes a lower price, so it is an upper bound on what better experience "
        "alone could prevent, and says nothing about the cost of preventing it. A seed "
        "article rewords it as 'a positive customer experience could have prevented the "
        "switch', which the survey did not ask. The 2012 edition reported 85% (global). "
        "cxroi uses 0.81 only as the default preventable_share; each initiative's "
        "churn_prevented then says how much of that preventable churn it actually "
        "removes. Replace it with evidence from your own lost-customer interviews."
    ),
    traced=True,
)
"""Default of a segment's ``preventable_share`` (docs/model.md §2)."""

_SWITCH_PREVENTABLE_UNSOURCED = Benchmark(
    key="switch_preventable_unsourced",
    value=0.82,
    unit="share",
    statement=(
        "82% of people who switched brands over poor service say the brand could have "
        "done something to stop them."
    ),
    source="Seed article (2015) citing 'an Accenture study' without title or year",
    publisher="Accenture (as attributed; unconfirmed)",
    year=2015,
    measured="Unknown; presumably the same question as the 81% figure.",
    population="Unknown.",
    caveat=(
        "This figure could not be traced: no Accenture publication we found gives 82%. "
        "The nearest traced figures are 81% (US switchers, 2013) and 85% (global, 2012), "
        "so it is probably a mis-transcription of one of them. The year is that of the "
        "article repeating it. cxroi does not use it; see accenture_switch_preventable."
    ),
    traced=False,
)

_SWITCHING_ECONOMY = Benchmark(
    key="accenture_switching_economy",
    value=5.9e12,
    unit="USD",
    statement=(
        "About $5.9 trillion of revenue worldwide is 'in play' because customers switch "
        "providers, $1.3 trillion of it in the US."
    ),
    source="Accenture, Accenture 2013 Global Consumer Pulse Survey: Global & U.S. "
    "Key Findings (executive summary, 'Switching Economy')",
    publisher="Accenture",
    year=2013,
    measured=(
        "A modelled estimate, not a measured loss: Accenture applied the switching rates "
        "from its survey to 2013 forecasts of consumer spending in utilities, "
        "communications, financial services, insurance, retail, consumer electronics "
        "and hotels, counting both customers who left a provider completely and those "
        "who moved part of their spending."
    ),
    population="Consumer spending in 32 to 33 countries (sources differ), 2013 forecasts.",
    caveat=(
        "Revenue that changes hands between companies, not profit and not money lost to "
        "the economy; it includes partial switching and switching for any reason, not "
        "only poor service. Useful as context for a board slide, not as an input. cxroi "
        "computes the company-level counterpart, annual_switching_loss, from your own "
        "segments."
    ),
    traced=True,
)

# --------------------------------------------------------------------------------------------
# Retention economics
# --------------------------------------------------------------------------------------------

_RETENTION_PROFIT = Benchmark(
    key="reichheld_retention_profit",
    value=0.60,
    unit="relative",
    low=0.25,
    high=0.95,
    statement="Raising customer retention by 5% raises profits by 25% to 95%.",
    source=(
        "Reichheld, F. F. and Sasser, W. E. (1990), 'Zero Defections: Quality Comes to "
        "Services', Harvard Business Review 68(5); upper end from Reichheld (1996), The "
        "Loyalty Effect, and Reichheld and Schefter (2000), 'E-Loyalty', HBR 78(4)"
    ),
    publisher="Bain & Company / Harvard Business Review",
    year=1990,
    measured=(
        "For each of a small set of service businesses, Bain compared the net present "
        "value of the profit stream of an average customer at the current defection "
        "rate with the same at a defection rate five points lower. The result is a "
        "change in modelled per-customer lifetime profit, built from each firm's "
        "revenue and cost data, not an observed change in company profit."
    ),
    population=(
        "A handful of US service businesses from Bain client work in the late 1980s "
        "(branch banking, credit cards, insurance brokerage and auto service among them)."
    ),
    caveat=(
        "Usually quoted as a law; it is a handful of case calculations. The 1990 article "
        "reported 25% to 85%; the 95% (an advertising agency) came in Reichheld's later "
        "work, and the seed article credits it to a 2000 Harvard piece on e-loyalty. "
        "'Five percent' means five percentage points off the defection rate (say 20% to "
        "15%), a large change, and 'profits' means value per customer, not company "
        "profit. Critics (Sharp, 2005) call the headline misleading. value is the "
        "midpoint of the range, not a published number. cxroi does not use it: it "
        "computes the same comparison for your segments (clv_baseline vs clv_with_cx)."
    ),
    traced=True,
)

_ACQUISITION_MULTIPLE = Benchmark(
    key="acquisition_vs_retention_cost",
    value=5.0,
    unit="ratio",
    low=5.0,
    high=25.0,
    statement=(
        "Winning a new customer costs about five times (some say up to 25 times) as "
        "much as keeping an existing one."
    ),
    source=(
        "Unsourced in the seed article; the 5-25x range is usually credited to Gallo, A. "
        "(2014), 'The Value of Keeping the Right Customers', HBR.org"
    ),
    publisher="Harvard Business Review (secondary; no primary study)",
    year=2014,
    measured=(
        "Nothing we can identify: a rule of thumb for the ratio of the cost of "
        "acquiring a customer to the cost of retaining one, with neither cost defined."
    ),
    population="Unspecified; said to vary by industry.",
    caveat=(
        "This figure could not be traced to a primary study. The seed gives 'about five "
        "times' with no source; the HBR.org article that popularised 5-25x says the "
        "number depends on which study you believe and on the industry, and names none. "
        "The cost of retention is rarely defined, so the ratio cannot be checked. cxroi "
        "never uses it: enter your own acquisition_cost (CAC) per segment and the "
        "initiatives' real costs."
    ),
    traced=False,
)

# --------------------------------------------------------------------------------------------
# Engagement and willingness to pay
# --------------------------------------------------------------------------------------------

_GALLUP_PREMIUM = Benchmark(
    key="gallup_engaged_customer_premium",
    value=0.23,
    unit="relative",
    statement=(
        "Fully engaged customers are worth about 23% more than the average customer in "
        "share of wallet, profitability, revenue and relationship growth."
    ),
    source=(
        "Gallup (2013), State of the American Workplace; Gallup customer engagement (CE3) "
        "research as summarised on gallup.com"
    ),
    publisher="Gallup",
    year=2013,
    measured=(
        "Gallup's estimate of the premium of customers it classes as 'fully engaged' "
        "(by its proprietary survey items on emotional attachment) over the average "
        "customer, on a composite of several outcomes."
    ),
    population="Customers of Gallup's client companies, many industries; details unpublished.",
    caveat=(
        "Not in the seed articles; added as the figure Gallup itself publishes, for "
        "comparison with the untraced B2B figures. Proprietary method, not peer reviewed; "
        "a composite, so not a share-of-wallet lift as such; and a comparison between "
        "customers, so engaged customers may simply be the heavier buyers. Use only as "
        "a sense check: an initiative whose share_of_wallet_lift for a whole segment "
        "approaches this needs strong evidence."
    ),
    traced=True,
)

_GALLUP_B2B_CAVEAT = (
    "This figure could not be traced: the seed article attributes it to 'a 2016 Gallup poll' "
    "of B2B firms, and Gallup did publish a guide on customer centricity for B2B leaders in "
    "2016, but we did not find the figures in any Gallup material we could check. Even if "
    "genuine, they compare companies with high and low engagement scores: an association "
    "across firms, not the effect of raising engagement. cxroi does not use it."
)

_GALLUP_B2B_REVENUE = Benchmark(
    key="gallup_b2b_revenue_premium",
    value=0.50,
    unit="relative",
    statement="B2B firms with high customer engagement have 50% higher revenue or sales.",
    source="Seed article citing 'a 2016 Gallup poll'; original not located",
    publisher="Gallup (as attributed; unconfirmed)",
    year=2016,
    measured=(
        "Unknown; reportedly the difference in revenue or sales between B2B companies "
        "with high customer-engagement scores and the others studied."
    ),
    population="Unknown (B2B companies).",
    caveat=_GALLUP_B2B_CAVEAT,
    traced=False,
)

_GALLUP_B2B_PROFIT = Benchmark(
    key="gallup_b2b_profitability_premium",
    value=0.34,
    unit="relative",
    statement="B2B firms with high customer engagement have 34% higher profitability.",
    source="Seed article citing 'a 2016 Gallup poll'; original not located",
    publisher="Gallup (as attributed; unconfirmed)",
    year=2016,
    measured=(
        "Unknown; reportedly the difference in profitability between B2B companies "
        "with high customer-engagement scores and the others studied."
    ),
    population="Unknown (B2B companies).",
    caveat=_GALLUP_B2B_CAVEAT,
    traced=False,
)

_GALLUP_B2B_WALLET = Benchmark(
    key="gallup_b2b_share_of_wallet_premium",
    value=0.55,
    unit="relative",
    statement="B2B firms with high customer engagement have 55% higher share of wallet.",
    source="Seed article citing 'a 2016 Gallup poll'; original not located",
    publisher="Gallup (as attributed; unconfirmed)",
    year=2016,
    measured=(
        "Unknown; reportedly the difference in share of wallet between B2B companies "
        "with high customer-engagement scores and the others studied."
    ),
    population="Unknown (B2B companies).",
    caveat=_GALLUP_B2B_CAVEAT,
    traced=False,
)

_AMEX_PREMIUM = Benchmark(
    key="amex_service_spend_premium",
    value=0.13,
    unit="relative",
    statement=(
        "Seven in ten Americans say they would spend on average 13% more with a company "
        "they believe gives excellent service."
    ),
    source="American Express (2011), 2011 Global Customer Service Barometer, US results",
    publisher="American Express",
    year=2011,
    measured=(
        "Stated intention: 70% of US respondents said they would spend more with a "
        "company they consider to give excellent service, and 13% is the average extra "
        "spend they named."
    ),
    population="1,018 US adults, online interviews, February 2011 (part of a ten-country study).",
    caveat=(
        "What people say they would pay, not what they were seen to pay; hypothetical "
        "willingness-to-pay questions overstate real behaviour. If the 13% is averaged "
        "only over the 70% who said yes, the premium across all respondents is nearer 9%. "
        "Other editions: 9% (2010), 14% (2014). It is a spend premium, not a share of "
        "wallet, and it is consumer, not B2B. A seed article's American Express reference "
        "is to a different claim (service and feeling loved), which holds no figure. Use "
        "as an upper sense check for share_of_wallet_lift, never as a default."
    ),
    traced=True,
)

_PWC_PREMIUM = Benchmark(
    key="pwc_cx_price_premium",
    value=0.16,
    unit="relative",
    high=0.16,
    statement="Customers will pay up to 16% more for a great customer experience.",
    source=(
        "PwC (2018), Experience is everything: Here's how to get it right, Consumer "
        "Intelligence Series, Future of Customer Experience Survey 2017/18"
    ),
    publisher="PwC",
    year=2018,
    measured=(
        "Stated price premium respondents said they would pay for a great experience, "
        "asked by product and service category; 16% is the highest category average, "
        "most are lower."
    ),
    population=(
        "15,000 consumers in 12 countries (4,000 in the US), online survey and in-field interviews."
    ),
    caveat=(
        "'Up to': the top of a range across categories, not a typical figure. A stated "
        "price premium, not observed spend and not share of wallet; consumer only. Not in "
        "the seed articles; included because the project brief asked for it. Use as an "
        "upper sense check for share_of_wallet_lift, never as a default."
    ),
    traced=True,
)

_B2B_SPEND_MORE_UNSOURCED = Benchmark(
    key="b2b_spend_more_unsourced",
    value=0.23,
    unit="relative",
    statement=(
        "Two thirds of corporate clients would spend up to 23% more with a company they "
        "believe provides an excellent customer experience."
    ),
    source="Seed article (2014), no source given",
    publisher="Unknown",
    year=2014,
    measured="Unknown.",
    population="Unknown ('corporate clients').",
    caveat=(
        "This figure could not be traced: the seed article names no source and we found "
        "none. The 23% matches Gallup's engaged-customer premium and the 'two thirds' "
        "echoes the American Express consumer survey, so it may be a garbled mix of the "
        "two. The year is that of the article. cxroi does not use it."
    ),
    traced=False,
)

# --------------------------------------------------------------------------------------------
# Other seed claims, none of them traceable
# --------------------------------------------------------------------------------------------

_LOST_SALES = Benchmark(
    key="poor_service_lost_sales",
    value=0.25,
    unit="share",
    low=0.20,
    high=0.30,
    statement="Poor service costs 20% to 30% of sales.",
    source="Seed article (2014), no source given",
    publisher="Unknown",
    year=2014,
    measured="Unknown; presumably revenue lost to poor service as a share of sales.",
    population="Unknown.",
    caveat=(
        "This figure could not be traced: the seed article gives no source and we found "
        "none. value is the midpoint of the quoted range. cxroi does not use it; "
        "annual_switching_loss estimates the revenue at risk from your own data."
    ),
    traced=False,
)

_ABANDONED_PURCHASE = Benchmark(
    key="poor_experience_abandoned_purchase",
    value=0.55,
    unit="share",
    statement=(
        "In the past year 55% of customers who meant to buy from a company decided not "
        "to after a poor experience."
    ),
    source="Seed article (2014), no source given",
    publisher="Unknown",
    year=2014,
    measured="Unknown; presumably a survey share of customers who abandoned an intended purchase.",
    population="Unknown.",
    caveat=(
        "This figure could not be traced: the seed article gives no source and we found "
        "none. The nearest traced figure is American Express's 2011 US finding that 78% "
        "had abandoned a transaction over poor service, a different question. cxroi does "
        "not use it."
    ),
    traced=False,
)

_TOP_CUSTOMERS = Benchmark(
    key="top_customers_future_profit",
    value=0.80,
    unit="share",
    statement="80% of a company's future profits will come from 20% of its existing customers.",
    source=(
        "Seed article citing 'Customer Retention Should Outweigh Customer Acquisition', "
        "Adobe, 2013; not located"
    ),
    publisher="Adobe (as attributed; unconfirmed)",
    year=2013,
    measured="Unknown; a Pareto-style rule of thumb rather than a measurement.",
    population="Unknown.",
    caveat=(
        "This figure could not be traced: we did not find the Adobe item the seed names, "
        "and the claim is a Pareto rule of thumb that is credited to several analysts "
        "without a study behind it. Your own customer data will show how concentrated "
        "profit is; cxroi does not use this figure."
    ),
    traced=False,
)

#: All benchmarks by key, traced first, in the order of the project documentation.
BENCHMARKS: dict[str, Benchmark] = {
    b.key: b
    for b in (
        POOR_CX_CHURN_SHARE,
        PREVENTABLE_SHARE,
        _SWITCHING_ECONOMY,
        _RETENTION_PROFIT,
        _GALLUP_PREMIUM,
        _AMEX_PREMIUM,
        _PWC_PREMIUM,
        _ACQUISITION_MULTIPLE,
        _SWITCH_PREVENTABLE_UNSOURCED,
        _GALLUP_B2B_REVENUE,
        _GALLUP_B2B_PROFIT,
        _GALLUP_B2B_WALLET,
        _B2B_SPEND_MORE_UNSOURCED,
        _LOST_SALES,
        _ABANDONED_PURCHASE,
        _TOP_CUSTOMERS,
    )
}


def get(key: str) -> Benchmark:
    """Return the benchmark registered under ``key``.

    Parameters
    ----------
    key : str
        A key of :data:`BENCHMARKS`, e.g. ``"accenture_switched_poor_service"``.

    Returns
    -------
    Benchmark

    Raises
    ------
    KeyError
        If no benchmark has that key; the message suggests the closest keys.

    Examples
    --------
    >>> get("accenture_switch_preventable").value
    0.81
    """
    try:
        return BENCHMARKS[key]
    except KeyError:
        close = difflib.get_close_matches(str(key), BENCHMARKS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(
            f"unknown benchmark {key!r}{hint} (known: {', '.join(BENCHMARKS)})"
        ) from None


def as_frame(*, include_untraced: bool = True) -> pd.DataFrame:
    """Return the benchmarks as a table, one row per benchmark.

    Parameters
    ----------
    include_untraced : bool, default True
        Keep the records flagged ``traced=False``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``; columns ``value unit low high statement source publisher year
        measured population caveat traced``, in that order. ``low`` and ``high`` are NaN
        where the source gives no range.

    Examples
    --------
    >>> frame = as_frame(include_untraced=False)
    >>> bool(frame["traced"].all())
    True
    """
    import pandas as pd

    columns = [f.name for f in fields(Benchmark)]
    rows = [
        {name: getattr(b, name) for name in columns}
        for b in BENCHMARKS.values()
        if include_untraced or b.traced
    ]
    frame = pd.DataFrame(rows, columns=columns).set_index("key")
    return frame.astype({"low": float, "high": float, "year": int, "traced": bool})
