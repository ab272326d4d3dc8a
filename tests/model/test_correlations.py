"""Tests for cxroi.model.correlations: the rules of a scenario's ``correlations``.

Both fields distributed, a pair given once, a rank in (-1, 1), and a set of pairs that forms a
valid correlation matrix; each refusal names the path, the rule and the value (or the pairs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from cxroi import cli, load_scenario
from cxroi.model.correlations import pearson_from_spearman
from cxroi.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
R = "initiatives[Omnichannel service redesign].effects[*]."
CHURN, WALLET, SERVICE = (
    R + "churn_prevented",
    R + "share_of_wallet_lift",
    R + "cost_to_serve_change",
)
TARGETS = {(CHURN, WALLET): 0.6, (CHURN, SERVICE): -0.5}


def correlated(targets=TARGETS) -> dict:
    m = yaml.safe_load(UNCERTAIN.read_text())
    m["correlations"] = [{"fields": list(k), "rank": v} for k, v in targets.items()]
    return m


def test_pearson_from_spearman_inverts_the_normal_rank_correlation():
    rho = np.linspace(-0.95, 0.95, 39)
    r = pearson_from_spearman(rho)
    assert np.allclose(6 / np.pi * np.arcsin(r / 2), rho, atol=1e-12)


def test_round_trip_keeps_correlations():
    sc = load_scenario(correlated())
    again = load_scenario(sc.to_mapping())
    assert [(c.fields, c.rank) for c in again.correlations] == [
        (list(k), v) for k, v in TARGETS.items()
    ]


@pytest.mark.parametrize(
    ("entries", "path", "words"),
    [
        ([{"fields": [CHURN, "segments[Mass market].wallet"], "rank": 0.5}],
         "correlations[0].fields[1]", "distribution"),
        ([{"fields": [CHURN, "segments[Nobody].wallet"], "rank": 0.5}],
         "correlations[0].fields[1]", "names no"),
        ([{"fields": [CHURN, CHURN], "rank": 0.5}], "correlations[0].fields", "two different"),
        ([{"fields": [CHURN, WALLET], "rank": 0.5}, {"fields": [WALLET, CHURN], "rank": 0.2}],
         "correlations[1]", "already given"),
        ([{"fields": [CHURN, WALLET], "rank": 1.0}], "correlations[0].rank", "(-1, 1)"),
        ([{"fields": [CHURN, WALLET], "rank": -1.2}], "correlations[0].rank", "(-1, 1)"),
        ([{"fields": [CHURN], "rank": 0.5}], "correlations[0].fields", "two field paths"),
        ([{"fields": [CHURN, WALLET]}], "correlations[0].rank", "required"),
    ],
)  # fmt: skip
def test_bad_correlations_are_refused_naming_the_field(entries, path, words):
    m = yaml.safe_load(UNCERTAIN.read_text())
    m["correlations"] = entries
    with pytest.raises(ScenarioError) as err:
        load_scenario(m)
    assert path in err.value.paths
    assert words in str(err.value)


def test_an_impossible_matrix_is_refused_naming_the_pairs(tmp_path, capsys):
    impossible = {(CHURN, WALLET): 0.9, (CHURN, SERVICE): 0.9, (WALLET, SERVICE): -0.9}
    with pytest.raises(ScenarioError) as err:
        load_scenario(correlated(impossible))
    assert err.value.paths == ["correlations"]
    text = str(err.value)
    assert "valid correlation matrix" in text
    assert all(f"[{a}, {b}]" in text for a, b in impossible)
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(correlated(impossible)))
    assert cli.main(["simulate", str(f), "--draws", "100"]) == 2
    err_text = capsys.readouterr().err
    assert "correlations" in err_text and "Traceback" not in err_text


def test_a_rank_written_with_its_evidence_reads_as_its_value():
    m = correlated({(CHURN, WALLET): 0.6})
    m["correlations"][0]["rank"] = {"value": 0.6, "source": "pilot, 2025 cohort"}
    assert load_scenario(m).correlations[0].rank == 0.6
