"""Benchmark of the economics engine (issue: foundation).

Prints:
- the time of one full evaluation of the worked example, both Shapley attributions included
  (median of repeated runs, scenario already loaded, and with YAML loading);
- N variants of the worked example (random values of 6 fields) evaluated in one vectorised
  engine call, against N single calls of the same engine, as a ratio;
- the cost of version 2's extras per evaluation (docs/model.md §12-§14): the by-lever risk
  adjustment (one evaluation, and per Monte Carlo draw in a vectorised batch), customer
  equity (the residual value of every cohort after the horizon) and a tenure mix.

Run: ``.venv/bin/python benchmarks/engine.py [--variants 10000]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import cxroi
from cxroi.engine import project as engine
from cxroi.engine.case import case_kpis
from cxroi.engine.project import compile_scenario

ROOT = Path(__file__).resolve().parents[1]
WORKED = ROOT / "scenarios" / "retail_bank.yaml"
FIELDS = {
    "discount_rate": (0.06, 0.14),
    "segments[Mass market].retention": (0.75, 0.90),
    "segments[Affluent].wallet": (7000, 11000),
    "initiatives[Omnichannel service redesign].effects[*].churn_prevented": (0.1, 0.4),
    "initiatives[Omnichannel service redesign].opex": (900_000, 1_500_000),
    "risk.benefit_adjustment": (0.0, 0.3),
}


def _timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    args = parser.parse_args()
    n = args.variants

    sc = cxroi.load_scenario(WORKED)
    cxroi.evaluate(sc)  # warm caches and imports
    full = _timed(lambda: cxroi.evaluate(sc), 50)
    with_load = _timed(lambda: cxroi.evaluate(WORKED), 20)
    print(f"one full evaluation (both attributions): {full * 1e3:.2f} ms")
    print(f"  ... including reading and validating the YAML: {with_load * 1e3:.2f} ms")

    rng = np.random.default_rng(0)
    values = {p: rng.uniform(lo, hi, n) for p, (lo, hi) in FIELDS.items()}

    start = time.perf_counter()
    batch = case_kpis(compile_scenario(sc, values))["adjusted"]["npv"]
    vectorised = time.perf_counter() - start

    start = time.perf_counter()
    single = np.empty(n)
    for i in range(n):
        one = {p: v[i] for p, v in values.items()}
        single[i] = case_kpis(compile_scenario(sc, one))["adjusted"]["npv"]
    loop = time.perf_counter() - start

    assert np.allclose(batch, single, rtol=1e-12), "vectorised and single calls disagree"
    print(f"{n:,} variants, one vectorised call: {vectorised:.3f} s ({n / vectorised:,.0f}/s)")
    print(f"{n:,} variants, {n:,} single calls:   {loop:.3f} s ({n / loop:,.0f}/s)")
    print(f"speed-up of the vectorised call: {loop / vectorised:.0f}x (same NPVs to 1e-12)")


def v2_costs(n: int) -> None:
    """Print what the by-lever risk, customer equity and a tenure mix cost per evaluation."""
    import yaml

    mapping = yaml.safe_load(WORKED.read_text())
    number = cxroi.load_scenario(mapping)
    by_lever = dict(mapping, risk={"benefit_adjustment": {"retention": 0.2, "wallet": 0.1,
                                                          "default": 0.05},
                                   "cost_adjustment": 0.05})  # fmt: skip
    lever_sc = cxroi.load_scenario(by_lever)
    cxroi.evaluate(lever_sc)
    t_num = _timed(lambda: cxroi.evaluate(number), 30)
    t_map = _timed(lambda: cxroi.evaluate(lever_sc), 30)
    print(f"by-lever risk, one full evaluation: {t_map * 1e3:.2f} ms against {t_num * 1e3:.2f} ms "
          f"with one number ({t_map / t_num:.1f}x)")  # fmt: skip

    rng = np.random.default_rng(1)
    overrides = {"segments[Mass market].retention": rng.uniform(0.75, 0.9, n)}
    p_num = compile_scenario(number, overrides)
    p_map = compile_scenario(lever_sc, overrides)
    a = _timed(lambda: case_kpis(p_num, with_irr=False, with_unadjusted=False), 3)
    b = _timed(lambda: case_kpis(p_map, with_irr=False, with_unadjusted=False), 3)
    print(
        f"by-lever risk, {n:,} draws in one call: {b:.3f} s against {a:.3f} s "
        f"({b / a:.1f}x: 16 lever coalitions projected instead of 2; "
        f"{b / n * 1e6:.1f} us per draw)"
    )

    p = compile_scenario(number)
    proj = case_kpis(p)["projection"]
    t_eq = _timed(lambda: engine.customer_equity(p, proj), 50)
    print(
        f"customer equity per evaluation: {t_eq * 1e3:.3f} ms "
        f"({t_eq / t_num:.1%} of one full evaluation)"
    )

    mixed = dict(mapping)
    mixed["segments"] = [dict(s) for s in mapping["segments"]]
    mixed["segments"][1]["retention"] = dict(mixed["segments"][1]["retention"],
                                             tenure={0: 0.5, 8: 0.5})  # fmt: skip
    mix_sc = cxroi.load_scenario(mixed)
    t_mix = _timed(lambda: cxroi.evaluate(mix_sc), 30)
    print(f"tenure mix (2 parts), one full evaluation: {t_mix * 1e3:.2f} ms ({t_mix / t_num:.2f}x)")


if __name__ == "__main__":
    main()
    v2_costs(20_000)
