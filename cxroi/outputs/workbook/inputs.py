"""The Inputs sheet: one row per input of the scenario, each a workbook name the sheets use.

Each row gives the input's field path (``segments[Mass market].retention``), its value, unit,
kind (given, default, benchmark default, derived), source, note, date and label (unit and
label are the field registry's, :mod:`cxroi.model.fields`), and the workbook name that points
at its value (``s1_retention``). A derived input, or one not given that takes another's value
(a segment's effect not given takes the ``*`` effect), is a formula one may overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxroi.model.distributions import base_float
from cxroi.model.fields import field_doc, unit_text
from cxroi.model.paths import parent
from cxroi.model.scenario import EFFECT_FIELDS, SEGMENT_NUMBERS, Distribution, Scenario
from cxroi.outputs.workbook.cohorts import base_retention, churn_formula, tenure_mix
from cxroi.outputs.workbook.layout import Book

#: Keys of a by-lever benefit adjustment (docs/model.md §12), ``default`` aside.
RISK_KEYS = ("retention", "wallet", "referral", "service", "lines")


@dataclass
class InputRow:
    """One row of the Inputs sheet; ``name`` is the workbook name of its value."""

    path: str
    name: str
    value: float
    unit: str
    kind: str
    source: str
    note: str = ""
    as_of: str = ""
    formula: str | None = None  # a derived input: its formula over other inputs
    label: str = ""  # the field registry's label


def _provenance_text(scenario: Scenario, path: str, prov: dict) -> tuple[str, str, str, str]:
    """(kind, source, note, as of) of a field path."""
    from cxroi.present.report.assumptions import SOURCE_LABELS, user_evidence

    p = prov.get(path)
    if p is None:  # an effect or retention parameter: given where listed
        p = prov.get(parent(path))
    kind = SOURCE_LABELS.get(getattr(p, "source", "user"), "given")
    note = getattr(p, "note", "") or ""
    own = user_evidence(scenario, path)
    source = (getattr(own, "source", None) or "") if own is not None else ""
    as_of = str(getattr(own, "as_of", None) or "") if own is not None else ""
    if own is not None and getattr(own, "note", None):
        note = own.note
    if not source:
        if kind == "benchmark default":
            source = note.split(". Caveat", 1)[0]
        elif kind == "default":
            source = "model default"
        elif kind == "derived":
            source = "computed from other inputs"
        else:
            source = "not sourced"
    return kind, source, note, as_of


def input_rows(sc: Scenario) -> tuple[list[InputRow], dict[str, str]]:
    """The Inputs sheet's rows, and a map from field path to workbook name.

    Parameters
    ----------
    sc : Scenario
        The scenario.

    Returns
    -------
    rows : list of InputRow
        In scenario order: the discount rate and risk adjustments, each segment's numbers
        and retention (``s<j>_...``), each initiative's capex, opex, ramp, effects (every
        ``*`` effect, and each segment's own) and TEI lines (``i<i>_...``). A distribution
        contributes its base value, named in the note.
    names : dict
        Field path -> workbook name.
    """
    cur = sc.currency
    prov = sc.provenance()
    rows: list[InputRow] = []

    def add(path: str, name: str, value: Any, formula: str | None = None) -> None:
        kind, source, note, as_of = _provenance_text(sc, path, prov)
        if isinstance(value, Distribution):
            spec = value.to_mapping()
            dist = spec.pop("dist")
            args = ", ".join(f"{k}={v}" for k, v in spec.items())
            note = (note + "; " if note else "") + f"distribution {dist}({args}); base value used"
        doc = field_doc(path)
        rows.append(
            InputRow(path, name, base_float(value), unit_text(path, cur), kind, source, note, as_of,
                   formula=formula, label=doc.title if doc is not None else "")
        )  # fmt: skip

    add("discount_rate", "discount_rate", sc.discount_rate)
    badj = sc.risk.benefit_adjustment
    if risk_by_lever(sc):  # one adjustment per lever and lines; "default" for those not given
        given = badj.default
        add("risk.benefit_adjustment.default", "b_default", 0.0 if given is None else given)
        if given is None:
            rows[-1].kind, rows[-1].source = "default", "model default"
        for key in RISK_KEYS:
            own = getattr(badj, key)
            path = f"risk.benefit_adjustment.{key}"
            if own is not None:
                add(path, f"b_{key}", own)
            else:
                add(path, f"b_{key}", 0.0 if given is None else given, formula="b_default")
                rows[-1].kind, rows[-1].source = "default", "from risk.benefit_adjustment.default"
    else:
        add("risk.benefit_adjustment", "benefit_adjustment", badj)
    add("risk.cost_adjustment", "cost_adjustment", sc.risk.cost_adjustment)
    for j, seg in enumerate(sc.segments, start=1):
        base = f"segments[{seg.name}]"
        for key in SEGMENT_NUMBERS:
            add(f"{base}.{key}", f"s{j}_{key}", getattr(seg, key))
        if seg.is_sbg:
            for key in ("alpha", "beta"):
                add(f"{base}.retention.{key}", f"s{j}_{key}", getattr(seg.retention, key))
            mix = tenure_mix(seg)
            if mix is None:
                add(f"{base}.retention.tenure", f"s{j}_tenure", seg.retention.tenure)
            else:  # a tenure mix: the share of today's customers with k renewals made
                for k, share in mix:
                    add(f"{base}.retention.tenure[{k}]", f"s{j}_mix_{k}", share)
        else:
            add(f"{base}.retention", f"s{j}_retention", seg.retention)
        if seg.acquisition == "fixed":
            path = f"{base}.new_customers_per_year"
            if seg.new_customers_per_year is not None:
                add(path, f"s{j}_new_customers_per_year", seg.new_customers_per_year)
            else:
                value = base_float(seg.customers) * (1.0 - base_retention(seg))
                add(path, f"s{j}_new_customers_per_year", value,
                    formula=f"s{j}_customers*{churn_formula(j, seg)}")  # fmt: skip
    for i, ini in enumerate(sc.initiatives, start=1):
        base = f"initiatives[{ini.name}]"
        if isinstance(ini.capex, dict):
            for t, amount in sorted(ini.capex.items()):
                add(f"{base}.capex[{t}]", f"i{i}_capex_{t}", amount)
        else:
            add(f"{base}.capex", f"i{i}_capex", ini.capex)
        if isinstance(ini.opex, list):
            for k, amount in enumerate(ini.opex, start=1):
                add(f"{base}.opex[{k}]", f"i{i}_opex_{k}", amount)
        else:
            add(f"{base}.opex", f"i{i}_opex", ini.opex)
        for k, g in enumerate(ini.ramp, start=1):
            add(f"{base}.ramp[{k}]", f"i{i}_ramp_{k}", g)
        star = ini.effects.get("*")
        for key in EFFECT_FIELDS:  # every "*" field, so that any effect can be changed
            given = star is not None and key in star.model_fields_set
            path = f"{base}.effects[*].{key}"
            add(path, f"i{i}_all_{key}", getattr(star, key) if given else 0.0)
            if not given:
                rows[-1].kind, rows[-1].source = "default", "model default"
        for j, seg in enumerate(sc.segments, start=1):
            own = ini.effects.get(seg.name)
            for key in EFFECT_FIELDS:
                path = f"{base}.effects[{seg.name}].{key}"
                if own is not None and key in own.model_fields_set:
                    add(path, f"i{i}_s{j}_{key}", getattr(own, key))
                    continue
                # not given for the segment: the "*" value, as a formula one may overwrite
                value = getattr(star, key) if star is not None and key in star.model_fields_set \
                    else 0.0  # fmt: skip
                add(path, f"i{i}_s{j}_{key}", value, formula=f"i{i}_all_{key}")
                rows[-1].kind, rows[-1].source = "default", "from effects[*]"
        for kind, short in (("benefit_lines", "bl"), ("cost_lines", "cl")):
            for n, line in enumerate(getattr(ini, kind, None) or [], start=1):
                where = f"{base}.{kind}[{line.name}]"
                stem = f"i{i}_{short}{n}"
                amount = line.amount
                if isinstance(amount, dict):
                    for t, v in sorted(amount.items()):
                        add(f"{where}.amount[{t}]", f"{stem}_amount_{t}", v)
                elif isinstance(amount, list):
                    for k, v in enumerate(amount, start=1):
                        add(f"{where}.amount[{k}]", f"{stem}_amount_{k}", v)
                else:
                    add(f"{where}.amount", f"{stem}_amount", amount)
                default = (
                    "cost_adjustment" if kind == "cost_lines"
                    else ("b_lines" if risk_by_lever(sc) else "benefit_adjustment")
                )  # fmt: skip
                if line.risk is not None:
                    add(f"{where}.risk", f"{stem}_risk", line.risk)
                else:
                    value = risk_value(sc, default)
                    add(f"{where}.risk", f"{stem}_risk", value, formula=default)
                    rows[-1].kind, rows[-1].source = "default", f"from {default}"
    return rows, {r.path: r.name for r in rows}


def risk_by_lever(sc: Scenario) -> bool:
    """Whether the scenario gives its benefit adjustment per lever (a mapping)."""
    return bool(getattr(sc.risk, "by_lever", False))


def risk_value(sc: Scenario, name: str) -> float:
    """Base value of the adjustment a workbook name stands for (``b_lines``, ...)."""
    risk = sc.risk
    if name == "cost_adjustment":
        return base_float(risk.cost_adjustment)
    if name.startswith("b_"):
        return base_float(risk.benefit_risk(name[2:]))
    return base_float(risk.benefit_adjustment)


def inputs_sheet(book: Book, rows: list[InputRow]) -> None:
    """Write the Inputs sheet and the workbook name of each input's value cell."""
    ws = book.wb.add_worksheet("Inputs")
    header = ["path", "value", "unit", "kind", "source", "note", "as_of", "name", "label"]
    for c, h in enumerate(header):
        ws.write_string(0, c, h, book.fmt["head"])
    for r, item in enumerate(rows, start=1):
        ws.write_string(r, 0, item.path)
        if item.formula:
            book.formula(ws, r, 1, item.formula, item.value, "derived")
        else:
            ws.write_number(r, 1, item.value, book.fmt["input"])
        for c, text in enumerate(
            (item.unit, item.kind, item.source, item.note, item.as_of, item.name, item.label),
            start=2,
        ):
            ws.write_string(r, c, text)
        book.wb.define_name(item.name, f"=Inputs!$B${r + 1}")
    ws.autofilter(0, 0, len(rows), len(header) - 1)
    book.setup(ws, 1, 1, 58)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 3, 22)
    ws.set_column(4, 5, 48)
    ws.set_column(6, 8, 22)
