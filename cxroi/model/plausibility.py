"""Plausibility checks: values that are valid but probably a unit slip.

Validation (:mod:`cxroi.model.scenario`) refuses what is impossible; this module flags what is
possible but unlikely, most often a rate typed in per cent (``discount_rate: 14`` runs at
1400 %, ``share_of_wallet_lift: 5`` means +500 %). Each field's plausible range is declared
once, in :data:`PLAUSIBLE_RANGES`; :func:`plausibility_warnings` is a pure function of a
scenario and never changes it, so the CLI, the batch and the dashboard can all call it.

Rates and shares are decimals throughout cxroi (0.14, not 14). When a value outside its range
divided by 100 falls inside it, the warning suggests that value ("did you mean 0.14?").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from cxroi.model.paths import field_name
from cxroi.model.scenario import Distribution, Scenario, load_scenario

__all__ = ["PLAUSIBLE_RANGES", "PlausibilityWarning", "plausibility_warnings"]


@dataclass(frozen=True)
class PlausibleRange:
    """Inclusive range ``[low, high]`` inside which a field's value is unremarkable."""

    low: float
    high: float
    what: str

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the range."""
        return self.low <= x <= self.high


#: Plausible range of each field, by the last part of its path (decimals, not per cent).
PLAUSIBLE_RANGES: dict[str, PlausibleRange] = {
    "discount_rate": PlausibleRange(-0.05, 0.5, "an annual discount rate"),
    "retention": PlausibleRange(0.05, 0.999, "an annual retention rate"),
    "share_of_wallet": PlausibleRange(0.001, 1.0, "a share"),
    "gross_margin": PlausibleRange(0.001, 1.0, "a share"),
    "poor_cx_churn_share": PlausibleRange(0.0, 1.0, "a share"),
    "preventable_share": PlausibleRange(0.0, 1.0, "a share"),
    "referral_share": PlausibleRange(0.0, 1.0, "a share"),
    "churn_prevented": PlausibleRange(0.0, 1.0, "a share"),
    "share_of_wallet_lift": PlausibleRange(-0.5, 1.0, "a relative lift"),
    "referral_lift": PlausibleRange(-0.5, 0.5, "an absolute change of a share"),
    "cost_to_serve_change": PlausibleRange(-0.9, 1.0, "a relative change"),
    "benefit_adjustment": PlausibleRange(0.0, 0.5, "a risk adjustment"),
    "cost_adjustment": PlausibleRange(0.0, 0.5, "a risk adjustment"),
}


@dataclass(frozen=True)
class PlausibilityWarning:
    """A value that is allowed but probably not meant.

    Attributes
    ----------
    path : str
        Field path, e.g. ``initiatives[Redesign].effects[*].share_of_wallet_lift``.
    value : float or str
        The value as given (a distribution's base value).
    message : str
        One plain sentence naming the field, the value, the plausible range and the guess.
    suggested : float, str or None
        The likely intended value, if there is one.
    """

    path: str
    value: Any
    message: str
    suggested: Any = None

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, Any]:
        """Plain mapping for JSON output."""
        return asdict(self)


def _check_number(path: str, key: str, x: float) -> PlausibilityWarning | None:
    rng = PLAUSIBLE_RANGES.get(key)
    if rng is None or not math.isfinite(x) or rng.contains(x):
        return None
    guess = x / 100
    suggested = round(guess, 12) if rng.contains(guess) and abs(x) > 1 else None
    message = (
        f"{path}: {x:g} is outside the plausible range [{rng.low:g}, {rng.high:g}] for "
        f"{rng.what} (rates and shares are decimals)"
    )
    if suggested is not None:
        message += f"; did you mean {suggested:g}?"
    return PlausibilityWarning(path, x, message, suggested)


def plausibility_warnings(scenario: Scenario | Any) -> list[PlausibilityWarning]:
    """Warnings for values that are valid but outside their plausible range.

    Parameters
    ----------
    scenario : Scenario, mapping or path
        The scenario (anything :func:`~cxroi.model.scenario.load_scenario` accepts).

    Returns
    -------
    list of PlausibilityWarning
        In field order; empty when nothing looks odd. A distribution is checked on its base
        value and its ``low`` and ``high`` bounds (one warning per field at most). The
        currency needs no check here: validation refuses what is not an ISO 4217 code.

    Examples
    --------
    >>> from cxroi.model.scenario import load_scenario
    >>> sc = load_scenario("tests/data/worked_example.yaml")
    >>> sc = sc.model_copy(update={"discount_rate": 14})
    >>> [w.suggested for w in plausibility_warnings(sc)]
    [0.14]
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out: list[PlausibilityWarning] = []
    for path, value in sc.fields().items():
        key = field_name(path)
        if isinstance(value, Distribution):
            candidates = [value.base, value.low, value.high]
        else:
            candidates = [value]
        for x in candidates:
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                warning = _check_number(path, key, float(x))
                if warning is not None:
                    out.append(warning)
                    break
    return out
