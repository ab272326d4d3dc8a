"""The output folder of a batch: checked before any scenario runs, and locked while it runs.

:func:`usable_out_dir` refuses a folder that cannot be made or written (exit status 2) before
any work starts; :class:`FolderLock` lets one batch at a time write into a folder
(``docs/batch.md``, "Safety").
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cxroi.outputs.batch.layout import LOCK_NAME, BatchError

__all__ = ["FolderLock", "check_not_a_file", "stderr_line", "usable_out_dir"]


def stderr_line(line: str) -> None:
    """Print one line on stderr at once (what the user sees while a batch runs)."""
    print(line, file=sys.stderr, flush=True)


def check_not_a_file(out: Path) -> None:
    """Refuse an output path that exists and is not a folder."""
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out must be a folder, and {out} is a file")


def usable_out_dir(out: Path) -> Path:
    """Create the output folder if needed and make sure this process can write into it.

    Checked before any scenario runs, so that a batch never computes for an hour and then
    finds it cannot write its summary.

    Raises
    ------
    BatchError
        If the folder cannot be created (a file in the way, no permission), or it exists but
        is not writable.
    """
    check_not_a_file(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BatchError(f"--out: cannot create the output folder {out}: {reason}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BatchError(f"--out: the output folder {out} is not writable")
    return out.resolve()


#: Descriptors of the folder locks this process holds (closed in forked children).
_HELD_LOCKS: set[int] = set()


def _close_held_locks_in_child() -> None:
    """In a forked worker, drop the copies of the batch's lock descriptors.

    The lock stays with the batch process (it holds the same open file); a worker that outlives
    a killed batch for a moment then cannot keep the folder locked. Workers forked by the
    local process pool (:mod:`cxroi.outputs.batch.pool`) start this way.
    """
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks_in_child)


class FolderLock:
    """One batch at a time per output folder: an advisory ``flock`` on ``DIR/.cxroi-batch.lock``.

    The lock belongs to the open file, so the operating system releases it when the batch
    process ends in any way, SIGKILL included: a killed batch never leaves the folder locked.
    The file holds the process id of the holder, for the message a second batch shows; it is
    never deleted (deleting a lock file lets two processes lock two different files). The
    start-up clean-up of stale temporary files runs only under the lock, so it can never remove
    the files of a batch that is still running.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def _holder(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            text = self.path.read_text(encoding="ascii").strip()
            if text:
                return f"process {int(text)}"
        return "another process"

    def acquire(self, wait: bool = False, notify: Callable[[str], None] | None = None) -> None:
        """Take the lock, or refuse (``wait=False``) or block until it is free.

        Raises
        ------
        BatchError
            If the lock file cannot be created (the folder is not writable), or another batch
            holds the lock and ``wait`` is False.
        """
        import fcntl

        folder = self.path.parent
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise BatchError(
                f"--out: the output folder {folder} is not writable: {reason}"
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                who = self._holder()
                if not wait:
                    raise BatchError(
                        f"--out: another batch ({who}) is writing into {folder}; wait for it "
                        "to finish, choose another --out, or pass --wait"
                    ) from None
                (notify or stderr_line)(
                    f"cxroi: waiting for another batch ({who}) to finish in {folder}"
                )
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        _HELD_LOCKS.add(fd)

    def release(self) -> None:
        """Give the lock up, even if a forked worker still holds a copy of the descriptor.

        Closing our descriptor alone would leave the lock held through any copy (a worker
        forked a moment ago that has not yet closed it); ``LOCK_UN`` on the shared open file
        releases it for every copy at once.
        """
        import fcntl

        if self.fd is not None:
            _HELD_LOCKS.discard(self.fd)
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
