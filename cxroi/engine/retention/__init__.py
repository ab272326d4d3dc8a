"""Shifted-beta-geometric (sBG) retention maths for contractual customer bases.

Every customer renews each period with a fixed probability ``1 - p``; the churn probability
``p`` varies across customers following a Beta(alpha, beta) distribution. Aggregating over that
heterogeneity gives the survival curve, the period-by-period retention rate (which *rises* with
tenure, because the customers most likely to leave go first) and closed forms for discounted
expected lifetimes.

Glossary (names in the API, symbols in the formulas):

* ``alpha``, ``beta`` (alpha, beta) -- shape parameters of the Beta mixing distribution of the
  per-period churn probability [-]. Mean churn probability is alpha / (alpha + beta).
* ``t`` -- number of periods since acquisition [periods]; the cohort is acquired at t = 0.
* ``n`` -- as in Fader & Hardie (2010): the customer has made ``n - 1`` renewals and is about to
  decide on the n-th.
* ``discount_rate`` (d) -- per-period discount rate, a decimal (0.10, not 10) [1/period].
* ``survivors`` -- customers of one cohort still active at t = 0, 1, ..., T [customers].

All functions broadcast like numpy: a scalar input gives a Python float, arrays give arrays and
a pandas Series gives a Series with the same index.

The work is split by topic into submodules; this package re-exports their public names, so
``from cxroi.engine.retention import fit_sbg`` works as ever:

* :mod:`~cxroi.engine.retention.curves`: survival, churn and retention curves, the constant-
  retention margin multiple and the published reference data;
* :mod:`~cxroi.engine.retention.lifetimes`: discounted expected lifetimes (DEL, DERL) and the
  hypergeometric series behind them;
* :mod:`~cxroi.engine.retention.fit`: the log-likelihood and the maximum-likelihood fit.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007), J. Interactive Marketing, 21(1), 76-90.
.. [2] Fader, P. S. and Hardie, B. G. S. (2010), Marketing Science, 29(1), 85-93.
.. [3] Gupta, S. and Lehmann, D. R. (2003), J. Interactive Marketing, 17(1), 9-24.
"""

from __future__ import annotations

from cxroi.engine.retention import curves, fit, lifetimes
from cxroi.engine.retention.curves import *  # noqa: F403
from cxroi.engine.retention.fit import *  # noqa: F403
from cxroi.engine.retention.lifetimes import *  # noqa: F403
from cxroi.engine.retention.lifetimes import _ratio_series  # noqa: F401 - tested by this path

__all__ = [*curves.__all__, *lifetimes.__all__, *fit.__all__]
