"""Benchmark of the Monte Carlo simulation (issue: uncertainty).

Prints, for N draws (default 100,000) of the uncertain worked example (7 distributed fields):
seconds, draws per second, peak memory of the simulation (tracemalloc, numpy buffers
included) and the process's peak resident memory, and the ratio against a plain loop of single
evaluations (``cxroi.evaluate`` per draw). The loop is timed on a sample of draws and scaled
up, since running it 100,000 times takes minutes; the sample size is printed.

Run: ``.venv/bin/python benchmarks/monte_carlo.py [--draws 100000] [--loop-sample 300]``.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

import cxroi
from cxroi.uncertainty import simulate

ROOT = Path(__file__).resolve().parents[1]
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"


def _set(mapping: dict, path: str, value: float) -> dict:
    """Write one drawn value into a plain scenario mapping (for the loop baseline)."""
    import copy

    out = copy.deepcopy(mapping)
    node = out
    parts = path.replace("]", "").split(".")
    for i, part in enumerate(parts):
        if "[" in part:
            key, name = part.split("[")
            items = node[key]
            node = (
                next(x for x in items if x["name"] == name)
                if isinstance(items, list)
                else (items.setdefault(name, {}))
            )
        elif i == len(parts) - 1:
            node[part] = value
        else:
            node = node.setdefault(part, {})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--loop-sample", type=int, default=300)
    args = parser.parse_args()
    sc = cxroi.load_scenario(UNCERTAIN)
    simulate(sc, draws=1_000, seed=0)  # warm imports

    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = simulate(sc, draws=args.draws, seed=1)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    simulate(sc, draws=args.draws, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"scenario: {UNCERTAIN.name}, {len(sc.distributions())} uncertain fields")
    print(f"{args.draws:,} draws: {best:.3f} s (best of 3), {args.draws / best:,.0f} draws/s")
    print(f"peak memory of one simulation: {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")
    print(f"P(NPV > 0) = {result.summary['prob_npv_positive']:.3f}")

    mapping = sc.to_mapping()
    paths = list(sc.distributions())
    k = min(args.loop_sample, args.draws)
    start = time.perf_counter()
    for i in range(k):
        single = mapping
        for path in paths:
            single = _set(single, path, float(result.draws[path].iat[i]))
        cxroi.evaluate(single)
    per_draw = (time.perf_counter() - start) / k
    print(
        f"plain loop of single evaluations: {per_draw * 1e3:.2f} ms per draw "
        f"(timed on {k} draws) -> {per_draw * args.draws:.0f} s for {args.draws:,}"
    )
    print(f"vectorised speed-up: {per_draw * args.draws / best:,.0f}x")


if __name__ == "__main__":
    main()
