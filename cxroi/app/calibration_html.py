"""HTML of the retention calibration page: estimates, model comparison, observed table.

Pure builders: a fit in, an HTML string out, every name from the cohort table escaped. Labels
are in plain words, each with its explanation on hover (:data:`TERMS`, :func:`term`);
:data:`PAGE_CSS` styles them in the dashboard's theme. The page itself is
:mod:`cxroi.app.calibration_page`.
"""

from __future__ import annotations

import base64
import html
import math

from cxroi.analysis.calibration import Calibration, Interval, RetentionFit
from cxroi.analysis.calibration.text import share_text

__all__ = [
    "MAX_TABLE_ROWS",
    "PAGE_CSS",
    "TERMS",
    "comparison_html",
    "download_html",
    "error_html",
    "observed_html",
    "summary_html",
    "term",
]

#: Rows of the observed-against-fitted table shown on the page.
MAX_TABLE_ROWS = 200
#: Styles of the page's HTML (class ``cxcal``), in the dashboard theme's colours.
PAGE_CSS = """
<style>
.cxcal {line-height: 1.4; white-space: normal}
.cxcal table {border-collapse: collapse; font-size: 13px; margin: 4px 0 10px 0}
.cxcal th, .cxcal td {padding: 4px 10px; text-align: right;
  border-bottom: 1px solid var(--cxroi-line, #dee2e6)}
.cxcal th {font-weight: 600; color: var(--cxroi-muted, #6c757d); font-size: 12px}
.cxcal th:first-child, .cxcal td:first-child {text-align: left}
.cxcal .muted {color: var(--cxroi-muted, #6c757d)}
.cxcal .cxroi-term {border-bottom: 1px dotted var(--cxroi-muted, #6c757d); cursor: help}
.cxcal .cxroi-error {color: var(--cxroi-bad, #c0392b); white-space: pre-wrap; font-weight: 600}
.cxcal .cxroi-note {color: var(--cxroi-muted, #6c757d)}
.cxcal a.cxroi-download {display: inline-block; padding: 6px 14px; border-radius: 4px;
  background: var(--cxroi-ink, #1d3557); color: white; text-decoration: none; font-weight: 600}
.cxcal a.cxroi-download:hover {background: #2a4a7a}
</style>
"""

#: Plain-word names of the fit's quantities and what each means (shown on hover).
TERMS = {
    "alpha": (
        "How churn-prone customers differ: shape \u03b1",
        "Shape of how churn-prone customers differ. \u03b1 and \u03b2 describe how each "
        "customer's chance of leaving varies across customers; the average chance of leaving "
        "in a year is \u03b1 / (\u03b1 + \u03b2). Small values mean customers differ a lot: "
        "the churn-prone leave early and retention rises with tenure.",
    ),
    "beta": (
        "How churn-prone customers differ: shape \u03b2",
        "Shape of how churn-prone customers differ. With \u03b1 it sets each customer's "
        "chance of leaving; a larger \u03b2 (against \u03b1) means customers are less "
        "likely to leave on average.",
    ),
    "retention": (
        "Retention rate after {tenure} renewals made",
        "Share of customers who have renewed {tenure} times that renew once more.",
    ),
    "lifetime": (
        "Discounted expected lifetime of a new customer (years)",
        "Years a newly won customer is expected to stay, later years counted less at the "
        "discount rate of {d} a year (Fader & Hardie's DEL).",
    ),
    "residual": (
        "Expected remaining lifetime of a current customer (discounted years)",
        "Further years a customer who has renewed {tenure} times is expected to stay, later "
        "years counted less at {d} a year (Fader & Hardie's DERL).",
    ),
    "clv": (
        "Lifetime value of a new customer ({currency})",
        "Margin of {margin} a year over the discounted expected lifetime (CLV).",
    ),
    "mape": (
        "Average error of the fit (%)",
        "Mean absolute percentage error: how far the model's survivors are from the observed "
        "ones, on average, over the years used in the fit (MAPE).",
    ),
    "backtest": (
        "Average error on later years held out (%)",
        "Fitted on years 0 to {fit} only, then compared with the years after: the test of "
        "how well each model forecasts (MAPE on held-out years).",
    ),
    "last": (
        "Error at the last observed year",
        "Forecast survivors against observed at the last year in the table "
        "(positive: the model expects too many).",
    ),
    "loglik": (
        "Goodness of fit (log-likelihood; higher is better)",
        "How probable the observed cohorts are under the fitted model.",
    ),
    "values": (
        "Fitted values",
        "sBG: the two shapes \u03b1 and \u03b2; constant retention: one rate r for everyone.",
    ),
}


def term(key: str, **values) -> str:
    """A plain-word label with its explanation on hover (``title``), as HTML.

    Parameters
    ----------
    key : str
        A key of :data:`TERMS`.
    **values
        Filled into the label and the explanation (``tenure``, ``d``, ...).

    Returns
    -------
    str
        ``<span class="cxroi-term" data-term=KEY title=EXPLANATION>LABEL</span>``.
    """
    label, hint = TERMS[key]
    return (
        f'<span class="cxroi-term" data-term="{key}" '
        f'title="{html.escape(hint.format(**values))}">{html.escape(label.format(**values))}'
        "</span>"
    )


def _num(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "unbounded"
    return f"{x:,.{digits}g}"


def _row(label: str, i: Interval, se: float | None = None, money: bool = False) -> str:
    def fmt(x):
        return f"{x:,.0f}" if money and math.isfinite(x) else _num(x)

    lo = ("&le; " if i.open_low and i.low != 0 else "") + fmt(i.low)
    hi = ("&ge; " if i.open_high and not math.isinf(i.high) else "") + fmt(i.high)
    se_text = "" if se is None else _num(se, 3)
    return (
        f"<tr><td>{label}</td><td><b>{fmt(i.estimate)}</b></td><td>{se_text}</td>"
        f"<td>{lo}</td><td>{hi}</td></tr>"
    )


def summary_html(
    fit: RetentionFit, margin_per_year: float | None = None, currency: str = ""
) -> str:
    """Table of the sBG estimates and derived quantities with their intervals.

    Parameters
    ----------
    fit : RetentionFit
        The fit.
    margin_per_year : float, optional
        Margin of one customer per year [currency]; adds the CLV of a new customer.
    currency : str
        Shown beside the CLV.

    Returns
    -------
    str
        HTML.
    """
    sbg = fit.sbg
    lvl = f"{fit.level:.0%}"
    d = f"{fit.discount_rate:.1%}"
    tenure = fit.tenure
    rows = [
        _row(term("alpha"), fit.alpha, sbg.se_alpha),
        _row(term("beta"), fit.beta, sbg.se_beta),
        _row(term("retention", tenure=tenure), fit.retention_at_tenure),
        _row(term("lifetime", d=d), fit.lifetime),
        _row(term("residual", tenure=tenure, d=d), fit.residual_lifetime),
    ]
    if margin_per_year is not None and math.isfinite(margin_per_year):
        clv = fit.clv(margin_per_year)
        margin = f"{margin_per_year:,.0f} {currency}".strip()
        rows.append(_row(term("clv", currency=currency or "money", margin=margin), clv, money=True))
    status = (
        "the fit converged"
        if sbg.converged
        else '<span class="cxroi-error">the fit did not converge: '
        f"{html.escape(sbg.message)}</span>"
    )
    cohorts = html.escape(", ".join(fit.cohort_names))
    return (
        f"<div class='cxcal'><p>Fitted <b>{html.escape(fit.name)}</b> on "
        f"{len(fit.cohort_names)} cohort(s) ({cohorts}), years 0 to {fit.fit_periods}; "
        f"{term('loglik')}: {sbg.log_likelihood:,.2f}; {status}.</p>"
        f"<table><tr><th></th><th>Estimate</th><th>Standard error</th><th>{lvl} range: low</th>"
        f"<th>{lvl} range: high</th></tr>{''.join(rows)}</table>"
        f"<p class='cxroi-note'>Ranges hold the values the cohorts support at the {lvl} level "
        "(profile likelihood). Lifetimes count later years less at the discount rate "
        f"({d} a year), as in Fader &amp; Hardie (2010). Hover a label for its meaning.</p></div>"
    )


def comparison_html(cal: Calibration, fit: RetentionFit) -> str:
    """Compare sBG with constant retention: in-sample fit and backtest on held-out years."""
    rows = [
        "<tr><th></th><th>Customers differ (sBG)</th><th>Same retention for all</th></tr>",
        f"<tr><td>{term('values')}</td>"
        f"<td>\u03b1 {fit.sbg.alpha:.4g}, \u03b2 {fit.sbg.beta:.4g}</td>"
        f"<td>r = {fit.constant.retention:.4f}</td></tr>",
        f"<tr><td>{term('loglik')}</td><td>{fit.sbg.log_likelihood:,.2f}</td>"
        f"<td>{fit.constant.log_likelihood:,.2f}</td></tr>",
        f"<tr><td>{term('mape')}</td><td>{share_text(fit.mape_sbg)}</td>"
        f"<td>{share_text(fit.mape_constant)}</td></tr>",
    ]
    bt = cal.backtest
    if bt is not None:
        rows += [
            f"<tr><td>{term('backtest', fit=bt.fit_periods)}</td>"
            f"<td>{share_text(bt.mape_sbg)}</td><td>{share_text(bt.mape_constant)}</td></tr>",
            f"<tr><td>{term('last')}</td>"
            f"<td>{bt.last_period_error_sbg:+.1%}</td>"
            f"<td>{bt.last_period_error_constant:+.1%}</td></tr>",
        ]
    return f"<div class='cxcal'><table>{''.join(rows)}</table></div>"


def observed_html(fit: RetentionFit) -> str:
    """Observed against fitted survivors, one row per cohort and year."""
    lvl = f"{fit.level:.0%}"
    head = (
        "<tr><th>Cohort</th><th>Year</th><th>Observed</th><th>Customers differ (sBG)</th>"
        f"<th>{lvl} range</th><th>Same retention for all</th><th></th></tr>"
    )
    rows = [
        f"<tr><td>{html.escape(str(r.cohort))}</td><td>{r.period}</td>"
        f"<td>{r.observed:,.0f}</td><td>{r.sbg:,.1f}</td>"
        f"<td>{r.sbg_low:,.1f} &ndash; {r.sbg_high:,.1f}</td><td>{r.constant:,.1f}</td>"
        f"<td class='muted'>{'' if r.in_fit else 'held out'}</td></tr>"
        for r in fit.observed.iloc[:MAX_TABLE_ROWS].itertuples()
    ]
    more = len(fit.observed) - MAX_TABLE_ROWS
    note = (
        f"<p class='cxroi-note'>Showing the first {MAX_TABLE_ROWS} rows of "
        f"{len(fit.observed):,}.</p>"
        if more > 0
        else ""
    )
    return f"<div class='cxcal'><table>{head}{''.join(rows)}</table>{note}</div>"


def download_html(text: str, filename: str) -> str:
    """A download link carrying ``text`` (UTF-8, base64) as the YAML file ``filename``."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<div class="cxcal"><a class="cxroi-download" download="{html.escape(filename)}" '
        f'href="data:application/x-yaml;base64,{data}">Download {html.escape(filename)}</a></div>'
    )


def error_html(message: str) -> str:
    """``message``, escaped, in the page's error style."""
    return f'<div class="cxcal"><div class="cxroi-error">{html.escape(message)}</div></div>'
