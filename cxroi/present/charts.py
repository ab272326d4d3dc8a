"""Altair chart builders for the business case, shared by the dashboard and the report.

Two kinds of pure functions live here:

* ``*_data(case)`` turns a :class:`cxroi.BusinessCase` into one tidy :class:`pandas.DataFrame`
  per chart (labels already formatted for executives);
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

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
import numpy as np
import pandas as pd

from cxroi.engine.attribution import MAX_EXACT_PLAYERS
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label, lever_label
from cxroi.model.scenario import LEVERS
from cxroi.present.formatting import format_count, format_money, format_years

__all__ = [
    "CHART_TITLES",
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

#: Chart key -> title shown above the chart.
CHART_TITLES = {
    "cashflow": "Benefits, costs and cumulative net by year",
    "bridge": "Value bridge: levers to NPV (present value)",
    "initiatives": "Value by initiative (NPV share)",
    "clv": "Customer lifetime value per segment",
    "customers": "Active customers",
}

#: Most initiatives whose NPV is split exactly (Shapley) among them.
MAX_ATTRIBUTED = MAX_EXACT_PLAYERS

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


#: Longest line of a wrapped axis label [characters], and most lines shown.
LABEL_LINE = 22
LABEL_LINES = 3


def wrap_label(text: str, width: int = LABEL_LINE, lines: int = LABEL_LINES) -> str:
    r"""``text`` broken at spaces into at most ``lines`` lines of about ``width`` characters.

    What does not fit is cut with an ellipsis at the end of the last line; charts show the
    full text on hover (tooltip). Lines are joined with ``"\n"`` (see :func:`wrapped_axis`).

    Examples
    --------
    >>> wrap_label("Omnichannel service redesign")
    'Omnichannel service\nredesign'
    >>> wrap_label("A" * 30, width=10, lines=1)
    'AAAAAAAAA…'
    """
    words = str(text).split()
    out: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not out:
        out.append(line)
    out = [w if len(w) <= width else w[: width - 1] + "…" for w in out]
    if len(out) > lines:
        last = " ".join(out[lines - 1 :])
        out = out[: lines - 1] + [last[: width - 1].rstrip() + "…"]
    return "\n".join(out)


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


def _records_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace non-finite numbers (NaN, an infinite CLV) by None: the frame must be valid JSON."""
    finite = frame.apply(
        lambda col: np.isfinite(col) if pd.api.types.is_float_dtype(col) else col.notna()
    )
    return frame.astype(object).where(finite, None)


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as JSON-safe records (non-finite numbers become None)."""
    return _records_safe(frame).to_dict("records")


# --------------------------------------------------------------------------- cash flow


def cashflow_data(case: Any, currency: str | None = None) -> pd.DataFrame:
    """Yearly benefits, costs, cumulative net and the payback point as one long frame.

    Parameters
    ----------
    case : cxroi.BusinessCase
        Evaluated case; ``case.cashflow`` (risk-adjusted) and ``case.kpis["payback_years"]``
        are read, and ``case.scenario.currency`` when present.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``bar``, ``line`` or ``payback``), ``series``, ``year``, ``x0``,
        ``x1``, ``value`` [currency] and ``label``.
    """
    cf = case.cashflow
    currency = currency or _currency(case)
    rows: list[tuple[str, str, float, float, float, float, str]] = []
    for index, values in cf.iterrows():
        year = int(index)
        for kind, series, x0, x1, value in (
            ("bar", "Benefits", year - 0.38, year - 0.02, float(values["benefits"])),
            ("bar", "Costs", year + 0.02, year + 0.38, -float(values["costs"])),
            ("line", "Cumulative net", year, year, float(values["cumulative_net"])),
        ):
            rows.append((kind, series, year, x0, x1, value, format_money(value, currency)))
    payback = finite_or_none(case.kpis.get("payback_years"))
    if payback is not None:
        name = kpi_label("payback_years")
        label = f"{name} {format_years(payback)}"
        rows.append(("payback", name, payback, payback, payback, 0.0, label))
    frame = pd.DataFrame(rows, columns=["kind", "series", "year", "x0", "x1", "value", "label"])
    return frame


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


def bridge_data(case: Any, currency: str | None = None) -> pd.DataFrame:
    """Waterfall steps from the lever attribution of PV benefits, minus PV costs, to NPV.

    Returns
    -------
    pandas.DataFrame
        Columns ``order``, ``step``, ``kind`` (``increase``, ``decrease``, ``total``),
        ``start``, ``end`` [currency], ``value`` and ``label``.
    """
    currency = currency or _currency(case)
    rows = []
    level = 0.0
    for lever in LEVERS:
        label = lever_label(lever)
        value = float(case.by_lever.get(lever, 0.0))
        rows.append((label, "increase" if value >= 0 else "decrease", level, level + value, value))
        level += value
    pv_benefits = float(case.kpis["pv_benefits"])
    pv_costs = float(case.kpis["pv_costs"])
    npv = float(case.kpis["npv"])
    rows.append(("Benefits", "total", 0.0, pv_benefits, pv_benefits))
    rows.append(("Costs", "decrease", pv_benefits, pv_benefits - pv_costs, -pv_costs))
    rows.append((kpi_label("npv", short=True), "total", 0.0, npv, npv))
    frame = pd.DataFrame(rows, columns=["step", "kind", "start", "end", "value"])
    frame.insert(0, "order", range(len(frame)))
    frame["label"] = [format_money(v, currency) for v in frame["value"]]
    frame["top"] = frame[["start", "end"]].max(axis=1)
    return frame


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


def initiative_data(case: Any, currency: str | None = None) -> pd.DataFrame:
    """NPV attributed to each initiative (Shapley), largest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``bar``, or ``note`` for a message), ``initiative``, ``value``
        [currency], ``sign`` and ``label``. When the attribution is not available (exact
        Shapley values are computed for at most :data:`MAX_ATTRIBUTED` initiatives, because
        the cost doubles with each one) the frame holds one ``note`` row whose ``label`` says
        why, so the card is never blank.
    """
    currency = currency or _currency(case)
    values = case.by_initiative
    columns = ["kind", "initiative", "value", "sign", "label"]
    if values is None:
        scenario = getattr(case, "scenario", None)
        count = len(getattr(scenario, "initiatives", []) or [])
        message = (
            f"Not shown for {count} initiatives: NPV is split exactly\n"
            f"(Shapley) among at most {MAX_ATTRIBUTED} initiatives.\n"
            "Remove or merge initiatives to see it."
        )
        return pd.DataFrame([("note", "", 0.0, "", message)], columns=columns)
    frame = pd.DataFrame(
        {"initiative": list(values), "value": [float(v) for v in values.values()]},
        columns=["initiative", "value"],
    )
    frame = frame.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "kind", "bar")
    frame["sign"] = ["creates value" if v >= 0 else "destroys value" for v in frame["value"]]
    frame["label"] = [format_money(v, currency) for v in frame["value"]]
    frame["axis"] = [wrap_label(name) for name in frame["initiative"]]
    return frame[columns + ["axis"]]


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
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#343a40").encode(
        text="label:N",
        tooltip=tooltip,
    )
    note = (
        source.transform_filter(alt.datum.kind == "note")
        .mark_text(align="left", baseline="top", x=0, y=8, fontSize=12, color="#6c757d",
                   lineBreak="\n", limit=0)
        .encode(text="label:N")
    )
    return _config(alt.layer(bars, text, note), width, height)


# --------------------------------------------------------------------------- CLV


def clv_data(case: Any, currency: str | None = None) -> pd.DataFrame:
    """CLV per segment, baseline and with CX, as a long frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``scenario`` (``Baseline``/``With CX``), ``value`` [currency]
        and ``label``.
    """
    money = currency or _currency(case)
    frame = _baseline_with_cx(
        case.by_segment, "segment", str, ("clv_baseline", "clv_with_cx"),
        lambda v: format_money(v, money),
    )  # fmt: skip
    frame["axis"] = [wrap_label(name, width=18) for name in frame["segment"]]
    return frame


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


def customers_data(case: Any) -> pd.DataFrame:
    """Active customers at the end of each year (all segments), baseline and with CX.

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``scenario`` (``Baseline``/``With CX``), ``value`` [customers] and
        ``label``.
    """
    totals = case.customers.groupby("year")[["baseline", "with_cx"]].sum()
    return _baseline_with_cx(totals, "year", int, ("baseline", "with_cx"), format_count)


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


#: The two scenarios a baseline-against-CX chart compares, in drawing order.
_SCENARIOS = ("Baseline", "With CX")


def _baseline_with_cx(
    frame: pd.DataFrame,
    key: str,
    as_key: Callable[[Any], Any],
    columns: tuple[str, str],
    fmt: Callable[[float], str],
) -> pd.DataFrame:
    """Two columns of ``frame`` (baseline, with CX) as a long frame, labelled with ``fmt``.

    One row per index value and scenario: columns ``key`` (``as_key`` of the index),
    ``scenario`` (:data:`_SCENARIOS`), ``value`` and ``label``.
    """
    rows = []
    for index, row in frame.iterrows():
        for scenario, column in zip(_SCENARIOS, columns, strict=True):
            rows.append((as_key(index), scenario, float(row[column])))
    out = pd.DataFrame(rows, columns=[key, "scenario", "value"])
    out["label"] = [fmt(v) for v in out["value"]]
    return out


def _scenario_colour(**kwargs: Any) -> alt.Color:
    """Colour by scenario: baseline grey, with CX in the benefit colour."""
    scale = alt.Scale(domain=list(_SCENARIOS), range=[PALETTE["baseline"], PALETTE["benefit"]])
    return alt.Color("scenario:N", scale=scale, **kwargs)


def _currency(case: Any) -> str:
    scenario = getattr(case, "scenario", None)
    return str(getattr(scenario, "currency", "USD"))


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
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    signature = hashlib.sha1(text.encode()).hexdigest()[:16]
    return spec, rows, signature
