"""The columns of a batch's summary, shared by ``summary.csv`` and the workbooks.

Kept apart from :mod:`cxroi.outputs.batch` so that :mod:`cxroi.outputs.workbook` can use them
without importing the batch (which itself writes workbooks): imports point one way.

>>> KPI_COLUMNS[:2]
('npv', 'pv_benefits')
>>> SUMMARY_COLUMNS[0], SUMMARY_COLUMNS[-1]
('scenario', 'output')
"""

from __future__ import annotations

from cxroi.engine.case import KPI_KEYS
from cxroi.model.scenario import LEVERS

__all__ = ["KPI_COLUMNS", "SUMMARY_COLUMNS"]

#: Numeric summary columns: the KPIs of ``cxroi run --json``, unadjusted, and by lever.
KPI_COLUMNS = (
    *KPI_KEYS,
    *(f"unadjusted.{k}" for k in KPI_KEYS),
    *(f"by_lever.{k}" for k in LEVERS),
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
