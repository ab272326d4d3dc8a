"""Tests for cxroi.model.scenario: validation with field paths, YAML safety, provenance, paths."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from strategies import scenarios

import cxroi
from cxroi.engine.case import KPI_KEYS
from cxroi.model import benchmarks
from cxroi.model.scenario import FIELD_RULES, Distribution, Provenance, ScenarioIssue

WORKED = Path(__file__).parents[1] / "data" / "worked_example.yaml"
MASS, AFF = "segments[Mass market]", "segments[Affluent]"
REDESIGN, OUTREACH = (
    "initiatives[Omnichannel service redesign]",
    ("initiatives[Proactive outreach for affluent]"),
)


@pytest.fixture(scope="module")
def base():
    return yaml.safe_load(WORKED.read_text())


# --------------------------------------------------------------------------------------------
# Mutations of the worked example
# --------------------------------------------------------------------------------------------
def top(key, value):
    def f(m):
        m[key] = value

    return f


def seg(i, key, value):
    def f(m):
        m["segments"][i][key] = value

    return f


def sbg(key, value):
    def f(m):
        m["segments"][1]["retention"][key] = value

    return f


def ini(i, key, value):
    def f(m):
        m["initiatives"][i][key] = value

    return f


def eff(key, value, i=0, target="*"):
    def f(m):
        m["initiatives"][i]["effects"][target][key] = value

    return f


def risk(key, value):
    def f(m):
        m["risk"][key] = value

    return f


def drop(*keys):
    def f(m):
        node = m
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]

    return f


def apply(base, mutate):
    m = copy.deepcopy(base)
    mutate(m)
    return m


RANGE = "must be in [0, 1]"
NONNEG = "must be >= 0"
NUMBER = "must be a number"

# (id, mutation, field path in the message, rule text in the message)
BAD = [
    # ranges, both ends; open bounds at the bound itself
    ("customers-0", seg(0, "customers", 0), f"{MASS}.customers", "must be > 0"),
    ("customers-neg", seg(0, "customers", -5), f"{MASS}.customers", "must be > 0"),
    ("wallet-neg", seg(0, "wallet", -1), f"{MASS}.wallet", NONNEG),
    ("sow-0", seg(0, "share_of_wallet", 0), f"{MASS}.share_of_wallet", "must be in (0, 1]"),
    ("sow-above", seg(0, "share_of_wallet", 1.01), f"{MASS}.share_of_wallet", "(0, 1]"),
    ("gm-neg", seg(0, "gross_margin", -0.1), f"{MASS}.gross_margin", RANGE),
    ("gm-above", seg(0, "gross_margin", 1.1), f"{MASS}.gross_margin", RANGE),
    ("retention-neg", seg(0, "retention", -0.01), f"{MASS}.retention", RANGE),
    ("retention-above", seg(0, "retention", 1.5), f"{MASS}.retention", RANGE),
    ("alpha-0", sbg("alpha", 0), f"{AFF}.retention.alpha", "must be > 0"),
    ("beta-neg", sbg("beta", -1), f"{AFF}.retention.beta", "must be > 0"),
    ("tenure-neg", sbg("tenure", -1), f"{AFF}.retention.tenure", NONNEG),
    ("cac-neg", seg(0, "acquisition_cost", -1), f"{MASS}.acquisition_cost", NONNEG),
    ("cts-neg", seg(0, "cost_to_serve", -0.5), f"{MASS}.cost_to_serve", NONNEG),
    ("poor-above", seg(0, "poor_cx_churn_share", 1.1), f"{MASS}.poor_cx_churn_share", RANGE),
    ("poor-neg", seg(0, "poor_cx_churn_share", -0.1), f"{MASS}.poor_cx_churn_share", RANGE),
    ("prev-neg", seg(0, "preventable_share", -0.1), f"{MASS}.preventable_share", RANGE),
    ("prev-above", seg(0, "preventable_share", 2), f"{MASS}.preventable_share", RANGE),
    ("ref-above", seg(0, "referral_share", 1.1), f"{MASS}.referral_share", RANGE),
    ("ref-neg", seg(0, "referral_share", -0.1), f"{MASS}.referral_share", RANGE),
    ("npy-neg", seg(0, "new_customers_per_year", -1), f"{MASS}.new_customers_per_year", NONNEG),
    ("acquisition", seg(0, "acquisition", "grow"), f"{MASS}.acquisition", "'fixed' or 'replace'"),
    ("cp-above", eff("churn_prevented", 1.1), f"{REDESIGN}.effects[*].churn_prevented", RANGE),
    ("cp-neg", eff("churn_prevented", -0.1), f"{REDESIGN}.effects[*].churn_prevented", RANGE),
    (
        "sowl-below",
        eff("share_of_wallet_lift", -1.1),
        f"{REDESIGN}.effects[*].share_of_wallet_lift",
        "must be >= -1",
    ),
    (
        "rl-above",
        eff("referral_lift", 1.1),
        f"{REDESIGN}.effects[*].referral_lift",
        "must be in [-1, 1]",
    ),
    (
        "rl-below",
        eff("referral_lift", -1.1),
        f"{REDESIGN}.effects[*].referral_lift",
        "must be in [-1, 1]",
    ),
    (
        "ctsc-below",
        eff("cost_to_serve_change", -1.5),
        f"{REDESIGN}.effects[*].cost_to_serve_change",
        "must be >= -1",
    ),
    (
        "seg-effect-above",
        eff("churn_prevented", 3, i=1, target="Affluent"),
        f"{OUTREACH}.effects[Affluent].churn_prevented",
        RANGE,
    ),
    ("badj-1", risk("benefit_adjustment", 1), "risk.benefit_adjustment", "must be in [0, 1)"),
    ("badj-neg", risk("benefit_adjustment", -0.1), "risk.benefit_adjustment", "[0, 1)"),
    ("cadj-neg", risk("cost_adjustment", -0.05), "risk.cost_adjustment", NONNEG),
    ("discount--1", top("discount_rate", -1), "discount_rate", "must be > -1"),
    ("discount--2", top("discount_rate", -2), "discount_rate", "must be > -1"),
    ("wallet-nan", seg(0, "wallet", float("nan")), f"{MASS}.wallet", "finite"),
    ("wallet-inf", seg(0, "wallet", float("inf")), f"{MASS}.wallet", "finite"),
    # wrong types
    ("wallet-str", seg(0, "wallet", "1500"), f"{MASS}.wallet", NUMBER),
    ("wallet-bool", seg(0, "wallet", True), f"{MASS}.wallet", NUMBER),
    ("wallet-list", seg(0, "wallet", [1500]), f"{MASS}.wallet", NUMBER),
    ("retention-str", seg(0, "retention", "high"), f"{MASS}.retention", NUMBER),
    ("retention-bool", seg(0, "retention", False), f"{MASS}.retention", NUMBER),
    ("retention-list", seg(0, "retention", [0.8]), f"{MASS}.retention", NUMBER),
    ("alpha-str", sbg("alpha", "0.6"), f"{AFF}.retention.alpha", NUMBER),
    ("discount-str", top("discount_rate", "10%"), "discount_rate", NUMBER),
    ("discount-bool", top("discount_rate", True), "discount_rate", NUMBER),
    ("badj-list", risk("benefit_adjustment", [0.1]), "risk.benefit_adjustment", NUMBER),
    ("cp-str", eff("churn_prevented", "0.25"), f"{REDESIGN}.effects[*].churn_prevented", NUMBER),
    ("cp-bool", eff("churn_prevented", True), f"{REDESIGN}.effects[*].churn_prevented", NUMBER),
    ("capex-str", ini(0, "capex", "4M"), f"{REDESIGN}.capex", NUMBER),
    ("capex-bool", ini(0, "capex", True), f"{REDESIGN}.capex", NUMBER),
    ("opex-str", ini(0, "opex", "lots"), f"{REDESIGN}.opex", NUMBER),
    ("name-int", top("name", 3), "name", "must be a non-empty string"),
    ("currency-empty", top("currency", ""), "currency", "must be a non-empty string"),
    ("seg-name-int", seg(0, "name", 5), "segments[0].name", "must be a string"),
    ("segments-mapping", top("segments", {"a": 1}), "segments", "must be a list"),
    (
        "segment-str",
        lambda m: m["segments"].__setitem__(0, "Mass"),
        "segments[0]",
        "must be a mapping",
    ),
    ("effects-list", ini(0, "effects", [1]), f"{REDESIGN}.effects", "must be a mapping"),
    (
        "effect-number",
        ini(0, "effects", {"*": 0.25}),
        f"{REDESIGN}.effects[*]",
        "must be a mapping",
    ),
    ("risk-number", top("risk", 0.1), "risk", "must be a mapping"),
    # typos, at every level, with a suggestion
    ("typo-top", top("horizon_year", 5), "horizon_year", "did you mean 'horizon_years'"),
    ("typo-top-2", top("discount", 0.1), "discount", "did you mean 'discount_rate'"),
    ("typo-segment", seg(0, "wallett", 1), f"{MASS}.wallett", "did you mean 'wallet'"),
    ("typo-retention", sbg("alpah", 1), f"{AFF}.retention.alpah", "did you mean 'alpha'"),
    ("typo-initiative", ini(0, "capx", 1), f"{REDESIGN}.capx", "did you mean 'capex'"),
    (
        "typo-effect",
        eff("churn_prevent", 0.1),
        f"{REDESIGN}.effects[*].churn_prevent",
        "did you mean 'churn_prevented'",
    ),
    (
        "typo-risk",
        risk("benefit_adjustmnt", 0.1),
        "risk.benefit_adjustmnt",
        "did you mean 'benefit_adjustment'",
    ),
    ("unknown-key", top("colour", "red"), "colour", "unknown key"),
    # cross-field rules
    (
        "effects-unknown-segment",
        ini(1, "effects", {"Afluent": {"churn_prevented": 0.3}}),
        f"{OUTREACH}.effects[Afluent]",
        "names no segment",
    ),
    (
        "dup-segment",
        lambda m: m["segments"].append(copy.deepcopy(m["segments"][0])),
        f"{MASS}.name",
        "names must be unique",
    ),
    (
        "dup-initiative",
        lambda m: m["initiatives"].append(copy.deepcopy(m["initiatives"][1])),
        f"{OUTREACH}.name",
        "names must be unique",
    ),
    ("name-dot", seg(0, "name", "Mass.market"), "segments[Mass.market].name", "must not contain"),
    ("name-open", seg(0, "name", "Mass[market"), "segments[Mass[market].name", "must not contain"),
    ("name-close", seg(1, "name", "Aff]"), "segments[Aff]].name", "must not contain"),
    ("initiative-name-dot", ini(0, "name", "v2.0"), "initiatives[v2.0].name", "must not contain"),
    ("name-star", seg(0, "name", "*"), "segments[*].name", "reserved"),
    ("name-empty", seg(0, "name", "  "), "segments[0].name", "non-empty"),
    # horizon
    ("horizon-0", top("horizon_years", 0), "horizon_years", "must be in [1, 50]"),
    ("horizon-51", top("horizon_years", 51), "horizon_years", "must be in [1, 50]"),
    ("horizon-2.5", top("horizon_years", 2.5), "horizon_years", "whole number of years"),
    ("horizon-str", top("horizon_years", "5"), "horizon_years", "whole number of years"),
    ("horizon-bool", top("horizon_years", True), "horizon_years", "whole number of years"),
    (
        "horizon-dist",
        top("horizon_years", {"dist": "uniform", "low": 3, "high": 5}),
        "horizon_years",
        "whole number of years",
    ),
    # capex, opex, ramp
    (
        "capex-year-beyond",
        ini(1, "capex", {0: 1, 6: 2}),
        f"{OUTREACH}.capex[6]",
        "year must be in 0..horizon_years (5)",
    ),
    (
        "capex-year-beyond-str",
        ini(1, "capex", {"9": 2}),
        f"{OUTREACH}.capex[9]",
        "0..horizon_years",
    ),
    ("capex-year-neg", ini(1, "capex", {-1: 1}), f"{OUTREACH}.capex", "year key -1"),
    ("capex-year-word", ini(1, "capex", {"one": 1}), f"{OUTREACH}.capex", "year key 'one'"),
    ("capex-year-float", ini(1, "capex", {1.5: 1}), f"{OUTREACH}.capex", "year key 1.5"),
    ("capex-year-twice", ini(1, "capex", {1: 1, "1": 2}), f"{OUTREACH}.capex", "given twice"),
    ("capex-neg", ini(0, "capex", -1), f"{REDESIGN}.capex", NONNEG),
    (
        "capex-year-neg-amount",
        ini(1, "capex", {0: -5}),
        f"{OUTREACH}.capex",
        "amount for year 0 must be >= 0",
    ),
    (
        "capex-year-dist",
        ini(1, "capex", {0: {"dist": "uniform", "low": 1, "high": 2}}),
        f"{OUTREACH}.capex",
        "amount for year 0 must be a number",
    ),
    ("opex-neg", ini(0, "opex", -1), f"{REDESIGN}.opex", NONNEG),
    ("opex-list-neg", ini(1, "opex", [1, -1]), f"{OUTREACH}.opex", "item 1 must be >= 0"),
    ("opex-list-empty", ini(1, "opex", []), f"{OUTREACH}.opex", "non-empty list"),
    ("opex-list-str", ini(1, "opex", [1, "x"]), f"{OUTREACH}.opex", "item 1 must be a number"),
    ("ramp-above", ini(0, "ramp", [0.5, 1.1]), f"{REDESIGN}.ramp", "item 1 must be in [0, 1]"),
    ("ramp-neg", ini(0, "ramp", [-0.1]), f"{REDESIGN}.ramp", "item 0 must be in [0, 1]"),
    ("ramp-empty", ini(0, "ramp", []), f"{REDESIGN}.ramp", "non-empty list"),
    ("ramp-str", ini(0, "ramp", "fast"), f"{REDESIGN}.ramp", "non-empty list"),
    (
        "ramp-dist",
        ini(0, "ramp", [{"dist": "uniform", "low": 0, "high": 1}]),
        f"{REDESIGN}.ramp",
        "item 0 must be a number",
    ),
    # empty lists and missing fields
    ("segments-empty", top("segments", []), "segments", "at least one item"),
    ("initiatives-empty", top("initiatives", []), "initiatives", "at least one item"),
    ("segments-missing", drop("segments"), "segments", "is required"),
    ("initiatives-missing", drop("initiatives"), "initiatives", "is required"),
    ("name-missing", drop("name"), "name", "is required"),
    ("customers-missing", drop("segments", 0, "customers"), f"{MASS}.customers", "is required"),
    ("wallet-missing", drop("segments", 1, "wallet"), f"{AFF}.wallet", "is required"),
    (
        "sow-missing",
        drop("segments", 0, "share_of_wallet"),
        f"{MASS}.share_of_wallet",
        "is required",
    ),
    ("gm-missing", drop("segments", 0, "gross_margin"), f"{MASS}.gross_margin", "is required"),
    ("retention-missing", drop("segments", 0, "retention"), f"{MASS}.retention", "is required"),
    (
        "cac-missing",
        drop("segments", 0, "acquisition_cost"),
        f"{MASS}.acquisition_cost",
        "is required",
    ),
    (
        "beta-missing",
        drop("segments", 1, "retention", "beta"),
        f"{AFF}.retention.beta",
        "is required",
    ),
    ("segment-name-missing", drop("segments", 0, "name"), "segments[0].name", "is required"),
    (
        "initiative-name-missing",
        drop("initiatives", 0, "name"),
        "initiatives[0].name",
        "is required",
    ),
    # distributions
    (
        "dist-low-above-mode",
        seg(0, "wallet", {"dist": "pert", "low": 2000, "mode": 1500, "high": 3000}),
        f"{MASS}.wallet",
        "low <= mode <= high",
    ),
    (
        "dist-mode-above-high",
        seg(0, "wallet", {"dist": "triangular", "low": 1000, "mode": 3500, "high": 3000}),
        f"{MASS}.wallet",
        "low <= mode <= high",
    ),
    (
        "dist-uniform-reversed",
        seg(0, "wallet", {"dist": "uniform", "low": 2, "high": 1}),
        f"{MASS}.wallet",
        "low <= high",
    ),
    (
        "dist-unknown",
        seg(0, "wallet", {"dist": "lognormal", "low": 1, "high": 3}),
        f"{MASS}.wallet",
        "must be one of triangular, pert, uniform, normal",
    ),
    (
        "dist-sd-0",
        seg(0, "wallet", {"dist": "normal", "mean": 1500, "sd": 0}),
        f"{MASS}.wallet",
        "sd > 0",
    ),
    (
        "dist-sd-neg",
        seg(0, "wallet", {"dist": "normal", "mean": 1500, "sd": -1}),
        f"{MASS}.wallet",
        "sd > 0",
    ),
    (
        "dist-outside-high",
        seg(0, "share_of_wallet", {"dist": "uniform", "low": 0.1, "high": 1.2}),
        f"{MASS}.share_of_wallet",
        "distribution high must be in (0, 1]",
    ),
    (
        "dist-outside-open-low",
        seg(0, "share_of_wallet", {"dist": "pert", "low": 0, "mode": 0.3, "high": 0.5}),
        f"{MASS}.share_of_wallet",
        "distribution low must be in (0, 1]",
    ),
    (
        "dist-normal-mean-outside",
        eff("churn_prevented", {"dist": "normal", "mean": 1.5, "sd": 0.1}),
        f"{REDESIGN}.effects[*].churn_prevented",
        "distribution mean must be in [0, 1]",
    ),
    (
        "dist-alpha-outside",
        sbg("alpha", {"dist": "uniform", "low": 0, "high": 1}),
        f"{AFF}.retention.alpha",
        "distribution low must be > 0",
    ),
    (
        "dist-missing-key",
        seg(0, "wallet", {"dist": "triangular", "low": 1, "high": 3}),
        f"{MASS}.wallet",
        "'mode' missing",
    ),
    (
        "dist-missing-sd",
        seg(0, "wallet", {"dist": "normal", "mean": 3}),
        f"{MASS}.wallet",
        "'sd' missing",
    ),
    (
        "dist-extra-key",
        seg(0, "wallet", {"dist": "uniform", "low": 1, "high": 3, "mode": 2}),
        f"{MASS}.wallet",
        "unknown key 'mode' in a uniform distribution",
    ),
    (
        "dist-typo-key",
        seg(0, "wallet", {"dist": "pert", "low": 1, "mode": 2, "hihg": 3}),
        f"{MASS}.wallet",
        "did you mean 'high'",
    ),
    (
        "dist-str-value",
        seg(0, "wallet", {"dist": "uniform", "low": "1", "high": 3}),
        f"{MASS}.wallet",
        "'low' must be a number",
    ),
]


@pytest.mark.parametrize("mutate,path,rule", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_input_names_the_field(base, mutate, path, rule):
    m = apply(base, mutate)
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(m)
    err = info.value
    message = str(err)
    assert path + ":" in message, message
    assert rule in message, message
    assert path in err.paths
    issue = err.errors[err.paths.index(path)]
    assert isinstance(issue, ScenarioIssue)
    assert rule in issue.rule or rule in str(issue)
    assert isinstance(err, ValueError)


def test_message_shows_the_value(base):
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(apply(base, seg(1, "share_of_wallet", 1.25)))
    assert str(info.value) == (
        "invalid scenario: segments[Affluent].share_of_wallet: must be in (0, 1] (got 1.25)"
    )
    issue = info.value.errors[0]
    assert (issue.path, issue.rule, issue.value) == (
        "segments[Affluent].share_of_wallet",
        "must be in (0, 1]",
        1.25,
    )


def test_every_problem_is_listed(base):
    m = apply(base, seg(0, "wallet", -1))
    m["segments"][1]["gross_margin"] = 2
    m["horizon_years"] = 0
    m["risk"]["cost_adjustment"] = -1
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(m)
    assert set(info.value.paths) == {
        f"{MASS}.wallet",
        f"{AFF}.gross_margin",
        "horizon_years",
        "risk.cost_adjustment",
    }
    assert "4 problems" in str(info.value)


def test_rules_table_matches_model():
    # docs/model.md §2: open vs closed bounds
    r = FIELD_RULES
    assert not r["share_of_wallet"].holds(0.0) and r["share_of_wallet"].holds(1.0)
    assert r["benefit_adjustment"].holds(0.0) and not r["benefit_adjustment"].holds(1.0)
    assert not r["discount_rate"].holds(-1.0) and r["discount_rate"].holds(-0.999)
    assert not r["customers"].holds(0.0)
    assert r["referral_lift"].holds(-1.0) and r["referral_lift"].holds(1.0)
    assert r["cost_to_serve_change"].holds(-1.0) and r["cost_to_serve_change"].holds(5.0)
    assert r["share_of_wallet_lift"].holds(-1.0) and not r["share_of_wallet_lift"].holds(-1.01)
    assert r["share_of_wallet"].clip_bounds() == (1e-9, 1.0)
    assert r["benefit_adjustment"].clip_bounds() == (0.0, 1.0 - 1e-9)


# --------------------------------------------------------------------------------------------
# Valid edge values
# --------------------------------------------------------------------------------------------
GOOD = [
    ("sow-1", seg(0, "share_of_wallet", 1.0)),
    ("wallet-0", seg(0, "wallet", 0)),
    ("gm-0", seg(0, "gross_margin", 0)),
    ("gm-1", seg(0, "gross_margin", 1)),
    ("retention-0", seg(0, "retention", 0)),
    ("retention-1", seg(0, "retention", 1)),
    ("tenure-0.5", sbg("tenure", 0.5)),
    ("discount--0.99", top("discount_rate", -0.99)),
    ("discount-0", top("discount_rate", 0)),
    ("badj-0.999", risk("benefit_adjustment", 0.999)),
    ("cadj-big", risk("cost_adjustment", 3)),
    ("horizon-1", top("horizon_years", 1)),
    ("horizon-50", top("horizon_years", 50)),
    ("horizon-5.0", top("horizon_years", 5.0)),
    ("capex-digit-keys", ini(1, "capex", {"0": 500000, "1": 250000})),
    ("capex-year-H", ini(1, "capex", {5: 1})),
    ("capex-int-as-year0", ini(1, "capex", 750000)),
    ("opex-number-as-list", ini(1, "opex", 7)),
    ("ramp-number", ini(0, "ramp", 0.5)),
    ("rl--1", eff("referral_lift", -1)),
    ("rl-1", eff("referral_lift", 1)),
    ("ctsc--1", eff("cost_to_serve_change", -1)),
    ("sowl--1", eff("share_of_wallet_lift", -1)),
    ("sowl-big", eff("share_of_wallet_lift", 3)),
    ("effects-empty", ini(1, "effects", {})),
    ("npy-0", seg(0, "new_customers_per_year", 0)),
    ("name-spaces", seg(0, "name", "Mass market (UK) - retail")),
    ("no-risk", drop("risk")),
    ("no-currency", drop("currency")),
    (
        "dist-sow-1",
        seg(0, "share_of_wallet", {"dist": "pert", "low": 0.2, "mode": 0.3, "high": 1.0}),
    ),
    ("dist-discount", top("discount_rate", {"dist": "normal", "mean": 0.1, "sd": 0.02})),
    ("dist-retention", seg(0, "retention", {"dist": "uniform", "low": 0.7, "high": 0.9})),
    ("dist-point", seg(0, "wallet", {"dist": "triangular", "low": 5, "mode": 5, "high": 5})),
]


@pytest.mark.parametrize("mutate", [g[1] for g in GOOD], ids=[g[0] for g in GOOD])
def test_valid_edge_values_load_and_evaluate(base, mutate):
    m = apply(base, mutate)
    sc = cxroi.load_scenario(m)
    case = cxroi.evaluate(sc)
    assert case.kpis["pv_costs"] > 0
    assert len(case.cashflow) == sc.horizon_years + 1


def test_capex_digit_string_keys_equal_integer_keys(base):
    a = cxroi.evaluate(base)
    b = cxroi.evaluate(apply(base, ini(1, "capex", {"0": 500000, "1": 250000})))
    assert a.kpis == b.kpis
    sc = cxroi.load_scenario(apply(base, ini(1, "capex", {"0": 500000, " 1 ": 250000})))
    assert sc.initiatives[1].capex == {0: 500000.0, 1: 250000.0}


def test_defaults(base):
    m = apply(base, drop("currency"))
    del m["horizon_years"], m["discount_rate"], m["risk"]
    m["initiatives"][1]["capex"] = {0: 1}  # inside the default 3-year horizon
    sc = cxroi.load_scenario(m)
    assert (sc.currency, sc.horizon_years, sc.discount_rate) == ("USD", 3, 0.10)
    assert (sc.risk.benefit_adjustment, sc.risk.cost_adjustment) == (0.0, 0.0)
    aff = sc.segments[1]
    assert aff.poor_cx_churn_share == benchmarks.POOR_CX_CHURN_SHARE.value == 0.66
    assert aff.preventable_share == benchmarks.PREVENTABLE_SHARE.value == 0.81
    assert (aff.referral_share, aff.new_customers_per_year) == (0.0, None)
    assert sc.segments[0].acquisition == "fixed"
    assert sc.initiatives[1].ramp == [1.0]
    assert sc.segments[1].retention.tenure == 4
    m["segments"][1]["retention"] = {"alpha": 1, "beta": 2}
    assert cxroi.load_scenario(m).segments[1].retention.tenure == 0.0
    ini_only = cxroi.load_scenario(
        apply(m, lambda x: x.__setitem__("initiatives", [{"name": "Bare"}]))
    )
    bare = ini_only.initiatives[0]
    assert (bare.capex, bare.opex, bare.ramp, bare.effects) == (0.0, 0.0, [1.0], {})


# --------------------------------------------------------------------------------------------
# Files and YAML
# --------------------------------------------------------------------------------------------
def write(tmp_path, text, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_file(tmp_path):
    sc = cxroi.load_scenario(WORKED)
    assert sc.name == "Retail bank - service redesign"
    assert sc.source == str(WORKED)
    assert sc.segment_names == ["Mass market", "Affluent"]
    assert sc.initiative_names == [
        "Omnichannel service redesign",
        "Proactive outreach for affluent",
    ]
    assert cxroi.load_scenario(sc) is sc


def test_empty_file(tmp_path):
    for text in ("", "\n\n", "# just a comment\n"):
        path = write(tmp_path, text)
        with pytest.raises(cxroi.ScenarioError, match="the scenario is empty") as info:
            cxroi.load_scenario(path)
        assert str(path) in str(info.value)


def test_malformed_yaml_gives_the_line(tmp_path):
    text = WORKED.read_text().replace("horizon_years: 5", "horizon_years: [5")
    path = write(tmp_path, text)
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(path)
    message = str(info.value)
    assert "YAML syntax error at line" in message
    assert str(path) in message
    bad = write(tmp_path, "name: x\nsegments: [\n  {name: a\ninitiatives: []\n", "bad.yaml")
    with pytest.raises(cxroi.ScenarioError, match=r"YAML syntax error at line 4, column 12"):
        cxroi.load_scenario(bad)
    tabs = write(tmp_path, "name: x\n\tsegments: []\n", "tabs.yaml")
    with pytest.raises(cxroi.ScenarioError, match=r"at line 2"):
        cxroi.load_scenario(tabs)


def test_duplicate_yaml_key(tmp_path):
    text = WORKED.read_text().replace("currency: USD", "currency: USD\ndiscount_rate: 0.2")
    path = write(tmp_path, text)
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(path)
    message = str(info.value)
    assert "'discount_rate' appears twice" in message
    assert "at line 5" in message  # the second one
    assert "first at line 3" in message
    nested = write(
        tmp_path, "name: x\nrisk: {cost_adjustment: 0.1, cost_adjustment: 0.2}\n", "nested.yaml"
    )
    with pytest.raises(cxroi.ScenarioError, match="'cost_adjustment' appears twice"):
        cxroi.load_scenario(nested)


@pytest.mark.parametrize(
    "text,kind",
    [("- a\n- b\n", "list"), ("just a string\n", "str"), ("42\n", "int"), ("true\n", "bool")],
)
def test_non_mapping_top_level(tmp_path, text, kind):
    with pytest.raises(cxroi.ScenarioError, match="must be a mapping of fields") as info:
        cxroi.load_scenario(write(tmp_path, text))
    assert repr(kind) in str(info.value)
    with pytest.raises(cxroi.ScenarioError, match="must be a mapping of fields"):
        cxroi.load_scenario(["not", "a", "mapping"])


@pytest.mark.parametrize(
    "text",
    [
        '!!python/object/apply:os.system ["touch {marker}"]\n',
        'name: !!python/object/apply:os.system ["touch {marker}"]\n',
        "name: !!python/name:os.system\n",
        'name: !!python/object/new:subprocess.check_output [["touch", "{marker}"]]\n',
    ],
)
def test_unsafe_yaml_tag_rejected(tmp_path, text):
    marker = tmp_path / "pwned"
    path = write(tmp_path, text.format(marker=marker))
    with pytest.raises(cxroi.ScenarioError, match="could not determine a constructor"):
        cxroi.load_scenario(path)
    assert not marker.exists()


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(cxroi.ScenarioError, match="file not found") as info:
        cxroi.load_scenario(path)
    assert str(path) in str(info.value)
    with pytest.raises(cxroi.ScenarioError, match="cannot read the file"):
        cxroi.load_scenario(tmp_path)  # a directory


def test_file_errors_carry_the_source(tmp_path, base):
    m = apply(base, seg(0, "wallet", -1))
    path = write(tmp_path, yaml.safe_dump(m))
    with pytest.raises(cxroi.ScenarioError) as info:
        cxroi.load_scenario(path)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"invalid scenario {path}: {MASS}.wallet: must be >= 0")


# --------------------------------------------------------------------------------------------
# Provenance, paths, round trips
# --------------------------------------------------------------------------------------------
def test_provenance_benchmark_vs_user():
    sc = cxroi.load_scenario(WORKED)
    prov = sc.provenance()
    for key, bm in (
        ("poor_cx_churn_share", benchmarks.POOR_CX_CHURN_SHARE),
        ("preventable_share", benchmarks.PREVENTABLE_SHARE),
    ):
        given_ = prov[f"{MASS}.{key}"]
        assert given_ == Provenance("user")
        default = prov[f"{AFF}.{key}"]
        assert default.source == "benchmark"
        assert default.benchmark == bm.key
        assert default.note  # cites the source and its caveat
    assert prov[f"{AFF}.poor_cx_churn_share"].benchmark == "accenture_switched_poor_service"
    assert prov[f"{AFF}.preventable_share"].benchmark == "accenture_switch_preventable"
    assert prov[f"{AFF}.referral_share"].source == "default"
    assert prov[f"{MASS}.referral_share"].source == "user"
    assert prov[f"{AFF}.acquisition"].source == "user"
    assert prov[f"{MASS}.new_customers_per_year"].source == "derived"
    assert prov["discount_rate"].source == "user"
    assert prov["risk.benefit_adjustment"].source == "user"
    assert prov[f"{OUTREACH}.ramp"].source == "default"
    assert prov[f"{REDESIGN}.ramp"].source == "user"


def test_provenance_benchmark_value_given_equal_is_user(base):
    # giving the benchmark's own value still counts as the user's choice
    m = apply(base, seg(1, "poor_cx_churn_share", 0.66))
    prov = cxroi.load_scenario(m).provenance()
    assert prov[f"{AFF}.poor_cx_churn_share"].source == "user"
    assert prov[f"{AFF}.preventable_share"].source == "benchmark"
    m = apply(base, drop("risk"))
    prov = cxroi.load_scenario(m).provenance()
    assert prov["risk.benefit_adjustment"].source == "default"


def test_fields_lists_model_paths():
    sc = cxroi.load_scenario(WORKED)
    fields = sc.fields()
    assert fields["discount_rate"] == 0.10
    assert fields[f"{MASS}.retention"] == 0.82
    assert fields[f"{AFF}.retention.alpha"] == 0.668
    assert fields[f"{AFF}.retention.beta"] == 3.806
    assert fields[f"{AFF}.retention.tenure"] == 4
    assert fields[f"{REDESIGN}.effects[*].churn_prevented"] == 0.25
    assert fields[f"{REDESIGN}.effects[*].cost_to_serve_change"] == -0.10
    assert fields[f"{OUTREACH}.effects[Affluent].churn_prevented"] == 0.30
    assert fields[f"{REDESIGN}.opex"] == 1_200_000
    assert fields[f"{REDESIGN}.capex"] == 4_000_000
    assert fields["risk.benefit_adjustment"] == 0.10
    assert fields[f"{AFF}.poor_cx_churn_share"] == 0.66
    # not scalar fields: capex by year, opex lists, ramps, the sBG segment's "retention"
    assert f"{OUTREACH}.capex" not in fields
    assert f"{OUTREACH}.opex" not in fields
    assert not any(p.endswith(".ramp") for p in fields)
    assert f"{AFF}.retention" not in fields
    assert "horizon_years" not in fields
    # every listed path is accepted by the engine's overrides
    from cxroi.engine import project as engine
    engine.compile_scenario(sc, dict.fromkeys(fields, 0.5))


def test_distributions_and_base_values(base):
    m = apply(base, seg(0, "wallet", {"dist": "pert", "low": 1000, "mode": 1500, "high": 2500}))
    m["segments"][1]["retention"]["alpha"] = {"dist": "uniform", "low": 0.5, "high": 0.836}
    m["discount_rate"] = {"dist": "normal", "mean": 0.1, "sd": 0.02}
    m["initiatives"][0]["effects"]["*"]["churn_prevented"] = {
        "dist": "triangular",
        "low": 0.1,
        "mode": 0.25,
        "high": 0.4,
    }
    sc = cxroi.load_scenario(m)
    dists = sc.distributions()
    assert set(dists) == {
        f"{MASS}.wallet",
        f"{AFF}.retention.alpha",
        "discount_rate",
        f"{REDESIGN}.effects[*].churn_prevented",
    }
    assert all(isinstance(d, Distribution) for d in dists.values())
    assert dists[f"{MASS}.wallet"].base == 1500
    assert dists[f"{AFF}.retention.alpha"].base == pytest.approx(0.668)
    assert dists["discount_rate"].base == 0.1
    assert dists[f"{MASS}.wallet"].to_mapping() == {
        "dist": "pert",
        "low": 1000,
        "mode": 1500,
        "high": 2500,
    }
    a, b = cxroi.evaluate(sc), cxroi.evaluate(base)
    for key in KPI_KEYS:
        assert a.kpis[key] == pytest.approx(b.kpis[key], rel=1e-12), key
    # round trip keeps the distributions
    again = cxroi.load_scenario(sc.to_mapping())
    assert again.distributions() == dists


def _assert_same_case(a, b):
    assert a.kpis == b.kpis
    assert a.unadjusted == b.unadjusted
    assert a.by_lever == b.by_lever
    assert a.by_initiative == b.by_initiative
    assert a.cashflow.equals(b.cashflow)
    assert a.by_segment.equals(b.by_segment)


def test_to_mapping_round_trip(base, tmp_path):
    sc = cxroi.load_scenario(WORKED)
    mapping = sc.to_mapping()
    assert list(mapping)[:6] == [
        "name",
        "currency",
        "horizon_years",
        "discount_rate",
        "segments",
        "initiatives",
    ]
    # defaults stay defaults: the Affluent benchmark shares are not written out
    assert "poor_cx_churn_share" not in mapping["segments"][1]
    again = cxroi.load_scenario(mapping)
    _assert_same_case(cxroi.evaluate(sc), cxroi.evaluate(again))
    assert again.provenance() == sc.provenance()
    # through YAML and JSON text too (JSON turns capex year keys into strings)
    import json

    path = write(tmp_path, yaml.safe_dump(mapping))
    _assert_same_case(cxroi.evaluate(sc), cxroi.evaluate(path))
    via_json = json.loads(json.dumps(mapping))
    assert "0" in via_json["initiatives"][1]["capex"]
    _assert_same_case(cxroi.evaluate(sc), cxroi.evaluate(via_json))


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_to_mapping_round_trip_hypothesis(mapping):
    sc = cxroi.load_scenario(mapping)
    again = cxroi.load_scenario(sc.to_mapping())
    assert again.to_mapping() == sc.to_mapping()
    # to_mapping always writes the top-level fields (documented), so those become "user"
    top_level = ("currency", "horizon_years", "discount_rate")
    before, after = sc.provenance(), again.provenance()
    assert {k: v for k, v in after.items() if k not in top_level} == {
        k: v for k, v in before.items() if k not in top_level
    }
    assert all(after[k].source == "user" for k in top_level)
    assert again.fields() == sc.fields()
    _assert_same_case(cxroi.evaluate(sc), cxroi.evaluate(again))


def test_load_does_not_modify_the_mapping(base):
    m = copy.deepcopy(base)
    cxroi.load_scenario(m)
    assert m == base


@pytest.mark.parametrize("target", ["/etc/passwd", "scenarios/retail_bank.yaml", "retail"])
def test_a_file_that_names_another_file_is_never_opened(tmp_path, target, monkeypatch):
    # The content is a plain string: load_scenario refuses it and never reads that path.
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    path = tmp_path / "evil.yaml"
    path.write_text(target + "\n")
    opened = []
    real_open = Path.open

    def spy(self, *args, **kwargs):
        opened.append(str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(cxroi.ScenarioError, match="must be a mapping of fields") as info:
        cxroi.load_scenario(path)
    assert "root:" not in str(info.value) and "Mass market" not in str(info.value)
    assert not any(target in p for p in opened if p != str(path))
