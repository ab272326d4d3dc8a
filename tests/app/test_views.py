"""Tests of the dashboard's HTML fragments."""

from __future__ import annotations

from cxroi.app import views


def _kpis(payback):
    keys = list(views.KPI_CARDS) + ["pv_benefits", "pv_costs"]
    kpis = dict.fromkeys(keys, 0.0)
    kpis["payback_years"] = payback
    kpis["discounted_payback_years"] = payback
    return kpis


def test_no_payback_within_a_one_year_horizon_is_singular():
    html = views.kpi_cards(_kpis(None), _kpis(None), "EUR", 1)
    assert "Not in 1 year<" in html and "1 years" not in html
    assert "Not in 5 years" in views.kpi_cards(_kpis(None), _kpis(None), "EUR", 5)


def test_one_currency_throughout_the_cards():
    html = views.kpi_cards(_kpis(2.0), _kpis(2.0), "EUR", 5)
    assert "€0" in html and "$" not in html
