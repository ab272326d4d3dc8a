"""The live workbook recalculated by a real spreadsheet engine (LibreOffice Calc, headless).

Every bundled scenario and a set of random ones is written as a workbook; copies get inputs
changed in their ``Inputs`` sheet with openpyxl (retention, an effect, the discount rate, a
cost), which drops every cached value. One ``soffice`` call recalculates them all on load
(tests/spreadsheets.py), and each KPI cell must equal cxroi's own figure for the scenario as
written or as changed, to 1e-6 relative.

Runs wherever ``soffice`` exists; skipped without it, except under CI, where it fails.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import cxroi
from cxroi.outputs.workbook import KPI_NAMES, write_workbook
from tests.conftest import ON_CI
from tests.spreadsheets import SOFFICE, named_values, recalculate, set_inputs, set_path

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _require_soffice() -> None:
    if SOFFICE is None:
        if ON_CI:
            pytest.fail("soffice (LibreOffice) is required under CI: apt-get install "
                        "libreoffice-calc-nogui")
        pytest.skip("soffice (LibreOffice) is not installed")


def random_scenario(rng: np.random.Generator, n: int) -> dict:
    """A random valid scenario: 1-3 segments (some sBG), 1-3 initiatives, horizon 1-12."""
    H = int(rng.integers(1, 13))
    segments = []
    for s in range(int(rng.integers(1, 4))):
        seg = {
            "name": f"Seg {s}",
            "customers": float(rng.uniform(1e3, 1e6)),
            "wallet": float(rng.uniform(50, 5000)),
            "share_of_wallet": float(rng.uniform(0.05, 0.9)),
            "gross_margin": float(rng.uniform(0.1, 0.8)),
            "acquisition_cost": float(rng.uniform(0, 800)),
            "cost_to_serve": float(rng.uniform(0, 200)),
            "referral_share": float(rng.uniform(0, 0.3)),
            "acquisition": "replace" if rng.random() < 0.3 else "fixed",
        }
        if rng.random() < 0.4:
            seg["retention"] = {
                "alpha": float(rng.uniform(0.3, 3)),
                "beta": float(rng.uniform(0.5, 8)),
                "tenure": int(rng.integers(0, 6)),
            }
        else:
            seg["retention"] = float(rng.uniform(0.5, 0.97))
        if rng.random() < 0.3 and seg["acquisition"] == "fixed":
            seg["new_customers_per_year"] = float(rng.uniform(0, 5e4))
        if rng.random() < 0.3:
            seg["poor_cx_churn_share"] = float(rng.uniform(0.2, 0.9))
        segments.append(seg)
    initiatives = []
    for i in range(int(rng.integers(1, 4))):
        effects = {"*": {"churn_prevented": float(rng.uniform(0, 0.5)),
                         "share_of_wallet_lift": float(rng.uniform(-0.05, 0.2))}}
        if rng.random() < 0.5:
            effects[segments[0]["name"]] = {
                "referral_lift": float(rng.uniform(-0.05, 0.1)),
                "cost_to_serve_change": float(rng.uniform(-0.3, 0.2)),
            }
        ini = {
            "name": f"Init {i}",
            "capex": (
                {int(t): float(rng.uniform(0, 5e6)) for t in rng.choice(H + 1, 2, replace=False)}
                if rng.random() < 0.4 and H >= 1
                else float(rng.uniform(0, 1e7))
            ),
            "opex": (
                [float(rng.uniform(0, 2e6)) for _ in range(int(rng.integers(1, 4)))]
                if rng.random() < 0.4
                else float(rng.uniform(0, 2e6))
            ),
            "ramp": [float(x) for x in np.sort(rng.uniform(0, 1, int(rng.integers(1, 4))))],
            "effects": effects,
        }
        initiatives.append(ini)
    return {
        "name": f"Random {n}",
        "horizon_years": H,
        "discount_rate": float(rng.uniform(-0.02, 0.25)),
        "segments": segments,
        "initiatives": initiatives,
        "risk": {"benefit_adjustment": float(rng.uniform(0, 0.4)),
                 "cost_adjustment": float(rng.uniform(0, 0.3))},
    }


def _changes(data: dict) -> dict[str, float]:
    """Inputs to change: a retention, effects ("*" and one segment's), the discount rate, opex."""
    sc = cxroi.load_scenario(copy.deepcopy(data))
    seg = sc.segments[-1]
    rate = float(cxroi.model.scenario.base_value(sc.discount_rate))
    out: dict[str, float] = {"discount_rate": rate + 0.031}
    if seg.is_sbg:
        out[f"segments[{seg.name}].retention.alpha"] = float(seg.retention.alpha) * 1.3
    else:
        out[f"segments[{seg.name}].retention"] = min(0.99, float(seg.retention) + 0.04)
    ini = sc.initiatives[0]
    out[f"initiatives[{ini.name}].effects[*].churn_prevented"] = 0.37
    # a segment's own effect, given or (a formula over "*") not given in the scenario
    out[f"initiatives[{ini.name}].effects[{sc.segments[0].name}].share_of_wallet_lift"] = 0.045
    if not isinstance(ini.opex, list):
        out[f"initiatives[{ini.name}].opex"] = float(ini.opex) * 0.8 + 1000
    return out


#: A scenario with every v2 feature (docs/model.md §11-§14, §18): TEI lines with and without
#: their own risk (number, list and mapping amounts), a by-lever benefit adjustment, a tenure
#: mix, evidence on an input. Used where the installed cxroi reads v2 scenarios.
V2_SCENARIO = {
    "name": "V2 features",
    "horizon_years": 6,
    "discount_rate": {"value": 0.09, "source": "Treasury hurdle rate memo"},
    "segments": [
        {"name": "Retail", "customers": 100000, "wallet": 1200, "share_of_wallet": 0.3,
         "gross_margin": 0.3, "acquisition_cost": 200, "cost_to_serve": 40,
         "retention": {"alpha": 0.8, "beta": 3.2, "tenure": {0: 0.3, 2: 0.5, 6: 0.2}}},
        {"name": "SME", "customers": 5000, "wallet": 8000, "share_of_wallet": 0.2,
         "gross_margin": 0.4, "retention": 0.85, "acquisition_cost": 900,
         "acquisition": "replace"},
    ],
    "initiatives": [
        {"name": "App", "capex": 2000000, "opex": [300000, 250000], "ramp": [0.5, 1],
         "effects": {"*": {"churn_prevented": 0.2, "share_of_wallet_lift": 0.03,
                           "cost_to_serve_change": -0.1}},
         "benefit_lines": [{"name": "Agent productivity", "amount": 400000, "risk": 0.2},
                           {"name": "Retired IT", "amount": {1: 100000, 3: 150000}}],
         "cost_lines": [{"name": "Training", "amount": [120000, 60000, 0]}]},
        {"name": "Outreach", "capex": {0: 300000, 1: 100000},
         "effects": {"SME": {"churn_prevented": 0.3, "referral_lift": 0.05}}},
    ],
    "risk": {"benefit_adjustment": {"retention": 0.2, "wallet": 0.1, "lines": 0.15,
                                    "default": 0.05},
             "cost_adjustment": 0.1},
}  # fmt: skip


def _reads_v2() -> bool:
    from cxroi.model.scenario import Initiative

    return "benefit_lines" in Initiative.model_fields


def _v2_cases() -> list[tuple[str, dict, dict[str, float]]]:
    """The v2 scenario by lever (its Shapley split is a value: change risk, lines, rate) and
    with one number for the benefit risk (change retention, mix, an effect and lines too)."""
    by_lever = copy.deepcopy(V2_SCENARIO)
    number = copy.deepcopy(V2_SCENARIO)
    number["risk"]["benefit_adjustment"] = 0.12
    lines = "initiatives[App].benefit_lines"
    common = {
        "discount_rate": 0.115,
        f"{lines}[Agent productivity].amount": 520000,
        f"{lines}[Retired IT].risk": 0.3,
        f"{lines}[Retired IT].amount[3]": 90000,
        "initiatives[App].cost_lines[Training].amount[2]": 75000,
        "initiatives[App].cost_lines[Training].risk": 0.25,
    }
    return [
        ("v2-by-lever", by_lever, {}),
        ("v2-by-lever-changed", by_lever, {
            **common,
            "risk.benefit_adjustment.retention": 0.3,
            "risk.benefit_adjustment.lines": 0.05,
            "risk.benefit_adjustment.default": 0.08,
        }),
        ("v2-number", number, {}),
        ("v2-number-changed", number, {
            **common,
            "risk.benefit_adjustment": 0.18,
            "segments[Retail].retention.alpha": 1.1,
            "segments[Retail].retention.tenure[0]": 0.25,
            "segments[Retail].retention.tenure[2]": 0.55,
            "segments[SME].retention": 0.8,
            "initiatives[App].effects[*].churn_prevented": 0.33,
        }),
    ]  # fmt: skip


def _close(a, b, rel: float = 1e-6, scale: float = 1.0) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9 * max(1.0, scale))


def _check(
    path: Path, expected: cxroi.BusinessCase, label: str, changed: bool = False
) -> list[str]:
    """KPI cells against cxroi. The workbook sums an sBG segment's residual-value series over
    EQUITY_TERMS terms and a geometric tail, within 1e-9 from a 0.1% discount rate; below that
    (and at or above 0) customer equity is not checked."""
    got = named_values(path)
    scale = max(abs(x) for x in expected.cashflow[["benefits", "costs"]].to_numpy().ravel())
    bad = []
    d = float(cxroi.model.scenario.base_value(expected.scenario.discount_rate))
    slow_series = 0 <= d < 0.001 and any(seg.is_sbg for seg in expected.scenario.segments)
    live_equity = not slow_series
    extra = [k for k in ("customer_equity", "npv_with_customer_equity") if k in expected.kpis]
    extra = extra if live_equity else []
    for key in (*KPI_NAMES, *extra):
        for name, want in ((key, expected.kpis[key]), (f"{key}_unadjusted",
                                                       expected.unadjusted[key])):
            s = scale if key in ("npv", "pv_benefits", "pv_costs") else 1.0
            if key in ("roi",) and want is not None:
                s = 1.0
            if not _close(got[name], want, scale=s):
                bad.append(f"{label}: {name} = {got[name]!r}, cxroi {want!r}")
    return bad


def test_libreoffice_recalculation_equals_cxroi(tmp_path):
    _require_soffice()
    rng = np.random.default_rng(20261206)
    cases: list[tuple[str, dict, dict[str, float]]] = []
    for path in BUNDLED:
        data = yaml.safe_load(path.read_text())
        cases.append((path.stem, data, {}))
        cases.append((path.stem + "-changed", data, _changes(data)))
    for n in range(8):
        data = random_scenario(rng, n)
        cases.append((f"random{n}", data, {}))
        cases.append((f"random{n}-changed", data, _changes(data)))
    if _reads_v2():
        cases += _v2_cases()
    files, expected = [], []
    src = tmp_path / "src"
    src.mkdir()
    for label, data, changes in cases:
        book = src / f"{label}.xlsx"
        write_workbook(copy.deepcopy(data), book)
        if changes:
            set_inputs(book, changes, book)  # openpyxl drops every cached value
            changed = copy.deepcopy(data)
            for p, v in changes.items():
                set_path(changed, p, v)
            expected.append(cxroi.evaluate(changed))
        else:
            expected.append(cxroi.evaluate(copy.deepcopy(data)))
        files.append(book)
    out = recalculate(files, tmp_path / "recalculated")
    bad = []
    for (label, _, changes), path, case in zip(cases, out, expected, strict=True):
        bad += _check(path, case, label, changed=bool(changes))
        if changes:
            assert named_values(path)["npv"] is not None, label
    assert not bad, "\n".join(bad)
