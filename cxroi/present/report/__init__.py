"""The scenario report: what ``notebooks/scenario_report.ipynb`` shows.

The notebook only holds a ``parameters`` cell (the scenario's top-level fields, so that a
scenario YAML file is a papermill parameters file) and calls :func:`build` and
:meth:`Report.display`. Everything it shows is made here, as plain HTML with inline styles
and charts embedded as static SVG (or PNG) images rendered by vl-convert, so that the HTML
export reads the same offline, in a browser and in an e-mail client:

1. headline KPIs, risk-adjusted and unadjusted;
2. the TEI cash-flow table and the cash-flow chart;
3. attribution of the PV of benefits by lever and of the NPV by initiative (Shapley values);
4. per-segment customer lifetime value and customers over time;
5. every assumption with its provenance (given by the user, a plain default, or a cited
   benchmark default with its source).

Sections are functions ``section(report) -> str`` listed in :data:`SECTIONS`; a later section
(such as the uncertainty analysis of a scenario with distributions) is added by appending a
function there, and the notebook does not change.

The same facts feed the batch summary and workbook (:mod:`cxroi.outputs.batch`,
:mod:`cxroi.outputs.workbook`),
so :func:`assumption_rows` is a plain function returning JSON-able rows.

The modules, in the order they build on each other:

* :mod:`~cxroi.present.report.assumptions`: every assumption with its provenance (plain rows);
* :mod:`~cxroi.present.report.markup`: inline styles, escaping, tables, chart images;
* :mod:`~cxroi.present.report.cashflows`: benefits by lever and by line, the cash-flow
  sections;
* :mod:`~cxroi.present.report.sections`: header, headline, attribution, segments, assumptions;
* :mod:`~cxroi.present.report.uncertainty`: the Monte Carlo and switching-value section;
* :mod:`~cxroi.present.report.document`: :class:`Report`, :data:`SECTIONS`, the notebook's
  calls (:func:`check_parameters`, :func:`build`) and :func:`render`.
"""

from __future__ import annotations

# The board pack (cxroi.outputs.boardpack) builds its pages from some of the sections and
# helpers, and tests read the table style: those stay importable from here (``_x as _x``).
from cxroi.present.report.assumptions import SOURCE_LABELS, assumption_rows, user_evidence
from cxroi.present.report.cashflows import lever_benefits, line_amounts
from cxroi.present.report.document import (
    PARAMETER_NAMES,
    REPORT_OPTIONS,
    SECTIONS,
    Report,
    build,
    check_parameters,
    render,
)
from cxroi.present.report.markup import _TD as _TD
from cxroi.present.report.markup import PRINT_CSS, YEARS_PER_BLOCK, chart_image
from cxroi.present.report.markup import _amount as _amount
from cxroi.present.report.markup import _h2 as _h2
from cxroi.present.report.markup import _note as _note
from cxroi.present.report.markup import _table as _table
from cxroi.present.report.sections import _section_assumptions as _section_assumptions
from cxroi.present.report.sections import _section_attribution as _section_attribution
from cxroi.present.report.sections import _section_header as _section_header
from cxroi.present.report.uncertainty import REPORT_DRAWS, REPORT_SEED, REPORT_SWITCHING_ROWS
from cxroi.present.report.uncertainty import _section_uncertainty as _section_uncertainty

__all__ = [
    "PARAMETER_NAMES",
    "PRINT_CSS",
    "REPORT_DRAWS",
    "REPORT_OPTIONS",
    "REPORT_SEED",
    "REPORT_SWITCHING_ROWS",
    "SECTIONS",
    "SOURCE_LABELS",
    "YEARS_PER_BLOCK",
    "Report",
    "assumption_rows",
    "build",
    "chart_image",
    "check_parameters",
    "lever_benefits",
    "line_amounts",
    "render",
    "user_evidence",
]
