"""Warm kernels: one long-lived Jupyter kernel per worker, reused across its scenarios.

Starting a kernel and importing Altair cost about 4 s, far more than a report. A
:class:`WarmKernel` starts once, imports the report's modules, and before each notebook resets
the kernel's namespace to a fresh session (``InteractiveShell.reset``: execution counts
restart at 1, imported modules stay). The notebook is then parameterised and executed exactly
as papermill does, papermill metadata included, by a papermill engine that runs it on the
calling thread's warm kernel (:func:`warm_kernel_engine`, registered as ``cxroi-warm``).
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import subprocess
import threading
import time
from typing import Any

from cxroi.outputs.batch.record import error_text

__all__ = ["ENGINE_NAME", "WarmKernel", "close_all_kernels", "warm_kernel_engine"]

#: The name the warm-kernel engine is registered under with papermill.
ENGINE_NAME = "cxroi-warm"

_RESET_CODE = """\
import os as _cxroi_os
_cxroi_os.chdir({cwd!r})
get_ipython().reset(new_session=True)
"""

_WARM_UP_CODE = """\
import altair, vl_convert, pandas, cxroi, cxroi.present.report, cxroi.present.charts
vl_convert.vegalite_to_svg({"mark": "bar", "data": {"values": [{"a": 1}]},
                            "encoding": {"x": {"field": "a", "type": "quantitative"}}})
"""

_local = threading.local()
_all_kernels: list[WarmKernel] = []
_all_lock = threading.Lock()


class WarmKernel:
    """One long-lived Jupyter kernel (the kernel manager and client of an nbclient run)."""

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self.km: Any = None
        self.kc: Any = None
        self.cwd = os.getcwd()
        self._starting: Any = None  # the manager of a kernel being started, for kill()

    def ensure(self) -> None:
        """Start the kernel (if needed) and import the report's modules into it."""
        if self.km is not None:
            return
        with _all_lock:
            if self not in _all_kernels:
                _all_kernels.append(self)
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        self._starting = km
        # The kernel's own stderr only carries start-up chatter; cell output travels by iopub.
        run_sync(km.start_kernel)(
            cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)
        except BaseException:
            with contextlib.suppress(Exception):
                kc.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            self._starting = None
            raise
        self.km, self.kc = km, kc
        self._starting = None
        self._silent(_WARM_UP_CODE, timeout=300)

    def _silent(self, code: str, timeout: float = 60) -> None:
        """Run code without a trace in the notebook (no execution count, no history)."""
        from jupyter_core.utils import run_sync

        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the kernel did not answer in time")
            reply = run_sync(self.kc.get_shell_msg)(timeout=remaining)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(
                f"kernel preparation failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def execute(
        self,
        template: Any,
        parameters: dict[str, Any],
        input_path: str,
        output_path: str,
        timeout: float | None,
    ) -> tuple[Any, str | None]:
        """Parameterise and execute a copy of ``template`` as papermill does.

        Returns the executed notebook (also when a cell failed; None if the kernel could not
        be started) and an error message or None.
        """
        from papermill.exceptions import PapermillExecutionError
        from papermill.execute import (
            prepare_notebook_metadata,
            raise_for_execution_errors,
            remove_error_markers,
        )
        from papermill.parameterize import parameterize_notebook

        nb = copy.deepcopy(template)
        nb = parameterize_notebook(
            nb, parameters, report_mode=False, kernel_name=self.kernel_name, language="python"
        )
        nb = prepare_notebook_metadata(nb, input_path, output_path)
        nb = remove_error_markers(nb)
        try:
            self.ensure()
            self._silent(_RESET_CODE.format(cwd=self.cwd))
        except Exception as exc:
            self.close()
            return None, f"cannot start the notebook kernel: {error_text(exc)}"
        _local.current = self
        try:
            nb = warm_kernel_engine().execute_notebook(
                nb,
                self.kernel_name,
                output_path=None,
                progress_bar=False,
                execution_timeout=timeout,
            )
        except Exception as exc:
            # A dead or hung kernel: throw it away, the next scenario starts a fresh one.
            self.close()
            return nb, f"notebook execution failed: {error_text(exc)}"
        finally:
            _local.current = None
        try:
            raise_for_execution_errors(nb, None)
        except PapermillExecutionError as exc:
            return nb, f"notebook cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}"
        return nb, None

    def close(self) -> None:
        """Shut the kernel down (best effort, then by force)."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        with _all_lock:
            if self in _all_kernels:
                _all_kernels.remove(self)
        if km is None:
            return
        from jupyter_core.utils import run_sync

        pid = _kernel_pid(km)
        with contextlib.suppress(Exception):
            kc.stop_channels()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """Kill the kernel process at once, without the event loop (safe in a signal handler).

        For a worker that is being stopped: its connection file is removed too.
        """
        for km in (self.km, self._starting):
            if km is None:
                continue
            pid = _kernel_pid(km)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()


def _kernel_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) else None


def close_all_kernels() -> int:
    """Shut down every warm kernel of this process (Dask workers run this after a batch)."""
    with _all_lock:
        kernels = list(_all_kernels)
        _all_kernels.clear()
    for k in kernels:
        k.close()
    return len(kernels)


def _make_engine() -> type:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine
    from papermill.log import logger

    class _Engine(Engine):  # type: ignore[misc]
        """A papermill engine that runs the notebook on the calling thread's warm kernel.

        Use it through the batch runner, which prepares the kernel; registered with papermill
        as ``cxroi-warm``.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: float = 60,
            execution_timeout: float | None = None,
            **kwargs: Any,
        ) -> Any:
            warm = getattr(_local, "current", None)
            if warm is None:
                warm = WarmKernel(kernel_name)
                _local.current = warm
            warm.ensure()
            client = PapermillNotebookClient(
                nb_man,
                km=warm.km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = warm.kc
            return client.execute(cleanup_kc=False)

    return _Engine


_ENGINE: Any = None


def warm_kernel_engine() -> Any:
    """The papermill engine class that runs notebooks on the calling thread's warm kernel.

    It is registered with papermill as ``cxroi-warm`` on first use; papermill is imported then.
    """
    global _ENGINE
    if _ENGINE is None:
        from papermill.engines import papermill_engines

        _ENGINE = _make_engine()
        papermill_engines.register(ENGINE_NAME, _ENGINE)
    return _ENGINE
