"""Safe output: file names from scenario names, spreadsheet text cells, atomic writes.

Three things can go wrong when a batch turns user-written scenarios into files that finance
teams open:

* a scenario name becomes a folder name, so ``../../etc`` or ``CON`` must not escape the output
  folder or clash with a device name, and two scenarios with the same name must both survive
  (:func:`safe_name`, :func:`unique_names`);
* a text cell that begins with ``=``, ``+``, ``-`` or ``@`` is run as a formula by Excel and
  LibreOffice when a CSV or workbook is opened (formula injection, CWE-1236), so such text is
  prefixed with an apostrophe unless it is a number (:func:`neutralise`);
* a batch stopped by Ctrl-C or a killed process must never leave a half-written file under its
  final name, so every output is written to a temporary file in the same folder and renamed
  over the final name (:func:`atomic_write`, :func:`atomic_path`), which POSIX and Windows
  both do atomically within one file system.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "TMP_SUFFIX",
    "atomic_path",
    "atomic_write",
    "neutralise",
    "remove_stale_temporaries",
    "safe_name",
    "unique_names",
]

#: Suffix of the temporary files written before the rename; stale ones are removed on a re-run.
TMP_SUFFIX = ".cxroi-tmp"

#: First characters that make a spreadsheet treat a text cell as a formula. The OWASP list adds
#: tab and carriage return, which some spreadsheet programs strip before looking.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 80


def safe_name(name: object, fallback: str = "scenario") -> str:
    """Turn any text into a portable file or folder name.

    Accents are folded to ASCII, every run of characters other than letters, digits, ``.``,
    ``_`` and ``-`` becomes one ``-``, leading dots and dashes are dropped (no hidden files,
    no ``..``), the result is cut to 80 characters, and Windows device names get a leading
    underscore. The result never contains a path separator.

    Parameters
    ----------
    name : object
        The scenario name (anything: it is converted with ``str``).
    fallback : str
        Used when nothing usable is left.

    Returns
    -------
    str
        A non-empty name made of ``[A-Za-z0-9._-]``.

    Examples
    --------
    >>> safe_name("Retail bank - service redesign")
    'Retail-bank-service-redesign'
    >>> safe_name("../../etc/passwd")
    'etc-passwd'
    >>> safe_name('=HYPERLINK("http://x","y")')
    'HYPERLINK-http-x-y'
    >>> safe_name("Über Café"), safe_name("CON"), safe_name("..")
    ('Uber-Cafe', '_CON', 'scenario')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"-{2,}", "-", text).lstrip(".-")[:MAX_NAME_CHARS].rstrip(".- ")
    if not text:
        text = fallback
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def unique_names(names: Iterable[object], reserved: Iterable[str] = ()) -> list[str]:
    """Safe names for ``names``, made unique (ignoring case) by appending ``-2``, ``-3``...

    Parameters
    ----------
    names : iterable
        Raw names, in the order whose first occurrence keeps the plain name.
    reserved : iterable of str
        Names already taken (compared ignoring case), such as ``summary.csv``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> unique_names(["Base", "base", "Base", "x/y"])
    ['Base', 'base-2', 'Base-3', 'x-y']
    """
    taken = {r.lower() for r in reserved}
    out = []
    for raw in names:
        base = safe_name(raw)
        candidate, k = base, 1
        while candidate.lower() in taken:
            k += 1
            candidate = f"{base}-{k}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(value: object) -> object:
    """Make a spreadsheet text cell inert; leave numbers and other values alone.

    Text beginning with ``=``, ``+``, ``-``, ``@`` (or tab, carriage return) that does not parse
    as a number gets a leading apostrophe, the spreadsheet convention for "this is text".

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        ``value`` unchanged, or the prefixed text.

    Examples
    --------
    >>> print(neutralise('=HYPERLINK("http://x","y")'))
    '=HYPERLINK("http://x","y")
    >>> neutralise("-12.5"), neutralise("-a"), neutralise("Base"), neutralise(3.0)
    ('-12.5', "'-a", 'Base', 3.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _is_number(value):
        return "'" + value
    return value


_counter = itertools.count()


def _temporary(path: Path) -> tuple[int, str]:
    """Create a new temporary file beside ``path`` (mode 0666 less the umask, like open())."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}-{next(_counter)}{TMP_SUFFIX}"
        try:
            return os.open(tmp, flags, 0o666), str(tmp)
        except FileExistsError:  # left by a killed run with the same process id
            continue


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    For libraries that insist on writing to a path themselves (``Workbook.save``). On any
    exception, Ctrl-C included, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path-like
        Final location. Its folder must exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('done', ['a.txt'])
    """
    final = Path(path)
    fd, tmp = _temporary(final)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically: temporary file in the same folder, then rename.

    Parameters
    ----------
    path : path-like
        Final location. Its folder must exist.
    data : str or bytes
        Content; text is encoded with ``encoding``.
    encoding : str
        Encoding for text.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    payload = data.encode(encoding) if isinstance(data, str) else data
    final = Path(path)
    fd, tmp = _temporary(final)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def remove_stale_temporaries(folder: str | os.PathLike, depth: int = 1) -> int:
    """Delete temporary files left by an interrupted run in ``folder`` (and subfolders).

    Only names this module creates (``.<name>.<pid>-<n>.cxroi-tmp``) are touched.

    Parameters
    ----------
    folder : path-like
        The output folder.
    depth : int
        How many levels of subfolders to look into.

    Returns
    -------
    int
        Number of files removed.
    """
    root = Path(folder)
    if not root.is_dir():
        return 0
    removed = 0
    levels = [root]
    for level in range(depth + 1):
        nxt = []
        for d in levels:
            with contextlib.suppress(OSError):
                for entry in os.scandir(d):
                    if entry.is_file(follow_symlinks=False) and entry.name.endswith(TMP_SUFFIX):
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
                            removed += 1
                    elif level < depth and entry.is_dir(follow_symlinks=False):
                        nxt.append(Path(entry.path))
        levels = nxt
    return removed
