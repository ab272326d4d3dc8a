"""Tests for the v2 schema of cxroi.model.scenario: lines, by-lever risk, tenure mixes, evidence.

Each new rule of docs/model.md §11, §12, §14 and §18 is broken once and the message must name
the field path, the rule and the value; a scenario written with evidence must come back from
``to_mapping`` with the same evidence and the same figures.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

import cxroi
from cxroi.model.scenario import (
    NOT_SOURCED,
    Evidence,
    LeverRisk,
    ScenarioError,
    input_sources,
    load_scenario_text,
)

BASE = {
    "name": "V2",
    "horizon_years": 3,
    "segments": [
        {
            "name": "All",
            "customers": 1000,
            "wallet": 100,
            "share_of_wallet": 0.5,
            "gross_margin": 0.3,
            "retention": {"alpha": 1.0, "beta": 2.0},
            "acquisition_cost": 50,
        },
    ],  # fmt: skip
    "initiatives": [
        {
            "name": "Agent desktop",
            "opex": 100,
            "effects": {"*": {"churn_prevented": 0.2}},
            "benefit_lines": [{"name": "Handle time", "amount": 500}],
            "cost_lines": [{"name": "Training", "amount": {0: 300}}],
            "unquantified": ["Morale"],
        }
    ],
}


def _with(path_setter):
    m = copy.deepcopy(BASE)
    path_setter(m)
    return m


def _message(mapping) -> str:
    with pytest.raises(ScenarioError) as info:
        cxroi.load_scenario(mapping)
    return str(info.value)


LINE = "initiatives[Agent desktop].benefit_lines[Handle time]"
COST = "initiatives[Agent desktop].cost_lines[Training]"


def _line(**kw):
    def setter(m):
        m["initiatives"][0]["benefit_lines"][0].update(kw)

    return setter


def _cost(**kw):
    def setter(m):
        m["initiatives"][0]["cost_lines"][0].update(kw)

    return setter


def _ini(**kw):
    def setter(m):
        m["initiatives"][0].update(kw)

    return setter


def _risk(badj):
    def setter(m):
        m["risk"] = {"benefit_adjustment": badj}

    return setter


def _tenure(tenure):
    def setter(m):
        m["segments"][0]["retention"]["tenure"] = tenure

    return setter


@pytest.mark.parametrize(
    "setter, expected",
    [
        (_line(amount=-5), f"{LINE}.amount: must be >= 0 (got -5)"),
        (_line(amount=[1, -2]), f"{LINE}.amount: item 1 must be >= 0"),
        (_line(amount={"x": 1}), f"{LINE}.amount: year key 'x' must be a whole year"),
        (_line(amount={4: 1}), f"{LINE}.amount[4]: year must be in 0..horizon_years (3) (got 4)"),
        (_line(amount="many"), f"{LINE}.amount: must be a number or a distribution"),
        (_line(risk=1.0), f"{LINE}.risk: must be in [0, 1) (got 1.0)"),
        (_line(risk=-0.1), f"{LINE}.risk: must be in [0, 1) (got -0.1)"),
        (_line(rsk=0.1), f"{LINE}.rsk: unknown key; did you mean 'risk'?"),
        (_cost(risk=-1), f"{COST}.risk: must be >= 0 (got -1)"),
        (_cost(amount={0: 1, "0": 2}), f"{COST}.amount: year 0 is given twice"),
        (
            _ini(benefit_lines=[{"name": "A", "amount": 1}, {"name": "A", "amount": 2}]),
            "initiatives[Agent desktop].benefit_lines[A].name: names must be unique",
        ),
        (
            _ini(cost_lines=[{"name": "a.b", "amount": 1}]),
            "cost_lines[a.b].name: must not contain '.', '[' or ']'",
        ),
        (_ini(benefit_lines=[{"name": "", "amount": 1}]), "must be a non-empty name"),
        (_ini(benefit_lines=[{"name": "X"}]), "benefit_lines[X].amount: is required"),
        (_ini(unquantified=["ok", " "]), "unquantified: item 1 must be a non-empty string"),
        (_ini(unquantified="Morale"), "unquantified: must be a list of non-empty strings"),
        (
            _ini(benefit_line=[]),
            "Agent desktop].benefit_line: unknown key; did you mean",
        ),
        (
            _risk({"retention": 1.0}),
            "benefit_adjustment.retention: must be in [0, 1) (got 1.0)",
        ),
        (
            _risk({"walet": 0.1}),
            "benefit_adjustment.walet: unknown key; did you mean 'wallet'",
        ),
        (_risk({"default": -0.2}), "risk.benefit_adjustment.default: must be in [0, 1)"),
        (_risk(1.0), "risk.benefit_adjustment: must be in [0, 1) (got 1.0)"),
        (_tenure({0: 0.5, 4: 0.4}), "retention.tenure: shares must sum to 1 within 1e-9"),
        (_tenure({-1: 1.0}), "retention.tenure: renewals key -1 must be a whole number >= 0"),
        (_tenure({"a": 1.0}), "retention.tenure: renewals key 'a' must be a whole number"),
        (_tenure({0: 1.5, 1: -0.5}), "retention.tenure: share for 0 renewals must be in [0, 1]"),
        (_tenure({}), "retention.tenure: a tenure mix needs at least one"),
    ],
)
def test_each_new_rule_names_path_rule_and_value(setter, expected):
    assert expected in _message(_with(setter))


def test_tenure_shares_within_1e_9_are_accepted():
    m = _with(_tenure({0: 0.5, "8": 0.5 + 5e-10}))
    sc = cxroi.load_scenario(m)
    assert sc.segments[0].retention.tenure_mix == {0.0: 0.5, 8.0: 0.5 + 5e-10}


def test_lines_parse_every_amount_form():
    m = _with(
        _ini(
            benefit_lines=[
                {"name": "N", "amount": 10},
                {"name": "L", "amount": [1, 2]},
                {"name": "M", "amount": {"0": 5, 3: 6}},
                {"name": "D", "amount": {"dist": "pert", "low": 1, "mode": 2, "high": 4}},
            ]
        )
    )
    sc = cxroi.load_scenario(m)
    amounts = [line.amount for line in sc.initiatives[0].benefit_lines]
    assert amounts[:3] == [10.0, [1.0, 2.0], {0: 5.0, 3: 6.0}]
    assert amounts[3].base == 2.0
    assert f"{m and 'initiatives[Agent desktop]'}.benefit_lines[D].amount" in sc.distributions()


def test_by_lever_risk_defaults():
    sc = cxroi.load_scenario(_with(_risk({"wallet": 0.3, "default": 0.1})))
    assert isinstance(sc.risk.benefit_adjustment, LeverRisk)
    assert sc.risk.benefit_adjustment_base() == {
        "retention": 0.1, "wallet": 0.3, "referral": 0.1, "service": 0.1, "lines": 0.1,
    }  # fmt: skip
    sc = cxroi.load_scenario(_with(_risk({"wallet": 0.3})))
    assert sc.risk.benefit_risk("retention") == 0.0  # default itself 0 when absent


# --------------------------------------------------------------------------------------------
# Evidence (docs/model.md §18)
# --------------------------------------------------------------------------------------------
EVIDENCE_YAML = """
name: Evidence
discount_rate: {value: 0.08, source: Treasury WACC memo, as_of: 2025-06-30}
segments:
  - name: All
    customers: 1000
    wallet: 100
    share_of_wallet: 0.5
    gross_margin: 0.3
    retention: {value: 0.82, source: "CRM churn report FY2025", note: 12-month average,
                as_of: 2025-09-30}
    acquisition_cost: 50
initiatives:
  - name: Chat
    capex: {0: {value: 1000, source: Vendor quote}, 1: 200}
    opex: [{value: 10, note: list item}, 20]
    effects:
      "*": {churn_prevented: {value: {dist: pert, low: 0.1, mode: 0.2, high: 0.3},
                              source: Pilot A/B test}}
    benefit_lines:
      - {name: Handle time, amount: {value: 500, source: Time study}, risk: 0.2}
risk:
  benefit_adjustment: {wallet: {value: 0.3, source: Finance policy}}
"""


def test_evidence_is_kept_and_values_are_used():
    sc = load_scenario_text(EVIDENCE_YAML)
    assert sc.discount_rate == 0.08
    assert sc.segments[0].retention == 0.82
    ev = sc.evidence
    assert ev["segments[All].retention"] == Evidence(
        "CRM churn report FY2025", "12-month average", dt.date(2025, 9, 30)
    )
    assert ev["initiatives[Chat].capex[0]"].source == "Vendor quote"
    assert ev["initiatives[Chat].opex[0]"].note == "list item"
    assert ev["risk.benefit_adjustment.wallet"].source == "Finance policy"
    # the distribution written in value is the field's distribution
    dists = sc.distributions()
    assert dists["initiatives[Chat].effects[*].churn_prevented"].mode == 0.2
    # evaluation is that of the same scenario written without evidence
    plain = yaml.safe_load(EVIDENCE_YAML)
    plain["discount_rate"] = 0.08
    plain["segments"][0]["retention"] = 0.82
    ini = plain["initiatives"][0]
    ini["capex"][0] = 1000
    ini["opex"][0] = 10
    ini["effects"]["*"]["churn_prevented"] = {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.3}
    ini["benefit_lines"][0]["amount"] = 500
    plain["risk"]["benefit_adjustment"]["wallet"] = 0.3
    assert cxroi.evaluate(sc).to_json() == cxroi.evaluate(plain).to_json()


def test_input_sources_kinds_and_shown():
    src = input_sources(load_scenario_text(EVIDENCE_YAML))
    ret = src["segments[All].retention"]
    assert (ret.kind, ret.value, ret.shown, ret.as_of) == (
        "given",
        0.82,
        "CRM churn report FY2025",
        dt.date(2025, 9, 30),
    )
    assert src["segments[All].wallet"].kind == "given"
    assert src["segments[All].wallet"].shown == NOT_SOURCED
    bench = src["segments[All].poor_cx_churn_share"]
    assert bench.kind == "benchmark default"
    assert bench.value == 0.66 and "Accenture" in bench.shown
    assert src["segments[All].cost_to_serve"].kind == "default"
    assert src["segments[All].cost_to_serve"].shown == NOT_SOURCED
    line = src["initiatives[Chat].benefit_lines[Handle time].amount"]
    assert (line.kind, line.shown) == ("given", "Time study")
    assert src["initiatives[Chat].benefit_lines[Handle time].risk"].value == 0.2
    assert src["risk.benefit_adjustment.wallet"].shown == "Finance policy"
    assert src["risk.benefit_adjustment.retention"].kind == "default"
    assert src["initiatives[Chat].capex[0]"].shown == "Vendor quote"


def test_evidence_round_trip():
    sc = load_scenario_text(EVIDENCE_YAML)
    mapping = sc.to_mapping()
    assert mapping["segments"][0]["retention"] == {
        "value": 0.82,
        "source": "CRM churn report FY2025",
        "note": "12-month average",
        "as_of": "2025-09-30",
    }
    again = cxroi.load_scenario(yaml.safe_load(yaml.safe_dump(mapping)))
    assert again.evidence == sc.evidence

    def shown(sources):  # to_mapping writes the top-level fields, so a default horizon is given
        return {p: (x.value, x.shown, x.note, x.as_of) for p, x in sources.items()}

    assert shown(input_sources(again)) == shown(input_sources(sc))
    assert cxroi.evaluate(again).to_json() == cxroi.evaluate(sc).to_json()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{value: 0.1, as_of: someday}", "discount_rate.as_of: must be a date (YYYY-MM-DD)"),
        ("{value: 0.1, sorce: x}", "discount_rate.sorce: unknown key; did you mean 'source'?"),
        ("{value: 0.1, source: 12}", "discount_rate.source: must be a string (got 12)"),
        ("{value: -2, source: x}", "discount_rate: must be > -1 (got -2)"),
    ],
)
def test_evidence_errors_name_the_path(text, expected):
    doc = EVIDENCE_YAML.replace(
        "{value: 0.08, source: Treasury WACC memo, as_of: 2025-06-30}", text
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(doc)
    assert expected in str(info.value)


def test_a_segment_named_value_is_not_evidence():
    m = _with(lambda m: m["segments"].__setitem__(0, dict(m["segments"][0], name="value")))
    m["initiatives"][0]["effects"] = {"value": {"churn_prevented": 0.3}}
    sc = cxroi.load_scenario(m)
    assert sc.initiatives[0].effects["value"].churn_prevented == 0.3
