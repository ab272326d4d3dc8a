"""Tests of cxroi.present.charts: each chart's frame carries the case's own numbers, as valid
JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxroi
from cxroi.present import charts

RETAIL = Path(__file__).resolve().parents[2] / "scenarios" / "retail_bank.yaml"


@pytest.fixture(scope="module")
def case():
    return cxroi.evaluate(RETAIL)


def test_cashflow_frame_holds_benefits_costs_and_cumulative_net(case):
    data = charts.cashflow_data(case, "USD")
    bars = data[data.kind == "bar"]
    benefits = bars[bars.series == "Benefits"].sort_values("year")["value"].to_numpy()
    costs = bars[bars.series == "Costs"].sort_values("year")["value"].to_numpy()
    np.testing.assert_allclose(benefits, case.cashflow["benefits"].to_numpy())
    np.testing.assert_allclose(costs, -case.cashflow["costs"].to_numpy())  # drawn below zero
    line = data[(data.kind == "line")].sort_values("year")["value"].to_numpy()
    np.testing.assert_allclose(line, case.cashflow["cumulative_net"].to_numpy())


def test_bridge_walks_from_levers_to_npv(case):
    data = charts.bridge_data(case, "USD").set_index("step")
    for lever, label in (("retention", "Retention"), ("wallet", "Wallet")):
        assert data.loc[label, "value"] == pytest.approx(case.by_lever[lever])
    assert data.loc["Benefits", "value"] == pytest.approx(case.kpis["pv_benefits"])
    assert data.loc["NPV", "value"] == pytest.approx(case.kpis["npv"])
    assert data.loc["NPV", "label"] == "$2.47M"


def test_initiatives_sorted_with_value_destroyers_marked(case):
    data = charts.initiative_data(case, "USD")
    assert data["value"].tolist() == sorted(case.by_initiative.values(), reverse=True)
    assert data.set_index("initiative").loc["Omnichannel service redesign", "sign"] == (
        "destroys value"
    )


def test_customers_frame_matches_the_case(case):
    data = charts.customers_data(case)
    end = data[data.year == data.year.max()].set_index("scenario")["value"]
    extra = end["With CX"] - end["Baseline"]
    assert extra == pytest.approx(case.kpis["extra_customers_end"])


def test_json_rows_turn_non_finite_numbers_into_none():
    frame = pd.DataFrame({"a": [1.0, np.nan, np.inf, -np.inf], "b": ["x", None, "y", "z"]})
    rows = charts.json_rows(frame)
    assert [r["a"] for r in rows] == [1.0, None, None, None]
    assert rows[1]["b"] is None
    json.dumps(rows, allow_nan=False)


def test_split_spec_separates_data_from_a_stable_spec(case):
    built = charts.all_charts(case)
    assert set(built) == set(charts.CHART_TITLES)
    spec, rows, sig = charts.split_spec(built["cashflow"])
    assert spec["data"] == {"name": "table"} and rows
    # another case: same spec signature, other rows (the page swaps the data only)
    mapping = cxroi.load_scenario(RETAIL).to_mapping()
    mapping["segments"][0]["wallet"] = 2000
    other = cxroi.evaluate(mapping)
    spec2, rows2, sig2 = charts.split_spec(charts.all_charts(other)["cashflow"])
    assert sig2 == sig
    assert rows2 != rows


def test_nine_initiatives_show_a_message_not_a_blank_card():
    mapping = cxroi.load_scenario(RETAIL).to_mapping()
    first = mapping["initiatives"][0]
    mapping["initiatives"] = [dict(first, name=f"Initiative {i}") for i in range(9)]
    case = cxroi.evaluate(cxroi.load_scenario(mapping))
    assert case.by_initiative is None  # exact Shapley stops at 8
    data = charts.initiative_data(case, "USD")
    assert data["kind"].tolist() == ["note"]
    assert "9 initiatives" in data.loc[0, "label"] and "8" in data.loc[0, "label"]
    spec = charts.initiative_chart(data).to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert any(t.get("transform") == [{"filter": "(datum.kind === 'note')"}] for t in texts)


def test_customers_chart_has_a_legend_and_a_zero_baseline(case):
    spec = charts.customers_chart(charts.customers_data(case)).to_dict()
    assert spec["encoding"]["y"]["scale"]["zero"] is True
    assert spec["encoding"]["color"].get("legend") not in (None, {})


@pytest.mark.parametrize(
    "text",
    [
        "Omnichannel service redesign",
        "Proactive outreach for affluent customers in every branch and channel",
        "Supercalifragilisticexpialidocious-programme",
        "",
    ],
)
def test_wrap_label_keeps_lines_short_and_the_words_in_order(text):
    wrapped = charts.wrap_label(text)
    lines = wrapped.split("\n")
    assert len(lines) <= charts.LABEL_LINES
    assert all(len(line) <= charts.LABEL_LINE for line in lines)
    shown = " ".join(lines)
    assert shown == text or (shown.endswith("…") and text.startswith(shown[:-1].split()[0]))


def test_long_initiative_name_shown_whole_on_two_lines_and_on_hover():
    import vl_convert as vlc

    mapping = cxroi.load_scenario(RETAIL).to_mapping()
    long_name = "Omnichannel service redesign for every branch"
    mapping["initiatives"][0]["name"] = long_name
    case = cxroi.evaluate(cxroi.load_scenario(mapping))
    data = charts.initiative_data(case, "USD")
    row = data.set_index("initiative").loc[long_name]
    assert row["axis"].replace("\n", " ") == long_name  # the whole name, wrapped
    spec = charts.initiative_chart(data, "USD").to_dict()
    tips = [t["field"] for layer in spec["layer"] for t in layer["encoding"].get("tooltip", [])]
    assert "initiative" in tips  # full name on hover
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    for line in row["axis"].split("\n"):
        assert f">{line}<" in svg, line
    assert "…" not in svg


@pytest.mark.parametrize("width", [300, 460, 900])
def test_initiative_labels_sit_beyond_their_bars_and_inside_the_plot(case, width):
    """A loss's label is left of its red bar, clear of the initiative names (the y axis)."""
    import re

    import vl_convert as vlc

    data = charts.initiative_data(case, "USD")
    assert (data["value"] < 0).any() and (data["value"] > 0).any()  # -$221K and $2.69M
    spec = charts.initiative_chart(data, "USD", width=width).to_dict()
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    bars = {
        label: (float(x), float(x) + float(w))
        for label, x, w in re.findall(
            r'aria-label="[^"]*NPV: ([^";]+)" role="graphics-symbol" aria-roledescription="bar" '
            r'd="M(-?[\d.]+),[\d.]+h(-?[\d.]+)v',
            svg,
        )
    }
    texts = re.findall(
        r'aria-label="[^"]*NPV: ([^";]+)" role="graphics-symbol" aria-roledescription="text mark"'
        r' text-anchor="(start|end)" transform="translate\((-?[\d.]+),',
        svg,
    )
    assert len(bars) == len(texts) == len(data) == 2, (bars, texts)
    per_char = 7.0  # wider than any glyph of an 11 px label, so the check errs on the safe side
    for label, anchor, x in texts:
        left, right = bars[label]
        extent = per_char * len(label)
        if label.startswith("-"):
            assert anchor == "end" and float(x) <= left - 2  # left of the bar's end
            assert float(x) - extent >= 0  # not over the axis and its names
        else:
            assert anchor == "start" and float(x) >= right + 2
            assert float(x) + extent <= width
