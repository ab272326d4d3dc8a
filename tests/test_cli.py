"""Tests for cxroi.cli: ``cxroi run`` (text and --json) and its handling of bad input."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from published import OUTREACH, REDESIGN
from published import PUBLISHED_BENEFITS as BENEFITS
from published import PUBLISHED_BY_INITIATIVE as BY_INITIATIVE
from published import PUBLISHED_BY_LEVER as BY_LEVER
from published import PUBLISHED_CLV as CLV
from published import PUBLISHED_KPIS as PUBLISHED
from published import assert_published as published

from cxroi import cli
from cxroi.engine.case import EQUITY_KEYS, KPI_KEYS

WORKED = Path(__file__).parent / "data" / "worked_example.yaml"
CXROI = Path(sys.executable).parent / "cxroi"
JSON_KEYS = [
    *KPI_KEYS, *EQUITY_KEYS, "unadjusted", "cashflow", "by_lever", "by_initiative",
    "by_initiative_standalone", "by_initiative_last_in", "segments", "warnings",
]  # fmt: skip


def check_worked_json(out):
    assert list(out) == JSON_KEYS
    for key, (value, decimals) in PUBLISHED.items():
        published(out[key], value, decimals)
    assert list(out["unadjusted"]) == [*KPI_KEYS, *EQUITY_KEYS]
    assert out["unadjusted"]["npv"] > out["npv"]
    assert out["unadjusted"]["extra_customers_end"] == out["extra_customers_end"]
    cf = out["cashflow"]
    assert list(cf) == [
        "year", "benefits", "costs", "net", "customer_benefits", "line_benefits", "line_costs"
    ]  # fmt: skip
    assert cf["year"] == [0, 1, 2, 3, 4, 5]
    for got, expected in zip(cf["benefits"], BENEFITS, strict=True):
        published(got, expected, 2)
    for b, c, n in zip(cf["benefits"], cf["costs"], cf["net"], strict=True):
        assert n == pytest.approx(b - c, rel=1e-12, abs=1e-6)
    assert cf["costs"][0] == pytest.approx(4_500_000 * 1.05, rel=1e-12)
    assert list(out["by_lever"]) == ["retention", "wallet", "referral", "service", "lines"]
    for lever, expected in BY_LEVER.items():
        published(out["by_lever"][lever], expected, 2)
    assert list(out["by_initiative"]) == [REDESIGN, OUTREACH]
    for name, expected in BY_INITIATIVE.items():
        published(out["by_initiative"][name], expected, 2)
    assert list(out["segments"]) == ["Mass market", "Affluent"]
    for name, (base, cx) in CLV.items():
        assert list(out["segments"][name]) == ["clv_baseline", "clv_with_cx"]
        published(out["segments"][name]["clv_baseline"], base, 2)
        published(out["segments"][name]["clv_with_cx"], cx, 2)


# --------------------------------------------------------------------------------------------
# cxroi run
# --------------------------------------------------------------------------------------------
def test_run_json_subprocess():
    proc = subprocess.run(
        [str(CXROI), "run", str(WORKED), "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    check_worked_json(json.loads(proc.stdout))


def test_run_json_main(capsys):
    assert cli.main(["run", str(WORKED), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    out = json.loads(captured.out)
    check_worked_json(out)
    # strict JSON: no NaN or Infinity anywhere
    json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_run_text_report(capsys):
    assert cli.main(["run", str(WORKED)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Retail bank - service redesign")
    for text in (
        "Net present value",
        "$2.47M",
        "$10.7M",
        "23.0%",
        "24.4%",
        "3.1 years",
        "3.7 years",
        "15.6K",
        "Initial",
        "Year 1",
        "Year 5",
        "Total",
        "Present value",
        "Cumulative net",
        REDESIGN,
        "-221,445",
        "2,690,532",
        "Mass market",
        "265",
        "324",
        "retention",
        "wallet",
        "referral",
        "service",
    ):
        assert text in out, text


def test_run_json_nulls(tmp_path, capsys):
    # no costs: roi and irr are null; retention 1 at a zero discount rate: CLV diverges (null)
    m = yaml.safe_load(WORKED.read_text())
    m["discount_rate"] = 0.0
    m["segments"][0]["retention"] = 1.0
    for ini in m["initiatives"]:
        ini["capex"], ini["opex"] = 0, 0
    path = tmp_path / "nulls.yaml"
    path.write_text(yaml.safe_dump(m))
    assert cli.main(["run", str(path), "--json"]) == 0
    text = capsys.readouterr().out
    out = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert out["roi"] is None and out["irr"] is None
    assert out["pv_costs"] == 0.0
    assert out["payback_years"] == 0.0
    assert out["segments"]["Mass market"]["clv_baseline"] is None
    assert out["unadjusted"]["roi"] is None


def test_version_and_usage(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert "cxroi 0.1.0" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli.main(["run"])
    assert info.value.code == 2
    assert "SCENARIO" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2


# --------------------------------------------------------------------------------------------
# Bad input: message naming the field on stderr, no traceback, exit status 2
# --------------------------------------------------------------------------------------------
def _mutated(change):
    m = yaml.safe_load(WORKED.read_text())
    change(m)
    return yaml.safe_dump(m, sort_keys=False)


def _set(*keys, value):
    def change(m):
        node = m
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return change


def _drop(*keys):
    def change(m):
        node = m
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]

    return change


def _dup_segment(m):
    m["segments"].append(copy.deepcopy(m["segments"][1]))


BAD_FILES = [
    (
        "sow-0",
        _mutated(_set("segments", 0, "share_of_wallet", value=0)),
        "segments[Mass market].share_of_wallet",
        "must be in (0, 1]",
    ),
    (
        "alpha-neg",
        _mutated(_set("segments", 1, "retention", "alpha", value=-0.5)),
        "segments[Affluent].retention.alpha",
        "must be > 0",
    ),
    (
        "badj-1",
        _mutated(_set("risk", "benefit_adjustment", value=1)),
        "risk.benefit_adjustment",
        "must be in [0, 1)",
    ),
    ("discount--1", _mutated(_set("discount_rate", value=-1)), "discount_rate", "must be > -1"),
    (
        "wallet-str",
        _mutated(_set("segments", 0, "wallet", value="lots")),
        "segments[Mass market].wallet",
        "must be a number",
    ),
    (
        "retention-bool",
        _mutated(_set("segments", 0, "retention", value=True)),
        "segments[Mass market].retention",
        "must be a number",
    ),
    (
        "typo-top",
        _mutated(_set("horizon_year", value=5)),
        "horizon_year",
        "did you mean 'horizon_years'",
    ),
    (
        "typo-retention",
        _mutated(_set("segments", 1, "retention", "beat", value=3)),
        "segments[Affluent].retention.beat",
        "did you mean 'beta'",
    ),
    (
        "typo-effect",
        _mutated(_set("initiatives", 1, "effects", "Affluent", "churn_prevnted", value=0.3)),
        f"initiatives[{OUTREACH}].effects[Affluent].churn_prevnted",
        "did you mean 'churn_prevented'",
    ),
    (
        "typo-risk",
        _mutated(_set("risk", "cost_adjusment", value=0.1)),
        "risk.cost_adjusment",
        "did you mean 'cost_adjustment'",
    ),
    (
        "effects-unknown",
        _mutated(_set("initiatives", 1, "effects", value={"Afluent": {}})),
        f"initiatives[{OUTREACH}].effects[Afluent]",
        "names no segment",
    ),
    ("dup-segment", _mutated(_dup_segment), "segments[Affluent].name", "names must be unique"),
    (
        "name-bracket",
        _mutated(_set("initiatives", 0, "name", value="Redesign [v2]")),
        "initiatives[Redesign [v2]].name",
        "must not contain",
    ),
    ("horizon-51", _mutated(_set("horizon_years", value=51)), "horizon_years", "[1, 50]"),
    ("horizon-2.5", _mutated(_set("horizon_years", value=2.5)), "horizon_years", "whole number"),
    (
        "capex-beyond",
        _mutated(_set("initiatives", 1, "capex", value={0: 1, 7: 1})),
        f"initiatives[{OUTREACH}].capex[7]",
        "0..horizon_years",
    ),
    (
        "opex-neg",
        _mutated(_set("initiatives", 1, "opex", value=[1, -2])),
        f"initiatives[{OUTREACH}].opex",
        "item 1 must be >= 0",
    ),
    (
        "ramp-above",
        _mutated(_set("initiatives", 0, "ramp", value=[0.5, 2])),
        f"initiatives[{REDESIGN}].ramp",
        "item 1 must be in [0, 1]",
    ),
    ("segments-empty", _mutated(_set("segments", value=[])), "segments", "at least one item"),
    (
        "wallet-missing",
        _mutated(_drop("segments", 1, "wallet")),
        "segments[Affluent].wallet",
        "is required",
    ),
    (
        "dist-low-above-mode",
        _mutated(
            _set(
                "segments",
                0,
                "wallet",
                value={"dist": "pert", "low": 2000, "mode": 1500, "high": 3000},
            )
        ),
        "segments[Mass market].wallet",
        "low <= mode <= high",
    ),
    (
        "dist-extra",
        _mutated(
            _set(
                "segments", 0, "wallet", value={"dist": "normal", "mean": 1500, "sd": 100, "low": 0}
            )
        ),
        "segments[Mass market].wallet",
        "unknown key 'low'",
    ),
    ("empty-file", "", "<scenario>", "the scenario is empty"),
    (
        "malformed",
        "name: x\nsegments: [\n  {name: a\ninitiatives: []\n",
        "<scenario>",
        "YAML syntax error at line 4",
    ),
    (
        "duplicate-key",
        "name: x\nhorizon_years: 3\nhorizon_years: 4\n",
        "<scenario>",
        "'horizon_years' appears twice",
    ),
    ("top-level-list", "- name: x\n", "<scenario>", "must be a mapping of fields"),
    (
        "unsafe-tag",
        '!!python/object/apply:os.system ["echo PWNED"]\n',
        "<scenario>",
        "could not determine a constructor",
    ),
]


@pytest.mark.parametrize(
    "text,path,rule", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_bad_input_exit_2(tmp_path, capsys, text, path, rule):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text, encoding="utf-8")
    for args in (["run", str(scenario)], ["run", str(scenario), "--json"]):
        assert cli.main(args) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("cxroi: invalid scenario")
        assert str(scenario) in captured.err
        assert f"{path}: " in captured.err, captured.err
        assert rule in captured.err, captured.err
        assert "Traceback" not in captured.err
        assert "PWNED" not in captured.out + captured.err


def test_missing_file_exit_2(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert cli.main(["run", str(missing), "--json"]) == 2
    captured = capsys.readouterr()
    assert "file not found" in captured.err and str(missing) in captured.err
    assert captured.out == ""


def test_bad_input_subprocess(tmp_path):
    # the installed console script: message on stderr, no traceback, exit status 2
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(_mutated(_set("segments", 1, "retention", "alpha", value=0)))
    proc = subprocess.run(
        [str(CXROI), "run", str(scenario), "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        f"cxroi: invalid scenario {scenario}: "
        "segments[Affluent].retention.alpha: must be > 0 (got 0)"
    )
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------
# plausibility warnings and overflow warnings
# --------------------------------------------------------------------------------------------
def _write(tmp_path, changes, name="s.yaml"):
    m = yaml.safe_load(WORKED.read_text())
    for keys, value in changes:
        node = m
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(m))
    return path


SLIPS = [
    ((("discount_rate",), 14), "discount_rate", 0.14),
    (
        (("initiatives", 0, "effects", "*", "share_of_wallet_lift"), 5),
        "initiatives[Omnichannel service redesign].effects[*].share_of_wallet_lift",
        0.05,
    ),
]


@pytest.mark.parametrize(("change", "path", "suggested"), SLIPS, ids=["rate", "lift"])
@pytest.mark.parametrize("command", ["run", "simulate", "breakeven"])
def test_unit_slip_warns_on_stderr_and_in_json(tmp_path, capsys, change, path, suggested, command):
    scenario = _write(tmp_path, [change])
    extra = {"simulate": ["--draws", "50"], "breakeven": ["discount_rate"]}.get(command, [])
    assert cli.main([command, str(scenario), *extra, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"constant {c}"))
    (w,) = [w for w in out["warnings"] if w["path"] == path]
    assert set(w) == {"path", "value", "message", "suggested"}
    assert w["value"] == change[1] and w["suggested"] == pytest.approx(suggested)
    assert captured.err.count("cxroi: warning:") == len(out["warnings"]) >= 1
    assert path in captured.err and f"did you mean {suggested:g}?" in captured.err


@pytest.mark.parametrize("command", [["run"], ["tornado"], ["breakeven"]])
def test_unit_slip_warns_in_text_output_too(tmp_path, capsys, command):
    scenario = _write(tmp_path, [SLIPS[0][0]])
    assert cli.main([command[0], str(scenario)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("cxroi: warning: discount_rate: 14 is outside the plausible range")
    assert "did you mean 0.14?" in err and "Traceback" not in err


def test_bad_input_with_a_slip_still_exits_2(tmp_path, capsys):
    scenario = _write(tmp_path, [SLIPS[0][0], (("horizon_years",), -1)])
    assert cli.main(["run", str(scenario), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "horizon_years" in captured.err


def test_overflow_is_null_with_a_warning_never_nan(tmp_path, capsys):
    # a cost of 1e-320 passes the rules, but ROI = NPV / 1e-320 is beyond float range
    changes = [(("initiatives", i, k), 1e-320) for i in (0, 1) for k in ("capex", "opex")]
    scenario = _write(tmp_path, changes)
    assert cli.main(["run", str(scenario), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"constant {c}"))
    assert out["roi"] is None and out["unadjusted"]["roi"] is None
    assert {"roi", "unadjusted.roi"} <= {w["path"] for w in out["warnings"]}
    assert "roi: the result is beyond float range" in captured.err
    assert "RuntimeWarning" not in captured.err
