"""The documentation the code points at exists.

Docstrings, comments and tests cite the model as ``docs/model.md §N`` (or the page name, ``#`` and
an anchor) and other pages as ``docs/<name>.md``. These tests check that every such reference lands
on a real file, section and anchor, and that nothing still points at the external contract file the
model was first written in (it is not part of the repository; docs/model.md replaces it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from published import (
    PUBLISHED_BENEFITS,
    PUBLISHED_BY_INITIATIVE,
    PUBLISHED_BY_LEVER,
    PUBLISHED_CLV,
    PUBLISHED_KPIS,
)

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "docs" / "model.md"

#: Built from parts so that this file does not mention the name it forbids.
OLD_CONTRACT = "MODEL" + ".md"

#: Folders that are not the project's own text (environments, caches, build output, git).
SKIP_DIRS = {".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__", "out"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".ipynb", ".cfg", ".txt", ".j2", ".html"}
TEXT_NAMES = {"Makefile", "README", ".gitignore"}

REFERENCE = re.compile(
    r"docs/(?P<file>[A-Za-z0-9_/.-]+?\.md)"
    r"(?:#(?P<anchor>[A-Za-z0-9_-]+)|\s§(?P<first>\d+)(?:-§(?P<last>\d+))?)?"
)


def _project_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        rel = path.relative_to(REPO)
        if any(part in SKIP_DIRS or part.startswith(".") and part != ".ci" for part in rel.parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES):
            files.append(path)
    return files


def _anchors(page: Path) -> set[str]:
    """Explicit ``<a id="...">`` anchors and GitHub-style heading slugs of a page."""
    text = page.read_text(encoding="utf-8")
    ids = set(re.findall(r'<a id="([^"]+)"', text))
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        ids.add(slug)
    return ids


def _sections(page: Path) -> set[int]:
    """Numbers of the ``## N. Title`` sections of a page."""
    text = page.read_text(encoding="utf-8")
    return {int(n) for n in re.findall(r"^## (\d+)\. ", text, flags=re.M)}


def _references() -> list[tuple[Path, int, re.Match]]:
    found = []
    for path in _project_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in REFERENCE.finditer(line):
                found.append((path, lineno, m))
    return found


def test_no_file_mentions_the_external_contract():
    offenders = [
        f"{path.relative_to(REPO)}:{lineno}"
        for path in _project_files()
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OLD_CONTRACT in line  # case matters: docs/model.md is the replacement
    ]
    assert offenders == [], f"still pointing at {OLD_CONTRACT}: {offenders}"


def test_no_source_holds_a_control_character():
    # "\\frac" written without its backslash doubled becomes a form feed plus "rac" in a
    # docstring's equation; "\\tfrac" a tab, "\\b" a backspace
    control = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\t]")
    offenders = [
        f"{path.relative_to(REPO)}: {control.search(text).group()!r}"
        for folder in ("cxroi", "tests", "benchmarks")
        for path in sorted((REPO / folder).rglob("*.py"))
        if control.search(text := path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_package_cites_the_model_page():
    # The references were moved, not deleted: the package cites docs/model.md sections.
    cited = [m for path, _, m in _references() if REPO / "cxroi" in path.parents]
    assert sum(m["file"] == "model.md" and m["first"] is not None for m in cited) >= 20


def test_every_docs_reference_points_at_an_existing_page_section_and_anchor():
    problems = []
    for path, lineno, m in _references():
        where = f"{path.relative_to(REPO)}:{lineno}: {m.group(0)!r}"
        page = REPO / "docs" / m["file"]
        if not page.is_file():
            problems.append(f"{where}: no such file")
            continue
        if m["anchor"] and m["anchor"] not in _anchors(page):
            problems.append(f"{where}: no anchor #{m['anchor']}")
        if m["first"]:
            wanted = range(int(m["first"]), int(m["last"] or m["first"]) + 1)
            missing = sorted(set(wanted) - _sections(page))
            if missing or not wanted:
                problems.append(f"{where}: no section(s) {missing or m.group(0)}")
    assert problems == []


def test_the_model_page_has_every_section_with_a_stable_anchor():
    text = MODEL.read_text(encoding="utf-8")
    assert _sections(MODEL) == set(range(1, 19))
    # Each numbered section is preceded by its own explicit anchor.
    headings = re.findall(r'<a id="([^"]+)"></a>\n## (\d+)\. ', text)
    assert [int(n) for _, n in headings] == list(range(1, 19))
    ids = [a for a, _ in headings]
    assert len(set(ids)) == len(ids)
    # The contents list links every anchor.
    for anchor in ids:
        assert f"](#{anchor})" in text, anchor


def _printed(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _expected_figures() -> list[str]:
    figures = [_printed(v, dec) for v, dec in PUBLISHED_KPIS.values()]
    figures += [_printed(v, 2) for v in PUBLISHED_BENEFITS[1:]]
    figures += [_printed(v, 2) for v in PUBLISHED_BY_LEVER.values()]
    figures += [_printed(v, 2) for v in PUBLISHED_BY_INITIATIVE.values()]
    figures += [f"{_printed(a, 2)} -> {_printed(b, 2)}" for a, b in PUBLISHED_CLV.values()]
    return figures


@pytest.mark.parametrize("figure", _expected_figures())
def test_the_worked_example_table_carries_the_published_figures(figure):
    # The table of docs/model.md §9 and tests/published.py (what the tests check the package
    # against) hold the same figures.
    text = MODEL.read_text(encoding="utf-8")
    section = text.split('<a id="worked-example"></a>')[1].split('<a id="reference-values">')[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    assert any(figure in line for line in table), figure
