"""The executive dashboard (Voila): UI widgets, present mode, and the server settings.

Building a dashboard starts no server and no kernel; displaying ``app`` in a notebook shows it.
Importing this package imports nothing heavy: :class:`Dashboard` (ipywidgets, altair) loads on
first use, so ``cxroi serve``'s argument parser stays light.

>>> from cxroi.app import Dashboard
>>> app = Dashboard.from_path("scenarios/retail_bank.yaml")
>>> app.scenario.name
'Retail bank - service redesign'
"""

from __future__ import annotations

from typing import Any

__all__ = ["Dashboard", "FieldInput", "serve"]


def __getattr__(name: str) -> Any:
    """Load the dashboard classes on first use (PEP 562)."""
    if name in ("Dashboard", "FieldInput"):
        from cxroi.app import dashboard

        return getattr(dashboard, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serve(*args, **kwargs):
    """Serve the dashboard with Voila (see :func:`cxroi.app.serve.serve`)."""
    from cxroi.app.serve import serve as _serve

    return _serve(*args, **kwargs)
