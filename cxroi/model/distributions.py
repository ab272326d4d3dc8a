"""Distributions of uncertain inputs and the base value of a field (docs/model.md §7).

Any real-valued scalar field of a scenario may be a distribution instead of a number:
``{dist: pert, low, mode, high}``, ``triangular``, ``uniform`` or ``{dist: normal, mean, sd}``.
Deterministic evaluation uses its base value (:func:`base_value`): the mode, the mode, the
midpoint and the mean respectively. This module parses and checks them; the scenario schema
(:mod:`cxroi.model.scenario`) uses it for every numeric field.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from cxroi.model.fields import Rule

__all__ = [
    "DIST_PARAMETERS",
    "MAX_MAGNITUDE",
    "Distribution",
    "base_float",
    "base_value",
    "distribution_base",
    "move_base",
]

#: Distribution kinds and their parameters, in the order they are written and typed.
DIST_PARAMETERS: dict[str, tuple[str, ...]] = {
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
}

#: Largest magnitude of any number in a scenario (money amounts, counts, parameters).
MAX_MAGNITUDE = 1e15


def _did_you_mean(key: str, options) -> str:
    matches = difflib.get_close_matches(key, list(options), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


class Distribution(BaseModel):
    """An uncertain value (docs/model.md §7).

    ``triangular`` and ``pert`` take ``low <= mode <= high``; ``uniform`` takes ``low <= high``;
    ``normal`` takes ``mean`` and ``sd > 0``. The base value used by deterministic evaluation is
    the mode, the mode, the midpoint and the mean respectively.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["triangular", "pert", "uniform", "normal"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None

    @property
    def base(self) -> float:
        """Base (deterministic) value: :func:`distribution_base` of this distribution."""
        return distribution_base(self)

    def to_mapping(self) -> dict[str, Any]:
        """Plain mapping, as written in a scenario file."""
        return self.model_dump(exclude_none=True)

    def limits(self) -> tuple[float, float, float]:
        """``(low, mode, high)`` of a triangular, PERT or uniform distribution.

        A uniform distribution has no mode: its midpoint stands in. Loading guarantees the
        parameters of each kind, so a normal distribution here is a programming error.

        Examples
        --------
        >>> Distribution(dist="uniform", low=0.1, high=0.3).limits()
        (0.1, 0.2, 0.3)
        """
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.dist} distribution has no low and high")
        mode = 0.5 * (self.low + self.high) if self.mode is None else self.mode
        return self.low, mode, self.high

    def mean_sd(self) -> tuple[float, float]:
        """``(mean, sd)`` of a normal distribution."""
        if self.mean is None or self.sd is None:
            raise ValueError(f"a {self.dist} distribution has no mean and sd")
        return self.mean, self.sd

    def pert_shapes(self) -> tuple[float, float]:
        r"""Beta shapes of a PERT distribution on [low, high] (Vose 2008, s.10.3).

        .. math:: a = 1 + 4\,\frac{\text{mode} - \text{low}}{\text{high} - \text{low}},
                  \quad b = 1 + 4\,\frac{\text{high} - \text{mode}}{\text{high} - \text{low}}

        Examples
        --------
        >>> Distribution(dist="pert", low=0.0, mode=0.25, high=1.0).pert_shapes()
        (2.0, 4.0)
        """
        low, mode, high = self.limits()
        width = high - low
        return 1.0 + 4.0 * (mode - low) / width, 1.0 + 4.0 * (high - mode) / width


def base_value(value: Any) -> Any:
    """The base value of a field: a distribution's base, or the value itself."""
    return value.base if isinstance(value, Distribution) else value


def base_float(value: Any) -> float:
    """The base value of a numeric field as a float (a distribution's base, or the number)."""
    return float(base_value(value))


def distribution_base(spec: Distribution | Mapping) -> float:
    """Base value of a distribution, given as a :class:`Distribution` or as its mapping.

    The mode of a triangular or PERT distribution, the midpoint of a uniform one, the mean of a
    normal one (docs/model.md §7).

    Examples
    --------
    >>> distribution_base({"dist": "uniform", "low": 0.1, "high": 0.3})
    0.2
    >>> distribution_base({"dist": "pert", "low": 0.1, "mode": 0.25, "high": 0.3})
    0.25
    """

    def get(key: str) -> Any:
        return spec.get(key) if isinstance(spec, Mapping) else getattr(spec, key)

    # each kind has exactly the parameters it needs (checked on loading), so the one present
    # tells the kind: mode (triangular, PERT), mean (normal), else low and high (uniform)
    mode, mean = get("mode"), get("mean")
    if mode is not None:
        return float(mode)
    if mean is not None:
        return float(mean)
    return 0.5 * (float(get("low")) + float(get("high")))


def _err(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _as_real(value: Any, what: str = "must be a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err("type", what)
    try:
        x = float(value)
    except OverflowError:  # an integer beyond float range, such as 10**400
        raise _err(
            "finite", "must be a finite number (this integer is beyond float range)"
        ) from None
    if not math.isfinite(x):
        raise _err("finite", "must be a finite number")
    if abs(x) > MAX_MAGNITUDE:
        raise _err("magnitude", f"must be at most {MAX_MAGNITUDE:g} in magnitude")
    return x


def _parse_distribution(value: Mapping, rule: Rule) -> Distribution:
    kind = value.get("dist")
    if kind not in DIST_PARAMETERS:
        raise _err(
            "dist",
            "distribution 'dist' must be one of triangular, pert, uniform, normal",
        )
    needed = DIST_PARAMETERS[kind]
    allowed = set(needed) | {"dist"}
    for key in value:
        if key not in allowed:
            hint = _did_you_mean(str(key), allowed)
            raise _err("dist", f"unknown key {key!r} in a {kind} distribution{hint}")
    for key in needed:
        if key not in value:
            raise _err("dist", f"a {kind} distribution needs {', '.join(needed)}; {key!r} missing")
    nums = {k: _as_real(value[k], f"distribution {k!r} must be a number") for k in needed}
    if kind in ("triangular", "pert"):
        if not nums["low"] <= nums["mode"] <= nums["high"]:
            raise _err("dist", f"{kind} distribution needs low <= mode <= high")
    elif kind == "uniform":
        if not nums["low"] <= nums["high"]:
            raise _err("dist", "uniform distribution needs low <= high")
    else:
        if not nums["sd"] > 0:
            raise _err("dist", "normal distribution needs sd > 0")
    for key in needed:
        if key == "sd":
            continue
        if not rule.holds(nums[key]):
            raise _err("range", f"distribution {key} {rule} (the field's range)")
    return Distribution(dist=kind, **nums)


def move_base(dist: Mapping, base: float, bounds: tuple[float, float] | None = None) -> dict:
    """The distribution ``dist`` with its base value moved to ``base``, kind kept.

    Triangular and PERT: the mode moves to ``base`` (``low``/``high`` widen to take it if it
    lies outside them); uniform: the range shifts so its midpoint is ``base``, narrowed if
    needed to stay within ``bounds``; normal: the mean moves, the sd stays. The base value
    is then ``base`` by the definitions of docs/model.md §7 (mode, mode, midpoint, mean).

    Parameters
    ----------
    dist : dict
        A distribution mapping.
    base : float
        New base value.
    bounds : tuple of float, optional
        ``(lo, hi)`` allowed for the field (a uniform range is kept inside them).

    Examples
    --------
    >>> move_base({"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.3}, 0.25)
    {'dist': 'triangular', 'low': 0.1, 'mode': 0.25, 'high': 0.3}
    >>> move_base({"dist": "uniform", "low": 0.0, "high": 0.2}, 0.05, bounds=(0.0, 1.0))
    {'dist': 'uniform', 'low': 0.0, 'high': 0.1}
    """
    out = dict(dist)
    base = float(base)
    kind = out.get("dist")
    if kind in ("triangular", "pert"):
        out["mode"] = base
        out["low"] = min(float(out["low"]), base)
        out["high"] = max(float(out["high"]), base)
    elif kind == "uniform":
        half = (float(out["high"]) - float(out["low"])) / 2.0
        if bounds is not None:
            lo, hi = bounds
            if lo <= base <= hi:
                half = min(half, base - lo, hi - base)
        out["low"], out["high"] = base - half, base + half
    elif kind == "normal":
        out["mean"] = base
    return out
