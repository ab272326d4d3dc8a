"""The field registry: one declaration per scenario field, read by validation and the glossary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cxroi
from cxroi.model import fields, scenario
from cxroi.model.benchmarks import POOR_CX_CHURN_SHARE
from cxroi.model.fields import FIELD_RULES, FIELDS, FIELDS_BY_PATH, Rule, glossary_markdown

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- generated from cxroi/model/fields.py: python -m cxroi.model.fields -->\n"


def _readme_glossary() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(MARKER) + len(MARKER)
    return text[start : text.index("\n\n", start) + 1]


def test_readme_glossary_is_the_generated_one():
    assert _readme_glossary() == glossary_markdown(), (
        "README glossary differs from the field registry: replace it with the output of "
        "`python -m cxroi.model.fields`"
    )


def test_module_prints_the_glossary():
    out = subprocess.run(
        [sys.executable, "-m", "cxroi.model.fields"], capture_output=True, text=True, check=True
    ).stdout
    assert out == glossary_markdown()


def test_validation_reads_the_registry():
    assert scenario.FIELD_RULES is FIELD_RULES
    assert scenario.Rule is Rule
    assert {f.name for f in FIELDS if f.rule is not None} == set(FIELD_RULES)
    # a rule changed in the registry is the rule validation applies
    bad = {"name": "x", "segments": [], "initiatives": [], "discount_rate": -1.0}
    with pytest.raises(cxroi.ScenarioError, match=r"discount_rate: must be > -1 \(got -1\.0\)"):
        cxroi.load_scenario(bad)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule(0.0, 1.0, lo_open=True), "(0, 1]"),
        (Rule(0.0, 1.0, hi_open=True), "[0, 1)"),
        (Rule(-1.0, lo_open=True), "> -1"),
        (Rule(0.0), ">= 0"),
        (Rule(hi=5.0, hi_open=True), "< 5"),
        (Rule(), "any"),
    ],
)
def test_interval_text(rule, text):
    assert rule.interval() == text


def test_benchmark_default_comes_from_the_benchmark():
    f = FIELDS_BY_PATH["segments[].poor_cx_churn_share"]
    assert float(f.default) == POOR_CX_CHURN_SHARE.value
    assert f.default_text() == f"{POOR_CX_CHURN_SHARE.value:g} (benchmark)"


def test_paths_are_unique_and_named():
    assert len(FIELDS_BY_PATH) == len(FIELDS)
    assert FIELDS_BY_PATH["effects.*.referral_lift"].name == "referral_lift"
    assert FIELDS_BY_PATH["initiatives[].benefit_lines"].name == "benefit_lines"
    assert fields.FIELD_RULES["referral_lift"].holds(-1.0)
    assert not fields.FIELD_RULES["share_of_wallet"].holds(0.0)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("initiatives[A b].effects[*].churn_prevented", "A b: Churn prevented (all segments)"),
        ("initiatives[A].effects[Mass].referral_lift", "A: Referral lift (Mass)"),
        ("segments[Affluent].retention.alpha", "Affluent: Retention sBG alpha"),
        ("initiatives[A].capex[2]", "A: Capex (2)"),
        ("risk.benefit_adjustment.lines", "Benefit-lines risk"),
        ("no_such_field", "no such field"),
    ],
)
def test_path_label_names_owner_label_and_target(path, label):
    assert fields.path_label(path) == label
    doc = fields.field_doc(path)
    assert doc is None or doc.title in label  # the registry's label, never a copy
