"""Tests for the v2 business case of cxroi.engine.case (docs/model.md §11-§15): a reference.

``reference_case_v2`` re-implements, plainly and cohort by cohort, everything :func:`evaluate`
reports once TEI lines, the by-lever risk adjustment, customer equity, tenure mixes and the
standalone / last-in values are in: each year's customer benefit is split by lever by
averaging marginal contributions over every ordering of the levers, the residual value of
each cohort is summed term by term, and every coalition of initiatives is projected again.
It must agree with the vectorised engine to 1e-9 relative on random v2 scenarios.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from published import PUBLISHED_KPIS, assert_published
from strategies import v2_scenarios

import cxroi
from cxroi.engine import project as engine
from tests.engine.test_case import (
    ALL_LEVERS,
    SEGMENT_DEFAULTS,
    WORKED,
    close,
    ref_costs,
    ref_held,
    ref_irr,
    ref_levers,
    ref_npv,
    ref_payback,
    ref_retention,
    ref_shapley,
)

RISK_KEYS = (*ALL_LEVERS, "lines")


# --------------------------------------------------------------------------------------------
# The reference
# --------------------------------------------------------------------------------------------
def f(x, b):
    """A risk adjustment moves a figure toward the worse case."""
    return x * (1.0 - b) if x >= 0 else x * (1.0 + b)


def ref_mix(seg):
    """Today's customers by renewals made: {renewals: share}."""
    r = seg["retention"]
    if not isinstance(r, dict):
        return {0.0: 1.0}
    tenure = r.get("tenure", 0.0)
    if isinstance(tenure, dict):
        return {float(k): v for k, v in tenure.items()}
    return {float(tenure): 1.0}


def ref_segment(seg, horizon, initiatives, levers):
    """One segment cohort by cohort; returns yearly contributions and the cohorts at the end."""
    n0 = seg["customers"]
    mix = ref_mix(seg)
    cohorts = [[n0 * share, k] for k, share in mix.items()]  # [active, renewals made]
    if seg["new_customers_per_year"] is None:
        fixed_new = n0 * sum(s * (1.0 - ref_retention(seg, k)) for k, s in mix.items())
    else:
        fixed_new = seg["new_customers_per_year"]
    contribution = []
    for t in range(1, horizon + 1):
        m, sow, ref, cts = ref_levers(seg, initiatives, levers, t)
        active = sum(c[0] for c in cohorts)
        gross = active * seg["wallet"] * sow * seg["gross_margin"]
        churned = 0.0
        for c in cohorts:
            lost = c[0] * (1.0 - ref_retention(seg, c[1])) * m
            c[0] -= lost
            c[1] += 1
            churned += lost
        new = churned if seg["acquisition"] == "replace" else fixed_new
        cohorts.append([new, 0])
        contribution.append(gross - active * cts - new * seg["acquisition_cost"] * (1.0 - ref))
    return contribution, cohorts


def ref_amounts(amount, horizon):
    """A line's amounts in years 0..H."""
    if isinstance(amount, dict):
        by_year = {int(k): v for k, v in amount.items()}
        return [by_year.get(t, 0.0) for t in range(horizon + 1)]
    if isinstance(amount, list):
        return [0.0] + [ref_held(amount, t) for t in range(1, horizon + 1)]
    return [0.0] + [amount] * horizon


def ref_residual_value(seg, k, d, horizon):
    """Residual value per customer after year H by summing the series (None if it diverges)."""
    r = seg["retention"]
    if isinstance(r, dict):
        if d < 0 or (d == 0 and r["alpha"] <= 1):
            return None
    elif r >= 1 + d:
        return None
    margin = seg["wallet"] * seg["share_of_wallet"] * seg["gross_margin"] - seg["cost_to_serve"]
    p, total = 1.0, 0.0
    for j in range(400_000):
        term = p / (1.0 + d) ** (horizon + 1 + j)
        total += term
        if term <= 1e-18 * total or p == 0.0:
            break
        p *= ref_retention(seg, k + j)
    return margin * total


def reference_case_v2(mapping):
    """Everything docs/model.md §4-§6 and §11-§15 define, computed plainly from a mapping."""
    H = mapping.get("horizon_years", 3)
    d = mapping.get("discount_rate", 0.10)
    risk = mapping.get("risk") or {}
    badj = risk.get("benefit_adjustment", 0.0)
    cadj = risk.get("cost_adjustment", 0.0)
    by_lever_risk = isinstance(badj, dict)
    if by_lever_risk:
        b = {k: badj.get(k, badj.get("default", 0.0)) for k in RISK_KEYS}
    else:
        b = dict.fromkeys(RISK_KEYS, badj)
    segments = [SEGMENT_DEFAULTS | seg for seg in mapping["segments"]]
    initiatives = mapping["initiatives"]
    memo = {}

    def project(levers, chosen):
        key = (frozenset(levers), tuple(i["name"] for i in chosen))
        if key not in memo:
            memo[key] = {s["name"]: ref_segment(s, H, chosen, levers) for s in segments}
        return memo[key]

    base = project((), [])

    def customer(levers, chosen):
        """Customer benefit in years 0..H of a lever coalition and a set of initiatives."""
        proj = project(levers, chosen)
        return [0.0] + [
            sum(proj[s["name"]][0][t] - base[s["name"]][0][t] for s in segments) for t in range(H)
        ]

    def customer_adjusted(chosen):
        """Adjusted customer benefit per year and, by lever, each lever's adjusted share."""
        full = customer(ALL_LEVERS, chosen)
        if not by_lever_risk:
            return [f(x, b["retention"]) for x in full], None
        rows = {
            frozenset(c): customer(c, chosen)
            for n in range(5)
            for c in itertools.combinations(ALL_LEVERS, n)
        }
        total, shares = [0.0], [dict.fromkeys(ALL_LEVERS, 0.0)]
        for t in range(1, H + 1):
            phi = ref_shapley(list(ALL_LEVERS), lambda c, t=t: rows[frozenset(c)][t])
            assert math.isclose(sum(phi.values()), full[t], rel_tol=1e-9, abs_tol=1e-6)
            shares.append({k: f(v, b[k]) for k, v in phi.items()})
            total.append(sum(shares[-1].values()))
        return total, shares

    def lines_of(chosen, adjusted):
        ben = [0.0] * (H + 1)
        cost = [0.0] * (H + 1)
        for ini in chosen:
            for line in ini.get("benefit_lines", []):
                keep = 1.0 - line.get("risk", b["lines"]) if adjusted else 1.0
                for t, x in enumerate(ref_amounts(line["amount"], H)):
                    ben[t] += x * keep
            for line in ini.get("cost_lines", []):
                grow = 1.0 + line.get("risk", cadj) if adjusted else 1.0
                for t, x in enumerate(ref_amounts(line["amount"], H)):
                    cost[t] += x * grow
        return ben, cost

    def kpis(benefits, costs):
        net = [x - y for x, y in zip(benefits, costs, strict=True)]
        pv_b, pv_c = ref_npv(d, benefits), ref_npv(d, costs)
        return {
            "npv": pv_b - pv_c,
            "pv_benefits": pv_b,
            "pv_costs": pv_c,
            "roi": (pv_b - pv_c) / pv_c if pv_c != 0 else None,
            "irr": ref_irr(net),
            "payback_years": ref_payback(net),
            "discounted_payback_years": ref_payback(
                [x / (1.0 + d) ** t for t, x in enumerate(net)]
            ),
            "benefits": benefits,
            "costs": costs,
            "net": net,
        }

    def case(chosen, adjusted=True):
        cust = customer_adjusted(chosen)[0] if adjusted else customer(ALL_LEVERS, chosen)
        ben, cost_lines = lines_of(chosen, adjusted)
        grow = 1.0 + cadj if adjusted else 1.0
        capex_opex = [x * grow for x in ref_costs(chosen, H)]
        out = kpis(
            [x + y for x, y in zip(cust, ben, strict=True)],
            [x + y for x, y in zip(capex_opex, cost_lines, strict=True)],
        )
        out |= {"customer_benefits": cust, "line_benefits": ben, "line_costs": cost_lines}
        return out

    adjusted, unadjusted = case(initiatives), case(initiatives, adjusted=False)
    cx = project(ALL_LEVERS, initiatives)
    extra = sum(sum(c[0] for c in cx[s["name"]][1]) - sum(c[0] for c in base[s["name"]][1])
                for s in segments)  # fmt: skip
    loss = sum(
        s["customers"]
        * sum(share * (1.0 - ref_retention(s, k)) for k, share in ref_mix(s).items())
        * s["poor_cx_churn_share"]
        * s["preventable_share"]
        * s["wallet"]
        * s["share_of_wallet"]
        for s in segments
    )
    # customer equity: every cohort still active after year H, both arms
    equity = equity_scale = 0.0
    for s in segments:
        for arm, sign in ((cx, 1.0), (base, -1.0)):
            for count, k in arm[s["name"]][1]:
                rv = ref_residual_value(s, k, d, H)
                if rv is None:
                    equity = None
                    break
                equity += sign * count * rv
                equity_scale += abs(count * rv)
            if equity is None:
                break
        if equity is None:
            break
    for which, adj in ((adjusted, True), (unadjusted, False)):
        which["extra_customers_end"] = extra
        which["annual_switching_loss"] = loss
        ce = None if equity is None else (f(equity, b["retention"]) if adj else equity)
        which["customer_equity"] = ce
        which["npv_with_customer_equity"] = None if ce is None else which["npv"] + ce

    # by lever
    pv_lines = ref_npv(d, adjusted["line_benefits"])
    if by_lever_risk:
        shares = customer_adjusted(initiatives)[1]
        by_lever = {k: ref_npv(d, [year[k] for year in shares]) for k in ALL_LEVERS}
    else:
        by_lever = ref_shapley(
            list(ALL_LEVERS),
            lambda c: ref_npv(d, [f(x, b["retention"]) for x in customer(c, initiatives)]),
        )
    by_lever["lines"] = pv_lines

    by_name = {ini["name"]: ini for ini in initiatives}

    def npv_of(coalition):
        return case([by_name[n] for n in by_name if n in coalition])["npv"]

    names = list(by_name)
    return {
        "adjusted": adjusted,
        "unadjusted": unadjusted,
        "by_lever": by_lever,
        "by_initiative": ref_shapley(names, npv_of),
        "standalone": {n: npv_of({n}) for n in names},
        "last_in": {n: npv_of(set(names)) - npv_of(set(names) - {n}) for n in names},
        "equity_scale": equity_scale,  # both arms' equity: the size of its rounding noise
    }


def assert_matches_reference_v2(mapping, rel=1e-9):
    """Compare every v2 figure of evaluate() with the brute-force reference."""
    case = cxroi.evaluate(copy.deepcopy(mapping))
    ref = reference_case_v2(copy.deepcopy(mapping))
    flows = ref["unadjusted"]
    scale = 1.0 + sum(abs(x) for key in ("benefits", "costs") for x in flows[key])
    scale += sum(abs(x) for x in ref["adjusted"]["customer_benefits"])
    H = mapping.get("horizon_years", 3)
    for which, kpis in (("adjusted", case.kpis), ("unadjusted", case.unadjusted)):
        r = ref[which]
        for key in ("npv", "pv_benefits", "pv_costs", "extra_customers_end"):
            assert close(kpis[key], r[key], rel, scale), (which, key, kpis[key], r[key])
        assert close(kpis["annual_switching_loss"], r["annual_switching_loss"], rel)
        for key in ("customer_equity", "npv_with_customer_equity"):
            if r[key] is None:
                assert kpis[key] is None, (which, key)
            else:
                ce_scale = scale + ref["equity_scale"]
                assert close(kpis[key], r[key], 1e-8, ce_scale), (which, key, kpis[key], r[key])
        if r["roi"] is None:
            assert kpis["roi"] is None
        else:
            assert close(kpis["roi"], r["roi"], rel, scale / r["pv_costs"]), (which, "roi")
        cums = list(itertools.accumulate(r["net"]))
        if min(abs(c) for c in cums) > 1e-6 * scale:
            assert close(kpis["payback_years"], r["payback_years"], 1e-7, H)
    cf = case.to_json()["cashflow"]
    for key in ("benefits", "costs", "net", "customer_benefits", "line_benefits", "line_costs"):
        for t in range(H + 1):
            assert close(cf[key][t], ref["adjusted"][key][t], rel, scale), (key, t)
    for lever, value in ref["by_lever"].items():
        assert close(case.by_lever[lever], value, rel, scale), (lever, case.by_lever, value)
    assert close(sum(case.by_lever.values()), case.kpis["pv_benefits"], 1e-12, scale)
    for name, value in ref["by_initiative"].items():
        assert close(case.by_initiative[name], value, rel, scale), name
        assert close(case.by_initiative_standalone[name], ref["standalone"][name], rel, scale)
        assert close(case.by_initiative_last_in[name], ref["last_in"][name], rel, scale)
    return case, ref


# --------------------------------------------------------------------------------------------
# A case that exercises every v2 rule at once
# --------------------------------------------------------------------------------------------
TEI_CASE = {
    "name": "TEI lines",
    "horizon_years": 4,
    "discount_rate": 0.08,
    "segments": [
        {
            "name": "A",
            "customers": 20_000,
            "wallet": 1_200,
            "share_of_wallet": 0.4,
            "gross_margin": 0.3,
            "retention": {"alpha": 1.4, "beta": 5.0, "tenure": {0: 0.3, "4": 0.5, 10: 0.2}},
            "acquisition_cost": 150,
            "cost_to_serve": 30,
        },
        {
            "name": "B",
            "customers": 5_000,
            "wallet": 4_000,
            "share_of_wallet": 0.2,
            "gross_margin": 0.4,
            "retention": 0.85,
            "acquisition_cost": 600,
            "acquisition": "replace",
            "referral_share": 0.1,
        },
    ],  # fmt: skip
    "initiatives": [
        {
            "name": "Agent desktop",
            "capex": {0: 300_000, "1": 50_000},
            "opex": [40_000, 60_000],
            "ramp": [0.5, 1.0],
            "effects": {"*": {"churn_prevented": 0.2, "cost_to_serve_change": -0.15}},
            "benefit_lines": [
                {"name": "Handle time", "amount": 120_000},
                {"name": "Retired IT", "amount": {"2": 80_000, 3: 80_000, 4: 80_000}, "risk": 0.05},
            ],
            "cost_lines": [{"name": "Training", "amount": {0: 40_000, 1: 10_000}, "risk": 0.25}],
            "unquantified": ["Agent morale", "Fewer escalations"],
        },
        {
            "name": "Price test",
            "opex": 10_000,
            # a wallet loss and dearer service: yearly customer benefits below zero
            "effects": {"B": {"share_of_wallet_lift": -0.05, "cost_to_serve_change": 0.2}},
            "cost_lines": [{"name": "Labour", "amount": [5_000, 8_000]}],
        },
    ],
    "risk": {
        "benefit_adjustment": {"retention": 0.25, "wallet": 0.1, "lines": 0.15, "default": 0.05},
        "cost_adjustment": 0.1,
    },
}


def test_reference_tei_case():
    case, ref = assert_matches_reference_v2(TEI_CASE)
    assert case.unquantified == {"Agent desktop": ["Agent morale", "Fewer escalations"]}
    # the price test's own benefits are negative every year, and the risk made them worse
    alone = copy.deepcopy(TEI_CASE)
    alone["initiatives"] = alone["initiatives"][1:]
    solo = cxroi.evaluate(alone)
    cf = solo.cashflow
    assert (cf["customer_benefits_unadjusted"].iloc[1:] < 0).all()
    assert (cf["customer_benefits"].iloc[1:] < cf["customer_benefits_unadjusted"].iloc[1:]).all()


def test_reference_tei_case_number_risk():
    m = copy.deepcopy(TEI_CASE)
    m["risk"] = {"benefit_adjustment": 0.2, "cost_adjustment": 0.05}
    assert_matches_reference_v2(m)


def test_reference_every_initiative_alone_and_nine_initiatives():
    for ini in TEI_CASE["initiatives"]:
        m = copy.deepcopy(TEI_CASE)
        m["initiatives"] = [copy.deepcopy(ini)]
        assert_matches_reference_v2(m)


@settings(max_examples=40, deadline=None)
@given(v2_scenarios())
def test_reference_hypothesis_v2(mapping):
    assert_matches_reference_v2(mapping)


# --------------------------------------------------------------------------------------------
# Specific rules
# --------------------------------------------------------------------------------------------
def _negative_case(badj):
    m = copy.deepcopy(TEI_CASE)
    m["initiatives"] = [m["initiatives"][1]]
    m["risk"] = {"benefit_adjustment": badj}
    return m


@pytest.mark.parametrize(
    "badj", [0.2, {"wallet": 0.2, "service": 0.2}, {"default": 0.2, "lines": 0.0}]
)
def test_sign_rule_negative_yearly_benefits(badj):
    # every yearly customer benefit is negative: the adjustment makes each 20% worse
    case = cxroi.evaluate(_negative_case(badj))
    cf = case.cashflow
    raw = cf["customer_benefits_unadjusted"].to_numpy()[1:]
    assert (raw < 0).all()
    np.testing.assert_allclose(cf["customer_benefits"].to_numpy()[1:], raw * 1.2, rtol=1e-12)
    assert case.kpis["pv_benefits"] < case.unadjusted["pv_benefits"] < 0


def test_by_lever_mapping_with_one_value_equals_number_when_signs_agree():
    # with every lever at b and every yearly share of one sign, the forms agree
    m = copy.deepcopy(TEI_CASE)
    m["initiatives"] = [m["initiatives"][0]]
    m["risk"] = {"benefit_adjustment": 0.2}
    number = cxroi.evaluate(m)
    m["risk"] = {"benefit_adjustment": {"default": 0.2}}
    mapping = cxroi.evaluate(m)
    shares = engine.compile_scenario(mapping.scenario)
    assert shares.risk_by_lever
    assert mapping.kpis["npv"] == pytest.approx(number.kpis["npv"], rel=1e-12)


def test_lines_are_not_ramped_and_risk_defaults():
    m = copy.deepcopy(TEI_CASE)
    m["risk"] = {"benefit_adjustment": 0.3, "cost_adjustment": 0.1}
    case = cxroi.evaluate(m)
    table = case.line_table()
    handle = table[table.line == "Handle time"].iloc[0]
    assert handle.risk == 0.3  # the number b is every line's default
    assert [handle[t] for t in range(5)] == pytest.approx([0.0] + [120_000 * 0.7] * 4)
    it = table[table.line == "Retired IT"].iloc[0]
    assert [it[t] for t in range(5)] == pytest.approx([0, 0, 76_000, 76_000, 76_000])
    labour = table[table.line == "Labour"].iloc[0]
    assert labour.risk == 0.1  # the cost adjustment is every cost line's default
    assert [labour[t] for t in range(5)] == pytest.approx([0, 5_500, 8_800, 8_800, 8_800])
    # the table's rows add up to the cash flow
    benefits = table[table.kind == "benefit"][list(range(5))].sum().to_numpy()
    costs = table[table.kind == "cost"][list(range(5))].sum().to_numpy()
    np.testing.assert_allclose(benefits, case.cashflow["benefits"], rtol=1e-12)
    np.testing.assert_allclose(costs, case.cashflow["costs"], rtol=1e-12)


def test_worked_example_v1_figures_unchanged():
    case = cxroi.evaluate(WORKED)
    for key, (value, decimals) in PUBLISHED_KPIS.items():
        assert_published(case.kpis[key], value, decimals)
    assert case.by_lever["lines"] == 0.0
    # standalone and last-in bracket the Shapley value for two initiatives
    for name, phi in case.by_initiative.items():
        alone, last = case.by_initiative_standalone[name], case.by_initiative_last_in[name]
        assert phi == pytest.approx(0.5 * (alone + last), rel=1e-12)
    # customers kept are worth about 2.6M after the horizon (risk-adjusted by b = 0.10)
    assert case.kpis["customer_equity"] == pytest.approx(
        0.9 * case.unadjusted["customer_equity"], rel=1e-12
    )
    assert 2.5e6 < case.kpis["customer_equity"] < 2.7e6


def test_standalone_last_in_beyond_eight_initiatives():
    m = copy.deepcopy(TEI_CASE)
    base = m["initiatives"][0]
    m["initiatives"] = [dict(copy.deepcopy(base), name=f"I{k}") for k in range(10)]
    case = cxroi.evaluate(m)
    assert case.by_initiative is None
    assert len(case.by_initiative_standalone) == 10
    small = copy.deepcopy(m)
    small["initiatives"] = small["initiatives"][:1]
    alone = cxroi.evaluate(small)
    assert case.by_initiative_standalone["I0"] == pytest.approx(alone.kpis["npv"], rel=1e-12)
    nine = copy.deepcopy(m)
    nine["initiatives"] = nine["initiatives"][1:]
    rest = cxroi.evaluate(nine)
    assert case.by_initiative_last_in["I0"] == pytest.approx(
        case.kpis["npv"] - rest.kpis["npv"], rel=1e-9
    )


@pytest.mark.parametrize("k", [0, 3, 7])
def test_tenure_mix_of_one_key_equals_number_tenure(k):
    m = copy.deepcopy(TEI_CASE)
    m["segments"][0]["retention"]["tenure"] = {str(k): 1.0}
    mixed = cxroi.evaluate(m).to_json()
    m["segments"][0]["retention"]["tenure"] = k
    number = cxroi.evaluate(m).to_json()
    mixed.pop("warnings"), number.pop("warnings")
    assert mixed == number


def test_tenure_mix_moves_switching_loss_as_the_mix_churn():
    # the affluent segment of the worked example, split 50/50 between tenures 0 and 8
    m = yaml.safe_load(WORKED.read_text())
    aff = m["segments"][1]
    a, b_ = aff["retention"]["alpha"], aff["retention"]["beta"]
    before = cxroi.evaluate(m).by_segment.loc["Affluent", "annual_switching_loss"]
    aff["retention"]["tenure"] = {0: 0.5, 8: 0.5}
    after = cxroi.evaluate(m).by_segment.loc["Affluent", "annual_switching_loss"]

    def churn(k):
        return 1.0 - (b_ + k) / (a + b_ + k)

    assert after / before == pytest.approx(0.5 * (churn(0) + churn(8)) / churn(4), rel=1e-12)
    assert abs(after / before - 1.0) > 0.2


# --------------------------------------------------------------------------------------------
# Customer equity: closed forms against the series
# --------------------------------------------------------------------------------------------
def _params(retention, d=0.1, horizon=3):
    m = copy.deepcopy(TEI_CASE)
    m["horizon_years"] = horizon
    m["discount_rate"] = d
    m["segments"] = [dict(m["segments"][0], retention=retention)]
    m["initiatives"] = [{"name": "Nothing"}]
    m.pop("risk")
    return m, engine.compile_scenario(cxroi.load_scenario(m))


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=0.99),
    st.floats(min_value=0.01, max_value=0.3),
    st.integers(1, 10),
)
def test_residual_value_constant_closed_form(r, d, horizon):
    m, p = _params(r, d, horizon)
    seg = SEGMENT_DEFAULTS | m["segments"][0]
    got = engine.residual_value(p, np.array([[0.0, 5.0]]))[0]
    series = ref_residual_value(seg, 0, d, horizon)
    margin = 1_200 * 0.4 * 0.3 - 30
    assert got[0] == pytest.approx(margin / ((1 + d) ** horizon * (1 + d - r)), rel=1e-12)
    assert got[0] == pytest.approx(series, rel=1e-9)
    assert got[1] == got[0]  # constant retention: renewals made do not matter


@settings(max_examples=30, deadline=None)
@given(
    st.floats(min_value=0.2, max_value=10.0),
    st.floats(min_value=0.2, max_value=10.0),
    st.floats(min_value=0.02, max_value=0.3),
    st.integers(0, 15),
)
def test_residual_value_sbg_closed_form(alpha, beta, d, k):
    m, p = _params({"alpha": alpha, "beta": beta}, d, 4)
    seg = SEGMENT_DEFAULTS | m["segments"][0]
    got = float(engine.residual_value(p, np.array([[float(k)]]))[0, 0])
    assert got == pytest.approx(ref_residual_value(seg, k, d, 4), rel=1e-8)


def test_residual_value_sbg_zero_discount_and_divergence():
    m, p = _params({"alpha": 2.5, "beta": 3.0}, 0.0, 2)
    margin = 1_200 * 0.4 * 0.3 - 30
    # d = 0: the expected remaining lifetime (alpha + beta + k - 1) / (alpha - 1)
    got = float(engine.residual_value(p, np.array([[3.0]]))[0, 0])
    assert got == pytest.approx(margin * (2.5 + 3.0 + 3.0 - 1) / 1.5, rel=1e-12)
    _, p = _params({"alpha": 0.9, "beta": 3.0}, 0.0, 2)
    assert np.isnan(engine.residual_value(p, np.array([[0.0]]))).all()
    m, _ = _params({"alpha": 0.9, "beta": 3.0}, 0.0, 2)
    case = cxroi.evaluate(m)
    assert case.kpis["customer_equity"] is None
    assert case.kpis["npv_with_customer_equity"] is None
    assert case.to_json()["unadjusted"]["customer_equity"] is None
    m, _ = _params(1.0, 0.0, 2)  # constant r = 1 + d: diverges
    assert cxroi.evaluate(m).kpis["customer_equity"] is None


def test_customer_equity_never_enters_the_tei_kpis():
    m = copy.deepcopy(TEI_CASE)
    case = cxroi.evaluate(m)
    assert case.kpis["npv_with_customer_equity"] == pytest.approx(
        case.kpis["npv"] + case.kpis["customer_equity"], rel=1e-12
    )
    # the TEI figures are those of the cash flow alone
    cf = case.cashflow
    assert case.kpis["npv"] == pytest.approx((cf["net"] * cf["discount_factor"]).sum(), rel=1e-12)
    # by-lever risk: customer equity is adjusted by the retention entry (0.25)
    assert case.kpis["customer_equity"] == pytest.approx(
        f(case.unadjusted["customer_equity"], 0.25), rel=1e-12
    )


# --------------------------------------------------------------------------------------------
# The worked examples of docs/model.md §11-§15 (their figures come from these evaluations)
# --------------------------------------------------------------------------------------------
def _worked():
    return yaml.safe_load(WORKED.read_text())


def test_docs_example_lines():
    m = _worked()
    redesign = m["initiatives"][0]
    redesign["benefit_lines"] = [{"name": "Handle time", "amount": 300000, "risk": 0.2}]
    redesign["cost_lines"] = [{"name": "Training", "amount": {0: 200000}}]
    redesign["unquantified"] = ["Agent morale"]
    out = cxroi.evaluate(m).to_json()
    assert out["cashflow"]["line_benefits"] == pytest.approx([0] + [240_000] * 5)
    assert out["cashflow"]["line_costs"] == pytest.approx([210_000] + [0] * 5)
    assert_published(out["pv_benefits"], 14_097_200.23, 2)
    assert_published(out["by_lever"]["lines"], 909_788.82, 2)
    assert_published(out["pv_costs"], 10_928_324.32, 2)
    assert_published(out["npv"], 3_168_875.91, 2)
    assert_published(out["by_initiative"]["Omnichannel service redesign"], 478_343.81, 2)


def test_docs_example_by_lever_risk():
    m = _worked()
    m["risk"]["benefit_adjustment"] = {"retention": 0.2, "wallet": 0.1, "default": 0.05}
    out = cxroi.evaluate(m).to_json()
    assert_published(out["pv_benefits"], 13_088_566.77, 2)
    assert_published(out["npv"], 2_370_242.45, 2)
    for lever, value in (("retention", 2_516_992.25), ("wallet", 6_471_765.98),
                         ("referral", 721_926.46), ("service", 3_377_882.09)):  # fmt: skip
        assert_published(out["by_lever"][lever], value, 2)


def test_docs_example_customer_equity_and_views():
    out = cxroi.evaluate(_worked()).to_json()
    assert_published(out["unadjusted"]["customer_equity"], 2_923_296.49, 2)
    assert_published(out["customer_equity"], 2_630_966.84, 2)
    assert_published(out["npv_with_customer_equity"], 5_100_053.93, 2)
    redesign, outreach = "Omnichannel service redesign", "Proactive outreach for affluent"
    assert_published(out["by_initiative_standalone"][redesign], -142_173.08, 2)
    assert_published(out["by_initiative_last_in"][redesign], -300_716.96, 2)
    assert_published(out["by_initiative_standalone"][outreach], 2_769_804.04, 2)
    assert_published(out["by_initiative_last_in"][outreach], 2_611_260.16, 2)


def test_docs_example_tenure_mix():
    m = _worked()
    m["segments"][1]["retention"]["tenure"] = {0: 0.5, 8: 0.5}
    out = cxroi.evaluate(m).to_json()
    assert_published(out["annual_switching_loss"], 10_612_586.72, 2)
    assert_published(out["npv"], 2_685_619.37, 2)
    assert_published(out["customer_equity"], 2_579_810.21, 2)
