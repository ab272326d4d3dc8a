"""Hostile scenario files and arguments through the CLI: exit 0 or 2, no traceback, bounded time.

Cases are generated in code: bad values at every field path of a small scenario, missing and
misspelt fields, extreme values that pass the rules, alias bombs, merge keys, duplicate keys,
junk bytes, tags, deep nesting, bad command-line arguments, and Hypothesis mutations. Each case
runs in-process through :func:`cxroi.cli.main` (a few in a subprocess), must end with exit 0 or
2, print no traceback, keep its JSON strict (no NaN or Infinity) and finish within the
pytest-timeout of its test. NumPy's RuntimeWarnings are errors in this module.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxroi import cli
from cxroi.model.scenario import MAX_YAML_BYTES, ScenarioError, load_scenario, parse_yaml

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

pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"), pytest.mark.timeout(60)]

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
    yield from _missing_and_misspelt()
    yield from _extreme_but_valid()
    yield "huge-string-value", _dump(_with(("initiatives", 0, "name"), "y" * 1_000_000)).encode()
    yield "int-beyond-float-horizon", _dump(_with(("horizon_years",), 10**400)).encode()
    yield "float-text", b"name: x\ndiscount_rate: .nan\n" + base.encode().split(b"\n", 1)[1]
    yield "doc-int", b"42\n"
    yield "doc-null", b"~\n"
    yield "two-docs", (base + "---\n" + base).encode()


def _missing_and_misspelt():
    """Each key of every mapping dropped, and renamed with a typo."""
    # In document order (a set would order them differently in each pytest-xdist worker).
    for path in dict.fromkeys(_keys(BASE)):
        data = copy.deepcopy(BASE)
        node = data
        for key in path[:-1]:
            node = node[key]
        value = node.pop(path[-1])
        yield f"missing-{'.'.join(map(str, path))}", _dump(data).encode()
        node[str(path[-1])[:-1] + "x"] = value
        yield f"misspelt-{'.'.join(map(str, path))}", _dump(data).encode()


def _keys(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _keys(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _keys(v, prefix + (i,))


#: Values at the edge of each field's rules: valid, but extreme for the engine.
EXTREMES = [
    (("segments", 0, "customers"), 1e15),
    (("segments", 0, "wallet"), 1e15),
    (("segments", 0, "acquisition_cost"), 1e-320),
    (("segments", 0, "acquisition_cost"), 1e15),
    (("segments", 0, "retention"), 0.999999999999),
    (("segments", 0, "retention"), 1e-300),
    (("segments", 0, "retention"), {"alpha": 1e-300, "beta": 1e15}),
    (("segments", 0, "retention"), {"alpha": 1e15, "beta": 1e-300, "tenure": 10**6}),
    (("segments", 0, "share_of_wallet"), 1e-320),
    (("discount_rate",), 1e-320),
    (("discount_rate",), 0.0),
    (("discount_rate",), 1e15),
    (("discount_rate",), -0.999999999),
    (("horizon_years",), 50),
    (("initiatives", 0, "opex"), 1e-320),
    (("initiatives", 0, "opex"), 1e15),
    (("initiatives", 0, "capex"), 1e15),
    (("initiatives", 0, "ramp"), [1e-320]),
    (("initiatives", 0, "effects", "*", "churn_prevented"), 1.0),
    (("initiatives", 0, "effects", "*", "churn_prevented"),
     {"dist": "pert", "low": 0, "mode": 1e-320, "high": 1}),
    (("risk",), {"benefit_adjustment": 0.999999, "cost_adjustment": 1e15}),
]  # fmt: skip


def _extreme_but_valid():
    for path, value in EXTREMES:
        name = f"extreme-{'.'.join(map(str, path))}={value!r:.20}"
        yield name, _dump(_with(path, value)).encode()


CASES = list(_cases())


def _strict(text):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def _main(argv):
    """Run the CLI in-process; check exit status, stderr and (for --json) strict JSON."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse refusals
            code = exc.code
    stdout, stderr = out.getvalue(), err.getvalue()
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr + stdout and "RuntimeWarning" not in stderr
    assert len(stderr) < 5000  # never the expanded content
    if code == 0 and "--json" in argv:
        _strict(stdout)
    if code == 2:
        assert stdout == ""
    return code, stderr


def _run(path):
    return _main(["run", str(path), "--json"])


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory):
    """Import the engine once, so the per-case time measures the case, not the imports."""
    path = tmp_path_factory.mktemp("warm") / "s.yaml"
    path.write_text(_dump(BASE))
    assert _run(path)[0] == 0


def test_there_are_several_hundred_cases():
    assert len(CASES) >= 300


#: Every bad value at every field path: the many cases; a fifth of them run by default.
_PER_PATH = [c for c in CASES if "=" in c[0] and not c[0].startswith("extreme")]
FAST = [c for c in CASES if c not in _PER_PATH] + _PER_PATH[::5]
SLOW = [c for c in _PER_PATH if c not in FAST]


@pytest.mark.parametrize(
    "text",
    [c[1] for c in FAST] + [pytest.param(c[1], marks=pytest.mark.slow) for c in SLOW],
    ids=[c[0] for c in FAST + SLOW],
)
def test_hostile_file_ends_cleanly(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_bytes(text)
    _run(path)


SAMPLE = _PER_PATH[::17] + [c for c in CASES if c[0].startswith("extreme")]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["simulate", "--draws", "200", "--json"], ["tornado", "--json"],
     ["breakeven", "discount_rate", "--json"]],
)  # fmt: skip
@pytest.mark.parametrize("text", [c[1] for c in SAMPLE], ids=[c[0] for c in SAMPLE])
def test_hostile_file_through_the_other_commands(tmp_path, text, command):
    path = tmp_path / "s.yaml"
    path.write_bytes(text)
    _main([command[0], str(path), *command[1:]])


def test_there_are_extreme_and_missing_field_cases():
    names = [c[0] for c in CASES]
    assert sum(n.startswith("extreme") for n in names) == len(EXTREMES)
    assert sum(n.startswith("missing") for n in names) >= 15


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("args") / "s.yaml"
    path.write_text(_dump(BASE))
    return str(path)


BAD_ARGS = [
    [], ["nope"], ["run"], ["run", "--json"], ["run", "{f}", "--nope"], ["run", "{f}", "extra"],
    ["run", "/nonexistent/s.yaml"], ["run", "/dev/null"], ["run", "/"], ["run", ""],
    ["run", "/dev/zero"], ["run", "{f}\x00"],
] + [
    ["simulate", "{f}", "--draws", x] for x in
    ("0", "-1", "1.5", "nan", "inf", "1e400", "abc", "", "10000001", "1e10", "9" * 400)
] + [
    ["simulate", "{f}", "--seed", x] for x in ("-1", "abc", "1.5", "", "nan", "-" + "9" * 50)
] + [
    ["breakeven", "{f}", p, "--json"]
    for p in ("nope", "segments[Nobody].wallet", "segments[All]", "", "x" * 10_000,
              "segments[All].name", "discount_rate.x", "initiatives[Chat].effects[*]")
] + [
    ["tornado"], ["tornado", "{f}", "--draws", "5"], ["breakeven"], ["simulate"],
    ["calibrate"], ["batch"], ["--nope"], ["run", "{f}", "--json", "--json"],
]  # fmt: skip


@pytest.mark.parametrize("argv", BAD_ARGS, ids=lambda a: " ".join(a)[:60] or "<none>")
def test_bad_argument_ends_cleanly(base_file, argv):
    argv = [a.replace("{f}", base_file) for a in argv]
    code, err = _main(argv)
    if "\x00" not in "".join(argv) and argv not in (["run", base_file, "--json", "--json"],):
        assert code == 2 or argv[0] in ("breakeven",), err


def test_seed_refused_names_seed(base_file):
    code, err = _main(["simulate", base_file, "--seed", "-1"])
    assert code == 2 and "--seed" in err


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.text(max_size=30),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=4),
    st.dictionaries(st.sampled_from(["dist", "low", "mode", "high", "mean", "sd", "alpha",
                                     "beta", "tenure"]),
                    st.one_of(st.floats(), st.sampled_from(["pert", "normal", "uniform"])),
                    max_size=5),
)  # fmt: skip
_PATHS = [p for p in _paths(BASE)] + list(_keys(BASE))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _VALUES), min_size=1, max_size=4))
def test_random_mutations_end_cleanly(tmp_path, changes):
    data = copy.deepcopy(BASE)
    for path, value in changes:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    path = tmp_path / "h.yaml"
    try:
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    except yaml.YAMLError:
        return
    _run(path)


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["simulate", "--draws", "1e6", "--seed", "-1"],
                                  ["simulate", "--draws", "10000000", "--json"],
                                  ["run", "--json"]])  # fmt: skip
def test_console_script_ends_cleanly(base_file, argv):
    proc = subprocess.run(
        [sys.executable, "-m", "cxroi.cli", argv[0], base_file, *argv[1:]],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr
    if proc.returncode == 0:
        _strict(proc.stdout)


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
