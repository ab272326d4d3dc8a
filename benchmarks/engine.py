"""Benchmark of the economics engine (issue: foundation).

Prints:
- the time of one full evaluation of the worked example, both Shapley attributions included
  (median of repeated runs, scenario already loaded, and with YAML loading);
- N variants of the worked example (random values of 6 fields) evaluated in one vectorised
  engine call, against N single calls of the same engine, as a ratio.

Run: ``.venv/bin/python benchmarks/engine.py [--variants 10000]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import cxroi
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


if __name__ == "__main__":
    main()
