"""Tests for cxroi.analysis.voi and the value of information in ``simulate`` (docs/model.md §16)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from cxroi import cli, simulate
from cxroi.analysis.voi import conditional_mean, evpi, evppi
from cxroi.present.decisions import information_sentences

ROOT = Path(__file__).resolve().parents[2]
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
BANK = ROOT / "scenarios" / "retail_bank.yaml"
CHURN = "initiatives[Omnichannel service redesign].effects[*].churn_prevented"


def test_evpi_by_hand():
    # go is worth mean 100; knowing first: go only on +300 -> (0 + 300) / 2 = 150
    assert evpi([-100.0, 300.0]) == pytest.approx(50.0)
    assert evpi([5.0, 7.0]) == 0.0  # always go: nothing to learn
    assert evpi([-5.0, -7.0]) == 0.0  # never go


def test_evppi_of_the_only_driver_is_the_evpi_and_of_noise_is_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50_000)
    noise = rng.normal(size=50_000)
    y = 1e6 * (x + 0.2 * x**3) + 2e5
    assert evppi(x, y) == pytest.approx(evpi(y), rel=1e-3)
    assert evppi(noise, y) < 0.02 * evpi(y)


def test_conditional_mean_keeps_the_sample_mean():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=20_000)
    y = np.sin(6 * x) + rng.normal(scale=0.3, size=x.size)
    g = conditional_mean(x, y)
    assert g.mean() == pytest.approx(y.mean(), abs=1e-9)
    assert np.abs(g - np.sin(6 * x)).max() < 0.05


def test_conditional_mean_survives_ties_and_constants():
    y = np.arange(1000.0)
    assert np.allclose(conditional_mean(np.zeros(1000), y), y.mean())
    x = np.where(np.arange(1000) < 900, 0.0, np.linspace(0, 1, 1000))  # 90% tied at a bound
    g = conditional_mean(x, y)
    assert np.all(np.isfinite(g)) and g.mean() == pytest.approx(y.mean())


@pytest.fixture(scope="module")
def bank_result():
    return simulate(UNCERTAIN, draws=20_000, seed=2, keep_draws=True)


def test_simulation_evpi_matches_its_draws(bank_result):
    npv = bank_result.draws["npv"].to_numpy()
    assert bank_result.summary["evpi"] == pytest.approx(evpi(npv), rel=1e-9)
    assert bank_result.summary["evpi"] > 0


def test_each_evppi_lies_between_zero_and_evpi(bank_result):
    s = bank_result.summary
    assert set(s["evppi"]) == set(bank_result.draws.columns) - {
        "npv", "pv_benefits", "pv_costs", "roi", "irr", "payback_years",
        "discounted_payback_years", "extra_customers_end", "annual_switching_loss",
    }  # fmt: skip
    for value in s["evppi"].values():
        assert 0.0 <= value <= s["evpi"]
    assert max(s["evppi"].values()) > 0


def test_one_distributed_field_gives_evppi_equal_to_evpi():
    m = yaml.safe_load(BANK.read_text())
    m["initiatives"][0]["effects"]["*"]["churn_prevented"] = {
        "dist": "uniform", "low": 0.0, "high": 0.3,
    }  # fmt: skip
    m["initiatives"][0]["opex"] = 1_900_000  # so that the case can go either way
    s = simulate(m, draws=20_000, seed=1, keep_draws=True)
    assert 0 < s.summary["prob_npv_positive"] < 1
    assert s.summary["evppi"] == {CHURN: s.summary["evpi"]}
    # and the regression, had it been used, agrees: the npv is a smooth function of the input
    regression = evppi(s.draws[CHURN].to_numpy(), s.draws["npv"].to_numpy())
    assert regression == pytest.approx(s.summary["evpi"], rel=1e-3)


def test_no_distribution_means_no_value_of_information():
    s = simulate(BANK, draws=10, seed=0).summary
    assert s["evpi"] == 0.0 and s["evppi"] == {}


def test_simulate_json_and_text(capsys):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(["simulate", str(UNCERTAIN), "--draws", "3000", "--json"]) == 0
    out = json.loads(buf.getvalue(), parse_constant=lambda c: 1 / 0)
    assert isinstance(out["evpi"], float)
    assert all(0 <= v <= out["evpi"] for v in out["evppi"].values())
    assert cli.main(["simulate", str(UNCERTAIN), "--draws", "3000"]) == 0
    text = capsys.readouterr().out
    assert "expected NPV" in text and "Base-case NPV $2.47M" in text
    assert f"Perfect knowledge of {CHURN} would be worth up to" in text


def test_information_sentences_order_and_money():
    lines = information_sentences({"evpi": 5e5, "evppi": {"a": 1e3, "b": 2e5}}, "EUR")
    assert lines[0].startswith("Removing all uncertainty") and "€500K" in lines[0]
    assert lines[1] == "Perfect knowledge of b would be worth up to €200K before deciding."
