"""Presentation: executive number formats, Altair charts and the HTML report.

Imports :mod:`cxroi.model`, :mod:`cxroi.engine` and :mod:`cxroi.analysis`.
"""
