"""Safe YAML reading (cxroi.model.yaml_io): limits, named where they bite.

The hostile-file suite (test_hostile_scenarios.py) drives these through the CLI; here each limit
is checked on the functions themselves.
"""

from __future__ import annotations

import pytest

from cxroi.model import scenario
from cxroi.model.issues import ScenarioError
from cxroi.model.yaml_io import (
    MAX_EXCERPT_CHARS,
    MAX_YAML_DEPTH,
    _check_mapping_size,
    _excerpt,
    parse_yaml,
    read_yaml,
)


def test_nesting_limit_names_the_line():
    text = "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1)
    with pytest.raises(ScenarioError, match=r"nesting deeper than 32 levels.*line 1\)"):
        parse_yaml(text)


def test_nesting_at_the_limit_is_read():
    text = "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH
    data = parse_yaml(text)
    depth = 0
    while isinstance(data, list):
        depth += 1
        data = data[0] if data else None
    assert depth == MAX_YAML_DEPTH


def test_mapping_that_contains_itself_is_refused():
    loop: dict = {"name": "x"}
    loop["self"] = loop
    with pytest.raises(ScenarioError, match="contains itself"):
        _check_mapping_size(loop, "params")


def test_excerpt_keeps_short_text_and_cuts_long_text():
    assert _excerpt("short") == "short"
    cut = _excerpt("x" * 500)
    assert len(cut) == MAX_EXCERPT_CHARS and cut.endswith("...")


def test_folder_is_not_read(tmp_path):
    with pytest.raises(ScenarioError, match="not a regular file"):
        read_yaml(tmp_path)


def test_scenario_keeps_the_names():
    assert scenario.parse_yaml is parse_yaml and scenario.read_yaml is read_yaml
    assert scenario.MAX_YAML_DEPTH == MAX_YAML_DEPTH
