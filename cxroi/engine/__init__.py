"""The deterministic business case: retention maths, cohort projection, finance, attribution.

Imports only :mod:`cxroi.model`.
"""
