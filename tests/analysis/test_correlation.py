"""Tests for correlated draws: they keep their marginals and hit the rank target.

The scenario is the uncertain bank with its four redesign and outreach effects correlated.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from cxroi import cli, load_scenario, simulate
from cxroi.analysis.uncertainty import _scipy_dist, field_rule
from cxroi.model.correlations import pearson_from_spearman
from cxroi.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
R = "initiatives[Omnichannel service redesign].effects[*]."
CHURN, WALLET, SERVICE = (
    R + "churn_prevented",
    R + "share_of_wallet_lift",
    R + "cost_to_serve_change",
)
OUTREACH = "initiatives[Proactive outreach for affluent].effects[Affluent].churn_prevented"
OPEX = "initiatives[Omnichannel service redesign].opex"
TARGETS = {
    (CHURN, WALLET): 0.6,
    (CHURN, SERVICE): -0.5,
    (CHURN, OUTREACH): 0.4,
    (WALLET, OPEX): 0.3,
}


def correlated(targets=TARGETS) -> dict:
    m = yaml.safe_load(UNCERTAIN.read_text())
    m["correlations"] = [{"fields": list(k), "rank": v} for k, v in targets.items()]
    return m


def test_pearson_from_spearman_inverts_the_normal_rank_correlation():
    rho = np.linspace(-0.95, 0.95, 39)
    r = pearson_from_spearman(rho)
    assert np.allclose(6 / np.pi * np.arcsin(r / 2), rho, atol=1e-12)


@pytest.fixture(scope="module")
def draws():
    return simulate(correlated(), draws=100_000, seed=3, keep_draws=True).draws


def test_rank_correlations_within_001_at_100k_draws(draws):
    for (a, b), rho in TARGETS.items():
        got = stats.spearmanr(draws[a], draws[b]).statistic
        assert got == pytest.approx(rho, abs=0.01), (a, b)
    # a pair not given stays uncorrelated
    assert abs(stats.spearmanr(draws["discount_rate"], draws[CHURN]).statistic) < 0.01


def test_marginals_are_unchanged(draws):
    """Kolmogorov-Smirnov against each field's own distribution, clipped draws aside."""
    dists = load_scenario(UNCERTAIN).distributions()
    for path, d in dists.items():
        x = draws[path].to_numpy()
        lo, hi = field_rule(path).clip_bounds()
        frozen = _scipy_dist(d)
        inside = x[(x > lo) & (x < hi)]
        p = stats.kstest(inside, frozen.cdf).pvalue
        assert p > 1e-4, path


def test_same_draws_whatever_the_chunk_size():
    a = simulate(correlated(), draws=3000, seed=5, chunk=3000, keep_draws=True).draws
    b = simulate(correlated(), draws=3000, seed=5, chunk=701, keep_draws=True).draws
    assert np.array_equal(a[CHURN].to_numpy(), b[CHURN].to_numpy())
    assert np.array_equal(a["npv"].to_numpy(), b["npv"].to_numpy())


def test_correlating_the_effects_widens_the_npv_spread():
    together = {(CHURN, WALLET): 0.8, (CHURN, SERVICE): -0.8, (WALLET, SERVICE): -0.8}
    independent = simulate(UNCERTAIN, draws=20_000, seed=1).summary
    joint = simulate(correlated(together), draws=20_000, seed=1).summary
    assert joint["npv"]["p5"] < independent["npv"]["p5"]
    assert joint["prob_npv_positive"] < independent["prob_npv_positive"]


def test_round_trip_keeps_correlations():
    sc = load_scenario(correlated())
    again = load_scenario(sc.to_mapping())
    assert [(c.fields, c.rank) for c in again.correlations] == [
        (list(k), v) for k, v in TARGETS.items()
    ]


@pytest.mark.parametrize(
    ("entries", "path", "words"),
    [
        ([{"fields": [CHURN, "segments[Mass market].wallet"], "rank": 0.5}],
         "correlations[0].fields[1]", "distribution"),
        ([{"fields": [CHURN, "segments[Nobody].wallet"], "rank": 0.5}],
         "correlations[0].fields[1]", "names no"),
        ([{"fields": [CHURN, CHURN], "rank": 0.5}], "correlations[0].fields", "two different"),
        ([{"fields": [CHURN, WALLET], "rank": 0.5}, {"fields": [WALLET, CHURN], "rank": 0.2}],
         "correlations[1]", "already given"),
        ([{"fields": [CHURN, WALLET], "rank": 1.0}], "correlations[0].rank", "(-1, 1)"),
        ([{"fields": [CHURN, WALLET], "rank": -1.2}], "correlations[0].rank", "(-1, 1)"),
        ([{"fields": [CHURN], "rank": 0.5}], "correlations[0].fields", "two field paths"),
        ([{"fields": [CHURN, WALLET]}], "correlations[0].rank", "required"),
    ],
)  # fmt: skip
def test_bad_correlations_are_refused_naming_the_field(entries, path, words):
    m = yaml.safe_load(UNCERTAIN.read_text())
    m["correlations"] = entries
    with pytest.raises(ScenarioError) as err:
        load_scenario(m)
    assert path in err.value.paths
    assert words in str(err.value)


def test_an_impossible_matrix_is_refused_naming_the_pairs(tmp_path, capsys):
    impossible = {(CHURN, WALLET): 0.9, (CHURN, SERVICE): 0.9, (WALLET, SERVICE): -0.9}
    with pytest.raises(ScenarioError) as err:
        load_scenario(correlated(impossible))
    assert err.value.paths == ["correlations"]
    text = str(err.value)
    assert "valid correlation matrix" in text
    assert all(f"[{a}, {b}]" in text for a, b in impossible)
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(correlated(impossible)))
    assert cli.main(["simulate", str(f), "--draws", "100"]) == 2
    err_text = capsys.readouterr().err
    assert "correlations" in err_text and "Traceback" not in err_text


def test_tornado_and_breakeven_say_they_move_one_field_at_a_time(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(correlated()))
    assert cli.main(["tornado", str(f)]) == 0
    assert "one field at a time" in capsys.readouterr().out
    assert cli.main(["simulate", str(f), "--draws", "2000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=lambda c: 1 / 0)
    assert set(out["evppi"]) == set(load_scenario(f).distributions())


def test_without_correlations_nothing_changes():
    plain = simulate(UNCERTAIN, draws=2000, seed=4).summary
    empty = copy.deepcopy(yaml.safe_load(UNCERTAIN.read_text()))
    empty["correlations"] = []
    assert simulate(empty, draws=2000, seed=4).summary == plain


def test_a_rank_written_with_its_evidence_reads_as_its_value():
    m = correlated({(CHURN, WALLET): 0.6})
    m["correlations"][0]["rank"] = {"value": 0.6, "source": "pilot, 2025 cohort"}
    assert load_scenario(m).correlations[0].rank == 0.6
