"""Survival, churn and retention curves of the sBG model, and the constant-retention multiple.

The first room of :mod:`cxroi.engine.retention`: the shifted-beta-geometric (sBG) curves of
Fader & Hardie (2007) in closed form, the Gupta & Lehmann (2003) margin multiple of constant
retention, the published reference data the tests and examples check against, and the
broadcasting and validation helpers the lifetime and fitting modules share. The glossary of
names and symbols is in the package docstring.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). "How to Project Customer Retention."
   Journal of Interactive Marketing, 21(1), 76-90.
.. [2] Gupta, S. and Lehmann, D. R. (2003). "Customers as Assets." Journal of Interactive
   Marketing, 17(1), 9-24.
"""

from __future__ import annotations

import sys

import numpy as np


class _SciPySpecial:
    """:mod:`scipy.special`, imported on first use of one of its functions.

    Importing it costs about as much as numpy itself, and the lifetimes of a business case
    (DEL and CLV by the direct series of
    :func:`cxroi.engine.retention.lifetimes.hyp2f1_unit_a`) do not need it, so ``cxroi run``
    does not pay for it. The lifetime and fitting modules use this same object.
    """

    def __getattr__(self, name: str):
        from scipy import special

        return getattr(special, name)


special = _SciPySpecial()

__all__ = [
    "FADER_HARDIE_2007_HIGH_END",
    "FADER_HARDIE_2007_HIGH_END_FIT",
    "FADER_HARDIE_2007_REGULAR",
    "FADER_HARDIE_2007_REGULAR_FIT",
    "FADER_HARDIE_2010_TABLE3_CASE",
    "FADER_HARDIE_2010_TABLE3_DERL",
    "margin_multiple",
    "sbg_churn_probability",
    "sbg_retention",
    "sbg_survival",
]


# ---------------------------------------------------------------------------------------------
# Published reference data
# ---------------------------------------------------------------------------------------------

#: Customers still active, of 1000 "regular" customers acquired at year 0, at years 0..12.
#: Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive Marketing 21(1),
#: Table 1 / Figure 1 (the "regular" segment).
FADER_HARDIE_2007_REGULAR = (1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173)

#: Customers still active, of 1000 "high end" customers, at years 0..12. Same source, same table.
FADER_HARDIE_2007_HIGH_END = (1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394)

#: Maximum-likelihood (alpha, beta) the paper reports for the regular segment, years 0..7.
FADER_HARDIE_2007_REGULAR_FIT = (0.704, 1.182)

#: Maximum-likelihood (alpha, beta) the paper reports for the high-end segment, years 0..7.
FADER_HARDIE_2007_HIGH_END_FIT = (0.668, 3.806)

#: (alpha, beta, discount_rate) of the worked case in Fader & Hardie (2010), Table 3.
FADER_HARDIE_2010_TABLE3_CASE = (3.80, 15.20, 0.10)

#: DERL for n = 1..5 in that case, as printed (two decimals). Fader & Hardie (2010), Table 3.
FADER_HARDIE_2010_TABLE3_DERL = (3.31, 3.45, 3.59, 3.72, 3.84)


# ---------------------------------------------------------------------------------------------
# Helpers: broadcasting, validation, output type
# ---------------------------------------------------------------------------------------------


def _as_float_arrays(*values):
    arrays = [np.asarray(v, dtype=float) for v in values]
    return np.broadcast_arrays(*arrays)


def _require(name, values, ok, rule):
    """Raise ValueError naming the first offending value when ``ok`` is not all true."""
    ok = np.asarray(ok)
    if not np.all(ok):
        bad = np.asarray(values)[~ok] if np.ndim(values) else values
        first = bad.flat[0] if isinstance(bad, np.ndarray) else bad
        raise ValueError(f"{name} must be {rule} (got {first!r})")


def _wrap(result, *inputs):
    """Return a float for 0-d results, a Series if any input was one, else the array."""
    result = np.asarray(result, dtype=float)
    if result.ndim == 0:
        return float(result)
    pd = sys.modules.get("pandas")
    if pd is not None:
        for x in inputs:
            if isinstance(x, pd.Series) and result.shape == (len(x),):
                return pd.Series(result, index=x.index, name=x.name)
    return result


def _check_shapes(alpha, beta):
    _require("alpha", alpha, np.isfinite(alpha) & (alpha > 0), "a finite number > 0")
    _require("beta", beta, np.isfinite(beta) & (beta > 0), "a finite number > 0")


def _shapes_and_periods(alpha, beta, t, first):
    """``alpha``, ``beta`` and ``t`` as broadcast float arrays, checked.

    The shapes must be finite and > 0, ``t`` a finite number of periods >= ``first``.
    """
    a, b, tt = _as_float_arrays(alpha, beta, t)
    _check_shapes(a, b)
    _require("t", tt, np.isfinite(tt) & (tt >= first), f"a finite number of periods >= {first}")
    return a, b, tt


# ---------------------------------------------------------------------------------------------
# sBG quantities
# ---------------------------------------------------------------------------------------------


def sbg_survival(alpha, beta, t):
    r"""Share of a cohort still active ``t`` periods after acquisition under the sBG model.

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters of the Beta distribution of the churn probability [-], both > 0.
    t : float or array_like
        Periods since acquisition [periods], >= 0 (integers in the model; real values are
        accepted and interpolate the closed form).

    Returns
    -------
    float or ndarray or pandas.Series
        S(t) [share of the cohort, 0..1]; S(0) = 1.

    Notes
    -----
    Fader & Hardie (2007), eq. (7):

    .. math:: S(t \mid \alpha, \beta) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}

    computed as ``exp(betaln(alpha, beta + t) - betaln(alpha, beta))`` for numerical stability.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> round(sbg_survival(0.704, 1.182, 12) * 1000, 1)
    170.1
    >>> sbg_survival(1.0, 1.0, [0, 1, 3])
    array([1.  , 0.5 , 0.25])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=0)
    return _wrap(np.exp(special.betaln(a, b + tt) - special.betaln(a, b)), alpha, beta, t)


def sbg_churn_probability(alpha, beta, t):
    r"""Probability that a newly acquired customer churns in period ``t`` (sBG model).

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    t : float or array_like
        Period of churn [periods], >= 1.

    Returns
    -------
    float or ndarray or pandas.Series
        P(T = t) [probability]; equals S(t - 1) - S(t).

    Notes
    -----
    Fader & Hardie (2007), eq. (6):

    .. math:: P(T = t \mid \alpha, \beta) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)}

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> sbg_churn_probability(1.0, 1.0, [1, 2])
    array([0.5       , 0.16666667])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=1)
    out = np.exp(special.betaln(a + 1, b + tt - 1) - special.betaln(a, b))
    return _wrap(out, alpha, beta, t)


def sbg_retention(alpha, beta, t):
    r"""Retention rate in period ``t`` among customers active at the end of ``t - 1`` (sBG).

    Parameters
    ----------
    alpha, beta : float or array_like
        Shape parameters [-], both > 0.
    t : float or array_like
        Period [periods], >= 1. A customer facing period t has made t - 1 renewals, so the
        rate for a customer with k renewals made is ``sbg_retention(alpha, beta, k + 1)``
        = (beta + k) / (alpha + beta + k), as in docs/model.md §4.

    Returns
    -------
    float or ndarray or pandas.Series
        r_t = S(t) / S(t - 1) [share, 0..1]; increasing in t.

    Notes
    -----
    Fader & Hardie (2007), eq. (8):

    .. math:: r_t = \frac{\beta + t - 1}{\alpha + \beta + t - 1}

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> round(sbg_retention(0.704, 1.182, 1), 4)
    0.6267
    >>> sbg_retention(1.0, 3.0, [1, 2, 3]).round(4)
    array([0.75  , 0.8   , 0.8333])
    """
    a, b, tt = _shapes_and_periods(alpha, beta, t, first=1)
    return _wrap((b + tt - 1) / (a + b + tt - 1), alpha, beta, t)


def margin_multiple(retention, discount_rate):
    r"""Gupta-Lehmann margin multiple: customer value per unit of annual margin.

    Value of a customer's margin stream at the end of the first period under constant retention,
    as a multiple of the per-period margin (margins at period ends, first margin received only if
    the customer is retained).

    Parameters
    ----------
    retention : float or array_like
        Constant per-period retention rate r [share], 0 <= r <= 1.
    discount_rate : float or array_like
        Per-period discount rate i [1/period], decimal, with 1 + i - r > 0.

    Returns
    -------
    float or ndarray or pandas.Series
        r / (1 + i - r) [-].

    Notes
    -----
    Gupta & Lehmann (2003):

    .. math:: \text{multiple} = \frac{r}{1 + i - r}

    References
    ----------
    .. [1] Gupta, S. and Lehmann, D. R. (2003), J. Interactive Marketing, 17(1), 9-24.

    Examples
    --------
    >>> round(margin_multiple(0.8, 0.10), 2)
    2.67
    >>> round(margin_multiple(0.9, 0.12), 2)
    4.09
    """
    r, i = _as_float_arrays(retention, discount_rate)
    _require("retention", r, np.isfinite(r) & (r >= 0) & (r <= 1), "a share between 0 and 1")
    _require("discount_rate", i, np.isfinite(i) & (i > -1), "a finite decimal > -1")
    _require("discount_rate", i, 1 + i - r > 0, "greater than retention - 1 so the sum converges")
    return _wrap(r / (1 + i - r), retention, discount_rate)
