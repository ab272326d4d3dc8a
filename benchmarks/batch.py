"""Benchmark of scenario batches (issue: finance scenario batches).

Prints:
- 20 scenarios with notebooks (papermill report + HTML) at ``--jobs 1`` and ``--jobs 2``:
  wall seconds, seconds per scenario, and seconds per scenario per core (wall x jobs / n; the
  target is <= 3 s on this 2-core machine). Kernel start-up and warm-up are included;
- 2,000 scenarios with ``--no-notebooks`` (summary.csv, summary.xlsx and manifest included):
  scenarios per second (target >= 200);
- the share of one scenario's evaluation spent on its plausibility warnings (a ratio, so it
  holds under any load);
- the time to write the workbooks of 200 scenarios: 200 live driver workbooks
  (:mod:`cxroi.outputs.workbook`) and the summary workbook, beside the figure of the
  hand-written XML writer it replaced (one ``summary.xlsx`` with a cash-flow and an
  assumptions sheet per scenario), measured on this machine before it was removed.

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


#: The hand-written XML writer it replaced (removed): 200 scenarios' cash-flow and
#: assumption sheets in one summary.xlsx, best of 3, measured 2026-12-06 on the 2-core machine.
#: It wrote values and a few dozen formulas per scenario, no driver lines, no cached values.
OLD_WRITER_SECONDS_200 = 0.224


def workbook_times(n: int = 200) -> dict[str, float]:
    """Seconds to write ``n`` scenarios' live workbooks and the batch summary workbook.

    The cases are evaluated first (a batch worker has its case already), so the figures are
    the writing alone: ``live`` (CPU) and ``live_wall`` for the ``n`` live workbooks, best of
    3; ``summary`` (CPU) for ``summary.xlsx``.
    """
    import cxroi
    from cxroi.outputs.batch import summary_table
    from cxroi.outputs.workbook import workbook_bytes, write_summary_workbook

    with tempfile.TemporaryDirectory(prefix="cxroi-bench-wb-") as tmp:
        tmp = Path(tmp)
        src = make_scenarios(tmp / "s", n)
        result = run_batch([src], tmp / "o", notebooks=False, progress=False, workbooks=False)
        cases = [cxroi.evaluate(p) for p in sorted(src.glob("*.yaml"))]
        workbook_bytes(cases[0])  # imports
        best_cpu = best_wall = float("inf")
        for _ in range(3):
            t0, w0 = time.process_time(), time.perf_counter()
            for case in cases:
                workbook_bytes(case)
            best_cpu = min(best_cpu, time.process_time() - t0)
            best_wall = min(best_wall, time.perf_counter() - w0)
        t0 = time.process_time()
        columns, rows = summary_table(result.records)
        write_summary_workbook(tmp / "summary.xlsx", columns, rows, result.records)
        summary = time.process_time() - t0
    return {"live": best_cpu, "live_wall": best_wall, "summary": summary}


def print_workbook_times(n: int) -> None:
    """Print the live workbooks' writing time beside the old static writer's, and the ratio."""
    load = os.getloadavg()
    times = workbook_times(n)
    live, old = times["live"], OLD_WRITER_SECONDS_200 * n / 200
    print(
        f"workbooks, {n} scenarios (best of 3; load average {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f}):\n"
        f"  live driver workbooks: {live:.2f} s CPU ({times['live_wall']:.2f} s wall) for {n}, "
        f"{1000 * live / n:.1f} ms CPU each\n"
        f"  old static summary (the removed XML writer, measured before it was removed): "
        f"{old:.3f} s for {n}, {1000 * old / n:.2f} ms each\n"
        f"  ratio live / old static: {live / old:.1f}x (goal: 1x; a live workbook writes "
        "700-2,000 cells per scenario, hundreds of them formulas with cached values, where the "
        "old one wrote a few dozen)\n"
        f"  summary.xlsx: {times['summary']:.2f} s CPU; in a batch the live workbooks are "
        "written by the workers, in parallel"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=20, help="scenarios with notebooks")
    parser.add_argument("--summary-only", type=int, default=2000, help="scenarios without")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="jobs to time")
    parser.add_argument("--workbooks", type=int, default=200, help="scenarios for workbook time")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores}")
    share = plausibility_share()
    print(f"plausibility warnings: {100 * share:.1f} % of the time of evaluating a scenario")
    if args.workbooks:
        print_workbook_times(args.workbooks)
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
            seconds, cpu, _ = timed_batch(src, tmp / "out-fast", notebooks=False, workbooks=False)
            print(
                f"--no-notebooks --no-workbooks, {n} scenarios, --jobs {cores}: "
                f"{seconds:.1f} s wall, "
                f"{n / seconds:.0f} scenarios per second (target >= 200); CPU "
                f"{1000 * cpu / n:.1f} ms per scenario, i.e. {n * cores / cpu:.0f} per second "
                f"on {cores} otherwise idle cores"
            )
            again = dict(notebooks=False, workbooks=False)
            seconds, _, counts = timed_batch(src, tmp / "out-fast", **again)
            print(
                f"--no-notebooks re-run, all {counts['reused']} unchanged: {seconds:.1f} s wall, "
                f"{n / seconds:.0f} scenarios per second"
            )
            seconds, cpu, _ = timed_batch(src, tmp / "out-wb", notebooks=False)
            print(
                f"--no-notebooks with a live workbook per scenario, {n} scenarios: "
                f"{seconds:.1f} s wall, {n / seconds:.0f} scenarios per second; CPU "
                f"{1000 * cpu / n:.1f} ms per scenario"
            )


if __name__ == "__main__":
    main()
