"""Keep the dashboard kernel's log messages off the page's websocket.

In a Jupyter kernel ``sys.stderr`` is a stream to the page: whatever is written to it travels
over the websocket. A logger without a handler of its own falls back to ``sys.stderr``, so the
traceback of a widget message the kernel refused (``Exception in comm_msg`` of the ``Comm``
logger, for a value of the wrong type sent by a hostile client) or of a dashboard callback
would reach the browser, with file paths. :func:`keep_logs_off_the_page` sends these loggers to
the kernel process's own standard error instead (``sys.__stderr__``: the server's log).
"""

from __future__ import annotations

import logging
import sys

__all__ = ["PAGE_SAFE_LOGGERS", "keep_logs_off_the_page"]

#: Loggers routed to the server's log: widget messages (``Comm``), ipywidgets, and cxroi.
PAGE_SAFE_LOGGERS = ("Comm", "ipywidgets", "cxroi")

_MARK = "_cxroi_server_log"


class _ProcessStderrHandler(logging.StreamHandler):
    """A handler on the process's own standard error, looked up at each record."""

    def __init__(self):
        super().__init__(sys.__stderr__)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.__stderr__)
        super().emit(record)


def keep_logs_off_the_page() -> None:
    """Give :data:`PAGE_SAFE_LOGGERS` a handler on ``sys.__stderr__`` (once; no propagation).

    Examples
    --------
    >>> keep_logs_off_the_page()
    >>> logging.getLogger("Comm").propagate
    False
    """
    for name in PAGE_SAFE_LOGGERS:
        logger = logging.getLogger(name)
        if any(getattr(h, _MARK, False) for h in logger.handlers):
            continue
        handler = _ProcessStderrHandler()
        handler.setFormatter(logging.Formatter("[%(name)s] %(levelname)s %(message)s"))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
        logger.propagate = False
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
