"""The dashboard's business-case view: headline, KPI cards, break-even, goal seek, charts, TEI.

Widgets only: every figure is the case on screen's (:class:`cxroi.BusinessCase`), formatted by
:mod:`cxroi.app.views`; the charts are :mod:`cxroi.present.charts`.

Charts travel as widget state (no ``Output`` widget, see voila#1428): each chart is an
``ipywidgets.HTML`` holding its Vega-Lite specification and data rows, drawn in the browser by
the Vega bundle served with the page. The specification is built once per layout (and kept
on disk for the next kernel, :mod:`cxroi.app.chart_specs`, so a kernel whose specifications
are kept never imports Altair); an update sends only new rows, and the page swaps the data of
the live view.

When the scenario has distributions, the NPV card also shows the Monte Carlo range of the NPV
(the board pack's draws and seed), re-run once the inputs have been still for
:data:`AUTO_MC_DELAY` seconds.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from cxroi.app import views
from cxroi.app.chart_specs import chart_spec
from cxroi.app.editor import echo_number
from cxroi.app.goalseek_bar import GoalSeekBar
from cxroi.app.page import Page
from cxroi.model.scenario import base_value
from cxroi.present import chart_data
from cxroi.present.headline import headline, switching_recovery

__all__ = ["AUTO_MC_DELAY", "CHARTS", "CHART_SIZE", "CaseViewMixin"]


def _charts() -> Any:
    """:mod:`cxroi.present.charts` (Altair), imported when a specification must be built."""
    from cxroi.present import charts

    return charts


#: Chart key -> (data function, chart builder(data, currency, width, height)).
CHARTS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "cashflow": (chart_data.cashflow_data, lambda d, c, w, h: _charts().cashflow_chart(d, c, w, h)),
    "bridge": (chart_data.bridge_data, lambda d, c, w, h: _charts().bridge_chart(d, c, w, h)),
    "initiatives": (
        chart_data.initiative_data,
        lambda d, c, w, h: _charts().initiative_chart(d, c, w, h),
    ),
    "clv": (chart_data.clv_data, lambda d, c, w, h: _charts().clv_chart(d, c, w, h)),
    "customers": (
        lambda case, currency: chart_data.customers_data(case),
        lambda d, c, w, h: _charts().customers_chart(d, w, h),
    ),
}

#: Quiet time after a change before the NPV card's Monte Carlo re-runs [s].
AUTO_MC_DELAY = 0.4

#: Chart size [px] by mode.
CHART_SIZE = {False: (370, 210), True: (580, 280)}


class CaseViewMixin(Page):
    """The business-case view of :class:`cxroi.app.dashboard.Dashboard`."""

    def _build_case_view(self) -> None:
        """Make the banner, the views' tabs (business case first) and ``self.main``."""
        self.banner = W.HTML()
        self.banner.add_class("cxroi-banner")
        self.kpis = W.HTML()
        self.chart_panes = {key: W.HTML() for key in CHARTS}
        cards = []
        for key, pane in self.chart_panes.items():
            title = f'<div class="cxroi-card-title">{chart_data.CHART_TITLES[key]}</div>'
            card = W.VBox([W.HTML(title), pane])
            if key == "initiatives":  # standalone and last-in beside Shapley
                self.initiative_values = W.HTML()
                card.children = (*card.children, self.initiative_values)
            card.add_class("cxroi-card")
            cards.append(card)
        self.tei = W.HTML()
        self.unquantified = W.HTML()
        tei_card = W.VBox(
            [
                W.HTML('<div class="cxroi-card-title">TEI cash-flow table</div>'),
                self.tei,
                self.unquantified,
            ]
        )
        tei_card.add_class("cxroi-card")
        grid = W.GridBox(
            cards + [tei_card],
            layout=W.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="12px"),
        )
        grid.add_class("cxroi-charts")
        self.headline = W.HTML()
        self.sources = W.HTML()
        self.breakeven_field = W.Dropdown(options=[], layout=W.Layout(width="360px"))
        self.breakeven_field.add_class("cxroi-breakeven-field")
        breakeven_button = W.Button(
            description="Break-even", icon="", layout=W.Layout(width="100px")
        )
        breakeven_button.add_class("cxroi-breakeven")
        breakeven_button.on_click(lambda _: self._guard(self.breakeven, self.breakeven_field.value))
        self.breakeven_result = W.HTML()
        breakeven_bar = W.HBox([self.breakeven_field, breakeven_button, self.breakeven_result])
        breakeven_bar.add_class("cxroi-breakeven-bar")
        self.goalseek = GoalSeekBar(self)  # "what value of this field gives ROI = 100%?"
        case_view = W.VBox(
            [self.headline, self.kpis, breakeven_bar, self.goalseek.widget, grid, self.sources]
        )
        # Further views (the uncertainty analysis) are added with add_view.
        self.views = W.Tab(children=[case_view], titles=["Business case"])
        self.main = W.VBox([self.banner, self.views], layout=W.Layout(flex="1 1 auto"))
        self.main.add_class("cxroi-main")

    def add_view(self, title: str, widget: W.Widget) -> None:
        """Add an output view as a tab beside the business case (e.g. uncertainty)."""
        self.views.children = tuple(self.views.children) + (widget,)
        self.views.set_title(len(self.views.children) - 1, title)

    # -- charts and tables
    def chart_payload(self, key: str) -> dict:
        """Specification (cached per layout) and data rows of chart ``key`` for this case."""
        data_fn, build = CHARTS[key]
        currency = self.scenario.currency
        data = data_fn(self.case, currency)
        width, height = CHART_SIZE[self.present]
        cache_key = (key, currency, self.present)
        if cache_key not in self._specs:
            self._specs[cache_key] = chart_spec(
                key, currency, width, height, lambda: build(data, currency, width, height)
            )
        spec, sig = self._specs[cache_key]
        rows = chart_data.json_rows(data)
        return {"sig": sig, "spec": spec, "rows": rows}

    def _render_charts(self) -> None:
        """The charts whose data changed, the TEI table and the initiatives' values."""
        case, sc = self.case, self.scenario
        for key, pane in self.chart_panes.items():
            payload = self.chart_payload(key)
            marker = f"{payload['sig']}:{payload['rows']}"
            if self._sent.get(key) != marker:
                self._sent[key] = marker
                pane.value = views.chart_holder(key, self.rev, payload)
        if any(i.benefit_lines or i.cost_lines for i in sc.initiatives):
            self.tei.value = views.tei_lines_table(case, sc.currency)
        else:
            self.tei.value = views.tei_table(case.tei_table(), sc.currency)
        self.unquantified.value = views.unquantified_html(case.unquantified)
        self.initiative_values.value = views.initiative_values_table(case, sc.currency)

    def _render_findings(self) -> None:
        """Sources, the headline sentence, and the fields offered to break-even and goal seek."""
        sc = self.scenario
        sources = views.sources_html(sc)
        if self.sources.value != sources:
            self.sources.value = sources
        self.headline.value = views.headline_html(headline(self.case))
        paths = list(sc.fields())
        if list(self.breakeven_field.options) != paths:
            self.breakeven_field.options = paths
        if self._last_path in paths and self.breakeven_field.value != self._last_path:
            self.breakeven_field.value = self._last_path  # the field edited last, one click away
        self.breakeven_result.value = ""
        self.goalseek.refresh(paths)

    def breakeven(self, path: Any) -> None:
        """Show the value of ``path`` at which the NPV is zero, the others as on screen."""
        from cxroi.analysis.uncertainty import switching_value

        if path not in self.scenario.fields():
            return
        value = switching_value(self.scenario, path)["value"]
        base = base_value(self.scenario.fields()[path])
        if value is None:
            text = f"The NPV does not reach zero anywhere in the range of {path}."
        else:
            text = f"NPV = 0 when {path} is {echo_number(value)} (now {echo_number(base)})."
        self.breakeven_result.value = (
            f'<span class="cxroi-breakeven-result" data-path="{html.escape(path)}" '
            f'data-value="{views._data_value(value)}">{html.escape(text)}</span>'
        )

    # -- KPI cards and the NPV range
    def _draw_kpis(self) -> None:
        case, sc = self.case, self.scenario
        mc: dict | None = None
        if sc.distributions():
            mc = self._mc if self._mc_scenario is sc else {"pending": True}
        self.kpis.value = views.kpi_cards(
            case.kpis,
            case.unadjusted,
            sc.currency,
            sc.horizon_years,
            switching_recovery(case),
            mc=mc,
        )

    def _schedule_mc(self) -> None:
        """Re-run the NPV card's Monte Carlo once the inputs have been still for a moment.

        Each change cancels the run the previous one asked for (a debounce of
        :data:`AUTO_MC_DELAY` on the kernel's event loop); without a running loop (plain
        Python) the run happens at once.
        """
        if self._mc_handle is not None:
            self._mc_handle.cancel()
            self._mc_handle = None
        if not self.scenario.distributions() or self._mc_scenario is self.scenario:
            return
        self._mc_asked_at = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._auto_mc()
            return
        self._mc_handle = loop.call_later(AUTO_MC_DELAY, self._guard, self._auto_mc)

    def _auto_mc(self) -> None:
        """Monte Carlo of the case on screen (the board pack's draws and seed) onto the NPV card."""
        from cxroi.analysis.uncertainty import simulate
        from cxroi.present.report import REPORT_DRAWS, REPORT_SEED

        self._mc_handle = None
        sc = self.scenario
        summary = simulate(sc, draws=REPORT_DRAWS, seed=REPORT_SEED, keep_draws=False).summary
        if sc is not self.scenario:  # a newer change is on screen; its own run is scheduled
            return
        self._mc, self._mc_scenario = summary, sc
        self._draw_kpis()
        self.mc_latency = time.perf_counter() - self._mc_asked_at
