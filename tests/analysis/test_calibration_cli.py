"""Tests for ``cxroi calibrate``: output, --into, overwrite protection and bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGULAR_CSV = ROOT / "scenarios" / "data" / "fader_hardie_2007_regular.csv"
LONG_CSV = ROOT / "scenarios" / "data" / "synthetic_cohorts_long.csv"
RETAIL_BANK = ROOT / "scenarios" / "retail_bank.yaml"


@pytest.fixture
def bank(tmp_path):
    path = tmp_path / "bank.yaml"
    shutil.copy(RETAIL_BANK, path)
    return path


def test_prints_the_published_fit(capsys):
    # Fader & Hardie (2007): alpha 0.704, beta 1.182 on years 0..7; about 170 alive at year 12.
    assert main(["calibrate", str(REGULAR_CSV), "--fit-periods", "7"]) == 0
    out = capsys.readouterr().out
    assert "alpha                       0.7041" in out
    assert "beta                         1.182" in out
    assert re.search(r"regular\s+12\s+173\s+170\.0 .*\(held out\)", out)
    assert "held-out MAPE: sBG 1.5%, constant retention 59.0%" in out


def test_json_output(capsys):
    assert main(["calibrate", str(REGULAR_CSV), "--fit-periods", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert round(data["fit"]["alpha"]["estimate"], 3) == 0.704
    assert round(data["fit"]["beta"]["estimate"], 3) == 1.182
    assert data["fit"]["alpha"]["low"] < 0.704 < data["fit"]["alpha"]["high"]
    assert data["backtest"]["fit_periods"] == 7


def test_per_cohort_choice(capsys):
    assert main(["calibrate", str(LONG_CSV), "--cohort", "2018"]) == 0
    out = capsys.readouterr().out
    assert "sBG fit '2018' on 1 cohort(s) (2018), periods 0..6" in out
    assert "Each cohort on its own" in out


def test_into_writes_a_scenario_that_runs(bank, capsys):
    out_path = bank.with_name("bank-sbg.yaml")
    code = main(
        [
            "calibrate",
            str(REGULAR_CSV),
            "--fit-periods",
            "7",
            "--into",
            str(bank),
            "--segment",
            "Affluent",
            "--tenure",
            "4",
            "--out",
            str(out_path),
        ]
    )
    assert code == 0
    assert f"Wrote {out_path}" in capsys.readouterr().out
    retention = yaml.safe_load(out_path.read_text())["segments"][1]["retention"]
    assert retention == {"alpha": 0.704077, "beta": 1.18204, "tenure": 4}
    assert out_path.read_text().startswith("# Retention of segment 'Affluent' calibrated by")
    assert main(["run", str(out_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["npv"] is not None
    case = cxroi.evaluate(cxroi.load_scenario(out_path))
    assert result["npv"] == pytest.approx(case.kpis["npv"])


def test_default_output_name_and_overwrite_protection(bank, capsys):
    args = ["calibrate", str(REGULAR_CSV), "--into", str(bank), "--segment", "Affluent"]
    assert main(args) == 0
    written = bank.with_name("bank-calibrated.yaml")
    assert written.is_file()
    before = written.read_text()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == f"cxroi: {written} already exists; pass --force to replace it\n"
    assert written.read_text() == before
    assert main([*args, "--force", "--tenure", "2"]) == 0
    assert yaml.safe_load(written.read_text())["segments"][1]["retention"]["tenure"] == 2


def test_into_is_checked_before_fitting(bank, capsys):
    code = main(["calibrate", str(REGULAR_CSV), "--into", str(bank), "--segment", "Nope"])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing printed before the error
    assert "no segment named 'Nope' (segments: Mass market, Affluent)" in captured.err
    assert main(["calibrate", str(REGULAR_CSV), "--into", str(bank)]) == 2
    assert "say which segment" in capsys.readouterr().err
    assert sorted(p.name for p in bank.parent.iterdir()) == ["bank.yaml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--segment", "Affluent"], "--segment, --out and --force only apply with --into"),
        (["--fit-periods", "1"], "fit periods must be a whole number >= 2 (got 1)"),
        (["--cohort", "nope"], "no cohort named nope (cohorts: regular)"),
        (["--discount-rate", "-0.5"], "discount rate must be a decimal > 0 (got -0.5)"),
    ],
)
def test_bad_arguments(capsys, args, message):
    assert main(["calibrate", str(REGULAR_CSV), *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cohort,period\nA,0\n", "missing column(s) active"),
        ("cohort,period,active\nA,0,100\nA,1,60\nA,2,70\n", "cohort A: active rises from 60"),
        ("cohort,period,active\nA,0,100\nA,1,-3\n", "active must be a count >= 0 (got -3"),
        ("cohort,period,active\nA,0,100\nA,1,lots\n", "must be a number of customers"),
        ("cohort,period,active\nA,0,100\nA,2,60\n", "gap in periods, 1 missing"),
    ],
)
def test_bad_csv_exits_2_with_message(tmp_path, capsys, text, message):
    path = tmp_path / "cohorts.csv"
    path.write_text(text)
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cxroi: {path}: cohort table is not usable")
    assert message in err
    assert "Traceback" not in err


def test_missing_csv(capsys):
    assert main(["calibrate", "no/such.csv"]) == 2
    assert capsys.readouterr().err == "cxroi: no/such.csv: no such file\n"


def test_installed_command_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cohort,period,active\nA,0,100\nA,1,x\n")
    exe = Path(sys.executable).with_name("cxroi")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "cxroi.cli"]
    proc = subprocess.run(
        [*cmd, "calibrate", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "line 3: active must be a number of customers (got 'x'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_warns_when_writing_a_fit_without_heterogeneity(tmp_path, bank, capsys):
    # exactly geometric counts (r = 0.8): the sBG parameters are not identified
    rows = "".join(f"A,{t},{round(10000 * 0.8**t)}\n" for t in range(8))
    path = tmp_path / "flat.csv"
    path.write_text("cohort,period,active\n" + rows)
    code = main(["calibrate", str(path), "--into", str(bank), "--segment", "Affluent"])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: the sBG fit is not a clean maximum" in err
    assert "constant retention of 0.8000" in err
    assert cxroi.load_scenario(bank.with_name("bank-calibrated.yaml")).segments[1].is_sbg


# --------------------------------------------------------------------------------------------
# Special files, size limit, alias bombs
# --------------------------------------------------------------------------------------------


def _refused(capsys, argv, *expected):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


@pytest.mark.timeout(20)
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path, capsys):
    fifo = tmp_path / "cohorts.csv"
    os.mkfifo(fifo)
    _refused(capsys, ["calibrate", str(fifo)], "not a regular file", str(fifo))


@pytest.mark.timeout(20)
def test_device_is_refused_before_reading(capsys):
    _refused(capsys, ["calibrate", "/dev/zero"], "/dev/zero: not a regular file")


def test_folder_is_refused(tmp_path, capsys):
    _refused(capsys, ["calibrate", str(tmp_path)], "not a regular file (a folder)")


def test_file_above_the_size_limit_is_refused(tmp_path, capsys, monkeypatch):
    import cxroi.analysis.calibration as calibration

    monkeypatch.setattr(calibration.cohorts, "MAX_TABLE_BYTES", 1000)
    big = tmp_path / "big.csv"
    big.write_text("cohort,period,active\n" + "A,0,100\n" * 200)
    _refused(capsys, ["calibrate", str(big)], "larger than 1,000 bytes", "MAX_TABLE_BYTES")
    small = tmp_path / "small.csv"
    small.write_text("cohort,period,active\nA,0,100\nA,1,80\nA,2,70\n")
    assert main(["calibrate", str(small)]) == 0  # under the limit: read as before


def test_upload_bytes_above_the_size_limit_are_refused(monkeypatch):
    import cxroi.analysis.calibration as calibration

    monkeypatch.setattr(calibration.cohorts, "MAX_TABLE_BYTES", 100)
    with pytest.raises(calibration.CohortDataError, match="MAX_TABLE_BYTES"):
        calibration.read_cohorts(b"cohort,period,active\n" + b"A,0,100\n" * 20)


@pytest.mark.timeout(30)
def test_alias_bomb_into_scenario_is_refused(tmp_path, capsys):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 10):
        levels.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n")
    err = _refused(capsys, ["calibrate", str(REGULAR_CSV), "--into", str(bomb)], str(bomb))
    assert "alias" in err.lower() or "nodes" in err.lower()
    assert len(err) < 2000


def test_library_write_back_uses_the_safe_loader(tmp_path):
    from cxroi.analysis.calibration import CalibrationError, calibrate, scenario_with_retention

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"b{k}: &b{k} [" + ", ".join(["*a" if k == 0 else f"*b{k - 1}"] * 10) + "]\n"
            for k in range(8)
        )
    )
    fit = calibrate(REGULAR_CSV, fit_periods=7).pooled
    with pytest.raises(CalibrationError, match="(?i)alias|nodes"):
        scenario_with_retention(bomb, fit)


def test_into_writes_a_tenure_mix_read_from_the_cohort_table(bank, capsys):
    from cxroi.analysis.calibration import CohortTable, read_cohorts, tenure_mix_from_table

    # each cohort's last count at its age: 70 with 2 renewals, 90 with 1, 50 with 0
    small = CohortTable({"2023": (100.0, 80.0, 70.0), "2024": (100.0, 90.0), "2025": (50.0,)})
    assert tenure_mix_from_table(small) == pytest.approx({0: 50 / 210, 1: 90 / 210, 2: 70 / 210})
    out_path = bank.with_name("bank-mix.yaml")
    args = ["calibrate", str(LONG_CSV), "--into", str(bank), "--segment", "Affluent",
            "--tenure-mix-from-table", "--out", str(out_path)]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    tenure = yaml.safe_load(out_path.read_text())["segments"][1]["retention"]["tenure"]
    table = read_cohorts(LONG_CSV)
    assert tenure == pytest.approx(tenure_mix_from_table(table))
    assert sum(tenure.values()) == pytest.approx(1.0, abs=1e-12)
    assert "# tenure mix {" in out_path.read_text()
    sc = cxroi.load_scenario(out_path)  # shares sum to 1 within 1e-9: the mix loads
    assert isinstance(sc.segments[1].retention.tenure, dict)
    assert main(["run", str(out_path), "--json"]) == 0
