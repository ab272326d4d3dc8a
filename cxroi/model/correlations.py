r"""Correlated uncertain inputs: the ``correlations`` rules and the copula's matrix.

The draws themselves are made by :class:`cxroi.analysis.correlation.CopulaSampler`.

A scenario may say that two distributed fields move together (docs/model.md §16)::

    correlations:
      - {fields: [initiatives[Redesign].effects[*].churn_prevented,
                  initiatives[Redesign].effects[*].share_of_wallet_lift], rank: 0.6}

``rank`` is Spearman's rank correlation :math:`\rho_S`. The draws keep every field's own
distribution exactly: standard normals :math:`Z` with Pearson correlation

.. math:: r = 2 \sin(\pi \rho_S / 6)

(Pearson 1907; the Spearman correlation of a bivariate normal with correlation r is
:math:`(6/\pi) \arcsin(r/2)`) are turned into uniforms :math:`U = \Phi(Z)` and each field's
value is its quantile function at U, :math:`x = F^{-1}(U)`, clipped to the field's range like any
draw. Spearman's correlation is invariant under these increasing transforms, so the draws'
rank correlation is :math:`\rho_S` up to sampling error, whatever the marginals.

The pairs must form a valid correlation matrix (positive semi-definite, ones on the diagonal,
zero for pairs not given); otherwise the scenario is refused, naming the pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cxroi.model.issues import ScenarioIssue

if TYPE_CHECKING:
    from cxroi.model.scenario import Scenario

__all__ = ["correlation_issues", "pearson_from_spearman", "rank_matrix"]

#: Tolerance on the smallest eigenvalue of a correlation matrix (rounding, not a real breach).
PSD_TOLERANCE = 1e-10


def pearson_from_spearman(rho):
    r"""Pearson correlation of a normal pair whose Spearman correlation is ``rho``.

    .. math:: r = 2 \sin(\pi \rho / 6)

    Examples
    --------
    >>> round(float(pearson_from_spearman(0.5)), 6)
    0.517638
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho, dtype=float) / 6.0)


def _pair_text(entry: Any) -> str:
    a, b = entry.fields
    return f"[{a}, {b}] {entry.rank:g}"


def rank_matrix(sc: Scenario) -> tuple[list[str], np.ndarray]:
    """The correlated fields (in :meth:`Scenario.distributions` order) and their rank matrix."""
    order = list(sc.distributions())
    involved = {p for c in sc.correlations for p in c.fields}
    paths = [p for p in order if p in involved]
    index = {p: i for i, p in enumerate(paths)}
    m = np.eye(len(paths))
    for c in sc.correlations:
        i, j = index[c.fields[0]], index[c.fields[1]]
        m[i, j] = m[j, i] = c.rank
    return paths, m


def correlation_issues(sc: Scenario) -> list[ScenarioIssue]:
    """Problems with a scenario's ``correlations``: fields, repeated pairs, an invalid matrix."""
    entries = getattr(sc, "correlations", None) or []
    if not entries:
        return []
    issues: list[ScenarioIssue] = []
    dists = sc.distributions()
    seen: dict[frozenset, int] = {}
    for i, c in enumerate(entries):
        a, b = c.fields
        for j, path in enumerate((a, b)):
            if path not in dists:
                known = path in sc.fields()
                rule = (
                    "must be a field given as a distribution (this one is a plain number)"
                    if known
                    else "names no numeric field of this scenario"
                )
                issues.append(ScenarioIssue(f"correlations[{i}].fields[{j}]", rule, path))
        if a == b:
            issues.append(
                ScenarioIssue(f"correlations[{i}].fields", "must name two different fields", a)
            )
            continue
        key = frozenset((a, b))
        if key in seen:
            issues.append(
                ScenarioIssue(
                    f"correlations[{i}]",
                    f"this pair is already given in correlations[{seen[key]}]",
                    [a, b],
                )
            )
        seen.setdefault(key, i)
    if issues:
        return issues
    _, m = rank_matrix(sc)
    bad = np.linalg.eigvalsh(m).min() < -PSD_TOLERANCE
    bad = bad or np.linalg.eigvalsh(pearson_matrix(m)).min() < -PSD_TOLERANCE
    if bad:
        pairs = "; ".join(_pair_text(c) for c in entries)
        issues.append(
            ScenarioIssue(
                "correlations",
                "these pairs do not form a valid correlation matrix (not positive "
                f"semi-definite; lower some of them): {pairs}",
            )
        )
    return issues


def pearson_matrix(m: np.ndarray) -> np.ndarray:
    r = pearson_from_spearman(m)
    np.fill_diagonal(r, 1.0)
    return r
