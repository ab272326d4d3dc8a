"""The scenario: its schema and validation, limits on inputs, currencies and cited benchmarks.

The first room of the pipeline (model -> engine -> analysis -> present -> outputs -> app): it
imports nothing else from cxroi.
"""
