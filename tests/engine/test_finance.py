"""Tests for cxroi.engine.finance: NPV, IRR and payback (reference values, identities,
properties)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import amounts, cashflows, investments

from cxroi.engine import finance
from cxroi.engine.finance import discount_factors, irr, npv, payback_years


# --------------------------------------------------------------------------------------------
# Reference values
# --------------------------------------------------------------------------------------------
def test_discount_factors():
    np.testing.assert_allclose(discount_factors(0.10, 3), [1, 1 / 1.1, 1 / 1.21, 1 / 1.331])
    f = discount_factors([0.0, 0.5], 2)
    assert f.shape == (2, 3)
    np.testing.assert_allclose(f, [[1, 1, 1], [1, 1 / 1.5, 1 / 2.25]])
    np.testing.assert_array_equal(discount_factors(0.2, 0), [1.0])


def test_npv_reference_values():
    # year 0 undiscounted (TEI), end-of-year flows after
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21, rel=1e-14)
    assert npv(0.0, [1, 2, 3]) == 6.0
    assert npv(0.10, [5.0]) == 5.0
    assert isinstance(npv(0.1, [1, 2]), float)
    # numpy-financial uses the same convention (first flow at t = 0)
    flows = [-4_725_000, 295_554, 1_646_336, 2_470_171, 2_737_992, 2_961_457]
    assert npv(0.1, flows) == pytest.approx(npf.npv(0.1, flows), rel=1e-12)


def test_npv_broadcasts():
    flows = np.array([[-100, 60, 60], [-50, 10, 80]], dtype=float)
    out = npv(np.array([0.1, 0.2]), flows)
    assert out.shape == (2,)
    assert out[0] == pytest.approx(npv(0.1, flows[0]), rel=1e-14)
    assert out[1] == pytest.approx(npv(0.2, flows[1]), rel=1e-14)
    out = npv(np.array([[0.0], [0.1]]), flows)  # rates (2, 1) x flows (2, 3)
    assert out.shape == (2, 2)
    assert out[0, 1] == 40.0


def test_irr_reference_values():
    # -100 + 60 x + 60 x^2 = 0 with x = 1 / (1 + irr): x = (-1 + sqrt(1 + 4 x 100/60)) ... closed
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / (2 * 60)
    assert irr([-100, 60, 60]) == pytest.approx(1 / x - 1, rel=1e-12)
    assert irr([-100, 110]) == pytest.approx(0.10, rel=1e-12)
    assert irr([-100, 0, 121]) == pytest.approx(0.10, rel=1e-12)
    flows = [-4_725_000, 295_554, 1_646_336, 2_470_171, 2_737_992, 2_961_457]
    assert irr(flows) == pytest.approx(npf.irr(flows), rel=1e-9)


def test_irr_none_cases():
    assert irr([100, 50]) is None  # one sign
    assert irr([-100, -50]) is None
    assert irr([0, 0, 0]) is None
    assert irr([-100, 1e-10, 0]) is None  # |x| <= 1e-9 ignored: one sign
    # both signs, but NPV has the same sign at both ends of [-0.9999, 1e6]:
    # [1, -3, 2.5]: NPV(r) = 1 - 3x + 2.5x^2 > 0 for every x (discriminant 9 - 10 < 0)
    assert irr([1, -3, 2.5]) is None


def test_irr_negative_rate():
    assert irr([-100, 50]) == pytest.approx(-0.5, rel=1e-12)
    assert irr([-100, 0.1]) == pytest.approx(-0.999, rel=1e-9)


@pytest.mark.parametrize("years", [5, 8, 12])
def test_irr_near_minus_one_is_accurate_in_one_plus_rate(years):
    # -a today, +b in year H: (1 + IRR)^H = b / a exactly. Near IRR = -1 the discount factor
    # (1 + IRR)^-H is huge, so the root must be accurate relative to 1 + IRR, not to IRR.
    a, b = 1e12, 1e-6 * 10 ** (years - 5)
    flows = [-a] + [0.0] * (years - 1) + [b]
    growth = (b / a) ** (1 / years)
    assert 1 + irr(flows) == pytest.approx(growth, rel=1e-12)
    assert 1 + irr(np.array([flows]))[0] == pytest.approx(growth, rel=1e-12)
    rate = irr(flows)
    scale = sum(abs(x) * (1 + rate) ** -t for t, x in enumerate(flows))
    assert abs(npv(rate, flows)) <= 1e-12 * scale


def test_irr_vectorised_matches_scalar():
    rows = np.array(
        [
            [-100, 60, 60, 0],
            [-100, 110, 0, 0],
            [100, 50, 0, 0],  # one sign: NaN
            [-4_725_000, 295_554, 1_646_336, 2_470_171],
            [-10, 1, 1, 1],  # negative IRR
            [1, -3, 2.5, 0],  # no root in the bracket: NaN
        ],
        dtype=float,
    )
    out = irr(rows)
    assert out.shape == (6,)
    for k, row in enumerate(rows):
        one = irr(row)
        if one is None:
            assert np.isnan(out[k])
        else:
            assert out[k] == pytest.approx(one, rel=1e-9)
    assert irr(rows.reshape(2, 3, 4)).shape == (2, 3)


def test_payback_reference_values():
    assert payback_years([-100, 60, 60]) == pytest.approx(1 + 40 / 60, rel=1e-14)
    assert payback_years([-100, 100]) == 1.0  # exactly recovered at the end of year 1
    assert payback_years([-100, 50, 50, 50]) == 2.0
    assert payback_years([-100, 10, 10]) is None  # never within H
    assert payback_years([0, -10, 20]) == 0.0  # cum_0 >= 0
    assert payback_years([5, -10, 20]) == 0.0
    # first turn from negative: a later dip does not matter
    assert payback_years([-100, 150, -200, 10]) == pytest.approx(100 / 150, rel=1e-14)


def test_payback_vectorised():
    rows = np.array([[-100, 60, 60], [-100, 10, 10], [0, 1, 1]], dtype=float)
    out = payback_years(rows)
    assert out[0] == pytest.approx(5 / 3)
    assert np.isnan(out[1])
    assert out[2] == 0.0


def test_constants():
    assert finance.IRR_BRACKET == (-0.9999, 1e6)
    assert finance.SIGN_TOLERANCE == 1e-9


# --------------------------------------------------------------------------------------------
# Identities and properties
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(cashflows())
def test_npv_at_irr_is_zero(flows):
    rate = irr(flows)
    if rate is None:
        return
    scale = sum(abs(x) * (1 + rate) ** -t for t, x in enumerate(flows))
    assert abs(npv(rate, flows)) <= 1e-9 * scale + 1e-9


@settings(max_examples=40, deadline=None)
@given(investments())
def test_irr_of_conventional_flows(flows):
    # one sign change: a unique root (inside the bracket unless returns dwarf the outlay)
    assume(1e-3 * -flows[0] < sum(flows[1:]) < 1e5 * -flows[0])
    rate = irr(flows)
    assert rate is not None
    assert abs(npv(rate, flows)) <= 1e-9 * sum(abs(x) for x in flows)
    # NPV falls with the rate for conventional flows: positive below the IRR, negative above
    if rate > -0.99:
        assert npv(rate - 0.01, flows) > 0 > npv(rate + 0.01, flows)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(amounts(0.0, 1e6), min_size=2, max_size=12),
    st.floats(-0.9, 5.0),
    st.floats(-0.9, 5.0),
)
def test_pv_of_positive_flows_falls_as_rate_rises(flows, r1, r2):
    lo, hi = sorted((r1, r2))
    assert npv(hi, flows) <= npv(lo, flows) * (1 + 1e-12)
    if hi - lo > 1e-6 and any(x > 0 for x in flows[1:]):
        assert npv(hi, flows) < npv(lo, flows)


@settings(max_examples=60, deadline=None)
@given(cashflows())
def test_payback_interpolation_consistent(flows):
    years = payback_years(flows)
    cum = np.cumsum(flows)
    if years is None:
        assert cum[0] < 0 and (cum < 0).all()
        return
    if years == 0.0:
        assert cum[0] >= 0
        return
    assert cum[0] < 0
    t = int(np.argmax(cum >= 0))  # first year the cumulative net turns >= 0
    assert t >= 1 and cum[t] >= 0
    assert t - 1 < years <= t + 1e-12
    # the cumulative net, linear inside year t, is zero at the payback time
    frac = years - (t - 1)
    at_payback = cum[t - 1] + frac * flows[t]
    assert abs(at_payback) <= 1e-9 * (abs(cum[t - 1]) + abs(flows[t]))


@settings(max_examples=40, deadline=None)
@given(investments(), st.floats(0.0, 0.5))
def test_discounted_payback_not_before_payback(flows, rate):
    # with non-negative rates, discounting only delays recovery of an initial outlay
    simple = payback_years(flows)
    discounted = payback_years(np.asarray(flows) * discount_factors(rate, len(flows) - 1))
    if discounted is not None:
        assert simple is not None and simple <= discounted + 1e-9


# --------------------------------------------------------------------------------------------
# IRR without scipy for one sign change (Descartes' rule), Brent's method for several
# --------------------------------------------------------------------------------------------
WORKED = Path(__file__).parents[1] / "data" / "worked_example.yaml"


def brent_reference(flows):
    """The IRR as docs/model.md §5 states it: SciPy's brentq on NPV(rate) over the bracket.

    Searched in the rate itself (not in log(1 + rate) as the engine does), to a tight
    tolerance; None where the flows have one sign or the NPV one sign at both ends.
    """
    from scipy.optimize import brentq

    c = [float(x) for x in flows]
    if not (any(x > 1e-9 for x in c) and any(x < -1e-9 for x in c)):
        return None

    def f(rate):
        return sum(x / (1.0 + rate) ** t for t, x in enumerate(c))

    lo, hi = finance.IRR_BRACKET
    f_lo, f_hi = f(lo), f(hi)
    if f_lo == 0.0 or f_hi == 0.0:
        return lo if f_lo == 0.0 else hi
    if (f_lo > 0) == (f_hi > 0):
        return None
    return brentq(f, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=2000)


def agrees(got, ref, tol=1e-9):
    if ref is None:
        return got is None
    return got is not None and abs(got - ref) <= tol * max(1.0, abs(ref))


@st.composite
def one_sign_change(draw):
    """Cash flows of one sign, then the other (zeros anywhere): an outlay and its returns,
    or a loan and its repayments."""
    first = draw(st.lists(amounts(0.01, 1e6), min_size=1, max_size=6))
    second = draw(st.lists(amounts(0.01, 1e6), min_size=1, max_size=6))
    sign = draw(st.sampled_from([-1.0, 1.0]))
    flows = [sign * x for x in first] + [-sign * x for x in second]
    zeros = draw(st.lists(st.integers(0, len(flows)), max_size=3))
    for k in sorted(zeros, reverse=True):
        flows.insert(k, 0.0)
    return flows


def test_sign_changes_counts_every_nonzero_value():
    assert finance.sign_changes([-100, 0, 0, 60]) == 1
    assert finance.sign_changes([0, -100, 60, 0, 60]) == 1
    assert finance.sign_changes([100, -50, 0, 20, -1]) == 3
    assert finance.sign_changes([-1e-12, 5]) == 1  # tiny values count: they are in the NPV
    assert finance.sign_changes([0, 0]) == 0
    assert finance.sign_changes([-5, -3]) == 0


@settings(max_examples=300, deadline=None)
@given(one_sign_change())
def test_irr_of_one_sign_change_is_brents_root_without_scipy(flows):
    assert finance.sign_changes(flows) == 1
    with mock.patch("scipy.optimize.brentq", side_effect=AssertionError("brentq called")):
        got = irr(flows)
        row = irr(np.array([flows, flows]))  # the vectorised bisection of Monte Carlo draws
    ref = brent_reference(flows)
    assert agrees(got, ref), (got, ref)
    for value in row:
        assert agrees(None if np.isnan(value) else float(value), ref), (value, ref)


@pytest.mark.parametrize(
    ("flows", "roots"),
    [
        # 100 (1 - 1.1 x)(1 - 1.2 x)(1 - 1.3 x), x = 1 / (1 + rate): three roots, Brent
        # returns one of them
        ([100, -360, 431, -171.6], (0.10, 0.20, 0.30)),
        ([-100, 230, -132], "none"),  # roots 10% and 20%: one sign at both ends, no IRR
        ([-100, 1e-10, -1e-10, 300], None),  # tiny values ignored for "both signs", not here
        ([-100, 50, -10, 100], None),  # three sign changes, one root
        ([50, -100, 80], "none"),  # NPV > 0 everywhere: no IRR
    ],
)
def test_irr_of_several_sign_changes_goes_through_brentq(flows, roots):
    from scipy import optimize

    assert finance.sign_changes(flows) > 1
    with mock.patch.object(optimize, "brentq", wraps=optimize.brentq) as spy:
        got = irr(flows)
    if roots == "none":
        assert got is None and spy.call_count == 0  # same sign at both ends: no search
        return
    assert spy.call_count == 1
    if roots is None:
        assert agrees(got, brent_reference(flows)), (got, brent_reference(flows))
    else:
        assert any(got == pytest.approx(r, rel=1e-12) for r in roots), got


def test_irr_of_the_worked_example_is_brents_root():
    # docs/model.md §9 publishes irr 0.243752; its net cash flow has one sign change
    from cxroi.engine.case import evaluate

    case = evaluate(WORKED)
    net = case.cashflow_columns["net"]
    assert finance.sign_changes(net) == 1
    assert case.kpis["irr"] == pytest.approx(0.243752, abs=1e-6)
    assert agrees(case.kpis["irr"], brent_reference(net))
    unadjusted = (
        case.cashflow_columns["benefits_unadjusted"] - case.cashflow_columns["costs_unadjusted"]
    )
    assert agrees(case.unadjusted["irr"], brent_reference(unadjusted))
