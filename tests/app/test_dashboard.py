"""The dashboard without a browser: set widget values in Python, read the KPI markup."""

from __future__ import annotations

import base64
import copy
import datetime
import re
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.analysis.uncertainty import simulate
from cxroi.app import Dashboard

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "retail_bank.yaml"
UNCERTAIN = REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
CHURN_ALL = "initiatives[Omnichannel service redesign].effects[*].churn_prevented"


def shown(app: Dashboard, key: str) -> float:
    match = re.search(rf'data-kpi="{key}" data-value="([^"]+)"', app.kpis.value)
    return float(match.group(1))


def engine(edit) -> dict:
    mapping = copy.deepcopy(cxroi.load_scenario(SCENARIO).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping)).kpis


@pytest.fixture
def app():
    return Dashboard.from_path(SCENARIO)


def test_opens_on_the_reference_case(app):
    assert shown(app, "npv") == pytest.approx(2_469_087.08, abs=0.01)
    assert shown(app, "payback_years") == pytest.approx(3.114295, rel=1e-6)
    assert 'data-kpi-unadjusted="npv"' in app.kpis.value
    assert "$2.47M" in app.kpis.value


@pytest.mark.parametrize(
    ("path", "text", "edit"),
    [
        ("discount_rate", "0.12", lambda m: m.update(discount_rate=0.12)),
        ("discount_rate", "12%", lambda m: m.update(discount_rate=0.12)),
        ("horizon_years", "7", lambda m: m.update(horizon_years=7)),
        ("risk.cost_adjustment", "0", lambda m: m["risk"].update(cost_adjustment=0.0)),
        (
            "segments[Mass market].retention",
            "85%",
            lambda m: m["segments"][0].update(retention=0.85),
        ),
        (
            "initiatives[Omnichannel service redesign].opex",
            "1.5M",
            lambda m: m["initiatives"][0].update(opex=1_500_000.0),
        ),
        (
            "initiatives[Omnichannel service redesign].effects[*].churn_prevented",
            "0.3",
            lambda m: m["initiatives"][0]["effects"]["*"].update(churn_prevented=0.3),
        ),
    ],
)
def test_typed_value_gives_the_engine_npv(app, path, text, edit):
    app.set_text(path, text)
    assert shown(app, "npv") == pytest.approx(engine(edit)["npv"], rel=1e-12)
    assert app.banner.value == ""


def test_bad_values_keep_the_last_valid_case(app):
    before = shown(app, "npv")
    app.set_text("discount_rate", "abc")
    error = app.field("discount_rate").error.value
    assert 'class="cxroi-error"' in error and "discount_rate" in error
    app.set_text("segments[Mass market].share_of_wallet", "150%")
    assert "share_of_wallet" in app.field("segments[Mass market].share_of_wallet").error.value
    assert shown(app, "npv") == before
    assert 'data-state="error"' in app.status.value


def test_values_a_browser_could_send_are_validated(app):
    before = shown(app, "npv")
    app.field("discount_rate").entry.value = "x" * 10_000
    app.field("discount_rate").entry.value = "nan"
    assert shown(app, "npv") == before
    app._read_upload(({"name": "x.yaml", "content": b"\xff\xfe"},))
    assert "cxroi-error" in app.banner.value
    app._read_upload(({"name": "x.yaml", "content": b"name: [unclosed"},))
    assert "YAML" in app.banner.value
    assert shown(app, "npv") == before


def test_benchmark_defaults_are_marked_with_source(app):
    app.segment_tabs.selected_index = 1
    label = app.field("segments[Affluent].poor_cx_churn_share").label.value
    assert "cxroi-bench" in label and "Accenture" in label and "Caveat" in label
    app.set_text("segments[Affluent].poor_cx_churn_share", "0.5")
    assert "cxroi-bench" not in app.field("segments[Affluent].poor_cx_churn_share").label.value


def test_download_round_trips(app, tmp_path):
    app.set_text("discount_rate", "0.07")
    href = re.search(r'href="data:application/x-yaml;base64,([^"]+)"', app.download.value)
    text = base64.b64decode(href.group(1)).decode()
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert cxroi.evaluate(cxroi.load_scenario(path)).kpis["npv"] == pytest.approx(
        shown(app, "npv"), rel=1e-12
    )
    assert "poor_cx_churn_share" not in yaml.safe_load(text)["segments"][1]


@pytest.mark.slow
def test_downloaded_scenario_runs_through_papermill(tmp_path):
    """The download is a papermill parameters file: the report notebook gives the screen's NPV."""
    import nbformat
    import papermill

    app = Dashboard.from_path(REPO / "scenarios" / "retail_bank.yaml")
    app.initiative_tabs.selected_index = 1  # tabs build their inputs when first opened
    app.set_text(
        "initiatives[Proactive outreach for affluent].effects[Affluent].churn_prevented", "0.4"
    )
    app.set_text("discount_rate", "0.09")
    assert shown(app, "npv") != pytest.approx(2_469_087.08, abs=1.0)  # the edits took
    href = re.search(r'href="data:application/x-yaml;base64,([^"]+)"', app.download.value)
    text = base64.b64decode(href.group(1)).decode()
    out = tmp_path / "report.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "scenario_report.ipynb"),
        str(out),
        parameters=yaml.safe_load(text),  # what `papermill -f downloaded.yaml` passes
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nbformat.read(out, as_version=4).cells
        for o in c.get("outputs", [])
    )
    assert f"{shown(app, 'npv'):,.0f}" in html  # the TEI table's PV of net, to the unit


def test_structure_changes_and_reset(app):
    app._add_segment()
    assert len(app.scenario.segments) == 3
    app._add_initiative()
    assert len(app.scenario.initiatives) == 3
    app._remove_segment(2)
    app._remove_initiative(2)
    app.segment_tabs.selected_index = 0
    app.set_text("segments[Mass market].name", "Retail")
    assert "Retail" in app.scenario.segment_names
    app._reset()
    assert shown(app, "npv") == pytest.approx(2_469_087.08, abs=0.01)


def test_present_mode_moves_the_key_inputs(app):
    app.set_present(True)
    assert app.keybar in app.widget.children and app.sidebar not in app.body.children
    assert "cxroi-present" in app.widget._dom_classes
    app.set_present(False)
    assert app.sidebar in app.body.children


def test_charts_send_only_data_after_the_first_update(app):
    first = app.chart_payload("cashflow")
    app.set_text("discount_rate", "0.2")
    second = app.chart_payload("cashflow")
    assert first["sig"] == second["sig"] and first["spec"] is second["spec"]
    assert 'data-chart="cashflow"' in app.chart_panes["cashflow"].value


def test_infinite_clv_at_zero_discount_rate_renders():
    """With d = 0 an sBG CLV with alpha < 1 diverges; the page shows it as missing, no crash."""
    import json as _json

    app = Dashboard.from_path(REPO / "scenarios" / "retail_bank.yaml")
    app.set_text("discount_rate", "0")
    assert app.case.to_json()["segments"]["Affluent"]["clv_baseline"] is None
    payload = app.chart_payload("clv")
    _json.dumps(payload, allow_nan=False)  # valid JSON for the page
    values = {(r["segment"], r["scenario"]): r["value"] for r in payload["rows"]}
    assert values[("Affluent", "Baseline")] is None and values[("Affluent", "With CX")] is None
    assert values[("Mass market", "Baseline")] == pytest.approx(375.0)  # margin x (1 + 0) / r
    assert app.case.kpis["npv"] == cxroi.evaluate(app.scenario).kpis["npv"]


def upload(app: Dashboard, content: bytes, name: str = "x.yaml") -> None:
    app._uploaded({"new": ({"name": name, "content": content},)})


@pytest.mark.parametrize("text", ["/etc/passwd", str(SCENARIO), "'/etc/hostname'"])
def test_upload_of_a_plain_string_is_never_opened_as_a_path(app, text):
    app._mapping["name"] = "marker"  # an opened file would replace the whole mapping
    before = shown(app, "npv")
    upload(app, text.encode())
    assert "not a scenario" in app.banner.value and "root:" not in app.banner.value
    assert app._mapping["name"] == "marker" and shown(app, "npv") == before


def test_upload_error_echoes_at_most_a_short_value(app):
    upload(app, ("x" * 5000).encode())
    assert "x" * 100 not in app.banner.value and "..." in app.banner.value


def test_bare_percent_is_read_as_percent_and_said_so(app):
    app.set_text("discount_rate", "12")
    assert app.scenario.discount_rate == pytest.approx(0.12)
    note = app.field("discount_rate").note
    assert "cxroi-warning" in note._dom_classes and "12%" in note.value
    app.set_text("discount_rate", "0,09")
    assert app.scenario.discount_rate == pytest.approx(0.09)
    app.set_text("discount_rate", "10%")
    assert app.field("discount_rate").note.value == ""


def test_blank_effect_override_removes_it(app):
    path = "initiatives[Omnichannel service redesign].effects[Mass market].churn_prevented"
    before = shown(app, "npv")
    app.set_text(path, "0.5")
    assert shown(app, "npv") != pytest.approx(before)
    app.set_text(path, "")
    assert app.field(path).error is None or app.field(path).error.value == ""
    assert "Mass market" not in app._mapping["initiatives"][0]["effects"]
    assert shown(app, "npv") == pytest.approx(before, abs=1e-6)


def test_typed_value_moves_the_slider(app):
    app.set_text("horizon_years", "8")
    assert app.field("horizon_years").slider.value == 8
    app.field("horizon_years").slider.value = 6
    assert app.field("horizon_years").entry.value == "6" and app.scenario.horizon_years == 6
    app.set_text("horizon_years", "40")  # beyond the slider: held at its end, value kept
    assert app.scenario.horizon_years == 40 and app.field("horizon_years").slider.max == 20


def test_sbg_constant_sbg_keeps_the_fit_and_the_tab(app):
    app.segment_tabs.selected_index = 1
    fitted = copy.deepcopy(app._mapping["segments"][1]["retention"])
    app._switch_retention(1, "constant")
    assert app.segment_tabs.selected_index == 1
    assert app.field("segments[Affluent].retention").entry.value.count(".") <= 1
    assert len(app.field("segments[Affluent].retention").entry.value.split(".")[-1]) <= 3
    app._switch_retention(1, "sbg")
    assert app._mapping["segments"][1]["retention"] == fitted
    assert app.segment_tabs.selected_index == 1


def test_new_segment_starts_neutral(app):
    before = shown(app, "npv")
    app._add_segment()
    assert len(app.scenario.segments) == 3
    assert shown(app, "npv") == pytest.approx(before, abs=1e-6)


def test_status_and_messages_are_plain_words(app):
    assert "#" not in app.status.value and "Up to date" in app.status.value
    app.set_text("discount_rate", "-500%")
    message = app.field("discount_rate").error.value
    assert message.count("discount_rate") == 1  # only in the data-field hook
    assert "Discount rate: must be" in message


def test_wrong_type_from_the_browser_is_dropped_with_a_message(app):
    entry = app.field("discount_rate").entry
    before = entry.value
    entry.value = 5  # what a hostile client can send over the websocket
    assert entry.value == before
    assert "only text" in app.field("discount_rate").error.value
    entry.set_state({"value": ["x"]})  # through the comm's path: no exception
    assert entry.value == before


def test_callback_failure_shows_a_plain_message(app):
    def broken():
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    app._guard(broken)
    assert "TypeError" not in app.banner.value and "could not be applied" in app.banner.value


def test_overflow_keeps_the_previous_case_whole(app):
    before, kpis = shown(app, "npv"), app.kpis.value
    app.set_text("segments[Mass market].wallet", "1e308")
    # Refused by the scenario's magnitude ceiling (field message) or, past it, by the engine.
    assert 'data-state="error"' in app.status.value
    assert shown(app, "npv") == before and app.kpis.value == kpis
    assert 'data-state="error"' in app.status.value


def engine_on(path, edit) -> dict:
    mapping = copy.deepcopy(cxroi.load_scenario(path).to_mapping())
    edit(mapping)
    return cxroi.evaluate(cxroi.load_scenario(mapping)).kpis


@pytest.fixture
def uncertain():
    return Dashboard.from_path(UNCERTAIN)


def test_distribution_field_shows_its_range(uncertain):
    field = uncertain.field("discount_rate")
    assert field.entry.value == "10%"  # the base value (normal: the mean)
    assert field.dist_entry.value == "normal 10%; 1%"
    assert "normal" in field.entry.tooltip and field.dist_row in field.box.children
    cell = uncertain.field(CHURN_ALL)
    assert cell.entry.value == "25%" and cell.dist_entry.value == "pert 10%; 25%; 35%"
    assert uncertain.field("segments[Mass market].wallet").dist_entry is None


def test_moving_the_base_keeps_the_distribution(uncertain):
    field = uncertain.field("discount_rate")
    uncertain.set_text("discount_rate", "12%")
    assert uncertain._mapping["discount_rate"] == {"dist": "normal", "mean": 0.12, "sd": 0.01}
    assert field.dist_entry.value == "normal 12%; 1%"
    field.slider.value = 0.08  # the slider moves the mean as well
    assert uncertain.scenario.distributions()["discount_rate"].mean == pytest.approx(0.08)
    uncertain.set_text(CHURN_ALL, "30%")
    dist = uncertain.scenario.distributions()[CHURN_ALL]
    assert (dist.dist, dist.low, dist.mode, dist.high) == ("pert", 0.10, 0.30, 0.35)

    def edit(m):
        m["discount_rate"]["mean"] = 0.08
        m["initiatives"][0]["effects"]["*"]["churn_prevented"]["mode"] = 0.30

    assert shown(uncertain, "npv") == pytest.approx(engine_on(UNCERTAIN, edit)["npv"], rel=1e-12)
    # Monte Carlo still sees every distribution, with the moved base values.
    result = simulate(uncertain.scenario, draws=200, seed=1)
    assert len(uncertain.scenario.distributions()) == 7
    rates = result.draws["discount_rate"]
    assert rates.std() > 0.005 and abs(rates.mean() - 0.08) < 0.003


def test_range_is_edited_and_removed(uncertain):
    field = uncertain.field("discount_rate")
    field.dist_entry.value = "triangular 6%; 9%; 14%"
    assert uncertain._mapping["discount_rate"] == {
        "dist": "triangular",
        "low": 0.06,
        "mode": 0.09,
        "high": 0.14,
    }
    assert field.entry.value == "9%" and field.slider.value == pytest.approx(0.09)
    before = shown(uncertain, "npv")
    field.dist_entry.value = "triangular 6%; 19%; 14%"  # mode above high: refused
    assert "low &lt;= mode &lt;= high" in field.error.value and "{" not in field.error.value
    assert uncertain._mapping["discount_rate"]["mode"] == 0.09 and shown(uncertain, "npv") == before
    field.dist_entry.value = "lognormal 1; 2"
    assert "starts with triangular" in field.error.value
    field.dist_entry.value = ""  # blank: the base value alone
    assert uncertain._mapping["discount_rate"] == pytest.approx(0.09)
    assert uncertain.field("discount_rate").dist_entry is None
    assert "discount_rate" not in uncertain.scenario.distributions()


def test_a_range_typed_in_a_plain_field_makes_it_a_distribution(app):
    app.segment_tabs.selected_index = 1
    app.set_text("segments[Affluent].gross_margin", "triangular 30%; 35%; 38%")
    assert app.scenario.distributions()["segments[Affluent].gross_margin"].mode == 0.35
    field = app.field("segments[Affluent].gross_margin")
    assert field.entry.value == "35%" and field.dist_entry.value == "triangular 30%; 35%; 38%"
    assert app.segment_tabs.selected_index == 1  # the tab stays where the user was


def test_decimal_comma_in_a_rate_is_a_decimal_and_said_so(app):
    app.set_text("discount_rate", "0,12")
    assert app.scenario.discount_rate == pytest.approx(0.12)  # never 12 (1,200%)
    note = app.field("discount_rate").note.value
    assert "cxroi-warning" in note and "0,12" in note and "12%" in note
    app.set_text(CHURN_ALL.replace("[*]", "[Mass market]"), "0,3")
    effects = app._mapping["initiatives"][0]["effects"]["Mass market"]
    assert effects["churn_prevented"] == pytest.approx(0.3)
    before = app.scenario.discount_rate
    app.set_text("discount_rate", "0,12,5")  # two commas: refused, named, case kept
    assert "Discount rate" in app.field("discount_rate").error.value
    assert app.scenario.discount_rate == before


def test_upload_button_keeps_a_plain_label(app):
    text = SCENARIO.read_bytes()
    item = {"name": "retail_bank.yaml", "type": "application/x-yaml", "size": len(text)}
    stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    app.upload.value = (dict(item, content=memoryview(text), last_modified=stamp),)
    assert app.upload.value == () and app.upload.description == "Upload"  # no "Upload (1)"
    assert app.banner.value == "" and "Up to date" in app.status.value
    app.set_present(True)
    assert app.upload.value == () and app.upload.description == "Upload"


def test_long_values_and_names_have_their_full_text_on_hover(app):
    app.initiative_tabs.selected_index = 1
    capex = app.field("initiatives[Proactive outreach for affluent].capex")
    assert capex.entry.value == "0: 500,000; 1: 250,000"
    assert capex.entry.tooltip.startswith("0: 500,000; 1: 250,000")
    assert app.field("discount_rate").entry.tooltip == "Annual hurdle rate; type 0.12 or 12%"
    panel = app.initiative_tabs.children[0]
    heads = [c.value for c in panel.children if "cxroi-effect-head" in getattr(c, "value", "")]
    heads += [
        c.value
        for box in panel.children
        for c in getattr(box, "children", ())
        if "cxroi-effect-head" in getattr(c, "value", "")
    ]
    assert 'title="Mass market"' in heads[0] and 'title="All segments"' in heads[0]


def test_added_segment_says_it_starts_neutral_until_edited(app):
    before = shown(app, "npv")
    app._add_segment()
    name = app.scenario.segments[-1].name
    notes = [
        w.value
        for group in app.sidebar.children
        for w in group.children
        if "cxroi-neutral-note" in getattr(w, "value", "")
    ]
    assert len(notes) == 1 and name in notes[0] and "neutral" in notes[0]
    assert shown(app, "npv") == pytest.approx(before, abs=1e-6)
    cell = f"initiatives[Omnichannel service redesign].effects[{name}].churn_prevented"
    app.set_text(cell, "30%")
    assert shown(app, "npv") != pytest.approx(before, abs=1.0)  # an edit reaches it
    app.set_text("discount_rate", "11%")
    app._remove_segment(len(app.scenario.segments) - 1)
    assert not any(
        "cxroi-neutral-note" in getattr(w, "value", "")
        for group in app.sidebar.children
        for w in group.children
    )


def test_an_upload_rebuilds_the_inputs_before_the_new_kpis_show(app):
    # The page treats a new NPV as "everything is current": a field typed into right after
    # it must not be replaced by a rebuild that was still to come (the text was lost).
    mapping = copy.deepcopy(cxroi.load_scenario(SCENARIO).to_mapping())
    mapping["initiatives"][0]["name"] = "Uploaded initiative"
    mapping["discount_rate"] = 0.07
    names_when_kpis_changed = []

    def on_kpis(change):
        names_when_kpis_changed.append(
            [f.entry.value for f in app._fields if f.keys == ("initiatives", 0, "name")]
        )

    app.kpis.observe(on_kpis, "value")
    upload(app, yaml.safe_dump(mapping, sort_keys=False).encode())
    assert names_when_kpis_changed == [["Uploaded initiative"]]
    assert shown(app, "npv") == pytest.approx(
        cxroi.evaluate(cxroi.load_scenario(mapping)).kpis["npv"], rel=1e-12
    )


def _spin(*args, **kwargs):
    while True:  # a computation that never ends (pure Python: the limit can stop it)
        pass


def test_a_change_past_the_time_limit_is_stopped_and_the_page_says_so(monkeypatch):
    import time

    app = Dashboard(SCENARIO, time_limit=0.5)
    before = shown(app, "npv")
    monkeypatch.setattr(cxroi, "evaluate", _spin)
    t0 = time.monotonic()
    app.set_text("discount_rate", "0.12")
    assert time.monotonic() - t0 < 10  # stopped, not spinning for ever
    assert "Stopped" in app.banner.value and "0.5 seconds" in app.banner.value
    assert "Traceback" not in app.banner.value
    assert 'data-state="error"' in app.status.value
    assert shown(app, "npv") == before and app.scenario.discount_rate == 0.1
    monkeypatch.undo()
    app.set_text("discount_rate", "0.13")  # the kernel still serves the next change
    assert app.banner.value == "" and shown(app, "npv") == pytest.approx(
        engine(lambda m: m.update(discount_rate=0.13))["npv"], rel=1e-12
    )


def test_an_upload_stopped_at_the_time_limit_leaves_the_previous_case_whole(monkeypatch):
    from cxroi.app import dashboard as dash_mod

    app = Dashboard(SCENARIO, time_limit=0.5)
    before, names = shown(app, "npv"), [f.path for f in app._fields]
    mapping = copy.deepcopy(app._mapping)
    mapping["initiatives"][0]["name"] = "Never shown"
    real_render = dash_mod.Dashboard._render
    calls = []

    def slow_render(self):
        calls.append(1)
        if len(calls) == 1:  # the new case's drawing never ends; the restore draws normally
            _spin()
        real_render(self)

    monkeypatch.setattr(dash_mod.Dashboard, "_render", slow_render)
    upload(app, yaml.safe_dump(mapping, sort_keys=False).encode())
    assert "Stopped" in app.banner.value
    assert shown(app, "npv") == before and [f.path for f in app._fields] == names
    assert app._mapping["initiatives"][0]["name"] != "Never shown"


def test_a_monte_carlo_run_past_the_time_limit_is_stopped(monkeypatch):
    from cxroi.analysis import uncertainty  # the view imports simulate from it when run

    app = Dashboard(UNCERTAIN, time_limit=0.5)
    monkeypatch.setattr(uncertainty, "simulate", _spin)
    app.uncertainty.run_button.click()
    assert "Stopped" in app.banner.value
    assert "running" not in app.uncertainty.status.value
    assert not app.uncertainty.run_button.disabled


def test_an_interrupted_change_keeps_the_case_and_says_so(monkeypatch):
    app = Dashboard(SCENARIO, time_limit=0)
    before = shown(app, "npv")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # what Jupyter's interrupt raises in the kernel

    monkeypatch.setattr(cxroi, "evaluate", interrupted)
    app.set_text("discount_rate", "0.12")
    assert "interrupted" in app.banner.value and shown(app, "npv") == before


def test_wrong_type_widget_messages_leave_no_traceback_on_the_page(app, monkeypatch, capfd):
    # In a kernel, sys.stderr is the page's websocket: a refused widget message must log to
    # the server (the process's own stderr), never a traceback to the page.
    import io
    import logging

    from comm.base_comm import CommManager
    from ipywidgets.widgets.widget import _instances

    page = io.StringIO()
    monkeypatch.setattr("sys.stderr", page)
    monkeypatch.setattr(logging.root, "handlers", [])  # as in a kernel: no root handler
    manager = CommManager()
    widgets = [w for w in _instances.values() if "value" in w.keys]
    kinds = {type(w).__name__ for w in widgets}
    assert {"FloatSlider", "SafeText", "HTML"} <= kinds
    for w in widgets:
        manager.register_comm(w.comm)
        before = w.value
        for bad in ([1, 2], {"a": 1}, 5, None):
            msg = {
                "content": {
                    "comm_id": w.comm.comm_id,
                    "data": {"method": "update", "state": {"value": bad}, "buffer_paths": []},
                }
            }
            manager.comm_msg(None, None, msg)  # the kernel's own path for a widget message
            assert w.value == before, (type(w).__name__, bad)  # dropped
    app._guard(lambda: 1 / 0)  # a failing callback logs its traceback to the server only
    assert page.getvalue() == ""
    assert "Traceback" in capfd.readouterr().err  # kept for the server's log
