"""Cohort tables: reading and checking a cohort table, and simulated cohorts for tests.

Part of :mod:`cxroi.analysis.calibration` (its docstring describes the method).
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from cxroi.errors import InputError

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


#: What :func:`read_cohorts` reads: a CSV file's path, its bytes, a DataFrame or a table.
CohortSource: TypeAlias = (
    str | os.PathLike | bytes | bytearray | memoryview | pd.DataFrame | CohortTable
)

_ACTIVE_NAMES = ("active", "alive", "survivors", "customers", "active_customers")
_PERIOD_NAMES = ("period", "year", "t", "month")
_WIDE_HEADER = re.compile(r"^\s*([A-Za-z_ ]*?)[\s_-]*(\d+)\s*$")


def _periods(lengths: np.ndarray) -> np.ndarray:
    """Period of every row of cohorts of the given lengths laid end to end: 0..n-1 per cohort."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


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


def read_cohorts(source: CohortSource, *, name: str | None = None) -> CohortTable:
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
    first_of = np.arange(n)  # for a repeated (cohort, period): the row that gave it first
    if dup.any():
        idx = pd.Series(np.arange(n))[valid]
        first_of[valid] = idx.groupby(key[valid]).transform("first").to_numpy()
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
        counts = num[i, : last + 1].tolist()  # no text, no hole: all numbers
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
    counts = np.asarray(n_periods)
    periods = [int(counts)] * len(sizes) if counts.ndim == 0 else [int(n) for n in counts]
    if len(periods) != len(sizes):
        raise ValueError("n_periods must be one number or one per cohort")
    labels = [str(i + 1) for i in range(len(sizes))] if names is None else list(names)
    cohorts = {}
    for label, size, horizon in zip(labels, sizes, periods, strict=True):
        p = np.clip(rng.beta(alpha, beta, size), 1e-12, 1.0)
        lifetime = rng.geometric(p)  # the period in which the customer churns, >= 1
        cohorts[label] = tuple(float(np.sum(lifetime > t)) for t in range(horizon + 1))
    return CohortTable(cohorts=cohorts, source=None, layout="long")
