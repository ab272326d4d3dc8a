"""A time limit for the dashboard's work: a change or a run that takes too long is stopped.

A page drives its kernel through widget callbacks, one at a time, on the kernel's main thread.
A callback that never ends (a value the engine handles slowly, a simulation too large for the
machine) would leave the kernel busy for ever and the page frozen. :func:`time_limit` arms a
one-shot ``SIGALRM`` timer around a callback; when it fires, :class:`TimeLimitExceeded` is
raised in the callback, which unwinds it (``finally`` blocks run), and the dashboard says so in
plain words and keeps the last valid case (:meth:`cxroi.app.Dashboard._guard`).

The exception derives from ``BaseException``, like ``KeyboardInterrupt``, so the ``except
Exception`` of the code it interrupts does not swallow it. Python checks for signals between
bytecodes: a single long C call (one huge numpy operation) is stopped when it returns.
Outside the main thread, or where ``setitimer`` is missing, the limit is not applied.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["DEFAULT_TIME_LIMIT", "TimeLimitExceeded", "default_time_limit", "time_limit"]

#: Seconds one dashboard callback may run (a change, an upload, a Monte Carlo run).
DEFAULT_TIME_LIMIT = 30.0

#: Environment variable that overrides :data:`DEFAULT_TIME_LIMIT` (``0`` turns the limit off).
TIME_LIMIT_ENV = "CXROI_TIME_LIMIT"

_armed = False


class TimeLimitExceeded(BaseException):  # noqa: N818 - read as "time limit exceeded"
    """A callback ran past its time limit and was stopped.

    Parameters
    ----------
    seconds : float
        The limit that was exceeded.
    """

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = float(seconds)

    def __str__(self) -> str:
        return f"stopped after {self.seconds:g} s"


def default_time_limit() -> float:
    """The limit in force: ``$CXROI_TIME_LIMIT`` if it is a number >= 0, else the default.

    Examples
    --------
    >>> default_time_limit() > 0
    True
    """
    text = os.environ.get(TIME_LIMIT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIME_LIMIT
    except ValueError:
        return DEFAULT_TIME_LIMIT
    return value if value >= 0 and value == value and value != float("inf") else DEFAULT_TIME_LIMIT


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the block if it runs longer than ``seconds``.

    Nested uses keep the outer limit (the block as a whole is what the page waits for).
    ``None`` or ``0`` means no limit.

    Examples
    --------
    >>> import time
    >>> try:
    ...     with time_limit(0.05):
    ...         while True:
    ...             time.sleep(0.01)
    ... except TimeLimitExceeded as exc:
    ...     print(exc)
    stopped after 0.05 s
    """
    global _armed
    usable = (
        seconds
        and seconds > 0
        and not _armed
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable or seconds is None:
        yield
        return

    def expired(signum, frame):
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    _armed = True
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _armed = False
