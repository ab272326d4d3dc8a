"""The report as a document: its parameters, the :class:`Report`, its sections in order.

The report notebook passes its ``parameters`` cell (the scenario's top-level fields) through
:func:`check_parameters` to :func:`build`, which loads and evaluates the scenario into a
:class:`Report`; :meth:`Report.to_html` joins the sections of :data:`SECTIONS` and
:meth:`Report.display` shows each as a notebook output. :func:`render` gives the HTML of a
scenario file, mapping or Scenario in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cxroi
from cxroi.model.scenario import Scenario, ScenarioError, ScenarioIssue
from cxroi.present.report.cashflows import _section_cashflow, _section_lines
from cxroi.present.report.markup import chart_image
from cxroi.present.report.sections import (
    _section_assumptions,
    _section_attribution,
    _section_header,
    _section_headline,
    _section_segments,
)
from cxroi.present.report.uncertainty import _section_uncertainty

#: Top-level scenario fields, in the order of the notebook's ``parameters`` cell.
PARAMETER_NAMES = tuple(Scenario.model_fields)
#: Report parameters that are not scenario fields: the scenario file the report names in its
#: header (with its SHA-256); the batch passes it.
REPORT_OPTIONS = ("scenario_file",)


@dataclass
class Report:
    """A scenario's evaluated case, ready to be shown section by section.

    Parameters
    ----------
    scenario : Scenario
        The loaded scenario.
    case : BusinessCase
        Its evaluation.
    chart_format : {"svg", "png"}
        Image format of the charts.
    """

    scenario: Any
    case: Any
    chart_format: str = "svg"
    sections: list[Callable[[Report], str]] = field(default_factory=lambda: list(SECTIONS))
    scenario_file: str | None = None
    run_time: str = field(default_factory=lambda: _utc_now())
    _charts: dict[str, Any] | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_parameters(cls, chart_format: str = "svg", **parameters: Any) -> Report:
        """Load and evaluate a scenario given as the notebook's parameters.

        Parameters
        ----------
        chart_format : {"svg", "png"}
            Image format of the charts.
        **parameters
            The scenario's top-level fields (``name``, ``currency``, ``horizon_years``,
            ``discount_rate``, ``segments``, ``initiatives``, ``risk``); ``None`` values are
            left out so that the scenario's defaults apply.

        Raises
        ------
        cxroi.ScenarioError
            If the parameters do not form a valid scenario.
        """
        source = parameters.pop("scenario_file", None)
        mapping = {k: v for k, v in parameters.items() if v is not None}
        scenario = cxroi.load_scenario(mapping)
        return cls(
            scenario, cxroi.evaluate(scenario), chart_format=chart_format, scenario_file=source
        )

    # -- output --------------------------------------------------------------------------------
    def to_html(self) -> str:
        """All sections as one HTML fragment."""
        body = "\n".join(section(self) for section in self.sections)
        return f'<div class="cxroi-report">{body}</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def display(self) -> None:
        """Display each section as its own notebook output."""
        from IPython.display import HTML, display

        for section in self.sections:
            display(HTML(f'<div class="cxroi-report">{section(self)}</div>'))

    def image(self, chart_name: str, alt: str) -> str:
        """Chart ``chart_name`` of :func:`cxroi.present.charts.all_charts` as an ``<img>`` tag."""
        if self._charts is None:
            self._charts = _all_charts(self.case)
        return chart_image(self._charts[chart_name], self.chart_format, alt)


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _all_charts(case: Any) -> dict[str, Any]:
    from cxroi.present import charts

    return charts.all_charts(case)


#: The report's sections, in order. Each is ``section(report) -> HTML``.
SECTIONS: list[Callable[[Report], str]] = [
    _section_header,
    _section_headline,
    _section_cashflow,
    _section_lines,
    _section_attribution,
    _section_segments,
    _section_uncertainty,
    _section_assumptions,
]


#: Names a notebook kernel defines by itself (IPython's history and helpers).
_KERNEL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})


def check_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario fields a notebook was given, refusing any name the scenario does not know.

    The report notebook calls this on ``globals()`` right after papermill's injected
    parameters, so that ``-p horizon_year 7`` fails with the name and a suggestion instead of
    running the default case.

    Parameters
    ----------
    namespace : mapping
        The notebook's global variables.

    Returns
    -------
    dict
        The given top-level fields (those not ``None``), ready for :func:`build`.

    Raises
    ------
    cxroi.ScenarioError
        Naming each unknown parameter, the rule and, when one is close, the field meant.
    """
    import difflib
    import types

    issues = []
    for name, value in namespace.items():
        if name.startswith("_") or name in _KERNEL_NAMES or name in PARAMETER_NAMES:
            continue
        if name in REPORT_OPTIONS:
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, type)):
            continue
        close = difflib.get_close_matches(name, PARAMETER_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        rule = f"unknown report parameter (known: {', '.join(PARAMETER_NAMES)}){hint}"
        issues.append(ScenarioIssue(name, rule, value))
    if issues:
        raise ScenarioError(issues, source="(notebook parameters)")
    names = (*PARAMETER_NAMES, *REPORT_OPTIONS)
    return {k: namespace[k] for k in names if namespace.get(k) is not None}


def build(chart_format: str = "svg", **parameters: Any) -> Report:
    """Build the report of the scenario given by its top-level fields (the notebook's call).

    Parameters
    ----------
    chart_format : {"svg", "png"}
        Image format of the charts.
    **parameters
        ``name``, ``currency``, ``horizon_years``, ``discount_rate``, ``segments``,
        ``initiatives``, ``risk``; ``None`` means "not given", so the scenario's own default
        (and its provenance, "default" or "benchmark default") applies. ``scenario_file``
        names the file the report's header cites with its SHA-256.

    Returns
    -------
    Report
    """
    return Report.from_parameters(chart_format=chart_format, **parameters)


def render(scenario: Any, chart_format: str = "svg") -> str:
    """The full report of a scenario (path, mapping or Scenario) as an HTML fragment."""
    sc = cxroi.load_scenario(scenario)
    return Report(sc, cxroi.evaluate(sc), chart_format=chart_format).to_html()
