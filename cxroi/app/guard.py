"""The dashboard's guard: every callback runs under a time limit, and a failure is a message.

A callback the page runs (a typed value, a button, an upload) goes through
:meth:`GuardMixin._guard`: past the page's time limit it is stopped
(:mod:`cxroi.app.timelimit`), an interrupt from outside stops it too, and an unexpected error
is logged to the server. In each case the page says so in plain words in its banner, the status
reads "Not applied", and the last valid case stays on screen: never a traceback on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cxroi.app import views
from cxroi.app.page import Page
from cxroi.app.timelimit import TimeLimitExceeded, time_limit

__all__ = ["INTERRUPTED", "OVERFLOW", "TIMED_OUT", "UNEXPECTED", "GuardMixin"]

log = logging.getLogger("cxroi.app.dashboard")

#: Plain message for a failure the dashboard did not foresee (details go to the log).
UNEXPECTED = "That change could not be applied; the last valid case stays on screen."

#: Plain message for a change or run stopped at the time limit (seconds filled in).
TIMED_OUT = (
    "Stopped: that took longer than {seconds:g} seconds, so the dashboard gave up on it. "
    "The last valid case stays on screen."
)

#: Plain message for a change or run interrupted from outside the page.
INTERRUPTED = "Stopped: that change was interrupted. The last valid case stays on screen."

#: Plain message for values whose results are too large for the engine.
OVERFLOW = "These values give results too large to compute; the last valid case stays on screen."


class GuardMixin(Page):
    """The guard and the status line of :class:`cxroi.app.dashboard.Dashboard`."""

    def _guard(self, func: Callable[..., Any], *args: Any) -> None:
        """Run a callback; an unexpected failure shows a message instead of a traceback.

        The callback runs under :attr:`time_limit`: past it, the work is stopped, the page
        says so in plain words and the last valid case stays (:mod:`cxroi.app.timelimit`).
        """
        try:
            with time_limit(self.time_limit):
                func(*args)
        except TimeLimitExceeded as exc:
            log.warning("cxroi dashboard: callback %s", exc)
            self._fail(TIMED_OUT.format(seconds=exc.seconds))
        except KeyboardInterrupt:  # the kernel interrupted from outside (Jupyter's interrupt)
            log.warning("cxroi dashboard: callback interrupted")
            self._fail(INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 - the UI boundary: keep the kernel serving
            log.exception("cxroi dashboard callback failed: %s", exc)
            self._fail(UNEXPECTED)

    def guard(self, func: Callable[..., Any], *args: Any) -> None:
        """Run ``func(*args)`` under the guard (the name the other views call).

        See :class:`cxroi.app.uncertainty_view.Host`.
        """
        self._guard(func, *args)

    def _fail(self, message: str) -> None:
        """Say in the banner that a change was not applied, and why."""
        self.banner.value = views.error_html(message)
        self._set_status("error")

    def _set_status(self, state: str) -> None:
        self.status.value = (
            f'<span class="cxroi-status" data-rev="{self.rev}" data-state="{state}">'
            f"{'Up to date' if state == 'ok' else 'Not applied: last valid case shown'}</span>"
        )
