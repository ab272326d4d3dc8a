"""Tests of cxroi.analysis.uncertainty: Monte Carlo, tornado, switching values (docs/model.md
§7)."""

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cxroi
from cxroi.analysis import uncertainty as u
from cxroi.analysis import voi
from cxroi.cli import main
from cxroi.model.scenario import Distribution

ROOT = Path(__file__).resolve().parents[2]
WORKED = ROOT / "scenarios" / "retail_bank.yaml"
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
REDESIGN = "initiatives[Omnichannel service redesign]"


@pytest.fixture(scope="module")
def worked():
    return yaml.safe_load(WORKED.read_text())


@pytest.fixture(scope="module")
def uncertain():
    return cxroi.load_scenario(UNCERTAIN)


def _set(mapping, path, value):
    """Set a field of a scenario mapping by path (test helper, independent of the engine)."""
    out = copy.deepcopy(mapping)
    node = out
    parts = path.replace("]", "").split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if "[" in part:
            key, name = part.split("[")
            items = node[key]
            if isinstance(items, list):
                node = next(x for x in items if x["name"] == name)
            else:
                node = items.setdefault(name, {})
            if last:
                raise AssertionError("paths end on a field")
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})
    return out


def _npv(mapping):
    return cxroi.evaluate(mapping).kpis["npv"]


# ---------------------------------------------------------------------------- distributions
def test_no_spread_reproduces_the_deterministic_case(worked):
    mapping = copy.deepcopy(worked)
    mapping["discount_rate"] = {"dist": "triangular", "low": 0.1, "mode": 0.1, "high": 0.1}
    mapping["segments"][0]["wallet"] = {"dist": "uniform", "low": 1500, "high": 1500}
    mapping["initiatives"][0]["effects"]["*"]["churn_prevented"] = {
        "dist": "pert",
        "low": 0.25,
        "mode": 0.25,
        "high": 0.25,
    }
    result = u.simulate(mapping, draws=500, seed=3)
    base = cxroi.evaluate(worked).kpis
    assert np.all(result.draws["npv"].to_numpy() == pytest.approx(base["npv"], rel=1e-12))
    for key in ("mean", "p5", "p50", "p95"):
        assert result.summary["npv"][key] == pytest.approx(base["npv"], rel=1e-12)
        assert result.summary["roi"][key] == pytest.approx(base["roi"], rel=1e-12)
        assert result.summary["payback_years"][key] == pytest.approx(base["payback_years"])
    assert result.summary["prob_npv_positive"] == 1.0
    assert result.draws["irr"].to_numpy() == pytest.approx(base["irr"], rel=1e-9)


def test_same_seed_same_result_and_chunking_does_not_matter(uncertain):
    a = u.simulate(uncertain, draws=3_000, seed=11)
    b = u.simulate(uncertain, draws=3_000, seed=11, chunk=777)
    c = u.simulate(uncertain, draws=3_000, seed=12)
    assert a.summary == b.summary
    assert a["npv"] == a.summary["npv"] and a["draws"] == 3_000
    np.testing.assert_array_equal(a.draws["npv"], b.draws["npv"])
    assert a.summary["npv"]["mean"] != c.summary["npv"]["mean"]


def test_each_draw_equals_a_single_evaluation(uncertain):
    """The vectorised path agrees with evaluating each drawn scenario on its own."""
    result = u.simulate(uncertain, draws=6, seed=5)
    mapping = uncertain.to_mapping()
    paths = list(uncertain.distributions())
    for _, row in result.draws.iterrows():
        single = mapping
        for path in paths:
            single = _set(single, path, float(row[path]))
        kpis = cxroi.evaluate(single).kpis
        assert row["npv"] == pytest.approx(kpis["npv"], rel=1e-9)
        assert row["roi"] == pytest.approx(kpis["roi"], rel=1e-9)
        assert row["irr"] == pytest.approx(kpis["irr"], rel=1e-8)
        if kpis["payback_years"] is None:  # never pays back within the horizon
            assert math.isnan(row["payback_years"])
        else:
            assert row["payback_years"] == pytest.approx(kpis["payback_years"], rel=1e-9)


SPECS = [
    Distribution(dist="triangular", low=0.1, mode=0.25, high=0.35),
    Distribution(dist="pert", low=0.1, mode=0.25, high=0.35),
    Distribution(dist="uniform", low=-0.2, high=0.1),
    Distribution(dist="normal", mean=0.1, sd=0.02),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda d: d.dist)
def test_sample_percentiles_agree_with_scipy(spec):
    x = u.sample(spec, 200_000, np.random.default_rng(0))
    frozen = u._scipy_dist(spec)
    for q in (5, 10, 50, 90, 95):
        assert np.percentile(x, q) == pytest.approx(frozen.ppf(q / 100), abs=2e-3)
        assert u.percentile(spec, q) == pytest.approx(frozen.ppf(q / 100), rel=1e-12)


def test_pert_shapes_follow_the_model():
    # docs/model.md §7: Beta on [low, high], shapes 1 + 4(mode-low)/(high-low), 1 + 4(high-mode)/...
    d = Distribution(dist="pert", low=0.0, mode=0.25, high=1.0)
    frozen = u._scipy_dist(d)
    assert frozen.args[:2] == pytest.approx((2.0, 4.0))
    assert frozen.mean() == pytest.approx((0 + 4 * 0.25 + 1) / 6)


def test_draws_are_clipped_to_the_field_range(worked):
    mapping = copy.deepcopy(worked)
    # a normal around 0.95 spills over 1: retention draws must stay in [0, 1]
    mapping["segments"][0]["retention"] = {"dist": "normal", "mean": 0.95, "sd": 0.1}
    # share of wallet is (0, 1]: the open bound 0 is clipped to 1e-9
    mapping["segments"][1]["share_of_wallet"] = {"dist": "normal", "mean": 0.05, "sd": 0.2}
    result = u.simulate(mapping, draws=4_000, seed=2)
    ret = result.draws["segments[Mass market].retention"]
    sow = result.draws["segments[Affluent].share_of_wallet"]
    assert ret.max() == 1.0 and ret.min() >= 0.0
    assert sow.min() == pytest.approx(1e-9) and sow.min() > 0
    assert np.isfinite(result.draws["npv"]).all()


def test_payback_percentiles_on_never_paying_draws_are_null(worked):
    mapping = copy.deepcopy(worked)
    # opex so uncertain that many draws never pay back within 5 years
    mapping["initiatives"][0]["opex"] = {"dist": "uniform", "low": 0, "high": 9_000_000}
    result = u.simulate(mapping, draws=4_000, seed=1)
    never = result.draws["payback_years"].isna().mean()
    assert 0.05 < never < 0.95
    s = result.summary
    assert s["prob_payback_within_horizon"] == pytest.approx(1 - never)
    assert s["payback_years"]["mean"] is None
    assert s["payback_years"]["p95"] is None
    assert s["payback_years"]["p5"] is not None and s["payback_years"]["p5"] < 5


def test_fan_percentiles_are_ordered(uncertain):
    fan = u.simulate(uncertain, draws=2_000, seed=4).fan()
    assert list(fan.columns) == ["year", "p5", "p25", "p50", "p75", "p95"]
    values = fan[["p5", "p25", "p50", "p75", "p95"]].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()
    assert len(fan) == uncertain.horizon_years + 1


# ---------------------------------------------------------------------------------- tornado
def test_tornado_values_and_order_match_direct_evaluation(uncertain):
    rows = u.tornado(uncertain)
    dists = uncertain.distributions()
    assert [r["path"] for r in rows] != [] and {r["path"] for r in rows} == set(dists)
    swings = [abs(r["npv_high"] - r["npv_low"]) for r in rows]
    assert swings == sorted(swings, reverse=True)
    mapping = uncertain.to_mapping()
    base = {p: d.base for p, d in dists.items()}
    for r in rows:
        frozen = u._scipy_dist(dists[r["path"]])
        assert r["low"] == pytest.approx(frozen.ppf(0.10))
        assert r["high"] == pytest.approx(frozen.ppf(0.90))
        for key, value in (("npv_low", r["low"]), ("npv_high", r["high"])):
            single = mapping
            for path, b in base.items():
                single = _set(single, path, value if path == r["path"] else b)
            assert r[key] == pytest.approx(_npv(single), rel=1e-9)


def test_tornado_of_a_deterministic_scenario_is_empty():
    assert u.tornado(WORKED) == []


# ------------------------------------------------------------------------- switching values
@pytest.mark.parametrize(
    "path",
    [
        f"{REDESIGN}.opex",
        f"{REDESIGN}.capex",
        f"{REDESIGN}.effects[*].share_of_wallet_lift",
        "segments[Affluent].wallet",
        "risk.benefit_adjustment",
    ],
)
def test_switching_value_makes_npv_zero(worked, path):
    value = u.switching_value(WORKED, path)["value"]
    assert value is not None
    assert u.field_rule(path).holds(value)
    npv = _npv(_set(worked, path, value))
    assert abs(npv) < 1e-6 * 10_000_000


def test_switching_value_of_the_discount_rate_is_the_irr():
    irr = cxroi.evaluate(WORKED).kpis["irr"]
    assert u.switching_value(WORKED, "discount_rate")["value"] == pytest.approx(irr, rel=1e-9)


def test_switching_value_is_none_when_npv_never_crosses_zero():
    # the NPV stays positive whatever the Mass market's retention (in [0, 1])
    result = u.switching_value(WORKED, "segments[Mass market].retention")
    assert result == {"path": "segments[Mass market].retention", "value": None}


def test_switching_value_of_unknown_path_is_an_error():
    with pytest.raises(cxroi.ScenarioError, match=r"segments\[Nobody\]\.wallet"):
        u.switching_value(WORKED, "segments[Nobody].wallet")


def test_switching_values_table(worked):
    table = u.switching_values(WORKED)
    assert set(table.columns) == {"path", "base", "switching_value", "change"}
    assert set(table["path"]) == set(cxroi.load_scenario(WORKED).fields())
    found = table.dropna(subset=["change"])
    assert (np.diff(found["change"].abs().to_numpy()) >= 0).all()
    for row in found.head(3).itertuples():
        assert abs(_npv(_set(worked, row.path, row.switching_value))) < 10.0


@settings(max_examples=15, deadline=None)
@given(opex=st.floats(min_value=0.0, max_value=3_000_000))
def test_switching_value_property_for_opex(opex):
    """For any opex level, the break-even opex leaves the NPV at zero (or there is none)."""
    mapping = yaml.safe_load(WORKED.read_text())
    mapping["initiatives"][0]["opex"] = opex
    value = u.switching_value(mapping, f"{REDESIGN}.opex")["value"]
    if value is not None:
        single = copy.deepcopy(mapping)
        single["initiatives"][0]["opex"] = value
        assert abs(_npv(single)) < 1.0


# -------------------------------------------------------------------------------- bad specs
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "pert", "low": 0.3, "mode": 0.2, "high": 0.4}, "low <= mode <= high"),
        ({"dist": "triangular", "low": 0.1, "mode": 0.2}, "'high' missing"),
        ({"dist": "uniform", "low": 0.5, "high": 0.4}, "low <= high"),
        ({"dist": "normal", "mean": 0.2, "sd": 0}, "sd > 0"),
        ({"dist": "normal", "mean": 0.2, "sd": -1}, "sd > 0"),
        ({"dist": "lognormal", "mean": 0.2, "sd": 1}, "must be one of"),
        ({"dist": "pert", "low": 0.1, "mode": 0.2, "high": 1.4}, "must be in [0, 1]"),
        ({"dist": "uniform", "low": 0.1, "high": 0.2, "mode": 0.1}, "unknown key 'mode'"),
        ({"dist": "normal", "mean": "high", "sd": 0.1}, "must be a number"),
    ],
)
def test_bad_distribution_specs_name_the_field(worked, spec, message):
    mapping = copy.deepcopy(worked)
    mapping["initiatives"][0]["effects"]["*"]["churn_prevented"] = spec
    with pytest.raises(cxroi.ScenarioError) as err:
        cxroi.load_scenario(mapping)
    text = str(err.value)
    assert f"{REDESIGN}.effects[*].churn_prevented" in text
    assert message in text


def test_distributions_are_refused_on_lists_and_horizon(worked):
    mapping = copy.deepcopy(worked)
    mapping["horizon_years"] = {"dist": "uniform", "low": 3, "high": 5}
    mapping["initiatives"][1]["opex"] = [{"dist": "uniform", "low": 1, "high": 2}]
    with pytest.raises(cxroi.ScenarioError) as err:
        cxroi.load_scenario(mapping)
    assert err.value.paths == ["horizon_years", "initiatives[Proactive outreach for affluent].opex"]


def test_draws_must_be_positive():
    with pytest.raises(cxroi.ScenarioError, match="draws"):
        u.simulate(WORKED, draws=0)


# -------------------------------------------------------------------------------------- CLI
def test_cli_simulate_json(capsys):
    assert main(["simulate", str(UNCERTAIN), "--draws", "2000", "--seed", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["draws"] == 2000
    for key in ("npv", "roi"):
        assert set(out[key]) == {"mean", "p5", "p50", "p95"}
        assert out[key]["p5"] <= out[key]["p50"] <= out[key]["p95"]
    assert 0.0 <= out["prob_npv_positive"] <= 1.0
    direct = u.simulate(UNCERTAIN, draws=2000, seed=7).summary
    assert out["npv"]["mean"] == pytest.approx(direct["npv"]["mean"], rel=1e-12)


def test_cli_tornado_and_breakeven_json(capsys):
    assert main(["tornado", str(UNCERTAIN), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == json.loads(json.dumps(u.tornado(UNCERTAIN)))
    assert set(rows[0]) == {"path", "low", "high", "npv_low", "npv_high"}
    assert main(["breakeven", str(WORKED), "discount_rate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["path"] == "discount_rate"
    assert out["value"] == pytest.approx(cxroi.evaluate(WORKED).kpis["irr"], rel=1e-9)


def test_cli_bad_path_and_bad_draws(capsys):
    assert main(["breakeven", str(WORKED), "segments[Nobody].wallet"]) == 2
    err = capsys.readouterr().err
    assert "segments[Nobody].wallet" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", str(WORKED), "--draws", "-5"])
    assert exit_.value.code == 2


def test_cli_simulate_text(capsys):
    assert main(["simulate", str(UNCERTAIN), "--draws", "500"]) == 0
    out = capsys.readouterr().out
    assert "P(NPV > 0)" in out and "NPV (USD)" in out
    assert math.isfinite(float(out.split("P(NPV > 0)")[1].split("%")[0]))


def test_same_seed_same_result_across_processes():
    """Draw order follows the schema, not Python's (randomised) set order."""
    import os
    import subprocess
    import sys

    code = (
        "import json, cxroi; "
        f"print(json.dumps(cxroi.simulate({str(UNCERTAIN)!r}, draws=500, seed=9).summary))"
    )
    outs = set()
    for hash_seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1


# ------------------------------------------------------------------ bounded Monte Carlo
@pytest.mark.parametrize("seed", ["-1", "-99999999999999999999", "abc", "1.5"])
def test_cli_bad_seed_exits_2_naming_seed(capsys, seed):
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", str(UNCERTAIN), "--seed", seed, "--draws", "10"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and ">= 0" in err and "Traceback" not in err


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_api_bad_seed_names_seed(uncertain, seed):
    with pytest.raises(cxroi.ScenarioError, match=r"^invalid scenario: seed: must be"):
        u.simulate(uncertain, draws=10, seed=seed)


@pytest.mark.parametrize("draws", ["10000001", "1e10", "1e400"])
def test_cli_draws_above_the_ceiling_exit_2_naming_it(capsys, draws):
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", str(WORKED), "--draws", draws])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--draws" in err and "Traceback" not in err
    assert ("10,000,000" in err) or ("whole number" in err)


def test_api_draws_above_the_ceiling_refused(uncertain):
    with pytest.raises(cxroi.ScenarioError, match="MAX_DRAWS"):
        u.simulate(uncertain, draws=u.MAX_DRAWS + 1)


@pytest.mark.timeout(30)
def test_no_distribution_answers_at_once_with_zero_spread(capsys):
    base = cxroi.evaluate(WORKED).kpis
    result = u.simulate(WORKED, draws=u.MAX_DRAWS, seed=3)
    assert result.summary["draws"] == u.MAX_DRAWS and result.draws is None
    for key in ("npv", "roi"):
        stats = result.summary[key]
        assert stats["p5"] == stats["p50"] == stats["p95"]
        assert stats["mean"] == pytest.approx(base[key], rel=1e-12)
    assert result.summary["prob_npv_positive"] == float(base["npv"] > 0)
    assert main(["simulate", str(WORKED), "--draws", "1e7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["draws"] == 10_000_000 and out["npv"]["p50"] == pytest.approx(base["npv"])


def test_beyond_the_sample_mean_and_shares_stay_exact(uncertain, monkeypatch):
    full = u.simulate(uncertain, draws=6_000, seed=5, chunk=1_000, keep_draws=True)
    monkeypatch.setattr(u, "PERCENTILE_SAMPLE", 500)
    monkeypatch.setattr(u, "FAN_SAMPLE", 100)
    thin = u.simulate(uncertain, draws=6_000, seed=5, chunk=700, keep_draws=False)
    assert thin.draws is None and len(thin.sample) == 500 and len(thin.cumulative_net) == 100
    npv = full.draws["npv"].to_numpy()
    assert thin.summary["npv"]["mean"] == pytest.approx(npv.mean(), rel=1e-9)
    assert thin.summary["prob_npv_positive"] == full.summary["prob_npv_positive"]
    assert thin.summary["prob_payback_within_horizon"] == (
        full.summary["prob_payback_within_horizon"]
    )
    # every 12th draw: the sample's values are draws of the full run, whatever the chunking
    np.testing.assert_array_equal(thin.sample["npv"].to_numpy(), npv[::12])
    spread = full.summary["npv"]["p95"] - full.summary["npv"]["p5"]
    for q in ("p5", "p50", "p95"):
        assert abs(thin.summary["npv"][q] - full.summary["npv"][q]) < 0.1 * spread


def test_memory_is_flat_in_the_draw_count(uncertain, monkeypatch):
    import tracemalloc

    monkeypatch.setattr(u, "PERCENTILE_SAMPLE", 2_000)
    monkeypatch.setattr(u, "FAN_SAMPLE", 500)
    # the EVPPI regressions, too, use at most a sample of draws (100,000 by default)
    monkeypatch.setattr(voi, "EVPPI_SAMPLE", 2_000)
    peaks = []
    for draws in (10_000, 100_000):
        tracemalloc.start()
        u.simulate(uncertain, draws=draws, seed=1, chunk=5_000, keep_draws=False)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # ten times the draws, about the same memory (it was ten times as much)
    assert peaks[1] < 1.5 * peaks[0], peaks


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(
    "draws",
    [[math.inf], [math.inf, math.inf, 1.0], [-math.inf, math.inf], [1.0, 2.0, math.inf]],
)
def test_stats_of_draws_beyond_float_range_are_null_without_numpy_warnings(draws):
    # A ROI over a cost of 1e-320 is +inf: percentiles that land there are None, never NaN,
    # and the interpolation between two infinite draws raises no RuntimeWarning.
    stats = u._stats(np.array(draws))
    assert stats["mean"] is None
    assert stats["p95"] is None
    if draws == [1.0, 2.0, math.inf]:
        assert stats["p5"] == pytest.approx(1.1)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_simulate_with_an_infinite_roi_reports_null_roi(tmp_path):
    sc = yaml.safe_load((Path(cxroi.__file__).parent.parent / "scenarios/default.yaml").read_text())
    for ini in sc["initiatives"]:
        ini["opex"] = 1e-320
        ini["capex"] = 0
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sc))
    result = u.simulate(cxroi.load_scenario(path), draws=50, seed=1, keep_draws=False)
    assert all(v is None for v in result.summary["roi"].values())
    assert math.isfinite(result.summary["npv"]["mean"])
