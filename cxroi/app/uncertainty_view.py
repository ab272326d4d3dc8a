"""The dashboard's Uncertainty view: Monte Carlo on demand, fan chart, tornado.

The view only reads its widgets, calls :mod:`cxroi.analysis.uncertainty` and writes the results into
widget state (HTML panes drawn by the page's chart script, as the business-case charts are).
It runs when asked (a Monte Carlo of 10,000 draws takes a fraction of a second, but it should
not run on every keystroke) and says when the inputs have changed since the last run.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as W

from cxroi.app import views
from cxroi.model.finite import finite_record
from cxroi.model.scenario import ScenarioError
from cxroi.present.chart_data import UNCERTAINTY_TITLES
from cxroi.present.formatting import format_money, format_pct

if TYPE_CHECKING:
    from cxroi.analysis.uncertainty import SimulationResult

# The Monte Carlo, the tornado and their charts (Altair) are imported on the first run: a
# kernel whose page never opens this tab does not pay for them.


class Host(Protocol):
    """What the view needs from the page that holds it (:class:`cxroi.app.Dashboard`).

    The view reads the last valid scenario, its evaluated case and their revision, and runs
    its button's work through the page's guard (a failure becomes a message, not a
    traceback). Naming only this keeps the view from importing the dashboard that imports it.
    """

    scenario: Any
    case: Any
    rev: int

    def guard(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)``; an unexpected failure is shown as a message."""


#: Draw counts offered.
DRAW_CHOICES = (1_000, 10_000, 50_000, 100_000)
_CHART_SIZE = (370, 210)


_EMPTY = (
    '<div class="cxroi-mc-empty">Run the simulation to see the range of outcomes: '
    "every uncertain input is drawn independently and the whole case re-evaluated "
    "for each draw.</div>"
)

_STALE = (
    '<span class="cxroi-mc-status" data-state="stale">inputs changed since this '
    "run: run again to update</span>"
)


def _shape(scenario: Any) -> tuple:
    """What makes a case a different case: its name, segments and initiatives."""
    return (
        scenario.name,
        tuple(scenario.segment_names),
        tuple(scenario.initiative_names),
    )


def summary_cards(summary: dict, currency: str, horizon: int, spread_note: str = "") -> str:
    """KPI cards of a Monte Carlo summary, with ``data-mc`` hooks holding full precision."""
    npv = summary["npv"]
    payback = summary["payback_years"]
    cards = [
        (
            "prob_npv_positive",
            "P(NPV > 0)",
            format_pct(summary["prob_npv_positive"]),
            summary["prob_npv_positive"],
        ),
        ("npv_p50", "NPV, median", format_money(npv["p50"], currency), npv["p50"]),
        ("npv_p5", "NPV, P5 (downside)", format_money(npv["p5"], currency), npv["p5"]),
        ("npv_p95", "NPV, P95 (upside)", format_money(npv["p95"], currency), npv["p95"]),
        (
            "prob_payback",
            f"Pays back within {horizon} year{'' if horizon == 1 else 's'}",
            format_pct(summary["prob_payback_within_horizon"]),
            summary["prob_payback_within_horizon"],
        ),
        (
            "payback_p50",
            "Payback, median",
            "never" if payback["p50"] is None else f"{payback['p50']:.1f} years",
            payback["p50"],
        ),
    ]
    parts = []
    for key, label, text, value in cards:
        data = "" if value is None else repr(float(value))
        parts.append(
            f'<div class="cxroi-kpi"><div class="cxroi-kpi-label">{html.escape(label)}</div>'
            f'<div class="cxroi-kpi-value" data-mc="{key}" data-value="{data}">'
            f"{html.escape(text)}</div></div>"
        )
    note = f'<div class="cxroi-mc-note">{html.escape(spread_note)}</div>' if spread_note else ""
    return f'<div class="cxroi-kpis cxroi-mc-kpis">{"".join(parts)}</div>{note}'


class UncertaintyView:
    """Monte Carlo, fan chart and tornado of the dashboard's current case.

    Parameters
    ----------
    dashboard : Host
        The dashboard whose last valid scenario is analysed.
    """

    def __init__(self, dashboard: Host):
        self.dashboard = dashboard
        self.rev = 0
        self.result: SimulationResult | None = None
        self._ran_on: int | None = None
        self.draws = W.Dropdown(
            options=[(f"{n:,} draws", n) for n in DRAW_CHOICES],
            value=10_000,
            layout=W.Layout(width="140px"),
        )
        self.draws.add_class("cxroi-mc-draws")
        self.seed = W.BoundedIntText(
            value=1, min=0, max=2**31 - 1, description="seed", layout=W.Layout(width="150px")
        )
        self.spread = W.Checkbox(
            value=True,
            description="±30% on effects without a distribution",
            indent=False,
            layout=W.Layout(width="auto"),
        )
        self.run_button = W.Button(description="Run simulation", button_style="primary")
        self.run_button.add_class("cxroi-mc-run")
        self.run_button.on_click(lambda _: self.dashboard.guard(self.run))
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="160px"))
        self.progress.add_class("cxroi-mc-progress")
        self.status = W.HTML()
        self._ran_shape: tuple | None = None
        self.summary = W.HTML(_EMPTY)
        self.voi = W.HTML()  # expected NPV and the value of information, after a run
        self.voi.add_class("cxroi-voi-holder")
        self.panes = {key: W.HTML() for key in UNCERTAINTY_TITLES}
        cards = []
        for key, pane in self.panes.items():
            title = f'<div class="cxroi-card-title">{UNCERTAINTY_TITLES[key]}</div>'
            card = W.VBox([W.HTML(title), pane])
            card.add_class("cxroi-card")
            if key == "tornado":  # long field names: the tornado takes the whole row
                card.layout.grid_column = "1 / span 2"
            cards.append(card)
        grid = W.GridBox(
            cards,
            layout=W.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="12px"),
        )
        grid.add_class("cxroi-charts")
        controls = W.HBox(
            [self.draws, self.seed, self.spread, self.run_button, self.progress, self.status],
            layout=W.Layout(align_items="center", flex_flow="row wrap", grid_gap="8px"),
        )
        controls.add_class("cxroi-mc-controls")
        self.widget = W.VBox([controls, self.summary, self.voi, grid])
        self.widget.add_class("cxroi-uncertainty")

    def _scenario(self):
        from cxroi.analysis.uncertainty import with_default_spread

        sc = self.dashboard.scenario
        if self.spread.value:
            sc = with_default_spread(sc)
        return sc

    def _is_stale(self) -> bool:
        return self._ran_on is not None and self._ran_on != self.dashboard.rev

    def clear(self) -> None:
        """Remove the results on screen (they belong to another case) and ask for a new run."""
        self.result = None
        self._ran_on = None
        self._ran_shape = None
        self.summary.value = _EMPTY
        self.voi.value = ""
        for pane in self.panes.values():
            pane.value = ""
        self.status.value = (
            '<span class="cxroi-mc-status" data-state="cleared">another case is open: '
            "run again to simulate it</span>"
        )

    def mark_stale(self) -> None:
        """Say that the inputs changed since the results on screen were computed.

        When another case is on screen (another scenario opened or uploaded, a segment or
        initiative added or removed) the old results are cleared instead: they would be read
        as this case's.
        """
        if self._ran_on is None:
            return
        if self._ran_shape != _shape(self.dashboard.scenario):
            self.clear()
        elif self._is_stale():
            self.status.value = _STALE

    def _fail(self, message: str) -> None:
        """Show why a run did not happen, keeping the note that results on screen are old."""
        self.status.value = message + (_STALE if self._is_stale() else "")

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = total
        self.progress.value = done

    def run(self) -> None:
        """Run the Monte Carlo and the tornado on the current case and draw the results."""
        from cxroi.analysis.uncertainty import simulate, tornado
        from cxroi.present import charts
        from cxroi.present.uncertainty_charts import (
            fan_chart,
            fan_data,
            histogram_chart,
            histogram_data,
            tornado_chart,
            tornado_data,
        )

        try:
            sc = self._scenario()
        except ScenarioError as err:  # a spread that cannot apply: show why, keep the rest
            self._fail(views.error_html(str(err)))
            return
        currency = sc.currency
        if not sc.distributions():
            self._fail(
                '<span class="cxroi-mc-status" data-state="none">No input carries a '
                "distribution: give one as {dist: ...} in the scenario, or tick the spread "
                "option.</span>"
            )
            return
        self.run_button.disabled = True
        self.status.value = '<span class="cxroi-mc-status" data-state="running">running…</span>'
        try:
            result = simulate(
                sc,
                draws=int(self.draws.value),
                seed=int(self.seed.value),
                chunk=5_000,
                progress=self._progress,
            )
            rows = tornado(sc)
        except BaseException:  # an error or the time limit (cxroi.app.timelimit)
            # the dashboard's guard shows the error; the note about the old run stays
            self._fail("")
            raise
        finally:
            self.run_button.disabled = False
        self.result = result
        self.rev += 1
        self._ran_on = self.dashboard.rev
        self._ran_shape = _shape(self.dashboard.scenario)
        base_npv = self.dashboard.case.kpis["npv"] or 0.0
        note = "Uncertain inputs: the scenario's distributions" + (
            ", plus ±30% (triangular) on every initiative effect given as a number."
            if self.spread.value
            else "."
        )
        self.summary.value = summary_cards(result.summary, currency, sc.horizon_years, note)
        self.voi.value = voi_html(
            self.dashboard.case.kpis["npv"], result.summary, currency, sc.correlations
        )
        width, height = _CHART_SIZE
        built = {
            "histogram": histogram_chart(histogram_data(result, currency), currency, width, height),
            "fan": fan_chart(fan_data(result), currency, width, height),
            "tornado": tornado_chart(
                tornado_data(rows, base_npv, currency), currency, 2 * width - 60, height
            ),
        }
        for key, chart in built.items():
            spec, rows_, sig = charts.split_spec(chart)
            payload = {"sig": sig, "spec": spec, "rows": [finite_record(r) for r in rows_]}
            self.panes[key].value = views.chart_holder(f"mc_{key}", self.rev, payload)
        self.status.value = (
            f'<span class="cxroi-mc-status" data-state="done" data-rev="{self.rev}">'
            f"{result.summary['draws']:,} draws, seed {result.seed}</span>"
        )


def voi_html(base_npv: float | None, summary: dict, currency: str, correlations: Any = ()) -> str:
    """Expected NPV beside the base case, then EVPI and each field's EVPPI in one sentence.

    With ``correlations`` (the scenario's, docs/model.md §16) each pair is named with its rank
    correlation, and a note says that the tornado moves one input at a time.

    The sentences are :func:`cxroi.present.decisions.information_sentences` (docs/model.md
    §16); hooks: ``[data-voi=expected_npv|npv|evpi]`` and ``[data-evppi=PATH]`` with the
    value at full precision in ``data-value``.
    """
    from cxroi.present.decisions import decision_summary

    info = decision_summary(base_npv, summary, currency)

    def value(x: Any) -> str:
        return "null" if x is None else repr(float(x))

    def span(key: str, x: Any) -> str:
        return (
            f'<span data-voi="{key}" data-value="{value(x)}">'
            f"{html.escape(format_money(x, currency))}</span>"
        )

    head = (
        f"<div>Expected NPV (Monte Carlo mean) {span('expected_npv', info['expected_npv'])} "
        f"against {span('npv', info['npv'])} in the base case; P(NPV &gt; 0) "
        f"{format_pct(info['prob_npv_positive'])}.</div>"
    )
    if correlations:
        pairs = "".join(
            f'<li data-correlation="{html.escape(c.fields[0])}|{html.escape(c.fields[1])}" '
            f'data-value="{float(c.rank)!r}">{html.escape(c.fields[0])} and '
            f"{html.escape(c.fields[1])} move together (rank correlation {c.rank:g})</li>"
            for c in correlations
        )
        head += (
            '<div class="cxroi-correlations">The draws keep these rank correlations; the '
            "tornado moves one input at a time, the others at base."
            f"<ul>{pairs}</ul></div>"
        )
    sentences = info["sentences"]
    if not sentences:
        return f'<div class="cxroi-voi">{head}</div>'
    ordered = sorted(info["evppi"].items(), key=lambda kv: -kv[1])
    items = "".join(
        f'<li data-evppi="{html.escape(path)}" data-value="{value(x)}">{html.escape(text)}</li>'
        for (path, x), text in zip(ordered, sentences[1:], strict=True)
    )
    return (
        f'<div class="cxroi-voi">{head}'
        f'<div data-voi="evpi" data-value="{value(info["evpi"])}">{html.escape(sentences[0])}'
        f"</div><ul>{items}</ul></div>"
    )
