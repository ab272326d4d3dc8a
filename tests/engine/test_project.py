"""Tests for cxroi.engine.project: compiled arrays, levers, cohort projection, CLV, batch
overrides."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import scenarios

import cxroi
from cxroi.engine import project as engine
from cxroi.engine.case import KPI_KEYS, case_kpis
from cxroi.engine.retention import discounted_expected_lifetime

WORKED = Path(__file__).parents[1] / "data" / "worked_example.yaml"
REDESIGN = "Omnichannel service redesign"
OUTREACH = "Proactive outreach for affluent"
ALL_ON, ALL_OFF = np.ones(4), np.zeros(4)


@pytest.fixture(scope="module")
def worked_mapping():
    return yaml.safe_load(WORKED.read_text())


@pytest.fixture(scope="module")
def worked(worked_mapping):
    return cxroi.load_scenario(worked_mapping)


DEFAULT_EFFECTS = {
    "churn_prevented": 0.4,
    "share_of_wallet_lift": 0.1,
    "referral_lift": 0.1,
    "cost_to_serve_change": -0.2,
}


def one_segment(retention=0.8, effects=None, horizon=2, **seg):
    """A one-segment, one-initiative scenario mapping for hand calculations."""
    segment = {
        "name": "S",
        "customers": 1_000,
        "wallet": 100,
        "share_of_wallet": 0.5,
        "gross_margin": 0.4,
        "retention": retention,
        "acquisition_cost": 50,
        "cost_to_serve": 5,
        "poor_cx_churn_share": 0.5,
        "preventable_share": 0.5,
        "referral_share": 0.2,
    }
    segment.update(seg)
    return {
        "name": "Hand",
        "horizon_years": horizon,
        "discount_rate": 0.1,
        "segments": [segment],
        "initiatives": [
            {
                "name": "I",
                "ramp": [0.5, 1.0],
                "effects": {"*": DEFAULT_EFFECTS if effects is None else effects},
            }
        ],
    }


def compiled(mapping, overrides=None):
    return engine.compile_scenario(cxroi.load_scenario(mapping), overrides)


# --------------------------------------------------------------------------------------------
# compile_scenario
# --------------------------------------------------------------------------------------------
def test_compile_worked_example(worked):
    p = engine.compile_scenario(worked)
    assert p.horizon_years == 5
    assert p.batch_shape == ()
    np.testing.assert_array_equal(p.customers, [200_000, 20_000])
    np.testing.assert_array_equal(p.is_sbg, [False, True])
    np.testing.assert_array_equal(p.replace_churn, [False, True])
    assert p.retention[0] == 0.82 and np.isnan(p.retention[1])
    assert (p.alpha[1], p.beta[1], p.tenure[1]) == (0.668, 3.806, 4.0)
    assert np.isnan(p.new_customers_per_year).all()  # default: recomputed in project()
    # benchmark defaults for Affluent's churn-driver shares
    np.testing.assert_array_equal(p.poor_cx_churn_share, [0.66, 0.66])
    np.testing.assert_array_equal(p.preventable_share, [0.81, 0.81])
    # effects (I, S): '*' for both segments; the outreach only on Affluent
    np.testing.assert_array_equal(p.churn_prevented, [[0.25, 0.25], [0.0, 0.30]])
    np.testing.assert_array_equal(p.share_of_wallet_lift, [[0.03, 0.03], [0.0, 0.08]])
    np.testing.assert_array_equal(p.referral_lift, [[0.02, 0.02], [0.0, 0.0]])
    np.testing.assert_array_equal(p.cost_to_serve_change, [[-0.10, -0.10], [0.0, 0.0]])
    # ramps held: [0.4, 0.8, 1.0] -> years 1..5; default [1.0]
    np.testing.assert_array_equal(p.ramp, [[0.4, 0.8, 1.0, 1.0, 1.0], [1.0] * 5])
    # costs (I, H+1): capex by year + opex held
    np.testing.assert_array_equal(
        p.costs,
        [[4e6, 1.2e6, 1.2e6, 1.2e6, 1.2e6, 1.2e6], [5e5, 2.5e5 + 3e5, 3e5, 2e5, 2e5, 2e5]],
    )


def test_compile_star_overridden_field_by_field():
    m = one_segment(effects={})
    m["segments"].append(dict(m["segments"][0], name="T"))
    m["initiatives"][0]["effects"] = {
        "*": {"churn_prevented": 0.4, "share_of_wallet_lift": 0.1, "referral_lift": 0.05},
        "T": {"churn_prevented": 0.1, "cost_to_serve_change": -0.3},
    }
    p = compiled(m)
    np.testing.assert_array_equal(p.churn_prevented, [[0.4, 0.1]])
    np.testing.assert_array_equal(p.share_of_wallet_lift, [[0.1, 0.1]])  # T keeps '*'
    np.testing.assert_array_equal(p.referral_lift, [[0.05, 0.05]])
    np.testing.assert_array_equal(p.cost_to_serve_change, [[0.0, -0.3]])  # default 0 for S


def test_compile_capex_digit_string_keys_and_horizon_year():
    m = one_segment(horizon=3)
    m["initiatives"][0]["capex"] = {"0": 100.0, "3": 40.0, 1: 7.0}
    m["initiatives"][0]["opex"] = [1.0, 2.0]
    p = compiled(m)
    np.testing.assert_array_equal(p.costs, [[100.0, 8.0, 2.0, 42.0]])


# --------------------------------------------------------------------------------------------
# Overrides: the vectorised path Monte Carlo, tornado and switching values use
# --------------------------------------------------------------------------------------------
def _set(mapping, path, value):
    """Set a field in a scenario mapping by its field path (the paths used below)."""
    m = copy.deepcopy(mapping)
    segs = {s["name"]: s for s in m["segments"]}
    inis = {i["name"]: i for i in m["initiatives"]}
    if path == "discount_rate":
        m["discount_rate"] = value
    elif path.startswith("risk."):
        m.setdefault("risk", {})[path.split(".", 1)[1]] = value
    elif path.startswith("segments["):
        name, rest = path[len("segments[") :].split("].", 1)
        if rest.startswith("retention."):
            segs[name]["retention"][rest.split(".", 1)[1]] = value
        else:
            segs[name][rest] = value
    else:
        name, rest = path[len("initiatives[") :].split("].", 1)
        if rest.startswith("effects["):
            target, key = rest[len("effects[") :].split("].", 1)
            inis[name].setdefault("effects", {}).setdefault(target, {})[key] = value
        else:
            inis[name][rest] = value
    return m


OVERRIDES = {
    "discount_rate": [0.05, 0.10, 0.25, 0.0],
    "risk.benefit_adjustment": [0.0, 0.1, 0.3, 0.5],
    "risk.cost_adjustment": [0.2, 0.05, 0.0, 1.0],
    "segments[Mass market].retention": [0.7, 0.82, 0.95, 1.0],
    "segments[Mass market].wallet": [1_000, 1_500, 2_500, 1_500],
    "segments[Mass market].share_of_wallet": [0.3, 0.5, 0.98, 1.0],
    "segments[Mass market].referral_share": [0.0, 0.1, 0.99, 1.0],
    "segments[Mass market].customers": [150_000, 200_000, 250_000, 1.0],
    "segments[Affluent].retention.alpha": [0.3, 0.668, 2.0, 5.0],
    "segments[Affluent].retention.beta": [1.0, 3.806, 8.0, 3.0],
    "segments[Affluent].retention.tenure": [0, 4, 10, 1.5],
    "segments[Affluent].poor_cx_churn_share": [0.3, 0.66, 1.0, 0.0],
    f"initiatives[{REDESIGN}].capex": [0.0, 4e6, 8e6, 1e6],
    f"initiatives[{REDESIGN}].opex": [0.0, 1.2e6, 3e6, 1e5],
    f"initiatives[{REDESIGN}].effects[*].churn_prevented": [0.0, 0.25, 0.9, 1.0],
    f"initiatives[{REDESIGN}].effects[*].share_of_wallet_lift": [-0.5, 0.03, 0.5, 0.0],
    f"initiatives[{REDESIGN}].effects[*].cost_to_serve_change": [-1.0, -0.1, 0.3, 0.0],
    f"initiatives[{OUTREACH}].effects[Affluent].churn_prevented": [0.0, 0.3, 0.7, 1.0],
    f"initiatives[{OUTREACH}].effects[Mass market].referral_lift": [-1.0, 0.0, 0.5, 1.0],
}


def _compare_rows(mapping, p, rows_of):
    out = case_kpis(p)
    for i, row_mapping in enumerate(rows_of):
        case = cxroi.evaluate(row_mapping)
        for which, kpis in (("adjusted", case.kpis), ("unadjusted", case.unadjusted)):
            for key in KPI_KEYS:
                got = float(out[which][key][i])
                want = kpis[key]
                if want is None:
                    assert np.isnan(got), (i, which, key, got)
                else:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-6), (i, which, key)
        np.testing.assert_allclose(
            out["adjusted"]["benefits"][i], case.cashflow["benefits"], rtol=1e-9, atol=1e-6
        )
        np.testing.assert_allclose(out["adjusted"]["costs"][i], case.cashflow["costs"], rtol=1e-12)


@pytest.mark.parametrize("path", list(OVERRIDES))
def test_override_one_path_matches_each_scenario(worked_mapping, worked, path):
    values = OVERRIDES[path]
    p = engine.compile_scenario(worked, {path: np.array(values)})
    assert p.batch_shape == (len(values),)
    _compare_rows(worked_mapping, p, [_set(worked_mapping, path, v) for v in values])


def test_override_many_paths_broadcast_together(worked_mapping, worked):
    overrides = {k: np.array(v, dtype=float) for k, v in OVERRIDES.items()}
    p = engine.compile_scenario(worked, overrides)
    assert p.batch_shape == (4,)
    rows = []
    for i in range(4):
        m = worked_mapping
        for path, values in OVERRIDES.items():
            m = _set(m, path, values[i])
        rows.append(m)
    _compare_rows(worked_mapping, p, rows)


def test_override_scalar_and_array_broadcast(worked_mapping, worked):
    p = engine.compile_scenario(
        worked, {"discount_rate": 0.2, "segments[Affluent].wallet": np.array([8_000, 10_000])}
    )
    assert p.batch_shape == (2,)
    rows = [
        _set(_set(worked_mapping, "discount_rate", 0.2), "segments[Affluent].wallet", w)
        for w in (8_000, 10_000)
    ]
    _compare_rows(worked_mapping, p, rows)


def test_override_opex_list_with_a_number(worked_mapping, worked):
    path = f"initiatives[{OUTREACH}].opex"
    p = engine.compile_scenario(worked, {path: np.array([0.0, 5e5])})
    # capex 250k stays in year 1; the list [300k, 300k, 200k...] becomes the number
    np.testing.assert_array_equal(p.costs[:, 1, 1:], [[2.5e5, 0, 0, 0, 0], [7.5e5] + [5e5] * 4])
    _compare_rows(worked_mapping, p, [_set(worked_mapping, path, v) for v in (0.0, 5e5)])


@settings(max_examples=15, deadline=None)
@given(scenarios(), st.lists(st.floats(0.0, 1.0), min_size=2, max_size=3))
def test_override_hypothesis_effect(mapping, values):
    # churn_prevented of the first initiative on the first segment, for batches of values
    name = mapping["initiatives"][0]["name"]
    target = mapping["segments"][0]["name"]
    path = f"initiatives[{name}].effects[{target}].churn_prevented"
    sc = cxroi.load_scenario(mapping)
    p = engine.compile_scenario(sc, {path: np.array(values)})
    assert p.batch_shape == (len(values),)
    _compare_rows(mapping, p, [_set(mapping, path, v) for v in values])


def test_override_shadowed_star_keeps_batch_axis():
    # compile_scenario's docstring: "all arrays broadcast together and form the batch axis of
    # the result". An accepted override whose value every segment shadows with its own entry
    # must still give a batch of (identical) results, not silently drop the batch axis.
    m = one_segment(effects={})
    m["initiatives"][0]["effects"] = {"S": {"churn_prevented": 0.2}}
    p = compiled(m, {"initiatives[I].effects[*].churn_prevented": np.array([0.0, 0.5, 1.0])})
    assert p.batch_shape == (3,)
    out = case_kpis(p)
    assert np.shape(out["adjusted"]["npv"]) == (3,)


@pytest.mark.parametrize(
    "path",
    [
        "segments[Nope].wallet",
        "segments[Mass market].walet",
        "segments[Affluent].retention",  # an sBG segment has alpha, beta, tenure instead
        "segments[Mass market].retention.alpha",  # a constant-retention segment
        f"initiatives[{OUTREACH}].capex",  # capex by year: not one scalar field
        f"initiatives[{REDESIGN}].effects[Nope].churn_prevented",
        "horizon_years",
        "risk.benefit",
    ],
)
def test_override_unknown_path_raises(worked, path):
    with pytest.raises(cxroi.ScenarioError) as info:
        engine.compile_scenario(worked, {path: 0.5})
    assert path in str(info.value)
    assert "names no numeric field" in str(info.value)
    assert info.value.paths == [path]


def test_override_does_not_change_the_scenario(worked):
    before = worked.to_mapping()
    engine.compile_scenario(worked, {"discount_rate": np.array([0.2, 0.3])})
    assert worked.to_mapping() == before
    assert engine.compile_scenario(worked).batch_shape == ()


# --------------------------------------------------------------------------------------------
# new_customers_per_year: the default follows the values in force
# --------------------------------------------------------------------------------------------
def test_default_intake_follows_retention_override(worked, worked_mapping):
    r = np.array([0.6, 0.82, 0.9, 1.0])
    p = engine.compile_scenario(worked, {"segments[Mass market].retention": r})
    proj = engine.project(p, ALL_OFF, np.zeros(2))
    new_mass = proj.new_customers[:, 0, :]  # (batch, H)
    np.testing.assert_allclose(new_mass, (200_000 * (1 - r))[:, None] * np.ones(5), rtol=1e-12)
    # so the constant-retention baseline stays at N0 for every value
    np.testing.assert_allclose(proj.customers[:, 0, :], 200_000, rtol=1e-12)
    # and equals evaluating each scenario with that retention
    _compare_rows(
        worked_mapping,
        p,
        [_set(worked_mapping, "segments[Mass market].retention", x) for x in r],
    )


def test_default_intake_follows_customers_and_sbg_overrides(worked_mapping):
    m = copy.deepcopy(worked_mapping)
    m["segments"][1]["acquisition"] = "fixed"
    sc = cxroi.load_scenario(m)
    alpha, tenure = np.array([0.668, 2.0, 0.668]), np.array([4.0, 4.0, 0.0])
    n0 = np.array([20_000, 20_000, 5_000])
    p = engine.compile_scenario(
        sc,
        {
            "segments[Affluent].retention.alpha": alpha,
            "segments[Affluent].retention.tenure": tenure,
            "segments[Affluent].customers": n0,
        },
    )
    proj = engine.project(p, ALL_OFF, np.zeros(2))
    r_base = (3.806 + tenure) / (alpha + 3.806 + tenure)
    np.testing.assert_allclose(proj.new_customers[:, 1, 0], n0 * (1 - r_base), rtol=1e-12)
    np.testing.assert_allclose(proj.new_customers[:, 1, -1], n0 * (1 - r_base), rtol=1e-12)


def test_given_intake_is_not_recomputed(worked_mapping):
    m = _set(worked_mapping, "segments[Mass market].new_customers_per_year", 12_345.0)
    sc = cxroi.load_scenario(m)
    p = engine.compile_scenario(sc, {"segments[Mass market].retention": np.array([0.5, 0.9])})
    proj = engine.project(p, ALL_OFF, np.zeros(2))
    np.testing.assert_array_equal(proj.new_customers[:, 0, :], 12_345.0)
    # an override of the intake itself
    p = engine.compile_scenario(sc, {"segments[Mass market].new_customers_per_year": [0.0, 1.0]})
    proj = engine.project(p, ALL_OFF, np.zeros(2))
    np.testing.assert_array_equal(proj.new_customers[:, 0, :], [[0.0] * 5, [1.0] * 5])


# --------------------------------------------------------------------------------------------
# Levers (docs/model.md §3)
# --------------------------------------------------------------------------------------------
def test_levers_by_hand():
    m = one_segment(horizon=3)
    m["initiatives"].append(
        {
            "name": "J",
            "ramp": [1.0, 0.0],
            "effects": {
                "S": {
                    "churn_prevented": 0.5,
                    "share_of_wallet_lift": 1.0,
                    "referral_lift": -0.5,
                    "cost_to_serve_change": -1.0,
                }
            },
        }
    )
    p = compiled(m)
    lm, sow, ref, cts = engine.levers_in_force(p, ALL_ON, np.ones(2))
    g1, g2 = np.array([0.5, 1.0, 1.0]), np.array([1.0, 0.0, 0.0])
    prevented = 1 - (1 - 0.4 * g1) * (1 - 0.5 * g2)
    np.testing.assert_allclose(lm[0], 1 - 0.25 * prevented, rtol=1e-12)
    np.testing.assert_allclose(sow[0], np.minimum(1, 0.5 * (1 + 0.1 * g1) * (1 + g2)), rtol=1e-12)
    assert sow[0, 0] == 1.0  # capped: 0.5 x 1.05 x 2
    np.testing.assert_allclose(ref[0], np.clip(0.2 + 0.1 * g1 - 0.5 * g2, 0, 1), rtol=1e-12)
    assert ref[0, 0] == 0.0  # clipped: 0.2 + 0.05 - 0.5
    np.testing.assert_allclose(cts[0], 5 * (1 - 0.2 * g1) * (1 - g2), rtol=1e-12, atol=1e-15)
    assert cts[0, 0] == 0.0
    # only the wallet lever: the others at baseline
    lm, sow, ref, cts = engine.levers_in_force(p, np.array([0, 1, 0, 0]), np.ones(2))
    np.testing.assert_array_equal(lm, 1.0)
    np.testing.assert_array_equal(ref, 0.2)
    np.testing.assert_array_equal(cts, 5.0)
    assert sow[0, 1] == pytest.approx(0.55)
    # only initiative J
    lm, sow, ref, cts = engine.levers_in_force(p, ALL_ON, np.array([0, 1]))
    np.testing.assert_allclose(lm[0], 1 - 0.25 * 0.5 * g2, rtol=1e-12)
    # full effect (ramp 1) for CLV
    lm, sow, ref, cts = engine.levers_in_force(p, ALL_ON, np.ones(2), full=True)
    assert lm.shape == (1, 1)
    assert lm[0, 0] == pytest.approx(1 - 0.25 * (1 - 0.6 * 0.5))


def test_referral_clipped_at_one_and_sow_capped():
    m = one_segment(referral_share=0.95, share_of_wallet=1.0)
    p = compiled(m)
    _, sow, ref, _ = engine.levers_in_force(p, ALL_ON, np.ones(1))
    np.testing.assert_array_equal(sow, 1.0)
    np.testing.assert_array_equal(ref, 1.0)
    proj = engine.project(p, ALL_ON, np.ones(1))
    np.testing.assert_array_equal(proj.acquisition, 0.0)


# --------------------------------------------------------------------------------------------
# Projection (docs/model.md §4), by hand
# --------------------------------------------------------------------------------------------
def test_project_constant_by_hand():
    p = compiled(one_segment())
    cx = engine.project(p, ALL_ON, np.ones(1))
    # year 1: g = 0.5 -> m 0.95, sow 0.525, ref 0.25, cts 4.5; A = 1000; churn 190; new 200
    # year 2: g = 1 -> m 0.90, sow 0.55, ref 0.30, cts 4.0; A = 810 + 200
    np.testing.assert_allclose(cx.revenue[0], [52_500, 55_550], rtol=1e-12)
    np.testing.assert_allclose(cx.gross_margin[0], [21_000, 22_220], rtol=1e-12)
    np.testing.assert_allclose(cx.service[0], [4_500, 4_040], rtol=1e-12)
    np.testing.assert_allclose(cx.new_customers[0], [200, 200], rtol=1e-12)
    np.testing.assert_allclose(cx.acquisition[0], [7_500, 7_000], rtol=1e-12)
    np.testing.assert_allclose(cx.contribution[0], [9_000, 11_180], rtol=1e-12)
    # churn in year 2: 810 x 0.2 x 0.9 + 200 x 0.2 x 0.9 = 181.8
    np.testing.assert_allclose(cx.customers[0], [1_000, 1_010, 1_028.2], rtol=1e-12)
    base = engine.project(p, ALL_OFF, np.zeros(1))
    np.testing.assert_allclose(base.contribution[0], [7_000, 7_000], rtol=1e-12)
    np.testing.assert_allclose(base.customers[0], [1_000, 1_000, 1_000], rtol=1e-12)


def test_project_sbg_tenure_replace_by_hand():
    m = one_segment(
        retention={"alpha": 1.0, "beta": 3.0, "tenure": 2}, acquisition="replace", effects={}
    )
    p = compiled(m)
    base = engine.project(p, ALL_OFF, np.zeros(1))
    # r(2) = 5/6, r(3) = 6/7 for today's base; r(0) = 3/4 for the year-1 cohort
    churn1 = 1_000 / 6
    churn2 = (1_000 - churn1) / 7 + churn1 / 4
    np.testing.assert_allclose(base.new_customers[0], [churn1, churn2], rtol=1e-12)
    np.testing.assert_allclose(base.customers[0], [1_000, 1_000, 1_000], rtol=1e-12)
    np.testing.assert_allclose(
        base.acquisition[0], np.array([churn1, churn2]) * 50 * 0.8, rtol=1e-12
    )
    # fixed acquisition: the default intake is N0 (1 - r(tenure)) = 1000/6 every year
    m["segments"][0]["acquisition"] = "fixed"
    base = engine.project(compiled(m), ALL_OFF, np.zeros(1))
    np.testing.assert_allclose(base.new_customers[0], [churn1, churn1], rtol=1e-12)
    expected_end = (1_000 - churn1) * 6 / 7 + churn1 * 3 / 4 + churn1
    np.testing.assert_allclose(base.customers[0, -1], expected_end, rtol=1e-12)


def test_project_batch_of_lever_coalitions_equals_rows(worked):
    p = engine.compile_scenario(worked)
    from cxroi.engine.attribution import coalition_masks

    masks = coalition_masks(4)
    batch = engine.project(p, masks, np.ones((16, 2)))
    assert batch.contribution.shape == (16, 2, 5)
    for k in range(16):
        row = engine.project(p, masks[k], np.ones(2))
        np.testing.assert_allclose(batch.contribution[k], row.contribution, rtol=1e-13)
        np.testing.assert_allclose(batch.customers[k], row.customers, rtol=1e-13)


def test_retention_helper_and_switching_loss(worked):
    p = engine.compile_scenario(worked)
    r = engine.sbg_or_constant_retention(p, np.array([0.0, 4.0]))
    np.testing.assert_allclose(r[0], [0.82, 0.82])
    np.testing.assert_allclose(r[1], [3.806 / 4.474, 7.806 / 8.474], rtol=1e-12)
    np.testing.assert_allclose(engine.base_retention(p), [0.82, 7.806 / 8.474], rtol=1e-12)
    loss = engine.annual_switching_loss(p)
    expected = [
        200_000 * 0.18 * 0.66 * 0.81 * 1_500 * 0.30,
        20_000 * (1 - 7.806 / 8.474) * 0.66 * 0.81 * 9_000 * 0.20,
    ]
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert loss.sum() == pytest.approx(10_177_638.34, abs=0.005)


# --------------------------------------------------------------------------------------------
# Customer lifetime value (docs/model.md §6)
# --------------------------------------------------------------------------------------------
def clv_by_summation(margin, retention_at, m, d, terms=20_000):
    survival, total = 1.0, 0.0
    for t in range(terms):
        term = survival / (1 + d) ** t
        total += term
        if term < 1e-17 * total:
            break
        survival *= 1 - (1 - retention_at(t)) * m
    return margin * total


@pytest.mark.parametrize("r,d", [(0.82, 0.10), (0.5, 0.03), (0.0, 0.2), (1.0, 0.08), (0.95, 0.0)])
def test_clv_constant_closed_form(r, d):
    m = one_segment(retention=r, effects={})
    m["discount_rate"] = d
    p = compiled(m)
    margin = 100 * 0.5 * 0.4 - 5
    clv = engine.customer_lifetime_value(p, ALL_OFF, np.zeros(1))
    assert clv[0] == pytest.approx(margin * (1 + d) / (1 + d - r), rel=1e-12)


@pytest.mark.parametrize("churn_prevented", [0.0, 0.3, 1.0])
def test_clv_constant_with_churn_multiplier(churn_prevented):
    m = one_segment(retention=0.8, effects={"churn_prevented": churn_prevented})
    p = compiled(m)
    mult = 1 - 0.5 * 0.5 * churn_prevented
    q = 1 - (1 - 0.8) * mult
    clv = engine.customer_lifetime_value(p, ALL_ON, np.ones(1))
    assert clv[0] == pytest.approx(15.0 * 1.1 / (1.1 - q), rel=1e-12)
    assert clv[0] == pytest.approx(clv_by_summation(15.0, lambda t: 0.8, mult, 0.1), rel=1e-9)


@pytest.mark.parametrize("alpha,beta,d", [(0.668, 3.806, 0.1), (3.8, 15.2, 0.1), (1.0, 1.0, 0.3)])
def test_clv_sbg_equals_margin_times_del(alpha, beta, d):
    m = one_segment(retention={"alpha": alpha, "beta": beta, "tenure": 7}, effects={})
    m["discount_rate"] = d
    p = compiled(m)
    clv = engine.customer_lifetime_value(p, ALL_OFF, np.zeros(1))
    # a new customer starts at 0 renewals whatever the segment's tenure
    expected = 15.0 * discounted_expected_lifetime(alpha, beta, d)
    assert clv[0] == pytest.approx(expected, rel=1e-10)
    rate = lambda t: (beta + t) / (alpha + beta + t)  # noqa: E731
    assert clv[0] == pytest.approx(clv_by_summation(15.0, rate, 1.0, d), rel=1e-9)


@pytest.mark.parametrize(
    "alpha,beta,effect",
    [(0.668, 3.806, 0.3), (2.0, 0.5, 0.9), (10.0, 30.0, 1.0), (0.2, 0.2, 0.5)],
)
def test_clv_sbg_with_churn_multiplier_by_summation(alpha, beta, effect):
    m = one_segment(
        retention={"alpha": alpha, "beta": beta},
        effects={
            "churn_prevented": effect,
            "share_of_wallet_lift": 0.2,
            "cost_to_serve_change": -0.5,
        },
    )
    m["segments"][0].update(poor_cx_churn_share=0.8, preventable_share=0.9)
    p = compiled(m)
    mult = 1 - 0.8 * 0.9 * effect
    margin = 100 * 0.6 * 0.4 - 2.5
    clv = engine.customer_lifetime_value(p, ALL_ON, np.ones(1))
    rate = lambda t: (beta + t) / (alpha + beta + t)  # noqa: E731
    assert clv[0] == pytest.approx(clv_by_summation(margin, rate, mult, 0.1), rel=1e-9)


def test_clv_sbg_zero_discount_rate_converges():
    # alpha > 1: sum of S(t) = (alpha + beta - 1) / (alpha - 1) (Fader & Hardie 2010, d = 0)
    m = one_segment(retention={"alpha": 3.0, "beta": 2.0}, effects={})
    m["discount_rate"] = 0.0
    clv = engine.customer_lifetime_value(compiled(m), ALL_OFF, np.zeros(1))
    assert clv[0] == pytest.approx(15.0 * (3 + 2 - 1) / (3 - 1), rel=1e-9)


@pytest.mark.parametrize("r", [0.82, 0.5])
def test_sbg_with_large_shapes_behaves_like_constant_benefits(worked_mapping, r):
    m_const = _set(worked_mapping, "segments[Mass market].retention", r)
    m_sbg = copy.deepcopy(m_const)
    m_sbg["segments"][0]["retention"] = {"alpha": 1e6 * (1 - r), "beta": 1e6 * r}
    a, b = cxroi.evaluate(m_const), cxroi.evaluate(m_sbg)
    np.testing.assert_allclose(
        b.cashflow["benefits"].iloc[1:], a.cashflow["benefits"].iloc[1:], rtol=1e-4
    )
    for key in ("npv", "pv_benefits", "extra_customers_end"):
        assert b.kpis[key] == pytest.approx(a.kpis[key], rel=1e-4), key


@pytest.mark.parametrize("r", [0.82, 0.5])
def test_sbg_with_large_shapes_behaves_like_constant_clv(worked_mapping, r):
    m_const = _set(worked_mapping, "segments[Mass market].retention", r)
    m_sbg = copy.deepcopy(m_const)
    m_sbg["segments"][0]["retention"] = {"alpha": 1e6 * (1 - r), "beta": 1e6 * r}
    a, b = cxroi.evaluate(m_const), cxroi.evaluate(m_sbg)
    for col in ("clv_baseline", "clv_with_cx"):
        assert b.by_segment.loc["Mass market", col] == pytest.approx(
            a.by_segment.loc["Mass market", col], rel=1e-4
        ), col


def test_clv_batch_over_discount_rates(worked):
    d = np.array([0.05, 0.1, 0.2])
    p = engine.compile_scenario(worked, {"discount_rate": d})
    clv = engine.customer_lifetime_value(p, ALL_OFF, np.zeros(2))
    assert clv.shape == (3, 2)
    np.testing.assert_allclose(clv[:, 0], 67.5 * (1 + d) / (1 + d - 0.82), rtol=1e-12)
    np.testing.assert_allclose(
        clv[:, 1],
        (9_000 * 0.2 * 0.35 - 120) * discounted_expected_lifetime(0.668, 3.806, d),
        rtol=1e-10,
    )


def test_sbg_cases_evaluate_quickly_for_any_tiny_discount_rate():
    import time

    rates = [0.0, *np.logspace(-320, -1, 25)]
    cxroi.evaluate(cxroi.load_scenario(one_segment()))  # imports and caches out of the timing
    for d in rates:
        mapping = one_segment(retention={"alpha": 0.668, "beta": 3.806, "tenure": 4})
        mapping["discount_rate"] = float(d)
        start = time.perf_counter()
        case = cxroi.evaluate(cxroi.load_scenario(mapping))
        assert time.perf_counter() - start < 0.5, d
        assert np.isfinite(case.kpis["npv"]), d
