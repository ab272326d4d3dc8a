"""Cohort tables as fit inputs: the cohorts of a fit, their rows, their counts summed per length.

Part of :mod:`cxroi.analysis.calibration`. Everything here works on the table's counts laid end
to end (:attr:`CohortTable.counts`), so its cost is linear in the rows and free of Python loops
over the cohorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cxroi.analysis.calibration.cohorts import CohortTable, _periods


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
