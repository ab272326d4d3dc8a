"""The report's uncertainty section: how sure the case is, and what has to be true.

With inputs that carry distributions: the Monte Carlo summary of NPV, ROI and payback
(:data:`REPORT_DRAWS` draws, seed :data:`REPORT_SEED`), the decision rules' reading, the
histogram, fan and tornado charts and the tornado's table. Always: the switching values of
the inputs closest to breaking the case (HM Treasury Green Book).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label
from cxroi.present.formatting import format_kpi
from cxroi.present.report.markup import _amount, _h2, _note, _table, chart_image

if TYPE_CHECKING:
    from cxroi.present.report.document import Report


#: Monte Carlo draws and seed of the report's uncertainty section.
REPORT_DRAWS = 10_000
REPORT_SEED = 0
#: Switching values shown: the fields closest to breaking the case.
REPORT_SWITCHING_ROWS = 8


def _value(x: float) -> str:
    """An input's value: thousands separators for amounts, 4 significant digits otherwise."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _section_uncertainty(r: Report) -> str:
    """Monte Carlo summary, histogram, fan and tornado; switching values of the key fields."""
    from cxroi.analysis import uncertainty as u
    from cxroi.present import uncertainty_charts as uc

    sc, cur = r.scenario, r.case.currency
    parts = [_h2("Uncertainty: how sure, and what has to be true")]
    if sc.distributions():
        result = u.simulate(sc, draws=REPORT_DRAWS, seed=REPORT_SEED)
        summary = result.summary
        rows = []
        for key in ("npv", "roi", "payback_years"):
            stats = summary[key]
            rows.append(
                [kpi_label(key, short=True)]
                + [
                    format_kpi(key, stats[q], cur, sc.horizon_years)
                    for q in ("mean", "p5", "p50", "p95")
                ]
            )
        parts.append(_table(["", "mean", "P5", "P50", "P95"], rows, {1, 2, 3, 4}))
        how = (
            "drawn with their rank correlations" if sc.correlations else "each drawn independently"
        )
        parts.append(
            _note(
                f"{summary['draws']:,} draws (seed {REPORT_SEED}) of {len(sc.distributions())} "
                f"uncertain inputs, {how}. P(NPV > 0) = "
                f"{summary['prob_npv_positive']:.1%}; P(payback within {sc.horizon_years} "
                f"years) = {summary['prob_payback_within_horizon']:.1%}. A draw that never pays "
                "back counts as infinitely late, so a payback percentile on such draws reads "
                "'never'."
            )
        )
        from cxroi.present.decisions import report_html

        parts.append(report_html(r.case.kpis["npv"], summary, cur, len(sc.correlations)))
        base_npv = r.case.kpis["npv"] or 0.0
        torn = u.tornado(sc)
        parts.append(
            chart_image(
                uc.histogram_chart(uc.histogram_data(result, cur), cur),
                r.chart_format,
                "NPV across Monte Carlo draws",
            )
            + chart_image(
                uc.fan_chart(uc.fan_data(result), cur),
                r.chart_format,
                "Range of cumulative net cash flow by year",
            )
            + chart_image(
                uc.tornado_chart(uc.tornado_data(torn, base_npv, cur), cur, width=620),
                r.chart_format,
                "Tornado: NPV at P10 and P90 of each input",
            )
        )
        parts.append(
            _table(
                ["Input", "P10", "P90", f"NPV at P10 [{cur}]", f"NPV at P90 [{cur}]"],
                [
                    [
                        t["path"],
                        _value(t["low"]),
                        _value(t["high"]),
                        _amount(t["npv_low"]),
                        _amount(t["npv_high"]),
                    ]
                    for t in torn
                ],
                {1, 2, 3, 4},
            )
        )
    else:
        parts.append(
            _note(
                "No input of this scenario carries a distribution, so there is no Monte Carlo "
                "range. Give uncertain inputs a distribution ({dist: pert, low, mode, high}) "
                "to get one."
            )
        )
    table = u.switching_values(sc).head(REPORT_SWITCHING_ROWS)
    rows = [
        [
            row.path,
            _value(row.base),
            "none in range"
            if finite_or_none(row.switching_value) is None
            else _value(row.switching_value),
            "" if not math.isfinite(row.change) else f"{row.change:+.0%}",
        ]
        for row in table.itertuples()
    ]
    parts.append(
        _table(["Input", "Base", "NPV = 0 at", "Change"], rows, {1, 2, 3})
        + _note(
            "Switching values (HM Treasury Green Book): the value of one input at which the NPV "
            "falls to zero, all others at base; the inputs closest to breaking the case first."
        )
    )
    return "".join(parts)

