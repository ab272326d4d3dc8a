"""The package is typed: it ships ``py.typed`` and its public functions are annotated.

mypy itself runs in ``make test`` (settings in pyproject.toml), not here: it takes a minute.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import pytest

import cxroi

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_shipped():
    assert (ROOT / "cxroi" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["cxroi"]
    assert "py.typed" in package_data


@pytest.mark.parametrize(
    "name", [n for n in cxroi.__all__ if inspect.isfunction(getattr(cxroi, n))]
)
def test_public_functions_are_annotated(name):
    func = getattr(cxroi, name)
    signature = inspect.signature(func)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL,)
    ]
    assert missing == [], f"cxroi.{name}: parameters without a type: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"cxroi.{name} -> ?"


def test_mypy_settings_check_the_package():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["files"] == ["cxroi"]
    assert "mypy" in (ROOT / "Makefile").read_text().split("\ntest:")[1].split("\n\n")[0]
