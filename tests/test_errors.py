"""One error base class; the CLI turns each error into its exit status in one place."""

from __future__ import annotations

import pytest

from cxroi import cli, errors
from cxroi.analysis.calibration import CalibrationError, CohortDataError
from cxroi.model.scenario import ScenarioError, ScenarioIssue, load_scenario
from cxroi.outputs.batch import BatchError


@pytest.mark.parametrize(
    "cls", [ScenarioError, CalibrationError, CohortDataError, BatchError, cli.UsageError]
)
def test_input_errors_share_the_base_and_stay_value_errors(cls):
    assert issubclass(cls, errors.InputError)
    assert issubclass(cls, errors.CxroiError)
    assert issubclass(cls, ValueError)  # callers that caught ValueError keep working
    assert cls.exit_code == errors.EXIT_USAGE == 2


def test_a_scenario_error_is_caught_as_the_base():
    with pytest.raises(errors.CxroiError) as info:
        load_scenario({"name": "x", "segments": [], "initiatives": []})
    assert isinstance(info.value, ScenarioError)
    assert info.value.exit_code == 2


def test_the_cli_maps_the_exit_code_of_any_cxroi_error(monkeypatch, capsys):
    class Failed(errors.CxroiError):
        """A command that ran but failed."""

    def boom(args):
        raise Failed("the batch had 1 failed scenario")

    monkeypatch.setattr(cli, "_cmd_run", boom)
    assert cli.main(["run", "whatever.yaml"]) == errors.EXIT_FAILED == 1
    assert capsys.readouterr().err == "cxroi: the batch had 1 failed scenario\n"

    def bad_input(args):
        raise ScenarioError(ScenarioIssue("discount_rate", "must be a number", "abc"))

    monkeypatch.setattr(cli, "_cmd_run", bad_input)
    assert cli.main(["run", "whatever.yaml"]) == 2
    err = capsys.readouterr().err
    assert "discount_rate" in err and "must be a number" in err and "Traceback" not in err


def test_a_calibration_error_ends_the_command_with_status_2(tmp_path, capsys):
    bad = tmp_path / "cohorts.csv"
    bad.write_text("cohort,period,active\nA,0,100\nA,1,120\n")
    assert cli.main(["calibrate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxroi: ") and "Traceback" not in err
