"""Session state of the dashboard: undo/redo, changes, versions, autosave, the YAML round trip."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import cxroi
from cxroi.app import Dashboard
from cxroi.app.session import (
    MAX_NAME,
    MAX_VERSIONS,
    Session,
    describe_changes,
    flatten,
    versions_table,
)
from cxroi.present.formatting import format_kpi

REPO = Path(__file__).resolve().parents[2]
RETAIL = REPO / "scenarios" / "retail_bank.yaml"
UNCERTAIN = REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"


def _mapping(path=RETAIL):
    return cxroi.load_scenario(path).to_mapping()


# -- pure session --------------------------------------------------------------------------
def test_flatten_names_fields_by_path():
    flat = flatten(_mapping())
    assert flat["discount_rate"] == 0.10
    assert flat["segments[Affluent].retention.alpha"] == 0.668
    assert flat["initiatives[Proactive outreach for affluent].capex"] == {0: 500000, 1: 250000}
    assert flat["initiatives[Omnichannel service redesign].effects[*].churn_prevented"] == 0.25
    assert flat["initiatives[Omnichannel service redesign].ramp"] == [0.4, 0.8, 1.0]


def test_describe_changes_lists_paths_and_limits():
    old = _mapping()
    new = copy.deepcopy(old)
    new["discount_rate"] = 0.13
    new["segments"][1]["retention"]["alpha"] = 0.7
    assert describe_changes(old, new) == [
        "discount_rate: 0.1 -> 0.13",
        "segments[Affluent].retention.alpha: 0.668 -> 0.7",
    ]
    assert describe_changes(old, old) == []
    for seg in new["segments"]:
        seg["wallet"] = 1.0
        seg["customers"] = 5.0
        seg["gross_margin"] = 0.5
    lines = describe_changes(old, new, limit=4)
    assert len(lines) == 4 and lines[-1] == "and 5 more fields"


@given(st.lists(st.floats(0.0, 0.5), min_size=1, max_size=12), st.integers(0, 12))
def test_undo_redo_walks_the_history(rates, undos):
    base = _mapping()
    s = Session(base)
    states = [base]
    for r in rates:
        new = copy.deepcopy(states[-1])
        new["discount_rate"] = r
        if s.record(new):
            states.append(new)
    k = min(undos, len(states) - 1)
    for _ in range(k):
        assert s.undo() is not None
    assert s.current == states[-1 - k]
    for _ in range(k):
        s.redo()
    assert s.current == states[-1]
    assert s.redo() is None


def test_a_new_change_clears_redo():
    s = Session(_mapping())
    new = _mapping()
    new["discount_rate"] = 0.2
    s.record(new)
    s.undo()
    other = _mapping()
    other["horizon_years"] = 7
    s.record(other)
    assert s.redo() is None and s.undo()["discount_rate"] == 0.10


def test_version_names_are_checked():
    s = Session(_mapping())
    with pytest.raises(ValueError, match="version name: must not be empty"):
        s.save_version("   ", _mapping(), {})
    with pytest.raises(ValueError, match=f"at most {MAX_NAME} characters"):
        s.save_version("x" * (MAX_NAME + 1), _mapping(), {})
    for i in range(MAX_VERSIONS):
        s.save_version(f"v{i}", _mapping(), {})
    s.save_version("v0", _mapping(), {})  # replacing is always allowed
    with pytest.raises(ValueError, match=f"at most {MAX_VERSIONS}"):
        s.save_version("one more", _mapping(), {})


def test_versions_table_deltas():
    base = cxroi.evaluate(cxroi.load_scenario(RETAIL)).kpis
    m = _mapping()
    m["discount_rate"] = 0.13
    cons = cxroi.evaluate(cxroi.load_scenario(m)).kpis
    out = versions_table({"Base": {"kpis": base}, "Conservative": {"kpis": cons}}, "USD", 5)
    cell = re.search(r'"Conservative" data-version-kpi="npv" data-value="([^"]+)"', out)
    assert float(cell.group(1)) == cons["npv"]
    diff = format_kpi("npv", abs(cons["npv"] - base["npv"]), "USD")
    assert f"(-{diff})" in out
    roi_pts = (cons["roi"] - base["roi"]) * 100
    assert f"(-{abs(roi_pts):.1f} pts)" in out
    assert 'data-kpi="npv"' not in out  # the KPI card keeps that hook to itself


def test_saved_state_is_checked():
    with pytest.raises(ValueError, match="'scenario' mapping"):
        Session.parse_saved("[1, 2]")
    with pytest.raises(ValueError, match="'versions'"):
        Session.parse_saved('{"scenario": {}, "versions": [1]}')
    with pytest.raises(json.JSONDecodeError):
        Session.parse_saved("{not json")


# -- in the dashboard ------------------------------------------------------------------------
def test_dashboard_undo_redo_and_changes():
    app = Dashboard.from_path(RETAIL)
    npv0 = app.case.kpis["npv"]
    assert app.undo_button.disabled and app.redo_button.disabled
    app.set_text("discount_rate", "0.13")
    npv1 = app.case.kpis["npv"]
    assert not app.undo_button.disabled
    assert "discount_rate: 0.1 -&gt; 0.13" in app.changes_html.value
    app.undo()
    assert app.case.kpis["npv"] == npv0 and app.field("discount_rate").entry.value == "10%"
    app.redo()
    assert app.case.kpis["npv"] == npv1
    assert app.session.changes[-2:] == ["Undo", "Redo"]


def test_dashboard_versions_compare_and_open():
    app = Dashboard.from_path(RETAIL)
    app.save_version("Base")
    app.set_text("discount_rate", "0.13")
    app.save_version("Conservative")
    cons = app.case.kpis["npv"]
    cell = re.search(
        r'data-version="Base" data-version-kpi="npv" data-value="([^"]+)"', app.versions_html.value
    )
    assert float(cell.group(1)) == pytest.approx(2_469_087.08, abs=0.01)  # docs/model.md §9
    app.open_version("Base")
    assert app.case.kpis["npv"] == pytest.approx(2_469_087.08, abs=0.01)
    app.open_version("Conservative")
    assert app.case.kpis["npv"] == cons
    app.save_version("")
    assert "must not be empty" in app.version_message.value


def test_dashboard_restores_saved_state_and_versions():
    app = Dashboard.from_path(UNCERTAIN)
    app.save_version("Base")
    app.set_text("discount_rate", "0.13")
    saved = app.session.to_json()
    fresh = Dashboard.from_path(UNCERTAIN)
    assert 'data-ready="0"' in fresh.autosave.value
    fresh.restore_saved(saved)
    assert 'data-ready="1"' in fresh.autosave.value
    assert fresh.case.kpis == app.case.kpis
    assert fresh.scenario.to_mapping() == app.scenario.to_mapping()  # distributions kept
    assert list(fresh.session.versions) == ["Base"]
    fresh.undo()  # back to the file opened
    assert fresh.case.kpis["npv"] == pytest.approx(2_469_087.08, abs=0.01)


@pytest.mark.parametrize("text", ["none", "", "{bad json", '{"scenario": {"name": 3}}', 7])
def test_dashboard_restore_refuses_quietly(text):
    app = Dashboard.from_path(RETAIL)
    app.restore_saved(text)
    assert app.case.kpis["npv"] == pytest.approx(2_469_087.08, abs=0.01)
    assert 'data-ready="1"' in app.autosave.value
    app.restore_saved(Dashboard.from_path(RETAIL).session.to_json())  # once per page only


def test_download_round_trips_the_whole_state():
    app = Dashboard.from_path(UNCERTAIN)
    app.set_text("discount_rate", "0.13")
    app.set_text("initiatives[Omnichannel service redesign].opex", "900k")
    href = re.search(r'href="data:application/x-yaml;base64,([^"]+)"', app.download.value)
    text = base64.b64decode(href.group(1)).decode("utf-8")
    again = cxroi.load_scenario(yaml.safe_load(text))
    assert again.to_mapping() == app.scenario.to_mapping()
    assert again.provenance() == app.scenario.provenance()
    assert cxroi.evaluate(again).kpis == app.case.kpis


def test_bridge_between_two_versions_adds_up():
    from cxroi.analysis.compare import compare
    from cxroi.app.session import bridge_table

    app = Dashboard.from_path(RETAIL)
    app.save_version("Base")
    app.set_text("discount_rate", "0.13")
    app.set_text("initiatives[Omnichannel service redesign].opex", "900k")
    app.save_version("Stretch")
    assert app.version_pick.value == "Stretch"
    steps = {
        k: float(v)
        for k, v in re.findall(r'data-bridge="([^"]+)" data-value="([^"]+)"', app.bridge_html.value)
    }
    assert set(steps) == {"discount_rate", "initiatives[Omnichannel service redesign].opex"}
    npv_base = app.session.versions["Base"]["kpis"]["npv"]
    assert sum(steps.values()) == pytest.approx(app.case.kpis["npv"] - npv_base, rel=1e-9)
    app.version_pick.value = "Base"
    assert app.bridge_html.value == ""
    same = compare(_mapping(), _mapping())
    assert "the same case" in bridge_table(same, "A", "B")


def test_share_link_carries_the_saved_state():
    app = Dashboard.from_path(RETAIL)
    app.save_version("Base")
    app.set_text("discount_rate", "0.13")
    token = re.search(r'href="#cxroi=([A-Za-z0-9_-]+)"', app.share_link.value).group(1)
    text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    assert text == app.session.to_json()
    fresh = Dashboard.from_path(RETAIL)
    fresh.restore_saved(text)
    assert fresh.case.kpis == app.case.kpis and list(fresh.session.versions) == ["Base"]
