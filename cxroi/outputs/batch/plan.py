"""What a batch runs: the scenario files, their output folders, their tasks, and what is reused.

:func:`discover` finds the scenario files, :func:`output_folders` gives each its folder (from
its path, never from its ``name``), :func:`prepare` reads, hashes and parses each file into a
:class:`Task`, and :func:`reusable` returns the earlier record of a scenario that has not
changed since it was made (the resume rule of ``docs/batch.md``, "Safety").

>>> from pathlib import Path
>>> output_folders([Path("/s/west/retail.yaml"), Path("/s/east/retail.yaml")])
['west__retail', 'east__retail']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import cxroi
from cxroi.model.safety import unique_names
from cxroi.model.scenario import ScenarioError, ScenarioIssue, parse_yaml
from cxroi.outputs.batch.layout import (
    HTML_NAME,
    LOCK_NAME,
    MANIFEST,
    NOTEBOOK_NAME,
    RECORD_NAME,
    RECORD_SCHEMA,
    SCENARIO_SUFFIXES,
    SUMMARY_CSV,
    SUMMARY_XLSX,
    WORKBOOK_NAME,
    BatchError,
    Task,
)
from cxroi.outputs.batch.record import error_text

__all__ = ["discover", "output_folders", "prepare", "reusable"]


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders by their ``*.yaml``/``*.yml``.

    Folders are not searched recursively (``scenarios/data/`` holds CSV cohort data, and
    ``scenarios/uncertain/`` is passed explicitly when wanted). A file named twice is kept once.

    Raises
    ------
    BatchError
        If a path does not exist or nothing is found.
    """
    paths = list(paths)
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            items = sorted(
                c for c in p.iterdir() if c.is_file() and c.suffix.lower() in SCENARIO_SUFFIXES
            )
        elif p.is_file():
            items = [p]
        else:
            raise BatchError(f"no such file or folder: {os.fspath(raw)}")
        for item in items:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                found.append(item)
    if not found:
        where = ", ".join(os.fspath(p) for p in paths)
        raise BatchError(f"no scenario files (*.yaml, *.yml) found in: {where}")
    return found


def output_folders(files: Sequence[Path]) -> list[str]:
    """The output folder name of each scenario file, from its path (never from its name).

    Each folder is the file's path relative to the deepest folder holding all ``files``,
    without the suffix, with ``__`` between path parts and made safe by
    :func:`cxroi.model.safety.safe_name` (``east/retail.yaml`` and ``west/retail.yaml`` give
    ``east__retail`` and ``west__retail``). Two files that still map to the same folder (such
    as ``a.yaml`` and ``a.yml``) are told apart with ``-2`` in the order of their absolute
    paths, so the folders depend on the set of files only, never on the order they are given
    in or on the scenario names inside them.

    Parameters
    ----------
    files : sequence of Path
        Scenario files, as found by :func:`discover`.

    Returns
    -------
    list of str
        Folder names, in the order of ``files``, unique ignoring case.

    Examples
    --------
    >>> from pathlib import Path
    >>> output_folders([Path("/s/west/retail.yaml"), Path("/s/east/retail.yaml")])
    ['west__retail', 'east__retail']
    >>> output_folders([Path("/s/b.yml"), Path("/s/b.yaml")])
    ['b-2', 'b']
    """
    if not files:
        return []
    resolved = [Path(os.path.abspath(p)) for p in files]
    root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    stems = ["__".join(p.relative_to(root).with_suffix("").parts) for p in resolved]
    order = sorted(range(len(files)), key=lambda i: str(resolved[i]))
    reserved = (SUMMARY_CSV, SUMMARY_XLSX, MANIFEST, LOCK_NAME)
    names = unique_names([stems[i] for i in order], reserved=reserved)
    folders = [""] * len(files)
    for k, i in enumerate(order):
        folders[i] = names[k]
    return folders


def prepare(
    files: Sequence[Path],
    out_dir: Path,
    notebooks: bool,
    template: str | None,
    timeout: float | None,
    template_sha256: str | None = None,
    workbook: bool = True,
) -> Iterator[Task]:
    """Read, hash and parse each file, in order; each scenario's folder comes from its path.

    A generator, so that workers start on the first scenarios while later ones are read.
    Folders are given by :func:`output_folders`, so two scenarios with the same ``name`` never
    share or swap outputs. A file that cannot be read or parsed gives a task with ``error``.
    """
    folders = output_folders(files)
    for index, path in enumerate(files):
        data: Any = None
        error: str | None = None
        digest = ""
        try:
            blob = path.read_bytes()
            digest = hashlib.sha256(blob).hexdigest()
            data = parse_yaml(blob.decode("utf-8"), str(path))
            if not isinstance(data, dict):
                raise ScenarioError(
                    ScenarioIssue(
                        "", "the scenario must be a mapping of fields", type(data).__name__
                    ),
                    str(path),
                )
        except (OSError, UnicodeDecodeError) as exc:
            error = f"cannot read the file: {exc}"
        except ScenarioError as exc:
            error = error_text(exc)
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            name = path.stem
        yield Task(
            index=index,
            file=str(path),
            name=name,
            dir=folders[index],
            sha256=digest,
            out_dir=str(out_dir),
            data=data if error is None else None,
            error=error,
            notebooks=notebooks,
            template=template,
            timeout=timeout,
            template_sha256=template_sha256,
            source=str(path.resolve()),
            workbook=workbook,
        )


def reusable(task: Task) -> dict[str, Any] | None:
    """The previous record of an unchanged, successful scenario, or None.

    A record is reused only if all of these are unchanged since it was written: the scenario
    file (its path and the SHA-256 of its bytes), the cxroi version, and, when reports are
    asked for, the SHA-256 of the report notebook template. A record of a failed scenario, or
    one written without the outputs now asked for, is never reused.
    """
    folder = Path(task.out_dir) / task.dir
    try:
        rec = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("schema") != RECORD_SCHEMA:
        return None
    same = (
        rec.get("status") == "ok"
        and rec.get("sha256") == task.sha256
        and rec.get("cxroi_version") == cxroi.__version__
        and (rec.get("source") or rec.get("file")) == (task.source or task.file)
        and (rec.get("notebooks") or not task.notebooks)
        and (not task.notebooks or rec.get("template_sha256") == task.template_sha256)
    )
    if not same:
        return None
    if task.notebooks and not all((folder / name).is_file() for name in (NOTEBOOK_NAME, HTML_NAME)):
        return None
    if task.workbook and not (folder / WORKBOOK_NAME).is_file():
        return None
    rec["reused"] = True
    return rec
