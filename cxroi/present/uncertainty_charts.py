"""Altair charts of the uncertainty analysis: NPV histogram, cash-flow fan, tornado.

Same conventions as :mod:`cxroi.present.charts`: ``*_data`` builds one tidy frame per chart from a
result of :mod:`cxroi.analysis.uncertainty`, ``*_chart`` draws it with the data inline and an
encoding
that does not depend on the values (so a renderer may swap the data only). Static output is
``vl_convert.vegalite_to_svg(chart.to_dict())``.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cxroi.analysis.uncertainty import SimulationResult
from cxroi.model.fields import path_label
from cxroi.model.kpis import kpi_label
from cxroi.present.chart_data import UNCERTAINTY_TITLES
from cxroi.present.charts import (
    PALETTE,
    LayeredChart,
    _config,
    _money_axis,
    wrap_label,
    wrapped_axis,
)
from cxroi.present.formatting import format_money

__all__ = [
    "UNCERTAINTY_TITLES",
    "fan_chart",
    "fan_data",
    "histogram_chart",
    "histogram_data",
    "tornado_chart",
    "tornado_data",
]



def histogram_data(result: SimulationResult, currency: str, bins: int = 40) -> pd.DataFrame:
    """Binned NPV of the draws, plus marker rows for P5, P50, P95 and zero.

    Returns
    -------
    DataFrame
        ``kind`` ("bin" or "marker"), ``x0``, ``x1`` (bin edges, or the marker's value twice),
        ``count`` (draws in the bin), ``share`` (of all draws), ``label``, ``positive``,
        ``text`` (marker caption) and ``rank`` (marker caption row).
    """
    frame = result.draws if result.draws is not None else result.sample
    if frame is None:
        raise ValueError("the simulation result holds neither its draws nor a sample of them")
    npv = frame["npv"].to_numpy()
    npv = npv[np.isfinite(npv)]
    counts, edges = np.histogram(npv, bins=bins)
    total = max(len(npv), 1)
    rows = pd.DataFrame(
        {
            "kind": "bin",
            "x0": edges[:-1],
            "x1": edges[1:],
            "count": counts,
            "share": counts / total,
            "label": [
                f"{format_money(a, currency)} to {format_money(b, currency)}"
                for a, b in zip(edges[:-1], edges[1:], strict=True)
            ],
            "positive": edges[:-1] >= 0,
            "text": "",
            "rank": 0,
        }
    )
    summary = result.summary["npv"]
    markers = [("P5", summary["p5"]), ("P50", summary["p50"]), ("P95", summary["p95"])]
    markers.append(("zero", 0.0))
    marks = pd.DataFrame(
        {
            "kind": "marker",
            "x0": [v for _, v in markers],
            "x1": [v for _, v in markers],
            "count": 0,
            "share": 0.0,
            "label": [name for name, _ in markers],
            "positive": [True] * len(markers),
            "text": [
                "" if name == "zero" else f"{name} {format_money(v, currency)}"
                for name, v in markers
            ],
            "rank": [0, 1, 2, 0],
        }
    )
    return pd.concat([rows, marks], ignore_index=True)


def histogram_chart(
    data: pd.DataFrame, currency: str, width: int = 460, height: int = 240
) -> LayeredChart:
    """NPV histogram with P5, P50, P95 and the zero line."""
    base = alt.Chart(data)
    bars = (
        base.transform_filter(alt.datum.kind == "bin")
        .mark_rect(opacity=0.85, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("x0:Q", axis=_money_axis(currency), title=f"NPV ({currency})"),
            x2="x1:Q",
            y=alt.Y("share:Q", axis=alt.Axis(format="%", title="share of draws")),
            y2=alt.datum(0),
            color=alt.Color(
                "positive:N",
                scale=alt.Scale(
                    domain=[True, False], range=[PALETTE["benefit"], PALETTE["negative"]]
                ),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title=kpi_label("npv", short=True)),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    markers = base.transform_filter(alt.datum.kind == "marker")
    rules = markers.mark_rule(strokeDash=[4, 3]).encode(
        x="x0:Q",
        color=alt.condition(
            alt.datum.label == "zero", alt.value(PALETTE["negative"]), alt.value(PALETTE["net"])
        ),
    )
    labels = markers.mark_text(align="left", dx=3, baseline="top", fontSize=10).encode(
        x="x0:Q", y=alt.YValue(alt.ExprRef("datum.rank * 13")), text="text:N"
    )
    return _config(alt.layer(bars, rules, labels), width, height)


def fan_data(result: SimulationResult) -> pd.DataFrame:
    """Percentiles (5, 25, 50, 75, 95) of the cumulative net cash flow by year."""
    return result.fan()


def fan_chart(
    data: pd.DataFrame, currency: str, width: int = 460, height: int = 240
) -> LayeredChart:
    """Fan chart: P5-P95 and P25-P75 bands of cumulative net cash flow, median line, zero."""
    base = alt.Chart(data).encode(x=alt.X("year:O", title="year", axis=alt.Axis(labelAngle=0)))
    outer = base.mark_area(opacity=0.25, color=PALETTE["net"]).encode(
        y=alt.Y("p5:Q", axis=_money_axis(currency), title=f"cumulative net ({currency})"),
        y2="p95:Q",
    )
    inner = base.mark_area(opacity=0.45, color=PALETTE["net"]).encode(y="p25:Q", y2="p75:Q")
    median = base.mark_line(point=True, color=PALETTE["net"]).encode(
        y="p50:Q",
        tooltip=[
            alt.Tooltip("year:O"),
            alt.Tooltip("p5:Q", format=",.0f", title="P5"),
            alt.Tooltip("p50:Q", format=",.0f", title="P50"),
            alt.Tooltip("p95:Q", format=",.0f", title="P95"),
        ],
    )
    zero = base.mark_rule(color=PALETTE["negative"], strokeDash=[4, 3]).encode(y=alt.datum(0))
    return _config(alt.layer(outer, inner, median, zero), width, height)


def tornado_data(rows: list[dict], base_npv: float, currency: str) -> pd.DataFrame:
    """Long frame of tornado bars: one row per field and end (P10, P90), largest swing first."""
    records = []
    for rank, r in enumerate(rows):
        label = path_label(r["path"])
        for end, value, npv in (("P10", r["low"], r["npv_low"]), ("P90", r["high"], r["npv_high"])):
            records.append(
                {
                    "rank": rank,
                    "field": label,
                    "path": r["path"],
                    "end": end,
                    "value": value,
                    "npv": npv,
                    "base": base_npv,
                    "text": f"{end} = {value:.4g}: NPV {format_money(npv, currency)}",
                    "axis": wrap_label(label, width=30),
                }
            )
    return pd.DataFrame(
        records,
        columns=["rank", "field", "path", "end", "value", "npv", "base", "text", "axis"],
    )


def tornado_chart(
    data: pd.DataFrame, currency: str, width: int = 460, height: int = 240
) -> LayeredChart:
    """Tornado: NPV at each field's P10 and P90 as bars from the base NPV."""
    base = alt.Chart(data)
    bars = base.mark_bar(height={"band": 0.7}).encode(
        y=alt.Y(
            "axis:N",
            sort=alt.EncodingSortField("rank", order="ascending"),
            axis=wrapped_axis(title=None),
        ),
        x=alt.X("npv:Q", axis=_money_axis(currency), scale=alt.Scale(zero=False)),
        x2="base:Q",
        color=alt.Color(
            "end:N",
            scale=alt.Scale(domain=["P10", "P90"], range=[PALETTE["cost"], PALETTE["benefit"]]),
            title=None,
        ),
        tooltip=[alt.Tooltip("field:N", title="Input"), alt.Tooltip("text:N", title="value")],
    )
    rule = base.mark_rule(color=PALETTE["net"]).encode(x="base:Q")
    return _config(alt.layer(bars, rule), width, height)
