"""The dashboard's goal seek: "what value of this field gives ROI = 100%?".

Widgets only: the search is :func:`cxroi.analysis.whatif.goal_seek` (docs/model.md §15) on the
case on screen; this bar reads the field, the KPI and the typed target, and writes the answer
(or "no value in the field's range") with its full-precision value in ``data-value``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as W

from cxroi.app.fields import FieldParseError, FieldSpec, parse_value, pct_reading
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import kpi_label
from cxroi.present.formatting import KPI_KINDS, format_kpi, format_number

__all__ = ["GoalSeekBar", "KPI_TITLES", "parse_target"]

#: KPIs goal seek can aim at (risk-adjusted), with their labels (:mod:`cxroi.model.kpis`).
KPI_TITLES = {
    key: kpi_label(key)
    for key in (
        "npv",
        "roi",
        "irr",
        "payback_years",
        "discounted_payback_years",
        "pv_benefits",
        "pv_costs",
        "customer_equity",
        "npv_with_customer_equity",
    )
}


class Host(Protocol):
    """What the bar needs from the dashboard: the case on screen and the guard."""

    scenario: Any

    def guard(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)``; an unexpected failure is shown as a message."""


def parse_target(kpi: str, text: Any) -> tuple[float, str | None]:
    """The target typed for ``kpi``: a rate for ROI and IRR (``100%``, ``1``), else a number.

    Returns
    -------
    value : float
    note : str or None
        How a bare number was read as a rate (``read 100 as 100%``).

    Raises
    ------
    FieldParseError
        Not a number.
    """
    if not isinstance(text, str) or not text.strip():
        raise FieldParseError("type the value the KPI should reach")
    if KPI_KINDS.get(kpi) == "pct":
        return pct_reading(text.strip())
    return float(parse_value(text, FieldSpec("target", "Target", "number"))), None


class GoalSeekBar:
    """Field, KPI, target and a *Goal seek* button; the answer beside them."""

    def __init__(self, host: Host):
        self.host = host
        self.field = W.Dropdown(options=[], layout=W.Layout(width="300px"))
        self.field.add_class("cxroi-goalseek-field")
        kpis = [(title, key) for key, title in KPI_TITLES.items()]
        self.kpi = W.Dropdown(options=kpis, value="roi", layout=W.Layout(width="170px"))
        self.kpi.add_class("cxroi-goalseek-kpi")
        self.target = W.Text(value="100%", layout=W.Layout(width="90px"))
        self.target.add_class("cxroi-goalseek-target")
        button = W.Button(description="Goal seek", icon="", layout=W.Layout(width="100px"))
        button.add_class("cxroi-goalseek")
        button.on_click(
            lambda _: host.guard(self.run, self.field.value, self.kpi.value, self.target.value)
        )
        self.result = W.HTML()
        equals = W.HTML("<span>=</span>")
        self.widget = W.HBox([self.field, W.HTML("gives"), self.kpi, equals, self.target, button])
        self.widget = W.VBox([self.widget, self.result])
        self.widget.add_class("cxroi-goalseek-bar")

    def refresh(self, paths: list[str]) -> None:
        """Offer the fields of the case on screen; clear an answer about an older case."""
        if list(self.field.options) != paths:
            keep = self.field.value
            self.field.options = paths
            if keep in paths:
                self.field.value = keep
            elif paths:
                self.field.value = paths[0]
        self.result.value = ""

    def run(self, path: Any, kpi: Any, text: Any) -> None:
        """Search the value of ``path`` at which ``kpi`` equals the typed target."""
        from cxroi.analysis.whatif import goal_seek
        from cxroi.model.scenario import base_value

        sc = self.host.scenario
        if path not in sc.fields() or kpi not in KPI_TITLES:
            self.result.value = ""
            return
        try:
            target, note = parse_target(kpi, text)
        except FieldParseError as exc:
            self.result.value = (
                f'<div class="cxroi-error" data-field="goalseek">Target: {html.escape(str(exc))}'
                "</div>"
            )
            return
        value = goal_seek(sc, path, kpi, target)["value"]
        goal = f"{KPI_TITLES[kpi]} = {format_kpi(kpi, target, sc.currency)}"
        if finite_or_none(value) is None:
            text_out = f"No value of {path} in the field's range gives {goal}."
            data = "null"
        else:
            now = base_value(sc.fields()[path])
            text_out = (
                f"{goal} when {path} is {format_number(value)} (now {format_number(float(now))})."
            )
            data = repr(float(value))
        if note:
            text_out += f" (Target {note}.)"
        self.result.value = (
            f'<span class="cxroi-goalseek-result" data-path="{html.escape(path)}" '
            f'data-goal-kpi="{html.escape(kpi)}" data-target="{target!r}" '
            f'data-value="{data}">{html.escape(text_out)}</span>'
        )
