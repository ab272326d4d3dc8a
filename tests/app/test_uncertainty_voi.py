"""The Uncertainty tab's expected NPV and value of information, against the library's run."""

from __future__ import annotations

import html
import re
from pathlib import Path

from cxroi.analysis.uncertainty import simulate
from cxroi.app import Dashboard
from cxroi.present.formatting import format_money

REPO = Path(__file__).resolve().parents[2]
UNCERTAIN = REPO / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"


def test_evpi_and_evppi_per_field_with_one_sentence_each():
    app = Dashboard.from_path(UNCERTAIN)
    view = app.uncertainty
    view.spread.value = False
    view.draws.value = 10_000
    view.seed.value = 3
    view.run()
    summary = simulate(app.scenario, draws=10_000, seed=3).summary
    out = view.voi.value
    evpi = float(re.search(r'data-voi="evpi" data-value="([^"]+)"', out).group(1))
    assert evpi == summary["evpi"] and evpi > 0
    fields = {
        html.unescape(path): float(value)
        for path, value in re.findall(r'data-evppi="([^"]+)" data-value="([^"]+)"', out)
    }
    assert fields == summary["evppi"]
    assert set(fields) == set(app.scenario.distributions())
    for value in fields.values():
        assert 0.0 <= value <= evpi + 1e-9
    top = max(fields, key=fields.get)
    amount = re.search(r"\$[0-9.]+[KM]?", out[out.index(f'data-evppi="{html.escape(top)}"') :])
    assert (
        f"Perfect knowledge of {top} would be worth up to {amount.group(0)} before deciding."
        in (html.unescape(out))
    )
    expected = float(re.search(r'data-voi="expected_npv" data-value="([^"]+)"', out).group(1))
    assert expected == summary["npv"]["mean"]
    assert expected < app.case.kpis["npv"]  # the bank: 2.47M base case, about 1.68M expected
    app.set_text("discount_rate", "0.12")  # another case: the old figures stay, marked stale
    assert 'data-state="stale"' in view.status.value


def test_one_distributed_field_has_evppi_equal_to_evpi():
    import cxroi

    mapping = cxroi.load_scenario(REPO / "scenarios" / "retail_bank.yaml").to_mapping()
    mapping["initiatives"][0]["opex"] = {"dist": "uniform", "low": 0.0, "high": 3e6}
    app = Dashboard(mapping)
    app.uncertainty.spread.value = False
    app.uncertainty.run()
    out = app.uncertainty.voi.value
    evpi = float(re.search(r'data-voi="evpi" data-value="([^"]+)"', out).group(1))
    path = "initiatives[Omnichannel service redesign].opex"
    evppi = float(re.search(rf'data-evppi="{re.escape(path)}" data-value="([^"]+)"', out).group(1))
    assert evppi == evpi > 0
    money = format_money(evpi, "USD")
    assert f"Perfect knowledge of {path} would be worth up to {money} before deciding." in out


def test_correlated_inputs_are_named_with_their_rank_and_the_run_keeps_them():
    import cxroi

    mapping = cxroi.load_scenario(UNCERTAIN).to_mapping()
    a = "initiatives[Omnichannel service redesign].effects[*].churn_prevented"
    b = "initiatives[Omnichannel service redesign].effects[*].share_of_wallet_lift"
    mapping["correlations"] = [{"fields": [a, b], "rank": 0.6}]
    app = Dashboard(mapping)
    view = app.uncertainty
    view.spread.value = False
    view.seed.value = 5
    view.run()
    out = view.voi.value
    assert f'data-correlation="{html.escape(a)}|{html.escape(b)}" data-value="0.6"' in out
    assert "move together (rank correlation 0.6)" in out
    assert "the tornado moves one input at a time" in out
    summary = simulate(app.scenario, draws=10_000, seed=5).summary
    evpi = float(re.search(r'data-voi="evpi" data-value="([^"]+)"', out).group(1))
    assert evpi == summary["evpi"]
    alone = simulate(cxroi.load_scenario(UNCERTAIN), draws=10_000, seed=5).summary
    assert summary["prob_npv_positive"] != alone["prob_npv_positive"]  # the pair moves together
