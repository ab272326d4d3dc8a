"""Field paths: one reader (lookup) and one lister (leaves) for scenario models and mappings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

import cxroi
from cxroi.model.fields import field_doc
from cxroi.model.paths import field_name, leaves, lookup, parent, parts, walk
from tests.strategies import scenarios

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_every_leaf_is_found_again_by_its_path(data):
    """lookup inverts leaves: each listed path names exactly the value listed for it."""
    listed = leaves(data)
    assert listed
    for path, value in listed.items():
        assert lookup(data, path) == value


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_every_numeric_field_path_reads_the_model_and_names_a_registry_field(data):
    sc = cxroi.load_scenario(data)
    for path, value in sc.fields().items():
        assert lookup(sc, path) == value
        doc = field_doc(path)
        assert doc is not None and doc.name == field_name(path), path


def test_lookup_reads_years_renewals_and_named_items():
    sc = cxroi.load_scenario(ROOT / "scenarios" / "tei_salesloft.yaml")
    ini = sc.initiatives[0]
    line = ini.benefit_lines[0]
    assert lookup(sc, f"initiatives[{ini.name}].benefit_lines[{line.name}]") is line
    mapping = {"initiatives": [{"name": "A", "capex": {0: 5.0, 2: 7.0}, "opex": [1.0, 2.0]}]}
    assert lookup(mapping, "initiatives[A].capex[2]") == 7.0
    assert lookup(mapping, "initiatives[A].opex[2]") == 2.0  # years count from 1


@pytest.mark.parametrize(
    "path", ["segments[Nobody].wallet", "initiatives[A].capex[1]", "initiatives[B].opex"]
)
def test_a_path_that_names_nothing_is_refused(path):
    mapping = {"segments": [{"name": "A"}], "initiatives": [{"name": "A", "capex": {0: 5.0}}]}
    with pytest.raises(KeyError):
        lookup(mapping, path)


def test_parts_name_and_parent():
    path = "initiatives[CRM b].effects[*].churn_prevented"
    assert parts(path) == [
        ("initiatives", None), (None, "CRM b"), ("effects", None), (None, "*"),
        ("churn_prevented", None),
    ]  # fmt: skip
    assert field_name(path) == "churn_prevented"
    assert parent(path) == "initiatives[CRM b].effects[*]"
    assert (field_name("discount_rate"), parent("discount_rate")) == ("discount_rate", "")
    assert field_name("segments[A].retention.tenure[4]") == "tenure"


def test_walk_addresses_list_items_by_name_and_keys_in_brackets():
    seen: list[str] = []

    def visit(path, value, is_target):
        seen.append(path)
        return value

    walk({"segments": [{"name": "A", "x": 1}], "capex": {2: 3}}, visit)
    assert seen == ["segments", "segments[A]", "segments[A].name", "segments[A].x", "capex",
                    "capex[2]"]  # fmt: skip


def test_walk_rebuilds_after_its_children_and_shortens_keys():
    def visit(path, value, is_target):
        return value * 10 if path == "a[k].b" else value

    assert walk({"a": [{"name": "k", "b": 2}]}, visit, post=True) == {"a": [{"name": "k", "b": 20}]}
    seen: list[tuple[str, bool]] = []
    walk({"effects": {"Long name": {"x": 1}}}, lambda p, v, t: seen.append((p, t)) or v,
         key_text=lambda k: str(k)[:4])  # fmt: skip
    assert seen == [("effe", True), ("effe[Long]", True), ("effe[Long].x", False)]


def test_leaves_name_years_and_renewals_in_brackets_and_keep_distributions_whole():
    data = {
        "segments": [{"name": "A", "retention": {"tenure": {4: 0.5}}}],
        "initiatives": [{"name": "I", "capex": {0: 5.0}, "opex": [1.0],
                         "effects": {"*": {"churn_prevented": {"dist": "beta", "a": 1, "b": 2}}}}],
    }  # fmt: skip
    assert leaves(data) == {
        "segments[A].name": "A",
        "segments[A].retention.tenure[4]": 0.5,
        "initiatives[I].name": "I",
        "initiatives[I].capex": {0: 5.0},
        "initiatives[I].opex": [1.0],
        "initiatives[I].effects[*].churn_prevented": {"dist": "beta", "a": 1, "b": 2},
    }
    assert leaves(3.0, "x") == {"x": 3.0} and leaves([], "y") == {"y": []}
    assert lookup(data, "segments[A].retention.tenure[4]") == 0.5
