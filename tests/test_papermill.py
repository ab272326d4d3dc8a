"""The report notebook run by papermill itself, as a user would from the command line.

``-f`` takes a scenario file as the parameters file; ``-p`` overrides one top-level field. The
two runs start together to share the kernel start-up time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import cxroi
from cxroi.present.formatting import format_money

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "scenario_report.ipynb"
B2B = ROOT / "scenarios" / "b2b_saas.yaml"
DEFAULT = ROOT / "scenarios" / "default.yaml"
PAPERMILL = [sys.executable, "-m", "papermill", "--no-progress-bar", "--log-level", "WARNING"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("papermill")
    commands = {
        # a scenario file as the parameters file, one field overridden
        "file": ["-f", str(B2B), "-p", "discount_rate", "0.2"],
        # the default scenario, one field overridden
        "default": ["-f", str(DEFAULT), "-p", "horizon_years", "3"],
        # a misspelt field is refused, not ignored
        "typo": ["-f", str(DEFAULT), "-p", "horizon_year", "7"],
    }
    procs = {
        key: subprocess.Popen(
            [*PAPERMILL, str(NOTEBOOK), str(tmp / f"{key}.ipynb"), *args],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, args in commands.items()
    }
    done = {}
    for key, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        if key == "typo":
            done[key] = (proc.returncode, err)
            continue
        assert proc.returncode == 0, err
        done[key] = nbformat.read(tmp / f"{key}.ipynb", as_version=4)
    return done


def _html(nb) -> str:
    return "".join(
        o.data.get("text/html", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.output_type in ("display_data", "execute_result")
    )


def _npv_text(path: Path, **override) -> str:
    mapping = cxroi.load_scenario(path).to_mapping()
    mapping.update(override)
    case = cxroi.evaluate(mapping)
    return format_money(case.kpis["npv"], case.currency)


@pytest.mark.slow
def test_scenario_file_is_a_parameters_file_and_p_overrides(runs):
    nb = runs["file"]
    params = nb.metadata.papermill.parameters
    assert params["name"] == "B2B SaaS - customer success programme"
    assert params["discount_rate"] == 0.2
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "discount_rate = 0.2" in injected[0].source
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    html = _html(nb)
    assert "B2B SaaS - customer success programme" in html
    assert "discount rate 20.0%" in html
    assert _npv_text(B2B, discount_rate=0.2) in html
    assert _npv_text(B2B, discount_rate=0.2) != _npv_text(B2B)


@pytest.mark.slow
def test_p_alone_changes_the_default_scenario(runs):
    html = _html(runs["default"])
    assert "Retail bank - service redesign" in html and "horizon 3 years" in html
    assert _npv_text(DEFAULT, horizon_years=3) in html


@pytest.mark.slow
def test_misspelt_parameter_fails_with_a_suggestion(runs):
    code, err = runs["typo"]
    assert code != 0
    assert "horizon_year" in err and "did you mean 'horizon_years'" in err
