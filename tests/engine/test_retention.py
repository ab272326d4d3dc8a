"""Tests for cxroi.engine.retention: published values, identities, properties and bad input."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from cxroi.engine import retention as ret
from cxroi.engine.retention import (
    FADER_HARDIE_2007_HIGH_END,
    FADER_HARDIE_2007_REGULAR,
    discounted_expected_lifetime,
    discounted_expected_residual_lifetime,
    fit_sbg,
    fit_sbg_pooled,
    margin_multiple,
    sbg_churn_probability,
    sbg_log_likelihood,
    sbg_retention,
    sbg_survival,
)

shape_param = st.floats(min_value=0.05, max_value=50.0, allow_nan=False)
discount = st.floats(min_value=0.01, max_value=0.5, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------------------------


def test_published_fit_regular_years_0_to_7():
    # Fader & Hardie (2007), J. Interactive Marketing 21(1): regular segment, ML on years 0..7
    # gives alpha = 0.704, beta = 1.182 (also docs/model.md §10).
    fit = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    assert fit.converged
    assert round(fit.alpha, 3) == 0.704
    assert round(fit.beta, 3) == 1.182
    assert (fit.alpha, fit.beta) == pytest.approx(ret.FADER_HARDIE_2007_REGULAR_FIT, abs=5e-4)
    assert fit.n_periods == 7
    # Log-likelihood at the optimum, computed here (the paper's Figure shows -1680.3).
    assert fit.log_likelihood == pytest.approx(-1680.265188, abs=1e-5)


def test_published_projection_to_year_12():
    # Same paper: the fitted model projects about 170 of 1000 alive at year 12 (173 observed).
    fit = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    projected = fit.project(12)
    assert projected.shape == (13,)
    assert projected[0] == 1000
    assert projected[12] == pytest.approx(170.0, abs=0.5)
    # Within 4% of the held-out actuals for every year 8..12.
    actual = np.array(FADER_HARDIE_2007_REGULAR[8:], dtype=float)
    assert np.all(np.abs(projected[8:] / actual - 1) < 0.04)


def test_published_fit_high_end():
    # Fader & Hardie (2007), high-end segment, years 0..7: alpha = 0.668, beta = 3.806.
    fit = fit_sbg(FADER_HARDIE_2007_HIGH_END[:8])
    assert round(fit.alpha, 3) == 0.668
    assert round(fit.beta, 3) == 3.806


def test_derl_table3():
    # Fader & Hardie (2010), Marketing Science 29(1), Table 3: alpha 3.80, beta 15.20, d 0.10,
    # DERL for n = 1..5 = 3.31, 3.45, 3.59, 3.72, 3.84.
    a, b, d = ret.FADER_HARDIE_2010_TABLE3_CASE
    derl = discounted_expected_residual_lifetime(a, b, d, np.arange(1, 6))
    np.testing.assert_array_equal(np.round(derl, 2), ret.FADER_HARDIE_2010_TABLE3_DERL)
    # More digits, from the closed form evaluated here.
    np.testing.assert_allclose(
        derl, [3.3098184210, 3.4510003289, 3.5865436565, 3.7168115387, 3.8421340240], rtol=1e-9
    )


@pytest.mark.parametrize(
    ("r", "i", "expected"),
    [
        (0.8, 0.10, 2.67),  # Gupta & Lehmann (2003), docs/model.md §10
        (0.9, 0.12, 4.09),  # Gupta & Lehmann (2003), docs/model.md §10
    ],
)
def test_margin_multiple_published(r, i, expected):
    assert round(margin_multiple(r, i), 2) == expected
    assert margin_multiple(r, i) == pytest.approx(r / (1 + i - r), rel=1e-15)


# --------------------------------------------------------------------------------------------
# Identities
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(0.704, 1.182), (3.8, 15.2), (0.2, 0.3), (25.0, 2.0)])
def test_survival_is_product_of_retention(a, b):
    t = np.arange(1, 30)
    np.testing.assert_allclose(
        sbg_survival(a, b, t), np.cumprod(sbg_retention(a, b, t)), rtol=1e-12
    )
    assert sbg_survival(a, b, 0) == 1.0


@pytest.mark.parametrize(("a", "b"), [(0.704, 1.182), (3.8, 15.2), (0.2, 0.3)])
def test_churn_probability_is_drop_in_survival(a, b):
    t = np.arange(1, 30)
    np.testing.assert_allclose(
        sbg_churn_probability(a, b, t),
        sbg_survival(a, b, t - 1) - sbg_survival(a, b, t),
        rtol=1e-10,
        atol=1e-15,
    )


@pytest.mark.parametrize(
    ("a", "b", "d"), [(0.704, 1.182, 0.10), (3.8, 15.2, 0.10), (1.5, 0.4, 0.05), (40.0, 9.0, 0.2)]
)
def test_del_equals_direct_sum(a, b, d):
    t = np.arange(0, 3000)
    direct = np.sum(sbg_survival(a, b, t) / (1 + d) ** t)
    assert discounted_expected_lifetime(a, b, d) == pytest.approx(direct, rel=1e-10)
    # and scipy's own 2F1 where it is accurate (small parameters)
    assert discounted_expected_lifetime(a, b, d) == pytest.approx(
        special.hyp2f1(1, b, a + b, 1 / (1 + d)), rel=1e-10
    )


def test_del_zero_discount_closed_form():
    # Gauss's theorem: 2F1(1, b; a + b; 1) = (a + b - 1) / (a - 1) for a > 1; infinite otherwise.
    assert discounted_expected_lifetime(3.0, 5.0, 0.0) == pytest.approx(7.0 / 2.0)
    assert discounted_expected_lifetime(0.7, 1.2, 0.0) == np.inf


@pytest.mark.parametrize(("a", "b", "d"), [(0.704, 1.182, 0.10), (3.8, 15.2, 0.10)])
def test_derl_n1_relation_with_del(a, b, d):
    # DERL starts counting one period after acquisition and does not discount that period,
    # so DERL(d | 0 renewals) = (1 + d) (DEL(d) - 1); it is NOT DEL - 1.
    dl = discounted_expected_lifetime(a, b, d)
    derl = discounted_expected_residual_lifetime(a, b, d, 1)
    assert derl == pytest.approx((1 + d) * (dl - 1), rel=1e-12)
    assert abs(derl - (dl - 1)) > 1e-3


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_derl_equals_direct_sum(n):
    a, b, d = 0.704, 1.182, 0.10
    t = np.arange(n, n + 3000)
    direct = np.sum(sbg_survival(a, b, t) / sbg_survival(a, b, n - 1) / (1 + d) ** (t - n))
    assert discounted_expected_residual_lifetime(a, b, d, n) == pytest.approx(direct, rel=1e-10)


def test_large_shapes_behave_like_constant_retention():
    # With beta / (alpha + beta) = r and alpha + beta -> infinity, churn is homogeneous.
    r, d = 0.8, 0.10
    k = 1e6
    a, b = k * (1 - r), k * r
    t = np.arange(0, 20)
    np.testing.assert_allclose(sbg_survival(a, b, t), r**t, rtol=1e-4)
    np.testing.assert_allclose(sbg_retention(a, b, t + 1), r, rtol=1e-5)
    # DEL -> sum r^t / (1+d)^t = (1+d) / (1+d-r); scipy's hyp2f1 returns nan here.
    assert discounted_expected_lifetime(a, b, d) == pytest.approx((1 + d) / (1 + d - r), rel=1e-4)
    # DERL -> r (1 + d) / (1 + d - r): the Gupta-Lehmann multiple r / (1 + d - r) discounts the
    # first retained period by one more factor (1 + d) than DERL does.
    assert discounted_expected_residual_lifetime(a, b, d, 3) == pytest.approx(
        (1 + d) * margin_multiple(r, d), rel=1e-4
    )


def test_fit_recovers_parameters_from_exact_survivors():
    a, b = 1.3, 4.2
    survivors = 5000 * sbg_survival(a, b, np.arange(0, 11))
    fit = fit_sbg(survivors)
    assert fit.converged
    assert fit.alpha == pytest.approx(a, rel=1e-6)
    assert fit.beta == pytest.approx(b, rel=1e-6)
    np.testing.assert_allclose(fit.project(10), survivors, rtol=1e-6)


def test_standard_errors_match_finite_difference_hessian():
    fit = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    s = FADER_HARDIE_2007_REGULAR[:8]
    x0 = np.array([fit.alpha, fit.beta])
    h = 1e-4

    def ll(x):
        return sbg_log_likelihood(x[0], x[1], s)

    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (
                ll(x0 + ei + ej) - ll(x0 + ei - ej) - ll(x0 - ei + ej) + ll(x0 - ei - ej)
            ) / (4 * h * h)
    cov = np.linalg.inv(-hess)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-3)
    assert fit.se_alpha == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-3)
    assert fit.se_beta == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-3)
    # Values computed here: se(alpha) ~ 0.066, se(beta) ~ 0.152.
    assert fit.se_alpha == pytest.approx(0.0656, abs=5e-4)
    assert fit.se_beta == pytest.approx(0.1525, abs=5e-4)


def test_pooled_fit_of_identical_cohorts_matches_single_fit():
    single = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    pooled = fit_sbg_pooled([FADER_HARDIE_2007_REGULAR[:8]] * 3)
    assert pooled.alpha == pytest.approx(single.alpha, rel=1e-6)
    assert pooled.beta == pytest.approx(single.beta, rel=1e-6)
    assert pooled.log_likelihood == pytest.approx(3 * single.log_likelihood, rel=1e-10)
    # three times the data: standard errors shrink by sqrt(3)
    assert pooled.se_alpha == pytest.approx(single.se_alpha / np.sqrt(3), rel=1e-4)


def test_pooled_fit_cohorts_of_different_lengths():
    a, b = 0.9, 2.5
    cohorts = [1000 * sbg_survival(a, b, np.arange(0, n)) for n in (9, 6, 3)]
    fit = fit_sbg_pooled(cohorts)
    assert fit.converged
    assert (fit.alpha, fit.beta) == pytest.approx((a, b), rel=1e-6)
    assert fit.n_periods == 8
    # pooled log-likelihood is the sum of the cohorts' log-likelihoods
    total = sum(sbg_log_likelihood(fit.alpha, fit.beta, c) for c in cohorts)
    assert fit.log_likelihood == pytest.approx(total, rel=1e-12)


def test_fit_without_heterogeneity_is_flagged():
    # Exactly geometric counts: the sBG likelihood increases without bound along r = 0.8.
    fit = fit_sbg(1000 * 0.8 ** np.arange(8))
    assert not fit.converged
    assert "heterogeneity" in fit.message
    assert fit.beta / (fit.alpha + fit.beta) == pytest.approx(0.8, rel=1e-3)


def test_fit_result_is_frozen_and_methods_work():
    fit = fit_sbg(FADER_HARDIE_2007_REGULAR[:8])
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.alpha = 1.0  # type: ignore[misc]
    assert fit.survival(3) == pytest.approx(sbg_survival(fit.alpha, fit.beta, 3))
    assert fit.retention(1) == pytest.approx(fit.beta / (fit.alpha + fit.beta))
    assert fit.cohort_size == 1000.0
    np.testing.assert_array_equal(fit.survivors, FADER_HARDIE_2007_REGULAR[:8])
    assert fit.project(3, cohort_size=1.0)[0] == 1.0
    with pytest.raises(ValueError, match="horizon_periods"):
        fit.project(-1)
    with pytest.raises(ValueError):
        fit.cov[0, 0] = 1.0  # read-only


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(a=shape_param, b=shape_param)
def test_survival_decreasing_and_in_unit_interval(a, b):
    s = sbg_survival(a, b, np.arange(0, 40))
    assert s[0] == 1.0
    assert np.all(s > 0) and np.all(s <= 1)
    assert np.all(np.diff(s) < 0)


@settings(max_examples=200, deadline=None)
@given(a=shape_param, b=shape_param)
def test_retention_increasing_in_tenure(a, b):
    r = sbg_retention(a, b, np.arange(1, 40))
    assert np.all((r > 0) & (r < 1))
    assert np.all(np.diff(r) > 0)


@settings(max_examples=100, deadline=None)
@given(a=shape_param, b=shape_param, d=discount)
def test_derl_increasing_in_renewals_and_del_bounds(a, b, d):
    derl = discounted_expected_residual_lifetime(a, b, d, np.arange(1, 8))
    assert np.all(np.diff(derl) > 0)
    dl = discounted_expected_lifetime(a, b, d)
    # at least the acquisition period, at most the undiscounted-by-churn perpetuity
    assert 1.0 <= dl <= (1 + d) / d + 1e-9
    assert dl == pytest.approx(1 + derl[0] / (1 + d), rel=1e-9)


# --------------------------------------------------------------------------------------------
# Scalars, arrays, Series
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (sbg_survival, (0.7, 1.2, 3)),
        (sbg_retention, (0.7, 1.2, 3)),
        (sbg_churn_probability, (0.7, 1.2, 3)),
        (discounted_expected_lifetime, (0.7, 1.2, 0.1)),
        (margin_multiple, (0.8, 0.1)),
    ],
)
def test_scalar_in_float_out(func, args):
    assert type(func(*args)) is float


def test_arrays_broadcast():
    alpha = np.array([[0.5], [1.0], [2.0]])
    out = sbg_survival(alpha, 1.0, np.arange(5))
    assert out.shape == (3, 5)
    np.testing.assert_allclose(out[1], 1 / (1 + np.arange(5)))  # alpha = beta = 1: S = 1/(1+t)
    d = discounted_expected_lifetime(np.array([0.7, 3.8]), np.array([1.2, 15.2]), 0.1)
    assert d.shape == (2,)
    assert d[1] == pytest.approx(4.008925837, rel=1e-9)
    derl = discounted_expected_residual_lifetime(alpha, 2.0, np.array([0.05, 0.1]), 1)
    assert derl.shape == (3, 2)
    mm = margin_multiple(np.array([0.8, 0.9]), np.array([0.1, 0.12]))
    np.testing.assert_allclose(mm, [0.8 / 0.3, 0.9 / 0.22])


def test_series_in_series_out():
    t = pd.Series([0, 1, 2], index=["y0", "y1", "y2"], name="year")
    s = sbg_survival(1.0, 1.0, t)
    assert isinstance(s, pd.Series)
    assert list(s.index) == ["y0", "y1", "y2"]
    np.testing.assert_allclose(s.to_numpy(), [1, 0.5, 1 / 3])
    r = pd.Series([0.8, 0.9], index=["a", "b"])
    mm = margin_multiple(r, 0.1)
    assert isinstance(mm, pd.Series) and list(mm.index) == ["a", "b"]
    dl = discounted_expected_lifetime(pd.Series([3.8, 0.704]), pd.Series([15.2, 1.182]), 0.1)
    assert isinstance(dl, pd.Series)
    # the survivor counts of a fit may be a Series too
    fit = fit_sbg(pd.Series(FADER_HARDIE_2007_REGULAR[:8]))
    assert round(fit.alpha, 3) == 0.704


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sbg_survival(0.0, 1.0, 1), "alpha must be"),
        (lambda: sbg_survival(1.0, -1.0, 1), "beta must be"),
        (lambda: sbg_survival(np.nan, 1.0, 1), "alpha must be"),
        (lambda: sbg_survival(1.0, 1.0, -1), "t must be"),
        (lambda: sbg_retention(1.0, 1.0, 0), "t must be"),
        (lambda: sbg_churn_probability(1.0, 1.0, 0), "t must be"),
        (lambda: discounted_expected_lifetime(1.0, 1.0, -0.1), "discount_rate"),
        (lambda: discounted_expected_residual_lifetime(1.0, 1.0, 0.0, 1), "discount_rate"),
        (lambda: discounted_expected_residual_lifetime(1.0, 1.0, 0.1, 0), "n must be"),
        (lambda: margin_multiple(1.2, 0.1), "retention must be"),
        (lambda: margin_multiple(0.9, -1.0), "discount_rate"),
        (lambda: margin_multiple(1.0, 0.0), "discount_rate"),
    ],
)
def test_functions_reject_out_of_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    ("survivors", "match"),
    [
        ([[1000, 600], [500, 400]], "one-dimensional"),
        ([1000, 600], "at least 2 periods after acquisition"),
        ([1000, 600, -1], "non-negative"),
        ([1000, 600, 700, 500], r"must not increase: S\(2\) = 700 > S\(1\) = 600"),
        ([0, 0, 0], "cohort size"),
        (["a", "b", "c"], "numeric"),
        ([1000, np.nan, 500], "finite"),
    ],
)
def test_fit_rejects_bad_survivors(survivors, match):
    with pytest.raises(ValueError, match=match):
        fit_sbg(survivors)


def test_pooled_fit_rejects_bad_cohort_with_its_index():
    with pytest.raises(ValueError, match=r"cohorts\[1\]"):
        fit_sbg_pooled([[1000, 600, 500], [1000, 1100, 900]])
    with pytest.raises(ValueError, match="at least one cohort"):
        fit_sbg_pooled([])
    with pytest.raises(ValueError, match="longest cohort"):
        fit_sbg_pooled([[1000, 600], [900, 500]])


def test_pooled_fit_accepts_one_period_cohorts_beside_longer_ones():
    a, b = 0.9, 2.5
    cohorts = [1000 * sbg_survival(a, b, np.arange(0, n)) for n in (8, 2)]
    fit = fit_sbg_pooled(cohorts)
    assert (fit.alpha, fit.beta) == pytest.approx((a, b), rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    a=st.floats(min_value=0.2, max_value=20.0),
    b=st.floats(min_value=0.2, max_value=20.0),
    n=st.integers(min_value=3, max_value=15),
)
def test_fit_recovers_any_exact_curve(a, b, n):
    survivors = 10000 * sbg_survival(a, b, np.arange(n + 1))
    fit = fit_sbg(survivors)
    assert fit.converged, fit.message
    assert fit.alpha == pytest.approx(a, rel=1e-4)
    assert fit.beta == pytest.approx(b, rel=1e-4)


# ---------------------------------------------------------------------------------------------
# hyp2f1_unit_a: bounded work for any d >= 0
# ---------------------------------------------------------------------------------------------

_GRID = [
    (alpha, beta, d, n)
    for alpha in (0.3, 1.0, 1.5, 2.0, 5.0, 200.0)
    for beta in (0.5, 3.8, 100.0)
    for d in (1e-12, 1e-7, 1e-4, 1e-2, 0.1, 0.5)
    for n in (0, 5)
]


@pytest.mark.slow
def test_hyp2f1_unit_a_matches_mpmath_on_a_grid():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for alpha, beta, d, n in _GRID:
        b, c = beta + n, alpha + beta + n
        ref = float(mpmath.hyp2f1(1, b, c, 1 / (1 + mpmath.mpf(d))))
        got = float(ret.hyp2f1_unit_a(b, c, d))
        assert got == pytest.approx(ref, rel=1e-10), (alpha, beta, d, n)


def test_hyp2f1_unit_a_at_zero_discount():
    # sum_k (b)_k / (c)_k = (c - 1) / (c - b - 1) for c - b > 1 (Gauss's theorem), else divergent
    got = ret.hyp2f1_unit_a([1.0, 3.8, 1.2, 1.2], [3.0, 7.6, 2.2, 1.9], 0.0)
    np.testing.assert_allclose(got[:2], [2.0, 6.6 / 2.8], rtol=1e-15)
    assert np.isinf(got[2:]).all()


def test_hyp2f1_unit_a_tends_to_its_limit_as_d_goes_to_zero():
    # alpha = 3, beta = 1: DEL(0) = (alpha + beta - 1) / (alpha - 1) = 1.5
    for d in (1e-320, 1e-200, 1e-15):
        assert float(ret.hyp2f1_unit_a(1.0, 4.0, d)) == pytest.approx(1.5, rel=1e-10)


def test_sbg_lifetimes_terminate_quickly_for_tiny_discount_rates():
    import time

    rates = np.concatenate([[0.0], np.logspace(-320, -1, 40)])
    for d in rates:
        start = time.perf_counter()
        value = discounted_expected_lifetime(0.668, 3.806, d)
        assert time.perf_counter() - start < 0.5, d
        # alpha < 1: the lifetime grows without bound as d -> 0 and is infinite at d = 0
        assert np.isinf(value) if d == 0 else 1 < value


def test_ratio_series_stops_at_its_proven_tail_bound():
    # z = 1/1.1: every ratio is about 0.9; the sum is done after a few hundred terms, so 360
    # elements must not run to the 200,000-term ceiling (they once did: 1.5 s per call).
    from cxroi.engine.retention import _ratio_series

    b = np.full(360, 1.2)
    c = np.full(360, 1.9)
    z = np.full(360, 1 / 1.1)
    calls = []
    real = np.cumprod

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    np.cumprod = counting
    try:
        value = _ratio_series(b, c, z, 200_000)
    finally:
        np.cumprod = real
    assert len(calls) <= 4
    k = np.arange(5000)
    terms = np.cumprod(np.concatenate([[1.0], (1.2 + k) / (1.9 + k) / 1.1]))
    assert value[0] == pytest.approx(terms.sum(), rel=1e-14)


def test_the_package_re_exports_every_submodule_name():
    # cxroi.engine.retention is split into curves, lifetimes and fit; the package path stays
    # the public one: every name it had before the split is still there, each submodule's
    # public names are the package's (the same objects), and no two submodules export a name.
    from cxroi.engine.retention import curves, fit, lifetimes

    before_split = {
        *("FADER_HARDIE_2007_HIGH_END", "FADER_HARDIE_2007_HIGH_END_FIT"),
        *("FADER_HARDIE_2007_REGULAR", "FADER_HARDIE_2007_REGULAR_FIT"),
        *("FADER_HARDIE_2010_TABLE3_CASE", "FADER_HARDIE_2010_TABLE3_DERL", "SBGFit"),
        *("discounted_expected_lifetime", "discounted_expected_residual_lifetime", "fit_sbg"),
        *("fit_sbg_pooled", "margin_multiple", "sbg_churn_probability", "sbg_log_likelihood"),
        *("sbg_retention", "sbg_survival"),
    }
    assert before_split <= set(ret.__all__)
    names = [*curves.__all__, *lifetimes.__all__, *fit.__all__]
    assert len(names) == len(set(names))
    for module in (curves, lifetimes, fit):
        for name in module.__all__:
            assert getattr(ret, name) is getattr(module, name), name
