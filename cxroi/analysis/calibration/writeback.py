"""Writing a fitted retention into a scenario file.

Part of :mod:`cxroi.analysis.calibration` (its docstring describes the method).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import yaml

from cxroi.analysis.calibration.cohorts import (
    CalibrationError,
    CohortTable,
)
from cxroi.analysis.calibration.fit import (
    RetentionFit,
)
from cxroi.analysis.calibration.text import (
    _ends,
    share_text,
)


def _round_sig(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def tenure_mix_from_table(table: CohortTable) -> dict[int, float]:
    """Today's customers by renewals made, read from a staggered cohort table (docs/model.md §14).

    Each cohort is taken as observed up to today: its last count is the customers of that
    cohort active now, and the periods since acquisition are the renewals they have made.
    Cohorts of the same age are added up; the shares sum to 1 exactly.

    Parameters
    ----------
    table : CohortTable

    Returns
    -------
    dict of int to float
        ``{renewals: share}``, renewals ascending.

    Raises
    ------
    CalibrationError
        If no customer of the table is active at its last period.

    Examples
    --------
    >>> t = CohortTable({"2023": (100.0, 80.0, 70.0), "2024": (100.0, 90.0), "2025": (50.0,)})
    >>> tenure_mix_from_table(t)
    {0: 0.23809523809523808, 1: 0.42857142857142855, 2: 0.33333333333333337}
    """
    # customers active now, added up by renewals made (cohorts summed in table order)
    renewals = table.lengths - 1
    now = np.asarray(table.counts, dtype=float)[table.offsets + renewals]
    sums = np.bincount(renewals, weights=now)
    counts = {int(k): float(sums[k]) for k in np.unique(renewals)}
    total = math.fsum(counts.values())
    if not total > 0:
        raise CalibrationError("no customer of the cohort table is active at its last period")
    keys = sorted(k for k in counts if counts[k] > 0)
    shares = {k: counts[k] / total for k in keys}
    shares[keys[-1]] = 1.0 - math.fsum(shares[k] for k in keys[:-1])
    return shares


def retention_mapping(fit: RetentionFit, tenure: int | Mapping[int, float] = 0) -> dict:
    """Build the scenario ``retention`` mapping ``{alpha, beta, tenure}`` of a fit.

    Parameters
    ----------
    fit : RetentionFit
        The fit.
    tenure : int
        Renewals today's customers of the segment have already made (docs/model.md §4).

    Returns
    -------
    dict
        ``{"alpha": ..., "beta": ..., "tenure": ...}``, alpha and beta to 6 significant digits.
    """
    mix: int | dict[int, float]
    if isinstance(tenure, Mapping):  # a tenure mix (docs/model.md §14)
        mix = {int(k): float(v) for k, v in tenure.items()}
    elif tenure < 0 or int(tenure) != tenure:
        raise CalibrationError(f"tenure must be a whole number of renewals >= 0 (got {tenure})")
    else:
        mix = int(tenure)
    return {
        "alpha": _round_sig(fit.sbg.alpha),
        "beta": _round_sig(fit.sbg.beta),
        "tenure": mix,
    }


def _tenure_comment(fit: RetentionFit, tenure: int | Mapping[int, float]) -> str:
    a, b = fit.sbg.alpha, fit.sbg.beta
    if isinstance(tenure, Mapping):
        rate = math.fsum(v * (b + k) / (a + b + k) for k, v in tenure.items())
        mix = ", ".join(f"{k}: {v:.4f}" for k, v in tenure.items())
        return (
            f"# tenure mix {{{mix}}} (renewals: share of today's customers, read from the "
            f"cohort table); share-weighted retention = {rate:.4f}."
        )
    return (
        f"# tenure = {int(tenure)} renewals made by today's customers; retention at that tenure "
        f"= {(b + tenure) / (a + b + tenure):.4f}."
    )


def _pick_segment(data: Mapping, segment: str | None, label: str) -> int:
    segments = data.get("segments") if isinstance(data, Mapping) else None
    if not isinstance(segments, list) or not segments:
        raise CalibrationError(f"{label}: the scenario has no segments list")
    names = [str(s.get("name")) if isinstance(s, Mapping) else "?" for s in segments]
    if segment is None:
        if len(segments) == 1:
            return 0
        raise CalibrationError(
            f"{label}: say which segment gets the fitted retention with --segment "
            f"(segments: {', '.join(names)})"
        )
    if segment not in names:
        raise CalibrationError(
            f"{label}: no segment named {segment!r} (segments: {', '.join(names)})"
        )
    return names.index(segment)


def scenario_with_retention(
    scenario: str | os.PathLike | Mapping,
    fit: RetentionFit,
    *,
    segment: str | None = None,
    tenure: int | Mapping[int, float] = 0,
    table: CohortTable | None = None,
    scenario_label: str | None = None,
    now: _dt.datetime | None = None,
) -> tuple[str, dict]:
    """YAML text of a scenario whose segment retention is replaced by a fitted sBG.

    Parameters
    ----------
    scenario : str, path-like or mapping
        The scenario YAML file or its mapping.
    fit : RetentionFit
        The fit to write.
    segment : str, optional
        Segment name; may be omitted when the scenario has one segment.
    tenure : int
        Renewals the segment's current customers have made.
    table : CohortTable, optional
        The table the fit came from, for the provenance comment.
    scenario_label : str, optional
        How to name the scenario in the provenance comment (default its path).
    now : datetime, optional
        Time stamp of the provenance (default now, UTC).

    Returns
    -------
    tuple of (str, dict)
        The YAML text, provenance first as ``#`` comment lines (the scenario schema has no
        place for unknown keys), and the new mapping. The mapping is checked with
        :func:`cxroi.load_scenario` before it is returned.

    Raises
    ------
    CalibrationError
        Unknown segment, unreadable scenario, or a result the scenario loader rejects.
    """
    from cxroi.model.scenario import ScenarioError, load_scenario

    if isinstance(scenario, Mapping):
        data = dict(scenario)
        label = scenario_label or "scenario"
        digest = None
    else:
        from cxroi.model.scenario import read_yaml

        path = Path(scenario)
        label = scenario_label or str(scenario)
        if not path.is_file():
            raise CalibrationError(f"{label}: no such scenario file")
        try:  # the CLI's loader: regular files only, size, alias, depth and node limits
            data = read_yaml(path)
        except ScenarioError as exc:
            raise CalibrationError(str(exc)) from None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if not isinstance(data, dict):
            raise CalibrationError(f"{label}: the scenario must be a mapping of fields")
    index = _pick_segment(data, segment, label)
    data["segments"] = [dict(s) for s in data["segments"]]
    seg = data["segments"][index]
    seg["retention"] = retention_mapping(fit, tenure)
    try:
        load_scenario(data)
    except ScenarioError as exc:
        raise CalibrationError(f"the calibrated scenario would not load: {exc}") from None
    stamp = (now or _dt.datetime.now(_dt.UTC)).replace(microsecond=0).isoformat()
    lvl = f"{fit.level:.0%}"
    header = [
        f"# Retention of segment {seg.get('name')!r} calibrated by `cxroi calibrate` on {stamp}.",
        f"# Based on scenario: {label}" + (f" (sha256 {digest})" if digest else ""),
    ]
    if table is not None:
        header.append(
            f"# Cohort data: {table.source or 'a DataFrame'}"
            + (f" (sha256 {table.sha256})" if table.sha256 else "")
        )
    header += [
        f"# sBG fit '{fit.name}' on {len(fit.cohort_names)} cohort(s), periods "
        f"0..{fit.fit_periods}: alpha = {fit.sbg.alpha:.6g} (std err {fit.sbg.se_alpha:.3g}, "
        f"{lvl} profile interval {_ends(fit.alpha)}),",
        f"#   beta = {fit.sbg.beta:.6g} (std err {fit.sbg.se_beta:.3g}, {lvl} interval "
        f"{_ends(fit.beta)}), log-likelihood {fit.sbg.log_likelihood:.3f}, "
        f"MAPE {share_text(fit.mape_sbg)}.",
        _tenure_comment(fit, tenure),
        "# Comments of the original scenario file are not carried over.",
        "",
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + body, data


def write_scenario_with_retention(
    scenario: str | os.PathLike | Mapping,
    fit: RetentionFit,
    out_path: str | os.PathLike,
    *,
    segment: str | None = None,
    tenure: int | Mapping[int, float] = 0,
    table: CohortTable | None = None,
    force: bool = False,
    now: _dt.datetime | None = None,
) -> Path:
    """Write a copy of a scenario with the fitted sBG retention in one segment.

    The file is written to a temporary name in the same folder and renamed, so an interrupted
    run never leaves a half-written scenario. An existing file (including the input scenario
    itself) is only replaced with ``force=True``.

    Parameters
    ----------
    scenario : str or path-like
        Scenario to start from.
    fit : RetentionFit
        The fit to write.
    out_path : str or path-like
        The new scenario file.
    segment, tenure, table, now
        As :func:`scenario_with_retention`.
    force : bool
        Replace ``out_path`` if it exists.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    from cxroi.model.safety import atomic_write

    out = Path(out_path)
    if out.exists() and not force:
        raise CalibrationError(f"{out} already exists; pass --force to replace it")
    if not out.parent.exists():
        raise CalibrationError(f"{out.parent}: no such folder")
    text, _ = scenario_with_retention(
        scenario, fit, segment=segment, tenure=tenure, table=table, now=now
    )
    atomic_write(out, text)
    return out
