"""Hostile scenario files through ``cxroi run --json``: exit 0 or 2, no traceback, bounded time.

Cases are generated in code: bad values at every field path of the worked example, alias
bombs, merge keys, duplicate keys, junk bytes, tags, deep nesting and more.
"""

from __future__ import annotations

import contextlib
import copy
import io
import subprocess
import sys
import time

import pytest
import yaml

from cxroi import cli
from cxroi.scenario import MAX_YAML_BYTES, ScenarioError, load_scenario, parse_yaml

BASE = {
    "name": "Hostile",
    "horizon_years": 3,
    "discount_rate": 0.1,
    "segments": [
        {
            "name": "All",
            "customers": 1000,
            "wallet": 100,
            "share_of_wallet": 0.5,
            "gross_margin": 0.3,
            "retention": 0.8,
            "acquisition_cost": 50,
        }
    ],
    "initiatives": [{"name": "Chat", "opex": 1000, "effects": {"*": {"churn_prevented": 0.2}}}],
}

BAD_VALUES = [
    "text", "", None, True, [], {}, [1, 2], -1, -1e308, 1e308, 10**400, -(10**400),
    float("nan"), float("inf"), float("-inf"), 1e-320, 1e16, "\u00e9\u4e2d\U0001f600",
    {"dist": "pert", "low": 0, "mode": 1e300, "high": 1e308},
    {"dist": "normal", "mean": 0, "sd": float("inf")},
]  # fmt: skip


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))
    else:
        yield prefix


def _with(path, value):
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def _dump(data):
    return yaml.safe_dump(data, allow_unicode=True)


def _bomb(levels, width=9):
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _cases():
    base = _dump(BASE)
    for path in _paths(BASE):
        for j, value in enumerate(BAD_VALUES):
            yield f"{'.'.join(map(str, path))}={j}", _dump(_with(path, value)).encode()
    for levels in range(3, 10):
        yield f"bomb{levels}", _bomb(levels).encode()
    yield "bomb-in-name", (_bomb(9) + base.replace("name: Hostile", "name: *a9", 1)).encode()
    yield "recursive", b"a: &a [*a]\n"
    yield (
        "merge",
        (
            b"seg: &s {name: All, customers: 1000, wallet: 100, share_of_wallet: 0.5,"
            b" gross_margin: 0.3, retention: 0.8, acquisition_cost: 50}\n"
            b"name: M\nsegments:\n- <<: *s\n  retention: 0.9\n"
            b"initiatives: [{name: C, opex: 1000, effects: {'*': {churn_prevented: 0.2}}}]\n"
        ),
    )
    yield "duplicate", (base + "name: Again\n").encode()
    yield "path-string", b"/etc/passwd\n"
    yield "path-list", b"- /etc/passwd\n- /dev/zero\n"
    yield "empty", b""
    yield "blank", b"   \n\n"
    yield "bom", b"\xef\xbb\xbf" + base.encode()
    yield "binary", bytes(range(256)) * 4
    yield "nul", b"name: a\x00b\n"
    yield "utf16", base.encode("utf-16")
    yield "long-name", base.replace("name: Hostile", "name: " + "x" * 100_000, 1).encode()
    yield "deep-list", b"[" * 5000 + b"]" * 5000
    yield "deep-map", b"a: " + b"{a: " * 2000 + b"1" + b"}" * 2000
    yield "too-big", b"# " + b"x" * (MAX_YAML_BYTES + 10)
    for tag in ("!!python/object:os.system", "!!python/name:os.system", "!!binary", "!foo",
                "!!python/object/apply:os.system"):  # fmt: skip
        yield f"tag{tag}", f"name: {tag} x\n".encode() + base.encode()
    yield "syntax", b"name: [unclosed\n"
    yield "tabs", b"\tname: x\n"


CASES = list(_cases())


def _run(path):
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["run", str(path), "--json"])
    return code, err.getvalue(), time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory):
    """Import the engine once, so the per-case time measures the case, not the imports."""
    path = tmp_path_factory.mktemp("warm") / "s.yaml"
    path.write_text(_dump(BASE))
    assert _run(path)[0] == 0


def test_there_are_several_hundred_cases():
    assert len(CASES) >= 250


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_file_ends_cleanly(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_bytes(text)
    code, err, seconds = _run(path)
    assert code in (0, 2), err
    assert "Traceback" not in err
    assert seconds < 2
    assert len(err) < 5000  # never the expanded content


def test_bomb_refused_naming_the_limit():
    with pytest.raises(ScenarioError, match="MAX_YAML_NODES") as info:
        parse_yaml(_bomb(9), "bomb.yaml")
    assert "bomb.yaml" in str(info.value) and "lol" not in str(info.value)


def test_merge_keys_merge_and_override():
    data = parse_yaml("b: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n")
    assert data["c"] == {"x": 1, "y": 3}


def test_duplicate_key_named_with_line():
    with pytest.raises(ScenarioError, match=r"key 'y' appears twice.*line 1"):
        parse_yaml("y: 1\ny: 2\n")


@pytest.mark.parametrize("field", ["customers", "wallet", "acquisition_cost"])
def test_magnitude_ceiling(field):
    with pytest.raises(ScenarioError, match=rf"segments\[All\]\.{field}: must be at most 1e\+15"):
        load_scenario(_with(("segments", 0, field), 1e300))


def test_huge_integer_refused_with_path():
    with pytest.raises(ScenarioError, match=r"segments\[All\]\.wallet: must be a finite"):
        load_scenario(_with(("segments", 0, "wallet"), 10**400))


def test_fifo_refused(tmp_path):
    import os

    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(fifo)


def test_deep_mapping_passed_directly_refused():
    deep = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ScenarioError, match="MAX_YAML_DEPTH"):
        load_scenario(deep)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bomb9", "deep-list", "too-big", "long-name"])
def test_worst_cases_bounded_memory(tmp_path, name):
    path = tmp_path / "s.yaml"
    path.write_bytes(dict(CASES)[name])
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20));"
        "from cxroi import cli; sys.exit(cli.main(['run', sys.argv[1], '--json']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
