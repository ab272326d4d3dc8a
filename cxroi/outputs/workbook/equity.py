"""Customer equity in the workbook: what the customers left after the horizon are worth.

Each segment sheet ends with the residual value after year H of one customer of each cohort
row; the Case sheet multiplies the customers still active after year H (with CX minus the
baseline) by those values, and shows the sum beside the NPV, never inside it (docs/model.md
§13).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cxroi.model.distributions import base_float
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label
from cxroi.model.scenario import Scenario
from cxroi.outputs.workbook.inputs import risk_by_lever
from cxroi.outputs.workbook.layout import Book, col_letters

#: Terms of the sBG residual-value series written in a cell (GAMMALN form), plus a geometric
#: estimate of the rest: within 1e-9 of the sum for a discount rate of 0.1% or more.
EQUITY_TERMS = 2000


def _sbg_residual(j: int, k: str, H: int) -> str:
    """Residual value per customer of an sBG cohort with ``k`` renewals made after year H."""
    b = f"s{j}_beta+{k}"
    c = f"s{j}_alpha+s{j}_beta+{k}"
    J = f"(ROW($A$1:$A${EQUITY_TERMS})-1)"
    m = f"(s{j}_wallet*s{j}_share_of_wallet*s{j}_gross_margin-s{j}_cost_to_serve)"
    N = EQUITY_TERMS
    series = (
        f"SUMPRODUCT(EXP(GAMMALN({b}+{J})-GAMMALN({b})+GAMMALN({c})-GAMMALN({c}+{J}))"
        f"/(1+discount_rate)^({H + 1}+{J}))"
        f"+EXP(GAMMALN({b}+{N})-GAMMALN({b})+GAMMALN({c})-GAMMALN({c}+{N}))"
        f"/(1+discount_rate)^({H + 1 + N})/(1-({b}+{N})/(({c}+{N})*(1+discount_rate)))"
    )
    return (
        f'IF(OR(discount_rate<0,AND(discount_rate=0,s{j}_alpha<=1)),"",{m}*({series}))'
    )


def _sbg_series(a: float, b: float, k: float, d: float, H: int) -> float:
    """sum_j P(j) / (1+d)^(H+1+j) for sBG after k renewals, as the workbook's cell sums it."""
    from scipy.special import gammaln

    N = EQUITY_TERMS
    j = np.arange(N + 1, dtype=float)
    logp = gammaln(b + k + j) - gammaln(b + k) + gammaln(a + b + k) - gammaln(a + b + k + j)
    terms = np.exp(logp - (H + 1 + j) * np.log1p(d))
    # the rest after N terms as a geometric series with the ratio at term N
    tail = terms[N] / (1.0 - (b + k + N) / ((a + b + k + N) * (1.0 + d)))
    return float(terms[:N].sum() + tail)


def _segment_equity_values(sc: Scenario, p: Any, proj: Any) -> list[float | None]:
    """Each segment's customer equity, with CX minus baseline (cached values of their cells).

    The residual values of every segment come from one engine call per kind of cohort
    (today's customers, those won during the horizon).
    """
    from cxroi.engine import project as engine

    H = sc.horizon_years
    k_base = engine.base_renewals(p) + H
    k_new = np.arange(H - 1, -1, -1, dtype=float)
    rv_base_all = engine.residual_value(p, k_base)
    rv_new_all = engine.residual_value(p, np.broadcast_to(k_new, p.is_sbg.shape + (H,)))
    out = []
    for s in range(len(sc.segments)):
        rv_base, rv_new = rv_base_all[s], rv_new_all[s]
        arms = []
        for arm in (0, 1):
            v = (proj.end_base[arm, s] * rv_base).sum() + (proj.end_cohorts[arm, s] * rv_new).sum()
            arms.append(float(v))
        out.append(finite_or_none(arms[1] - arms[0]))
    return out


def residual_values(
    book: Book, ws: Any, row: int, j: int, seg: Any, parts: list[tuple[str, str, str, float]],
    part_values: list[tuple[float, float]], col: dict[int, int],
) -> tuple[int, int]:
    r"""Residual value after year H of one customer of each cohort row (docs/model.md §13).

    .. math:: RV_c = M \sum_{j \ge 0} P_c(j) / (1+d)^{H+1+j}

    with the baseline margin M = wallet x share x gross margin - cost to serve. Constant r:
    M / ((1+d)^H (1+d-r)), empty when r >= 1+d. sBG: P_c(j) = Gamma(beta+k+j) Gamma(alpha+
    beta+k) / (Gamma(beta+k) Gamma(alpha+beta+k+j)) summed over :data:`EQUITY_TERMS`
    terms with GAMMALN, empty when d < 0 or (d = 0 and alpha <= 1).
    """
    H, Q = book.H, len(parts)
    d = base_float(book.sc.discount_rate)
    margin = (
        base_float(seg.wallet) * base_float(seg.share_of_wallet) * base_float(seg.gross_margin)
        - base_float(seg.cost_to_serve)
    )
    m_text = f"(s{j}_wallet*s{j}_share_of_wallet*s{j}_gross_margin-s{j}_cost_to_serve)"
    ws.write_string(
        row, 0,
        "Customer equity: value after year H of one customer of each cohort (baseline "
        "retention and margin, programme stopped)",
        book.fmt["bold"],
    )  # fmt: skip
    row += 1
    first = row
    labels = [pt[0] for pt in parts] + [f"cohort won in year {c}" for c in range(1, H + 1)]
    for x in range(Q + H):
        if x < Q:
            k_text = f"{parts[x][2]}+{H}" if parts[x][2] else str(H)
            k_value = part_values[x][1] + H
        else:
            k_value = H - (x - Q + 1)
            k_text = str(k_value)
        ws.write_string(row, 0, f"residual value per customer: {labels[x]}")
        if seg.is_sbg:
            a, b = base_float(seg.retention.alpha), base_float(seg.retention.beta)
            text, value = _sbg_residual(j, str(k_text), H), None
            if d > 0 or (d == 0 and a > 1):
                value = margin * _sbg_series(a, b, float(k_value), d, H)
        else:
            r = base_float(seg.retention)
            text = (
                f'IF(s{j}_retention>=1+discount_rate,"",{m_text}'
                f"/((1+discount_rate)^{H}*(1+discount_rate-s{j}_retention)))"
            )
            value = None if r >= 1 + d else margin / ((1 + d) ** H * (1 + d - r))
        book.formula(ws, row, col[1], text, value)
        row += 1
    return first, row - 1


def customer_equity(
    book: Book, ws: Any, row: int, seg_refs: list[dict[Any, Any]], r_ce: int, r_npvce: int,
    kpi_rows: dict[str, int],
) -> int:
    """Customer equity (docs/model.md §13): extra customers after H x their residual value."""
    sc, H, case = book.sc, book.H, book.case
    proj = case.projection
    d = base_float(sc.discount_rate)
    ws.write_string(
        row, 0,
        "Customer equity: what the customers still active after the horizon are worth, "
        "programme stopped (beside NPV, never inside it)",
        book.fmt["bold"],
    )  # fmt: skip
    row += 1
    first = row
    values = _segment_equities(book, proj, d)
    for j, seg in enumerate(sc.segments, start=1):
        ref = seg_refs[j - 1]
        title = ref["title"]
        rv0, rv1 = ref["rv"]
        rv = f"'{title}'!$B${rv0 + 1}:$B${rv1 + 1}"

        def after(arm: int, ref: dict = ref, title: str = title) -> str:
            a0, a1 = ref[arm]["after"]
            c = col_letters(H + 1)
            return f"'{title}'!${c}${a0 + 1}:${c}${a1 + 1}"

        text = (
            f'IF(COUNTIF({rv},"")>0,"",SUMPRODUCT({after(1)},{rv})'
            f"-SUMPRODUCT({after(0)},{rv}))"
        )
        ws.write_string(row, 0, f"customer equity, {seg.name}: customers after year H x "
                        "their residual value, with CX - baseline")  # fmt: skip
        value = values[j - 1]
        book.formula(ws, row, 1, text, value)
        row += 1
    cells = f"$B${first + 1}:$B${row}"
    b_ret = "b_retention" if risk_by_lever(sc) else "benefit_adjustment"
    k, u = case.kpis, case.unadjusted
    ws.write_string(r_ce, 0, kpi_label("customer_equity") + " (retention risk applied)")
    book.formula(ws, r_ce, 2, f'IF(COUNTIF({cells},"")>0,"",SUM({cells}))',
                 u["customer_equity"])  # fmt: skip
    x = f"C{r_ce + 1}"
    book.formula(ws, r_ce, 1, f'IF({x}="","",IF({x}>=0,{x}*(1-{b_ret}),{x}*(1+{b_ret})))',
                 k["customer_equity"])  # fmt: skip
    ws.write_string(r_npvce, 0, kpi_label("npv_with_customer_equity"))
    for c, kp in ((1, k), (2, u)):
        ce = f"{col_letters(c)}{r_ce + 1}"
        npv = f"{col_letters(c)}{kpi_rows['npv'] + 1}"
        book.formula(ws, r_npvce, c, f'IF({ce}="","",{npv}+{ce})',
                     kp["npv_with_customer_equity"])  # fmt: skip
    return row


def _segment_equities(book: Book, proj: Any, d: float) -> list[float | None]:
    """Cached values of each segment's customer equity (unadjusted), None where there is none."""
    total = book.case.unadjusted.get("customer_equity")
    n = len(book.sc.segments)
    if total is None:
        return [None] * n
    if n == 1:
        return [total]
    if not math.isfinite(d):
        return [None] * n
    return _segment_equity_values(book.sc, book.p, proj)
