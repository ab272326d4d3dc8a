"""Charts of the retention calibration page: survival and retention, observed against fitted.

Pure builders: a :class:`~cxroi.analysis.calibration.RetentionFit` in, an Altair chart out. Each
chart draws the sBG model (customers differ) with its profile-likelihood band, the constant
retention rate fitted to the same years, and the cohorts' own figures (filled where used in the
fit, hollow where held out). :func:`chart_svg` renders a chart to SVG in the kernel with
``vl_convert``, so the page needs no JavaScript library from the network. The page itself is
:mod:`cxroi.app.calibration_page`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from cxroi.analysis.calibration import RetentionFit
from cxroi.engine.retention import sbg_retention

__all__ = [
    "CONSTANT",
    "MAX_CHART_COHORTS",
    "SBG",
    "chart_svg",
    "retention_chart",
    "survival_chart",
]

#: Cohorts drawn as observed points in the survival chart (the first ones in the table).
MAX_CHART_COHORTS = 20

#: Chart series in plain words: the sBG model, constant retention, the cohorts' own figures.
SBG, CONSTANT = "customers differ (sBG)", "same retention for all"
_COLOURS = {SBG: "#1d3557", CONSTANT: "#e9a23b", "observed": "#2a9d8f"}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def _style(chart, width: int, height: int):
    return (
        chart.properties(width=width, height=height)
        .configure(font=_FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(labelColor="#495057", titleColor="#495057", gridColor="#e9ecef")
        .configure_legend(orient="top", title=None, columnPadding=18, labelLimit=240)
    )


def _colour():
    return alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
        legend=alt.Legend(title=None),
    )


def _dash():
    return alt.StrokeDash(
        "series:N",
        scale=alt.Scale(domain=[SBG, CONSTANT], range=[[1, 0], [6, 4]]),
        legend=None,
    )


def _points(data, x, y, tooltip):
    """Observed points: filled when fitted, hollow when held out."""
    return (
        alt.Chart(data)
        .mark_point(size=40, strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            color=_colour(),
            fill=alt.condition(
                alt.datum.used == "fitted", alt.value(_COLOURS["observed"]), alt.value("white")
            ),
            shape=alt.Shape(
                "used:N",
                scale=alt.Scale(domain=["fitted", "held out"], range=["circle", "square"]),
                legend=None,  # explained in the caption under the charts
            ),
            tooltip=tooltip,
        )
    )


def _layers(band, curves, points, tooltip, x, y, size) -> alt.LayerChart:
    """One chart of a fit: the sBG band, the sBG and constant curves, the observed points.

    ``band`` is (data, its lower edge as an ``alt.Y``, its upper edge's field); ``curves`` has
    one row per point and ``series``; ``points`` are drawn by :func:`_points`; ``size`` is
    (width, height) [px].
    """
    data, low, high = band
    area = alt.Chart(data).mark_area(opacity=0.18, color=_COLOURS[SBG]).encode(x=x, y=low, y2=high)
    lines = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2)
        .encode(x=x, y=y, color=_colour(), strokeDash=_dash())
    )
    return _style(alt.layer(area, lines, _points(points, x, y, tooltip)), *size)


def survival_chart(
    fit: RetentionFit, horizon_periods: int | None = None, width: int = 420, height: int = 260
) -> alt.LayerChart:
    """Share of a cohort still active: observed, sBG with its interval band, constant retention.

    Parameters
    ----------
    fit : RetentionFit
        The fit to draw.
    horizon_periods : int, optional
        Last period drawn (default: 5 beyond the last observation).
    width, height : int
        Plot size [px].

    Returns
    -------
    altair.LayerChart
        Band, two curves and the observed points (held-out ones hollow).
    """
    obs = fit.observed.copy()
    horizon = int(horizon_periods or obs["period"].max() + 5)
    shown = pd.unique(obs["cohort"])[:MAX_CHART_COHORTS]  # a readable, bounded chart
    obs = obs[obs["cohort"].isin(shown)]
    band = fit.survival_band(horizon)
    curves = pd.concat(
        [
            pd.DataFrame({"period": band.period, "share": band.sbg, "series": SBG}),
            pd.DataFrame({"period": band.period, "share": band.constant, "series": CONSTANT}),
        ]
    )
    size = obs.groupby("cohort")["observed"].transform("first")
    points = pd.DataFrame(
        {
            "period": obs.period,
            "share": obs.observed / size,
            "cohort": obs.cohort.astype(str),
            "used": np.where(obs.in_fit, "fitted", "held out"),
            "series": "observed",
        }
    )
    y_title = "share of cohort still active"
    return _layers(
        (band, alt.Y("sbg_low:Q", title=y_title), "sbg_high:Q"),
        curves,
        points,
        ["cohort:N", "period:Q", alt.Tooltip("share:Q", format=".1%"), "used:N"],
        alt.X("period:Q", title="years since acquisition"),
        alt.Y("share:Q", title=y_title, axis=alt.Axis(format="%")),
        (width, height),
    )


def _observed_retention(fit: RetentionFit) -> pd.DataFrame:
    """Pooled observed retention S(t) / S(t - 1) over the cohorts observed at t."""
    obs = fit.observed
    rows = []
    for t in range(1, int(obs.period.max()) + 1):
        now = obs[obs.period == t]
        before = obs[(obs.period == t - 1) & obs.cohort.isin(now.cohort)]
        if before.observed.sum() > 0:
            rows.append(
                {
                    "tenure": t - 1,
                    "retention": now.observed.sum() / before.observed.sum(),
                    "used": "fitted" if bool(now.in_fit.all()) else "held out",
                    "series": "observed",
                }
            )
    return pd.DataFrame(rows, columns=["tenure", "retention", "used", "series"])


def retention_chart(
    fit: RetentionFit, horizon_periods: int | None = None, width: int = 420, height: int = 260
) -> alt.LayerChart:
    """Retention rate by renewals made: sBG rises with tenure, constant retention stays flat.

    Parameters
    ----------
    fit, horizon_periods, width, height
        As in :func:`survival_chart`; here ``horizon_periods`` is the largest tenure drawn
        (default: 5 beyond the last observation).

    Returns
    -------
    altair.LayerChart
        sBG retention (beta + k) / (alpha + beta + k) with its band, the constant rate, and the
        pooled observed rates.
    """
    horizon = int(horizon_periods or fit.observed["period"].max() + 5)
    k = np.arange(horizon)
    est, low, high, _, _ = fit.band(lambda a, b: sbg_retention(a[:, None], b[:, None], k + 1))
    band = pd.DataFrame({"tenure": k, "low": low, "high": high})
    curves = pd.concat(
        [
            pd.DataFrame({"tenure": k, "retention": est, "series": SBG}),
            pd.DataFrame(
                {
                    "tenure": k,
                    "retention": fit.constant.retention,
                    "series": CONSTANT,
                }
            ),
        ]
    )
    y_title, free = "retention rate", alt.Scale(zero=False)
    return _layers(
        (band, alt.Y("low:Q", title=y_title, scale=free), "high:Q"),
        curves,
        _observed_retention(fit),
        ["tenure:Q", alt.Tooltip("retention:Q", format=".1%"), "used:N"],
        alt.X("tenure:Q", title="renewals made"),
        alt.Y("retention:Q", title=y_title, axis=alt.Axis(format="%"), scale=free),
        (width, height),
    )


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to an SVG string offline (vl_convert bundles Vega)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json())
