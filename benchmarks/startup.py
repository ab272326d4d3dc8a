"""Start-up cost of cxroi, measured in fresh interpreters (issue 11, point 4).

Prints, each as the median wall time (and the median CPU time, user + system, which a shared
machine's load disturbs less) of ``--repeat`` (default 5) fresh subprocesses, run in
interleaved rounds after one untimed warm-up run each:

- ``baseline``: ``python -c "import numpy, pydantic, yaml"``, the floor any cxroi command pays;
- ``run``: ``cxroi run --json scenarios/default.yaml`` (start, load, evaluate, print);
- ``dashboard``: ``python -c "import cxroi.app.dashboard"`` (what a dashboard kernel imports);
- ``render``: a cold dashboard kernel's whole share of the first render: import, then build
  :class:`cxroi.app.Dashboard` on the scenario with its KPI cards and chart specs (goal < 5 s;
  ``benchmarks/dashboard.py`` times the same render in Chromium, server and browser included).
  The chart specifications are kept on disk by the first kernel (:mod:`cxroi.app.chart_specs`,
  here in a cache folder of this benchmark, filled by the warm-up run), as on a server after
  its first page;
- ``render_unkept``: the same render where no specification can be kept (the cache folder
  cannot be made), so every kernel builds them with Altair: the first kernel of a new
  version, or a machine whose cache folder is read-only;

Every subprocess reads and writes its bytecode in a cache folder of this benchmark
(``PYTHONPYCACHEPREFIX``), as an installed cxroi does (pip compiles the package on install),
even where ``PYTHONDONTWRITEBYTECODE`` is set: without a cache every start compiles cxroi's
sources again, about 0.2 s of CPU that no installed copy pays. When that variable is set, the
``run`` is also timed as it then starts (``run_no_pyc``), for comparison.

Then the ratios run / baseline (issue 11 goal: within 3x), dashboard / baseline and
render / baseline, in wall and in CPU time, and the modules with the largest cumulative
import time when ``cxroi run`` starts (``python -X importtime``, one extra run). Ratios are
the figures to compare across machines; the absolute times depend on the machine and its
load, which is printed too.

Run: ``.venv/bin/python benchmarks/startup.py [--repeat 5] [--top 15]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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


def _env(pycache: str | None) -> dict[str, str]:
    """Environment of the subprocesses: this checkout's ``cxroi`` first on the path.

    With ``pycache`` a folder, bytecode is cached there (written on the warm-up run, read on
    the timed ones), and the chart specifications in its ``cxroi-cache`` subfolder; with None,
    the caller's environment decides.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
        env["CXROI_CACHE_DIR"] = os.path.join(pycache, "cxroi-cache")
    return env


def _commands() -> dict[str, list[str]]:
    py = sys.executable
    return {
        "baseline": [py, "-c", "import numpy, pydantic, yaml"],
        "run": [py, "-c", RUN_CODE, "run", "--json", str(SCENARIO)],
        "dashboard": [py, "-c", "import cxroi.app.dashboard"],
        "render": [py, "-c", RENDER_CODE, str(SCENARIO)],
    }


def _runs(pycache: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each timed command with its environment (see the module docstring on bytecode)."""
    env = _env(pycache)
    runs = {label: (cmd, env) for label, cmd in _commands().items()}
    # a cache folder under /dev/null cannot be made: nothing is kept, every render builds
    runs["render_unkept"] = (_commands()["render"], {**env, "CXROI_CACHE_DIR": "/dev/null/cxroi"})
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        runs["run_no_pyc"] = (_commands()["run"], _env(None))
    return runs


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) time of one fresh subprocess, in seconds.

    The subprocess's failure stops the benchmark.
    """
    cpu = _cpu_children()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, _cpu_children() - cpu


def _interleaved(
    commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) times of every command, ``repeat`` rounds that each run every command once.

    Interleaving keeps the ratios fair on a shared machine: a burst of load from elsewhere
    slows every command of a round, not only the one that happened to run then.
    """
    for cmd, env in commands.values():
        _wall(cmd, env)  # warm the file cache and the bytecode, so every timed run starts alike
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, (cmd, env) in commands.items():
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

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="cxroi-startup-pyc-") as pycache:
        return _report(args, pycache)


def _report(args: argparse.Namespace, pycache: str) -> int:
    env = _env(pycache)
    medians, cpu = {}, {}
    for label, times in _interleaved(_runs(pycache), args.repeat).items():
        medians[label] = statistics.median(t[0] for t in times)
        cpu[label] = statistics.median(t[1] for t in times)
        spread = ", ".join(f"{t[0]:.2f}" for t in times)
        print(
            f"{label:<13} median {medians[label]:6.3f} s, CPU {cpu[label]:6.3f} s   "
            f"(wall runs: {spread})"
        )
    print(f"{'':25}{'wall':>7} {'CPU':>7}")
    goals = {"run": "   (issue 11 goal: <= 3x)", "run_no_pyc": "   (sources compiled each start)"}
    for label in ("run", "dashboard", "render", "render_unkept", "run_no_pyc"):
        if label not in medians:
            continue
        goal = goals.get(label, "")
        wall_ratio = medians[label] / medians["baseline"]
        cpu_ratio = cpu[label] / cpu["baseline"]
        print(f"{label + ' / baseline':<25}{wall_ratio:6.1f}x {cpu_ratio:6.1f}x{goal}")
    print(f"cold render          {medians['render']:6.2f} s   (issue 11 goal: < 5 s)")
    print(f"cold render, unkept  {medians['render_unkept']:6.2f} s   (chart specs built)")

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
