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
"""

from __future__ import annotations

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import ensure_async
from tornado import web
from traitlets import Int

__all__ = ["CxroiKernelManager"]


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

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel unless :attr:`max_kernels` are already alive.

        Raises
        ------
        tornado.web.HTTPError
            503 when the cap is reached.
        """
        if self.max_kernels and len(self.list_kernel_ids()) >= self.max_kernels:
            self.log.warning("cxroi: refusing a new kernel, %d are alive", self.max_kernels)
            raise web.HTTPError(
                503, "The dashboard is at its limit of live sessions; close a tab and retry."
            )
        return await ensure_async(super().start_kernel(*args, **kwargs))

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
        """One cull sweep, after refreshing the pooled kernels (see the module notes)."""
        self.touch_pooled_kernels()
        return await ensure_async(super().cull_kernels())
