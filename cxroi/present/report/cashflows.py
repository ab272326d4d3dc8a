"""The report's cash flows: the TEI table, benefits by lever and year, the table by line.

:func:`lever_benefits` splits each year's customer benefit over the four levers (Shapley
values year by year) and :func:`line_amounts` gives a TEI line's amount in each year; the
workbook's Case sheet uses both. The two sections show the Forrester TEI cash-flow table with
the benefits by lever, and the table by benefit and cost line with the unquantified benefits,
customer equity beside the NPV, and each initiative's fair share, standalone and last-in
values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cxroi.model.distributions import base_float
from cxroi.model.kpis import kpi_label
from cxroi.present.formatting import format_kpi
from cxroi.present.report.markup import (
    _FONT,
    _amount,
    _esc,
    _h2,
    _kpi_cell,
    _note,
    _Raw,
    _table,
    _year_tables,
)

if TYPE_CHECKING:
    from cxroi.present.report.document import Report


def lever_benefits(case: Any) -> Any:
    r"""Each year's customer benefit split by lever (Shapley values per year), unadjusted.

    .. math:: B_t = \sum_l \phi_{l,t}

    where :math:`\phi_{l,t}` is the Shapley value of lever *l* in the game whose value of a
    set of levers S is the year-t contribution with only S on minus the baseline's (every
    initiative active; docs/model.md §6 applied year by year).

    Returns
    -------
    DataFrame
        Rows ``retention``, ``wallet``, ``referral``, ``service``; columns years 0..H (year 0
        is 0) [money].
    """
    import numpy as np
    import pandas as pd

    from cxroi.engine import project as engine
    from cxroi.engine.attribution import coalition_masks, shapley_values
    from cxroi.model.scenario import LEVERS

    sc = case.scenario
    p = engine.compile_scenario(sc)
    masks = coalition_masks(len(LEVERS))
    proj = engine.project(p, masks, np.ones((len(masks), len(sc.initiatives))))
    contribution = proj.contribution.sum(axis=-2)  # (16, H)
    benefit = contribution - contribution[0]
    phi = shapley_values(benefit.T)  # (H, 4)
    table = np.concatenate([np.zeros((1, len(LEVERS))), phi], axis=0).T
    return pd.DataFrame(table, index=list(LEVERS), columns=range(sc.horizon_years + 1))


def line_amounts(amount: Any, H: int) -> list[float]:
    """A TEI line's amount in years 0..H (docs/model.md §11).

    A number is every year 1..H, a list runs from year 1 with its last value held, a mapping
    gives years (others 0).
    """
    if isinstance(amount, Mapping):
        return [base_float(amount[t]) if t in amount else 0.0 for t in range(H + 1)]
    if isinstance(amount, (list, tuple)):
        held = [base_float(v) for v in amount] + [base_float(amount[-1])] * H
        return [0.0] + held[:H]
    return [0.0] + [base_float(amount)] * H


def _section_cashflow(r: Report) -> str:
    tei = r.case.tei_table()
    rows = [[idx, *[_amount(v) for v in tei.loc[idx]]] for idx in tei.index]
    import numpy as np

    cur = r.case.currency
    cf = r.case.cashflow
    df = cf["discount_factor"].to_numpy()
    levers = lever_benefits(r.case)
    lever_rows = []
    for lever, values in levers.iterrows():
        v = values.to_numpy()
        lever_rows.append([f"{lever} lever", *[_amount(x) for x in v], _amount(v.sum()),
                           _amount((v * df).sum())])  # fmt: skip
    customer = cf.get("customer_benefits_unadjusted", cf["benefits_unadjusted"]).to_numpy()
    unadj = cf["benefits_unadjusted"].to_numpy()
    adj = cf["benefits"].to_numpy()
    H = r.scenario.horizon_years
    rows_after = [("Customer benefit, unadjusted", customer)]
    for ini in r.scenario.initiatives:
        for line in getattr(ini, "benefit_lines", None) or []:
            label = f"TEI line: {ini.name} / {line.name}, unadjusted"
            rows_after.append((label, np.asarray(line_amounts(line.amount, H))))
    rows_after += [("Risk adjustment", adj - unadj), ("Benefits, risk-adjusted", adj)]
    for label, v in rows_after:
        lever_rows.append([label, *[_amount(x) for x in v], _amount(v.sum()),
                           _amount((v * df).sum())])  # fmt: skip
    return (
        _h2("Cash flows (Forrester TEI layout, risk-adjusted)")
        + _year_tables(f"[{cur}]", [str(c) for c in tei.columns], rows)
        + _note(
            "Benefits by lever and year: each year's customer benefit (with CX minus baseline) "
            "split over the four levers by Shapley values, so the levers add up to the year's "
            "benefit; then each TEI benefit line, and the risk adjustment."
        )
        + _year_tables(f"Benefits [{cur}]", [str(c) for c in tei.columns], lever_rows)
        + _note(
            "Year 0 is today and is not discounted; benefits and costs fall at the end of each "
            "year and are discounted by (1 + discount rate)^year."
        )
        + r.image("cashflow", "Cash flows by year with the cumulative net")
    )


def _section_lines(r: Report) -> str:
    """The TEI table by line, the unquantified benefits, customer equity, initiative views."""
    import numpy as np

    case, cur = r.case, r.case.currency
    H = r.scenario.horizon_years
    years = list(range(H + 1))
    cf = case.cashflow
    df = cf["discount_factor"].to_numpy()
    columns = ["Initial", *[f"Year {t}" for t in years[1:]], "Total", "Present value"]

    def row(label: str, v: Any) -> list[Any]:
        v = np.asarray(v, dtype=float)
        return [label, *[_amount(x) for x in v], _amount(v.sum()), _amount((v * df).sum())]

    table = case.line_table()
    rows = []
    for kind, key in (("benefit", "benefits"), ("cost", "costs")):
        for _, line in table[table.kind == kind].iterrows():
            who = line.initiative if isinstance(line.initiative, str) else "All segments"
            risk = "" if line.risk is None or line.risk != line.risk else f" (risk {line.risk:.0%})"
            rows.append(row(f"{who}: {line.line}{risk}", [line[t] for t in years]))
        rows.append(row(f"Risk adjustment ({key})", cf[key] - cf[f"{key}_unadjusted"]))
        rows.append(row(f"Total {key}, risk-adjusted", cf[key]))
    rows.append(row("Net", cf["net"]))
    out = _h2("Benefits and costs by line (TEI)") + _note(
        "One row per benefit line and per cost line, each risk-adjusted by its own risk; the "
        "customer benefit of all segments is one line. Lines are not scaled by the ramp."
    )
    out += _year_tables(f"[{cur}]", columns, rows)
    unquantified = case.unquantified
    if unquantified:
        items = "".join(
            f"<li><b>{_esc(name)}</b><ul>"
            + "".join(f"<li data-unquantified>{_esc(x)}</li>" for x in texts)
            + "</ul></li>"
            for name, texts in unquantified.items()
        )
        out += (
            _note("Benefits named but not valued: they are in no figure of this report.")
            + f'<ul style="{_FONT}">{items}</ul>'
        )
    horizon = r.scenario.horizon_years
    eq_rows = [
        [
            kpi_label(key),
            _esc(format_kpi("npv", case.kpis[base], cur, horizon)) if base else "",
            _Raw(_kpi_cell(key, case.kpis[key], cur, horizon)),
            _Raw(_kpi_cell(key, case.unadjusted[key], cur, horizon, "data-kpi-unadjusted")),
        ]
        for base, key in ((None, "customer_equity"), ("npv", "npv_with_customer_equity"))
    ]
    out += (
        _h2("Customer equity beside the NPV")
        + _note(
            "What the extra customers still active after the last year are worth, with the "
            "programme stopped (baseline margins and retention). Reported beside the TEI NPV, "
            "never inside it, ROI, IRR or payback; n/a where the value does not converge."
        )
        + _table(["", "TEI NPV", "Risk-adjusted", "Unadjusted"], eq_rows, numeric={1, 2, 3})
    )
    ini_rows = [
        [
            name,
            _amount(case.by_initiative[name]) if case.by_initiative is not None else "n/a",
            _amount(case.by_initiative_standalone[name]),
            _amount(case.by_initiative_last_in[name]),
        ]
        for name in r.scenario.initiative_names
    ]
    out += (
        _h2("Each initiative: fair share, alone, last in")
        + _note(
            "Shapley: the initiative's fair share of the NPV. Standalone: the NPV if only this "
            "initiative is funded. Last in: the NPV lost if only this initiative is cut."
        )
        + _table(
            [f"Initiative [{cur}]", "Shapley", "Standalone", "Last in"], ini_rows, numeric={1, 2, 3}
        )  # fmt: skip
    )
    return out

