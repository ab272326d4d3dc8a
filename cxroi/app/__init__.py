"""The executive dashboard (Voila): UI widgets, present mode, and the server settings.

>>> from cxroi.app import Dashboard                              # doctest: +SKIP
>>> Dashboard.from_path("scenarios/retail_bank.yaml")            # doctest: +SKIP
"""

from cxroi.app.dashboard import Dashboard, FieldInput

__all__ = ["Dashboard", "FieldInput", "serve"]


def serve(*args, **kwargs):
    """Serve the dashboard with Voila (see :func:`cxroi.app.serve.serve`)."""
    from cxroi.app.serve import serve as _serve

    return _serve(*args, **kwargs)
