"""Tests for cxroi.analysis.whatif and ``cxroi sweep`` / ``cxroi goalseek``.

A sweep point must be the very case ``cxroi run`` reports for the scenario with those values
written in; goal seek must land on its target; bad paths and values exit 2 naming them.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxroi import cli, evaluate, switching_value
from cxroi.analysis.whatif import goal_seek, parse_values, sweep
from cxroi.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
REDESIGN = "Omnichannel service redesign"
STAR_CHURN = f"initiatives[{REDESIGN}].effects[*].churn_prevented"
MM_WALLET = "segments[Mass market].wallet"
AFF_ALPHA = "segments[Affluent].retention.alpha"


def bank() -> dict:
    return yaml.safe_load(BANK.read_text())


def write_in(m: dict, path: str, value: float) -> dict:
    """The scenario mapping with one value written in, for the paths used here."""
    if path == "discount_rate":
        m["discount_rate"] = value
    elif path == STAR_CHURN:
        m["initiatives"][0]["effects"]["*"]["churn_prevented"] = value
    elif path == MM_WALLET:
        m["segments"][0]["wallet"] = value
    elif path == AFF_ALPHA:
        m["segments"][1]["retention"]["alpha"] = value
    else:  # pragma: no cover - a test asked for a path this helper does not know
        raise KeyError(path)
    return m


def _json(argv) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(argv) == 0

    def refuse(name):
        raise ValueError(name)

    return json.loads(buf.getvalue(), parse_constant=refuse)


def test_parse_values():
    five = [0.05, 0.075, 0.1, 0.125, 0.15]
    assert parse_values("discount_rate", "0.05:0.15:5") == pytest.approx(five)
    assert parse_values("discount_rate", "0.1") == [0.1]
    assert parse_values("discount_rate", "0.1:0.2:1") == [0.1]
    for bad in ("0.1:0.2", "a:b:3", "0.1:0.2:0", "", "0.1,,0.2", "nan", "-1.5"):
        with pytest.raises(ScenarioError) as err:
            parse_values("discount_rate", bad)
        assert err.value.paths == ["discount_rate"]


def test_each_sweep_point_equals_run():
    values = {"discount_rate": [0.06, 0.1, 0.14], STAR_CHURN: [0.0, 0.2], AFF_ALPHA: [0.5, 0.9]}
    table = sweep(BANK, values)
    assert len(table) == 12
    assert list(table.columns[:3]) == list(values)
    for row in table.itertuples(index=False):
        point = dict(zip(table.columns, row, strict=True))
        m = bank()
        for path in values:
            write_in(m, path, point[path])
        case = evaluate(m)
        assert set(case.kpis) <= set(point)  # every KPI of `cxroi run`
        for key, expected in case.kpis.items():
            if expected is None:
                assert math.isnan(point[key]), key
            else:
                assert point[key] == pytest.approx(expected, rel=1e-9, abs=1e-9), key


def test_sweep_refuses_bad_paths_and_values():
    with pytest.raises(ScenarioError) as err:
        sweep(BANK, {"segments[Nobody].wallet": [1.0]})
    assert "segments[Nobody].wallet" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        sweep(BANK, {STAR_CHURN: [0.2, 1.5]})
    assert err.value.paths == [STAR_CHURN] and "1.5" in str(err.value)
    with pytest.raises(ScenarioError):
        sweep(BANK, {"horizon_years": [3.0]})


def test_cli_sweep_json_matches_run(tmp_path):
    out = _json(["sweep", str(BANK), "--set", f"{MM_WALLET}=1400,1600", "--json"])
    assert out["paths"] == [MM_WALLET]
    assert [r["values"][MM_WALLET] for r in out["rows"]] == [1400.0, 1600.0]
    m = write_in(bank(), MM_WALLET, 1600.0)
    p = tmp_path / "point.yaml"
    p.write_text(yaml.safe_dump(m))
    run = _json(["run", str(p), "--json"])
    assert set(out["rows"][1]["kpis"]) == {
        k for k, v in run.items() if not isinstance(v, (dict, list))
    }
    for key, value in out["rows"][1]["kpis"].items():
        assert value == pytest.approx(run[key], rel=1e-9), key


def test_cli_two_way_table_and_out_files(tmp_path, capsys):
    csv = tmp_path / "grid.csv"
    args = ["sweep", str(BANK), "--set", "discount_rate=0.08:0.12:3",
            "--set", f"{STAR_CHURN}=0.2,0.25,0.3", "--kpi", "npv", "--out", str(csv)]  # fmt: skip
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "2,469,087" in text  # the base case sits in the middle of the table
    table = pd.read_csv(csv)
    assert len(table) == 9
    assert list(table.columns[:2]) == ["discount_rate", STAR_CHURN]
    assert {"npv", "roi", "irr", "payback_years"} <= set(table.columns)
    middle = table[(table.discount_rate.round(9) == 0.1) & (table[STAR_CHURN] == 0.25)]
    assert float(middle.npv.iloc[0]) == pytest.approx(2469087.084937, rel=1e-9)
    xlsx = tmp_path / "grid.xlsx"
    assert cli.main(args[:-1] + [str(xlsx)]) == 0
    assert len(pd.read_excel(xlsx)) == 9


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--set", "segments[Nobody].wallet=1"], "segments[Nobody].wallet"),
        (["--set", "discount_rate=-3"], "discount_rate"),
        (["--set", "discount_rate=abc"], "abc"),
        (["--set", "discount_rate"], "--set"),
        (["--set", "discount_rate=0.1", "--kpi", "profit"], "profit"),
        (["--set", "discount_rate=0.1", "--out", "table.txt"], "table.txt"),
    ],
)
def test_cli_sweep_bad_input_exits_2(argv, named, capsys):
    assert cli.main(["sweep", str(BANK), *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("path", "kpi", "target"),
    [
        ("discount_rate", "npv", 0.0),
        (STAR_CHURN, "npv", 1_000_000.0),
        (f"initiatives[{REDESIGN}].opex", "roi", 0.5),
        (MM_WALLET, "irr", 0.3),
        ("discount_rate", "npv_with_customer_equity", 0.0),
    ],
)
def test_goal_seek_reaches_its_target(path, kpi, target):
    result = goal_seek(BANK, path, kpi, target)
    assert result["path"] == path and result["kpi"] == kpi and result["target"] == target
    assert result["value"] is not None
    m = bank()
    if path.endswith(".opex"):
        m["initiatives"][0]["opex"] = result["value"]
    else:
        write_in(m, path, result["value"])
    got = evaluate(m).kpis[kpi]
    assert got == pytest.approx(target, rel=1e-6, abs=1e-3)


def test_goal_seek_out_of_reach_is_null():
    assert goal_seek(BANK, STAR_CHURN, "npv", 1e12)["value"] is None


def test_breakeven_is_goal_seek_of_npv_to_zero():
    for path in ("discount_rate", STAR_CHURN):
        assert switching_value(BANK, path)["value"] == goal_seek(BANK, path, "npv", 0.0)["value"]


def test_cli_goalseek(capsys):
    out = _json(["goalseek", str(BANK), "discount_rate", "--kpi", "npv", "--target", "0", "--json"])
    assert list(out) == ["path", "kpi", "target", "value"]
    assert out["value"] == pytest.approx(0.243752, abs=1e-6)  # NPV = 0 at the IRR
    assert cli.main(["goalseek", str(BANK), "discount_rate", "--kpi", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert cli.main(["goalseek", str(BANK), "segments[X].wallet"]) == 2
    assert "segments[X].wallet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse's own refusal
        cli.main(["goalseek", str(BANK), "discount_rate", "--target", "nan"])
    assert exc.value.code == 2
    assert "finite" in capsys.readouterr().err
