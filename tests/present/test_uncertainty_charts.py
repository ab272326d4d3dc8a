"""Tests of cxroi.present.uncertainty_charts: the frames carry the simulation's numbers."""

from pathlib import Path

import numpy as np
import pytest
import vl_convert as vlc

import cxroi
from cxroi.analysis import uncertainty as u
from cxroi.model.fields import field_doc, path_label
from cxroi.present import uncertainty_charts as uc

UNCERTAIN = (
    Path(__file__).resolve().parents[2] / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
)


@pytest.fixture(scope="module")
def result():
    return u.simulate(UNCERTAIN, draws=5_000, seed=3)


def test_histogram_counts_every_draw_and_marks_percentiles(result):
    data = uc.histogram_data(result, "USD", bins=30)
    bins = data[data.kind == "bin"]
    assert bins["count"].sum() == 5_000
    assert bins["share"].sum() == pytest.approx(1.0)
    assert (bins["x1"].to_numpy() > bins["x0"].to_numpy()).all()
    markers = data[data.kind == "marker"].set_index("label")["x0"]
    assert markers["P50"] == pytest.approx(result.summary["npv"]["p50"])
    assert markers["P5"] == pytest.approx(result.summary["npv"]["p5"])
    assert markers["zero"] == 0.0


def test_fan_has_one_row_per_year(result):
    fan = uc.fan_data(result)
    assert fan["year"].tolist() == list(range(6))
    assert fan["p50"].iloc[-1] == pytest.approx(np.median(result.cumulative_net[:, -1]))


def test_tornado_data_follows_the_rows():
    rows = u.tornado(UNCERTAIN)
    base = cxroi.evaluate(UNCERTAIN).kpis["npv"]
    data = uc.tornado_data(rows, base, "USD")
    assert len(data) == 2 * len(rows)
    first = data[data["rank"] == 0].set_index("end")
    assert first.loc["P10", "npv"] == rows[0]["npv_low"]
    assert first.loc["P90", "npv"] == rows[0]["npv_high"]
    assert (data["base"] == base).all()
    # each bar is named from the field registry, under its segment or initiative
    path = rows[0]["path"]
    assert first.loc["P10", "field"] == path_label(path)
    assert field_doc(path).label in first.loc["P10", "field"]


@pytest.mark.slow
def test_charts_render_offline_to_svg(result):
    rows = u.tornado(UNCERTAIN)
    charts = [
        uc.histogram_chart(uc.histogram_data(result, "USD"), "USD"),
        uc.fan_chart(uc.fan_data(result), "USD"),
        uc.tornado_chart(uc.tornado_data(rows, 0.0, "USD"), "USD"),
    ]
    for chart in charts:
        svg = vlc.vegalite_to_svg(chart.to_dict())
        assert svg.startswith("<svg")
        assert 'href="http' not in svg  # nothing fetched from outside
        assert "<path" in svg or "<rect" in svg


def test_tornado_labels_wrap_whole_and_carry_the_full_name_on_hover():
    # Long inputs were cut ("Omnichannel servi..."): each label line is drawn whole, and the
    # hover text holds the full name.
    from cxroi.present.charts import wrap_label

    path = "initiatives[Omnichannel service redesign for every branch].effects[*].churn_prevented"
    rows = [{"path": path, "low": 0.1, "high": 0.3, "npv_low": 1e6, "npv_high": 3e6}]
    data = uc.tornado_data(rows, 2e6, "USD")
    label = data["field"].iloc[0]
    assert "Omnichannel service redesign for every branch" in label
    chart = uc.tornado_chart(data, "USD").to_dict()
    assert {"field": "field", "type": "nominal", "title": "Input"} in (
        chart["layer"][0]["encoding"]["tooltip"]
    )
    svg = vlc.vegalite_to_svg(chart)
    lines = wrap_label(label, width=30).split("\n")
    assert len(lines) > 1 and all(line in svg for line in lines)
    assert "…" not in svg
