"""The data of the business-case charts, and their specifications' signature, without Altair.

The first half of :mod:`cxroi.present.charts`: ``*_data(case)`` turns a
:class:`cxroi.BusinessCase` into one tidy :class:`pandas.DataFrame` per chart (labels already
formatted for executives), :func:`json_rows` into the JSON rows a page draws, and
:func:`spec_signature` names a Vega-Lite specification. Nothing here imports Altair, so the
dashboard can send new data for a chart whose specification it already holds (see
:mod:`cxroi.app.chart_specs`) without loading Altair and jsonschema; the chart builders are in
:mod:`cxroi.present.charts`, which re-exports every name of this module.

Examples
--------
>>> import cxroi, cxroi.present.chart_data as cd
>>> case = cxroi.evaluate(cxroi.load_scenario("scenarios/default.yaml"))
>>> list(cd.bridge_data(case, "USD")["kind"])[-1]  # the bridge ends on the NPV, a total
'total'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxroi.engine.attribution import MAX_EXACT_PLAYERS
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label, lever_label
from cxroi.model.scenario import LEVERS
from cxroi.present.formatting import format_count, format_money, format_years

__all__ = [
    "CHART_TITLES",
    "LABEL_LINE",
    "LABEL_LINES",
    "MAX_ATTRIBUTED",
    "bridge_data",
    "cashflow_data",
    "clv_data",
    "customers_data",
    "initiative_data",
    "json_rows",
    "spec_signature",
    "UNCERTAINTY_TITLES",
    "wrap_label",
]


#: Chart key -> title shown above the chart.
CHART_TITLES = {
    "cashflow": "Benefits, costs and cumulative net by year",
    "bridge": "Value bridge: levers to NPV (present value)",
    "initiatives": "Value by initiative (NPV share)",
    "clv": "Customer lifetime value per segment",
    "customers": "Active customers",
}


#: Uncertainty chart key -> title (the charts: :mod:`cxroi.present.uncertainty_charts`).
UNCERTAINTY_TITLES = {
    "histogram": "NPV across Monte Carlo draws",
    "fan": "Cumulative net cash flow: range of outcomes",
    "tornado": "What moves the NPV most (P10 to P90 of each input)",
}


#: Most initiatives whose NPV is split exactly (Shapley) among them.
MAX_ATTRIBUTED = MAX_EXACT_PLAYERS


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


def _records_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace non-finite numbers (NaN, an infinite CLV) by None: the frame must be valid JSON."""
    finite = frame.apply(
        lambda col: np.isfinite(col) if pd.api.types.is_float_dtype(col) else col.notna()
    )
    return frame.astype(object).where(finite, None)


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as JSON-safe records (non-finite numbers become None)."""
    return _records_safe(frame).to_dict("records")


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


def _currency(case: Any) -> str:
    scenario = getattr(case, "scenario", None)
    return str(getattr(scenario, "currency", "USD"))



def spec_signature(spec: dict) -> str:
    """Short hash of a Vega-Lite specification: equal signatures, equal specifications.

    The hash (SHA-1, first 16 hex digits) is of the specification's JSON text with sorted keys,
    so it does not depend on the order the specification was built in.
    """
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:16]
