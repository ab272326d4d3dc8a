"""Time ``cxroi calibrate`` (read, validate, fit, backtest, report) at 1e4, 1e5 and 1e6 rows.

The rows are a long cohort table written to a temporary CSV: cohorts of 200 to 5,000 customers
drawn from an sBG model (alpha 0.7, beta 1.2), each observed for 2 to 12 periods after
acquisition, as many cohorts as the row count needs. Prints seconds per size for
``cxroi calibrate FILE`` and the time per row relative to the smallest size (1.0 means linear;
below 1, fixed costs dominate), then seconds for ``cxroi calibrate FILE --into SCENARIO``
(the fit written into scenarios/default.yaml), and the load average. The commands run in this
process after a 100-row warm-up, so the one-off import time (about 1 s) is left out.

Run: ``.venv/bin/python benchmarks/calibration.py`` (add sizes as arguments, e.g. ``1e4 1e5``)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxroi.cli import main
from cxroi.engine.retention import sbg_survival
from cxroi.model.scenario import load_scenario


def long_table(n_rows: int, seed: int = 1, alpha: float = 0.7, beta: float = 1.2) -> pd.DataFrame:
    """A long cohort table of exactly ``n_rows`` rows simulated from an sBG model.

    All cohorts are drawn at once: a cohort's churners per period are one multinomial draw
    over the sBG lifetime distribution P(T = t) = S(t - 1) - S(t), t = 1..12, and P(T > 12)
    (the same counts as drawing p ~ Beta(alpha, beta) and a geometric lifetime per customer).
    """
    rng = np.random.default_rng(seed)
    n_cohorts = n_rows // 3 + 1  # cohorts have 3 to 13 rows
    length = rng.integers(3, 14, n_cohorts)  # periods 0..T with T in 2..12
    size = rng.integers(200, 5001, n_cohorts)
    s = np.asarray(sbg_survival(alpha, beta, np.arange(13)), dtype=float)
    churned = rng.multinomial(size, np.append(-np.diff(s), s[-1]))
    survivors = size[:, None] - np.cumsum(np.c_[np.zeros(n_cohorts, int), churned[:, :12]], 1)
    n_cohorts = int(np.searchsorted(np.cumsum(length), n_rows)) + 1
    length = length[:n_cohorts]
    cohort = np.repeat(np.arange(n_cohorts), length)[:n_rows]
    period = np.arange(len(cohort)) - np.repeat(np.cumsum(length) - length, length)[:n_rows]
    return pd.DataFrame(
        {
            "cohort": np.char.add("c", cohort.astype(str)),
            "period": period,
            "active": survivors[cohort, period],
        }
    )


SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"


def _seconds(args: list[str]) -> float:
    """Seconds for one in-process ``cxroi`` command (output discarded)."""
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(args)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"cxroi {' '.join(args)} exited {code}")
    return elapsed


def time_rows(n_rows: int, folder: str) -> tuple[float, float]:
    """Seconds for ``cxroi calibrate FILE`` and ``cxroi calibrate FILE --into`` on ``n_rows``."""
    path = os.path.join(folder, f"cohorts-{n_rows}.csv")
    long_table(n_rows).to_csv(path, index=False)
    plain = _seconds(["calibrate", path])
    segment = load_scenario(SCENARIO).segment_names[0]
    out = os.path.join(folder, f"calibrated-{n_rows}.yaml")
    into = _seconds(
        ["calibrate", path, "--into", str(SCENARIO), "--segment", segment, "--out", out]
    )
    return plain, into


def run(sizes: list[int]) -> None:
    """Print the timing table."""
    with tempfile.TemporaryDirectory() as folder:
        time_rows(100, folder)  # warm-up: the first call pays the imports (scipy.stats, ...)
        print(f"{'rows':>10}{'seconds':>10}{'us/row':>10}{'per-row ratio':>15}{'--into s':>10}")
        base = None
        for n in sizes:
            seconds, into = time_rows(n, folder)
            per_row = seconds / n
            base = base or per_row
            print(
                f"{n:>10,}{seconds:>10.2f}{per_row * 1e6:>10.2f}{per_row / base:>15.3f}"
                f"{into:>10.2f}"
            )
    one, five, fifteen = os.getloadavg()
    print(
        f"load average: {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min), {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    args = [int(float(a)) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    run(args)
