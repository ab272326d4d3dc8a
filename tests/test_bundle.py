"""The files the package ships: notebooks, scenarios, cohort data (cxroi.bundle), and the
``cxroi init`` / ``cxroi examples`` commands built on them."""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path

import pytest
import yaml

from cxroi import bundle, cli
from cxroi.model.scenario import load_scenario
from cxroi.outputs import batch

ROOT = Path(__file__).resolve().parents[1]
# The module, not the function cxroi.app.serve of the same name.
serve_mod = importlib.import_module("cxroi.app.serve")
PACKAGE_DATA = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
    "package-data"
]["cxroi"]


def _repo_files(folder: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts
    }


def test_the_bundle_is_the_repository_working_copies():
    # One source: cxroi/_bundle links to notebooks/ and scenarios/, no second copy to drift.
    for name in ("notebooks", "scenarios"):
        link = ROOT / "cxroi" / "_bundle" / name
        assert link.is_symlink(), f"{link} must be a link to ../../{name}"
        assert link.resolve() == (ROOT / name).resolve()
    assert bundle.default_scenario() == (ROOT / "scenarios" / "default.yaml").resolve()
    assert bundle.notebook("report") == (ROOT / "notebooks" / "scenario_report.ipynb").resolve()


def test_package_data_ships_every_repository_notebook_and_scenario_file():
    # A new file type or sub-folder in scenarios/ must not silently miss the wheel.
    package = ROOT / "cxroi"
    shipped = {
        (Path("cxroi") / p.relative_to(package)).as_posix()
        for pattern in PACKAGE_DATA
        for p in package.glob(pattern)
        if p.is_file()
    }
    wanted = {
        "cxroi/_bundle/" + name for name in _repo_files("notebooks") | _repo_files("scenarios")
    }
    assert wanted - shipped == set()


def test_every_bundled_scenario_loads_and_every_notebook_is_known():
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} == set(
        bundle.NOTEBOOKS.values()
    )
    for path in bundle.scenarios():
        assert load_scenario(path).name == yaml.safe_load(path.read_text())["name"]
    assert [p.name for p in bundle.cohort_tables()] == sorted(
        p.name for p in (ROOT / "scenarios" / "data").glob("*.csv")
    )
    with pytest.raises(KeyError, match="known: business_case, calibration, report"):
        bundle.notebook("nope")


def test_serve_batch_and_calibration_read_the_bundle():
    assert serve_mod.DEFAULT_SCENARIO == bundle.default_scenario()
    assert serve_mod.NOTEBOOKS["business_case"] == bundle.notebook("business_case")
    assert serve_mod.NOTEBOOKS["calibration"] == bundle.notebook("calibration")
    assert batch.REPORT_NOTEBOOK == bundle.notebook("report")
    assert all(p.is_file() for p in serve_mod.NOTEBOOKS.values())


def test_examples_lists_what_is_bundled(capsys):
    assert cli.main(["examples", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert "scenarios/default.yaml" in listing["scenarios"]
    assert "scenarios/uncertain/retail_bank_uncertain.yaml" in listing["scenarios"]
    assert "notebooks/business_case.ipynb" in listing["notebooks"]
    assert "scenarios/data/fader_hardie_2007_regular.csv" in listing["cohort data"]
    root = Path(listing["root"])
    assert all((root / item).is_file() for items in listing.values() if isinstance(items, list)
               for item in items)
    assert cli.main(["examples"]) == 0
    text = capsys.readouterr().out
    assert "Retail bank - service redesign" in text and "scenarios/telecom.yaml" in text


def test_init_lays_out_a_case_that_runs(tmp_path, capsys):
    case = tmp_path / "acme"
    assert cli.main(["init", str(case)]) == 0
    assert (case / "README.md").read_text().startswith("# acme")
    for item in bundle.examples()["scenarios"] + bundle.examples()["notebooks"]:
        assert (case / item).read_bytes() == (bundle.bundle_root() / item).read_bytes()
    assert cli.main(["run", str(case / "scenarios" / "retail_bank.yaml"), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["npv"] == pytest.approx(2469087.084936945, rel=1e-9)


def test_init_refuses_a_non_empty_folder_unless_forced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err
    assert not (tmp_path / "scenarios").exists()
    assert cli.main(["init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "scenarios" / "default.yaml").is_file()


def test_init_refuses_a_file(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert cli.main(["init", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_init_into_an_empty_existing_folder(tmp_path):
    assert cli.main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "notebooks" / "scenario_report.ipynb").is_file()
