"""Presentation: executive number formats, Altair charts and the HTML report.

Imports :mod:`cxroi.model`, :mod:`cxroi.engine` and :mod:`cxroi.analysis`.

Importing this package makes Altair's import light. Altair imports jsonschema, whose format
checker imports the optional ``rfc3987_syntax`` whenever it is installed (Jupyter's event
schemas pull it in); that module compiles a Lark grammar at import, 2-10 s per process on a
loaded machine, for the ``iri`` format that no Vega-Lite spec uses and that cxroi never checks.
Marking it absent (unless something already imported it) makes jsonschema skip that one format.
``benchmarks/startup.py`` measures the effect on a dashboard kernel's start.
"""

import sys

if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
