"""Analysis on top of the engine: Monte Carlo uncertainty, tornado, switching values, calibration.

Imports :mod:`cxroi.model` and :mod:`cxroi.engine`.
"""
