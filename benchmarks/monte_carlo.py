"""Benchmark of the Monte Carlo simulation (issue: uncertainty).

Prints, for N draws (default 100,000) of the uncertain worked example (7 distributed fields):
seconds, draws per second, peak memory of the simulation (tracemalloc, numpy buffers
included) and the process's peak resident memory, and the ratio against a plain loop of single
evaluations (``cxroi.evaluate`` per draw). The loop is timed on a sample of draws and scaled
up, since running it 100,000 times takes minutes; the sample size is printed.

Then, each in a fresh subprocess, the peak memory of one simulation at 1e6 and 1e7 draws
(tracemalloc peak during the call, and the process's peak RSS) and their ratio: memory is flat
in the draw count (the draws are made and evaluated in chunks and only what the summary needs
is kept), so the ratio stays near 1 while the draws grow tenfold.

Run: ``.venv/bin/python benchmarks/monte_carlo.py [--draws 100000] [--loop-sample 300]
[--memory-draws 1000000 10000000]`` (``--memory-draws`` with no value skips that part).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import cxroi
from cxroi.analysis.uncertainty import simulate

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


_MEMORY_PROBE = """
import json, resource, sys, time, tracemalloc
from cxroi.analysis.uncertainty import simulate
path, draws = sys.argv[1], int(sys.argv[2])
simulate(path, draws=1_000, seed=0)  # imports and caches first
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
result = simulate(path, draws=draws, seed=1, keep_draws=False)
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak": peak, "rss": after * 1024, "rss_before": before * 1024,
                  "seconds": seconds, "p50": result.summary["npv"]["p50"]}))
"""


def memory_at(draws: int) -> dict:
    """Peak memory of one ``simulate(..., keep_draws=False)`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(UNCERTAIN), str(draws)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def memory_table(counts: list[int]) -> None:
    """Print peak memory at each draw count and the ratio of the last to the first."""
    rows = [(n, memory_at(n)) for n in counts]
    for n, m in rows:
        print(
            f"{n:>12,} draws: tracemalloc peak {m['peak'] / 2**20:7.1f} MiB, peak RSS "
            f"{m['rss'] / 2**20:6.0f} MiB (after imports {m['rss_before'] / 2**20:.0f} MiB), "
            f"{m['seconds']:.1f} s, NPV P50 {m['p50']:,.0f}"
        )
    if len(rows) > 1:
        (n0, m0), (n1, m1) = rows[0], rows[-1]
        print(
            f"memory ratio {n1:,} / {n0:,} draws ({n1 / n0:g}x the draws): tracemalloc peak "
            f"{m1['peak'] / m0['peak']:.2f}x, peak RSS {m1['rss'] / m0['rss']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--memory-draws", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--memory-only", action="store_true", help="only the memory part")
    args = parser.parse_args()
    if args.memory_only:
        memory_table(args.memory_draws)
        return
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
    if args.memory_draws:
        memory_table(args.memory_draws)


if __name__ == "__main__":
    main()
