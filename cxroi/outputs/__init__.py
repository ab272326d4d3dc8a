"""Files a run leaves behind: the Excel workbook and the papermill batch.

Imports the layers below it (model, engine, analysis, present), never :mod:`cxroi.app`.
"""
