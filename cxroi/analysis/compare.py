"""Compare two scenarios and explain the NPV change field by field (docs/model.md §15).

Going from scenario A to scenario B changes some inputs. Each change is a *player*; the value of
a coalition S of changes is the risk-adjusted NPV of A with the changes in S made. The exact
Shapley values of that game split ``npv(B) - npv(A)`` over the changes: an NPV bridge from A to
B in which the order of the changes does not matter (every order is averaged).

Players are defined on the scenario mapping, by field path:

- every top-level field but ``name``, ``currency`` and the lists (``discount_rate``,
  ``horizon_years``, ...), and each field of ``risk`` as a whole;
- each field of a segment present in both (``retention`` as a whole, whatever its form);
- each field of an initiative present in both (``capex``, ``opex``, ``ramp``, lines, each as a
  whole; ``unquantified`` never counts), and each effect field of each effects entry, where an
  entry's field is either given or absent (then inherited from ``"*"``);
- a segment or initiative present in only one scenario is one player (``segments[X]``,
  ``initiatives[Y]``); effects entries naming such a segment belong to it.

A field is a change when its base value differs (a distribution counts by its base value).

The 2**n coalitions are evaluated in few engine calls: changes that only move a number the
engine can override (:func:`cxroi.engine.project.compile_scenario`) are stacked on the batch axis,
and only changes of structure (a segment added, a ramp, a horizon) need a scenario of their own,
one per combination of them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from pydantic import BaseModel

from cxroi.engine.attribution import coalition_masks, shapley_values
from cxroi.model.distributions import Distribution, base_float
from cxroi.model.evidence import EVIDENCE_KEYS
from cxroi.model.finite import finite_or_none
from cxroi.model.issues import ScenarioError, ScenarioIssue
from cxroi.model.scenario import EFFECT_FIELDS, SEGMENT_NUMBERS, Scenario, load_scenario

__all__ = ["Change", "Comparison", "MAX_COMPARE_PLAYERS", "compare", "changes_between"]

#: Largest number of changes (or of groups of changes) split exactly: 2**12 = 4096 coalitions.
MAX_COMPARE_PLAYERS = 12

#: Top-level fields that are never players.
_NOT_PLAYERS = {"name", "currency", "segments", "initiatives", "risk", "correlations"}
#: Initiative fields that are never players, or are handled apart.
_INITIATIVE_SKIP = {"name", "effects", "unquantified"}


#: Keys of an input written with its evidence (docs/model.md §18): only ``value`` evaluates.
_EVIDENCE_KEYS = set(EVIDENCE_KEYS)


class _Absent:
    """An effect field left out of its entry: inherited from ``"*"`` (or 0 there)."""

    def __repr__(self) -> str:
        return "(inherited)"


ABSENT = _Absent()


def _base(x: Any) -> Any:
    """The value a field contributes to a deterministic evaluation, as plain data.

    Distributions become their base value and an input written with its evidence
    (``{value: ..., source: ...}``) becomes its value, recursively, so that two fields compare
    equal exactly when they evaluate alike.
    """
    if isinstance(x, Distribution):
        return base_float(x)
    if isinstance(x, BaseModel):
        fields = {k: getattr(x, k) for k in type(x).model_fields}
        if "value" in fields and set(fields) <= _EVIDENCE_KEYS:  # an input with its evidence
            return _base(fields["value"])
        return {k: _base(v) for k, v in fields.items()}
    if isinstance(x, dict):
        if "dist" in x:
            try:
                return base_float(Distribution(**x))
            except Exception:  # noqa: BLE001 - not a distribution after all: compare as data
                pass
        if "value" in x and set(x) <= _EVIDENCE_KEYS:
            return _base(x["value"])
        return {str(k): _base(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_base(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, (int, float, np.floating, np.integer)):
        return float(x)
    return x


def _number(x: Any) -> float | None:
    """``x`` as a float when it is a plain number, else None."""
    if isinstance(x, float):
        return x
    return None


@dataclass
class Change:
    """One player of the comparison: a field (or a whole segment / initiative) that differs.

    Attributes
    ----------
    path : str
        Field path (``segments[Mass market].retention``, ``initiatives[Outreach]``).
    group : str
        Its group when there are too many changes: ``segments[X]``, ``initiatives[Y]`` or
        the top-level field.
    a, b : Any
        Base value in A and in B (``None`` where the segment or initiative is missing,
        :data:`ABSENT` for an inherited effect field).
    apply : callable
        Makes the change on a scenario mapping (B's value replaces A's).
    numbers : dict
        For a change the engine can stack on its batch axis: engine path -> (a, b) numbers.
        Empty for a change of structure.
    effect : tuple or None
        ``(initiative, target, field)`` for an effect field.
    """

    path: str
    group: str
    a: Any
    b: Any
    apply: Callable[[dict], None] = field(repr=False)
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    effect: tuple[str, str, str] | None = None

    @property
    def structural(self) -> bool:
        """Whether the change needs a scenario of its own (not only a number)."""
        return not self.numbers and self.effect is None


# --------------------------------------------------------------------------------------------
# Finding the changes
# --------------------------------------------------------------------------------------------
def _named(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def _find(m: dict, kind: str, name: str) -> dict | None:
    for item in m.get(kind, []):
        if item.get("name") == name:
            return item
    return None


def _item(m: dict, kind: str, name: str) -> dict:
    """The segment or initiative ``name`` of a scenario mapping (present in both scenarios)."""
    found = _find(m, kind, name)
    if found is None:
        raise KeyError(f"{kind}[{name}] is not in the scenario")
    return found


def _set_key(target: dict, key: str, source: dict) -> None:
    """``target[key] = source[key]`` when given in the source, else the key is removed."""
    if key in source:
        target[key] = copy.deepcopy(source[key])
    else:
        target.pop(key, None)


def _set_risk_key(m: dict, key: str, source: dict) -> None:
    """B's ``risk.<key>`` (``source`` is B's risk mapping) written into the mapping ``m``."""
    _set_key(m.setdefault("risk", {}), key, source)


def _set_item_key(m: dict, kind: str, name: str, key: str, source: dict) -> None:
    """B's field ``key`` of the segment or initiative ``name`` (``source``) written into ``m``."""
    _set_key(_item(m, kind, name), key, source)


def _set_effect_key(m: dict, name: str, target: str, key: str, source: dict) -> None:
    """B's effect field ``key`` of entry ``target`` (``source``, B's initiative) written in."""
    effects = _item(m, "initiatives", name).setdefault("effects", {})
    entry = effects.setdefault(target, {})
    _set_key(entry, key, source.get("effects", {}).get(target, {}))


def _add_or_drop(m: dict, kind: str, name: str, added: dict | None, mb: dict) -> None:
    """Add B's segment or initiative ``added`` to the mapping ``m``, or drop ``name`` (None).

    An added segment brings the effects entries that B's initiatives give it.
    """
    if added is None:
        m[kind] = [item for item in m[kind] if item["name"] != name]
        return
    m[kind].append(copy.deepcopy(added))
    if kind == "segments":
        for ini in m["initiatives"]:
            source = _find(mb, "initiatives", ini["name"])
            entry = (source or {}).get("effects", {}).get(name)
            if entry is not None:
                ini.setdefault("effects", {})[name] = copy.deepcopy(entry)


def _presence_change(kind: str, name: str, items_b: dict[str, dict], mb: dict) -> Change:
    """The change of a segment or initiative present in only one scenario (one player)."""
    path = f"{kind}[{name}]"
    present = name in items_b
    apply = partial(_add_or_drop, kind=kind, name=name, added=items_b.get(name), mb=mb)
    return Change(path, path, None if present else "present", "present" if present else None, apply)


def _effect_state(ini: Any, target: str, name: str) -> Any:
    """Base value of an effect field of one entry, or ABSENT (``"*"`` absent reads as 0)."""
    entry = ini.effects.get(target) if ini is not None else None
    if entry is not None and name in entry.model_fields_set:
        return _base(getattr(entry, name))
    return 0.0 if target == "*" else ABSENT


def changes_between(a: Scenario, b: Scenario) -> list[Change]:
    """Every change from scenario A to scenario B, as players of the NPV game.

    Parameters
    ----------
    a, b : Scenario

    Returns
    -------
    list of Change
        In the order: top-level fields, risk, segments, initiatives (A's order, then B's
        additions).
    """
    ma, mb = a.to_mapping(), b.to_mapping()
    out: list[Change] = []

    # top-level fields (every field of the schema, so that v2 fields count as well)
    for key in type(a).model_fields:
        if key in _NOT_PLAYERS:
            continue
        va, vb = _base(getattr(a, key)), _base(getattr(b, key))
        if va != vb:
            apply = partial(_set_key, key=key, source=mb)
            nums: dict[str, tuple[float, float]] = {}
            if key == "discount_rate" and _number(va) is not None and _number(vb) is not None:
                nums = {key: (va, vb)}
            out.append(Change(key, key, va, vb, apply, nums))

    # risk, field by field (each as a whole)
    for key in type(a.risk).model_fields:
        va, vb = _base(getattr(a.risk, key)), _base(getattr(b.risk, key))
        if va != vb:
            apply = partial(_set_risk_key, key=key, source=mb.get("risk", {}))
            path = f"risk.{key}"
            both = _number(va) is not None and _number(vb) is not None
            out.append(Change(path, "risk", va, vb, apply, {path: (va, vb)} if both else {}))

    # segments, then initiatives (with their effects entries)
    both_segments = {s.name for s in a.segments} & {s.name for s in b.segments}
    ini_b = _named(mb["initiatives"])

    def effect_changes(name: str, ia: Any, ib: Any) -> list[Change]:
        path = f"initiatives[{name}]"
        changes = []
        targets = [t for t in ia.effects if t == "*" or t in both_segments]
        targets += [t for t in ib.effects if t not in targets and (t == "*" or t in both_segments)]
        for target in targets:
            for key in EFFECT_FIELDS:
                va, vb = _effect_state(ia, target, key), _effect_state(ib, target, key)
                if va is vb or va == vb:
                    continue
                apply = partial(
                    _set_effect_key, name=name, target=target, key=key, source=ini_b[name]
                )
                fpath = f"{path}.effects[{target}].{key}"
                changes.append(Change(fpath, path, va, vb, apply, effect=(name, target, key)))
        return changes

    out += _item_changes("segments", a.segments, b.segments, ma, mb, {"name"}, _segment_numbers)
    out += _item_changes(
        "initiatives", a.initiatives, b.initiatives, ma, mb, _INITIATIVE_SKIP,
        _initiative_numbers, effect_changes,
    )  # fmt: skip
    return out


#: What the engine can stack of a change: engine path -> (number in A, number in B).
_Numbers = dict[str, tuple[float, float]]


def _segment_numbers(fpath: str, key: str, va: Any, vb: Any) -> _Numbers:
    """The stackable numbers of a change of segment field ``key`` (empty: structural)."""
    if key in SEGMENT_NUMBERS and _number(va) is not None and _number(vb) is not None:
        return {fpath: (va, vb)}
    if key == "new_customers_per_year" and all(
        v is None or _number(v) is not None for v in (va, vb)
    ):
        return {fpath: (math.nan if va is None else va, math.nan if vb is None else vb)}
    if key == "retention":
        if _number(va) is not None and _number(vb) is not None:
            return {fpath: (va, vb)}
        if _sbg_numbers(va) and _sbg_numbers(vb):
            return {f"{fpath}.{k}": (va[k], vb[k]) for k in ("alpha", "beta", "tenure")}
    return {}


def _initiative_numbers(fpath: str, key: str, va: Any, vb: Any) -> _Numbers:
    """The stackable numbers of a change of initiative field ``key`` (capex, opex)."""
    if key in ("capex", "opex") and _number(va) is not None and _number(vb) is not None:
        return {fpath: (va, vb)}
    return {}


def _item_changes(
    kind: str,
    items_a: Sequence[Any],
    items_b: Sequence[Any],
    ma: dict,
    mb: dict,
    skip: set[str],
    numbers: Callable[[str, str, Any, Any], _Numbers],
    more: Callable[[str, Any, Any], list[Change]] | None = None,
) -> list[Change]:
    """The changes of the segments or of the initiatives (``kind``), in A's order then B's.

    An item present in only one scenario is one player; an item present in both gives one
    per field (but those in ``skip``) whose base value differs, with ``numbers(path, key,
    a, b)`` saying what the engine can stack of it, followed by ``more(name, a_item, b_item)``.
    """
    named_a, named_b = _named(ma[kind]), _named(mb[kind])
    objs_a = {x.name: x for x in items_a}
    objs_b = {x.name: x for x in items_b}
    out: list[Change] = []
    for name in list(named_a) + [n for n in named_b if n not in named_a]:
        path = f"{kind}[{name}]"
        if name not in named_b or name not in named_a:
            out.append(_presence_change(kind, name, named_b, mb))
            continue
        xa, xb = objs_a[name], objs_b[name]
        for key in type(xa).model_fields:
            if key in skip:
                continue
            va, vb = _base(getattr(xa, key)), _base(getattr(xb, key))
            if va == vb:
                continue
            apply = partial(_set_item_key, kind=kind, name=name, key=key, source=named_b[name])
            fpath = f"{path}.{key}"
            out.append(Change(fpath, path, va, vb, apply, numbers(fpath, key, va, vb)))
        if more is not None:
            out.extend(more(name, xa, xb))
    return out


def _sbg_numbers(x: Any) -> bool:
    return (
        isinstance(x, dict)
        and set(x) == {"alpha", "beta", "tenure"}
        and all(_number(v) is not None for v in x.values())
    )


# --------------------------------------------------------------------------------------------
# Evaluating coalitions
# --------------------------------------------------------------------------------------------
_EMPTY_SEGMENT = "(no segment)"
_EMPTY_INITIATIVE = "(no initiative)"


def _tidy(m: dict) -> None:
    """Drop effects entries naming a missing segment; keep the lists non-empty.

    A coalition may remove every segment or every initiative. The case is then still defined
    (no customer benefit; or no initiative, so no benefit and no cost): a placeholder that
    earns and costs nothing keeps the scenario valid without moving the NPV.
    """
    if not m["segments"]:
        m["segments"] = [
            {"name": _EMPTY_SEGMENT, "customers": 1.0, "wallet": 0.0, "share_of_wallet": 1.0,
             "gross_margin": 0.0, "retention": 0.0, "acquisition_cost": 0.0}
        ]  # fmt: skip
    if not m["initiatives"]:
        m["initiatives"] = [{"name": _EMPTY_INITIATIVE}]
    names = {s["name"] for s in m["segments"]}
    for ini in m["initiatives"]:
        effects = ini.get("effects")
        if effects:
            ini["effects"] = {t: e for t, e in effects.items() if t == "*" or t in names}


def _load_coalition(m: dict, changes: list[Change]) -> Scenario:
    """Validate a coalition's mapping; amounts by year beyond a shortened horizon are dropped.

    That is capex and line amounts given year by year: a coalition that shortens the horizon
    but keeps A's schedule has nothing to spend or earn after its last year.
    """
    _tidy(m)
    try:
        return load_scenario(m)
    except ScenarioError as exc:
        H = _base(m.get("horizon_years", 3))
        fixed = False

        def trim(holder: dict, key: str) -> None:
            """Drop year keys beyond the horizon from a by-year amount (maybe with evidence)."""
            nonlocal fixed
            value = holder.get(key)
            if isinstance(value, dict) and "value" in value and "dist" not in value:
                holder, key, value = value, "value", value["value"]
            if isinstance(value, dict) and "dist" not in value:
                kept = {k: v for k, v in value.items() if not str(k).isdigit() or int(k) <= H}
                fixed |= len(kept) != len(value)
                holder[key] = kept

        for ini in m["initiatives"]:
            trim(ini, "capex")
            for kind in ("benefit_lines", "cost_lines"):
                for line in ini.get(kind) or []:
                    if isinstance(line, dict):
                        trim(line, "amount")
        if fixed:
            try:
                return load_scenario(m)
            except ScenarioError:
                pass
        names = ", ".join(c.path for c in changes) or "no change"
        raise ScenarioError(
            ScenarioIssue(
                "compare",
                f"A with these changes of B is not a valid scenario ({names}): {exc}",
            )
        ) from None


def _npv_batch(sc: Scenario, overrides: dict[str, np.ndarray]) -> np.ndarray:
    from cxroi.engine.case import case_kpis
    from cxroi.engine.project import compile_scenario

    p = compile_scenario(sc, overrides)
    return np.asarray(case_kpis(p, with_irr=False, with_unadjusted=False)["adjusted"]["npv"])


def _effect_overrides(
    sc: Scenario, units: list[list[Change]], on: np.ndarray
) -> dict[str, np.ndarray]:
    """Engine overrides of every effect field touched by an effect change, per coalition.

    For each segment of the coalition's scenario, the effective value is the segment entry's
    own value where given (in this coalition), else the ``"*"`` entry's (in this coalition).
    """
    player: dict[tuple[str, str, str], tuple[Any, Any, np.ndarray]] = {}
    for j, unit in enumerate(units):
        for c in unit:
            if c.effect is not None:
                player[c.effect] = (c.a, c.b, on[:, j])
    if not player:
        return {}
    n = on.shape[0]
    inis = {i.name: i for i in sc.initiatives}
    out: dict[str, np.ndarray] = {}
    for ini_name, key in {(i, k) for i, _, k in player}:
        ini = inis[ini_name]

        def state(target: str, ini=ini, ini_name=ini_name, key=key) -> np.ndarray:
            if (ini_name, target, key) in player:
                a, b, mask = player[(ini_name, target, key)]
                a_arr = np.full(n, np.nan if a is ABSENT else a)
                b_arr = np.full(n, np.nan if b is ABSENT else b)
                return np.where(mask, b_arr, a_arr)
            value = _effect_state(ini, target, key)
            return np.full(n, np.nan if value is ABSENT else value)

        star = state("*")
        for seg in sc.segments:
            own = state(seg.name)
            out[f"initiatives[{ini_name}].effects[{seg.name}].{key}"] = np.where(
                np.isnan(own), star, own
            )
    return out


def _coalition_values(a_map: dict, units: list[list[Change]]) -> np.ndarray:
    """v(S) for every coalition of ``units`` (bit i of S = unit i), shape (2**n,)."""
    n = len(units)
    structural = [j for j, u in enumerate(units) if any(c.structural for c in u)]
    numeric = [j for j in range(n) if j not in structural]
    on = coalition_masks(len(numeric)).astype(bool)  # (2**m, m)
    num_index = on @ (1 << np.asarray(numeric, dtype=np.int64)) if numeric else np.zeros(1, int)
    num_units = [units[j] for j in numeric]
    values = np.empty(2**n)
    for s in range(2 ** len(structural)):
        chosen = [structural[i] for i in range(len(structural)) if s >> i & 1]
        m = copy.deepcopy(a_map)
        applied = [c for j in chosen for c in units[j]]
        # additions of initiatives first, so that an added segment finds them
        for c in sorted(applied, key=lambda c: not c.path.startswith("initiatives[")):
            c.apply(m)
        sc = _load_coalition(m, applied)
        overrides: dict[str, np.ndarray] = {}
        for j, unit in enumerate(num_units):
            for c in unit:
                for path, (va, vb) in c.numbers.items():
                    overrides[path] = np.where(on[:, j], vb, va)
        overrides.update(_effect_overrides(sc, num_units, on))
        npv = np.broadcast_to(_npv_batch(sc, overrides), (len(num_index),))
        base = sum(1 << j for j in chosen)
        values[base + num_index] = npv
    return values


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Result of :func:`compare` (see :meth:`to_json` for the ``cxroi compare`` object).

    Attributes
    ----------
    a, b : dict
        Every KPI of each case (risk-adjusted, as ``cxroi run`` reports them).
    delta : dict
        ``b - a`` per KPI (None where either is None).
    npv_change_by_field : dict or None
        Exact Shapley split of ``npv(B) - npv(A)``: by change (field path), or by group when
        there are more than :data:`MAX_COMPARE_PLAYERS` changes; None beyond that many groups.
    grouped : bool
        Whether ``npv_change_by_field`` is keyed by group rather than by change.
    changes : list of Change
    names : tuple of str
        The two scenarios' names.
    currency : str
    """

    a: dict[str, float | None]
    b: dict[str, float | None]
    delta: dict[str, float | None]
    npv_change_by_field: dict[str, float] | None
    grouped: bool
    changes: list[Change]
    names: tuple[str, str]
    currency: str

    def to_json(self) -> dict[str, Any]:
        """``{a, b, delta, npv_change_by_field, grouped}`` (docs/model.md §17)."""
        return {
            "a": dict(self.a),
            "b": dict(self.b),
            "delta": dict(self.delta),
            "npv_change_by_field": None
            if self.npv_change_by_field is None
            else dict(self.npv_change_by_field),
            "grouped": self.grouped,
        }


_finite = finite_or_none


def _difference(a: float | None, b: float | None) -> float | None:
    """``b - a``, or None when either is missing."""
    return None if a is None or b is None else b - a


def compare(a: Scenario | Any, b: Scenario | Any) -> Comparison:
    r"""Compare scenario A with scenario B and split the NPV change over the changes.

    .. math::

        \phi_i = \sum_{S \subseteq N \setminus \{i\}}
        \frac{|S|!\,(n - |S| - 1)!}{n!}\,\bigl(v(S \cup \{i\}) - v(S)\bigr),
        \qquad \sum_i \phi_i = \text{npv}(B) - \text{npv}(A)

    with v(S) the risk-adjusted NPV of A with the changes in S made (Shapley 1953; docs/model.md
    §15). Up to :data:`MAX_COMPARE_PLAYERS` changes are split one by one; with more, the changes
    are grouped by segment, by initiative and by top-level field; with more than that many
    groups the split is None.

    Parameters
    ----------
    a, b : Scenario, mapping or path
        Anything :func:`cxroi.load_scenario` accepts; both in the same currency.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        If a scenario is invalid or the currencies differ.

    Examples
    --------
    >>> import copy, yaml
    >>> base = yaml.safe_load(open("scenarios/retail_bank.yaml"))
    >>> other = copy.deepcopy(base)
    >>> other["discount_rate"] = 0.12
    >>> result = compare(base, other)
    >>> list(result.npv_change_by_field)
    ['discount_rate']
    >>> bool(abs(result.npv_change_by_field["discount_rate"] - result.delta["npv"]) < 1e-6)
    True
    """
    from cxroi.engine.case import evaluate

    sa, sb = load_scenario(a), load_scenario(b)
    if sa.currency != sb.currency:
        raise ScenarioError(
            ScenarioIssue(
                "currency",
                "must be the same in both scenarios to compare them "
                f"(A is in {sa.currency}, B in {sb.currency})",
                sb.currency,
            )
        )
    case_a, case_b = evaluate(sa), evaluate(sb)
    kpis_a = {k: _finite(v) for k, v in case_a.kpis.items()}
    kpis_b = {k: _finite(v) for k, v in case_b.kpis.items()}
    delta = {k: _difference(kpis_a[k], kpis_b.get(k)) for k in kpis_a}
    changes = changes_between(sa, sb)
    grouped = len(changes) > MAX_COMPARE_PLAYERS
    if grouped:
        groups: dict[str, list[Change]] = {}
        for c in changes:
            groups.setdefault(c.group, []).append(c)
        units, labels = list(groups.values()), list(groups)
    else:
        units, labels = [[c] for c in changes], [c.path for c in changes]
    split: dict[str, float] | None
    if not units:
        split = {}
    elif len(units) > MAX_COMPARE_PLAYERS:
        split = None
    else:
        values = _coalition_values(sa.to_mapping(), units)
        phi = shapley_values(values)
        split = {label: float(x) for label, x in zip(labels, phi, strict=True)}
    return Comparison(
        a=kpis_a,
        b=kpis_b,
        delta=delta,
        npv_change_by_field=split,
        grouped=grouped,
        changes=changes,
        names=(sa.name, sb.name),
        currency=sa.currency,
    )


def bridge_rows(base: Scenario | Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The NPV bridge from a base scenario to each scenario of a batch, as flat rows.

    Parameters
    ----------
    base : Scenario, mapping or path
    records : list of dict
        Batch records (``scenario``, ``file``, ``status``), as :func:`cxroi.outputs.batch.run_batch`
        keeps them; scenarios that failed are listed with their error.

    Returns
    -------
    list of dict
        ``scenario``, ``file``, ``error``, ``grouped``, ``npv_base``, ``npv``, ``npv_change``
        and one ``change:<path>`` entry per change (its Shapley share of the NPV change).
    """
    sb = load_scenario(base)
    rows = []
    for rec in records:
        row: dict[str, Any] = {
            "scenario": rec.get("scenario"),
            "file": rec.get("file"),
            "error": "",
            "grouped": None,
            "npv_base": None,
            "npv": None,
            "npv_change": None,
        }
        if rec.get("status") != "ok":
            row["error"] = "the scenario failed in the batch"
        else:
            try:
                result = compare(sb, rec["file"])
            except ScenarioError as exc:
                row["error"] = str(exc)
            else:
                row.update(
                    grouped=result.grouped,
                    npv_base=result.a.get("npv"),
                    npv=result.b.get("npv"),
                    npv_change=result.delta.get("npv"),
                    bridge=result.to_json(),
                )
                for path, value in (result.npv_change_by_field or {}).items():
                    row[f"change:{path}"] = value
        rows.append(row)
    return rows
