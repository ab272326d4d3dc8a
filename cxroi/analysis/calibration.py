"""Calibrate sBG retention from a company's own acquisition cohorts.

A cohort table counts, for every group of customers acquired together (a *cohort*), how many are
still active 0, 1, 2, ... periods (renewal cycles, years in a cxroi scenario) after acquisition.
This module reads such tables, fits the shifted-beta-geometric (sBG) model of Fader & Hardie
(2007) per cohort and pooled across cohorts, puts profile-likelihood intervals on every quantity
derived from the fit, sets it beside the constant-retention model fitted to the same years, and
writes the fit into a scenario file.

The table comes in one of two layouts (CSV or pandas DataFrame; headers are matched without
regard to case or surrounding spaces):

* long: columns ``cohort``, ``period``, ``active``, one row per cohort and period; the
  ``cohort`` column may be left out when the table holds a single cohort;
* wide: a ``cohort`` column and one column per period named ``0``, ``1``, ``2``, ... (a prefix
  such as ``year 3`` or ``t3`` is allowed); later periods of younger cohorts are left blank.

Every cohort starts at period 0 (its size at acquisition) and has a count for every period up to
its last; counts never increase.

Intervals are profile-likelihood intervals: the set of (alpha, beta) whose log-likelihood is
within chi2_1(level) / 2 of the maximum is traced along rays from the estimate, and the interval
of any quantity g(alpha, beta) is the range of g over that region - which equals the interval
from the profile likelihood of g itself. A region that reaches the search bound (the data
cannot rule out arbitrarily large alpha, beta: no visible heterogeneity) gives open intervals.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
   Journal of Interactive Marketing, 21(1), 76-90.
.. [2] Fader, P. S. and Hardie, B. G. S. (2010). "Customer-Base Valuation in a Contractual
   Setting: The Perils of Ignoring Heterogeneity." Marketing Science, 29(1), 85-93.
.. [3] Venzon, D. J. and Moolgavkar, S. H. (1988). "A Method for Computing Profile-Likelihood-
   Based Confidence Intervals." Applied Statistics, 37(1), 87-94.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import io
import itertools
import math
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from cxroi.engine.retention import (
    SBGFit,
    discounted_expected_lifetime,
    discounted_expected_residual_lifetime,
    fit_sbg_pooled,
    sbg_log_likelihood,
    sbg_retention,
    sbg_survival,
)
from cxroi.errors import InputError

__all__ = [
    "Backtest",
    "Calibration",
    "CalibrationError",
    "CohortDataError",
    "CohortTable",
    "ConstantRetentionFit",
    "Interval",
    "RetentionFit",
    "calibrate",
    "fit_constant_retention",
    "fit_retention",
    "format_calibration",
    "read_cohorts",
    "retention_mapping",
    "scenario_with_retention",
    "simulate_cohorts",
    "write_scenario_with_retention",
]

POOLED = "pooled"
_MAX_PROBLEMS = 12
_MAX_DETAILED = 200  # problems spelt out one by one; the rest are counted
_MAX_REPORT_ROWS = 200  # rows of the observed table printed in the text report

#: Largest cohort table read, file or upload [bytes]; at most this many plus one are read.
MAX_TABLE_BYTES = 64 * 1024 * 1024
#: Largest period number (periods after acquisition) a cohort table may hold.
MAX_PERIOD = 1000
#: Largest count of customers in a cell: the scenario magnitude ceiling (cxroi.model.scenario).
MAX_COUNT = 1e15
#: Cohorts that get a fit of their own (with intervals); the rest count in the pooled fit.
MAX_COHORT_FITS = 20
_LOG_SEARCH_BOUND = 18.0  # rays stop at |ln alpha|, |ln beta| = 18 (about 6.6e7)


class CalibrationError(InputError):
    """A calibration input a user can fix (bad file, unknown segment, existing output...)."""


class CohortDataError(CalibrationError):
    """A cohort table that cannot be used; ``problems`` lists every issue found.

    Parameters
    ----------
    problems : list of str
        One actionable message per problem.
    source : str, optional
        File the table was read from, named in the message.
    """

    def __init__(self, problems: Sequence[str], source: str | None = None, uncounted: int = 0):
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        shown = self.problems[:_MAX_PROBLEMS]
        more = len(self.problems) + uncounted - len(shown)
        total = len(self.problems) + uncounted
        lines = [f"{where}cohort table is not usable ({total} problem(s)):"]
        lines += [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  - ... and {more} more")
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Cohort tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortTable:
    """Survivor counts of one or more acquisition cohorts.

    Attributes
    ----------
    cohorts : dict of str to tuple of float
        Customers active at periods 0..T of each cohort [customers], in the order read.
    source : str or None
        File the table came from (None for a DataFrame).
    sha256 : str or None
        SHA-256 of the file's bytes, for provenance.
    layout : str
        ``"long"`` or ``"wide"``.
    """

    cohorts: Mapping[str, tuple[float, ...]]
    source: str | None = None
    sha256: str | None = None
    layout: str = "long"

    @property
    def names(self) -> list[str]:
        """Cohort labels, in order."""
        return list(self.cohorts)

    @property
    def n_periods(self) -> int:
        """Periods observed after acquisition in the longest cohort."""
        return int(self.lengths.max()) - 1

    def survivors(self, name: str) -> np.ndarray:
        """Survivor counts of cohort ``name`` at periods 0..T [customers]."""
        return np.asarray(self.cohorts[name], dtype=float)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """Counts per cohort (periods 0..T: T + 1 of them), in the order of ``names``."""
        sizes = np.fromiter(
            map(len, self.cohorts.values()), dtype=np.int64, count=len(self.cohorts)
        )
        sizes.setflags(write=False)
        return sizes

    @functools.cached_property
    def counts(self) -> np.ndarray:
        """Every cohort's survivor counts end to end, cohort by cohort [customers].

        Cohort i holds ``counts[offsets[i] : offsets[i] + lengths[i]]``; whole-table work
        (sums per period, fitted values per row) runs on this array instead of a Python loop
        over the cohorts.
        """
        flat = np.fromiter(
            itertools.chain.from_iterable(self.cohorts.values()),
            dtype=float,
            count=int(self.lengths.sum()),
        )
        flat.setflags(write=False)
        return flat

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        """Position of each cohort in the table, by label."""
        return {name: i for i, name in enumerate(self.cohorts)}

    @property
    def offsets(self) -> np.ndarray:
        """Position of each cohort's period 0 in :attr:`counts`."""
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def to_frame(self) -> pd.DataFrame:
        """Long DataFrame with columns ``cohort``, ``period``, ``active``."""
        lengths = self.lengths
        return pd.DataFrame(
            {
                "cohort": np.repeat(np.array(self.names, dtype=object), lengths),
                "period": _periods(lengths),
                "active": np.asarray(self.counts, dtype=float).copy(),
            }
        )


def _periods(lengths: np.ndarray) -> np.ndarray:
    """Period of every row of cohorts of the given lengths laid end to end: 0..n-1 per cohort."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


_ACTIVE_NAMES = ("active", "alive", "survivors", "customers", "active_customers")
_PERIOD_NAMES = ("period", "year", "t", "month")
_WIDE_HEADER = re.compile(r"^\s*([A-Za-z_ ]*?)[\s_-]*(\d+)\s*$")


def _norm(name: object) -> str:
    return str(name).strip().lower()


def _cell_number(value: object) -> float | None | str:
    """Cell -> float, None when blank, or the original text when it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    text = str(value).strip()
    if text == "" or text.lower() in ("nan", "na", "n/a"):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _read_file_bytes(path: Path, label: str) -> bytes:
    """Bytes of a regular file, at most ``MAX_TABLE_BYTES + 1`` of them.

    FIFOs, devices, sockets and folders are refused from ``os.stat`` before anything is opened,
    and the file is opened with ``O_NONBLOCK`` and checked again through its descriptor, so a
    FIFO swapped in between cannot make the read wait for a writer.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CalibrationError(f"{label}: no such file") from None
    except OSError as exc:
        raise CalibrationError(f"{label}: cannot read the file ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO, device or socket"
        raise CalibrationError(f"{label}: not a regular file ({kind}); give a CSV file")
    if info.st_size > MAX_TABLE_BYTES:
        raise CalibrationError(
            f"{label}: file of {info.st_size:,} bytes is larger than {MAX_TABLE_BYTES:,} bytes "
            "(limit MAX_TABLE_BYTES)"
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise CalibrationError(f"{label}: cannot read the file ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CalibrationError(f"{label}: not a regular file; give a CSV file")
        chunks, size = [], 0
        while size <= MAX_TABLE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_TABLE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise CalibrationError(f"{label}: cannot read the file ({exc.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_cohorts(source, *, name: str | None = None) -> CohortTable:
    """Read and validate a cohort table from a CSV file or a pandas DataFrame.

    Parameters
    ----------
    source : str, path-like, bytes, pandas.DataFrame or CohortTable
        The table, long (``cohort, period, active``) or wide (``cohort`` plus one column per
        period); see the module docstring. Bytes are the content of a CSV file (an upload).
    name : str, optional
        Label used in messages when ``source`` is bytes or a DataFrame.

    Returns
    -------
    CohortTable
        The survivor counts per cohort, with the file's SHA-256 when read from a file.

    Raises
    ------
    CohortDataError
        Listing every problem: missing columns, values that are not numbers, negative counts,
        periods that are not whole numbers, duplicated or missing periods, counts that rise,
        an empty cohort at period 0.

    Examples
    --------
    >>> df = pd.DataFrame({"cohort": ["A"] * 3, "period": [0, 1, 2], "active": [100, 60, 45]})
    >>> read_cohorts(df).cohorts
    {'A': (100.0, 60.0, 45.0)}
    """
    if isinstance(source, CohortTable):
        return source
    digest = None
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        label = name
        where = "row"
        rows = _RowLabels(frame.index)
    else:
        if isinstance(source, (bytes, bytearray, memoryview)):
            raw = bytes(source)
            label = name or "uploaded table"
        else:
            label = str(source)
            raw = _read_file_bytes(Path(source), label)
        if len(raw) > MAX_TABLE_BYTES:
            raise CohortDataError(
                [f"larger than {MAX_TABLE_BYTES:,} bytes (limit MAX_TABLE_BYTES)"], label
            )
        digest = hashlib.sha256(raw).hexdigest()
        text = raw.decode("utf-8-sig", errors="replace")
        if not text.strip():
            raise CohortDataError(["the file is empty"], label)
        first = text.splitlines()[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
            )
        except (pd.errors.ParserError, ValueError) as exc:
            raise CohortDataError([f"not a readable CSV table: {exc}"], label) from None
        where = "line"
        rows = _RowLabels(None, first=2)  # the header is line 1
    if frame.shape[0] == 0:
        raise CohortDataError(["the table has a header but no rows"], label)
    columns = {_norm(c): c for c in frame.columns}
    active_col = next((columns[c] for c in _ACTIVE_NAMES if c in columns), None)
    period_col = next((columns[c] for c in _PERIOD_NAMES if c in columns), None)
    cohort_col = columns.get("cohort")
    if active_col is not None or period_col is not None:
        missing = [n for n, c in (("period", period_col), ("active", active_col)) if c is None]
        if missing:
            raise CohortDataError(
                [
                    f"missing column(s) {', '.join(missing)}: a long table needs columns "
                    f"cohort, period, active (found {', '.join(map(str, frame.columns))})"
                ],
                label,
            )
        cohorts = _long(frame, cohort_col, period_col, active_col, rows, where, label)
        layout = "long"
    else:
        cohorts = _wide(frame, cohort_col, rows, where, label)
        layout = "wide"
    return CohortTable(cohorts=cohorts, source=label, sha256=digest, layout=layout)


class _RowLabels:
    """Labels of table rows for messages, made only for the rows a message names.

    ``labels[i]`` is the DataFrame index label of row i, or the file line number ``i + first``.
    """

    def __init__(self, index: pd.Index | None, first: int = 2):
        self._index = index
        self._first = first

    def __getitem__(self, i) -> str:
        i = int(i)
        return str(self._index[i]) if self._index is not None else str(i + self._first)


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes of a column's distinct cells and the first cell of each, in order of appearance.

    Every check of a cell depends on the cell alone, so a long table (where periods, counts
    and cohort labels repeat) is checked on its distinct cells and the result is spread back
    with the codes: the string work is per distinct value, not per row.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    _, first = np.unique(codes, return_index=True)
    return codes, column.iloc[first].reset_index(drop=True)


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Series]:
    """Parse a column of cells at once: (values, blank mask, not-a-number mask, stripped text)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        column = column.astype(str)
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(values)
        return values, blank, np.zeros(len(values), bool), column
    codes, distinct = _factorize(column)
    text = distinct.astype(str).str.strip()
    blank = (text.eq("") | text.str.lower().isin(["nan", "na", "n/a", "none"])).to_numpy()
    with np.errstate(all="ignore"):
        parsed = pd.to_numeric(text.where(~blank), errors="coerce")
    values = np.asarray(parsed, dtype=float)
    not_number = ~blank & np.isnan(values)
    # a cell reading "nan" in another spelling is blank, but "NaN" as a number is not finite
    return values[codes], blank[codes], not_number[codes], text.to_numpy(dtype=object)[codes]


def _shown(text: object, limit: int = 40) -> str:
    """An offending cell for a message: repr, cut to ``limit`` characters."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 3] + "..."
    return repr(value)


class _Labels:
    """Cohort label of each row, looked up from the distinct labels by code (for messages)."""

    def __init__(self, labels: np.ndarray, code: np.ndarray):
        self._labels = labels
        self._code = code

    def __getitem__(self, i):
        return self._labels[self._code[int(i)]]


def _long(frame, cohort_col, period_col, active_col, rows, where, label):
    """Validate a long table with whole-column operations; only problem rows meet Python."""
    n = len(frame)
    if cohort_col is None:
        labels = np.array(["all"], dtype=object)
        code = np.zeros(n, dtype=np.int64)
    else:
        # cohort labels, stripped; labels that differ only in spaces get one code
        raw_code, distinct = _factorize(frame[cohort_col].reset_index(drop=True))
        stripped = distinct.astype(str).str.strip().to_numpy(dtype=object)
        merged, labels_index = pd.factorize(stripped, use_na_sentinel=False)
        code = merged[raw_code].astype(np.int64)
        labels = np.asarray(labels_index, dtype=object)
    cohort = _Labels(labels, code)
    p_val, p_blank, p_text, p_raw = _numbers(frame[period_col].reset_index(drop=True))
    a_val, a_blank, a_text, a_raw = _numbers(frame[active_col].reset_index(drop=True))
    with np.errstate(all="ignore"):
        c_blank = pd.Series(labels, dtype=object).isin(["", "nan", "None"]).to_numpy()[code]
        p_bad = (
            ~p_blank & ~p_text & (~np.isfinite(p_val) | (p_val < 0) | (p_val != np.floor(p_val)))
        )
        p_big = ~p_blank & ~p_text & ~p_bad & (p_val > MAX_PERIOD)
        a_bad = ~a_blank & ~a_text & (~np.isfinite(a_val) | (a_val < 0))
        a_big = ~a_blank & ~a_text & ~a_bad & (a_val > MAX_COUNT)
        a_frac = ~a_blank & ~a_text & ~a_bad & ~a_big & (a_val != np.floor(a_val))
    kinds = [
        ("cohort blank", c_blank),
        ("period text", p_blank | p_text),
        ("period bad", p_bad),
        ("period big", p_big),
        ("active blank", a_blank),
        ("active text", a_text),
        ("active bad", a_bad),
        ("active big", a_big),
        ("active fraction", a_frac),
    ]
    kind = np.full(n, -1)
    for k in range(len(kinds) - 1, -1, -1):  # the first rule a row breaks is the one reported
        kind[kinds[k][1]] = k
    valid = kind < 0
    period = np.where(valid, p_val, 0).astype(np.int64)
    key = code * (MAX_PERIOD + 1) + period  # one integer per (cohort, period) of a valid row
    dup = np.zeros(n, bool)
    dup[valid] = pd.Series(key[valid]).duplicated(keep="first").to_numpy()
    first_of = None
    if dup.any():
        idx = pd.Series(np.arange(n))[valid]
        first_of = idx.groupby(key[valid]).transform("first")
    row_problem = np.flatnonzero(~valid | dup)
    problems: list[str] = []
    uncounted = max(0, row_problem.size - _MAX_DETAILED)
    for i in row_problem[:_MAX_DETAILED]:
        at = f"{where} {rows[i]}"
        if dup[i]:
            other = rows[int(first_of[i])]
            t = int(period[i])
            if cohort_col is None:
                problems.append(
                    f"{at}: period {t} appears again ({where} {other}) and there is no cohort "
                    "column; add a column 'cohort' naming each cohort when the table holds "
                    "several"
                )
            else:
                problems.append(
                    f"{at}: cohort {cohort[i]} has period {t} twice (also {where} {other})"
                )
            continue
        name = kinds[kind[i]][0]
        c = _shown(cohort[i])[1:-1]
        if name == "cohort blank":
            problems.append(f"{at}: cohort is blank")
        elif name == "period text":
            shown = "blank" if p_blank[i] else _shown(p_raw[i])
            problems.append(f"{at}: period must be a whole number >= 0 (got {shown})")
        elif name == "period bad":
            problems.append(f"{at}: period must be a whole number >= 0 (got {p_val[i]:g})")
        elif name == "period big":
            problems.append(
                f"{at}: period must be at most {MAX_PERIOD} (limit MAX_PERIOD; got {p_val[i]:g})"
            )
        else:
            t = int(p_val[i])
            if name == "active blank":
                problems.append(f"{at}: active is blank (cohort {c}, period {t})")
            elif name == "active text":
                problems.append(
                    f"{at}: active must be a number of customers (got {_shown(a_raw[i])}, "
                    f"cohort {c}, period {t})"
                )
            elif name == "active bad":
                problems.append(
                    f"{at}: active must be a count >= 0 (got {a_val[i]:g}, cohort {c}, period {t})"
                )
            elif name == "active big":
                problems.append(
                    f"{at}: active must be at most {MAX_COUNT:g} customers (the magnitude "
                    f"ceiling; got {a_val[i]:g}, cohort {c}, period {t})"
                )
            else:
                problems.append(
                    f"{at}: active must be a whole number of customers (got {a_val[i]:g}, "
                    f"cohort {c}, period {t})"
                )
    keep = np.flatnonzero(valid & ~dup)
    rank, first_codes = pd.factorize(code[keep])  # cohorts in the order they first appear
    order = labels[np.asarray(first_codes, dtype=np.int64)]
    sort = np.lexsort((period[keep], rank))
    rank = rank[sort]
    per = period[keep][sort]
    act = a_val[keep][sort]
    rows_arr = keep[sort]
    if len(keep):
        starts = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
        ends = np.append(starts[1:], len(keep))
    else:
        starts = ends = np.zeros(0, dtype=int)
    first_p, last_p = per[starts], per[ends - 1]
    gap = (last_p - first_p + 1) != (ends - starts)
    rises = np.zeros(len(keep), bool)
    if len(keep) > 1:
        rises[1:] = (act[1:] > act[:-1]) & (rank[1:] == rank[:-1])
    rise_rank = np.unique(rank[rises])
    bad_cohort = (first_p != 0) | gap | ((act[starts] <= 0) & (first_p == 0))
    bad_cohort[rise_rank] = True
    for r in np.flatnonzero(bad_cohort):
        if len(problems) >= _MAX_DETAILED:
            uncounted += 1
            continue
        lo, hi = starts[r], ends[r]
        problems += _check_sequence(
            str(order[r]),
            per[lo:hi].tolist(),
            act[lo:hi].tolist(),
            [rows[i] for i in rows_arr[lo:hi]],
            where,
        )
    values = act.tolist()
    cohorts = {
        str(label): tuple(values[lo:hi])
        for label, lo, hi in zip(order.tolist(), starts.tolist(), ends.tolist(), strict=True)
    }
    problems += _check_scale(cohorts)
    if problems or uncounted:
        raise CohortDataError(problems, label, uncounted)
    return cohorts


def _wide(frame, cohort_col, rows, where, label):
    period_cols: dict[int, object] = {}
    others = []
    for col in frame.columns:
        if col is cohort_col:
            continue
        match = _WIDE_HEADER.match(str(col))
        if match:
            t = int(match.group(2)[:12])
            if t > MAX_PERIOD:
                raise CohortDataError(
                    [
                        f"column {_shown(col)}: period must be at most {MAX_PERIOD} "
                        "(limit MAX_PERIOD)"
                    ],
                    label,
                )
            if t in period_cols:
                raise CohortDataError(
                    [f"two columns for period {t}: {period_cols[t]!r} and {col!r}"], label
                )
            period_cols[t] = col
        else:
            others.append(col)
    if len(period_cols) < 2:
        raise CohortDataError(
            [
                "missing columns: expected a long table with columns cohort, period, active, "
                "or a wide table with a cohort column and one column per period named 0, 1, "
                f"2, ... (found {', '.join(map(str, frame.columns))})"
            ],
            label,
        )
    periods = sorted(period_cols)
    if periods[0] != 0 or periods != list(range(periods[-1] + 1)):
        missing = sorted(set(range(periods[-1] + 1)) - set(periods))
        raise CohortDataError(
            [
                "gap in the period columns: periods must run 0, 1, 2, ... without gaps; "
                f"missing column(s) for period(s) {', '.join(map(str, missing))}"
            ],
            label,
        )
    if cohort_col is None:
        if len(others) > 1:
            raise CohortDataError(
                [
                    "missing column cohort: name the column that labels each cohort 'cohort' "
                    f"(found {', '.join(map(str, others))} besides the period columns)"
                ],
                label,
            )
        cohort_col = others[0] if others else None
    elif others:
        raise CohortDataError(
            [
                f"unexpected column(s) {', '.join(map(str, others))}: a wide table has a cohort "
                "column and period columns named 0, 1, 2, ..."
            ],
            label,
        )
    n = len(frame)
    if cohort_col is None:
        names = [f"row {i + 1}" for i in range(n)]
    else:
        names = [str(v).strip() for v in frame[cohort_col].tolist()]
    # every cell read once, column by column; whole-table masks find the rows that are fine
    cells = [[_cell_number(v) for v in frame[period_cols[t]].tolist()] for t in periods]
    width = len(periods)
    is_none = np.array([[v is None for v in col] for col in cells], dtype=bool).T.reshape(n, width)
    is_text = np.array([[isinstance(v, str) for v in col] for col in cells], dtype=bool)
    is_text = is_text.T.reshape(n, width)
    num = np.array(
        [[v if isinstance(v, float) else np.nan for v in col] for col in cells], dtype=float
    ).T.reshape(n, width)
    given = ~is_none & ~is_text
    with np.errstate(all="ignore"):
        cell_bad = is_text | (
            given & (~np.isfinite(num) | (num < 0) | (num > MAX_COUNT) | (num != np.floor(num)))
        )
        ends = width - 1 - np.argmax(given[:, ::-1], axis=1)  # last period with a count
        holes = (is_none & (np.arange(width) < ends[:, None])).any(axis=1)
        rises = (num[:, 1:] > num[:, :-1]).any(axis=1)
    fine = (~cell_bad.any(axis=1) & given.any(axis=1) & ~holes & ~rises & (num[:, 0] > 0)).tolist()
    ends = ends.tolist()
    problems: list[str] = []
    cohorts = {}
    for i in range(n):
        cohort = names[i]
        if fine[i] and cohort not in cohorts and cohort not in ("", "nan", "None"):
            cohorts[cohort] = tuple(num[i, : ends[i] + 1].tolist())
            continue
        # a row with a problem: the checks below, in order, name every one
        at = f"{where} {rows[i]}"
        if cohort in ("", "nan", "None"):
            problems.append(f"{at}: cohort is blank")
            continue
        if cohort in cohorts:
            problems.append(f"{at}: cohort {cohort} appears on two rows")
            continue
        values = [cells[t][i] for t in periods]
        bad = False
        for t, v in zip(periods, values, strict=True):
            if isinstance(v, str):
                problems.append(
                    f"{at}: cohort {cohort}, period {t}: active must be a number of customers "
                    f"(got {_shown(v)})"
                )
                bad = True
            elif v is not None and (not math.isfinite(v) or v < 0):
                problems.append(
                    f"{at}: cohort {cohort}, period {t}: active must be a count >= 0 (got {v:g})"
                )
                bad = True
            elif v is not None and v > MAX_COUNT:
                problems.append(
                    f"{at}: cohort {cohort}, period {t}: active must be at most {MAX_COUNT:g} "
                    f"customers (the magnitude ceiling; got {v:g})"
                )
                bad = True
            elif v is not None and v != math.floor(v):
                problems.append(
                    f"{at}: cohort {cohort}, period {t}: active must be a whole number of "
                    f"customers (got {v:g})"
                )
                bad = True
        if bad:
            continue
        given = [t for t, v in zip(periods, values, strict=True) if v is not None]
        if not given:
            problems.append(f"{at}: cohort {cohort} has no counts")
            continue
        last = given[-1]
        holes = [t for t in range(last + 1) if values[t] is None]
        if holes:
            problems.append(
                f"{at}: cohort {cohort}: period(s) {', '.join(map(str, holes))} blank before "
                f"period {last}; only the periods after a cohort's last count may be blank"
            )
            continue
        counts = [float(values[t]) for t in range(last + 1)]
        problems += _check_sequence(cohort, list(range(last + 1)), counts, None, where, at)
        cohorts[cohort] = tuple(counts)
    problems += _check_scale(cohorts)
    if problems:
        raise CohortDataError(problems, label)
    return cohorts


def _check_sequence(cohort, periods, counts, rows, where, at=None):
    problems = []
    if periods[0] != 0:
        problems.append(
            f"cohort {cohort}: first period is {periods[0]}; counts must start at period 0 "
            "(the number of customers acquired)"
        )
    missing = sorted(set(range(periods[0], periods[-1] + 1)) - set(periods))
    if missing:
        problems.append(
            f"cohort {cohort}: gap in periods, {', '.join(map(str, missing))} missing between "
            f"{periods[0]} and {periods[-1]}; give a count for every period"
        )
    if counts[0] <= 0 and periods[0] == 0:
        problems.append(f"cohort {cohort}: no customers at period 0; the cohort size must be > 0")
    for k in range(1, len(counts)):
        if counts[k] > counts[k - 1]:
            line = f" ({where} {rows[k]})" if rows else ""
            problems.append(
                f"cohort {cohort}: active rises from {counts[k - 1]:g} at period {periods[k - 1]} "
                f"to {counts[k]:g} at period {periods[k]}{line}; a cohort can only lose "
                "customers (count each customer in the cohort they were acquired in, without "
                "re-activations)"
            )
            break
    if at and problems:
        problems = [f"{at}: {p}" for p in problems]
    return problems


def _check_scale(cohorts):
    sizes = [c[0] for c in cohorts.values() if c]
    if sizes and max(sizes) <= 1:
        return [
            "active looks like shares of the cohort (every cohort size is <= 1); give numbers "
            "of customers: the intervals depend on how many customers were observed"
        ]
    return []


def simulate_cohorts(
    alpha: float,
    beta: float,
    cohort_sizes: Sequence[int],
    n_periods: int | Sequence[int],
    *,
    seed: int,
    names: Sequence[str] | None = None,
) -> CohortTable:
    """Simulate survivor counts of cohorts from a known sBG model.

    Each customer draws a churn probability p ~ Beta(alpha, beta), then renews every period
    with probability 1 - p until they churn (a geometric lifetime on 1, 2, ...).

    Parameters
    ----------
    alpha, beta : float
        True shape parameters [-].
    cohort_sizes : sequence of int
        Customers acquired in each cohort [customers].
    n_periods : int or sequence of int
        Periods observed after acquisition, for all cohorts or per cohort [periods].
    seed : int
        Seed of ``numpy.random.default_rng``.
    names : sequence of str, optional
        Cohort labels; default ``"1"``, ``"2"``, ...

    Returns
    -------
    CohortTable
        The simulated counts.

    Examples
    --------
    >>> table = simulate_cohorts(1.0, 3.0, [500, 400], [4, 2], seed=1)
    >>> [len(c) for c in table.cohorts.values()], table.cohorts["1"][0]
    ([5, 3], 500.0)
    """
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in cohort_sizes]
    periods = [int(n_periods)] * len(sizes) if np.ndim(n_periods) == 0 else list(n_periods)
    if len(periods) != len(sizes):
        raise ValueError("n_periods must be one number or one per cohort")
    labels = [str(i + 1) for i in range(len(sizes))] if names is None else list(names)
    cohorts = {}
    for label, size, horizon in zip(labels, sizes, periods, strict=True):
        p = np.clip(rng.beta(alpha, beta, size), 1e-12, 1.0)
        lifetime = rng.geometric(p)  # the period in which the customer churns, >= 1
        cohorts[label] = tuple(float(np.sum(lifetime > t)) for t in range(horizon + 1))
    return CohortTable(cohorts=cohorts, source=None, layout="long")


# ---------------------------------------------------------------------------------------------
# Fits
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A point estimate with a likelihood-based interval.

    Attributes
    ----------
    estimate, low, high : float
        Estimate and interval ends, in the unit of the quantity.
    level : float
        Confidence level (0.95).
    open_low, open_high : bool
        True when that end reached the search bound: the data do not bound it (for alpha and
        beta the end is then reported as 0 or inf).
    """

    estimate: float
    low: float
    high: float
    level: float
    open_low: bool = False
    open_high: bool = False

    def __str__(self) -> str:
        """Show as ``estimate [low, high]``."""
        lo = "0" if self.open_low and self.low == 0 else f"{self.low:.4g}"
        hi = "inf" if self.open_high and math.isinf(self.high) else f"{self.high:.4g}"
        lo = ("<=" + lo) if self.open_low and self.low != 0 else lo
        hi = (">=" + hi) if self.open_high and not math.isinf(self.high) else hi
        return f"{self.estimate:.4g} [{lo}, {hi}]"


@dataclass(frozen=True)
class ConstantRetentionFit:
    """Maximum-likelihood constant (geometric) retention fitted to survivor counts.

    Attributes
    ----------
    retention : float
        Per-period retention rate r [share]: renewals / customers at risk.
    se : float
        Binomial standard error sqrt(r (1 - r) / at risk) [share].
    log_likelihood : float
        Log-likelihood of the counts under S(t) = r^t [nats].
    n_periods : int
        Longest T used.
    """

    retention: float
    se: float
    log_likelihood: float
    n_periods: int

    def survival(self, t):
        """Share of a cohort active at period t: r ** t [share]."""
        return np.asarray(self.retention ** np.asarray(t, dtype=float))


def fit_constant_retention(cohorts: Sequence) -> ConstantRetentionFit:
    r"""Fit a constant retention rate to survivor counts by maximum likelihood.

    Parameters
    ----------
    cohorts : sequence of array_like
        Survivor counts S(0..T) of each cohort [customers].

    Returns
    -------
    ConstantRetentionFit
        r = sum_c sum_{t=1..T_c} S_c(t) / sum_c sum_{t=0..T_c-1} S_c(t), with its standard error
        and log-likelihood.

    Notes
    -----
    With homogeneous retention every customer at risk renews with probability r, so the
    likelihood is binomial: renewals sum_t S(t), t >= 1, out of sum_t S(t - 1) at risk.

    Examples
    --------
    >>> round(fit_constant_retention([[1000, 800, 640]]).retention, 6)
    0.8
    """
    arrays = [np.asarray(c, dtype=float) for c in cohorts]
    renewed = sum(float(np.sum(c[1:])) for c in arrays)
    at_risk = sum(float(np.sum(c[:-1])) for c in arrays)
    if at_risk <= 0:
        raise CalibrationError("no customers at risk: cannot fit a retention rate")
    r = renewed / at_risk
    churned = at_risk - renewed
    ll = (renewed * math.log(r) if renewed > 0 else 0.0) + (
        churned * math.log1p(-r) if churned > 0 else 0.0
    )
    se = math.sqrt(r * (1 - r) / at_risk)
    return ConstantRetentionFit(
        retention=r, se=se, log_likelihood=ll, n_periods=max(c.size for c in arrays) - 1
    )


def _pooled_loglik(alpha, beta, arrays):
    return sum(np.asarray(sbg_log_likelihood(alpha, beta, c)) for c in arrays)


def _likelihood_region(sbg: SBGFit, arrays, level: float, n_directions: int = 360):
    """Points on the boundary of the profile-likelihood region, and whether each was reached.

    Rays leave the estimate in ln-parameter space, scaled by the Cholesky factor of the
    ln-space covariance so that the region is close to a unit circle; along each ray the
    deviance 2 (LL_max - LL) crosses chi2_1(level) where the ray meets the boundary.
    """
    threshold = float(stats.chi2.ppf(level, 1))
    centre = np.log([sbg.alpha, sbg.beta])
    scale = np.array([sbg.alpha, sbg.beta])
    cov_log = np.asarray(sbg.cov) / np.outer(scale, scale)
    try:
        chol = np.linalg.cholesky(cov_log)
    except np.linalg.LinAlgError:
        chol = np.eye(2) * 0.1
    if not np.all(np.isfinite(chol)):
        chol = np.eye(2) * 0.1
    phi = np.linspace(0.0, 2 * np.pi, n_directions, endpoint=False)
    dirs = (chol @ np.vstack([np.cos(phi), np.sin(phi)])).T
    with np.errstate(divide="ignore", invalid="ignore"):
        to_bound = np.where(
            dirs > 0,
            (_LOG_SEARCH_BOUND - centre) / dirs,
            np.where(dirs < 0, (-_LOG_SEARCH_BOUND - centre) / dirs, np.inf),
        )
    r_max = np.max([np.min(to_bound, axis=1), np.zeros(n_directions)], axis=0)

    def deviance(r):
        pts = np.exp(centre + r[:, None] * dirs)
        return 2 * (sbg.log_likelihood - _pooled_loglik(pts[:, 0], pts[:, 1], arrays))

    lo = np.zeros(n_directions)
    hi = np.minimum(2.0, r_max)
    for _ in range(64):
        dev = deviance(hi)
        grow = (dev < threshold) & (hi < r_max)
        if not grow.any():
            break
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, np.minimum(hi * 2, r_max), hi)
    reached = deviance(hi) >= threshold
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        above = deviance(mid) >= threshold
        hi = np.where(reached & above, mid, hi)
        lo = np.where(reached & ~above, mid, lo)
    radius = np.where(reached, 0.5 * (lo + hi), r_max)
    points = np.exp(centre + radius[:, None] * dirs)
    return points, reached


def _interval(func, estimate_point, points, reached, level, *, unbounded_ends=False):
    """Range of ``func`` over the region; ``func`` maps 1-D alpha, beta arrays to (n, ...)."""
    a_hat, b_hat = (np.array([float(x)]) for x in estimate_point)
    est = np.asarray(func(a_hat, b_hat), dtype=float)[0]
    vals = np.asarray(func(points[:, 0], points[:, 1]), dtype=float)
    i_lo, i_hi = np.argmin(vals, axis=0), np.argmax(vals, axis=0)
    low = np.minimum(est, np.min(vals, axis=0))
    high = np.maximum(est, np.max(vals, axis=0))
    open_low, open_high = ~reached[i_lo], ~reached[i_hi]
    if unbounded_ends:
        low = np.where(open_low, 0.0, low)
        high = np.where(open_high, np.inf, high)
    if est.ndim == 0:
        return Interval(float(est), float(low), float(high), level, bool(open_low), bool(open_high))
    return est, low, high, open_low, open_high


@dataclass(frozen=True)
class RetentionFit:
    """An sBG fit with profile-likelihood intervals, beside the constant-retention fit.

    Attributes
    ----------
    name : str
        Cohort label, or ``"pooled"`` for the fit shared by all cohorts.
    cohort_names : tuple of str
        Cohorts whose counts entered the fit.
    fit_periods : int
        Periods after acquisition used (the longest cohort's T within the fit window).
    sbg : SBGFit
        The maximum-likelihood sBG fit (estimates, standard errors, log-likelihood).
    constant : ConstantRetentionFit
        Constant retention fitted to the same counts.
    alpha, beta : Interval
        Shape parameters with profile-likelihood intervals [-].
    retention_at_tenure : Interval
        Retention rate of a customer with ``tenure`` renewals made,
        (beta + tenure) / (alpha + beta + tenure) [share].
    lifetime : Interval
        DEL(discount_rate): discounted expected lifetime of a new customer, counting the
        acquisition year [years].
    residual_lifetime : Interval
        DERL(discount_rate | tenure renewals made) [years].
    discount_rate : float
        Rate used for DEL and DERL [1/year].
    tenure : int
        Renewals made by the customers DERL refers to.
    level : float
        Confidence level of the intervals.
    observed : pandas.DataFrame
        One row per cohort and observed period: ``cohort, period, observed, sbg, sbg_low,
        sbg_high, constant, in_fit`` (fitted values in customers of that cohort).
    log_likelihood_sbg, log_likelihood_constant : float
        Maximised log-likelihoods [nats].
    mape_sbg, mape_constant : float
        Mean absolute percentage error of the fitted survivors on the fitted periods t >= 1,
        as a decimal.
    """

    name: str
    cohort_names: tuple[str, ...]
    fit_periods: int
    sbg: SBGFit
    constant: ConstantRetentionFit
    alpha: Interval
    beta: Interval
    retention_at_tenure: Interval
    lifetime: Interval
    residual_lifetime: Interval
    discount_rate: float
    tenure: int
    level: float
    observed: pd.DataFrame = field(repr=False, compare=False)
    region: np.ndarray = field(repr=False, compare=False)
    region_reached: np.ndarray = field(repr=False, compare=False)

    @property
    def log_likelihood_sbg(self) -> float:
        """Maximised sBG log-likelihood [nats]."""
        return self.sbg.log_likelihood

    @property
    def log_likelihood_constant(self) -> float:
        """Constant-retention log-likelihood on the same counts [nats]."""
        return self.constant.log_likelihood

    @property
    def mape_sbg(self) -> float:
        """MAPE of the sBG fitted survivors on the fitted periods (decimal)."""
        return _mape(self.observed, "sbg", fitted=True)

    @property
    def mape_constant(self) -> float:
        """MAPE of the constant-retention fitted survivors on the fitted periods (decimal)."""
        return _mape(self.observed, "constant", fitted=True)

    def interval(self, func: Callable) -> Interval | tuple:
        """Profile-likelihood interval of any quantity ``func(alpha, beta)``.

        ``func`` receives 1-D arrays of n alpha and beta values and returns an array of shape
        ``(n,)`` (a scalar quantity: an :class:`Interval` is returned) or ``(n, m)`` (a curve:
        a tuple ``(estimate, low, high, open_low, open_high)`` of length-m arrays).

        Examples
        --------
        >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
        >>> fit = fit_retention(pd.DataFrame({"period": range(8),
        ...                                   "active": FADER_HARDIE_2007_REGULAR[:8]}))
        >>> i = fit.interval(lambda a, b: a / (a + b))  # mean churn probability
        >>> round(i.estimate, 3), i.low < i.estimate < i.high
        (0.373, True)
        """
        return _interval(
            func, (self.sbg.alpha, self.sbg.beta), self.region, self.region_reached, self.level
        )

    def survival_band(self, horizon_periods: int) -> pd.DataFrame:
        """Fitted survival curves with the sBG interval band, periods 0..horizon [share].

        Returns
        -------
        pandas.DataFrame
            Columns ``period, sbg, sbg_low, sbg_high, constant``.
        """
        t = np.arange(int(horizon_periods) + 1)
        est, low, high, _, _ = self.interval(lambda a, b: sbg_survival(a[:, None], b[:, None], t))
        return pd.DataFrame(
            {
                "period": t,
                "sbg": est,
                "sbg_low": low,
                "sbg_high": high,
                "constant": self.constant.survival(t),
            }
        )

    def clv(self, margin_per_year: float) -> Interval:
        """Lifetime value of a new customer, margin x DEL, with its interval [currency].

        ``margin_per_year`` is received at the start of every year the customer is active,
        the acquisition year included (docs/model.md §6).
        """
        m = float(margin_per_year)
        d = self.lifetime
        return Interval(
            d.estimate * m,
            min(d.low * m, d.high * m),
            max(d.low * m, d.high * m),
            d.level,
            d.open_low if m >= 0 else d.open_high,
            d.open_high if m >= 0 else d.open_low,
        )


def _mape(table: pd.DataFrame, column: str, *, fitted: bool) -> float:
    rows = table[(table["in_fit"] == fitted) & (table["period"] >= 1) & (table["observed"] > 0)]
    if rows.empty:
        return math.nan
    return float(np.mean(np.abs(rows[column] / rows["observed"] - 1)))


@dataclass(frozen=True)
class _Selection:
    """The cohorts of a fit: those with periods 0 and 1 inside the fit window, in table order.

    ``index`` are their positions in the table, ``lengths`` their counts per cohort (T + 1)
    and ``cut`` the counts inside the window (``min(T, fit_periods) + 1``).
    """

    names: list[str]
    index: np.ndarray
    lengths: np.ndarray
    cut: np.ndarray


def _select(table: CohortTable, names: Sequence[str] | None, fit_periods: int | None):
    """Pick the cohorts ``names`` (all when None) that have two counts in the fit window."""
    if names is None:
        index = np.arange(len(table.cohorts), dtype=np.int64)
        labels = np.array(table.names, dtype=object)
    else:
        position = table._positions
        index = np.array([position[n] for n in names], dtype=np.int64)
        labels = np.array(list(names), dtype=object)
    lengths = table.lengths[index]
    cut = lengths if fit_periods is None else np.minimum(lengths, int(fit_periods) + 1)
    keep = cut >= 2
    return _Selection(labels[keep].tolist(), index[keep], lengths[keep], cut[keep])


def _rows(table: CohortTable, index: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions in ``table.counts`` of periods 0..lengths-1 of the cohorts at ``index``."""
    return np.repeat(table.offsets[index], lengths) + _periods(lengths)


#: Above this many cohorts, cohorts of equal length are summed before fitting.
_GROUP_ABOVE = 64


def _sufficient(table: CohortTable, sel: _Selection) -> list[np.ndarray]:
    """Survivor arrays for the likelihood: per cohort, or summed per observed length.

    The pooled sBG and constant-retention likelihoods are linear in the counts: a cohort
    observed to T adds its churners S(t-1) - S(t) at t = 1..T and its S(T) survivors censored
    at T (Fader & Hardie 2007, eq. 9). Cohorts with the same T therefore enter only through
    their summed counts, so any number of cohorts reduces to at most one array per distinct T
    and the optimiser's cost no longer grows with the number of rows. The sums are one
    ``numpy.bincount`` over the table's rows (key: length group x period), which adds the
    cohorts in table order, as a row-by-row sum would. Small sets are left as they are (the
    sums change the last bits of floating-point results).
    """
    rows = _rows(table, sel.index, sel.cut)
    values = np.asarray(table.counts, dtype=float)[rows]
    if sel.index.size <= _GROUP_ABOVE:
        return np.split(values, np.cumsum(sel.cut)[:-1])
    sizes, group = np.unique(sel.cut, return_inverse=True)
    width = int(sizes.max())
    key = np.repeat(group, sel.cut) * width + _periods(sel.cut)
    sums = np.bincount(key, weights=values, minlength=sizes.size * width)
    sums = sums.reshape(sizes.size, width)
    return [sums[g, :size].copy() for g, size in enumerate(sizes.tolist())]


def _fitted_rows(table: CohortTable, sel: _Selection):
    """Cohort label, period, observed count and cohort size of every row of the selection."""
    rows = _rows(table, sel.index, sel.lengths)
    counts = np.asarray(table.counts, dtype=float)
    period = _periods(sel.lengths)
    size = np.repeat(counts[table.offsets[sel.index]], sel.lengths)
    labels = np.repeat(np.array(sel.names, dtype=object), sel.lengths)
    return labels, period, counts[rows], size


def fit_retention(
    table,
    *,
    cohorts: Sequence[str] | None = None,
    name: str = POOLED,
    fit_periods: int | None = None,
    discount_rate: float = 0.10,
    tenure: int = 0,
    level: float = 0.95,
) -> RetentionFit:
    """Fit sBG (and constant retention) to some cohorts of a table, with intervals.

    Parameters
    ----------
    table : CohortTable, DataFrame or path
        The cohort counts (read with :func:`read_cohorts` if needed).
    cohorts : sequence of str, optional
        Cohorts to fit jointly (shared alpha, beta); default all.
    name : str
        Label of the fit.
    fit_periods : int, optional
        Use periods 0..fit_periods only; later periods are held out (``in_fit`` False).
    discount_rate : float
        Annual discount rate for DEL and DERL, decimal [1/year].
    tenure : int
        Renewals made by the customers the residual lifetime and retention refer to.
    level : float
        Confidence level of the profile-likelihood intervals, in (0, 1).

    Returns
    -------
    RetentionFit
        See the class.

    Raises
    ------
    CalibrationError
        If no cohort has two periods after acquisition within the fit window, or an argument
        is out of range.

    Examples
    --------
    >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
    >>> df = pd.DataFrame({"cohort": "regular", "period": range(13),
    ...                    "active": FADER_HARDIE_2007_REGULAR})
    >>> fit = fit_retention(df, fit_periods=7)
    >>> round(fit.alpha.estimate, 3), round(fit.beta.estimate, 3)
    (0.704, 1.182)
    """
    table = read_cohorts(table)
    if not 0 < level < 1:
        raise CalibrationError(f"level must be between 0 and 1 (got {level})")
    if not (math.isfinite(discount_rate) and discount_rate > 0):
        raise CalibrationError(f"discount rate must be a decimal > 0 (got {discount_rate})")
    if tenure < 0 or int(tenure) != tenure:
        raise CalibrationError(f"tenure must be a whole number of renewals >= 0 (got {tenure})")
    tenure = int(tenure)
    if fit_periods is not None and (int(fit_periods) != fit_periods or fit_periods < 2):
        raise CalibrationError(f"fit periods must be a whole number >= 2 (got {fit_periods})")
    names = table.names if cohorts is None else list(cohorts)
    unknown = [n for n in names if n not in table.cohorts]
    if unknown:
        raise CalibrationError(
            f"no cohort named {', '.join(unknown)} (cohorts: {', '.join(table.names)})"
        )
    sel = _select(table, names, fit_periods)
    used = sel.names
    if not used or int(sel.cut.max()) < 3:
        window = f"periods 0..{fit_periods}" if fit_periods is not None else "the table"
        where = f"{table.source}: " if table.source else ""
        raise CalibrationError(
            f"{where}cannot fit {name}: no cohort has counts for 2 periods after acquisition in "
            f"{window}; alpha and beta need at least periods 0, 1 and 2"
        )
    grouped = _sufficient(table, sel)
    sbg = fit_sbg_pooled(grouped)
    constant = fit_constant_retention(grouped)
    points, reached = _likelihood_region(sbg, grouped, level)
    est = (sbg.alpha, sbg.beta)

    def interval(func, unbounded=False):
        return _interval(func, est, points, reached, level, unbounded_ends=unbounded)

    d = float(discount_rate)
    alpha_i = interval(lambda a, b: a, unbounded=True)
    beta_i = interval(lambda a, b: b, unbounded=True)
    ret_i = interval(lambda a, b: sbg_retention(a, b, tenure + 1))
    del_i = interval(lambda a, b: discounted_expected_lifetime(a, b, d))
    derl_i = interval(lambda a, b: discounted_expected_residual_lifetime(a, b, d, tenure + 1))

    # One survival band for periods 0..T_max; each cohort's band is its size times it, which
    # is the band of size x survival since multiplying by S(0) > 0 keeps the order of values.
    lengths = sel.lengths
    t_all = np.arange(int(lengths.max()))
    band, band_low, band_high, _, _ = _interval(
        lambda a, b: sbg_survival(a[:, None], b[:, None], t_all), est, points, reached, level
    )
    labels, period, counts, size = _fitted_rows(table, sel)
    limit = fit_periods if fit_periods is not None else int(lengths.max())
    observed = pd.DataFrame(
        {
            "cohort": labels,
            "period": period,
            "observed": counts,
            "sbg": size * band[period],
            "sbg_low": size * band_low[period],
            "sbg_high": size * band_high[period],
            "constant": size * constant.retention ** period.astype(float),
            "in_fit": period <= limit,
        }
    )
    points.setflags(write=False)
    reached.setflags(write=False)
    return RetentionFit(
        name=name,
        cohort_names=tuple(used),
        fit_periods=int(sel.cut.max() - 1),
        sbg=sbg,
        constant=constant,
        alpha=alpha_i,
        beta=beta_i,
        retention_at_tenure=ret_i,
        lifetime=del_i,
        residual_lifetime=derl_i,
        discount_rate=d,
        tenure=tenure,
        level=level,
        observed=observed,
        region=points,
        region_reached=reached,
    )


@dataclass(frozen=True)
class Backtest:
    """Both models fitted on early periods, scored on the later, held-out periods.

    Attributes
    ----------
    fit_periods : int
        Periods 0..fit_periods were fitted; later ones were held out.
    table : pandas.DataFrame
        ``cohort, period, observed, sbg, constant, in_fit`` for every observed period.
    mape_sbg, mape_constant : float
        Mean absolute percentage error on the held-out periods (decimal).
    last_period_error_sbg, last_period_error_constant : float
        Relative error (fitted / observed - 1) at the last observed period of the longest
        cohort (decimal).
    alpha, beta, retention : float
        The backtest's sBG estimates and constant retention rate.
    """

    fit_periods: int
    table: pd.DataFrame = field(repr=False, compare=False)
    mape_sbg: float
    mape_constant: float
    last_period_error_sbg: float
    last_period_error_constant: float
    alpha: float
    beta: float
    retention: float


def _backtest(table: CohortTable, names, fit_periods: int) -> Backtest | None:
    sel = _select(table, names, fit_periods)
    if not sel.names or int(sel.cut.max()) < 3:
        return None
    if not np.any(sel.lengths - 1 > fit_periods):
        return None
    grouped = _sufficient(table, sel)
    sbg = fit_sbg_pooled(grouped)
    constant = fit_constant_retention(grouped)
    lengths = sel.lengths
    labels, period, counts, size = _fitted_rows(table, sel)
    curve = np.asarray(sbg.survival(np.arange(int(lengths.max()))), dtype=float).reshape(-1)
    frame = pd.DataFrame(
        {
            "cohort": labels,
            "period": period,
            "observed": counts,
            "sbg": size * curve[period],
            "constant": size * constant.retention ** period.astype(float),
            "in_fit": period <= fit_periods,
        }
    )
    longest = int(np.argmax(lengths))  # the first of the longest cohorts
    last = frame.iloc[int(np.cumsum(lengths)[longest]) - 1]
    return Backtest(
        fit_periods=int(fit_periods),
        table=frame,
        mape_sbg=_mape(frame, "sbg", fitted=False),
        mape_constant=_mape(frame, "constant", fitted=False),
        last_period_error_sbg=float(last["sbg"] / last["observed"] - 1)
        if last["observed"] > 0
        else math.nan,
        last_period_error_constant=float(last["constant"] / last["observed"] - 1)
        if last["observed"] > 0
        else math.nan,
        alpha=sbg.alpha,
        beta=sbg.beta,
        retention=constant.retention,
    )


@dataclass(frozen=True)
class Calibration:
    """Everything :func:`calibrate` learns from a cohort table.

    Attributes
    ----------
    table : CohortTable
        The validated counts.
    pooled : RetentionFit
        One sBG shared by all cohorts (the pooled log-likelihood is the sum of the cohorts').
    by_cohort : dict of str to RetentionFit
        Each cohort on its own (cohorts with fewer than 2 periods are left out).
    backtest : Backtest or None
        sBG against constant retention fitted on early periods and scored on later ones.
    skipped : dict of str to str
        Cohorts without a fit of their own, and why.
    """

    table: CohortTable
    pooled: RetentionFit
    by_cohort: dict[str, RetentionFit]
    backtest: Backtest | None
    skipped: dict[str, str]

    def to_json(self, cohort: str | None = None) -> dict:
        """JSON-able summary of the pooled (or one cohort's) fit and the backtest.

        Infinite interval ends become None.
        """
        fit = self.fit(cohort)

        def num(x):
            return float(x) if x is not None and math.isfinite(x) else None

        def iv(i: Interval, se=None):
            out = {"estimate": num(i.estimate), "low": num(i.low), "high": num(i.high)}
            if se is not None:
                out["se"] = num(se)
            return out

        bt = self.backtest
        return {
            "source": self.table.source,
            "sha256": self.table.sha256,
            "cohorts": self.table.names,
            "fit": {
                "name": fit.name,
                "cohorts": list(fit.cohort_names),
                "fit_periods": fit.fit_periods,
                "level": fit.level,
                "alpha": iv(fit.alpha, fit.sbg.se_alpha),
                "beta": iv(fit.beta, fit.sbg.se_beta),
                "log_likelihood": num(fit.sbg.log_likelihood),
                "converged": fit.sbg.converged,
                "mape": num(fit.mape_sbg),
                "tenure": fit.tenure,
                "discount_rate": fit.discount_rate,
                "retention_at_tenure": iv(fit.retention_at_tenure),
                "discounted_expected_lifetime": iv(fit.lifetime),
                "discounted_expected_residual_lifetime": iv(fit.residual_lifetime),
                "constant": {
                    "retention": num(fit.constant.retention),
                    "se": num(fit.constant.se),
                    "log_likelihood": num(fit.constant.log_likelihood),
                    "mape": num(fit.mape_constant),
                },
            },
            "by_cohort": {
                n: {
                    "alpha": num(f.sbg.alpha),
                    "beta": num(f.sbg.beta),
                    "converged": f.sbg.converged,
                }
                for n, f in self.by_cohort.items()
            },
            "backtest": None
            if bt is None
            else {
                "fit_periods": bt.fit_periods,
                "alpha": num(bt.alpha),
                "beta": num(bt.beta),
                "retention": num(bt.retention),
                "mape_sbg": num(bt.mape_sbg),
                "mape_constant": num(bt.mape_constant),
            },
        }

    def fit(self, cohort: str | None = None) -> RetentionFit:
        """Return the pooled fit (``cohort`` None or ``"pooled"``) or one cohort's fit."""
        if cohort in (None, POOLED):
            return self.pooled
        if cohort in self.by_cohort:
            return self.by_cohort[cohort]
        why = self.skipped.get(cohort)
        if why:
            raise CalibrationError(f"cohort {cohort} has no fit of its own: {why}")
        raise CalibrationError(f"no cohort named {cohort} (cohorts: {', '.join(self.table.names)})")


def calibrate(
    source,
    *,
    fit_periods: int | None = None,
    backtest_periods: int | None = None,
    discount_rate: float = 0.10,
    tenure: int = 0,
    level: float = 0.95,
    cohort: str | None = None,
) -> Calibration:
    """Read a cohort table and fit sBG pooled and per cohort, with a backtest.

    Parameters
    ----------
    source : str, path-like, DataFrame or CohortTable
        The cohort table.
    fit_periods : int, optional
        Fit on periods 0..fit_periods (default all observed).
    backtest_periods : int, optional
        Periods fitted in the backtest; the rest are held out. Default: ``fit_periods`` when it
        leaves periods out, otherwise 60% of the longest cohort's periods (at least 2). No
        backtest when nothing would be held out.
    discount_rate : float
        Annual discount rate for DEL and DERL, decimal [1/year].
    tenure : int
        Renewals made by the customers DERL and the retention interval refer to.
    level : float
        Confidence level of the intervals.
    cohort : str, optional
        A cohort that gets a fit of its own even beyond the first ``MAX_COHORT_FITS``.

    Returns
    -------
    Calibration
        Pooled and per-cohort fits (the first ``MAX_COHORT_FITS`` cohorts with at least two
        periods, and ``cohort``), backtest, validated table. Fitting works on the summed
        counts per period (see ``_sufficient``), so its cost hardly grows with the rows.

    Examples
    --------
    >>> from cxroi.engine.retention import FADER_HARDIE_2007_REGULAR
    >>> df = pd.DataFrame({"cohort": "regular", "period": range(13),
    ...                    "active": FADER_HARDIE_2007_REGULAR})
    >>> cal = calibrate(df)
    >>> cal.backtest.fit_periods, round(cal.backtest.alpha, 3), round(cal.backtest.beta, 3)
    (7, 0.704, 1.182)
    """
    table = read_cohorts(source)
    kwargs = dict(discount_rate=discount_rate, tenure=tenure, level=level)
    pooled = fit_retention(table, name=POOLED, fit_periods=fit_periods, **kwargs)
    by_cohort, skipped = {}, {}
    fitted_alone = 0
    names = table.names  # once: the loop below is O(1) per cohort
    window = table.lengths if fit_periods is None else np.minimum(table.lengths, fit_periods + 1)
    too_short = "fewer than 2 periods after acquisition (it still counts in the pooled fit)"
    beyond_cap = (
        f"only the first {MAX_COHORT_FITS} cohorts are fitted alone (limit "
        "MAX_COHORT_FITS; ask for this one with cohort=...); it counts in the pooled fit"
    )
    for n, size in zip(names, window.tolist(), strict=True):
        if size < 3:
            skipped[n] = too_short
            continue
        if len(names) == 1:  # the pooled fit is this cohort's fit
            by_cohort[n] = dataclasses.replace(pooled, name=n)
            continue
        if fitted_alone >= MAX_COHORT_FITS and n != cohort:
            skipped[n] = beyond_cap
            continue
        fitted_alone += 1
        by_cohort[n] = fit_retention(table, cohorts=[n], name=n, fit_periods=fit_periods, **kwargs)
    longest = table.n_periods
    if backtest_periods is None:
        if fit_periods is not None and fit_periods < longest:
            backtest_periods = fit_periods
        else:
            backtest_periods = max(2, int(0.6 * longest))
    backtest = _backtest(table, table.names, int(backtest_periods)) if longest >= 3 else None
    return Calibration(
        table=table, pooled=pooled, by_cohort=by_cohort, backtest=backtest, skipped=skipped
    )


# ---------------------------------------------------------------------------------------------
# Text report
# ---------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _fit_lines(fit: RetentionFit) -> list[str]:
    lvl = f"{fit.level:.0%}"
    sbg = fit.sbg
    cohorts = ", ".join(fit.cohort_names)
    lines = [
        f"sBG fit '{fit.name}' on {len(fit.cohort_names)} cohort(s) ({cohorts}), "
        f"periods 0..{fit.fit_periods}",
        f"  {'':24}{'estimate':>10}{'std err':>10}   {lvl} interval (profile likelihood)",
        f"  {'alpha':24}{sbg.alpha:>10.4g}{sbg.se_alpha:>10.3g}   {_ends(fit.alpha)}",
        f"  {'beta':24}{sbg.beta:>10.4g}{sbg.se_beta:>10.3g}   {_ends(fit.beta)}",
        f"  {'retention at tenure ' + str(fit.tenure):24}"
        f"{fit.retention_at_tenure.estimate:>10.4f}{'':>10}   {_ends(fit.retention_at_tenure)}",
        f"  {'DEL (new customer)':24}{fit.lifetime.estimate:>10.3f}{'':>10}   "
        f"{_ends(fit.lifetime)}   years at d = {fit.discount_rate:.1%}",
        f"  {'DERL (tenure ' + str(fit.tenure) + ')':24}{fit.residual_lifetime.estimate:>10.3f}"
        f"{'':>10}   {_ends(fit.residual_lifetime)}   years at d = {fit.discount_rate:.1%}",
        f"  log-likelihood {sbg.log_likelihood:.2f}; MAPE on fitted periods "
        f"{_pct(fit.mape_sbg)}; {'converged' if sbg.converged else 'NOT converged: '}"
        + ("" if sbg.converged else sbg.message),
        f"  constant retention on the same periods: r = {fit.constant.retention:.4f} "
        f"(std err {fit.constant.se:.4f}), log-likelihood {fit.constant.log_likelihood:.2f}, "
        f"MAPE {_pct(fit.mape_constant)}",
    ]
    return lines


def _ends(i: Interval) -> str:
    lo = "0" if (i.open_low and i.low == 0) else f"{i.low:.4g}"
    hi = "unbounded" if (i.open_high and math.isinf(i.high)) else f"{i.high:.4g}"
    if i.open_low and i.low != 0:
        lo = f"<= {lo}"
    if i.open_high and not math.isinf(i.high):
        hi = f">= {hi}"
    return f"{lo} to {hi}"


def format_calibration(cal: Calibration, cohort: str | None = None) -> str:
    """Plain-text report of a calibration, as ``cxroi calibrate`` prints it.

    Parameters
    ----------
    cal : Calibration
        The result of :func:`calibrate`.
    cohort : str, optional
        Report this cohort's own fit in detail instead of the pooled one.

    Returns
    -------
    str
        The report.
    """
    table = cal.table
    fit = cal.fit(cohort)
    lines = [
        f"Retention calibration: {table.source or 'table'} ({len(table.names)} cohort(s), "
        f"{table.layout} layout, up to {table.n_periods} periods after acquisition)",
        "",
    ]
    lines += _fit_lines(fit)
    lines += ["", "Observed against fitted survivors"]
    obs = fit.observed
    lines.append(
        f"  {'cohort':14}{'period':>7}{'observed':>11}{'sBG':>11}{'interval':>22}{'constant':>11}"
    )
    shown_rows = obs.iloc[:_MAX_REPORT_ROWS]
    for row in shown_rows.itertuples():
        flag = "" if row.in_fit else "  (held out)"
        band = f"{row.sbg_low:,.1f} - {row.sbg_high:,.1f}"
        lines.append(
            f"  {str(row.cohort)[:14]:14}{row.period:>7}{row.observed:>11,.0f}{row.sbg:>11,.1f}"
            f"{band:>22}{row.constant:>11,.1f}{flag}"
        )
    if len(obs) > len(shown_rows):
        lines.append(
            f"  ... and {len(obs) - len(shown_rows):,} more rows (the JSON output and the "
            "calibration page hold every fit; the table shows the first rows)"
        )
    if len(cal.by_cohort) > 1 or cal.skipped:
        lines += ["", "Each cohort on its own"]
        lines.append(
            f"  {'cohort':14}{'periods':>8}{'alpha':>10}{'beta':>10}   "
            f"{'alpha interval':>22}   {'beta interval':>22}  converged"
        )
        for name, f in cal.by_cohort.items():
            lines.append(
                f"  {name[:14]:14}{f.fit_periods:>8}{f.sbg.alpha:>10.4g}{f.sbg.beta:>10.4g}   "
                f"{_ends(f.alpha):>22}   {_ends(f.beta):>22}  {'yes' if f.sbg.converged else 'no'}"
            )
        skipped = list(cal.skipped.items())
        for name, why in skipped[:_MAX_REPORT_ROWS]:
            lines.append(f"  {name[:14]:14}  not fitted alone: {why}")
        if len(skipped) > _MAX_REPORT_ROWS:
            lines.append(
                f"  ... and {len(skipped) - _MAX_REPORT_ROWS:,} more cohorts not fitted alone"
            )
    bt = cal.backtest
    if bt is not None:
        lines += [
            "",
            f"Backtest: both models fitted on periods 0..{bt.fit_periods}, scored on later periods",
            f"  sBG alpha {bt.alpha:.4g}, beta {bt.beta:.4g}; constant retention "
            f"r = {bt.retention:.4f}",
            f"  held-out MAPE: sBG {_pct(bt.mape_sbg)}, "
            f"constant retention {_pct(bt.mape_constant)}",
            f"  error at the last observed period: sBG {bt.last_period_error_sbg:+.1%}, "
            f"constant retention {bt.last_period_error_constant:+.1%}",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Writing the fit into a scenario
# ---------------------------------------------------------------------------------------------


def _round_sig(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def tenure_mix_from_table(table: CohortTable) -> dict[int, float]:
    """Today's customers by renewals made, read from a staggered cohort table (docs/model.md §14).

    Each cohort is taken as observed up to today: its last count is the customers of that
    cohort active now, and the periods since acquisition are the renewals they have made.
    Cohorts of the same age are added up; the shares sum to 1 exactly.

    Parameters
    ----------
    table : CohortTable

    Returns
    -------
    dict of int to float
        ``{renewals: share}``, renewals ascending.

    Raises
    ------
    CalibrationError
        If no customer of the table is active at its last period.

    Examples
    --------
    >>> t = CohortTable({"2023": (100.0, 80.0, 70.0), "2024": (100.0, 90.0), "2025": (50.0,)})
    >>> tenure_mix_from_table(t)
    {0: 0.23809523809523808, 1: 0.42857142857142855, 2: 0.33333333333333337}
    """
    # customers active now, added up by renewals made (cohorts summed in table order)
    renewals = table.lengths - 1
    now = np.asarray(table.counts, dtype=float)[table.offsets + renewals]
    sums = np.bincount(renewals, weights=now)
    counts = {int(k): float(sums[k]) for k in np.unique(renewals)}
    total = math.fsum(counts.values())
    if not total > 0:
        raise CalibrationError("no customer of the cohort table is active at its last period")
    keys = sorted(k for k in counts if counts[k] > 0)
    shares = {k: counts[k] / total for k in keys}
    shares[keys[-1]] = 1.0 - math.fsum(shares[k] for k in keys[:-1])
    return shares


def retention_mapping(fit: RetentionFit, tenure: int | Mapping[int, float] = 0) -> dict:
    """Build the scenario ``retention`` mapping ``{alpha, beta, tenure}`` of a fit.

    Parameters
    ----------
    fit : RetentionFit
        The fit.
    tenure : int
        Renewals today's customers of the segment have already made (docs/model.md §4).

    Returns
    -------
    dict
        ``{"alpha": ..., "beta": ..., "tenure": ...}``, alpha and beta to 6 significant digits.
    """
    if isinstance(tenure, Mapping):  # a tenure mix (docs/model.md §14)
        mix = {int(k): float(v) for k, v in tenure.items()}
    elif tenure < 0 or int(tenure) != tenure:
        raise CalibrationError(f"tenure must be a whole number of renewals >= 0 (got {tenure})")
    else:
        mix = int(tenure)
    return {
        "alpha": _round_sig(fit.sbg.alpha),
        "beta": _round_sig(fit.sbg.beta),
        "tenure": mix,
    }


def _tenure_comment(fit: RetentionFit, tenure: int | Mapping[int, float]) -> str:
    a, b = fit.sbg.alpha, fit.sbg.beta
    if isinstance(tenure, Mapping):
        rate = math.fsum(v * (b + k) / (a + b + k) for k, v in tenure.items())
        mix = ", ".join(f"{k}: {v:.4f}" for k, v in tenure.items())
        return (
            f"# tenure mix {{{mix}}} (renewals: share of today's customers, read from the "
            f"cohort table); share-weighted retention = {rate:.4f}."
        )
    return (
        f"# tenure = {int(tenure)} renewals made by today's customers; retention at that tenure "
        f"= {(b + tenure) / (a + b + tenure):.4f}."
    )


def _pick_segment(data: Mapping, segment: str | None, label: str) -> int:
    segments = data.get("segments") if isinstance(data, Mapping) else None
    if not isinstance(segments, list) or not segments:
        raise CalibrationError(f"{label}: the scenario has no segments list")
    names = [str(s.get("name")) if isinstance(s, Mapping) else "?" for s in segments]
    if segment is None:
        if len(segments) == 1:
            return 0
        raise CalibrationError(
            f"{label}: say which segment gets the fitted retention with --segment "
            f"(segments: {', '.join(names)})"
        )
    if segment not in names:
        raise CalibrationError(
            f"{label}: no segment named {segment!r} (segments: {', '.join(names)})"
        )
    return names.index(segment)


def scenario_with_retention(
    scenario,
    fit: RetentionFit,
    *,
    segment: str | None = None,
    tenure: int | Mapping[int, float] = 0,
    table: CohortTable | None = None,
    scenario_label: str | None = None,
    now: _dt.datetime | None = None,
) -> tuple[str, dict]:
    """YAML text of a scenario whose segment retention is replaced by a fitted sBG.

    Parameters
    ----------
    scenario : str, path-like or mapping
        The scenario YAML file or its mapping.
    fit : RetentionFit
        The fit to write.
    segment : str, optional
        Segment name; may be omitted when the scenario has one segment.
    tenure : int
        Renewals the segment's current customers have made.
    table : CohortTable, optional
        The table the fit came from, for the provenance comment.
    scenario_label : str, optional
        How to name the scenario in the provenance comment (default its path).
    now : datetime, optional
        Time stamp of the provenance (default now, UTC).

    Returns
    -------
    tuple of (str, dict)
        The YAML text, provenance first as ``#`` comment lines (the scenario schema has no
        place for unknown keys), and the new mapping. The mapping is checked with
        :func:`cxroi.load_scenario` before it is returned.

    Raises
    ------
    CalibrationError
        Unknown segment, unreadable scenario, or a result the scenario loader rejects.
    """
    from cxroi.model.scenario import ScenarioError, load_scenario

    if isinstance(scenario, Mapping):
        data = dict(scenario)
        label = scenario_label or "scenario"
        digest = None
    else:
        from cxroi.model.scenario import read_yaml

        path = Path(scenario)
        label = scenario_label or str(scenario)
        if not path.is_file():
            raise CalibrationError(f"{label}: no such scenario file")
        try:  # the CLI's loader: regular files only, size, alias, depth and node limits
            data = read_yaml(path)
        except ScenarioError as exc:
            raise CalibrationError(str(exc)) from None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if not isinstance(data, dict):
            raise CalibrationError(f"{label}: the scenario must be a mapping of fields")
    index = _pick_segment(data, segment, label)
    data["segments"] = [dict(s) for s in data["segments"]]
    seg = data["segments"][index]
    seg["retention"] = retention_mapping(fit, tenure)
    try:
        load_scenario(data)
    except ScenarioError as exc:
        raise CalibrationError(f"the calibrated scenario would not load: {exc}") from None
    stamp = (now or _dt.datetime.now(_dt.UTC)).replace(microsecond=0).isoformat()
    lvl = f"{fit.level:.0%}"
    header = [
        f"# Retention of segment {seg.get('name')!r} calibrated by `cxroi calibrate` on {stamp}.",
        f"# Based on scenario: {label}" + (f" (sha256 {digest})" if digest else ""),
    ]
    if table is not None:
        header.append(
            f"# Cohort data: {table.source or 'a DataFrame'}"
            + (f" (sha256 {table.sha256})" if table.sha256 else "")
        )
    header += [
        f"# sBG fit '{fit.name}' on {len(fit.cohort_names)} cohort(s), periods "
        f"0..{fit.fit_periods}: alpha = {fit.sbg.alpha:.6g} (std err {fit.sbg.se_alpha:.3g}, "
        f"{lvl} profile interval {_ends(fit.alpha)}),",
        f"#   beta = {fit.sbg.beta:.6g} (std err {fit.sbg.se_beta:.3g}, {lvl} interval "
        f"{_ends(fit.beta)}), log-likelihood {fit.sbg.log_likelihood:.3f}, "
        f"MAPE {_pct(fit.mape_sbg)}.",
        _tenure_comment(fit, tenure),
        "# Comments of the original scenario file are not carried over.",
        "",
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + body, data


def write_scenario_with_retention(
    scenario,
    fit: RetentionFit,
    out_path,
    *,
    segment: str | None = None,
    tenure: int | Mapping[int, float] = 0,
    table: CohortTable | None = None,
    force: bool = False,
    now: _dt.datetime | None = None,
) -> Path:
    """Write a copy of a scenario with the fitted sBG retention in one segment.

    The file is written to a temporary name in the same folder and renamed, so an interrupted
    run never leaves a half-written scenario. An existing file (including the input scenario
    itself) is only replaced with ``force=True``.

    Parameters
    ----------
    scenario : str or path-like
        Scenario to start from.
    fit : RetentionFit
        The fit to write.
    out_path : str or path-like
        The new scenario file.
    segment, tenure, table, now
        As :func:`scenario_with_retention`.
    force : bool
        Replace ``out_path`` if it exists.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    from cxroi.model.safety import atomic_write

    out = Path(out_path)
    if out.exists() and not force:
        raise CalibrationError(f"{out} already exists; pass --force to replace it")
    if not out.parent.exists():
        raise CalibrationError(f"{out.parent}: no such folder")
    text, _ = scenario_with_retention(
        scenario, fit, segment=segment, tenure=tenure, table=table, now=now
    )
    atomic_write(out, text)
    return out
