"""The executive dashboard (Voila): UI widgets, present mode, and the server settings.

Building a dashboard starts no server and no kernel; displaying ``app`` in a notebook shows it.

>>> from cxroi.app import Dashboard
>>> app = Dashboard.from_path("scenarios/retail_bank.yaml")
>>> app.scenario.name
'Retail bank - service redesign'
"""

from cxroi.app.dashboard import Dashboard, FieldInput

__all__ = ["Dashboard", "FieldInput", "serve"]


def serve(*args, **kwargs):
    """Serve the dashboard with Voila (see :func:`cxroi.app.serve.serve`)."""
    from cxroi.app.serve import serve as _serve

    return _serve(*args, **kwargs)
