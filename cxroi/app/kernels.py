"""Kernel manager for the served dashboard: a kernel cap, and culling that spares hand-outs.

It caps live kernels, and its culling never takes a kernel Voila has just handed to a page.

Voila starts one kernel (about 225 MB) per page load and keeps it after the tab closes
(voila#1458), so the server culls idle, unconnected kernels. Two details make that safe:

* A pre-heated kernel waits in Voila's pool, idle, for as long as nobody opens the page. Voila
  protects it from the culler while it is in the pool, but the moment it is handed to a page
  it leaves the pool with a ``last_activity`` that may be far older than the cull timeout, and
  the next cull sweep can shut it down before the page's websocket connects. The page then
  shows a dead dashboard. :class:`CxroiKernelManager` refreshes ``last_activity`` of pooled
  kernels on every sweep, so a kernel handed out gets a full timeout to be claimed.
* A burst of page loads must not exhaust memory: :attr:`CxroiKernelManager.max_kernels`
  refuses new kernels (HTTP 503) beyond the cap, pooled kernels included.
* A page request that never opens its websocket (a plain ``curl``, a crawler) would hold its
  kernel for the whole idle timeout. A kernel out of the pool that has never had a
  connection is shut down after :attr:`CxroiKernelManager.unclaimed_timeout` seconds.
* Voila's pool refills by starting a kernel like any page would. At the cap that start used
  to fail, the failed task stayed in the pool, the next page took it (and got an error) and
  the pool was never filled again: every later load was a cold start. Here a pool fill at
  the cap waits for a free slot instead, and :class:`CxroiPoolMixin` (put in front of
  Voila's pre-heating manager by :func:`with_pool_fixes`) drops failed pool entries, starts
  their replacements, and never hands a page a fill that is still waiting for a slot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import ensure_async
from tornado import web
from traitlets import Int

__all__ = ["CxroiKernelManager", "CxroiPoolMixin", "PoolFixedFactory", "with_pool_fixes"]

#: Execution states in which a kernel is still at work (not waiting for a page).
_WORKING = frozenset({"starting", "busy"})

#: Message of the HTTP 503 a page gets at the cap (the page itself is ``503.html``).
BUSY_MESSAGE = "The dashboard is at its limit of live sessions; it retries by itself."

#: Seconds between checks for a free slot while a pool fill waits at the cap.
_SLOT_POLL = 0.5


class CxroiKernelManager(AsyncMappingKernelManager):
    """Mapping kernel manager with a kernel cap and pool-aware culling.

    Voila wraps this class with its pre-heating pool (``voila_kernel_manager_factory``), so
    ``self._pools`` exists when pre-heating is on.
    """

    max_kernels = Int(
        8,
        config=True,
        help="Most kernels alive at once, pre-heated ones included; 0 means no cap.",
    )

    unclaimed_timeout = Int(
        60,
        config=True,
        help="Seconds a kernel out of the pool may go without any connection; 0: no limit.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: When each kernel was first seen out of the pool without a connection.
        self._unclaimed_since: dict[str, float] = {}
        #: Kernels that have had a websocket connection at least once.
        self._claimed: set[str] = set()
        #: Kernel starts under way (not yet in ``list_kernel_ids``), counted against the cap.
        self._starting = 0
        #: Pool-fill tasks waiting for a free slot (see :meth:`start_kernel`).
        self._waiting_fills: set[asyncio.Task] = set()

    def live_kernel_count(self) -> int:
        """Kernels alive plus kernel starts under way (what the cap counts)."""
        return len(self.list_kernel_ids()) + self._starting

    def at_cap(self) -> bool:
        """Whether :attr:`max_kernels` kernels are alive or starting."""
        return bool(self.max_kernels) and self.live_kernel_count() >= self.max_kernels

    def unclaimed_kernel_ids(self, now: float | None = None) -> list[str]:
        """Kernels out of the pool, never connected, for longer than :attr:`unclaimed_timeout`.

        Called once per cull sweep: it also records first sightings and connections, so a
        kernel's wait is counted from the first sweep that sees it unclaimed.
        """
        now = time.monotonic() if now is None else now
        pooled = self.pooled_kernel_ids()
        alive = set(self.list_kernel_ids())
        connections = getattr(self, "_kernel_connections", {})
        stale = []
        for kernel_id in sorted(alive):
            if connections.get(kernel_id, 0) > 0:
                self._claimed.add(kernel_id)
            kernel = self._kernels.get(kernel_id)
            state = getattr(kernel, "execution_state", "idle")
            # A kernel still running the notebook (a pool fill, a page being rendered) is
            # not waiting for anyone yet.
            if kernel_id in pooled or kernel_id in self._claimed or state in _WORKING:
                self._unclaimed_since.pop(kernel_id, None)
                continue
            since = self._unclaimed_since.setdefault(kernel_id, now)
            if self.unclaimed_timeout and now - since >= self.unclaimed_timeout:
                stale.append(kernel_id)
        for gone in set(self._unclaimed_since) - alive:
            del self._unclaimed_since[gone]
        self._claimed &= alive
        return stale

    # jupyter_client declares start_kernel on its synchronous base class as returning str; the
    # async managers (jupyter_server's own included, which ignores the same error) make it a
    # coroutine, as here.
    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel unless :attr:`max_kernels` are already alive or starting.

        A page's kernel is refused at the cap; a pool fill (Voila marks its environment with
        ``VOILA_PREHEAT=True``) waits until a slot is free instead of failing.

        Raises
        ------
        tornado.web.HTTPError
            503 when the cap is reached by a page's request.
        """
        env = kwargs.get("env") or {}
        if env.get("VOILA_PREHEAT") == "True":
            await self._wait_for_slot()
        elif self.at_cap():
            self.log.warning("cxroi: refusing a new kernel, %d are alive", self.max_kernels)
            raise web.HTTPError(503, BUSY_MESSAGE)
        self._starting += 1
        try:
            return await ensure_async(super().start_kernel(*args, **kwargs))
        finally:
            self._starting -= 1

    async def _wait_for_slot(self) -> None:
        """Wait (marked as a waiting fill) until the cap leaves room for one more kernel."""
        task = asyncio.current_task()
        if task is None or not self.at_cap():  # None only outside a running task
            return
        self.log.info("cxroi: pool fill waits for a free slot (%d kernels)", self.max_kernels)
        self._waiting_fills.add(task)
        try:
            while self.at_cap():
                await asyncio.sleep(_SLOT_POLL)
        finally:
            self._waiting_fills.discard(task)

    def pooled_kernel_ids(self) -> set[str]:
        """Ids of pre-heated kernels still waiting in Voila's pool."""
        ids = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    kernel_id = task.result().get("kernel_id")
                    if kernel_id:
                        ids.add(kernel_id)
        return ids

    def touch_pooled_kernels(self) -> None:
        """Mark pooled kernels as active now, so a kernel handed out is not culled at once."""
        now = utcnow()
        for kernel_id in self.pooled_kernel_ids():
            if kernel_id in self._kernels:
                self._kernels[kernel_id].last_activity = now

    async def cull_kernels(self):
        """One cull sweep, after refreshing the pooled kernels (see the module notes).

        Kernels that never got a connection within :attr:`unclaimed_timeout` go first.
        """
        self.touch_pooled_kernels()
        for kernel_id in self.unclaimed_kernel_ids():
            self.log.warning("cxroi: shutting down kernel %s, no page connected", kernel_id)
            try:
                await ensure_async(self.shutdown_kernel(kernel_id))
            except Exception:  # noqa: BLE001 - a sweep must go on; the culler logs the same way
                self.log.exception("cxroi: could not shut down kernel %s", kernel_id)
        return await ensure_async(super().cull_kernels())

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull one kernel if idle; a kernel still starting is not idle, so it is passed over.

        jupyter_server lists a kernel before it sets its ``last_activity``; a sweep that
        reaches it in between would read the unset trait, which raises instead of saying "no
        activity yet" (seen with ten pages opening at once).
        """
        kernel = self._kernels.get(kernel_id)
        if kernel is None or not kernel.trait_has_value("last_activity"):
            return
        await ensure_async(super().cull_kernel_if_idle(kernel_id))


def _failed(task: asyncio.Future) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


if TYPE_CHECKING:

    class _VoilaPool:
        """What :class:`CxroiPoolMixin` uses of the class it is mixed in front of.

        That is Voila's pre-heating manager over :class:`CxroiKernelManager`; Voila ships no
        type information, so the attributes are stated here for the type checker only.
        """

        _pools: dict[str, list[asyncio.Task]]
        _waiting_fills: set[asyncio.Task]
        log: logging.Logger

        def fill_if_needed(self, delay: float | None = None, **kwargs: Any) -> None: ...

        async def get_rendered_notebook(
            self, notebook_name: str, *args: Any, **kwargs: Any
        ) -> Any: ...

else:
    _VoilaPool = object


class CxroiPoolMixin(_VoilaPool):
    """Corrections to Voila's pre-heating manager (``VoilaKernelManager``); see the module notes.

    Mixed in front of that class by :func:`with_pool_fixes`, so ``super()`` is Voila's pool
    logic and, below it, :class:`CxroiKernelManager`.
    """

    def _live_pool(self, notebook_name: str) -> list:
        """The pool of ``notebook_name`` without failed fills; a failed fill is started again."""
        pool = self._pools.get(notebook_name, [])
        failed = [task for task in pool if _failed(task)]
        for task in failed:
            pool.remove(task)
            self.log.warning(
                "cxroi: dropped a failed pool fill: %r",
                task.exception() if not task.cancelled() else "cancelled",
            )
        if failed:
            self.fill_if_needed(notebook_name=notebook_name)
        return pool

    def get_pool_size(self, notebook_name: str) -> int:
        """Pool entries a page can use now: ready or rendering, not failed or waiting."""
        pool = self._live_pool(notebook_name)
        return sum(1 for task in pool if task not in self._waiting_fills)

    async def get_rendered_notebook(self, notebook_name: str, *args, **kwargs):
        """Voila's hand-out, taking a ready kernel first and never a fill waiting for a slot."""
        pool = self._live_pool(notebook_name)
        pool.sort(key=lambda task: (task in self._waiting_fills, not task.done()))
        return await super().get_rendered_notebook(notebook_name, *args, **kwargs)


class PoolFixedFactory:
    """Voila's kernel-manager factory with :func:`with_pool_fixes` applied to what it builds.

    :func:`cxroi.app.serve.serve` puts one in place of ``voila.app.voila_kernel_manager_factory``
    (once: an instance of this class is not wrapped again).
    """

    def __init__(self, factory: Callable[..., type]) -> None:
        self.factory = factory

    def __call__(self, *args: Any, **kwargs: Any) -> type:
        """The manager class Voila's factory builds, with the pool fixes in front."""
        return with_pool_fixes(self.factory(*args, **kwargs))


def with_pool_fixes(manager_class: type) -> type:
    """``manager_class`` with :class:`CxroiPoolMixin` in front when it is Voila's pool manager.

    Voila builds its pre-heating manager at start-up (``voila_kernel_manager_factory``);
    :func:`cxroi.app.serve.serve` passes the result through here.
    """
    if not hasattr(manager_class, "get_rendered_notebook") or issubclass(
        manager_class, CxroiPoolMixin
    ):
        return manager_class
    return type(manager_class.__name__, (CxroiPoolMixin, manager_class), {})
