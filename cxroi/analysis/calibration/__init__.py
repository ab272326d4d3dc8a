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

The work is split by stage into submodules (this package re-exports their public names, so
``from cxroi.analysis.calibration import calibrate`` works as ever):

* :mod:`~cxroi.analysis.calibration.cohorts`: reading and checking cohort tables, the size
  limits, the errors, simulated cohorts;
* :mod:`~cxroi.analysis.calibration.pooling`: the cohorts and rows of a fit, and their counts
  summed per observed length (linear in the rows);
* :mod:`~cxroi.analysis.calibration.fit`: sBG and constant-retention fits, intervals, backtests;
* :mod:`~cxroi.analysis.calibration.text`: the text report;
* :mod:`~cxroi.analysis.calibration.writeback`: writing a fit into a scenario file.
"""

from __future__ import annotations

from cxroi.analysis.calibration.cohorts import (
    MAX_COHORT_FITS,
    MAX_COUNT,
    MAX_PERIOD,
    MAX_TABLE_BYTES,
    POOLED,
    CalibrationError,
    CohortDataError,
    CohortTable,
    read_cohorts,
    simulate_cohorts,
)
from cxroi.analysis.calibration.fit import (
    Backtest,
    Calibration,
    ConstantRetentionFit,
    Interval,
    RetentionFit,
    calibrate,
    fit_constant_retention,
    fit_retention,
)
from cxroi.analysis.calibration.text import (
    format_calibration,
)
from cxroi.analysis.calibration.writeback import (
    retention_mapping,
    scenario_with_retention,
    tenure_mix_from_table,
    write_scenario_with_retention,
)

__all__ = [
    "MAX_COHORT_FITS",
    "MAX_COUNT",
    "MAX_PERIOD",
    "MAX_TABLE_BYTES",
    "POOLED",
    "tenure_mix_from_table",
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
