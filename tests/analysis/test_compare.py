"""Tests for cxroi.analysis.compare and ``cxroi compare``: the NPV bridge from scenario A to B.

The split is checked against its defining identities (it adds up to npv(B) - npv(A); reversing
the comparison reverses every share) and against a brute-force Shapley value computed here with
a separate, simple implementation: each coalition is written as a scenario mapping by hand and
evaluated with ``cxroi.evaluate``.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from math import factorial
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cxroi import cli, evaluate
from cxroi.analysis.compare import MAX_COMPARE_PLAYERS, compare

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
REDESIGN = "Omnichannel service redesign"
OUTREACH = "Proactive outreach for affluent"


def bank() -> dict:
    return yaml.safe_load(BANK.read_text())


def _seg(m: dict, name: str) -> dict:
    return next(s for s in m["segments"] if s["name"] == name)


def _ini(m: dict, name: str) -> dict:
    return next(i for i in m["initiatives"] if i["name"] == name)


YOUTH = {
    "name": "Youth", "customers": 50000, "wallet": 500, "share_of_wallet": 0.2,
    "gross_margin": 0.3, "retention": 0.7, "acquisition_cost": 100,
}  # fmt: skip

# Each change: (path reported by compare, function applying B's value to a mapping)
CHANGES = {
    "discount_rate": lambda m: m.__setitem__("discount_rate", 0.12),
    "segments[Mass market].wallet": lambda m: _seg(m, "Mass market").__setitem__("wallet", 1650),
    f"initiatives[{REDESIGN}].effects[*].churn_prevented": lambda m: _ini(m, REDESIGN)["effects"][
        "*"
    ].__setitem__("churn_prevented", 0.30),
    f"initiatives[{REDESIGN}].effects[Affluent].churn_prevented": lambda m: (
        _ini(m, REDESIGN)["effects"].setdefault("Affluent", {}).__setitem__("churn_prevented", 0.10)
    ),
    f"initiatives[{REDESIGN}].ramp": lambda m: _ini(m, REDESIGN).__setitem__("ramp", [0.6, 1.0]),
    "segments[Youth]": lambda m: m["segments"].append(copy.deepcopy(YOUTH)),
}


def _apply(paths) -> dict:
    m = bank()
    for p in paths:
        CHANGES[p](m)
    return m


def brute_force_shapley(players: list[str]) -> dict[str, float]:
    """Shapley values by the textbook formula, each coalition evaluated on its own."""
    n = len(players)
    value = {}
    for k in range(n + 1):
        for subset in itertools.combinations(players, k):
            value[frozenset(subset)] = evaluate(_apply(subset)).kpis["npv"]
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        total = 0.0
        for k in range(n):
            w = factorial(k) * factorial(n - k - 1) / factorial(n)
            for subset in itertools.combinations(others, k):
                s = frozenset(subset)
                total += w * (value[s | {p}] - value[s])
        out[p] = total
    return out


def test_split_equals_brute_force_shapley_and_sums_to_the_change():
    players = list(CHANGES)
    result = compare(bank(), _apply(players))
    expected = brute_force_shapley(players)
    assert result.grouped is False
    assert set(result.npv_change_by_field) == set(players)
    for p in players:
        assert result.npv_change_by_field[p] == pytest.approx(expected[p], rel=1e-9, abs=1e-4)
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(result.delta["npv"], rel=1e-10, abs=1e-4)
    assert result.delta["npv"] == pytest.approx(result.b["npv"] - result.a["npv"], rel=1e-12)


def test_one_change_takes_the_whole_npv_change():
    b = bank()
    b["discount_rate"] = 0.15
    result = compare(bank(), b)
    assert list(result.npv_change_by_field) == ["discount_rate"]
    direct = evaluate(b).kpis["npv"] - evaluate(bank()).kpis["npv"]
    assert result.npv_change_by_field["discount_rate"] == pytest.approx(direct, rel=1e-10)


def test_reversing_the_comparison_reverses_every_share():
    players = list(CHANGES)[:4] + ["segments[Youth]"]
    forward = compare(bank(), _apply(players)).npv_change_by_field
    backward = compare(_apply(players), bank()).npv_change_by_field
    assert set(forward) == set(backward)
    for p in forward:
        assert backward[p] == pytest.approx(-forward[p], rel=1e-9, abs=1e-4)


def test_same_base_values_are_no_change():
    """A distribution whose base equals the number, or a default written out, is no change."""
    b = bank()
    _seg(b, "Mass market")["poor_cx_churn_share"] = 0.66  # the default, written out
    _seg(b, "Mass market")["wallet"] = {"dist": "triangular", "low": 1000, "mode": 1500,
                                        "high": 2000}  # fmt: skip
    b["name"] = "Another name"
    result = compare(bank(), b)
    assert result.npv_change_by_field == {}
    assert result.changes == []


def test_removed_initiative_and_segment_are_single_players():
    b = bank()
    b["initiatives"] = [i for i in b["initiatives"] if i["name"] != OUTREACH]
    b["segments"] = [s for s in b["segments"] if s["name"] != "Affluent"]
    # the outreach targets Affluent only: its entry goes with the removed segment
    result = compare(bank(), b)
    assert set(result.npv_change_by_field) == {"segments[Affluent]", f"initiatives[{OUTREACH}]"}
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(result.delta["npv"], rel=1e-10, abs=1e-4)


def test_every_initiative_replaced():
    """Coalitions with no initiative (or no segment) at all are still evaluated."""
    b = bank()
    b["initiatives"] = [
        {"name": "Chatbot", "opex": 100000, "effects": {"*": {"cost_to_serve_change": -0.05}}}
    ]
    b["segments"] = [copy.deepcopy(YOUTH)]
    result = compare(bank(), b)
    assert len(result.npv_change_by_field) == 6
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(result.delta["npv"], rel=1e-10, abs=1e-4)


def test_shorter_horizon_drops_capex_years_beyond_it():
    a = bank()
    _ini(a, OUTREACH)["capex"] = {0: 500000, 5: 250000}
    b = copy.deepcopy(a)
    b["horizon_years"] = 3
    _ini(b, OUTREACH)["capex"] = {0: 500000, 2: 250000}
    result = compare(a, b)
    assert set(result.npv_change_by_field) == {"horizon_years", f"initiatives[{OUTREACH}].capex"}
    assert sum(result.npv_change_by_field.values()) == pytest.approx(
        result.delta["npv"], rel=1e-10, abs=1e-4
    )


def _many_changes() -> dict:
    b = bank()
    mm, aff = _seg(b, "Mass market"), _seg(b, "Affluent")
    for key, value in (("wallet", 1600), ("share_of_wallet", 0.32), ("gross_margin", 0.26),
                       ("acquisition_cost", 320), ("cost_to_serve", 40), ("referral_share", 0.12),
                       ("retention", 0.8)):  # fmt: skip
        mm[key] = value
    aff["wallet"] = 9500
    aff["cost_to_serve"] = 110
    b["discount_rate"] = 0.09
    b["risk"] = {"benefit_adjustment": 0.15, "cost_adjustment": 0.1}
    _ini(b, REDESIGN)["opex"] = 1100000
    _ini(b, OUTREACH)["effects"]["Affluent"]["churn_prevented"] = 0.35
    return b


def test_more_than_twelve_changes_are_grouped():
    b = _many_changes()
    result = compare(bank(), b)
    assert len(result.changes) > MAX_COMPARE_PLAYERS
    assert result.grouped is True
    assert set(result.npv_change_by_field) == {
        "discount_rate", "risk", "segments[Mass market]", "segments[Affluent]",
        f"initiatives[{REDESIGN}]", f"initiatives[{OUTREACH}]",
    }  # fmt: skip
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(result.delta["npv"], rel=1e-10, abs=1e-4)


def test_twelve_numeric_changes_match_brute_force_total():
    b = _many_changes()
    b["risk"] = bank()["risk"]  # 14 -> 12 changes
    _seg(b, "Affluent")["cost_to_serve"] = 120  # 11
    b["horizon_years"] = 4  # 12: a change of structure among numeric ones
    result = compare(bank(), b)
    assert len(result.changes) == 12 and result.grouped is False
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(evaluate(b).kpis["npv"] - evaluate(bank()).kpis["npv"], rel=1e-9)


def test_more_than_twelve_groups_is_null(tmp_path):
    a = bank()
    b = bank()
    for k in range(13):
        extra = copy.deepcopy(YOUTH)
        extra["name"] = f"Youth {k}"
        b["segments"].append(extra)
    result = compare(a, b)
    assert result.npv_change_by_field is None and result.grouped is True
    pa, pb = tmp_path / "a.yaml", tmp_path / "b.yaml"
    pa.write_text(yaml.safe_dump(a))
    pb.write_text(yaml.safe_dump(b))
    out = json.loads(_run_json(["compare", str(pa), str(pb), "--json"]))
    assert out["npv_change_by_field"] is None


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _run_json(argv, capsys=None):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(argv) == 0
    return buf.getvalue()


def test_cli_json_keys_and_values(tmp_path):
    b = _apply(list(CHANGES))
    pb = tmp_path / "b.yaml"
    pb.write_text(yaml.safe_dump(b))
    out = _strict(_run_json(["compare", str(BANK), str(pb), "--json"]))
    assert list(out) == ["a", "b", "delta", "npv_change_by_field", "grouped"]
    assert out["a"]["npv"] == pytest.approx(2469087.08, abs=0.01)
    assert set(out["a"]) == set(out["b"]) == set(out["delta"])
    assert {"npv", "pv_benefits", "pv_costs", "roi", "irr", "payback_years"} <= set(out["a"])
    assert out["grouped"] is False
    assert math.isclose(sum(out["npv_change_by_field"].values()), out["delta"]["npv"], rel_tol=1e-9)


def test_cli_text_is_a_bridge(tmp_path, capsys):
    b = bank()
    b["discount_rate"] = 0.12
    pb = tmp_path / "b.yaml"
    pb.write_text(yaml.safe_dump(b))
    assert cli.main(["compare", str(BANK), str(pb)]) == 0
    text = capsys.readouterr().out
    assert "NPV of A" in text and "NPV of B" in text
    assert "discount_rate" in text and "0.1 -> 0.12" in text


def test_cli_refuses_different_currencies(capsys):
    code = cli.main(["compare", str(BANK), str(ROOT / "scenarios" / "telecom.yaml")])
    assert code == 2
    err = capsys.readouterr().err
    assert "currency" in err and "USD" in err and "EUR" in err
    assert "Traceback" not in err


def test_cli_names_a_missing_file(capsys):
    assert cli.main(["compare", str(BANK), "no-such-file.yaml"]) == 2
    assert "no-such-file.yaml" in capsys.readouterr().err


def test_batch_writes_each_bridge_from_the_base(tmp_path):
    import pandas as pd

    folder = tmp_path / "in"
    folder.mkdir()
    b = bank()
    b["discount_rate"] = 0.12
    (folder / "v2.yaml").write_text(yaml.safe_dump(b))
    (folder / "same.yaml").write_text(BANK.read_text())
    out = tmp_path / "out"
    argv = ["batch", str(folder), "--out", str(out), "--no-notebooks", "--jobs", "1"]
    assert cli.main([*argv, "--base", str(BANK)]) == 0
    table = pd.read_csv(out / "bridges.csv").set_index("file")
    row = table.loc[str(folder / "v2.yaml")]
    direct = compare(BANK, b)
    assert row["npv_change"] == pytest.approx(direct.delta["npv"], rel=1e-12)
    assert row["change:discount_rate"] == pytest.approx(direct.delta["npv"], rel=1e-9)
    assert table.loc[str(folder / "same.yaml"), "npv_change"] == 0.0
    bridge = _strict((out / "v2" / "bridge.json").read_text())
    assert list(bridge) == ["a", "b", "delta", "npv_change_by_field", "grouped"]


def test_batch_refuses_a_bad_base_before_running(tmp_path, capsys):
    argv = ["batch", str(BANK), "--out", str(tmp_path / "o"), "--no-notebooks"]
    assert cli.main([*argv, "--base", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------------------------
# Properties on random pairs of scenarios
# --------------------------------------------------------------------------------------------
def _set_mm_churn(m: dict, x: float) -> None:
    _ini(m, REDESIGN)["effects"].setdefault("Mass market", {})["churn_prevented"] = x


#: Edits of B: name -> (setter, low, high); the drawn u in [0, 1] maps onto [low, high].
EDITS = {
    "discount_rate": (lambda m, x: m.__setitem__("discount_rate", x), 0.0, 0.3),
    "mm_wallet": (lambda m, x: _seg(m, "Mass market").__setitem__("wallet", x), 500, 3000),
    "aff_alpha": (lambda m, x: _seg(m, "Affluent")["retention"].__setitem__("alpha", x), 0.2, 2),
    "star_sow": (
        lambda m, x: _ini(m, REDESIGN)["effects"]["*"].__setitem__("share_of_wallet_lift", x),
        0.0,
        0.1,
    ),
    "mm_churn": (_set_mm_churn, 0.0, 0.5),
    "opex": (lambda m, x: _ini(m, OUTREACH).__setitem__("opex", x), 0, 600000),
    "ramp": (lambda m, x: _ini(m, REDESIGN).__setitem__("ramp", [x, 1.0]), 0, 1),
    "horizon": (lambda m, x: m.__setitem__("horizon_years", int(round(x))), 3, 7),
    "cost_adj": (lambda m, x: m["risk"].__setitem__("cost_adjustment", x), 0, 0.3),
}


@settings(max_examples=12)
@given(st.dictionaries(st.sampled_from(sorted(EDITS)), st.floats(0, 1), max_size=6))
def test_random_pairs_split_sums_to_the_change_and_reverses(edits):
    b = bank()
    for key, u in edits.items():
        setter, lo, hi = EDITS[key]
        setter(b, lo + (hi - lo) * u)
    forward = compare(bank(), b)
    total = sum(forward.npv_change_by_field.values())
    assert total == pytest.approx(forward.delta["npv"], rel=1e-9, abs=1e-3)
    backward = compare(b, bank()).npv_change_by_field
    for path, share in forward.npv_change_by_field.items():
        assert backward[path] == pytest.approx(-share, rel=1e-8, abs=1e-3)


# --------------------------------------------------------------------------------------------
# Version 2 fields: TEI lines, risk by lever, tenure mixes, inputs written with their evidence
# --------------------------------------------------------------------------------------------
SALESLOFT = ROOT / "scenarios" / "tei_salesloft.yaml"


def test_evidence_and_unquantified_benefits_are_not_changes():
    a = yaml.safe_load(SALESLOFT.read_text())
    b = copy.deepcopy(a)
    b["discount_rate"]["source"] = "a different citation of the same 10%"
    b["initiatives"][0]["unquantified"] = ["Happier sellers"]
    b["name"] = "Renamed"
    result = compare(a, b)
    assert result.changes == [] and result.npv_change_by_field == {}


def test_v2_changes_split_exactly():
    a = yaml.safe_load(SALESLOFT.read_text())
    b = copy.deepcopy(a)
    b["initiatives"][0]["benefit_lines"][0]["risk"] = 0.1
    b["initiatives"][0]["cost_lines"][0]["amount"]["value"][0] = 60000
    b["risk"] = {"benefit_adjustment": {"retention": 0.1, "default": 0.05}, "cost_adjustment": 0.1}
    b["initiatives"].append(
        {"name": "Chat", "opex": 1000, "effects": {"*": {"churn_prevented": 0.2}}}
    )
    result = compare(a, b)
    ini = "initiatives[SalesLoft]"
    assert set(result.npv_change_by_field) == {
        "risk.benefit_adjustment", "risk.cost_adjustment", f"{ini}.benefit_lines",
        f"{ini}.cost_lines", "initiatives[Chat]",
    }  # fmt: skip
    total = sum(result.npv_change_by_field.values())
    assert total == pytest.approx(result.delta["npv"], rel=1e-10, abs=1e-4)


def test_tenure_mix_and_customer_equity():
    b = bank()
    _seg(b, "Affluent")["retention"]["tenure"] = {2: 0.5, 6: 0.5}
    _seg(b, "Mass market")["wallet"] = {"value": 1600, "source": "2025 wallet study"}
    result = compare(bank(), b)
    assert set(result.npv_change_by_field) == {
        "segments[Affluent].retention", "segments[Mass market].wallet",
    }  # fmt: skip
    assert sum(result.npv_change_by_field.values()) == pytest.approx(result.delta["npv"], rel=1e-10)
    case_a, case_b = evaluate(bank()), evaluate(b)
    for key in ("customer_equity", "npv_with_customer_equity"):
        assert result.a[key] == pytest.approx(case_a.kpis[key], rel=1e-12)
        assert result.delta[key] == pytest.approx(case_b.kpis[key] - case_a.kpis[key], rel=1e-9)
