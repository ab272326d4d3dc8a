"""Every assumption of a scenario with its value and provenance, as plain JSON-able rows.

:func:`assumption_rows` lists each field path with its label and unit (the field registry's),
its value, where it comes from (given, default, cited benchmark default, derived), the
evidence behind it and its date. The report's assumption table, the batch's records and the
workbook's Inputs sheet read these facts, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxroi.model.distributions import base_float
from cxroi.model.fields import FIELDS_BY_PATH, field_doc, unit_text
from cxroi.model.paths import field_name, lookup, parent, parts
from cxroi.model.scenario import Distribution

#: How each kind of provenance reads in a table (the report's and the workbook's).
SOURCE_LABELS = {
    "user": "given",
    "default": "default",
    "benchmark": "benchmark default",
    "derived": "derived",
}


def _plain(value: Any) -> Any:
    """A JSON-able rendering of a field value: number, text or None."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Distribution):
        return _describe_distribution(value)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            inner = v.model_dump(exclude_unset=True) if hasattr(v, "model_dump") else v
            parts.append(f"{k}: {_short(_plain(inner))}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(_plain(v)) for v in value) + "]"
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(exclude_unset=True))
    return str(value)


def _describe_distribution(dist: Distribution) -> str:
    spec = dist.to_mapping()
    kind = spec.pop("dist")
    args = ", ".join(f"{k}={_text(v)}" for k, v in spec.items())
    return f"{kind}({args})"


def _short(value: Any) -> str:
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _in_field_order(paths: list[str]) -> list[str]:
    """Sort sibling paths by their model's field order (the scenario lists set fields unordered)."""
    from cxroi.model.scenario import EFFECT_FIELDS

    order = {name: i for i, name in enumerate((*EFFECT_FIELDS, "alpha", "beta", "tenure"))}
    heads = list(dict.fromkeys(parent(p) for p in paths))

    def key(p: str) -> tuple[int, int]:
        return heads.index(parent(p)), order.get(field_name(p), len(order))

    return sorted(paths, key=key)


def user_evidence(scenario: Any, path: str) -> Any:
    """The evidence written with an input (``{value, source, note, as_of}``), or None.

    Looks the path up as written and without a trailing ``[year]`` (evidence written on a
    whole capex mapping covers each of its years).
    """
    evidence = getattr(scenario, "evidence", None)
    if not isinstance(evidence, dict) or not evidence:
        return None
    found = evidence.get(path)
    if found is None and path.endswith("]"):
        found = evidence.get(path[: path.rindex("[")])
    return found


def _by_year(path: str, value: Any) -> Any:
    """Capex by year, opex and ramp lists as "year 0: 500,000; year 1: 250,000"."""
    last = field_name(path)
    if last == "capex" and isinstance(value, Mapping):
        years = sorted(value.items())
        return "; ".join(f"year {k}: {_text(float(base_float(v)))}" for k, v in years)
    if last in ("opex", "ramp") and isinstance(value, (list, tuple)):
        parts = [
            f"year {k}: {_text(float(base_float(v)))}" for k, v in enumerate(value, start=1)
        ]
        parts[-1] = parts[-1].replace(":", " on:", 1)  # the last value is held
        return "; ".join(parts)
    return _plain(value)


def _evidence(path: str, own: Any, source: str) -> str:
    """What stands behind a value: the user's source, a cited benchmark, or "not sourced".

    ``own`` is the evidence written with the value (its ``source``), or None.
    """
    from cxroi.model.scenario import BENCHMARK_DEFAULTS

    given = getattr(own, "source", None)
    if given:
        return str(given)
    if source == "benchmark":
        bm = BENCHMARK_DEFAULTS.get(field_name(path))
        return f"{bm.source} ({bm.year})" if bm is not None else "cited benchmark"
    if source == "default":
        return "model default"
    if source == "derived":
        return "derived"
    return "not sourced"


def _as_of(own: Any) -> str | None:
    value = getattr(own, "as_of", None)
    return None if value is None else str(value)


def _derived_value(scenario: Any, path: str) -> Any:
    """The number of a derived field, as the engine computes it.

    ``new_customers_per_year``: N0 x (1 - r at base tenure), with a tenure mix's churn for
    1 - r.
    """
    if not path.endswith(".new_customers_per_year"):
        return "computed in each evaluation"
    name = parts(path)[1][1]  # segments[<name>].new_customers_per_year
    seg = next(s for s in scenario.segments if s.name == name)
    if seg.acquisition == "replace":
        return "not used (acquisition: replace wins back what churned)"
    if seg.is_sbg:  # a tenure mix: the share-weighted retention (docs/model.md §14)
        r = seg.retention
        a, b = base_float(r.alpha), base_float(r.beta)
        rate = sum(share * (b + k) / (a + b + k) for k, share in r.tenure_mix.items())
    else:
        rate = base_float(seg.retention)
    return base_float(seg.customers) * (1.0 - rate)


def assumption_rows(scenario: Any) -> list[dict[str, Any]]:
    """Every assumption of a scenario with its value and provenance.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.

    Returns
    -------
    list of dict
        One row per field path, in scenario order, with keys ``path``, ``label`` and ``unit``
        (the field registry's, :mod:`cxroi.model.fields`), ``value`` (a number, or
        text for lists, mappings and distributions), ``source`` (``user``, ``default``,
        ``benchmark`` or ``derived``), ``benchmark`` (key of the cited statistic or None),
        ``note`` (the benchmark's source and caveat, or how a derived value is computed),
        ``evidence`` (the user's own source where given, the cited publication for a
        benchmark default, ``model default``, ``derived``, or ``not sourced`` for a given value
        without a source) and ``as_of`` (the date of the evidence, or None). Effect fields are
        listed where the user gave them. Capex by year, opex and ramp lists read as years and
        amounts; a derived ``new_customers_per_year`` shows its number.
    """
    prov = scenario.provenance()
    fields = scenario.fields()
    name = FIELDS_BY_PATH["name"]
    rows: list[dict[str, Any]] = [
        {"path": "name", "label": name.title, "unit": name.unit, "value": scenario.name,
         "source": "user", "benchmark": None, "note": ""}
    ]  # fmt: skip
    seen = {"name"}

    def add(path: str, value: Any) -> None:
        p = prov.get(path)
        source = p.source if p else "user"
        own = user_evidence(scenario, path)
        doc = field_doc(path)
        rows.append(
            {
                "path": path,
                "label": doc.title if doc is not None else path,
                "unit": unit_text(path, scenario.currency),
                "value": _by_year(path, value),
                "source": source,
                "benchmark": p.benchmark if p else None,
                "note": (getattr(own, "note", None) or (p.note if p else "")),
                "evidence": _evidence(path, own, source),
                "as_of": _as_of(own),
            }
        )
        seen.add(path)

    for path in prov:
        if path in seen:
            continue
        if path.endswith(".effects") and not any(f.startswith(path + "[") for f in fields):
            add(path, "none")
            continue
        if path in fields:
            add(path, fields[path])
            continue
        children = _in_field_order(
            [f for f in fields if f.startswith((path + ".", path + "[")) and f not in prov]
        )
        if children:
            # An sBG retention or an initiative's effects: listed field by field.
            for f in children:
                add(f, fields[f])
            continue
        try:
            value = lookup(scenario, path)
        except (AttributeError, KeyError, StopIteration):
            value = None
        if value is None and prov[path].source == "derived":
            value = _derived_value(scenario, path)
        add(path, value)
    for path, value in fields.items():
        if path not in seen:
            add(path, value)
    return rows

