"""One declaration per field and per KPI: every output reads the registries, none keeps a copy.

A field's label and unit changed in :mod:`cxroi.model.fields` show in the dashboard's inputs,
the report's assumption table and the workbook's Inputs sheet; a field added there gets its
dashboard input; and no module outside ``cxroi/model`` spells a KPI or field label itself.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import openpyxl

import cxroi
from cxroi.app import fields as app_fields
from cxroi.model import fields as registry
from cxroi.model.fields import Entry, FieldDoc
from cxroi.model.kpis import KPIS, LEVER_NAMES
from cxroi.outputs.workbook import write_workbook
from cxroi.present import report

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "retail_bank.yaml"


def _register(monkeypatch, docs: tuple[FieldDoc, ...]) -> None:
    """Make ``docs`` the registry for the test (by path, by pattern, in order)."""
    monkeypatch.setattr(registry, "FIELDS", docs)
    monkeypatch.setattr(registry, "FIELDS_BY_PATH", {f.path: f for f in docs})
    by_pattern = {registry._pattern(f.path): f for f in docs if f.path != "any number"}
    monkeypatch.setattr(registry, "_BY_PATTERN", by_pattern)


def _relabel(monkeypatch, path: str, label: str, unit: str) -> None:
    docs = tuple(
        dataclasses.replace(f, label=label, unit=unit, value_unit=None) if f.path == path else f
        for f in registry.FIELDS
    )
    _register(monkeypatch, docs)


def test_a_field_declared_once_shows_its_label_and_unit_everywhere(monkeypatch, tmp_path):
    label, unit = "Spend per client (test label)", "money per client-year (test unit)"
    _relabel(monkeypatch, "segments[].wallet", label, unit)
    sc = cxroi.load_scenario(SCENARIO)
    segment = sc.segments[0].name
    path = f"segments[{segment}].wallet"
    # the dashboard's input
    spec = next(s for s in app_fields.specs_under("segments[]") if s.key == "wallet")
    assert spec.label == label and spec.kind == "money"
    # the report's assumption table
    row = next(r for r in report.assumption_rows(sc) if r["path"] == path)
    shown = f"{sc.currency} per client-year (test unit)"
    assert (row["label"], row["unit"]) == (label, shown)
    html = report.build(**report.check_parameters(sc.to_mapping())).to_html()
    assert f"{label}<br><code>{path}</code>" in html and shown in html
    # the workbook's Inputs sheet
    book = write_workbook(sc, tmp_path / "case.xlsx")
    ws = openpyxl.load_workbook(book)["Inputs"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(2, values_only=True)}
    assert (rows[path]["unit"], rows[path]["label"]) == (shown, label)


def test_a_field_added_to_the_registry_gets_its_dashboard_input(monkeypatch):
    new = FieldDoc(
        "segments[].loyalty_points",
        "points/customer/year",
        "test-only field",
        registry.NONNEG,
        label="Loyalty points (test)",
        entry=Entry("count", slider=(0, 1000, 10), optional=True, help="test help"),
    )
    _register(monkeypatch, (*registry.FIELDS, new))
    spec = app_fields.specs_under("segments[]")[-1]
    assert spec == app_fields.FieldSpec(
        "loyalty_points", "Loyalty points (test)", "count", (0, 1000, 10), True, (), "test help"
    )
    assert registry.unit_text("segments[Mass].loyalty_points") == "points/customer/year"


def test_the_dashboard_specs_are_the_registry_entries():
    """Every spec the dashboard shows is built from a registry entry, label and all."""
    groups = (
        app_fields.CASE_FIELDS, app_fields.SEGMENT_FIELDS, app_fields.SBG_FIELDS,
        app_fields.INITIATIVE_FIELDS, app_fields.BENEFIT_LINE_FIELDS,
        app_fields.COST_LINE_FIELDS, app_fields.LEVER_RISK_FIELDS, app_fields.EFFECT_FIELDS,
        (app_fields.UNQUANTIFIED_FIELD,),
    )  # fmt: skip
    built = {app_fields.spec_of(f) for f in registry.FIELDS if f.entry is not None}
    shown = {spec for group in groups for spec in group}
    assert shown == built
    assert len(built) == sum(1 for f in registry.FIELDS if f.entry is not None)


def test_field_doc_finds_concrete_paths():
    assert registry.field_doc("initiatives[A b].effects[*].referral_lift").label == "Referral lift"
    assert registry.field_doc("initiatives[A].cost_lines[Training].risk").label == (
        "Cost line risk"
    )
    assert registry.field_doc("risk.benefit_adjustment.lines").label == "Benefit-lines risk"
    assert registry.unit_text("initiatives[A].opex[3]", "EUR") == "EUR/year"
    assert registry.unit_text("segments[A].acquisition") == "fixed or replace"  # no Markdown
    assert registry.field_doc("segments[A].no_such_field") is None


# Literals that equal a label but are not one, or that another module's owner still has to
# move to the registries (each with the reason). A new copy anywhere else fails the test.
ALLOWED = {
    ("outputs/workbook/layout.py", "IRR"): "the spreadsheet function IRR in the list of functions",
}


def _labels() -> set[str]:
    kpi = {k.label for k in KPIS.values()} | {k.short for k in KPIS.values()}
    field = {f.label for f in registry.FIELDS if f.label}
    lever = {lv.label for lv in LEVER_NAMES.values()}
    return kpi | field | lever


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _copies(source: str, rel: str) -> list[str]:
    """String literals of ``source`` (module ``rel``) that equal a registry label."""
    labels = _labels()
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        f"{rel}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.strip() in labels
        and id(node) not in skip
        and (rel, node.value.strip()) not in ALLOWED
    ]


def test_no_module_outside_the_model_spells_a_label():
    package = ROOT / "cxroi"
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if not rel.startswith(("model/", "_bundle/")):
            found += _copies(path.read_text(encoding="utf-8"), rel)
    assert not found, "labels spelled outside the registries (use kpi_label / field_doc):\n" + (
        "\n".join(found)
    )


def test_the_label_scan_catches_a_copy():
    """The scan is not vacuous: copied labels are found, docstrings and allowed ones are not."""
    source = (
        '"""Net present value of the module."""\n'
        'HEADER = ["Net present value", "Payback ", "Discount rate", "IRR", "Wallet", "Other"]\n'
    )
    assert _copies(source, "present/x.py") == [
        "present/x.py:2: 'Net present value'",
        "present/x.py:2: 'Payback '",
        "present/x.py:2: 'Discount rate'",
        "present/x.py:2: 'IRR'",
        "present/x.py:2: 'Wallet'",
    ]
    in_workbook = _copies(source, "outputs/workbook/layout.py")
    assert "outputs/workbook/layout.py:2: 'Discount rate'" in in_workbook
    assert "outputs/workbook/layout.py:2: 'IRR'" not in in_workbook  # allowed there
