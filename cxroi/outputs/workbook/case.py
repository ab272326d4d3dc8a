"""The Case sheet: benefits, costs, the risk adjustment, flows and the KPIs, as formulas.

Customer benefits by segment (with CX minus baseline, from each segment sheet's
contribution), costs by initiative (capex and opex), the TEI lines with their own risk, the
risk adjustment (never in the case's favour), net, cumulative and discounted flows, the
payback crossings, and the KPIs at cells with workbook names (docs/model.md §5): ``npv``,
``pv_benefits``, ``pv_costs``, ``roi``, ``irr``, ``payback_years``, ... (:data:`KPI_NAMES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cxroi.model.distributions import base_float
from cxroi.model.kpis import KPI_KEYS, kpi_label
from cxroi.outputs.workbook.cohorts import churn_formula
from cxroi.outputs.workbook.equity import customer_equity
from cxroi.outputs.workbook.inputs import RISK_KEYS, risk_by_lever, risk_value
from cxroi.outputs.workbook.layout import Book, cell_ref, col_letters, formula_number, sheet_cell

#: Workbook names of the result cells on the ``Case`` sheet (risk-adjusted; the same name with
#: ``_unadjusted`` appended points at the unadjusted figure).
KPI_NAMES = KPI_KEYS

#: Lowest rate of the IRR bracket (docs/model.md §5); NPV there and at the top decide a root.
_IRR_LO, _IRR_HI = -0.9999, 1e6
_SIGN_TOLERANCE = "1E-9"


def _line_amount_formula(amount: Any, stem: str, t: int) -> str | None:
    """The input behind a TEI line's amount in year t, or None where it is 0."""
    if isinstance(amount, dict):
        return f"{stem}_amount_{t}" if t in amount else None
    if t == 0:
        return None
    if isinstance(amount, list):
        return f"{stem}_amount_{min(t, len(amount))}"
    return f"{stem}_amount"


def _plus_lines(first: int, rows: list[int]) -> Callable[[int], str]:
    """Year t's formula of row ``first`` plus the rows ``rows`` (year t in column 1 + t)."""
    return lambda t: cell_ref(first, 1 + t) + "".join(f"+{cell_ref(r, 1 + t)}" for r in rows)


def case_sheet(book: Book, seg_refs: list[dict[Any, Any]]) -> None:
    """Write the Case sheet over the segment sheets' cells (``seg_refs``) and name its KPIs.

    Parameters
    ----------
    book : Book
        The workbook being written.
    seg_refs : list of dict
        Where each segment's lines are, as :func:`cxroi.outputs.workbook.segments.segment_sheet`
        returns them.
    """
    from cxroi.present.report.cashflows import line_amounts

    case, sc, H = book.case, book.sc, book.H
    ws = book.wb.add_worksheet("Case")
    cf = {k: np.asarray(v) for k, v in case.cashflow_columns.items()}  # the cashflow table's
    ws.write_string(0, 0, f"Business case: {sc.name} [{sc.currency}]", book.fmt["title"])
    ws.write_string(1, 0, "line \\ year", book.fmt["head"])
    for t in range(H + 1):
        ws.write_string(1, 1 + t, "Initial" if t == 0 else f"Year {t}", book.fmt["head"])
    c_total, c_pv = H + 2, H + 3
    ws.write_string(1, c_total, "Total", book.fmt["head"])
    ws.write_string(1, c_pv, "Present value", book.fmt["head"])

    def span(r: int) -> str:
        return f"$B${r + 1}:${col_letters(H + 1)}${r + 1}"

    row = 2
    ws.write_string(row, 0, "year")
    for t in range(H + 1):
        ws.write_number(row, 1 + t, t)
    r_year = row
    row += 1
    ws.write_string(row, 0, "discount factor 1/(1+d)^t")
    df = cf["discount_factor"]
    for t in range(H + 1):
        book.formula(ws, row, 1 + t, f"1/(1+discount_rate)^{cell_ref(r_year, 1 + t)}", df[t],
                     "rate")  # fmt: skip
    r_df = row
    row += 2
    proj = case.projection
    ws.write_string(row, 0, "Customer benefits (with CX - baseline), unadjusted",
                    book.fmt["bold"])  # fmt: skip
    seg_rows = [row + 1 + s for s in range(len(sc.segments))]
    for s, (seg, ref) in enumerate(zip(sc.segments, seg_refs, strict=True)):
        ws.write_string(seg_rows[s], 0, f"customer benefit: {seg.name}")
        ws.write_number(seg_rows[s], 1, 0.0, book.fmt["money"])
        vals = proj.contribution[1, s] - proj.contribution[0, s]
        for t in range(1, H + 1):
            benefit = (
                f"{sheet_cell(ref['title'], ref[1]['contribution'], t)}"
                f"-{sheet_cell(ref['title'], ref[0]['contribution'], t)}"
            )
            book.formula(ws, seg_rows[s], 1 + t, benefit, vals[t - 1])
    r_cb = row + 1 + len(seg_rows)
    benefits = cf.get("customer_benefits_unadjusted", cf["benefits_unadjusted"])
    book.total_row(ws, r_cb, "customer benefit, all segments (unadjusted)", seg_rows, benefits)
    row = r_cb + 2
    ws.write_string(row, 0, "Costs by initiative, unadjusted", book.fmt["bold"])
    row += 1
    cost_rows = []
    for i, ini in enumerate(sc.initiatives, start=1):
        ws.write_string(row, 0, f"capex: {ini.name}")
        for t in range(H + 1):
            if isinstance(ini.capex, dict):
                amount = ini.capex.get(t)
                text = f"i{i}_capex_{t}" if amount is not None else None
                amount = 0.0 if amount is None else base_float(amount)
            else:
                text = f"i{i}_capex" if t == 0 else None
                amount = base_float(ini.capex) if t == 0 else 0.0
            book.formula_or_zero(ws, row, 1 + t, text, amount)
        cost_rows.append(row)
        row += 1
        ws.write_string(row, 0, f"opex: {ini.name} (last value held)")
        ws.write_number(row, 1, 0.0, book.fmt["money"])
        for t in range(1, H + 1):
            if isinstance(ini.opex, list):
                k = min(t, len(ini.opex))
                text, amount = f"i{i}_opex_{k}", base_float(ini.opex[k - 1])
            else:
                text, amount = f"i{i}_opex", base_float(ini.opex)
            book.formula(ws, row, 1 + t, text, amount)
        cost_rows.append(row)
        row += 1
    r_cu = row
    book.total_row(ws, r_cu, "costs, all initiatives (unadjusted)", cost_rows,
                    cf.get("capex_opex_unadjusted", cf["costs_unadjusted"]))  # fmt: skip
    row += 2
    # TEI lines: each line's amount by year and its risk-adjusted amount (own risk)
    lines: dict[str, list[tuple[int, int, str, Any, str]]] = {"benefit": [], "cost": []}
    for i, ini in enumerate(sc.initiatives, start=1):
        for kind, short in (("benefit", "bl"), ("cost", "cl")):
            for n, line in enumerate(getattr(ini, f"{kind}_lines", None) or [], start=1):
                lines[kind].append((i, n, short, line, ini.name))
    if lines["benefit"] or lines["cost"]:
        ws.write_string(row, 0, "TEI lines (not driven by customers; no ramp)",
                        book.fmt["bold"])  # fmt: skip
        row += 1
    line_rows: dict[str, dict[str, list[int]]] = {
        "benefit": {"raw": [], "adj": []}, "cost": {"raw": [], "adj": []}
    }  # fmt: skip
    for kind in ("benefit", "cost"):
        sign = "-" if kind == "benefit" else "+"
        for i, n, short, line, owner in lines[kind]:
            stem = f"i{i}_{short}{n}"
            amounts = line_amounts(line.amount, H)
            ws.write_string(row, 0, f"{kind} line: {owner} / {line.name}")
            for t in range(H + 1):
                text = _line_amount_formula(line.amount, stem, t)
                book.formula_or_zero(ws, row, 1 + t, text, amounts[t])
            line_rows[kind]["raw"].append(row)
            row += 1
            risk = base_float(line.risk) if line.risk is not None else risk_value(
                sc, "cost_adjustment" if kind == "cost"
                else ("b_lines" if risk_by_lever(sc) else "benefit_adjustment")
            )  # fmt: skip
            factor = 1.0 - risk if kind == "benefit" else 1.0 + risk
            ws.write_string(row, 0, f"  risk-adjusted: x (1 {sign} its risk)")
            for t in range(H + 1):
                book.formula(ws, row, 1 + t, f"{cell_ref(row - 1, 1 + t)}*(1{sign}{stem}_risk)",
                             amounts[t] * factor)  # fmt: skip
            line_rows[kind]["adj"].append(row)
            row += 1

    def plus(rows_: list[int], t: int) -> str:
        return "".join(f"+{cell_ref(r_, 1 + t)}" for r_ in rows_)

    r_ub, r_uc = r_cb, r_cu
    if lines["benefit"] or lines["cost"]:
        r_ub, r_uc = row, row + 1
        for r, title, first, kind in (
            (r_ub, "benefits, unadjusted (customers + lines)", r_cb, "benefit"),
            (r_uc, "costs, unadjusted (capex, opex + lines)", r_cu, "cost"),
        ):
            values = cf[f"{kind}s_unadjusted"]
            formula_of = _plus_lines(first, line_rows[kind]["raw"])
            book.year_row(ws, r, title, formula_of, values, "money_b", bold=True)
        row += 3
    ws.write_string(row, 0, "Risk-adjusted (TEI)", book.fmt["bold"])
    row += 1
    cust_adj = cf.get("customer_benefits", cf["benefits"])

    def f(x: str, b: str) -> str:  # never in the case's favour
        return f"IF({x}>=0,{x}*(1-{b}),{x}*(1+{b}))"

    if risk_by_lever(sc):
        from cxroi.present.report.cashflows import lever_benefits

        phi = lever_benefits(case)
        ws.write_string(
            row, 0,
            "Shapley split of each year's customer benefit by lever: VALUES, not formulas "
            "(each needs all 16 lever coalitions projected again); they follow no input "
            "but the per-lever risk below does.",
            book.fmt["note"],
        )  # fmt: skip
        row += 1
        phi_rows = {}
        for lever in RISK_KEYS[:4]:
            ws.write_string(row, 0, f"customer benefit from the {lever} lever (value)")
            for t in range(H + 1):
                ws.write_number(row, 1 + t, float(phi.loc[lever, t]), book.fmt["money"])
            phi_rows[lever] = row
            row += 1
        r_cadj = row
        book.year_row(
            ws, row, "customer benefit, risk-adjusted: sum of f(lever share, b_lever)",
            lambda t: "+".join(f(cell_ref(phi_rows[lv], 1 + t), f"b_{lv}") for lv in phi_rows),
            cust_adj,
        )  # fmt: skip
        row += 1
    else:
        r_cadj = row
        book.year_row(
            ws, row, "customer benefit: x(1-b) if x>=0, x(1+b) if x<0 (never in the case's "
            "favour)", lambda t: f(cell_ref(r_cb, 1 + t), "benefit_adjustment"), cust_adj,
        )  # fmt: skip
        row += 1
    r_b = row
    book.year_row(
        ws, row, "benefits, risk-adjusted (customers + lines)",
        _plus_lines(r_cadj, line_rows["benefit"]["adj"]),
        cf["benefits"], bold=True,
    )  # fmt: skip
    row += 1
    r_c = row
    book.year_row(
        ws, row, "costs: capex and opex x (1 + cost adjustment) + cost lines",
        lambda t: f"{cell_ref(r_cu, 1 + t)}*(1+cost_adjustment)"
        f"{plus(line_rows['cost']['adj'], t)}",
        cf["costs"],
    )  # fmt: skip
    row += 1
    r_net = row
    book.year_row(ws, row, "net = benefits - costs",
                   lambda t: f"{cell_ref(r_b, 1 + t)}-{cell_ref(r_c, 1 + t)}",
                   cf["net"], "money_b", bold=True)  # fmt: skip
    row += 1
    r_cum = row
    book.year_row(ws, row, "cumulative net",
                   lambda t: f"SUM($B${r_net + 1}:{cell_ref(r_net, 1 + t)})",
                   cf["cumulative_net"])  # fmt: skip
    row += 1
    r_dn = row
    book.year_row(ws, row, "discounted net",
                   lambda t: f"{cell_ref(r_net, 1 + t)}*{cell_ref(r_df, 1 + t)}",
                   cf["discounted_net"])  # fmt: skip
    row += 1
    r_dcum = row
    book.year_row(ws, row, "cumulative discounted net",
                   lambda t: f"SUM($B${r_dn + 1}:{cell_ref(r_dn, 1 + t)})",
                   cf["cumulative_discounted_net"])  # fmt: skip
    totals = {r_b: "benefits", r_c: "costs", r_net: "net", r_ub: "benefits_unadjusted",
              r_uc: "costs_unadjusted"}  # fmt: skip
    for r, key in totals.items():
        v = cf[key]
        book.formula(ws, r, c_total, f"SUM({span(r)})", v.sum())
        book.formula(ws, r, c_pv, f"SUMPRODUCT({span(r)},{span(r_df)})", (v * df).sum())
    # payback helpers: the interpolated crossing of each year, empty where none
    row += 2
    ws.write_string(row, 0, "Payback helpers: (t-1) + (-cumulative(t-1)) / net(t) where "
                    "the cumulative turns >= 0", book.fmt["note"])  # fmt: skip
    row += 1
    helper = {}
    for key, cum, net in (("payback", r_cum, r_net), ("discounted", r_dcum, r_dn)):
        ws.write_string(row, 0, f"{key} crossing in year t")
        for t in range(1, H + 1):
            prev, now = cell_ref(cum, t), cell_ref(cum, 1 + t)
            text = (
                f'IF(AND({prev}<0,{now}>=0),{t - 1}+(-{prev})/{cell_ref(net, 1 + t)},"")'
            )
            cum_v = cf["cumulative_net" if key == "payback" else "cumulative_discounted_net"]
            flow = cf["net" if key == "payback" else "discounted_net"]
            p0, p1 = cum_v[t - 1], cum_v[t]
            value = (t - 1) + (-p0) / flow[t] if (p0 < 0 <= p1) else None
            book.formula(ws, row, 1 + t, text, value, "years")
        helper[key] = row
        row += 1
    # KPIs
    row += 1
    ws.write_string(row, 0, "KPI", book.fmt["head"])
    ws.write_string(row, 1, "risk-adjusted", book.fmt["head"])
    ws.write_string(row, 2, "unadjusted", book.fmt["head"])
    row += 1
    k, u = case.kpis, case.unadjusted
    irr_guess = k["irr"] if k["irr"] is not None else 0.1
    irr_guess_u = u["irr"] if u["irr"] is not None else 0.1
    years = span(r_year)

    def irr_text(net_span: str, guess: float) -> str:
        lo = f"SUMPRODUCT({net_span},{formula_number(1 + _IRR_LO)}^(-{years}))"
        hi = f"SUMPRODUCT({net_span},{formula_number(1 + _IRR_HI)}^(-{years}))"
        both = (
            f'COUNTIF({net_span},">{_SIGN_TOLERANCE}")>0,'
            f'COUNTIF({net_span},"<-{_SIGN_TOLERANCE}")>0'
        )
        return (
            f"IF(AND({both},SIGN({lo})<>SIGN({hi})),"
            f'IFERROR(IRR({net_span},{formula_number(guess)}),""),"")'
        )

    def payback_text(cum_row: int, helper_row: int) -> str:
        cells = f"$C${helper_row + 1}:${col_letters(H + 1)}${helper_row + 1}"
        return f'IF($B${cum_row + 1}>=0,0,IF(COUNT({cells})=0,"",MIN({cells})))'

    # unadjusted flows: benefit row r_ub and cost row r_uc
    pvb_u = f"SUMPRODUCT({span(r_ub)},{span(r_df)})"
    pvc_u = f"SUMPRODUCT({span(r_uc)},{span(r_df)})"
    kpi_rows = {}
    pvb, pvc = kpi_label("pv_benefits"), kpi_label("pv_costs")
    for key, how, adj_text, un_text, fmt in (
        ("pv_benefits", "", f"SUMPRODUCT({span(r_b)},{span(r_df)})", pvb_u,
         "money"),
        ("pv_costs", "", f"SUMPRODUCT({span(r_c)},{span(r_df)})", pvc_u, "money"),
        ("npv", f" = {pvb} - {pvc}", None, None, "money_b"),
        ("roi", f" = {kpi_label('npv', short=True)} / {pvc}", None, None, "pct"),
        ("irr", "", irr_text(span(r_net), irr_guess), None, "pct"),
        ("payback_years", " [years]", payback_text(r_cum, helper["payback"]), None,
         "years"),
        ("discounted_payback_years", " [years]",
         payback_text(r_dcum, helper["discounted"]), None, "years"),
    ):  # fmt: skip
        kpi_rows[key] = row
        if key == "npv":
            adj_text = f"B{kpi_rows['pv_benefits'] + 1}-B{kpi_rows['pv_costs'] + 1}"
            un_text = f"C{kpi_rows['pv_benefits'] + 1}-C{kpi_rows['pv_costs'] + 1}"
        if key == "roi":
            pvc_a, pvc_b = f"B{kpi_rows['pv_costs'] + 1}", f"C{kpi_rows['pv_costs'] + 1}"
            adj_text = f'IF({pvc_a}=0,"",B{kpi_rows["npv"] + 1}/{pvc_a})'
            un_text = f'IF({pvc_b}=0,"",C{kpi_rows["npv"] + 1}/{pvc_b})'
        label = kpi_label(key) + how  # the registry's label, then how the sheet computes it
        ws.write_string(row, 0, label, book.fmt["bold"] if key == "npv" else None)
        assert adj_text is not None  # given, or set above for npv and roi
        book.formula(ws, row, 1, adj_text, k[key], fmt)
        if un_text is not None:
            book.formula(ws, row, 2, un_text, u[key], fmt)
        row += 1
    r_extra, r_loss, r_ce, r_npvce, r_note = row, row + 1, row + 2, row + 3, row + 5
    row += 7
    # unadjusted IRR and paybacks from a helper block of unadjusted net flows
    net_unadj = cf["benefits_unadjusted"] - cf["costs_unadjusted"]
    r_nu, r_nuc, r_nud, r_nudc = range(row, row + 4)
    for r, title, formula_of, values in (
        (r_nu, "net, unadjusted", lambda t: f"{cell_ref(r_ub, 1 + t)}-{cell_ref(r_uc, 1 + t)}",
         net_unadj),
        (r_nuc, "cumulative net, unadjusted",
         lambda t: f"SUM($B${r_nu + 1}:{cell_ref(r_nu, 1 + t)})", np.cumsum(net_unadj)),
        (r_nud, "discounted net, unadjusted",
         lambda t: f"{cell_ref(r_nu, 1 + t)}*{cell_ref(r_df, 1 + t)}", net_unadj * df),
        (r_nudc, "cumulative discounted net, unadjusted",
         lambda t: f"SUM($B${r_nud + 1}:{cell_ref(r_nud, 1 + t)})", np.cumsum(net_unadj * df)),
    ):  # fmt: skip
        book.year_row(ws, r, title, formula_of, values)
    row += 4
    helper_u = {}
    for key, cum, net, vals in (
        ("payback", r_nuc, r_nu, net_unadj),
        ("discounted", r_nudc, r_nud, net_unadj * df),
    ):
        ws.write_string(row, 0, f"{key} crossing in year t, unadjusted")
        cumv = np.cumsum(vals)
        for t in range(1, H + 1):
            prev, now = cell_ref(cum, t), cell_ref(cum, 1 + t)
            text = (
                f'IF(AND({prev}<0,{now}>=0),{t - 1}+(-{prev})/{cell_ref(net, 1 + t)},"")'
            )
            value = (t - 1) + (-cumv[t - 1]) / vals[t] if cumv[t - 1] < 0 <= cumv[t] else None
            book.formula(ws, row, 1 + t, text, value, "years")
        helper_u[key] = row
        row += 1
    book.formula(ws, kpi_rows["irr"], 2, irr_text(span(r_nu), irr_guess_u), u["irr"], "pct")
    book.formula(ws, kpi_rows["payback_years"], 2, payback_text(r_nuc, helper_u["payback"]),
                 u["payback_years"], "years")  # fmt: skip
    book.formula(ws, kpi_rows["discounted_payback_years"], 2,
                 payback_text(r_nudc, helper_u["discounted"]),
                 u["discounted_payback_years"], "years")  # fmt: skip
    # customers and switching loss
    ws.write_string(r_extra, 0, kpi_label("extra_customers_end") + " (with CX - baseline)")
    terms = "+".join(
        f"{sheet_cell(ref['title'], ref[1]['active_end'], H)}"
        f"-{sheet_cell(ref['title'], ref[0]['active_end'], H)}"
        for ref in seg_refs
    )
    book.formula(ws, r_extra, 1, terms, k["extra_customers_end"], "count")
    book.formula(ws, r_extra, 2, terms, u["extra_customers_end"], "count")
    ws.write_string(r_loss, 0, kpi_label("annual_switching_loss") + " (preventable poor CX)")
    loss_terms = []
    for j, seg in enumerate(sc.segments, start=1):
        loss_terms.append(
            f"s{j}_customers*{churn_formula(j, seg)}*s{j}_poor_cx_churn_share"
            f"*s{j}_preventable_share*s{j}_wallet*s{j}_share_of_wallet"
        )
    book.formula(ws, r_loss, 1, "+".join(loss_terms), k["annual_switching_loss"])
    book.formula(ws, r_loss, 2, "+".join(loss_terms), u["annual_switching_loss"])
    kpi_rows["extra_customers_end"] = r_extra
    kpi_rows["annual_switching_loss"] = r_loss
    if "customer_equity" in k:
        row = customer_equity(book, ws, row + 1, seg_refs, r_ce, r_npvce, kpi_rows)
        kpi_rows["customer_equity"] = r_ce
        kpi_rows["npv_with_customer_equity"] = r_npvce
    for key, r in kpi_rows.items():
        book.wb.define_name(key, f"=Case!$B${r + 1}")
        book.wb.define_name(f"{key}_unadjusted", f"=Case!$C${r + 1}")
    ws.write_string(
        r_note, 0,
        "IRR: the spreadsheet's IRR starts from cxroi's own rate as its guess; it is empty "
        "where net flows have one sign or no rate in [-99.99%, 1e6] gives NPV = 0.",
        book.fmt["note"],
    )  # fmt: skip
    book.setup(ws, 2, 1, 60)
    ws.set_column(1, H + 3, 16)
