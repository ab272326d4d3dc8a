"""Large cohort tables in cxroi.analysis.calibration: a table of many cohorts fits exactly as
the table of its counts summed per observed length (the sBG likelihood is linear in the
counts), the per-row outputs cover every row, and the cohort loop stays linear."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxroi.analysis.calibration import (
    MAX_COHORT_FITS,
    CohortTable,
    calibrate,
    fit_retention,
    read_cohorts,
    tenure_mix_from_table,
)
from cxroi.engine.retention import sbg_survival


def _long_table(n_rows: int, seed: int, alpha: float = 0.7, beta: float = 1.2) -> pd.DataFrame:
    """About ``n_rows`` rows of sBG cohorts of 200..5000 customers seen for 1..12 periods.

    Lifetimes are drawn all at once: each cohort's churn counts are a multinomial draw over
    the sBG lifetime distribution P(T = t) = S(t - 1) - S(t), t = 1..12, and P(T > 12).
    """
    rng = np.random.default_rng(seed)
    n_cohorts = n_rows // 7
    length = rng.integers(2, 14, n_cohorts)  # counts at periods 0..length-1
    size = rng.integers(200, 5001, n_cohorts)
    s = np.asarray(sbg_survival(alpha, beta, np.arange(13)), dtype=float)
    pvals = np.append(-np.diff(s), s[-1])
    churned = rng.multinomial(size, pvals)  # (cohorts, 13): churn at t = 1..12, then alive
    survivors = size[:, None] - np.cumsum(np.c_[np.zeros(n_cohorts, int), churned[:, :12]], 1)
    period = np.concatenate([np.arange(k) for k in length])
    cohort = np.repeat(np.arange(n_cohorts), length)
    return pd.DataFrame(
        {
            "cohort": np.char.add("c", cohort.astype(str)),
            "period": period,
            "active": survivors[cohort, period],
        }
    )


def _summed(frame: pd.DataFrame, fit_periods: int | None) -> CohortTable:
    """One cohort per observed length (within the fit window): the counts added period by period."""
    table = read_cohorts(frame)
    summed: dict[int, np.ndarray] = {}
    for counts in table.cohorts.values():
        s = np.asarray(counts if fit_periods is None else counts[: fit_periods + 1])
        if s.size >= 2:
            summed[s.size] = summed.get(s.size, 0) + s
    return CohortTable({f"T{k - 1}": tuple(summed[k]) for k in sorted(summed)})


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    frame = _long_table(200_000, seed=11)
    assert len(frame) > 190_000
    return frame


@pytest.mark.parametrize("fit_periods", [None, 6])
def test_many_cohorts_fit_as_their_summed_counts(big, fit_periods):
    whole = fit_retention(big, fit_periods=fit_periods)
    summed = fit_retention(_summed(big, fit_periods), fit_periods=fit_periods)
    assert whole.sbg.alpha == pytest.approx(summed.sbg.alpha, rel=1e-12)
    assert whole.sbg.beta == pytest.approx(summed.sbg.beta, rel=1e-12)
    assert whole.sbg.log_likelihood == pytest.approx(summed.sbg.log_likelihood, rel=1e-12)
    assert whole.constant.retention == pytest.approx(summed.constant.retention, rel=1e-12)
    for name in ("alpha", "beta", "retention_at_tenure", "lifetime", "residual_lifetime"):
        a, b = getattr(whole, name), getattr(summed, name)
        assert (a.low, a.estimate, a.high) == pytest.approx((b.low, b.estimate, b.high), rel=1e-9)
    # the recovered parameters are the simulated ones (about 28,000 cohorts)
    assert whole.sbg.alpha == pytest.approx(0.7, rel=0.1)
    assert whole.sbg.beta == pytest.approx(1.2, rel=0.1)


def test_many_cohorts_keep_every_row_and_cap_the_fits_alone(big):
    cal = calibrate(big)
    obs = cal.pooled.observed
    assert len(obs) == len(big)
    # the observed column is the table, row for row, in the table's order
    np.testing.assert_array_equal(obs["observed"].to_numpy(), big["active"].to_numpy(float))
    np.testing.assert_array_equal(obs["period"].to_numpy(), big["period"].to_numpy())
    # fitted survivors are cohort size x the fitted curve
    size = big.groupby("cohort", sort=False)["active"].transform("first").to_numpy(float)
    curve = np.asarray(sbg_survival(cal.pooled.sbg.alpha, cal.pooled.sbg.beta, obs["period"]))
    np.testing.assert_allclose(obs["sbg"].to_numpy(), size * curve, rtol=1e-12)
    assert len(cal.by_cohort) == MAX_COHORT_FITS
    assert len(cal.by_cohort) + len(cal.skipped) == big["cohort"].nunique()
    bt = cal.backtest
    assert bt is not None and len(bt.table) == len(big)


def test_tenure_mix_adds_the_last_counts_by_age(big):
    table = read_cohorts(big)
    last = big.groupby("cohort", sort=False).agg(age=("period", "max"), now=("active", "last"))
    expected = last.groupby("age")["now"].sum()
    mix = tenure_mix_from_table(table)
    assert list(mix) == sorted(expected[expected > 0].index)
    for age, share in mix.items():
        assert share == pytest.approx(expected[age] / expected.sum(), rel=1e-12)
    assert sum(mix.values()) == pytest.approx(1.0, abs=1e-15)


def test_wide_layout_of_a_big_table_reads_as_the_long_one(big):
    part = big[big["cohort"].isin(big["cohort"].unique()[:5000])]
    wide = part.pivot(index="cohort", columns="period", values="active")
    wide = wide.loc[part["cohort"].unique()].reset_index()  # rows in the long table's order
    wide.columns = [str(c) for c in wide.columns]
    from_wide = read_cohorts(wide.to_csv(index=False).encode())
    from_long = read_cohorts(part)
    assert from_wide.layout == "wide"
    assert list(from_wide.cohorts.items()) == list(from_long.cohorts.items())
