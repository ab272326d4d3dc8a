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
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import betainc, betaincinv

from cxroi import cli, load_scenario, simulate
from cxroi.analysis.correlation import BETA_TABLE_MIN, beta_quantile
from cxroi.analysis.uncertainty import _scipy_dist, field_rule

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


# -- the Beta quantile of PERT draws ---------------------------------------------------------
#: probabilities with both tails drawn often: down to 1e-300 below and 1e-17 from 1 above
PROBABILITIES = st.one_of(
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=300.0).map(lambda k: 10.0**-k),
    st.floats(min_value=0.3, max_value=17.0).map(lambda k: 1.0 - 10.0**-k),
    st.sampled_from([0.0, 0.5, np.nextafter(0.5, 1.0), 1.0, 5e-324, BETA_TABLE_MIN]),
)
SHAPES = st.one_of(st.floats(min_value=1.0, max_value=5.0), st.sampled_from([1.0, 5.0, 3.0]))


@settings(max_examples=150, deadline=None)
@given(a=SHAPES, b=SHAPES, u=st.lists(PROBABILITIES, min_size=1, max_size=40))
def test_beta_quantile_is_betaincinv(a, b, u):
    """Equal to SciPy's inverse to 1e-12 of the width, in the tails too (NaN where it is NaN).

    Where the two differ by more, SciPy's is the one off: ours is then the better root.
    """
    u = np.array(u)
    got, want = beta_quantile(a, b, u), betaincinv(a, b, u)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    off = np.abs(got[ok] - want[ok]) >= 1e-12
    u, got, want = u[ok][off], got[ok][off], want[ok][off]
    assert np.all(np.abs(betainc(a, b, got) - u) < np.abs(betainc(a, b, want) - u))


def test_beta_quantile_of_a_symmetric_beta_at_one_half_is_one_half():
    # SciPy's betaincinv(1.75, 1.75, 0.5) is 0.5 + 1.02e-12 (found by the property above)
    assert beta_quantile(1.75, 1.75, np.array([0.5]))[0] == 0.5
    assert beta_quantile(3.0, 3.0, np.array([0.5]))[0] == 0.5


@pytest.mark.parametrize("a", [1.0 + 1e-9, 1.6, 2.2, 3.4, 4.6, 5.0])
def test_beta_quantile_of_pert_shapes_to_a_few_units_in_the_last_place(a):
    """PERT shapes (a + b = 6) on 200,000 probabilities, tails included: within 4e-15."""
    rng = np.random.default_rng(7)
    u = np.r_[
        rng.random(160_000), np.geomspace(1e-16, 0.5, 20_000), 1 - np.geomspace(1e-16, 0.5, 20_000)
    ]
    got, want = beta_quantile(a, 6.0 - a, u), betaincinv(a, 6.0 - a, u)
    assert np.max(np.abs(got - want)) < 4e-15
    # draws below the table, and u = 0 or 1, are betaincinv's own values
    edge = np.array([0.0, 1e-300, 1e-17, 1.0])
    got, want = beta_quantile(a, 6.0 - a, edge), betaincinv(a, 6.0 - a, edge)
    assert np.array_equal(got, want, equal_nan=True)


def test_beta_quantile_keeps_the_shape_of_u():
    u = np.full((3, 4), 0.25)
    assert beta_quantile(2.0, 4.0, u).shape == (3, 4)
    assert beta_quantile(2.0, 4.0, 0.5).shape == ()
