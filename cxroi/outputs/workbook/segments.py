"""A segment's sheet: its levers by year, its cohorts, and its yearly lines, as formulas.

For segment j the sheet ``S<j> <name>`` holds the ramp of each initiative, the retention r(k)
of every cohort in every year, and for the baseline and with CX: the four levers by year
(docs/model.md §3), the active customers of every cohort at the start of each year, and the
yearly lines (active, churned, new, revenue, gross margin, service cost, acquisition cost,
contribution; docs/model.md §4). Where the model reports customer equity, the residual value
of one customer of each cohort follows (:mod:`cxroi.outputs.workbook.equity`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxroi.model.distributions import base_float
from cxroi.outputs.workbook.cohorts import (
    cohort_matrices,
    cohort_parts,
    retention_formula,
    tenure_mix,
)
from cxroi.outputs.workbook.equity import residual_values
from cxroi.outputs.workbook.layout import Book, cell_ref, col_letters, sheet_title


def segment_sheet(book: Book, s: int) -> dict[Any, Any]:
    """Write the sheet of segment ``s`` (0-based); return where the Case sheet finds its lines.

    Returns
    -------
    dict
        ``title``: the sheet's title; for each arm (0 the baseline, 1 with CX) a dict with
        the 0-based rows of ``contribution`` and ``active_end`` and ``after``, the first and
        last rows of the cohort matrix (whose column H + 1 holds the customers after year
        H); ``rv``: the first and last rows of the residual values, where the model reports
        customer equity.
    """
    sc, H, p = book.sc, book.H, book.p
    seg = sc.segments[s]
    j = s + 1
    title = sheet_title(j, "S", seg.name)
    ws = book.wb.add_worksheet(title)
    proj = book.case.projection
    m_all, sow_all, ref_all, cts_all = book.levers
    ws.write_string(0, 0, f"Segment {seg.name}: drivers by year", book.fmt["title"])
    ws.write_string(1, 0, "line \\ year", book.fmt["head"])
    for t in range(1, H + 2):
        label = f"Year {t}" if t <= H else f"After year {H}"
        ws.write_string(1, t, label, book.fmt["head"])
    col = {t: t for t in range(1, H + 2)}  # year t in column t
    row = 2
    ws.write_string(row, 0, "Ramp of each initiative (share of full effect)", book.fmt["bold"])
    row += 1
    ramp_rows = []
    for i, ini in enumerate(sc.initiatives, start=1):
        ws.write_string(row, 0, f"ramp: {ini.name}")
        n_ramp = len(ini.ramp)
        for t in range(1, H + 1):
            share = ini.ramp[min(t, n_ramp) - 1]
            book.formula(ws, row, col[t], f"i{i}_ramp_{min(t, n_ramp)}", share, "pct")
        ramp_rows.append(row)
        row += 1

    def effect(i: int, key: str) -> str:
        return f"i{i}_s{j}_{key}"  # the segment's own row (a formula over "*" if not given)

    # retention by cohort and year (the baseline rate; "with CX" scales churn by m_t)
    row += 1
    ws.write_string(
        row, 0, "Retention r(k) of each cohort in each year (baseline)", book.fmt["bold"]
    )
    row += 1
    parts = cohort_parts(j, seg)
    Q = len(parts)
    n0 = base_float(seg.customers)
    mix = tenure_mix(seg)
    part_values = [
        (n0 * (mix[q][1] if mix else 1.0), parts[q][3]) for q in range(Q)
    ]
    cohort_labels = [pt[0] for pt in parts] + [
        f"cohort won in year {c}" for c in range(1, H + 1)
    ]
    r_rows = {}
    r_val, _ = cohort_matrices(s, p, part_values, np.ones(H), np.zeros(H), H)
    for x in range(Q + H - 1):
        ws.write_string(row, 0, f"retention: {cohort_labels[x]}")
        first_year = 1 if x < Q else x - Q + 2
        for t in range(first_year, H + 1):
            if seg.is_sbg:
                if x < Q:
                    base_k = parts[x][2]
                    k = f"{base_k}+{t - 1}" if base_k else str(t - 1)
                else:
                    k = str(t - 1 - (x - Q + 1))
                text = retention_formula(j, True, k)
            else:
                text = f"s{j}_retention"
            book.formula(ws, row, col[t], text, r_val[x, t - 1], "rate")
        r_rows[x] = row
        row += 1

    out: dict[Any, Any] = {"title": title}
    I = len(sc.initiatives)
    plain = {"m": "1", "sow": f"s{j}_share_of_wallet", "ref": f"s{j}_referral_share",
             "cts": f"s{j}_cost_to_serve"}  # fmt: skip
    # with CX, each lever: (effect, term around e*g, joiner, formula around the terms)
    shapes = {
        "m": ("churn_prevented", "(1-%s)", "*",
              f"1-s{j}_poor_cx_churn_share*s{j}_preventable_share*(1-{{}})"),
        "sow": ("share_of_wallet_lift", "(1+%s)", "*", f"MIN(1,s{j}_share_of_wallet*{{}})"),
        "ref": ("referral_lift", "%s", "+", f"MIN(1,MAX(0,s{j}_referral_share+{{}}))"),
        "cts": ("cost_to_serve_change", "(1+%s)", "*", f"MAX(0,s{j}_cost_to_serve*{{}})"),
    }  # fmt: skip

    def lever_formula(key: str, t: int) -> str:
        """A lever in year t with CX: the initiatives' effects e x ramp g combined."""
        effect_name, term, joiner, outer = shapes[key]
        terms = joiner.join(
            term % f"{effect(i, effect_name)}*{cell_ref(ramp_rows[i - 1], col[t])}"
            for i in range(1, I + 1)
        )
        return outer.format(terms)

    for arm, label in ((0, "Baseline"), (1, "With CX")):
        row += 1
        ws.write_string(row, 0, f"{label}", book.fmt["title"])
        row += 1
        levers = {}
        m, sow, ref, cts = (x[arm, s] for x in (m_all, sow_all, ref_all, cts_all))
        for key, text, values, fmt in (
            ("m", "churn multiplier m", m, "rate"),
            ("sow", "share of wallet", sow, "rate"),
            ("ref", "referral share", ref, "rate"),
            ("cts", "cost to serve per customer", cts, "money"),
        ):
            ws.write_string(row, 0, f"{text} ({label.lower()})")
            for t in range(1, H + 1):
                text = plain[key] if arm == 0 else lever_formula(key, t)
                book.formula(ws, row, col[t], text, values[t - 1], fmt)
            levers[key] = row
            row += 1
        # active customers by cohort at the start of each year
        new_vals = proj.new_customers[arm, s]
        _, A = cohort_matrices(s, p, part_values, m, new_vals, H)
        row += 1
        ws.write_string(
            row, 0, f"Active customers at the start of the year, by cohort ({label.lower()})",
            book.fmt["bold"],
        )  # fmt: skip
        row += 1
        first_a = row
        lines_row = row + Q + H + 1  # after the matrix and a blank row
        names = ["active", "churned", "new", "revenue", "gross_margin", "service_cost",
                 "acquisition_cost", "contribution", "active_end"]  # fmt: skip
        L = {n: lines_row + k for k, n in enumerate(names)}
        for x in range(Q + H):
            r = first_a + x
            ws.write_string(r, 0, f"active: {cohort_labels[x]}")
            start = 1 if x < Q else x - Q + 2  # cohort won in year c starts in year c+1
            for t in range(start, H + 2):
                if x < Q and t == 1:
                    text = parts[x][1]
                elif x >= Q and t == start:
                    text = cell_ref(L["new"], col[t - 1])
                else:
                    prev = cell_ref(r, col[t - 1])
                    rr = cell_ref(r_rows[x], col[t - 1])
                    mm = cell_ref(levers["m"], col[t - 1])
                    text = f"{prev}*(1-(1-{rr})*{mm})"
                book.formula(ws, r, col[t], text, A[x, t - 1], "count")
        last_a = first_a + Q + H - 1
        # yearly lines
        pr = proj.yearly(arm, s)
        pr["active"], pr["new"] = pr["active_start"], pr["new_customers"]
        pr["churned"] = pr["active"] - (pr["active_end"] - pr["new"])
        labels = {
            "active": "active customers (start of year)",
            "churned": "churned during the year",
            "new": "new customers won (active from next year)",
            "revenue": "revenue",
            "gross_margin": "gross margin",
            "service_cost": "service cost",
            "acquisition_cost": "acquisition cost (after referrals)",
            "contribution": "contribution",
            "active_end": "active customers (end of year)",
        }
        for n in names:
            ws.write_string(L[n], 0, f"{labels[n]} ({label.lower()})",
                            book.fmt["bold"] if n == "contribution" else None)  # fmt: skip
        for t in range(1, H + 1):
            c_ = col[t]
            colA = f"{col_letters(c_)}{first_a + 1}:{col_letters(c_)}{last_a + 1}"
            nxt = col_letters(col[t + 1])  # the next year's column: the actives after year t
            survivors = f"SUM({nxt}{first_a + 1}:{nxt}{first_a + Q + t - 1})"
            act = cell_ref(L["active"], c_)
            if seg.acquisition == "replace":
                new_text = cell_ref(L["churned"], c_)
            else:
                new_text = f"s{j}_new_customers_per_year"
            texts = {
                "active": f"SUM({colA})",
                "churned": f"{act}-{survivors}",
                "new": new_text,
                "revenue": f"{act}*s{j}_wallet*{cell_ref(levers['sow'], c_)}",
                "gross_margin": f"{cell_ref(L['revenue'], c_)}*s{j}_gross_margin",
                "service_cost": f"{act}*{cell_ref(levers['cts'], c_)}",
                "acquisition_cost": f"{cell_ref(L['new'], c_)}*s{j}_acquisition_cost"
                f"*(1-{cell_ref(levers['ref'], c_)})",
                "contribution": f"{cell_ref(L['gross_margin'], c_)}"
                f"-{cell_ref(L['service_cost'], c_)}-{cell_ref(L['acquisition_cost'], c_)}",
                "active_end": f"SUM({nxt}{first_a + 1}:{nxt}{last_a + 1})",
            }
            for n in names:
                fmt = "count" if n in ("active", "churned", "new", "active_end") else "money"
                if n == "contribution":
                    fmt = "money_b"
                book.formula(ws, L[n], c_, texts[n], pr[n][t - 1], fmt)
        out[arm] = {"contribution": L["contribution"], "active_end": L["active_end"],
                    "after": (first_a, last_a)}  # fmt: skip
        row = L["active_end"] + 1
    if "customer_equity" in book.case.kpis:
        out["rv"] = residual_values(book, ws, row + 1, j, seg, parts, part_values, col)
    book.setup(ws, 2, 1, 62)
    ws.set_column(1, H + 1, 15)
    return out
