"""The columns of a batch's summary, shared by ``summary.csv`` and the workbooks.

Kept apart from :mod:`cxroi.outputs.batch` so that :mod:`cxroi.outputs.workbook` can use them
without importing the batch (which itself writes workbooks): imports point one way.

>>> KPI_COLUMNS[:2]
('npv', 'pv_benefits')
>>> SUMMARY_COLUMNS[0], SUMMARY_COLUMNS[-1]
('scenario', 'output')
"""

from __future__ import annotations

from cxroi.engine.case import EQUITY_KEYS, KPI_KEYS
from cxroi.model.scenario import LEVERS

__all__ = ["KPI_COLUMNS", "SUMMARY_COLUMNS", "SUMMARY_KPIS", "SUMMARY_LEVERS"]

#: The figures of ``cxroi run --json`` that the summary carries, in column order.
SUMMARY_KPIS = (*KPI_KEYS, *EQUITY_KEYS)
#: The levers of ``by_lever``, TEI lines included.
SUMMARY_LEVERS = (*LEVERS, "lines")
#: Numeric summary columns: those figures, unadjusted too, and by lever.
KPI_COLUMNS = (
    *SUMMARY_KPIS,
    *(f"unadjusted.{k}" for k in SUMMARY_KPIS),
    *(f"by_lever.{k}" for k in SUMMARY_LEVERS),
)
#: Every column of ``summary.csv`` (and of the workbook's Summary sheet), in order.
SUMMARY_COLUMNS = (
    "scenario",
    "file",
    "status",
    "error",
    "warnings",
    "currency",
    "horizon_years",
    "discount_rate",
    *KPI_COLUMNS,
    "output",
)
