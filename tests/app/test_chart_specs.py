"""Chart specifications kept on disk: read back equal to the ones built, and never stale."""

from __future__ import annotations

import json
import os
import types

import pytest

import cxroi
from cxroi.app import chart_specs
from cxroi.app.case_view import CHART_SIZE, CHARTS
from cxroi.present import charts
from cxroi.present.chart_data import spec_signature


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(chart_specs.CACHE_ENV, str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def case():
    return cxroi.evaluate(cxroi.load_scenario("scenarios/retail_bank.yaml"))


def _kept(key, case, currency, size, calls):
    data_fn, build = CHARTS[key]
    data = data_fn(case, currency)

    def counted():
        calls.append(key)
        return build(data, currency, *size)

    return chart_specs.chart_spec(key, currency, *size, counted), data


@pytest.mark.parametrize("present", [False, True])
@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_a_kept_specification_is_the_one_altair_builds(cache, case, currency, present):
    size = CHART_SIZE[present]
    calls: list[str] = []
    for key in CHARTS:
        (spec, sig), data = _kept(key, case, currency, size, calls)
        expected, _, expected_sig = charts.split_spec(CHARTS[key][1](data, currency, *size))
        assert (spec, sig) == (expected, expected_sig)
        again, _ = _kept(key, case, currency, size, calls)
        assert again == (expected, expected_sig)
    assert calls == list(CHARTS)  # each built once, then read back
    assert len(list(cache.rglob("*.json"))) == len(CHARTS)


def test_specifications_differ_by_currency_and_size(cache, case):
    calls: list[str] = []
    usd, _ = _kept("cashflow", case, "USD", CHART_SIZE[False], calls)
    eur, _ = _kept("cashflow", case, "EUR", CHART_SIZE[False], calls)
    big, _ = _kept("cashflow", case, "USD", CHART_SIZE[True], calls)
    assert len({usd[1], eur[1], big[1]}) == 3 and len(calls) == 3
    assert "EUR" in json.dumps(eur[0]) and "EUR" not in json.dumps(usd[0])


def test_a_currency_typed_as_a_path_stays_in_the_cache_folder(cache, case):
    calls: list[str] = []
    (spec, _), _ = _kept("clv", case, "../../x/EUR", CHART_SIZE[False], calls)
    files = list(cache.rglob("*.json"))
    assert len(files) == 1 and files[0].is_relative_to(cache / "chart-specs")
    assert "../../x/EUR" in json.dumps(spec)


def test_a_damaged_or_edited_file_is_built_again(cache, case):
    calls: list[str] = []
    good, _ = _kept("bridge", case, "USD", CHART_SIZE[False], calls)
    (path,) = cache.rglob("*.json")
    path.write_text("{not json", encoding="utf-8")
    assert _kept("bridge", case, "USD", CHART_SIZE[False], calls)[0] == good
    kept = json.loads(path.read_text(encoding="utf-8"))  # written whole again
    kept["spec"]["width"] = 1  # an edit the signature no longer matches
    path.write_text(json.dumps(kept), encoding="utf-8")
    assert _kept("bridge", case, "USD", CHART_SIZE[False], calls)[0] == good
    assert calls == ["bridge"] * 3
    assert spec_signature(good[0]) == good[1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_unwritable_cache_folder_still_gives_the_specification(cache, case):
    cache.chmod(0o500)
    try:
        calls: list[str] = []
        first, _ = _kept("customers", case, "USD", CHART_SIZE[False], calls)
        second, _ = _kept("customers", case, "USD", CHART_SIZE[False], calls)
    finally:
        cache.chmod(0o700)
    assert first == second and calls == ["customers", "customers"]


def test_a_cache_path_that_is_a_file_still_gives_the_specification(tmp_path, monkeypatch, case):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(chart_specs.CACHE_ENV, str(blocker))
    calls: list[str] = []
    spec, _ = _kept("customers", case, "USD", CHART_SIZE[False], calls)
    expected = charts.split_spec(charts.customers_chart(charts.customers_data(case), 370, 210))
    assert spec == (expected[0], expected[2]) and calls == ["customers"]


def test_another_altair_version_or_source_never_reads_a_kept_specification(monkeypatch):
    chart_specs.fingerprint.cache_clear()
    here = chart_specs.fingerprint()
    monkeypatch.setattr(chart_specs.metadata, "version", lambda name: "0.0-other")
    chart_specs.fingerprint.cache_clear()
    try:
        assert chart_specs.fingerprint() != here
    finally:
        monkeypatch.undo()
        chart_specs.fingerprint.cache_clear()
    assert chart_specs.fingerprint() == here


def test_an_edited_source_never_reads_a_kept_specification(monkeypatch, tmp_path):
    package = tmp_path / "cxroi"
    (package / "present").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    source = package / "present" / "charts.py"
    source.write_text("WIDTH = 1\n", encoding="utf-8")
    fake = types.SimpleNamespace(__file__=str(package / "__init__.py"), __version__="0.1.0")
    monkeypatch.setattr(chart_specs, "cxroi", fake)
    chart_specs.fingerprint.cache_clear()
    try:
        before = chart_specs.fingerprint()
        source.write_text("WIDTH = 2\n", encoding="utf-8")
        chart_specs.fingerprint.cache_clear()
        assert chart_specs.fingerprint() != before
    finally:
        monkeypatch.undo()
        chart_specs.fingerprint.cache_clear()


def test_the_cache_folder_follows_xdg_when_not_given(monkeypatch, tmp_path):
    monkeypatch.delenv(chart_specs.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert chart_specs.cache_root() == tmp_path / "cxroi"
    monkeypatch.setenv(chart_specs.CACHE_ENV, str(tmp_path / "mine"))
    assert chart_specs.cache_root() == tmp_path / "mine"
