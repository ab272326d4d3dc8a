"""Tests for cxroi.cli_decisions: argument parsing and output files of compare / sweep / goalseek.

The commands' results are checked against the library in tests/analysis (test_compare,
test_whatif, test_voi); here, the command-line edges: ``--set`` parsing, output files, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxroi import cli, load_scenario
from cxroi.cli_decisions import _parse_sets, _write_table, print_decision_lines
from cxroi.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
NAMED = "initiatives[A = B, C].opex"  # a name may hold '=' and ','; the last '=' splits


def test_parse_sets_splits_on_the_last_equals_sign():
    out = _parse_sets([f"{NAMED}=1,2", "discount_rate=0.1:0.3:3"])
    assert out[NAMED] == [1.0, 2.0]
    assert out["discount_rate"] == pytest.approx([0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("items", "path"),
    [
        (["discount_rate"], "--set"),
        (["=0.1"], "--set"),
        (["discount_rate=0.1", "discount_rate=0.2"], "discount_rate"),
    ],
)
def test_parse_sets_refuses_naming_the_argument(items, path):
    with pytest.raises(ScenarioError) as err:
        _parse_sets(items)
    assert err.value.paths == [path]


def test_write_table_is_atomic_and_checks_the_name(tmp_path):
    table = pd.DataFrame({"discount_rate": [0.1], "npv": [1.0]})
    _write_table(table, str(tmp_path / "t.csv"))
    assert pd.read_csv(tmp_path / "t.csv").npv.tolist() == [1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]  # no temporary left
    with pytest.raises(cli.UsageError, match="does not exist"):
        _write_table(table, str(tmp_path / "missing" / "t.csv"))
    with pytest.raises(cli.UsageError, match=r"\.csv or \.xlsx"):
        _write_table(table, str(tmp_path / "t.json"))


def test_sweep_out_into_a_missing_folder_exits_2_and_writes_nothing(tmp_path, capsys):
    target = tmp_path / "nowhere" / "grid.csv"
    assert cli.main(["sweep", str(BANK), "--set", "discount_rate=0.1", "--out", str(target)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not target.exists()


def test_decision_lines_without_distributions(capsys):
    sc = load_scenario(BANK)
    summary = {"npv": {"mean": 2469087.08}, "prob_npv_positive": 1.0, "evpi": 0.0, "evppi": {}}
    print_decision_lines(sc, summary)
    out = capsys.readouterr().out
    assert "Base-case NPV $2.47M; expected NPV (mean of the draws) $2.47M" in out
    assert "Value of information" not in out  # nothing is uncertain
