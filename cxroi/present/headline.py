"""The story of a business case in words: a headline, the switching loss won back, KPI meanings.

Everything here is a pure function of an evaluated :class:`~cxroi.engine.case.BusinessCase`, so the
dashboard, the report and the board pack tell the same story with the same figures, formatted
by the one rule of :func:`cxroi.present.formatting.format_kpi`.

Examples
--------
>>> import cxroi
>>> case = cxroi.evaluate(cxroi.load_scenario("scenarios/retail_bank.yaml"))
>>> print(headline(case))  # doctest: +NORMALIZE_WHITESPACE
The programme returns $2.47M NPV after risk (ROI 23.0%), paying back in 3.1 years; most value
comes from wallet share; Proactive outreach for affluent carries it while Omnichannel service
redesign destroys value (-$221K).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cxroi.model.kpis import LEVER_NAMES, kpi_meaning
from cxroi.present.formatting import format_kpi, format_money, format_pct

__all__ = [
    "LEVER_WORDS",
    "SwitchingRecovery",
    "headline",
    "kpi_meaning",
    "switching_recovery",
    "switching_sentence",
]

#: The four levers (and the TEI lines) in plain words, as the headline names them: read from
#: the lever registry (:data:`cxroi.model.kpis.LEVER_NAMES`).
LEVER_WORDS = {key: lever.words for key, lever in LEVER_NAMES.items()}


class SwitchingRecovery(dict):
    """The annual switching loss and the part of it the programme wins back (a plain dict).

    Keys: ``loss`` and ``recovered`` [money/year], ``share`` (recovered / loss, None when there
    is no loss) and ``by_segment`` (segment -> ``{loss, recovered, share}``).
    """


def switching_recovery(case: Any) -> SwitchingRecovery:
    r"""How much of the annual switching loss the programme recovers at full effect.

    The annual switching loss of a segment (docs/model.md §5) is the revenue of the customers
    who leave each year for preventable poor CX,

    .. math:: L = N_0 (1 - r) \cdot \text{poor} \cdot \text{preventable} \cdot W \cdot s.

    With every initiative at full effect (ramp 1) the churn multiplier is
    :math:`m = 1 - \text{poor} \cdot \text{preventable} \cdot \text{prevented}`,
    :math:`\text{prevented} = 1 - \prod_i (1 - c_i)` (docs/model.md §3), so the customers
    leaving falls from :math:`N_0 (1 - r)` to :math:`N_0 (1 - r)\, m`. The recovered revenue is
    that reduction priced like the loss, at the baseline wallet share:

    .. math:: R = N_0 (1 - r)(1 - m) \cdot W \cdot s = L \cdot \text{prevented},

    and the share recovered is :math:`\sum R / \sum L` over segments (None when the loss is
    zero). It counts churn prevention only: the wallet, referral and service levers do not
    touch the switching loss. Neither figure is risk-adjusted, like the loss itself.

    Parameters
    ----------
    case : BusinessCase
        An evaluated case.

    Returns
    -------
    SwitchingRecovery
    """
    from cxroi.engine import project as engine

    p = engine.compile_scenario(case.scenario)
    levers = np.ones(4)
    active = np.ones(p.ramp.shape[0])
    m, _, _, _ = engine.levers_in_force(p, levers, active, full=True)
    m = np.asarray(m)[..., 0]  # (S,)
    churned = p.customers * (1.0 - engine.base_retention(p))
    loss = np.asarray(engine.annual_switching_loss(p), dtype=float)
    recovered = np.asarray(churned * (1.0 - m) * p.wallet * p.share_of_wallet, dtype=float)
    names = [s.name for s in case.scenario.segments]
    total_loss, total_rec = float(loss.sum()), float(recovered.sum())
    return SwitchingRecovery(
        loss=total_loss,
        recovered=total_rec,
        share=_share(total_rec, total_loss),
        by_segment={
            n: {"loss": float(lo), "recovered": float(re), "share": _share(float(re), float(lo))}
            for n, lo, re in zip(names, loss, recovered, strict=True)
        },
    )


def _share(part: float, whole: float) -> float | None:
    if whole <= 0 or not math.isfinite(whole) or not math.isfinite(part):
        return None
    return part / whole


def switching_sentence(case: Any) -> str:
    """The switching loss and the share won back, in one sentence.

    For the worked example: ``"$10.2M of revenue a year walks away to preventable poor CX; the
    programme wins back 28% of it ($2.89M a year) at full effect."`` (see
    :func:`switching_recovery` for the definition).
    """
    rec = switching_recovery(case)
    cur = case.currency
    loss = format_kpi("annual_switching_loss", rec["loss"], cur)
    if rec["share"] is None:
        return "No revenue is lost to preventable poor CX in this scenario."
    return (
        f"{loss} of revenue a year walks away to preventable poor CX; the programme wins back "
        f"{format_pct(rec['share'])} of it ({format_money(rec['recovered'], cur)} a year) at "
        "full effect."
    )


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def headline(case: Any) -> str:
    """One sentence that tells the story of a case, built from its figures.

    The sentence says, in order: the risk-adjusted NPV with its ROI ("returns" when NPV >= 0,
    "loses" otherwise); the payback, or that there is none within the horizon; the lever with
    the largest Shapley value of PV benefits (docs/model.md §6), when any lever adds value;
    and which initiatives carry the case and which destroy value, from the Shapley values of
    NPV (omitted for a single initiative or beyond eight). Figures are formatted as on the
    KPI cards (:func:`cxroi.present.formatting.format_kpi`).

    Parameters
    ----------
    case : BusinessCase
        An evaluated case.

    Returns
    -------
    str
    """
    cur = case.currency
    horizon = case.scenario.horizon_years
    npv = case.kpis["npv"]
    roi = case.kpis["roi"]
    payback = case.kpis["payback_years"]
    npv_text = format_kpi("npv", abs(npv) if npv is not None else None, cur)
    verb = "returns" if npv is None or npv >= 0 else "loses"
    roi_part = f" (ROI {format_kpi('roi', roi, cur)})" if roi is not None else ""
    first = f"The programme {verb} {npv_text} NPV after risk{roi_part}"
    if payback is not None and verb == "loses":
        # the undiscounted cash comes back, but too late to cover the cost of capital
        years = format_kpi("payback_years", payback, cur, horizon)
        first += f", though its cash comes back (undiscounted) in {years}"
    elif payback is not None:
        first += f", paying back in {format_kpi('payback_years', payback, cur, horizon)}"
    else:
        unit = "year" if horizon == 1 else "years"
        first += f", and does not pay back within {horizon} {unit}"
    parts = [first]

    levers = {k: v for k, v in case.by_lever.items() if v is not None and v > 0}
    if levers:
        top = max(levers, key=lambda k: levers[k])
        parts.append(f"most value comes from {LEVER_WORDS.get(top, top)}")

    by_init = case.by_initiative
    if by_init and len(by_init) > 1:
        tol = 1e-6 * max(1.0, max(abs(v) for v in by_init.values()))
        winners = [n for n, v in sorted(by_init.items(), key=lambda kv: -kv[1]) if v > tol]
        losers = [n for n, v in sorted(by_init.items(), key=lambda kv: kv[1]) if v < -tol]
        lost = " and ".join(f"{format_money(by_init[n], cur)}" for n in losers)
        if winners and losers:
            verb_c = "carries" if len(winners) == 1 else "carry"
            verb_d = "destroys" if len(losers) == 1 else "destroy"
            parts.append(
                f"{_names(winners)} {verb_c} it while {_names(losers)} {verb_d} value ({lost})"
            )
        elif winners:
            parts.append(f"{winners[0]} adds the most ({format_money(by_init[winners[0]], cur)})")
        elif losers:
            verb_d = "destroys" if len(losers) == 1 else "destroy"
            parts.append(f"{_names(losers)} {verb_d} value ({lost})")
    return "; ".join(parts) + "."
