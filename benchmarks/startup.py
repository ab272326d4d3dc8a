"""Start-up cost of cxroi, measured in fresh interpreters (issue 11, point 4).

Prints, each as the median wall time of ``--repeat`` (default 5) fresh subprocesses, run in
interleaved rounds after one untimed warm-up run each:

- ``baseline``: ``python -c "import numpy, pydantic, yaml"``, the floor any cxroi command pays;
- ``run``: ``cxroi run --json scenarios/default.yaml`` (start, load, evaluate, print);
- ``dashboard``: ``python -c "import cxroi.app.dashboard"`` (what a dashboard kernel imports);
- ``render``: a cold dashboard kernel's whole share of the first render: import, then build
  :class:`cxroi.app.Dashboard` on the scenario with its KPI cards and chart specs (goal < 5 s;
  ``benchmarks/dashboard.py`` times the same render in Chromium, server and browser included);

then the ratios run / baseline (issue 11 goal: within 3x) and dashboard / baseline, and the
modules with the largest cumulative import time when ``cxroi run`` starts (``python -X
importtime``, one extra run). Ratios are the figures to compare across machines; the absolute
times depend on the machine and its load, which is printed too.

Run: ``.venv/bin/python benchmarks/startup.py [--repeat 5] [--top 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "default.yaml"

# ``python -m cxroi.cli`` would import cxroi.cli as __main__ and skip the console script's
# own path; calling ``main`` the way the entry point does keeps the import graph identical.
RUN_CODE = "import sys; from cxroi.cli import main; sys.exit(main())"
# What the dashboard notebook's kernel does before the page can show anything.
RENDER_CODE = (
    "import sys; from cxroi.app import Dashboard; "
    "Dashboard.from_path(sys.argv[1])  # builds the widgets and renders the case"
)


def _env() -> dict[str, str]:
    """Environment of the subprocesses: this checkout's ``cxroi`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def _commands() -> dict[str, list[str]]:
    py = sys.executable
    return {
        "baseline": [py, "-c", "import numpy, pydantic, yaml"],
        "run": [py, "-c", RUN_CODE, "run", "--json", str(SCENARIO)],
        "dashboard": [py, "-c", "import cxroi.app.dashboard"],
        "render": [py, "-c", RENDER_CODE, str(SCENARIO)],
    }


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh subprocess, in seconds; its failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def _interleaved(
    commands: dict[str, list[str]], env: dict[str, str], repeat: int
) -> dict[str, list[float]]:
    """Wall times of every command, ``repeat`` rounds that each run every command once.

    Interleaving keeps the ratios fair on a shared machine: a burst of load from elsewhere
    slows every command of a round, not only the one that happened to run then.
    """
    for cmd in commands.values():
        _wall(cmd, env)  # warm the file cache and the bytecode, so every timed run starts alike
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, cmd in commands.items():
            times[label].append(_wall(cmd, env))
    return times


def import_times(cmd: list[str], env: dict[str, str]) -> list[tuple[float, float, int, str]]:
    """Parse ``-X importtime`` output of ``cmd``: (cumulative s, self s, depth, module).

    Each stderr line reads ``import time: <self us> | <cumulative us> | <indented name>``; the
    indentation (two spaces a level) gives the depth, 0 for a top-level import.
    """
    done = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]], env=env, cwd=REPO, capture_output=True, text=True
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(parts[1]) / 1e6, int(parts[0]) / 1e6, depth, name.strip()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh subprocesses per command")
    parser.add_argument("--top", type=int, default=15, help="modules listed by import time")
    args = parser.parse_args(argv)

    env = _env()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    medians = {}
    for label, times in _interleaved(_commands(), env, args.repeat).items():
        medians[label] = statistics.median(times)
        spread = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:<10} median {medians[label]:6.3f} s   (runs: {spread})")
    base = medians["baseline"]
    print(f"run / baseline       {medians['run'] / base:6.1f}x   (issue 11 goal: <= 3x)")
    print(f"dashboard / baseline {medians['dashboard'] / base:6.1f}x")
    print(f"cold render          {medians['render']:6.2f} s   (issue 11 goal: < 5 s)")

    rows = import_times(_commands()["run"], env)
    top_level = sum(r[0] for r in rows if r[2] == 0)
    print(
        f"\ntop {args.top} imports of `cxroi run` by cumulative time (-X importtime, one run; "
        f"{len(rows)} modules, top-level imports {top_level:.2f} s in all)"
    )
    print(f"{'cumulative s':>12} {'self s':>8} {'depth':>5}  module")
    for cum, own, depth, name in sorted(rows, key=lambda r: r[0], reverse=True)[: args.top]:
        print(f"{cum:12.3f} {own:8.3f} {depth:5d}  {name}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
