"""What the package ships besides code: notebooks, scenarios and cohort data.

The repository's ``notebooks/`` and ``scenarios/`` are the working copies users see and edit;
the package reaches them through ``cxroi/_bundle/``, whose two entries are links to those
folders, so a checkout and an installed wheel (where setuptools copied the files in as package
data) read the same files through :mod:`importlib.resources`, and there is no second copy to
keep in step. This module imports nothing from the rest of cxroi, so every layer may use it.

>>> default_scenario().name
'default.yaml'
>>> sorted(NOTEBOOKS)
['business_case', 'calibration', 'report']
>>> "retail_bank.yaml" in [p.name for p in scenarios()]
True
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

__all__ = [
    "NOTEBOOKS",
    "bundle_root",
    "cohort_tables",
    "default_scenario",
    "examples",
    "init_case",
    "notebook",
    "scenarios",
]

#: The bundled notebooks by the name ``cxroi serve --notebook`` and the batch use.
NOTEBOOKS = {
    "business_case": "business_case.ipynb",
    "calibration": "retention_calibration.ipynb",
    "report": "scenario_report.ipynb",
}


def bundle_root() -> Path:
    """The folder holding the bundled ``notebooks/`` and ``scenarios/``.

    An installed wheel unpacks its package data as plain files, so this is a real folder
    (``importlib.resources.files`` of the package); in a checkout it is ``cxroi/_bundle``.
    """
    return Path(str(resources.files("cxroi") / "_bundle"))


def notebook(name: str) -> Path:
    """Path of a bundled notebook by its name (a key of :data:`NOTEBOOKS`).

    Raises
    ------
    KeyError
        For an unknown name, listing the known ones.
    """
    try:
        filename = NOTEBOOKS[name]
    except KeyError:
        raise KeyError(f"no bundled notebook {name!r}; known: {', '.join(NOTEBOOKS)}") from None
    return (bundle_root() / "notebooks" / filename).resolve()


def default_scenario() -> Path:
    """The scenario ``cxroi serve`` opens when given none (``scenarios/default.yaml``)."""
    return (bundle_root() / "scenarios" / "default.yaml").resolve()


def scenarios() -> list[Path]:
    """Every bundled example scenario (``scenarios/**/*.yaml``), sorted by relative path."""
    root = (bundle_root() / "scenarios").resolve()
    return sorted(root.rglob("*.yaml"), key=lambda p: p.relative_to(root).as_posix())


def cohort_tables() -> list[Path]:
    """The bundled cohort tables for ``cxroi calibrate`` (``scenarios/data/*.csv``)."""
    return sorted((bundle_root() / "scenarios" / "data").resolve().glob("*.csv"))


def examples() -> dict[str, list[str]]:
    """What is bundled, as paths relative to the bundle: notebooks, scenarios, cohort data.

    Paths in a checkout resolve to the repository's ``notebooks/`` and ``scenarios/`` (the
    links of ``cxroi/_bundle``), so what the dashboard saves lands in the working copies.
    """
    sc_root = (bundle_root() / "scenarios").resolve()
    return {
        "notebooks": [f"notebooks/{name}" for name in NOTEBOOKS.values()],
        "scenarios": [f"scenarios/{p.relative_to(sc_root).as_posix()}" for p in scenarios()],
        "cohort data": [
            f"scenarios/{p.relative_to(sc_root).as_posix()}" for p in cohort_tables()
        ],
    }


_README = """\
# {name}

A customer-experience business case made with cxroi {version}.

- `scenarios/` holds the case: start from `scenarios/default.yaml` (every field is explained in
  its comments) or one of the examples; `scenarios/data/` has cohort tables for
  `cxroi calibrate`.
- `notebooks/` holds the dashboard (`business_case.ipynb`), the one-scenario report
  (`scenario_report.ipynb`) and the retention calibration page.

Commands, run in this folder:

    cxroi run scenarios/default.yaml          # the business case in the terminal
    cxroi serve scenarios/default.yaml        # the dashboard in the browser
    cxroi batch scenarios --out out           # a report and a workbook for every scenario
"""


def init_case(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Lay out a new case in ``directory``: ``scenarios/``, ``notebooks/`` and a README.

    Parameters
    ----------
    directory : str or Path
        Created if missing. An existing folder must be empty unless ``force``.
    force : bool
        Write into a non-empty folder, replacing files of the same names.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    FileExistsError
        ``directory`` exists, is not empty, and ``force`` is false; or it is a file.
    """
    from cxroi import __version__

    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise FileExistsError(f"{target} is not empty (use --force to write into it anyway)")
    root = bundle_root()
    written = []
    for sub in ("scenarios", "notebooks"):
        for source in sorted((root / sub).rglob("*")):
            if not source.is_file() or source.suffix not in {".yaml", ".ipynb", ".csv", ".md"}:
                continue
            dest = target / sub / source.relative_to(root / sub)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            written.append(dest)
    readme = target / "README.md"
    readme.write_text(
        _README.format(name=target.resolve().name or "cxroi case", version=__version__),
        encoding="utf-8",
    )
    written.append(readme)
    return written
