"""Time ``cxroi calibrate`` (read, validate, fit, backtest, report) at 1e4, 1e5 and 1e6 rows.

The rows are a long cohort table written to a temporary CSV: cohorts of 200 to 5,000 customers
drawn from an sBG model (alpha 0.7, beta 1.2), each observed for 2 to 12 periods after
acquisition, as many cohorts as the row count needs. Prints seconds per size and the time per
row relative to the smallest size (1.0 means linear; below 1, fixed costs dominate).

Run: ``.venv/bin/python benchmarks/calibration.py`` (add sizes as arguments, e.g. ``1e4 1e5``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from cxroi.cli import main


def long_table(n_rows: int, seed: int = 1, alpha: float = 0.7, beta: float = 1.2) -> pd.DataFrame:
    """A long cohort table of exactly ``n_rows`` rows simulated from an sBG model."""
    rng = np.random.default_rng(seed)
    lengths = []
    total = 0
    while total < n_rows:
        t = int(min(rng.integers(2, 13), max(n_rows - total - 1, 2)))
        lengths.append(t + 1)
        total += t + 1
    names, periods, active = [], [], []
    for k, size in enumerate(lengths):
        n = int(rng.integers(200, 5001))
        p = np.clip(rng.beta(alpha, beta, n), 1e-12, 1.0)
        life = rng.geometric(p)
        counts = np.bincount(np.minimum(life, size), minlength=size + 1)
        survivors = n - np.cumsum(counts)[:size] + counts[0]
        names.append(np.full(size, f"c{k}"))
        periods.append(np.arange(size))
        active.append(survivors)
    frame = pd.DataFrame(
        {
            "cohort": np.concatenate(names),
            "period": np.concatenate(periods),
            "active": np.concatenate(active),
        }
    )
    return frame.iloc[:n_rows]


def time_rows(n_rows: int, folder: str) -> float:
    """Seconds for ``cxroi calibrate`` on a table of ``n_rows`` rows (output discarded)."""
    path = os.path.join(folder, f"cohorts-{n_rows}.csv")
    long_table(n_rows).to_csv(path, index=False)
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink):
        code = main(["calibrate", path])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"calibrate exited {code} on {n_rows} rows")
    return elapsed


def run(sizes: list[int]) -> None:
    """Print the timing table."""
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'rows':>10}{'seconds':>10}{'us/row':>10}{'per-row ratio':>15}")
        base = None
        for n in sizes:
            seconds = time_rows(n, folder)
            per_row = seconds / n
            base = base or per_row
            print(f"{n:>10,}{seconds:>10.2f}{per_row * 1e6:>10.2f}{per_row / base:>15.3f}")
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    args = [int(float(a)) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    run(args)
