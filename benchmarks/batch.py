"""Benchmark of scenario batches (issue: finance scenario batches).

Prints:
- 20 scenarios with notebooks (papermill report + HTML) at ``--jobs 1`` and ``--jobs 2``:
  wall seconds, seconds per scenario, and seconds per scenario per core (wall x jobs / n; the
  target is <= 3 s on this 2-core machine). Kernel start-up and warm-up are included;
- 2,000 scenarios with ``--no-notebooks`` (summary.csv, summary.xlsx and manifest included):
  scenarios per second (target >= 200);
- the share of one scenario's evaluation spent on its plausibility warnings (a ratio, so it
  holds under any load).

The scenarios are variants of the bundled ones (each with its own name and discount rate),
written to a temporary folder. Every run starts from an empty output folder.

CPU seconds (this process and its children) are printed too: on a shared machine the wall time
depends on the other load, the CPU time much less.

Run: ``.venv/bin/python benchmarks/batch.py [--notebooks 20] [--summary-only 2000]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import yaml

from cxroi.outputs.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def make_scenarios(folder: Path, n: int) -> Path:
    """Write ``n`` variants of the bundled scenarios into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    bases = [yaml.safe_load(p.read_text()) for p in BUNDLED]
    for i in range(n):
        data = dict(bases[i % len(bases)])
        data["name"] = f"{data['name']} #{i:05d}"
        data["discount_rate"] = round(0.06 + 0.08 * (i % 17) / 16, 4)
        (folder / f"s{i:05d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers and their kernels, once reaped
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed_batch(scenarios: Path, out: Path, **kwargs) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (this process and its children) and counts of one batch."""
    cpu0, start = _cpu(), time.perf_counter()
    result = run_batch([scenarios], out, progress=False, **kwargs)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu0
    counts = result.counts()
    if counts["failed"]:
        raise SystemExit(f"benchmark batch had failures: {result.failed[0]['error']}")
    return seconds, cpu, counts


def plausibility_share(repeat: int = 200) -> float:
    """Time of ``plausibility_warnings`` over the time of ``evaluate``, bundled scenarios."""
    import cxroi
    from cxroi.model.plausibility import plausibility_warnings

    scenarios = [cxroi.load_scenario(p) for p in BUNDLED]
    for sc in scenarios:  # warm caches and imports
        plausibility_warnings(sc)
        cxroi.evaluate(sc)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for sc in scenarios:
            plausibility_warnings(sc)
    checks = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(max(1, repeat // 10)):
        for sc in scenarios:
            cxroi.evaluate(sc)
    evaluations = (time.perf_counter() - t0) * repeat / max(1, repeat // 10)
    return checks / evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=20, help="scenarios with notebooks")
    parser.add_argument("--summary-only", type=int, default=2000, help="scenarios without")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="jobs to time")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores}")
    share = plausibility_share()
    print(f"plausibility warnings: {100 * share:.1f} % of the time of evaluating a scenario")
    with tempfile.TemporaryDirectory(prefix="cxroi-bench-") as tmp:
        tmp = Path(tmp)
        if args.notebooks:
            src = make_scenarios(tmp / "nb", args.notebooks)
            for jobs in args.jobs:
                seconds, cpu, _ = timed_batch(src, tmp / f"out-nb-{jobs}", jobs=jobs)
                n = args.notebooks
                print(
                    f"with notebooks, {n} scenarios, --jobs {jobs}: {seconds:.1f} s wall, "
                    f"{seconds / n:.2f} s per scenario, "
                    f"{seconds * jobs / n:.2f} s per scenario per core (target <= 3); "
                    f"CPU {cpu / n:.2f} s per scenario"
                )
        if args.summary_only:
            n = args.summary_only
            src = make_scenarios(tmp / "fast", n)
            seconds, cpu, _ = timed_batch(src, tmp / "out-fast", notebooks=False)
            print(
                f"--no-notebooks, {n} scenarios, --jobs {cores}: {seconds:.1f} s wall, "
                f"{n / seconds:.0f} scenarios per second (target >= 200); CPU "
                f"{1000 * cpu / n:.1f} ms per scenario, i.e. {n * cores / cpu:.0f} per second "
                f"on {cores} otherwise idle cores"
            )
            seconds, _, counts = timed_batch(src, tmp / "out-fast", notebooks=False)
            print(
                f"--no-notebooks re-run, all {counts['reused']} unchanged: {seconds:.1f} s wall, "
                f"{n / seconds:.0f} scenarios per second"
            )


if __name__ == "__main__":
    main()
