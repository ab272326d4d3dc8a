"""Tests for cxroi.engine.case: the worked example, identities, properties and a brute-force
reference.

The most valuable test here is ``test_reference_*``: a plain, loop-based re-implementation of
docs/model.md §3-§6 (cohort by cohort, in pure Python, written from the spec and not from
the engine) must agree with the vectorised :func:`cxroi.evaluate` to 1e-9 relative.
"""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from published import (
    OUTREACH,
    PUBLISHED_BENEFITS,
    PUBLISHED_BY_INITIATIVE,
    PUBLISHED_BY_LEVER,
    PUBLISHED_CLV,
    PUBLISHED_KPIS,
    REDESIGN,
    assert_published,
)
from strategies import scenarios

import cxroi
from cxroi.engine import finance
from cxroi.engine.case import EQUITY_KEYS, KPI_KEYS

DATA = Path(__file__).parents[1] / "data"
WORKED = DATA / "worked_example.yaml"


@pytest.fixture(scope="module")
def worked_mapping():
    return yaml.safe_load(WORKED.read_text())


@pytest.fixture(scope="module")
def worked_case():
    return cxroi.evaluate(WORKED)


# --------------------------------------------------------------------------------------------
# A brute-force reference of docs/model.md §3-§6, written plainly from the spec
# --------------------------------------------------------------------------------------------
SEGMENT_DEFAULTS = {
    "cost_to_serve": 0.0,
    "poor_cx_churn_share": 0.66,
    "preventable_share": 0.81,
    "referral_share": 0.0,
    "acquisition": "fixed",
    "new_customers_per_year": None,
}
ALL_LEVERS = ("retention", "wallet", "referral", "service")


def ref_held(values, t):
    """Value of a list 'for years 1.., last value held' in year t (t >= 1)."""
    return values[min(t - 1, len(values) - 1)]


def ref_effect(initiative, segment_name, key):
    """An effect field: the segment's own entry, else '*', else 0 (field by field)."""
    effects = initiative.get("effects") or {}
    own = effects.get(segment_name) or {}
    if key in own:
        return own[key]
    star = effects.get("*") or {}
    return star.get(key, 0.0)


def ref_retention(segment, renewals):
    """Baseline retention of a cohort with ``renewals`` renewals made."""
    r = segment["retention"]
    if isinstance(r, dict):
        return (r["beta"] + renewals) / (r["alpha"] + r["beta"] + renewals)
    return r


def ref_tenure(segment):
    r = segment["retention"]
    return r.get("tenure", 0.0) if isinstance(r, dict) else 0.0


def ref_levers(seg, initiatives, levers, t=None):
    """m, sow, ref, cts of docs/model.md §3 in year t (t=None: every initiative at ramp 1)."""
    keep, sow_factor, ref_sum, cts_factor = 1.0, 1.0, 0.0, 1.0
    for ini in initiatives:
        g = 1.0 if t is None else ref_held(ini.get("ramp", [1.0]), t)
        if "retention" in levers:
            keep *= 1.0 - ref_effect(ini, seg["name"], "churn_prevented") * g
        if "wallet" in levers:
            sow_factor *= 1.0 + ref_effect(ini, seg["name"], "share_of_wallet_lift") * g
        if "referral" in levers:
            ref_sum += ref_effect(ini, seg["name"], "referral_lift") * g
        if "service" in levers:
            cts_factor *= 1.0 + ref_effect(ini, seg["name"], "cost_to_serve_change") * g
    prevented = 1.0 - keep
    m = 1.0 - seg["poor_cx_churn_share"] * seg["preventable_share"] * prevented
    sow = min(1.0, seg["share_of_wallet"] * sow_factor)
    ref = min(1.0, max(0.0, seg["referral_share"] + ref_sum))
    cts = max(0.0, seg["cost_to_serve"] * cts_factor)
    return m, sow, ref, cts


def ref_segment(seg, horizon, initiatives, levers):
    """Project one segment cohort by cohort (docs/model.md §4); returns yearly lines, end count."""
    n0 = seg["customers"]
    cohorts = [[n0, ref_tenure(seg)]]  # [active, renewals made]
    if seg["new_customers_per_year"] is None:
        fixed_new = n0 * (1.0 - ref_retention(seg, ref_tenure(seg)))
    else:
        fixed_new = seg["new_customers_per_year"]
    lines = []
    for t in range(1, horizon + 1):
        m, sow, ref, cts = ref_levers(seg, initiatives, levers, t)
        active = sum(c[0] for c in cohorts)
        revenue = active * seg["wallet"] * sow
        gross = revenue * seg["gross_margin"]
        service = active * cts
        churned = 0.0
        for c in cohorts:
            lost = c[0] * (1.0 - ref_retention(seg, c[1])) * m
            c[0] -= lost
            c[1] += 1
            churned += lost
        new = churned if seg["acquisition"] == "replace" else fixed_new
        cohorts.append([new, 0])
        acquisition = new * seg["acquisition_cost"] * (1.0 - ref)
        lines.append(
            {
                "active_start": active,
                "revenue": revenue,
                "gross_margin": gross,
                "service_cost": service,
                "new_customers": new,
                "acquisition_cost": acquisition,
                "contribution": gross - service - acquisition,
            }
        )
    return lines, sum(c[0] for c in cohorts)


def ref_costs(initiatives, horizon):
    """Cost_t: capex in year t plus opex in years 1..H (held lists)."""
    costs = [0.0] * (horizon + 1)
    for ini in initiatives:
        capex = ini.get("capex", 0.0)
        if isinstance(capex, dict):
            for year, amount in capex.items():
                costs[int(year)] += amount
        else:
            costs[0] += capex
        opex = ini.get("opex", 0.0)
        for t in range(1, horizon + 1):
            costs[t] += ref_held(opex, t) if isinstance(opex, list) else opex
    return costs


def ref_payback(net):
    cum = net[0]
    if cum >= 0:
        return 0.0
    for t in range(1, len(net)):
        prev = cum
        cum += net[t]
        if cum >= 0:
            return (t - 1) + (-prev) / net[t]
    return None


def ref_npv(rate, flows):
    return sum(c / (1.0 + rate) ** t for t, c in enumerate(flows))


def ref_irr(net):
    """Root of NPV(rate) on [-0.9999, 1e6] by plain bisection; None as docs/model.md §5 says."""
    signs = {x > 0 for x in net if abs(x) > 1e-9}
    if len(signs) < 2:
        return None
    lo, hi = -0.9999, 1e6
    f_lo = ref_npv(lo, net)
    if (f_lo > 0) == (ref_npv(hi, net) > 0):
        return None
    a, b = math.log1p(lo), math.log1p(hi)  # bisect on log(1 + rate)
    for _ in range(200):
        mid = 0.5 * (a + b)
        f_mid = ref_npv(math.expm1(mid), net)
        if (f_mid > 0) == (f_lo > 0):
            a, f_lo = mid, f_mid
        else:
            b = mid
    return math.expm1(0.5 * (a + b))


def ref_clv(seg, initiatives, levers, discount_rate):
    """Value of one new customer by direct summation of the series of docs/model.md §6."""
    m, sow, _, cts = ref_levers(seg, initiatives, levers, None)
    margin = seg["wallet"] * sow * seg["gross_margin"] - cts
    survival, total = 1.0, 0.0
    for t in range(200_000):
        term = survival / (1.0 + discount_rate) ** t
        total += term
        if term <= 1e-17 * total:
            break
        survival *= 1.0 - (1.0 - ref_retention(seg, t)) * m
    return margin * total


def ref_shapley(players, value):
    """Shapley values by averaging marginal contributions over every ordering."""
    phi = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        coalition = frozenset()
        for p in order:
            phi[p] += value(coalition | {p}) - value(coalition)
            coalition = coalition | {p}
    return {p: phi[p] / len(orders) for p in players}


def reference_case(mapping):
    """Everything docs/model.md §4-§6 defines, computed plainly from a scenario mapping."""
    horizon = mapping.get("horizon_years", 3)
    d = mapping.get("discount_rate", 0.10)
    risk = mapping.get("risk") or {}
    badj = risk.get("benefit_adjustment", 0.0)
    cadj = risk.get("cost_adjustment", 0.0)
    segments = [SEGMENT_DEFAULTS | seg for seg in mapping["segments"]]
    initiatives = mapping["initiatives"]

    def projection(levers, active):
        lines, end = {}, {}
        for seg in segments:
            lines[seg["name"]], end[seg["name"]] = ref_segment(seg, horizon, active, levers)
        return lines, end

    base_lines, base_end = projection((), [])

    def benefit(levers, active):
        lines, end = projection(levers, active)
        out = [0.0]
        for t in range(horizon):
            out.append(
                sum(
                    lines[s["name"]][t]["contribution"] - base_lines[s["name"]][t]["contribution"]
                    for s in segments
                )
            )
        return out, lines, end

    def kpis(benefit_t, cost_t, b_adj, c_adj):
        benefits = [x * (1.0 - b_adj) if x >= 0 else x * (1.0 + b_adj) for x in benefit_t]
        costs = [x * (1.0 + c_adj) for x in cost_t]
        net = [b - c for b, c in zip(benefits, costs, strict=True)]
        pv_b, pv_c = ref_npv(d, benefits), ref_npv(d, costs)
        discounted = [x / (1.0 + d) ** t for t, x in enumerate(net)]
        return {
            "npv": pv_b - pv_c,
            "pv_benefits": pv_b,
            "pv_costs": pv_c,
            "roi": (pv_b - pv_c) / pv_c if pv_c != 0 else None,
            "irr": ref_irr(net),
            "payback_years": ref_payback(net),
            "discounted_payback_years": ref_payback(discounted),
            "benefits": benefits,
            "costs": costs,
            "net": net,
        }

    benefit_t, cx_lines, cx_end = benefit(ALL_LEVERS, initiatives)
    cost_t = ref_costs(initiatives, horizon)
    extra = sum(cx_end[s["name"]] - base_end[s["name"]] for s in segments)
    loss = sum(
        s["customers"]
        * (1.0 - ref_retention(s, ref_tenure(s)))
        * s["poor_cx_churn_share"]
        * s["preventable_share"]
        * s["wallet"]
        * s["share_of_wallet"]
        for s in segments
    )
    adjusted = kpis(benefit_t, cost_t, badj, cadj)
    unadjusted = kpis(benefit_t, cost_t, 0.0, 0.0)
    for k in (adjusted, unadjusted):
        k["extra_customers_end"] = extra
        k["annual_switching_loss"] = loss

    def pv_lever(coalition):
        yearly = benefit(tuple(coalition), initiatives)[0]
        return ref_npv(d, [x * (1.0 - badj) if x >= 0 else x * (1.0 + badj) for x in yearly])

    by_name = {ini["name"]: ini for ini in initiatives}

    def npv_initiatives(coalition):
        chosen = [by_name[n] for n in by_name if n in coalition]
        b = benefit(ALL_LEVERS, chosen)[0]
        return kpis(b, ref_costs(chosen, horizon), badj, cadj)["npv"]

    clv = {
        s["name"]: (ref_clv(s, [], (), d), ref_clv(s, initiatives, ALL_LEVERS, d)) for s in segments
    }
    return {
        "adjusted": adjusted,
        "unadjusted": unadjusted,
        "lines": {"baseline": base_lines, "with_cx": cx_lines},
        "end": {"baseline": base_end, "with_cx": cx_end},
        "by_lever": ref_shapley(ALL_LEVERS, pv_lever),
        "by_initiative": ref_shapley(list(by_name), npv_initiatives),
        "clv": clv,
    }


def _scale(ref):
    """Magnitude of the case's money flows, for 'relative to the case' tolerances."""
    total = sum(abs(x) for x in ref["unadjusted"]["costs"])
    for lines in ref["lines"].values():
        for seg_lines in lines.values():
            for line in seg_lines:
                total += abs(line["gross_margin"]) + abs(line["service_cost"])
                total += abs(line["acquisition_cost"])
    return total + 1.0


def close(got, expected, rel=1e-9, scale=0.0):
    """|got - expected| <= rel * (|expected| + scale); both None counts as equal."""
    if expected is None or got is None:
        return got is None and expected is None
    return abs(got - expected) <= rel * (abs(expected) + scale)


def assert_matches_reference(mapping, rel=1e-9):
    """Compare every figure of evaluate() with the brute-force reference."""
    case = cxroi.evaluate(mapping)
    ref = reference_case(copy.deepcopy(mapping))
    scale = _scale(ref)
    horizon = mapping.get("horizon_years", 3)

    for which, kpis in (("adjusted", case.kpis), ("unadjusted", case.unadjusted)):
        r = ref[which]
        for key in ("npv", "pv_benefits", "pv_costs", "extra_customers_end"):
            assert close(kpis[key], r[key], rel, scale), (which, key, kpis[key], r[key])
        assert close(kpis["annual_switching_loss"], r["annual_switching_loss"], rel)
        if r["roi"] is None:
            assert kpis["roi"] is None
        else:
            assert close(kpis["roi"], r["roi"], rel, scale / r["pv_costs"]), (which, "roi")
        # payback: compared where the cumulative net is not within rounding noise of zero
        for key, flows in (
            ("payback_years", r["net"]),
            (
                "discounted_payback_years",
                [x / (1 + mapping.get("discount_rate", 0.1)) ** t for t, x in enumerate(r["net"])],
            ),
        ):
            cums = list(itertools.accumulate(flows))
            if min(abs(c) for c in cums) > 1e-6 * scale:
                assert close(kpis[key], r[key], 1e-7, horizon), (which, key, kpis[key], r[key])
        # IRR: a root of the NPV; equal to the reference root when the root is unique
        net = r["net"]
        signs = [x > 0 for x in net if abs(x) > 1e-9]
        changes = sum(a != b for a, b in itertools.pairwise(signs))
        if kpis["irr"] is not None:
            assert abs(finance.npv(kpis["irr"], net)) <= 1e-6 * scale
        if changes == 1 and min(abs(x) for x in net if abs(x) > 1e-9) > 1e-6 * scale:
            assert close(kpis["irr"], r["irr"], 1e-7, 1.0), (which, kpis["irr"], r["irr"])
        if changes == 0:
            assert kpis["irr"] is None

    cf = case.cashflow
    assert list(cf.index) == list(range(horizon + 1))
    for col, key in (("benefits", "benefits"), ("costs", "costs"), ("net", "net")):
        for t in range(horizon + 1):
            assert close(cf[col].iloc[t], ref["adjusted"][key][t], rel, scale), (col, t)
    for t in range(horizon + 1):
        assert close(
            cf["benefits_unadjusted"].iloc[t], ref["unadjusted"]["benefits"][t], rel, scale
        )
        assert close(cf["costs_unadjusted"].iloc[t], ref["unadjusted"]["costs"][t], rel, scale)

    # yearly P&L lines per segment, both projections
    for projection in ("baseline", "with_cx"):
        for name, seg_lines in ref["lines"][projection].items():
            got = case.lines[(case.lines.projection == projection) & (case.lines.segment == name)]
            assert list(got.year) == list(range(1, horizon + 1))
            for t, line in enumerate(seg_lines):
                for col, value in line.items():
                    assert close(got[col].iloc[t], value, rel, scale), (projection, name, t, col)
            end = case.customers[(case.customers.segment == name)].set_index("year")
            assert close(end.loc[horizon, projection], ref["end"][projection][name], rel, scale)

    for lever, value in ref["by_lever"].items():
        assert close(case.by_lever[lever], value, rel, scale), lever
    for name, value in ref["by_initiative"].items():
        assert close(case.by_initiative[name], value, rel, scale), name
    for name, (base, cx) in ref["clv"].items():
        row = case.by_segment.loc[name]
        assert close(row.clv_baseline, base, rel, 1e-9), (name, row.clv_baseline, base)
        assert close(row.clv_with_cx, cx, rel, 1e-9), (name, row.clv_with_cx, cx)
    return case, ref


# --------------------------------------------------------------------------------------------
# The worked example (docs/model.md §9)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", list(PUBLISHED_KPIS))
def test_worked_example_kpis(worked_case, key):
    value, decimals = PUBLISHED_KPIS[key]
    assert_published(worked_case.kpis[key], value, decimals)


def test_worked_example_benefits_by_year(worked_case):
    benefits = worked_case.cashflow["benefits"].tolist()
    assert len(benefits) == len(PUBLISHED_BENEFITS)
    assert benefits[0] == 0.0
    for got, expected in zip(benefits, PUBLISHED_BENEFITS, strict=True):
        assert_published(got, expected, 2)


def test_worked_example_attribution(worked_case):
    # v2 adds the benefit lines' PV, zero in a case without lines (docs/model.md §12)
    assert set(worked_case.by_lever) == set(PUBLISHED_BY_LEVER) | {"lines"}
    assert worked_case.by_lever["lines"] == 0.0
    for lever, expected in PUBLISHED_BY_LEVER.items():
        assert_published(worked_case.by_lever[lever], expected, 2)
    assert list(worked_case.by_initiative) == [REDESIGN, OUTREACH]
    for name, expected in PUBLISHED_BY_INITIATIVE.items():
        assert_published(worked_case.by_initiative[name], expected, 2)
    # the reading of docs/model.md §9: the redesign alone destroys value, the outreach carries it
    assert worked_case.by_initiative[REDESIGN] < 0 < worked_case.by_initiative[OUTREACH]


def test_worked_example_clv(worked_case):
    seg = worked_case.by_segment
    assert list(seg.index) == ["Mass market", "Affluent"]
    for name, (base, cx) in PUBLISHED_CLV.items():
        assert_published(seg.loc[name, "clv_baseline"], base, 2)
        assert_published(seg.loc[name, "clv_with_cx"], cx, 2)
    # exact: Mass market margin 1500 x 0.30 x 0.25 - 45 = 67.5, x (1.1) / (1.1 - 0.82)
    assert seg.loc["Mass market", "clv_baseline"] == pytest.approx(67.5 * 1.1 / 0.28, rel=1e-12)
    assert seg.loc["Mass market", "clv_to_cac_baseline"] == pytest.approx(
        67.5 * 1.1 / 0.28 / 300, rel=1e-12
    )


def test_worked_example_matches_reference(worked_mapping):
    case, ref = assert_matches_reference(worked_mapping)
    # the reference reproduces the published figures too (it is an independent check of s.9)
    assert_published(ref["adjusted"]["npv"], *PUBLISHED_KPIS["npv"])
    assert_published(ref["by_initiative"][REDESIGN], PUBLISHED_BY_INITIATIVE[REDESIGN], 2)


def test_worked_example_costs(worked_case):
    # capex 4.0M + 0.5M in year 0, 0.25M in year 1; opex 1.2M + [0.3, 0.3, 0.2 held]; x 1.05
    expected = [4.5e6, 1.2e6 + 0.3e6 + 0.25e6, 1.5e6, 1.4e6, 1.4e6, 1.4e6]
    assert worked_case.cashflow["costs_unadjusted"].tolist() == pytest.approx(expected, rel=1e-12)
    assert worked_case.cashflow["costs"].tolist() == pytest.approx(
        [x * 1.05 for x in expected], rel=1e-12
    )


def test_worked_example_cashflow_columns(worked_case):
    cf = worked_case.cashflow
    assert cf.index.name == "year"
    assert list(cf.index) == [0, 1, 2, 3, 4, 5]
    assert {
        "benefits",
        "costs",
        "net",
        "cumulative_net",
        "discount_factor",
        "discounted_net",
        "cumulative_discounted_net",
        "benefits_unadjusted",
        "costs_unadjusted",
    } <= set(cf.columns)
    np.testing.assert_allclose(cf["net"], cf["benefits"] - cf["costs"], rtol=1e-12)
    np.testing.assert_allclose(cf["cumulative_net"], np.cumsum(cf["net"]), rtol=1e-12)
    np.testing.assert_allclose(cf["discount_factor"], 1.1 ** -np.arange(6), rtol=1e-12)
    np.testing.assert_allclose(cf["discounted_net"], cf["net"] * cf["discount_factor"], rtol=1e-12)
    np.testing.assert_allclose(
        cf["cumulative_discounted_net"], np.cumsum(cf["discounted_net"]), rtol=1e-12
    )
    assert cf["cumulative_discounted_net"].iloc[-1] == pytest.approx(
        worked_case.kpis["npv"], rel=1e-12
    )


def test_worked_example_tei_table(worked_case):
    table = worked_case.tei_table()
    assert list(table.columns) == ["Initial"] + [f"Year {t}" for t in range(1, 6)] + [
        "Total",
        "Present value",
    ]
    assert list(table.index) == ["Benefits", "Costs", "Net", "Cumulative net"]
    cf = worked_case.cashflow
    years = table.columns[:6]
    for row, col in (("Benefits", "benefits"), ("Costs", "costs"), ("Net", "net")):
        np.testing.assert_allclose(table.loc[row, years].to_numpy(float), cf[col], rtol=1e-12)
        assert table.loc[row, "Total"] == pytest.approx(cf[col].sum(), rel=1e-12)
        assert table.loc[row, "Present value"] == pytest.approx(
            (cf[col] * cf["discount_factor"]).sum(), rel=1e-12
        )
    assert table.loc["Benefits", "Present value"] == pytest.approx(
        worked_case.kpis["pv_benefits"], rel=1e-12
    )
    assert table.loc["Costs", "Present value"] == pytest.approx(
        worked_case.kpis["pv_costs"], rel=1e-12
    )
    assert table.loc["Net", "Present value"] == pytest.approx(worked_case.kpis["npv"], rel=1e-12)
    np.testing.assert_allclose(
        table.loc["Cumulative net", years].to_numpy(float), cf["cumulative_net"], rtol=1e-12
    )
    assert table.loc["Cumulative net", ["Total", "Present value"]].isna().all()


def test_worked_example_to_json(worked_case, worked_mapping):
    out = worked_case.to_json()
    assert list(out) == [
        *KPI_KEYS,
        *EQUITY_KEYS,
        "unadjusted",
        "cashflow",
        "by_lever",
        "by_initiative",
        "by_initiative_standalone",
        "by_initiative_last_in",
        "segments",
        "warnings",
    ]
    assert out["warnings"] == []
    assert list(out["unadjusted"]) == [*KPI_KEYS, *EQUITY_KEYS]
    assert list(out["cashflow"]) == [
        "year", "benefits", "costs", "net", "customer_benefits", "line_benefits", "line_costs"
    ]  # fmt: skip
    assert out["cashflow"]["customer_benefits"] == out["cashflow"]["benefits"]  # no lines
    assert out["cashflow"]["line_costs"] == [0.0] * 6
    assert out["cashflow"]["year"] == [0, 1, 2, 3, 4, 5]
    assert out["segments"]["Affluent"] == {
        "clv_baseline": pytest.approx(3020.524167882504, rel=1e-9),
        "clv_with_cx": pytest.approx(4058.221605400576, rel=1e-9),
    }
    for key, (value, decimals) in PUBLISHED_KPIS.items():
        assert_published(out[key], value, decimals)


def test_worked_example_unadjusted(worked_case):
    un = worked_case.unadjusted
    cf = worked_case.cashflow
    assert un["pv_benefits"] == pytest.approx(worked_case.kpis["pv_benefits"] / 0.9, rel=1e-12)
    assert un["pv_costs"] == pytest.approx(worked_case.kpis["pv_costs"] / 1.05, rel=1e-12)
    np.testing.assert_allclose(cf["benefits"], cf["benefits_unadjusted"] * 0.9, rtol=1e-12)
    # not risk-adjusted: identical in both
    assert un["extra_customers_end"] == worked_case.kpis["extra_customers_end"]
    assert un["annual_switching_loss"] == worked_case.kpis["annual_switching_loss"]
    assert un["npv"] > worked_case.kpis["npv"]


def test_worked_example_customers_table(worked_case):
    cust = worked_case.customers
    assert list(cust.columns) == ["year", "segment", "baseline", "with_cx"]
    assert len(cust) == 2 * 6
    at_h = cust[cust.year == 5]
    extra = (at_h.with_cx - at_h.baseline).sum()
    assert extra == pytest.approx(worked_case.kpis["extra_customers_end"], rel=1e-12)
    today = cust[cust.year == 0].set_index("segment")
    assert today.loc["Mass market", "baseline"] == 200_000
    assert today.loc["Affluent", "with_cx"] == 20_000
    # fixed acquisition at the default N0 (1 - r) keeps the constant-retention baseline flat;
    # replace acquisition keeps every Affluent count at N0
    mass = cust[cust.segment == "Mass market"]
    np.testing.assert_allclose(mass.baseline, 200_000, rtol=1e-12)
    aff = cust[cust.segment == "Affluent"]
    np.testing.assert_allclose(aff.baseline, 20_000, rtol=1e-12)
    np.testing.assert_allclose(aff.with_cx, 20_000, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Identities
# --------------------------------------------------------------------------------------------
def _case_scale(case):
    """Magnitude of a case's money flows (P&L lines of both projections, costs)."""
    lines = case.lines[["gross_margin", "service_cost", "acquisition_cost"]].abs().to_numpy()
    return float(lines.sum() + case.cashflow["costs"].abs().sum() + 1.0)


def _check_identities(case):
    k = case.kpis
    tol = 1e-9 * _case_scale(case)
    assert sum(case.by_lever.values()) == pytest.approx(k["pv_benefits"], rel=1e-9, abs=tol)
    assert sum(case.by_initiative.values()) == pytest.approx(k["npv"], rel=1e-9, abs=tol)
    assert k["npv"] == pytest.approx(k["pv_benefits"] - k["pv_costs"], rel=1e-12, abs=tol)
    if k["pv_costs"]:
        assert k["roi"] == pytest.approx(k["npv"] / k["pv_costs"], rel=1e-12)
    else:
        assert k["roi"] is None
    if k["irr"] is not None:
        # The NPV at the IRR is zero to within rounding of its discounted terms: near IRR = -1
        # those terms are far larger than the undiscounted flows (a discount factor of 1e4^t).
        net = case.cashflow["net"].to_numpy()
        terms = np.abs(net) * (1.0 + k["irr"]) ** -np.arange(net.size)
        assert abs(finance.npv(k["irr"], net)) <= tol + 1e-12 * terms.sum()


def test_identities_worked_example(worked_case):
    _check_identities(worked_case)
    k = worked_case.kpis
    assert finance.npv(k["irr"], worked_case.cashflow["net"]) == pytest.approx(0.0, abs=1e-4)
    assert k["roi"] == pytest.approx(k["npv"] / k["pv_costs"], rel=1e-12)
    assert sum(worked_case.by_lever.values()) == pytest.approx(k["pv_benefits"], rel=1e-12)
    assert sum(worked_case.by_initiative.values()) == pytest.approx(k["npv"], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_identities_hypothesis(mapping):
    _check_identities(cxroi.evaluate(mapping))


def test_extra_customers_end_from_customers_table(worked_mapping):
    m = copy.deepcopy(worked_mapping)
    m["segments"][1]["acquisition"] = "fixed"
    case = cxroi.evaluate(m)
    cust = case.customers
    at_h = cust[cust.year == m["horizon_years"]]
    expected = float((at_h.with_cx - at_h.baseline).sum())
    assert case.kpis["extra_customers_end"] == pytest.approx(expected, rel=1e-12)
    by_seg = case.by_segment["extra_customers_end"]
    assert by_seg.sum() == pytest.approx(expected, rel=1e-12)
    assert by_seg["Affluent"] > 0  # fewer churn with CX, same fixed intake


def _simple(**over):
    out = {
        "name": "Simple",
        "horizon_years": 4,
        "discount_rate": 0.08,
        "segments": [
            {
                "name": "All",
                "customers": 10_000,
                "wallet": 1_000,
                "share_of_wallet": 0.4,
                "gross_margin": 0.3,
                "retention": 0.8,
                "acquisition_cost": 200,
                "cost_to_serve": 20,
                "referral_share": 0.1,
            }
        ],
        "initiatives": [
            {
                "name": "Chat",
                "capex": 300_000,
                "opex": 50_000,
                "effects": {
                    "*": {
                        "churn_prevented": 0.3,
                        "share_of_wallet_lift": 0.05,
                        "referral_lift": 0.05,
                        "cost_to_serve_change": -0.1,
                    }
                },
            }
        ],
    }
    out.update(over)
    return out


def test_zero_effect_initiative_gives_no_benefit():
    m = _simple(risk={"benefit_adjustment": 0.2, "cost_adjustment": 0.1})
    m["initiatives"][0]["effects"] = {"*": {}}
    case = cxroi.evaluate(m)
    assert (case.cashflow["benefits"] == 0.0).all()
    assert (case.cashflow["benefits_unadjusted"] == 0.0).all()
    assert case.kpis["pv_benefits"] == 0.0
    assert case.kpis["npv"] == pytest.approx(-case.kpis["pv_costs"], rel=1e-12)
    assert case.kpis["roi"] == pytest.approx(-1.0, rel=1e-12)
    assert case.kpis["irr"] is None  # net has one sign
    assert case.kpis["payback_years"] is None
    assert case.kpis["extra_customers_end"] == 0.0
    assert all(v == 0.0 for v in case.by_lever.values())
    # no initiative, and also no effects mapping at all
    del m["initiatives"][0]["effects"]
    assert (cxroi.evaluate(m).cashflow["benefits"] == 0.0).all()


def test_zero_effect_initiative_beside_another():
    m = _simple()
    m["initiatives"].append({"name": "Nothing", "capex": 100_000})
    case = cxroi.evaluate(m)
    # a null player for benefits: its Shapley share of NPV is minus its own PV of costs
    assert case.by_initiative["Nothing"] == pytest.approx(-100_000, rel=1e-12)


def test_unadjusted_equals_adjusted_without_risk():
    for risk in (None, {}, {"benefit_adjustment": 0, "cost_adjustment": 0}):
        m = _simple() if risk is None else _simple(risk=risk)
        case = cxroi.evaluate(m)
        for key in KPI_KEYS:
            assert case.kpis[key] == case.unadjusted[key], key
        cf = case.cashflow
        np.testing.assert_array_equal(cf["benefits"], cf["benefits_unadjusted"])
        np.testing.assert_array_equal(cf["costs"], cf["costs_unadjusted"])


@pytest.mark.parametrize("badj,cadj", [(0.1, 0.05), (0.35, 0.0), (0.0, 0.5), (0.99, 2.0)])
def test_risk_adjustment_scales_exactly(badj, cadj):
    base = cxroi.evaluate(_simple())
    risky = cxroi.evaluate(_simple(risk={"benefit_adjustment": badj, "cost_adjustment": cadj}))
    cf0, cf1 = base.cashflow, risky.cashflow
    np.testing.assert_allclose(cf1["benefits"], cf0["benefits"] * (1 - badj), rtol=1e-12)
    np.testing.assert_allclose(cf1["costs"], cf0["costs"] * (1 + cadj), rtol=1e-12)
    np.testing.assert_allclose(cf1["net"], cf1["benefits"] - cf1["costs"], rtol=1e-12, atol=1e-6)
    k0, k1 = base.kpis, risky.kpis
    assert k1["pv_benefits"] == pytest.approx(k0["pv_benefits"] * (1 - badj), rel=1e-12)
    assert k1["pv_costs"] == pytest.approx(k0["pv_costs"] * (1 + cadj), rel=1e-12)
    for key in KPI_KEYS:
        assert risky.unadjusted[key] == pytest.approx(k0[key], rel=1e-12), key
    for lever in base.by_lever:
        assert risky.by_lever[lever] == pytest.approx(base.by_lever[lever] * (1 - badj), rel=1e-9)


def test_risk_adjusts_negative_benefits_too():
    # a negative yearly benefit is made worse: Benefit_t x (1 + benefit_adjustment)
    m = _simple(risk={"benefit_adjustment": 0.25})
    m["initiatives"][0]["effects"] = {"*": {"share_of_wallet_lift": -0.2}}
    case = cxroi.evaluate(m)
    b = case.cashflow["benefits"].iloc[1:]
    assert (b < 0).all()
    np.testing.assert_allclose(b, case.cashflow["benefits_unadjusted"].iloc[1:] * 1.25, rtol=1e-12)


def test_one_year_horizon():
    m = _simple(horizon_years=1)
    case, ref = assert_matches_reference(m)
    assert list(case.cashflow.index) == [0, 1]
    assert list(case.tei_table().columns) == ["Initial", "Year 1", "Total", "Present value"]
    # by hand: A = 10,000; m = 1 - 0.66 x 0.81 x 0.3; sow 0.42; ref 0.15; cts 18
    m1 = 1 - 0.66 * 0.81 * 0.3
    benefit = (
        10_000 * 1_000 * (0.42 - 0.4) * 0.3
        - 10_000 * (18 - 20)
        - 10_000 * 0.2 * 200 * (0.85 - 0.9)  # fixed intake N0(1-r), cheaper by the referrals
    )
    assert case.cashflow["benefits"].iloc[1] == pytest.approx(benefit, rel=1e-12)
    assert case.kpis["extra_customers_end"] == pytest.approx(10_000 * 0.2 * (1 - m1), rel=1e-12)
    assert case.kpis["payback_years"] is None  # 300k + 50k never recovered in one year
    assert case.kpis["npv"] == pytest.approx((benefit - 50_000) / 1.08 - 300_000, rel=1e-12)


def test_payback_zero_when_year0_net_nonnegative():
    m = _simple()
    m["initiatives"][0]["capex"] = {1: 300_000}  # nothing spent today
    case = cxroi.evaluate(m)
    assert case.cashflow["net"].iloc[0] == 0.0
    assert case.kpis["payback_years"] == 0.0
    assert case.kpis["discounted_payback_years"] == 0.0


def test_irr_none_when_net_has_one_sign():
    m = _simple()
    m["initiatives"][0]["capex"] = 0
    m["initiatives"][0]["opex"] = 0
    case = cxroi.evaluate(m)
    assert (case.cashflow["net"].iloc[1:] > 0).all()
    assert case.kpis["irr"] is None
    assert case.kpis["roi"] is None  # pv_costs = 0
    assert case.kpis["pv_costs"] == 0.0
    assert case.kpis["payback_years"] == 0.0
    assert case.to_json()["roi"] is None


def test_by_initiative_none_beyond_eight():
    m = _simple()
    m["initiatives"] = [
        {"name": f"I{i}", "opex": 1000, "effects": {"*": {"churn_prevented": 0.01 * i}}}
        for i in range(9)
    ]
    case = cxroi.evaluate(m)
    assert case.by_initiative is None
    assert case.to_json()["by_initiative"] is None
    assert sum(case.by_lever.values()) == pytest.approx(case.kpis["pv_benefits"], rel=1e-9)
    # eight is still exact
    m["initiatives"] = m["initiatives"][:8]
    case = cxroi.evaluate(m)
    assert sum(case.by_initiative.values()) == pytest.approx(case.kpis["npv"], rel=1e-9)


def test_distribution_fields_use_base_values():
    given_ = _simple()
    seg = given_["segments"][0]
    seg["wallet"] = {"dist": "pert", "low": 800, "mode": 1_000, "high": 1_500}
    seg["retention"] = {"dist": "uniform", "low": 0.7, "high": 0.9}
    given_["discount_rate"] = {"dist": "normal", "mean": 0.08, "sd": 0.01}
    given_["initiatives"][0]["effects"]["*"]["churn_prevented"] = {
        "dist": "triangular",
        "low": 0.1,
        "mode": 0.3,
        "high": 0.4,
    }
    a = cxroi.evaluate(given_)
    b = cxroi.evaluate(_simple())
    for key in KPI_KEYS:
        assert a.kpis[key] == pytest.approx(b.kpis[key], rel=1e-12), key


def test_evaluate_accepts_path_mapping_and_scenario(worked_mapping):
    a = cxroi.evaluate(WORKED)
    b = cxroi.evaluate(str(WORKED))
    c = cxroi.evaluate(worked_mapping)
    d = cxroi.evaluate(cxroi.load_scenario(worked_mapping))
    for case in (b, c, d):
        assert case.kpis == a.kpis
    assert a.scenario.source == str(WORKED)
    assert a.currency == "USD"


def test_evaluate_invalid_raises_scenario_error():
    m = _simple()
    m["segments"][0]["retention"] = 1.2
    with pytest.raises(cxroi.ScenarioError, match=r"segments\[All\]\.retention"):
        cxroi.evaluate(m)


# --------------------------------------------------------------------------------------------
# The brute-force reference against the vectorised engine
# --------------------------------------------------------------------------------------------
EVERYTHING = {
    # every feature at once: sBG with tenure, replace, held ramps and opex, capex by year with
    # digit-string keys, '*' overridden field by field, and every cap binding
    "name": "Everything",
    "horizon_years": 6,
    "discount_rate": 0.07,
    "segments": [
        {
            "name": "A",
            "customers": 5_000,
            "wallet": 2_000,
            "share_of_wallet": 0.95,
            "gross_margin": 0.4,
            "retention": {"alpha": 1.3, "beta": 4.2, "tenure": 3},
            "acquisition_cost": 500,
            "cost_to_serve": 60,
            "referral_share": 0.9,
            "acquisition": "replace",
        },
        {
            "name": "B",
            "customers": 40_000,
            "wallet": 300,
            "share_of_wallet": 0.2,
            "gross_margin": 0.6,
            "retention": {"alpha": 0.7, "beta": 1.9},
            "acquisition_cost": 80,
            "cost_to_serve": 10,
            "referral_share": 0.05,
            "poor_cx_churn_share": 0.5,
            "preventable_share": 0.9,
        },
        {
            "name": "C",
            "customers": 1_000,
            "wallet": 10_000,
            "share_of_wallet": 0.5,
            "gross_margin": 0.2,
            "retention": 0.9,
            "acquisition_cost": 3_000,
            "cost_to_serve": 100,
            "new_customers_per_year": 250,
        },
    ],
    "initiatives": [
        {
            "name": "One",
            "capex": {"0": 200_000, 2: 100_000, "6": 50_000},
            "opex": [10_000, 20_000, 5_000],
            "ramp": [0.25, 0.5],
            "effects": {
                "*": {
                    "churn_prevented": 0.4,
                    "share_of_wallet_lift": 0.2,
                    "referral_lift": 0.3,
                    "cost_to_serve_change": -0.5,
                },
                "B": {"churn_prevented": 0.1, "referral_lift": -0.2},
            },
        },
        {
            "name": "Two",
            "capex": 50_000,
            "opex": 30_000,
            "ramp": [1.0, 0.0, 0.6],
            "effects": {
                "A": {"share_of_wallet_lift": 0.5, "cost_to_serve_change": -1.0},
                "B": {"referral_lift": -0.5, "share_of_wallet_lift": -0.3},
                "C": {"churn_prevented": 1.0},
            },
        },
        {
            "name": "Three",
            "opex": [0.0, 40_000],
            "effects": {"*": {"cost_to_serve_change": 0.5, "churn_prevented": 0.05}},
        },
    ],
    "risk": {"benefit_adjustment": 0.15, "cost_adjustment": 0.1},
}


def test_reference_everything():
    case, ref = assert_matches_reference(EVERYTHING)
    # the caps really bind in this case
    lines = case.lines
    a = lines[(lines.segment == "A") & (lines.projection == "with_cx")]
    assert (a.revenue.iloc[1:] == a.active_start.iloc[1:] * 2_000 * 1.0).all()  # sow capped at 1
    assert a.acquisition_cost.iloc[1] == 0.0  # referral clipped at 1: every new customer free
    b = lines[(lines.segment == "B") & (lines.projection == "with_cx")]
    assert (b.acquisition_cost == b.new_customers * 80).all()  # referral clipped at 0
    # cost to serve of A at full effect: 60 x (1 - 0.5) x (1 - 1.0) = 0
    assert a.service_cost.iloc[0] == pytest.approx(a.active_start.iloc[0] * 60 * 0.875 * 0.0)
    assert case.cashflow["costs_unadjusted"].iloc[6] == pytest.approx(
        50_000 + 5_000 + 30_000 + 40_000
    )


def test_reference_everything_one_by_one():
    # each initiative alone and the baseline-only edge: still the reference
    for ini in EVERYTHING["initiatives"]:
        m = copy.deepcopy(EVERYTHING)
        m["initiatives"] = [copy.deepcopy(ini)]
        assert_matches_reference(m)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_reference_hypothesis(mapping):
    assert_matches_reference(mapping)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
def _nonnegative_margins(mapping):
    """Lower each segment's cost to serve so that a customer's yearly margin stays >= 0.

    Keeping a customer is worth something only when wallet x sow_t x gross_margin - cts_t >= 0;
    with a loss-making customer, preventing churn rightly lowers the benefit. The bound uses
    the lowest share of wallet and the highest cost to serve any ramp can give.
    """
    for seg in mapping["segments"]:
        sow, cts = seg["share_of_wallet"], 1.0
        for ini in mapping["initiatives"]:
            sow *= 1.0 + min(0.0, ref_effect(ini, seg["name"], "share_of_wallet_lift"))
            cts *= 1.0 + max(0.0, ref_effect(ini, seg["name"], "cost_to_serve_change"))
        ceiling = seg["wallet"] * sow * seg["gross_margin"] / cts
        seg["cost_to_serve"] = min(seg.get("cost_to_serve", 0.0), 0.5 * ceiling)
    return mapping


@settings(max_examples=30, deadline=None)
@given(scenarios(max_initiatives=2), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_more_churn_prevented_never_lowers_benefits(mapping, c1, c2):
    low, high = sorted((c1, c2))
    benefits = []
    for value in (low, high):
        m = _nonnegative_margins(copy.deepcopy(mapping))
        effects = m["initiatives"][0].setdefault("effects", {})
        for target in ["*", *effects]:
            effects.setdefault(target, {})["churn_prevented"] = value
        case = cxroi.evaluate(m)
        benefits.append(case.cashflow["benefits_unadjusted"].to_numpy())
    tol = 1e-9 * _case_scale(case)  # rounding of contributions, not of their difference
    assert np.all(benefits[1] >= benefits[0] - tol)


@settings(max_examples=30, deadline=None)
@given(scenarios())
def test_customers_never_negative(mapping):
    case = cxroi.evaluate(mapping)
    assert (case.customers[["baseline", "with_cx"]].to_numpy() >= 0).all()
    assert (case.lines[["active_start", "new_customers"]].to_numpy() >= 0).all()


def test_more_retention_effect_more_customers(worked_mapping):
    m = copy.deepcopy(worked_mapping)
    m["segments"][1]["acquisition"] = "fixed"
    counts = []
    for c in (0.0, 0.2, 0.6, 1.0):
        m["initiatives"][1]["effects"]["Affluent"]["churn_prevented"] = c
        counts.append(cxroi.evaluate(m).kpis["extra_customers_end"])
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]


def test_case_kpis_batch_shape(worked_mapping):
    from cxroi.engine import project as engine
    from cxroi.engine.case import case_kpis

    sc = cxroi.load_scenario(worked_mapping)
    p = engine.compile_scenario(sc, {"discount_rate": np.array([[0.05, 0.10], [0.2, 0.3]])})
    out = case_kpis(p)
    assert out["adjusted"]["npv"].shape == (2, 2)
    assert out["adjusted"]["benefits"].shape == (2, 2, 6)
    assert out["adjusted"]["npv"][0, 1] == pytest.approx(2_469_087.084936945, rel=1e-12)
    assert out["adjusted"]["irr"][0, 1] == pytest.approx(0.24375199577282775, rel=1e-9)
    # the IRR does not depend on the discount rate
    np.testing.assert_allclose(out["adjusted"]["irr"], 0.24375199577282775, rtol=1e-9)
    assert pd.Series(out["adjusted"]["npv"].ravel()).is_monotonic_decreasing


def test_risk_adjustment_never_flatters_a_case_with_negative_benefits():
    from tests.engine.test_project import one_segment

    mapping = one_segment(
        effects={
            "churn_prevented": 0.0,
            "share_of_wallet_lift": 0.0,
            "referral_lift": 0.0,
            "cost_to_serve_change": 0.5,
        },
    )
    mapping["risk"] = {"benefit_adjustment": 0.2, "cost_adjustment": 0.0}
    case = cxroi.evaluate(cxroi.load_scenario(mapping))
    raw, adj = case.unadjusted, case.kpis
    assert raw["pv_benefits"] < 0
    # every yearly benefit is negative, so the adjustment scales it by 1 + b
    assert adj["pv_benefits"] == pytest.approx(1.2 * raw["pv_benefits"], rel=1e-12)
    assert adj["npv"] <= raw["npv"]
    assert sum(case.by_lever.values()) == pytest.approx(adj["pv_benefits"], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.floats(0.0, 0.95), st.floats(0.0, 3.0))
def test_risk_adjusted_npv_never_above_unadjusted(mapping, b, c):
    mapping = copy.deepcopy(mapping)
    mapping["risk"] = {"benefit_adjustment": b, "cost_adjustment": c}
    case = cxroi.evaluate(mapping)
    raw, adj = case.unadjusted["npv"], case.kpis["npv"]
    assert adj <= raw + 1e-9 * max(1.0, abs(raw))
    assert sum(case.by_lever.values()) == pytest.approx(
        case.kpis["pv_benefits"], rel=1e-9, abs=1e-6
    )


def _winner_and_loser(b):
    from tests.engine.test_project import one_segment

    mapping = one_segment(effects={"churn_prevented": 0.3})
    loser = dict(mapping["segments"][0], name="Loser")
    mapping["segments"] = [dict(mapping["segments"][0], name="Winner"), loser]
    mapping["initiatives"][0]["effects"] = {
        "Winner": {"churn_prevented": 0.3},
        "Loser": {"cost_to_serve_change": 0.5},  # serving costs more: a yearly loss
    }
    mapping["risk"] = {"benefit_adjustment": b, "cost_adjustment": 0.0}
    return cxroi.evaluate(mapping).by_segment["pv_benefits"]


def test_losing_segment_is_never_flattered_by_the_risk_adjustment():
    raw, adj = _winner_and_loser(0.0), _winner_and_loser(0.25)
    assert raw["Loser"] < 0 < raw["Winner"]
    # s.12: a loss grows by b (it used to shrink by b, flattering the losing segment)
    assert adj["Loser"] == pytest.approx(1.25 * raw["Loser"], rel=1e-12)
    assert adj["Winner"] == pytest.approx(0.75 * raw["Winner"], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(scenarios(), st.floats(0.0, 0.95))
def test_segment_pv_never_above_its_unadjusted_value(mapping, b):
    mapping = copy.deepcopy(mapping)
    mapping["risk"] = {"benefit_adjustment": 0.0, "cost_adjustment": 0.0}
    raw = cxroi.evaluate(mapping).by_segment["pv_benefits"]
    mapping["risk"]["benefit_adjustment"] = b
    adj = cxroi.evaluate(mapping).by_segment["pv_benefits"]
    assert (adj <= raw + 1e-9 * np.maximum(1.0, raw.abs())).all()


# -- a baseline shared by every case of a batch is projected once ----------------------------
@settings(max_examples=25, deadline=None)
@given(scenarios(), st.integers(0, 2**32 - 1), st.booleans())
def test_case_kpis_with_a_shared_baseline_equal_the_full_projection_to_the_last_bit(
    mapping, seed, segment_drawn
):
    """Effects, churn shares, rates and costs drawn: the baseline is projected once.

    With a segment's wallet drawn as well the baseline differs by case and is projected with
    every case, as before. Either way every KPI and every projected array is bitwise the one
    of the lever rows projected together on one batch axis.
    """
    from cxroi.engine import project as engine
    from cxroi.engine.case import _baseline_params, _kpis, case_kpis, lever_rows
    from cxroi.model.scenario import field_rule

    sc = cxroi.load_scenario(mapping)
    rng = np.random.default_rng(seed)
    drawn = [
        p
        for p in sc.fields()
        if ".effects[" in p
        or p.endswith((".opex", "poor_cx_churn_share", "discount_rate"))
        or (segment_drawn and p.endswith(".wallet"))
    ]
    overrides = {}
    for path in drawn:
        lo, hi = field_rule(path).clip_bounds()
        overrides[path] = np.clip(sc.field_base(path) * rng.uniform(0.0, 2.0, 7), lo, hi)
    p = engine.compile_scenario(sc, overrides)
    assert (_baseline_params(p) is not None) == (not segment_drawn)
    got = case_kpis(p)
    I = p.ramp.shape[0]
    levers = lever_rows(p)
    with np.errstate(all="ignore"):
        proj = engine.project(p, levers.reshape(len(levers), 1, 4), np.ones((1, I)))
        want = _kpis(p, proj, True, True)
    lean = case_kpis(p, with_projection=False)  # as Monte Carlo asks: no projection back
    assert lean["projection"] is None
    for key in KPI_KEYS + ("benefits", "costs", "net"):
        for arm in ("adjusted", "unadjusted"):
            assert np.array_equal(got[arm][key], want[arm][key], equal_nan=True), (arm, key)
            assert np.array_equal(lean[arm][key], want[arm][key], equal_nan=True), (arm, key)
    for name in ("contribution", "customers", "end_base", "end_cohorts", "new_customers"):
        a, b = getattr(got["projection"], name), getattr(proj, name)
        assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), name
