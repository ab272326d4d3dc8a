"""The text report of a calibration.

Part of :mod:`cxroi.analysis.calibration` (its docstring describes the method).
"""

from __future__ import annotations

import math

from cxroi.analysis.calibration.cohorts import (
    _MAX_REPORT_ROWS,
)
from cxroi.analysis.calibration.fit import (
    Calibration,
    Interval,
    RetentionFit,
)
from cxroi.model.finite import finite_or_none


def share_text(x: float | None) -> str:
    """A share as a percentage to one decimal (``12.5%``); ``n/a`` when missing or not finite.

    Examples
    --------
    >>> share_text(0.125), share_text(float("nan")), share_text(None)
    ('12.5%', 'n/a', 'n/a')
    """
    share = finite_or_none(x)
    return "n/a" if share is None else f"{share:.1%}"


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
        f"{share_text(fit.mape_sbg)}; {'converged' if sbg.converged else 'NOT converged: '}"
        + ("" if sbg.converged else sbg.message),
        f"  constant retention on the same periods: r = {fit.constant.retention:.4f} "
        f"(std err {fit.constant.se:.4f}), log-likelihood {fit.constant.log_likelihood:.2f}, "
        f"MAPE {share_text(fit.mape_constant)}",
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
            f"  held-out MAPE: sBG {share_text(bt.mape_sbg)}, "
            f"constant retention {share_text(bt.mape_constant)}",
            f"  error at the last observed period: sBG {bt.last_period_error_sbg:+.1%}, "
            f"constant retention {bt.last_period_error_constant:+.1%}",
        ]
    return "\n".join(lines)
