"""Altair chart builders for the business case, shared by the dashboard and the report.

Two kinds of pure functions live here:

* ``*_data(case)`` turns a :class:`cxroi.BusinessCase` into one tidy :class:`pandas.DataFrame`
  per chart (labels already formatted for executives); they live in
  :mod:`cxroi.present.chart_data`, which needs no Altair, and are re-exported here;
* ``*_chart(data, ...)`` turns that frame into an :class:`altair.Chart` with the data inline.

Every chart reads exactly one data frame and nothing in its encoding depends on the values, so
a renderer may keep the specification and swap only the data (the dashboard does; see
:func:`split_spec`). Static output for the batch report is ``chart.save("x.svg")`` or
``vl_convert.vegalite_to_svg(chart.to_dict())``.

Examples
--------
>>> import cxroi, cxroi.present.charts as ch
>>> case = cxroi.evaluate(cxroi.load_scenario("scenarios/default.yaml"))
>>> chart = ch.cashflow_chart(ch.cashflow_data(case), currency="USD")
>>> len(chart.to_dict()["datasets"]) == 1  # the data travel inline, one frame per chart
True
"""

from __future__ import annotations

from typing import Any, TypeVar

import altair as alt
import pandas as pd

from cxroi.model.kpis import kpi_label
from cxroi.present.chart_data import (
    _SCENARIOS,
    CHART_TITLES,
    LABEL_LINE,
    LABEL_LINES,
    MAX_ATTRIBUTED,
    _currency,
    _records_safe,
    bridge_data,
    cashflow_data,
    clv_data,
    customers_data,
    initiative_data,
    json_rows,
    spec_signature,
    wrap_label,
)

__all__ = [
    "CHART_TITLES",
    "LABEL_LINE",
    "LABEL_LINES",
    "MAX_ATTRIBUTED",
    "PALETTE",
    "all_charts",
    "bridge_chart",
    "bridge_data",
    "cashflow_chart",
    "cashflow_data",
    "clv_chart",
    "clv_data",
    "customers_chart",
    "customers_data",
    "initiative_chart",
    "initiative_data",
    "json_rows",
    "split_spec",
    "wrap_label",
]

#: Board-pack colours: benefits, costs, net, baseline, negative, accent.
PALETTE = {
    "benefit": "#2a9d8f",
    "cost": "#8d99ae",
    "net": "#1d3557",
    "baseline": "#adb5bd",
    "negative": "#c0392b",
    "accent": "#e9a23b",
}


_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

#: A top-level Altair chart (single, layered...); configuring it keeps its kind.
_Top = TypeVar("_Top", bound=alt.TopLevelMixin)
#: What ``alt.layer`` returns: a layered chart, or a faceted one when every layer shares a
#: facet encoding (ours never do, but Altair types the result as either).
LayeredChart = alt.LayerChart | alt.FacetChart


def _config(chart: _Top, width: int, height: int) -> _Top:
    return (
        chart.properties(width=width, height=height)
        .configure(font=_FONT, background="transparent")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor="#495057",
            titleColor="#495057",
            gridColor="#e9ecef",
            domainColor="#ced4da",
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
        )
        .configure_legend(orient="top", title=None, labelFontSize=11, symbolSize=80)
    )


def wrapped_axis(**kwargs) -> alt.Axis:
    r"""Axis whose labels are the ``"\n"``-joined lines of :func:`wrap_label`, one per row."""
    return alt.Axis(labelExpr="split(datum.label, '\\n')", labelLimit=0, **kwargs)


def _money_axis(currency: str) -> alt.Axis:
    # Vega's "~s" SI format writes 2.5M as "2.5M" and 2.5e9 as "2.5G": use a label expression
    # with B for billions, which executives read.
    expr = (
        "abs(datum.value) >= 1e9 ? format(datum.value / 1e9, '~r') + 'B' : "
        "abs(datum.value) >= 1e6 ? format(datum.value / 1e6, '~r') + 'M' : "
        "abs(datum.value) >= 1e3 ? format(datum.value / 1e3, '~r') + 'K' : "
        "format(datum.value, '~r')"
    )
    return alt.Axis(labelExpr=expr, title=currency, tickCount=5)


# --------------------------------------------------------------------------- cash flow


def cashflow_chart(
    data: pd.DataFrame, currency: str = "USD", width: int = 460, height: int = 260
) -> LayeredChart:
    """Bars of yearly benefits (up) and costs (down), the cumulative net line, payback marked.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`cashflow_data`.
    currency : str
        ISO code for the axis title.
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
    """
    base = alt.Chart(_records_safe(data))
    colour = alt.Color(
        "series:N",
        scale=alt.Scale(
            domain=["Benefits", "Costs", "Cumulative net"],
            range=[PALETTE["benefit"], PALETTE["cost"], PALETTE["net"]],
        ),
    )
    tooltip = [
        alt.Tooltip("series:N", title=" "),
        alt.Tooltip("year:Q", title="Year"),
        alt.Tooltip("label:N", title="Amount"),
    ]
    x_axis = alt.Axis(title="Year", tickMinStep=1, format="d", grid=False)
    bars = (
        base.transform_filter(alt.datum.kind == "bar")
        .transform_calculate(base="0")
        .mark_bar()
        .encode(
            x=alt.X("x0:Q", axis=x_axis),
            x2="x1:Q",
            y=alt.Y("value:Q", axis=_money_axis(currency)),
            y2="base:Q",
            color=colour,
            tooltip=tooltip,
        )
    )
    line = (
        base.transform_filter(alt.datum.kind == "line")
        .mark_line(point=alt.OverlayMarkDef(size=40, filled=True), strokeWidth=2.5)
        .encode(x="year:Q", y="value:Q", color=colour, tooltip=tooltip)
    )
    zero = (
        base.transform_filter(alt.datum.kind == "line")
        .transform_aggregate(count="count()")
        .transform_calculate(zero="0")
        .mark_rule(color="#868e96", strokeWidth=1)
        .encode(y="zero:Q")
    )
    payback = base.transform_filter(alt.datum.kind == "payback")
    payback_rule = payback.mark_rule(
        color=PALETTE["accent"], strokeDash=[5, 3], strokeWidth=2
    ).encode(x="year:Q", tooltip=[alt.Tooltip("label:N", title=" ")])
    payback_text = payback.mark_text(
        align="left", baseline="top", dx=4, y=2, color="#b26b00", fontWeight="bold"
    ).encode(x="year:Q", text="label:N")
    return _config(alt.layer(bars, zero, line, payback_rule, payback_text), width, height)


# --------------------------------------------------------------------------- value bridge


def bridge_chart(
    data: pd.DataFrame, currency: str = "USD", width: int = 460, height: int = 260
) -> LayeredChart:
    """Value bridge (waterfall) from levers to PV benefits, then to NPV.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`bridge_data`.
    currency : str
        ISO code for the axis title.
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
    """
    base = alt.Chart(_records_safe(data)).encode(
        x=alt.X(
            "step:N",
            sort=alt.EncodingSortField(field="order", op="min"),
            axis=alt.Axis(title=None, labelAngle=0, labelLimit=70, labelFontSize=10),
        )
    )
    bars = base.mark_bar(size=30).encode(
        y=alt.Y("start:Q", axis=_money_axis(currency)),
        y2="end:Q",
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(
                domain=["increase", "decrease", "total"],
                range=[PALETTE["benefit"], PALETTE["negative"], PALETTE["net"]],
            ),
            legend=None,
        ),
        tooltip=[alt.Tooltip("step:N", title=" "), alt.Tooltip("label:N", title="Value")],
    )
    text = base.mark_text(dy=-4, baseline="bottom", fontSize=10, color="#343a40").encode(
        y="top:Q", text="label:N"
    )
    # an invisible point 12% above the tallest bar keeps the labels inside the plot
    headroom = (
        base.transform_calculate(headroom="datum.top > 0 ? datum.top * 1.12 : 0")
        .mark_point(opacity=0)
        .encode(y="headroom:Q")
    )
    return _config(alt.layer(bars, text, headroom), width, height)


# --------------------------------------------------------------------------- initiatives


def initiative_chart(
    data: pd.DataFrame, currency: str = "USD", width: int = 460, height: int = 260
) -> LayeredChart:
    """Horizontal bars of NPV by initiative; value destroyers in red.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`initiative_data`.
    currency : str
        ISO code for the axis title.
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
    """
    source = alt.Chart(_records_safe(data))
    tooltip = [
        alt.Tooltip("initiative:N", title=" "),
        alt.Tooltip("label:N", title=kpi_label("npv", short=True)),
    ]
    base = source.transform_filter(alt.datum.kind == "bar").encode(
        y=alt.Y(
            "axis:N",
            sort=alt.EncodingSortField(field="value", op="max", order="descending"),
            axis=wrapped_axis(title=None),
        ),
        x=alt.X("value:Q", axis=_money_axis(currency)),
    )
    bars = base.mark_bar(height={"band": 0.6}).encode(
        color=alt.Color(
            "sign:N",
            scale=alt.Scale(
                domain=["creates value", "destroys value"],
                range=[PALETTE["benefit"], PALETTE["negative"]],
            ),
        ),
        tooltip=tooltip,
    )
    # Each label sits beyond its bar's end: right of a gain, left of a loss (never over the
    # bar or the initiative names), with room kept for it by an unseen point a fifth of the
    # values' span further out (the x domain then takes it in).
    text = [
        base.transform_filter(alt.datum.value >= 0)
        .mark_text(align="left", dx=4, fontSize=11, color="#343a40")
        .encode(text="label:N", tooltip=tooltip),
        base.transform_filter(alt.datum.value < 0)
        .mark_text(align="right", dx=-4, fontSize=11, color="#343a40")
        .encode(text="label:N", tooltip=tooltip),
    ]
    room = (
        base.transform_joinaggregate(top="max(value)", low="min(value)")
        .transform_calculate(
            reach="datum.value + (datum.value < 0 ? -0.2 : 0.2)"
            " * (max(datum.top, 0) - min(datum.low, 0))"
        )
        .mark_point(opacity=0)
        .encode(x=alt.X("reach:Q", axis=_money_axis(currency)))
    )
    note = (
        source.transform_filter(alt.datum.kind == "note")
        .mark_text(align="left", baseline="top", x=0, y=8, fontSize=12, color="#6c757d",
                   lineBreak="\n", limit=0)
        .encode(text="label:N")
    )
    return _config(alt.layer(bars, *text, room, note), width, height)


# --------------------------------------------------------------------------- CLV


def clv_chart(
    data: pd.DataFrame, currency: str = "USD", width: int = 460, height: int = 260
) -> alt.Chart:
    """Grouped bars: CLV of a new customer per segment, baseline against with CX.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`clv_data`.
    currency : str
        ISO code for the axis title.
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.Chart
    """
    chart = (
        alt.Chart(_records_safe(data))
        .mark_bar()
        .encode(
            x=alt.X("axis:N", axis=wrapped_axis(title=None, labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", sort=list(_SCENARIOS)),
            y=alt.Y("value:Q", axis=_money_axis(currency)),
            color=_scenario_colour(),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("scenario:N", title=" "),
                alt.Tooltip("label:N", title="CLV"),
            ],
        )
    )
    return _config(chart, width, height)


# --------------------------------------------------------------------------- customers


def customers_chart(data: pd.DataFrame, width: int = 460, height: int = 260) -> alt.Chart:
    """Lines of active customers over time, baseline (dashed) against with CX.

    The count axis starts at zero (a truncated axis would exaggerate the gap between the
    lines) and a legend names the two lines.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`customers_data`.
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.Chart
    """
    count_axis = alt.Axis(
        title="Customers",
        tickCount=5,
        labelExpr=(
            "abs(datum.value) >= 1e6 ? format(datum.value / 1e6, '~r') + 'M' : "
            "abs(datum.value) >= 1e3 ? format(datum.value / 1e3, '~r') + 'K' : "
            "format(datum.value, '~r')"
        ),
    )
    chart = (
        alt.Chart(_records_safe(data))
        .mark_line(point=alt.OverlayMarkDef(size=36, filled=True), strokeWidth=2.5)
        .encode(
            x=alt.X("year:Q", axis=alt.Axis(title="Year", tickMinStep=1, format="d", grid=False)),
            y=alt.Y("value:Q", axis=count_axis, scale=alt.Scale(zero=True)),
            color=_scenario_colour(
                legend=alt.Legend(title=None, orient="top", symbolType="stroke")
            ),
            strokeDash=alt.StrokeDash(
                "scenario:N",
                scale=alt.Scale(domain=list(_SCENARIOS), range=[[5, 4], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("year:Q", title="End of year"),
                alt.Tooltip("scenario:N", title=" "),
                alt.Tooltip("label:N", title="Customers"),
            ],
        )
    )
    return _config(chart, width, height)


# --------------------------------------------------------------------------- helpers


def _scenario_colour(**kwargs: Any) -> alt.Color:
    """Colour by scenario: baseline grey, with CX in the benefit colour."""
    scale = alt.Scale(domain=list(_SCENARIOS), range=[PALETTE["baseline"], PALETTE["benefit"]])
    return alt.Color("scenario:N", scale=scale, **kwargs)


def all_charts(
    case: Any, currency: str | None = None, width: int = 460, height: int = 260
) -> dict[str, alt.TopLevelMixin]:
    """Every chart of the business case, keyed as in :data:`CHART_TITLES`.

    Parameters
    ----------
    case : cxroi.BusinessCase
        Evaluated case.
    currency : str, optional
        ISO code; defaults to the case's scenario currency.
    width, height : int
        Plot size of each chart [px].

    Returns
    -------
    dict of str to altair chart
    """
    currency = currency or _currency(case)
    size = {"width": width, "height": height}
    return {
        "cashflow": cashflow_chart(cashflow_data(case, currency), currency, **size),
        "bridge": bridge_chart(bridge_data(case, currency), currency, **size),
        "initiatives": initiative_chart(initiative_data(case, currency), currency, **size),
        "clv": clv_chart(clv_data(case, currency), currency, **size),
        "customers": customers_chart(customers_data(case), **size),
    }


def split_spec(chart: alt.TopLevelMixin) -> tuple[dict, list, str]:
    """Split a single-data-source chart into its specification and its data rows.

    Parameters
    ----------
    chart : altair chart
        A chart whose layers all read the top-level data (as every builder here does).

    Returns
    -------
    spec : dict
        Vega-Lite specification whose data is the named source ``"table"``, with no rows.
    rows : list of dict
        The data rows.
    signature : str
        Hash of ``spec``: equal signatures mean only the data changed.
    """
    spec = chart.to_dict(validate=False)
    datasets = spec.pop("datasets", {})
    data = spec.get("data", {})
    if "name" in data:
        rows = datasets.get(data["name"], [])
    else:
        rows = data.get("values", [])
    spec["data"] = {"name": "table"}
    return spec, rows, spec_signature(spec)
