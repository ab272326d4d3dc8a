"""Numbers at the edges: a value that is not a finite number becomes None.

JSON has no NaN or infinity, and every output shows a missing figure the same way, so the
engine, the analyses and the outputs all turn a non-finite float into ``None`` with
:func:`finite_or_none` (a record's floats with :func:`finite_record`).

Examples
--------
>>> finite_or_none(2.5), finite_or_none(float("nan")), finite_or_none(None)
(2.5, None, None)
>>> finite_record({"path": "discount_rate", "value": float("inf"), "change": 0.5})
{'path': 'discount_rate', 'value': None, 'change': 0.5}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["finite_or_none", "finite_record"]


def finite_or_none(x: Any) -> float | None:
    """``float(x)`` when it is finite, else None (also for ``x`` None).

    Parameters
    ----------
    x : float, int, numpy scalar or None

    Returns
    -------
    float or None
    """
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def finite_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record (a row of a table) for JSON: each float that is not finite becomes None.

    Values that are not floats (text, integers, None) are kept as they are.
    """
    return {k: finite_or_none(v) if isinstance(v, float) else v for k, v in row.items()}
