"""Packaging and project hygiene: pyproject.toml, environment.yml, notebooks, README, CI."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())

# conda-forge name -> PyPI name, where the two differ.
CONDA_TO_PYPI = {"playwright-python": "playwright"}
# conda entries that are the toolchain, not dependencies of cxroi.
CONDA_TOOLCHAIN = {"python", "pip"}


def _conda_name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9_.\-]+", spec.strip())
    assert match, f"environment.yml: cannot read a package name from {spec!r}"
    return canonicalize_name(match.group(0))


def _conda_entries() -> tuple[list[str], list[str]]:
    conda, pip = [], []
    for entry in ENVIRONMENT["dependencies"]:
        if isinstance(entry, dict):
            pip.extend(entry.get("pip", []))
        else:
            conda.append(str(entry))
    return conda, pip


def _pyproject_names() -> set[str]:
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _environment_names() -> set[str]:
    conda, pip = _conda_entries()
    names = {_conda_name(spec) for spec in conda} - CONDA_TOOLCHAIN
    names = {canonicalize_name(CONDA_TO_PYPI.get(name, name)) for name in names}
    for line in pip:
        line = line.strip()
        if not line.startswith("-"):  # -e . and other pip options are not package names
            names.add(canonicalize_name(Requirement(line).name))
    return names


def test_environment_names_the_same_dependencies_as_pyproject():
    pyproject, environment = _pyproject_names(), _environment_names()
    assert pyproject - environment == set(), "in pyproject.toml only: add them to environment.yml"
    assert environment - pyproject == set(), "in environment.yml only: add them to pyproject.toml"


def test_environment_is_conda_forge_and_installs_the_package():
    assert ENVIRONMENT["name"] == "cxroi"
    assert ENVIRONMENT["channels"] == ["conda-forge"]
    _, pip = _conda_entries()
    assert "-e ." in [line.strip() for line in pip]


def test_environment_python_agrees_with_requires_python():
    conda, _ = _conda_entries()
    (python,) = [spec for spec in conda if _conda_name(spec) == "python"]
    conda_spec = SpecifierSet(python.strip()[len("python") :])
    assert conda_spec == SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_console_script_points_at_an_importable_function():
    target = PYPROJECT["project"]["scripts"]["cxroi"]
    module_name, _, attribute = target.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    assert callable(function)


def test_installed_entry_point_matches_pyproject():
    # Fails when the editable install is stale: `make test` reinstalls on pyproject changes.
    (entry_point,) = importlib.metadata.entry_points(group="console_scripts", name="cxroi")
    assert entry_point.value == PYPROJECT["project"]["scripts"]["cxroi"]


def _notebooks() -> list[Path]:
    return sorted(
        p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def test_notebooks_are_clean_and_parameterised():
    if not (ROOT / "notebooks").is_dir():
        pytest.skip("no notebooks/ folder yet")
    notebooks = _notebooks()
    assert notebooks, "notebooks/ exists but holds no .ipynb file"
    problems = []
    for path in notebooks:
        name = path.relative_to(ROOT)
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        if any(c.get("outputs") or c.get("execution_count") is not None for c in cells):
            problems.append(f"{name}: committed with outputs or execution counts (clear them)")
        if not cells or "parameters" not in cells[0].get("metadata", {}).get("tags", []):
            problems.append(f"{name}: first code cell must be tagged 'parameters' (papermill)")
    assert problems == []


def _readme_quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section.group(1), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_quick_start_is_two_commands():
    assert _readme_quick_start_commands() == ["make serve", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert "set -euo pipefail" in lines
    assert any(re.match(r"(exec )?make test\b", line) for line in lines)


def test_make_serve_default_scenario_is_bundled():
    match = re.search(r"^SCENARIO\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert match, "Makefile must define SCENARIO ?= <default scenario>"
    assert (ROOT / match.group(1)).is_file(), f"{match.group(1)} is missing"


@pytest.mark.slow
def test_wheel_ships_package_data(tmp_path):
    # Build from a copy so the checkout gets no build/ or *.egg-info.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("cxroi", "notebooks", "scenarios"):  # cxroi/_bundle links to the other two
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    subprocess.run([*command, str(source)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("cxroi-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())

    expected = {"cxroi/__init__.py"}
    package = ROOT / "cxroi"
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["cxroi"]
    for pattern in patterns:
        for path in package.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                expected.add(path.relative_to(ROOT).as_posix())
    assert expected - shipped == set()
    assert "cxroi/_bundle/scenarios/default.yaml" in shipped
    assert "cxroi/_bundle/notebooks/business_case.ipynb" in shipped
    assert not any(name.startswith(("tests/", "notebooks/", "scenarios/")) for name in shipped)
