"""The cohorts of a segment sheet: today's customers by tenure, retention formulas, the model.

A segment's customers are followed as cohort rows: today's customers (one row, or one per
renewal count of a tenure mix, docs/model.md §14) and then the customers won in each year.
Here are the workbook names and formula terms of their retention r(k) and churn (docs/model.md
§4), and the same cohort model in Python, which gives the cached values of the cells the
engine does not report (the retention and actives of each cohort row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cxroi.model.distributions import base_float


def tenure_mix(seg: Any) -> list[tuple[int, float]] | None:
    """A segment's tenure mix as ``[(renewals, share)]``, or None for one tenure."""
    tenure = getattr(seg.retention, "tenure", None) if seg.is_sbg else None
    if not isinstance(tenure, dict):
        return None
    items = sorted(tenure.items(), key=lambda kv: float(kv[0]))
    return [(int(float(k)), base_float(v)) for k, v in items]


def cohort_parts(j: int, seg: Any) -> list[tuple[str, str, str, float]]:
    """Today's customers of segment j as cohort-0 parts.

    Each part: (label, formula of its customers today, formula of its renewals made at the
    start of year 1, that number). One part unless the tenure is a mix.
    """
    mix = tenure_mix(seg)
    if mix is None:
        if seg.is_sbg:
            return [("cohort 0 (today's customers)", f"s{j}_customers", f"s{j}_tenure",
                     base_float(seg.retention.tenure))]  # fmt: skip
        return [("cohort 0 (today's customers)", f"s{j}_customers", "", 0.0)]
    return [
        (f"cohort 0, {k} renewals made", f"s{j}_customers*s{j}_mix_{k}", str(k), float(k))
        for k, _ in mix
    ]


def churn_formula(j: int, seg: Any) -> str:
    """Churn of today's customers at their tenure, 1 - r (a tenure mix: its weighted churn).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> churn_formula(1, SimpleNamespace(is_sbg=False, retention=0.9))
    '(1-s1_retention)'
    """
    mix = tenure_mix(seg)
    if mix is None:
        r0 = retention_formula(j, seg.is_sbg, f"s{j}_tenure" if seg.is_sbg else "")
        return f"(1-{r0})"
    terms = "+".join(
        f"s{j}_mix_{k}*(1-{retention_formula(j, True, str(k))})" for k, _ in mix
    )
    return f"({terms})"


def base_retention(seg: Any) -> float:
    """Retention of today's customers at their tenure (a tenure mix: 1 - its churn)."""
    if seg.is_sbg:
        r = seg.retention
        a, b = base_float(r.alpha), base_float(r.beta)
        mix: Sequence[tuple[float, float]] = tenure_mix(seg) or [(base_float(r.tenure), 1.0)]
        return 1.0 - sum(share * (1.0 - (b + k) / (a + b + k)) for k, share in mix)
    return base_float(seg.retention)


def retention_formula(j: int, sbg: bool, renewals: str) -> str:
    """Retention r(k) of segment j after ``renewals`` renewals (a formula term).

    Constant retention is the input itself; sBG retention after k renewals is
    (beta + k) / (alpha + beta + k) (docs/model.md §4).

    Examples
    --------
    >>> retention_formula(2, True, "s2_tenure+1")
    '(s2_beta+s2_tenure+1)/(s2_alpha+s2_beta+s2_tenure+1)'
    >>> retention_formula(1, True, "0"), retention_formula(1, False, "")
    ('(s1_beta)/(s1_alpha+s1_beta)', 's1_retention')
    """
    if not sbg:
        return f"s{j}_retention"
    k = f"+{renewals}" if renewals not in ("", "0") else ""
    return f"(s{j}_beta{k})/(s{j}_alpha+s{j}_beta{k})"


def cohort_matrices(
    s: int, p: Any, parts: list[tuple[float, float]], m: Any, new: Any, H: int
) -> tuple[np.ndarray, np.ndarray]:
    """Retention r[row, t] and start-of-year actives A[row, t] of every cohort row.

    Rows are today's customers (one per tenure part: customers, renewals made) and then the
    cohorts won in years 1..H; columns are years 1..H (r) and 1..H+1 (A). A row's actives
    fall each year by its churn 1 - r scaled by the churn multiplier m of the year
    (docs/model.md §4): A[t] = A[t-1] (1 - (1 - r) m).

    Parameters
    ----------
    s : int
        The segment's index in ``p``, the compiled scenario.
    parts : list of (float, float)
        Today's customers of each tenure part, and the renewals they have made.
    m, new : array-like, shape (H,)
        The churn multiplier and the new customers of each year.
    H : int
        Horizon [years].

    Returns
    -------
    (ndarray, ndarray)
        r of shape (rows, H) and A of shape (rows, H + 1); NaN where a cohort is not yet won.
    """
    Q = len(parts)
    R = Q + H
    a, b = float(p.alpha[s]), float(p.beta[s])
    r = np.full((R, H), np.nan)
    A = np.full((R, H + 1), np.nan)
    for q, part in enumerate(parts):
        A[q, 0] = part[0]
    for t in range(1, H + 1):
        for row in range(Q + t - 1):
            k = parts[row][1] + t - 1 if row < Q else t - 1 - (row - Q + 1)
            r[row, t - 1] = (b + k) / (a + b + k) if p.is_sbg[s] else float(p.retention[s])
            A[row, t] = A[row, t - 1] * (1.0 - (1.0 - r[row, t - 1]) * m[t - 1])
        A[Q + t - 1, t] = new[t - 1]
    return r, A
