"""The KPI registry: one declaration per KPI, read by every output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import cxroi
from cxroi.engine.case import EQUITY_KEYS as CASE_EQUITY_KEYS
from cxroi.engine.case import KPI_KEYS as CASE_KPI_KEYS
from cxroi.model.kpis import EQUITY_KEYS, KPI_KEYS, KPIS, kpi_label, kpi_meaning
from cxroi.present.formatting import KPI_KINDS, format_kpi

PACKAGE = Path(cxroi.__file__).resolve().parent
WORKED = Path(__file__).parents[1] / "data" / "worked_example.yaml"


@pytest.fixture(scope="module")
def worked_mapping():
    return yaml.safe_load(WORKED.read_text())


def test_registry_is_what_the_engine_reports(worked_mapping):
    case = cxroi.evaluate(worked_mapping)
    assert CASE_KPI_KEYS == KPI_KEYS and CASE_EQUITY_KEYS == EQUITY_KEYS
    assert set(case.kpis) >= set(KPIS)
    assert list(KPIS) == [*KPI_KEYS, *EQUITY_KEYS]


def test_every_kpi_is_fully_declared():
    for key, k in KPIS.items():
        assert k.key == key
        assert k.kind in ("money", "ratio", "years", "count")
        assert k.label and k.short and len(k.short) <= len(k.label)
        assert k.meaning.endswith(".")
    labels = [k.label for k in KPIS.values()]
    assert len(set(labels)) == len(labels)
    # the two figures that the risk adjustment does not touch (docs/model.md §5)
    assert {k for k, v in KPIS.items() if not v.risk_adjusted} == {
        "extra_customers_end",
        "annual_switching_loss",
    }


def test_formatting_reads_the_registry_kind():
    assert set(KPI_KINDS) == set(KPIS)
    assert format_kpi("irr", 0.32817) == "32.8%"
    assert format_kpi("extra_customers_end", 15586.16) == "15.6K"
    assert format_kpi("npv", 2_470_171.0, "USD") == "$2.47M"


def test_unknown_key_names_the_keys():
    with pytest.raises(ValueError, match="'nope'"):
        kpi_label("nope")
    with pytest.raises(ValueError, match="npv"):
        kpi_meaning("nope")


@pytest.mark.parametrize(
    "old",
    ["Extra customers at end", "Extra customers at the end", "Extra customers at horizon"],
)
def test_no_copy_of_a_kpi_label_left_in_the_package(old):
    hits = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if re.search(re.escape(old) + r"\b", p.read_text(encoding="utf-8"))
    ]
    assert hits == []


def test_cli_report_and_cards_show_the_registry_labels(worked_mapping):
    from cxroi.app import views
    from cxroi.cli import format_case
    from cxroi.present.report import render

    case = cxroi.evaluate(worked_mapping)
    text = format_case(case)
    html = render(worked_mapping)
    cards = views.kpi_cards(case.kpis, case.unadjusted, "USD", 5)
    for key in KPI_KEYS:
        assert kpi_label(key) in text
        assert kpi_label(key) in html
    for key in views.KPI_CARDS:
        assert f'<div class="cxroi-kpi-label">{kpi_label(key)}</div>' in cards


def test_every_lever_of_the_engine_has_a_label_and_words():
    from cxroi.model.kpis import LEVER_NAMES, lever_label
    from cxroi.model.scenario import LEVERS

    case = cxroi.evaluate(WORKED)
    assert set(case.by_lever) <= set(LEVER_NAMES) and set(LEVERS) < set(LEVER_NAMES)
    labels = [lever_label(k) for k in LEVER_NAMES]
    assert len(set(labels)) == len(labels) and all(LEVER_NAMES[k].words for k in LEVER_NAMES)
    with pytest.raises(ValueError, match="lever key.*'walet'"):
        lever_label("walet")
