"""The live driver workbook: the business case as spreadsheet formulas over its inputs.

:func:`write_workbook` writes one scenario as an ``.xlsx`` file that recalculates by itself in
Excel or LibreOffice. Change an input and every figure follows, as ``cxroi run`` on the changed
scenario would give (docs/model.md §3-§5):

* ``Inputs``: one row per input, its field path (``segments[Mass market].retention``), its value
  (a workbook name such as ``s1_retention`` points at it), unit, kind (given, default,
  benchmark default, derived), source, note, date and label (unit and label are the field
  registry's, :mod:`cxroi.model.fields`);
* one sheet per segment: the levers by year (section 3), the retention of every cohort in every
  year, the active customers of every cohort at the start of each year, and the yearly lines
  (active, churned, new, revenue, gross margin, service cost, acquisition cost, contribution),
  for the baseline and with CX (section 4);
* ``Case``: benefits by segment, costs by initiative, the risk adjustment, net and discounted
  flows, and the KPIs with workbook names ``npv``, ``pv_benefits``, ``pv_costs``, ``roi``,
  ``irr``, ``payback_years`` at their cells (section 5);
* ``Attribution``: the Shapley values by lever and by initiative, written as values: they need
  every coalition of levers or initiatives projected again, which a sheet of formulas would
  only copy (the sheet says so);
* ``Notes``: conventions and what is a formula.

Every formula cell carries cxroi's own number as its cached value, so pandas and openpyxl read
numbers without a spreadsheet engine. The file is built in memory and written atomically.

XlsxWriter writes the file: it streams cells without building a document model (several times
faster than openpyxl for the same cells), and it stores a cached value beside each formula,
which openpyxl cannot.

The modules, in the order they build on each other:

* :mod:`~cxroi.outputs.workbook.layout`: cell addresses, number formats, the book being
  written and the rows every sheet writes;
* :mod:`~cxroi.outputs.workbook.cohorts`: the cohort rows of a segment, their retention and
  churn formulas, and the cohort model in Python for cached values;
* :mod:`~cxroi.outputs.workbook.inputs`: the Inputs sheet and the workbook names;
* :mod:`~cxroi.outputs.workbook.equity`: customer equity (residual values, the Case sheet's
  sum);
* :mod:`~cxroi.outputs.workbook.segments`: the segment sheets;
* :mod:`~cxroi.outputs.workbook.case`: the Case sheet and the KPIs' workbook names;
* :mod:`~cxroi.outputs.workbook.writer`: the sheets in order, Attribution, Notes, the file;
* :mod:`~cxroi.outputs.workbook.summary`: the batch's ``summary.xlsx``.
"""

from __future__ import annotations

from cxroi.outputs.workbook.case import KPI_NAMES
from cxroi.outputs.workbook.equity import EQUITY_TERMS
from cxroi.outputs.workbook.inputs import RISK_KEYS
from cxroi.outputs.workbook.layout import FUNCTIONS, sheet_title
from cxroi.outputs.workbook.summary import write_summary_workbook
from cxroi.outputs.workbook.writer import WorkbookError, workbook_bytes, write_workbook

__all__ = [
    "EQUITY_TERMS",
    "FUNCTIONS",
    "KPI_NAMES",
    "RISK_KEYS",
    "WorkbookError",
    "sheet_title",
    "workbook_bytes",
    "write_summary_workbook",
    "write_workbook",
]
