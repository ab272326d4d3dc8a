"""Numbers at the edges: a value that is not a finite number becomes None.

JSON has no NaN or infinity, and every output shows a missing figure the same way, so the
engine, the analyses and the outputs all turn a non-finite float into ``None`` with
:func:`finite_or_none`.

Examples
--------
>>> finite_or_none(2.5), finite_or_none(float("nan")), finite_or_none(None)
(2.5, None, None)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite_or_none"]


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
