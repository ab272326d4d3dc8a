"""The dashboard's chart specifications, kept on disk so a new kernel does not rebuild them.

A business-case chart's Vega-Lite specification depends on the chart, the currency and the
plot size only, never on the case's values (:mod:`cxroi.present.charts`): the page swaps the
data rows of a specification it holds. Building the five specifications with Altair is most
of a cold kernel's first render (Altair and jsonschema to import, then schema objects to make
and copy: about 0.8 s of CPU on an idle machine, several seconds on a loaded one), and every
kernel built the same ones again. :func:`chart_spec` builds a specification once per
machine and keeps it as JSON under :func:`~cxroi.app.serve.cache_root`; a later kernel reads
it back and never imports Altair.

A kept specification is used only by the code that built it: the folder is named by a
fingerprint of cxroi's version and sources and Altair's version (:func:`fingerprint`), so
any change to either builds anew. A file that cannot be read, or whose signature does not
match its specification, is built again; a folder that cannot be written only means the
specification is built in each kernel, as before.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import cxroi
from cxroi.app.serve import CACHE_ENV, cache_root
from cxroi.model.safety import atomic_write
from cxroi.present.chart_data import spec_signature

__all__ = ["CACHE_ENV", "cache_root", "chart_spec", "fingerprint"]

log = logging.getLogger(__name__)


@functools.cache
def fingerprint() -> str:
    """What the chart specifications depend on besides their arguments, as one hash.

    SHA-256 of cxroi's version, Altair's version and the bytes of every ``.py`` file of the
    cxroi package (about 1 MB, read in milliseconds), so an edited checkout never reads a
    specification built by other code. Computed once per process.
    """
    digest = hashlib.sha256()
    try:
        altair_version = metadata.version("altair")
    except metadata.PackageNotFoundError:  # pragma: no cover - altair is a dependency
        altair_version = "none"
    digest.update(f"cxroi {cxroi.__version__}; altair {altair_version}\n".encode())
    root = Path(cxroi.__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _file(key: str, currency: str, width: int, height: int) -> Path:
    # the currency is text a user typed: the file is named by a hash of the arguments
    name = json.dumps([key, currency, int(width), int(height)])
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    return cache_root() / "chart-specs" / fingerprint()[:32] / f"{key}-{digest}.json"


def _read(path: Path) -> tuple[dict, str] | None:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        spec, sig = kept["spec"], kept["sig"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(spec, dict) or sig != spec_signature(spec):
        return None  # damaged or edited by hand: build it again
    return spec, sig


def chart_spec(
    key: str, currency: str, width: int, height: int, build: Callable[[], Any]
) -> tuple[dict, str]:
    """Specification (data left out) and signature of one dashboard chart.

    Parameters
    ----------
    key : str
        Chart key (``cashflow``, ``bridge``...).
    currency : str
        Currency of the axes' titles.
    width, height : int
        Plot size [px].
    build : callable
        Makes the Altair chart when no kept specification fits; its specification is split
        from its data by :func:`cxroi.present.charts.split_spec` and kept.

    Returns
    -------
    spec : dict
        Vega-Lite specification whose data is the named source ``"table"``.
    signature : str
        :func:`cxroi.present.chart_data.spec_signature` of ``spec``.
    """
    try:
        path = _file(key, currency, width, height)
    except OSError as exc:  # the package's sources cannot be read: no cache
        log.debug("cxroi: chart specifications not cached: %s", exc)
        path = None
    kept = _read(path) if path is not None else None
    if kept is not None:
        return kept
    from cxroi.present.charts import split_spec

    spec, _, sig = split_spec(build())
    if path is not None:
        text = json.dumps({"sig": sig, "spec": spec}, sort_keys=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        except OSError as exc:  # a read-only home: build in each kernel, as before
            log.debug("cxroi: chart specification not kept at %s: %s", path, exc)
    return spec, sig
