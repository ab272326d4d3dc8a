"""Evidence beside input values (cxroi.model.evidence): unwrap on loading, rewrap on writing."""

from __future__ import annotations

import copy
import datetime as dt

from cxroi.model.evidence import (
    Evidence,
    _rewrap_evidence,
    _unwrap_evidence,
)

WRAPPED = {
    "name": "Demo",
    "segments": [
        {
            "name": "All",
            "retention": {"value": 0.8, "source": "CRM churn report", "as_of": "2025-09-30"},
            "wallet": 100,
        }
    ],
    "initiatives": [
        {
            "name": "Chat",
            "capex": {0: {"value": 5000, "note": "vendor quote"}, 1: 1000},
            "effects": {"value": {"churn_prevented": 0.1}},  # a segment named "value"
        }
    ],
}


def test_unwrap_takes_values_and_keys_evidence_by_path():
    data, evidence, issues = _unwrap_evidence(copy.deepcopy(WRAPPED))
    assert issues == []
    assert data["segments"][0]["retention"] == 0.8
    assert data["initiatives"][0]["capex"] == {0: 5000, 1: 1000}
    assert evidence == {
        "segments[All].retention": Evidence("CRM churn report", None, dt.date(2025, 9, 30)),
        "initiatives[Chat].capex[0]": Evidence(None, "vendor quote", None),
    }
    # an effects entry keyed by a segment called "value" is a target, not evidence
    assert data["initiatives"][0]["effects"] == {"value": {"churn_prevented": 0.1}}


def test_rewrap_restores_what_was_written():
    data, evidence, _ = _unwrap_evidence(copy.deepcopy(WRAPPED))
    _rewrap_evidence(data, evidence)
    assert data == WRAPPED


def test_unknown_evidence_key_is_named_with_a_hint():
    bad = {"discount_rate": {"value": 0.1, "sorce": "board"}}
    _, _, issues = _unwrap_evidence(bad)
    assert [(i.path, i.rule) for i in issues] == [
        ("discount_rate.sorce", "unknown key; did you mean 'source'?")
    ]


def test_bad_date_is_an_issue_naming_the_path():
    _, _, issues = _unwrap_evidence({"discount_rate": {"value": 0.1, "as_of": "last spring"}})
    assert [(i.path, i.rule) for i in issues] == [
        ("discount_rate.as_of", "must be a date (YYYY-MM-DD)")
    ]


def test_evidence_mapping_writes_the_date_as_iso_text():
    ev = Evidence("survey", None, dt.date(2024, 1, 31))
    assert ev.to_mapping(0.3) == {"value": 0.3, "source": "survey", "as_of": "2024-01-31"}
