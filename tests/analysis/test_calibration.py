"""Tests for cxroi.analysis.calibration: reading cohort tables, fits with intervals, writing
scenarios."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import optimize, stats

import cxroi
from cxroi.analysis.calibration import (
    CalibrationError,
    CohortDataError,
    calibrate,
    fit_constant_retention,
    fit_retention,
    format_calibration,
    read_cohorts,
    retention_mapping,
    scenario_with_retention,
    simulate_cohorts,
    write_scenario_with_retention,
)
from cxroi.engine.retention import (
    FADER_HARDIE_2007_REGULAR,
    discounted_expected_lifetime,
    discounted_expected_residual_lifetime,
    sbg_log_likelihood,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data"
REGULAR_CSV = DATA / "fader_hardie_2007_regular.csv"
HIGH_END_CSV = DATA / "fader_hardie_2007_high_end.csv"
LONG_CSV = DATA / "synthetic_cohorts_long.csv"
WIDE_CSV = DATA / "synthetic_cohorts_wide.csv"
RETAIL_BANK = ROOT / "scenarios" / "retail_bank.yaml"


def _write(tmp_path: Path, text: str, name: str = "cohorts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def regular_cal():
    return calibrate(REGULAR_CSV, fit_periods=7)


# --------------------------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------------------------


def test_bundled_published_cohort_matches_model_md():
    # docs/model.md §10 / Fader & Hardie (2007): regular customers alive of 1000 at years 0..12.
    table = read_cohorts(REGULAR_CSV)
    assert table.names == ["regular"]
    assert table.cohorts["regular"] == tuple(float(x) for x in FADER_HARDIE_2007_REGULAR)
    assert table.sha256 == hashlib.sha256(REGULAR_CSV.read_bytes()).hexdigest()


def test_published_fit_and_projection(regular_cal):
    # Fader & Hardie (2007): ML on years 0..7 gives alpha 0.704, beta 1.182; the projection to
    # year 12 is about 170 alive (173 observed).
    fit = regular_cal.pooled
    assert round(fit.sbg.alpha, 3) == 0.704
    assert round(fit.sbg.beta, 3) == 1.182
    assert fit.fit_periods == 7
    row12 = fit.observed.set_index("period").loc[12]
    assert not row12.in_fit
    assert row12.sbg == pytest.approx(170.0, abs=0.5)
    assert row12.sbg_low < 173 < row12.sbg_high


def test_published_high_end_fit():
    # Fader & Hardie (2007), high-end customers, years 0..7: alpha 0.668, beta 3.806.
    fit = calibrate(HIGH_END_CSV, fit_periods=7).pooled
    assert (round(fit.sbg.alpha, 3), round(fit.sbg.beta, 3)) == (0.668, 3.806)


def test_backtest_shows_constant_retention_underprojects(regular_cal):
    bt = regular_cal.backtest
    assert bt.fit_periods == 7
    # Constant retention fitted to years 0..7: renewals / at risk, computed from the table.
    renewals = sum(FADER_HARDIE_2007_REGULAR[1:8])
    at_risk = sum(FADER_HARDIE_2007_REGULAR[0:7])
    assert bt.retention == pytest.approx(renewals / at_risk, rel=1e-12)
    assert bt.mape_sbg < 0.02
    assert bt.mape_constant > 0.5
    # at year 12 the constant-retention projection is 1000 r^12 ~ 46 against 173 observed
    assert bt.last_period_error_constant == pytest.approx(
        1000 * (renewals / at_risk) ** 12 / 173 - 1, rel=1e-9
    )
    assert abs(bt.last_period_error_sbg) < 0.02


def test_default_backtest_holds_out_the_last_40_percent():
    cal = calibrate(REGULAR_CSV)
    assert cal.pooled.fit_periods == 12
    assert cal.backtest.fit_periods == 7  # int(0.6 * 12)
    assert (round(cal.backtest.alpha, 3), round(cal.backtest.beta, 3)) == (0.704, 1.182)


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


def _profile_interval_alpha(survivors, level=0.95):
    """Independent 1-D profile-likelihood interval for alpha (brute force)."""
    s = np.asarray(survivors, dtype=float)

    def profile(alpha):
        res = optimize.minimize_scalar(
            lambda lb: -sbg_log_likelihood(alpha, math.exp(lb), s),
            bounds=(-8, 8),
            method="bounded",
            options={"xatol": 1e-10},
        )
        return -res.fun

    fit = fit_retention(pd.DataFrame({"period": range(s.size), "active": s}))
    cut = fit.sbg.log_likelihood - stats.chi2.ppf(level, 1) / 2
    a_hat = fit.sbg.alpha
    low = optimize.brentq(lambda a: profile(a) - cut, a_hat / 5, a_hat, xtol=1e-10)
    high = optimize.brentq(lambda a: profile(a) - cut, a_hat, a_hat * 5, xtol=1e-10)
    return fit, low, high


def test_profile_interval_matches_brute_force_profile():
    fit, low, high = _profile_interval_alpha(FADER_HARDIE_2007_REGULAR[:8])
    assert fit.alpha.low == pytest.approx(low, rel=2e-3)
    assert fit.alpha.high == pytest.approx(high, rel=2e-3)
    assert not (fit.alpha.open_low or fit.alpha.open_high)
    # values computed here, for the record: about 0.589 to 0.850
    assert (round(low, 2), round(high, 2)) == (0.59, 0.85)


def test_intervals_of_derived_quantities(regular_cal):
    fit = regular_cal.pooled
    a, b = fit.sbg.alpha, fit.sbg.beta
    assert fit.lifetime.estimate == pytest.approx(discounted_expected_lifetime(a, b, 0.10))
    assert fit.residual_lifetime.estimate == pytest.approx(
        discounted_expected_residual_lifetime(a, b, 0.10, 1)
    )
    for interval in (fit.alpha, fit.beta, fit.lifetime, fit.residual_lifetime):
        assert interval.low < interval.estimate < interval.high
    assert fit.retention_at_tenure.estimate == pytest.approx(b / (a + b))
    clv = fit.clv(250.0)
    assert clv.estimate == pytest.approx(250.0 * fit.lifetime.estimate)
    assert (clv.low, clv.high) == pytest.approx((250 * fit.lifetime.low, 250 * fit.lifetime.high))


def test_tenure_moves_residual_lifetime_and_retention():
    cal0 = calibrate(REGULAR_CSV, fit_periods=7, tenure=0)
    cal4 = calibrate(REGULAR_CSV, fit_periods=7, tenure=4)
    f0, f4 = cal0.pooled, cal4.pooled
    a, b = f4.sbg.alpha, f4.sbg.beta
    assert f4.retention_at_tenure.estimate == pytest.approx((b + 4) / (a + b + 4))
    assert f4.residual_lifetime.estimate == pytest.approx(
        discounted_expected_residual_lifetime(a, b, 0.10, 5)
    )
    assert f4.residual_lifetime.estimate > f0.residual_lifetime.estimate


def test_survival_band(regular_cal):
    band = regular_cal.pooled.survival_band(20)
    assert list(band.columns) == ["period", "sbg", "sbg_low", "sbg_high", "constant"]
    assert len(band) == 21
    assert band.loc[0, "sbg"] == 1.0 and band.loc[0, "sbg_low"] == pytest.approx(1.0)
    assert np.all(band.sbg_low <= band.sbg + 1e-12) and np.all(band.sbg <= band.sbg_high + 1e-12)
    assert band.loc[12, "sbg"] == pytest.approx(0.170, abs=5e-4)
    r = regular_cal.pooled.constant.retention
    np.testing.assert_allclose(band.constant, r ** np.arange(21))


def test_band_is_the_curve_form_of_interval(regular_cal):
    fit = regular_cal.pooled
    t = np.arange(4)  # the mean churn probability, flat over 4 periods: a curve

    def churn_curve(a, b):
        return a[:, None] / (a + b)[:, None] + 0 * t

    est, low, high, open_low, open_high = fit.band(churn_curve)
    churn = fit.interval(lambda a, b: a / (a + b))
    np.testing.assert_allclose(est, churn.estimate)
    np.testing.assert_allclose([low[0], high[0]], [churn.low, churn.high])
    assert not open_low.any() and not open_high.any()
    with pytest.raises(ValueError, match="use interval"):
        fit.band(lambda a, b: a / (a + b))


@pytest.mark.parametrize(
    ("path", "alpha", "beta"),
    [
        (LONG_CSV, 0.9, 2.4),  # scenarios/data/README.md: simulated with these values
        (WIDE_CSV, 2.5, 7.5),
    ],
)
def test_bundled_synthetic_cohorts_recover_true_parameters(path, alpha, beta):
    fit = calibrate(path).pooled
    assert fit.sbg.converged
    assert fit.alpha.low < alpha < fit.alpha.high
    assert fit.beta.low < beta < fit.beta.high


def test_interval_coverage_on_simulated_cohorts():
    # 25 simulated tables from known parameters: a 95% interval should rarely miss. (With these
    # seeds all 25 cover both; the bound leaves room for a different numpy random stream.)
    alpha, beta = 1.2, 3.0
    hits = 0
    for seed in range(25):
        table = simulate_cohorts(alpha, beta, [800, 900, 1000], [6, 4, 3], seed=seed)
        fit = fit_retention(table)
        hits += fit.alpha.low <= alpha <= fit.alpha.high and fit.beta.low <= beta <= fit.beta.high
    assert hits >= 21


def test_no_heterogeneity_gives_open_intervals():
    counts = np.round(10000 * 0.8 ** np.arange(8))
    fit = fit_retention(pd.DataFrame({"period": range(8), "active": counts}))
    assert not fit.sbg.converged
    assert fit.alpha.open_high and math.isinf(fit.alpha.high)
    assert "unbounded" in format_calibration(
        calibrate(pd.DataFrame({"period": range(8), "active": counts}))
    )


# --------------------------------------------------------------------------------------------
# Pooling, constant retention, per cohort
# --------------------------------------------------------------------------------------------


def test_pooled_likelihood_is_sum_of_cohorts():
    cal = calibrate(LONG_CSV)
    fit = cal.pooled
    table = cal.table
    total = sum(
        sbg_log_likelihood(fit.sbg.alpha, fit.sbg.beta, table.survivors(n)) for n in table.names
    )
    assert fit.sbg.log_likelihood == pytest.approx(total, rel=1e-12)
    assert fit.cohort_names == tuple(table.names)  # the one-period cohort counts in the pool


def test_per_cohort_fits_and_skipped_young_cohort():
    cal = calibrate(LONG_CSV)
    assert set(cal.by_cohort) == {"2017", "2018", "2019", "2020", "2021", "2022"}
    assert "2023" in cal.skipped and "pooled fit" in cal.skipped["2023"]
    assert cal.by_cohort["2017"].fit_periods == 7
    with pytest.raises(CalibrationError, match="no fit of its own"):
        cal.fit("2023")
    with pytest.raises(CalibrationError, match="no cohort named"):
        cal.fit("1999")
    assert cal.fit("2018") is cal.by_cohort["2018"]
    assert cal.fit() is cal.pooled


def test_constant_retention_fit():
    fit = fit_constant_retention([[1000, 800, 600], [500, 450]])
    # renewals 800 + 600 + 450 over 1000 + 800 + 500 at risk
    r = 1850 / 2300
    assert fit.retention == pytest.approx(r)
    assert fit.se == pytest.approx(math.sqrt(r * (1 - r) / 2300))
    assert fit.log_likelihood == pytest.approx(1850 * math.log(r) + 450 * math.log(1 - r))
    np.testing.assert_allclose(fit.survival([0, 2]), [1.0, r**2])


def test_fit_window_and_argument_checks():
    with pytest.raises(CalibrationError, match="fit periods"):
        calibrate(REGULAR_CSV, fit_periods=1)
    with pytest.raises(CalibrationError, match="discount rate"):
        calibrate(REGULAR_CSV, discount_rate=0.0)
    with pytest.raises(CalibrationError, match="tenure"):
        calibrate(REGULAR_CSV, tenure=-1)
    with pytest.raises(CalibrationError, match="level"):
        calibrate(REGULAR_CSV, level=1.5)
    with pytest.raises(CalibrationError, match="at least periods 0, 1 and 2"):
        calibrate(pd.DataFrame({"period": [0, 1], "active": [100, 50]}))


def test_format_and_json(regular_cal):
    text = format_calibration(regular_cal)
    assert "alpha" in text and "0.7041" in text
    assert "(held out)" in text
    assert "Backtest" in text
    out = regular_cal.to_json()
    assert out["fit"]["alpha"]["estimate"] == pytest.approx(0.704, abs=5e-4)
    assert out["fit"]["constant"]["retention"] == pytest.approx(regular_cal.backtest.retention)
    assert out["backtest"]["fit_periods"] == 7
    assert set(out) == {"source", "sha256", "cohorts", "fit", "by_cohort", "backtest"}


# --------------------------------------------------------------------------------------------
# Reading tables: layouts
# --------------------------------------------------------------------------------------------


def test_long_and_wide_layouts_read_the_same_counts(tmp_path):
    long = _write(tmp_path, "cohort,period,active\nA,0,100\nA,1,70\nA,2,60\nB,0,50\nB,1,40\n")
    wide = _write(tmp_path, "cohort,0,1,2\nA,100,70,60\nB,50,40,\n", "wide.csv")
    a, b = read_cohorts(long), read_cohorts(wide)
    assert a.cohorts == b.cohorts == {"A": (100.0, 70.0, 60.0), "B": (50.0, 40.0)}
    assert (a.layout, b.layout) == ("long", "wide")


def test_lenient_headers_separators_and_encodings(tmp_path):
    # upper case and spaces in headers, a synonym for active, semicolons, a BOM, unsorted rows
    text = "\ufeff Cohort ; Year ; Customers \nX;2;60\nX;0;100\nX;1;70\n"
    table = read_cohorts(_write(tmp_path, text))
    assert table.cohorts == {"X": (100.0, 70.0, 60.0)}
    wide = read_cohorts(_write(tmp_path, "cohort,year 0,year 1,year 2\nX,100,70,60\n", "w.csv"))
    assert wide.cohorts == {"X": (100.0, 70.0, 60.0)}


def test_single_cohort_without_cohort_column(tmp_path):
    table = read_cohorts(_write(tmp_path, "period,active\n0,100\n1,70\n2,60\n"))
    assert table.cohorts == {"all": (100.0, 70.0, 60.0)}


def test_dataframe_input():
    df = pd.DataFrame({"cohort": ["A"] * 3, "period": [0, 1, 2], "active": [100, 70, 60]})
    table = read_cohorts(df)
    assert table.cohorts == {"A": (100.0, 70.0, 60.0)}
    assert table.sha256 is None
    pd.testing.assert_frame_equal(table.to_frame(), df.astype({"active": float}), check_dtype=False)
    bad = pd.DataFrame({"cohort": ["A"] * 3, "period": [0, 1, 2], "active": [100, -5, 60]})
    with pytest.raises(CohortDataError, match=r"row 1: active must be a count >= 0 \(got -5"):
        read_cohorts(bad)


# --------------------------------------------------------------------------------------------
# Reading tables: every bad case with its message
# --------------------------------------------------------------------------------------------

BAD_TABLES = [
    pytest.param(
        "cohort,period\nA,0\n",
        r"missing column\(s\) active: a long table needs columns cohort, period, active",
        id="missing-active-column",
    ),
    pytest.param(
        "cohort,active\nA,100\n",
        r"missing column\(s\) period",
        id="missing-period-column",
    ),
    pytest.param(
        "name,count\nA,100\n",
        "missing columns: expected a long table with columns cohort, period, active, or a wide",
        id="unrecognised-table",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,60\nA,2,70\n",
        r"cohort A: active rises from 60 at period 1 to 70 at period 2 \(line 4\); a cohort "
        "can only lose customers",
        id="survivors-increase",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,-3\n",
        r"line 3: active must be a count >= 0 \(got -3, cohort A, period 1\)",
        id="negative-count",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,many\n",
        r"line 3: active must be a number of customers \(got 'many', cohort A, period 1\)",
        id="non-numeric-count",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,\n",
        r"line 3: active is blank \(cohort A, period 1\)",
        id="blank-count",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,80\nA,3,60\n",
        "cohort A: gap in periods, 2 missing between 0 and 3; give a count for every period",
        id="gap-in-periods",
    ),
    pytest.param(
        "cohort,period,active\nA,1,100\nA,2,80\n",
        "cohort A: first period is 1; counts must start at period 0",
        id="no-period-0",
    ),
    pytest.param(
        "cohort,period,active\nA,0,100\nA,1,80\nA,1,70\n",
        r"line 4: cohort A has period 1 twice \(also line 3\)",
        id="duplicate-period",
    ),
    pytest.param(
        "period,active\n0,100\n1,80\n0,50\n",
        "period 0 appears again .* add a column 'cohort'",
        id="several-cohorts-without-cohort-column",
    ),
    pytest.param(
        "cohort,period,active\nA,0.5,100\n",
        r"line 2: period must be a whole number >= 0 \(got 0.5\)",
        id="fractional-period",
    ),
    pytest.param(
        "cohort,period,active\nA,zero,100\n",
        r"line 2: period must be a whole number >= 0 \(got 'zero'\)",
        id="non-numeric-period",
    ),
    pytest.param(
        "cohort,period,active\nA,0,0\nA,1,0\n",
        "cohort A: no customers at period 0",
        id="empty-cohort",
    ),
    pytest.param(
        "cohort,period,active\nA,0,1\nA,1,0.6\nA,2,0.5\n",
        "active looks like shares of the cohort",
        id="shares-not-counts",
    ),
    pytest.param(
        "cohort,period,active\n,0,100\n",
        "line 2: cohort is blank",
        id="blank-cohort",
    ),
    pytest.param(
        "cohort,0,1,3\nA,100,80,60\n",
        r"gap in the period columns: .* missing column\(s\) for period\(s\) 2",
        id="wide-gap-in-columns",
    ),
    pytest.param(
        "cohort,0,1,2,3\nA,100,,60,50\n",
        r"line 2: cohort A: period\(s\) 1 blank before period 3",
        id="wide-hole-in-row",
    ),
    pytest.param(
        "cohort,0,1,2\nA,100,80,90\n",
        "line 2: cohort A: active rises from 80 at period 1 to 90 at period 2",
        id="wide-survivors-increase",
    ),
    pytest.param(
        "cohort,0,1,2\nA,100,x,70\n",
        r"line 2: cohort A, period 1: active must be a number of customers \(got 'x'\)",
        id="wide-non-numeric",
    ),
    pytest.param(
        "cohort,0,1,2\nA,100,80,-1\n",
        r"line 2: cohort A, period 2: active must be a count >= 0 \(got -1\)",
        id="wide-negative",
    ),
    pytest.param(
        "cohort,0,1\nA,100,80\nA,90,70\n",
        "line 3: cohort A appears on two rows",
        id="wide-duplicate-cohort",
    ),
    pytest.param(
        "segment,region,0,1\nA,EU,100,80\n",
        "missing column cohort: name the column that labels each cohort 'cohort'",
        id="wide-no-cohort-column",
    ),
    pytest.param("", "the file is empty", id="empty-file"),
    pytest.param("cohort,period,active\n", "the table has a header but no rows", id="header-only"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TABLES)
def test_bad_tables_are_rejected_with_their_message(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(CohortDataError, match=message) as info:
        read_cohorts(path)
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.problems


def test_every_problem_is_listed_at_once(tmp_path):
    text = "cohort,period,active\nA,0,100\nA,1,120\nB,0,50\nB,2,30\nC,0,x\n"
    with pytest.raises(CohortDataError) as info:
        read_cohorts(_write(tmp_path, text))
    assert len(info.value.problems) == 3
    assert "3 problem(s)" in str(info.value)


def test_missing_file():
    with pytest.raises(CalibrationError, match="no such file"):
        read_cohorts("no/such/cohorts.csv")


# --------------------------------------------------------------------------------------------
# Writing the fit into a scenario
# --------------------------------------------------------------------------------------------


def test_written_scenario_loads_and_evaluates(tmp_path, regular_cal):
    scenario = tmp_path / "bank.yaml"
    shutil.copy(RETAIL_BANK, scenario)
    out = tmp_path / "bank-calibrated.yaml"
    fit = regular_cal.pooled
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    write_scenario_with_retention(
        scenario, fit, out, segment="Affluent", tenure=4, table=regular_cal.table, now=stamp
    )
    text = out.read_text()
    # provenance as comments: source CSV, its SHA-256, date, estimates with standard errors
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("2026-01-02T03:04:05+00:00" in line for line in header)
    assert any(str(REGULAR_CSV) in line and regular_cal.table.sha256 in line for line in header)
    assert any("alpha = 0.704077" in line and "std err 0.0656" in line for line in header)
    sc = cxroi.load_scenario(out)
    affluent = {s.name: s for s in sc.segments}["Affluent"]
    assert (affluent.retention.alpha, affluent.retention.beta) == (0.704077, 1.18204)
    assert affluent.retention.tenure == 4
    original = yaml.safe_load(RETAIL_BANK.read_text())
    written = yaml.safe_load(text)
    assert written["segments"][0] == original["segments"][0]  # Mass market untouched
    assert written["initiatives"] == original["initiatives"]
    case = cxroi.evaluate(sc)
    assert math.isfinite(case.kpis["npv"])
    # The case differs from the original because Affluent's retention changed.
    assert case.kpis["npv"] != pytest.approx(
        cxroi.evaluate(cxroi.load_scenario(scenario)).kpis["npv"]
    )
    # nothing but the output in the folder: the temporary file was renamed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank-calibrated.yaml", "bank.yaml"]


def test_never_overwrites_without_force(tmp_path, regular_cal):
    out = tmp_path / "out.yaml"
    out.write_text("keep me")
    fit = regular_cal.pooled
    with pytest.raises(CalibrationError, match="already exists; pass --force"):
        write_scenario_with_retention(RETAIL_BANK, fit, out, segment="Affluent")
    assert out.read_text() == "keep me"
    write_scenario_with_retention(RETAIL_BANK, fit, out, segment="Affluent", force=True)
    assert cxroi.load_scenario(out).segments[1].is_sbg


def test_segment_choice_and_errors(regular_cal):
    fit = regular_cal.pooled
    with pytest.raises(CalibrationError, match=r"no segment named 'Nope' \(segments: Mass"):
        scenario_with_retention(RETAIL_BANK, fit, segment="Nope")
    with pytest.raises(CalibrationError, match="say which segment"):
        scenario_with_retention(RETAIL_BANK, fit)
    one = yaml.safe_load(RETAIL_BANK.read_text())
    one["segments"] = one["segments"][:1]
    for initiative in one["initiatives"]:
        initiative["effects"] = {"*": {"churn_prevented": 0.2}}
    text, data = scenario_with_retention(one, fit, tenure=1)
    assert data["segments"][0]["retention"] == retention_mapping(fit, 1)
    assert cxroi.load_scenario(yaml.safe_load(text)).segments[0].retention.tenure == 1
    with pytest.raises(CalibrationError, match="tenure"):
        retention_mapping(fit, -2)


def test_clv_agrees_with_the_business_case(tmp_path, regular_cal):
    # docs/model.md §6: for sBG and no initiative, clv_baseline = margin x DEL(d).
    fit = regular_cal.pooled
    out = tmp_path / "bank.yaml"
    write_scenario_with_retention(RETAIL_BANK, fit, out, segment="Affluent", tenure=3)
    sc = cxroi.load_scenario(out)
    seg = {s.name: s for s in sc.segments}["Affluent"]
    margin = seg.wallet * seg.share_of_wallet * seg.gross_margin - seg.cost_to_serve
    case = cxroi.evaluate(sc)
    assert case.by_segment.loc["Affluent", "clv_baseline"] == pytest.approx(
        fit.clv(margin).estimate, rel=1e-5
    )


# --------------------------------------------------------------------------------------------
# The notebook page (cxroi.app.calibration_page): pure builders and the widget without a browser
# --------------------------------------------------------------------------------------------


def test_charts_render_offline(regular_cal):
    from cxroi.app.calibration_page import chart_svg, retention_chart, survival_chart

    fit = regular_cal.pooled
    spec = survival_chart(fit).to_dict()
    assert len(spec["layer"]) == 3
    band = spec["layer"][0]
    rows = band["data"]["values"] if "values" in band.get("data", {}) else None
    if rows is None:  # altair may move inline data to top-level datasets
        rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 18  # periods 0..17: five beyond the last observation
    svg = chart_svg(retention_chart(fit))
    assert svg.lstrip().startswith("<svg") and "renewals made" in svg
    assert "http" not in svg.split(">", 1)[1].replace("http://www.w3.org", "")


def test_html_builders_escape_names():
    from cxroi.app.calibration_page import observed_html, summary_html

    table = simulate_cohorts(1.0, 3.0, [500], 5, seed=3, names=["<b>x</b>"])
    fit = fit_retention(table)
    assert "<b>x</b>" not in observed_html(fit) and "&lt;b&gt;x&lt;/b&gt;" in observed_html(fit)
    html_text = summary_html(fit, margin_per_year=100.0, currency="EUR")
    assert "&lt;b&gt;x&lt;/b&gt;" in html_text
    assert f"{100 * fit.lifetime.estimate:,.0f}" in html_text


def test_widget_computes_and_offers_the_scenario():
    import base64
    import re

    from cxroi.app.calibration_page import CalibrationApp

    app = CalibrationApp(
        csv_path=str(REGULAR_CSV),
        scenario_path=str(RETAIL_BANK),
        segment="Affluent",
        fit_periods=7,
        tenure=2,
    )
    assert app.status.value == ""
    assert "<b>0.7041</b>" in app.summary.value
    assert app.survival.value.lstrip().startswith("<svg")
    href = re.search(r'href="data:application/x-yaml;base64,([^"]+)"', app.download.value)
    text = base64.b64decode(href.group(1)).decode("utf-8")
    sc = cxroi.load_scenario(yaml.safe_load(text))
    affluent = {s.name: s for s in sc.segments}["Affluent"]
    assert (affluent.retention.alpha, affluent.retention.tenure) == (0.704077, 2)
    assert "alpha 0.7041" in app.report()
    # a cohort's own fit, then a bad upload: the error is shown and the outputs cleared
    app._uploads["uploaded: bad.csv"] = b"cohort,period,active\nA,0,100\nA,1,120\n"
    app.source.options = [("uploaded: bad.csv", "uploaded: bad.csv"), *app.source.options]
    app.source.value = "uploaded: bad.csv"
    assert "active rises from 100 at period 0 to 120" in app.status.value
    assert app.summary.value == "" and app.download.value == ""
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.slow
def test_notebook_runs_with_papermill(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "retention_calibration.ipynb"),
        str(out),
        parameters={"csv_path": str(HIGH_END_CSV), "fit_periods": 7, "segment": "Affluent"},
        cwd=str(tmp_path),
        progress_bar=False,
        kernel_name="python3",
    )
    import json

    cells = json.loads(out.read_text())["cells"]
    text = "".join(
        "".join(o.get("data", {}).get("text/plain", ""))
        for c in cells
        for o in c.get("outputs", [])
    )
    assert "sBG fit 'pooled' on 1 cohort(s) (high_end), periods 0..7" in text
    assert "alpha                       0.6681" in text
