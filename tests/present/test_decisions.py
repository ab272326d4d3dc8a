"""Tests for cxroi.present.decisions: expected NPV and value of information in words and HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxroi import evaluate, simulate
from cxroi.present.decisions import decision_summary, report_html
from cxroi.present.report import render

ROOT = Path(__file__).resolve().parents[2]
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "retail_bank_uncertain.yaml"
CORRELATED = ROOT / "docs" / "examples" / "retail_bank_correlated.yaml"


def test_decision_summary_puts_expected_beside_base_npv():
    summary = simulate(UNCERTAIN, draws=5000, seed=0).summary
    base = evaluate(UNCERTAIN).kpis["npv"]
    s = decision_summary(base, summary, "USD")
    assert s["npv"] == pytest.approx(2469087.08, abs=0.01)
    assert s["expected_npv"] == summary["npv"]["mean"] < s["npv"]  # ranges reach further down
    assert s["prob_npv_positive"] == summary["prob_npv_positive"]
    assert len(s["sentences"]) == 1 + len(summary["evppi"])


def test_report_html_marks_the_figures_at_full_precision():
    summary = simulate(UNCERTAIN, draws=2000, seed=0).summary
    fragment = report_html(2469087.08, summary, "USD", correlations=2)
    value = re.search(r'data-summary="expected_npv" data-value="([^"]+)"', fragment).group(1)
    assert float(value) == summary["npv"]["mean"]
    assert "one input at a time" in fragment
    assert "Perfect knowledge of" in fragment


def test_the_report_shows_expected_npv_and_correlations():
    html = render(CORRELATED)
    assert 'data-summary="expected_npv"' in html
    assert "drawn with their rank correlations" in html
    assert "value-of-information" in html
