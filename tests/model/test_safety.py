"""Tests of cxroi.model.safety: safe file names, formula-injection neutralising, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxroi.model.safety import (
    TMP_SUFFIX,
    atomic_write,
    neutralise,
    remove_stale_temporaries,
    safe_name,
    unique_names,
)


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(TMP_SUFFIX)]


def test_safe_names_cannot_escape_and_duplicates_survive():
    assert safe_name("../../escape") == "escape"
    assert "/" not in safe_name("a/b\\c") and "\\" not in safe_name("a/b\\c")
    assert safe_name("..") == "scenario"
    assert unique_names(["A", "a", "A"]) == ["A", "a-2", "A-3"]
    assert unique_names(["summary.csv"], reserved=["summary.csv"]) == ["summary.csv-2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+41 22", "'+41 22"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("1e-3", "1e-3"),
        ("plain", "plain"),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    atomic_write(target, "old")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert no_temporaries(tmp_path)


def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "sub" / "b.json"
    target.parent.mkdir()
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert no_temporaries(tmp_path)


def test_stale_temporaries_are_removed(tmp_path):
    leftover = tmp_path / f".report.html{TMP_SUFFIX}"
    leftover.write_text("half")
    kept = tmp_path / "report.html"
    kept.write_text("whole")
    assert remove_stale_temporaries(tmp_path) == 1
    assert not leftover.exists() and kept.read_text() == "whole"
