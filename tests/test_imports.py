"""What importing cxroi costs: the CLI's light commands never load the dashboard stack.

Each check runs in a fresh interpreter (``sys.modules`` of this test process is shared with
every other test) and lists the heavy top-level packages it finds loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cxroi

ROOT = Path(__file__).resolve().parents[1]

#: Packages only the dashboard, the report or the batch need.
UI_STACK = (
    "altair",
    "ipywidgets",
    "voila",
    "jupyter_server",
    "jupyter_client",
    "jupyterlab",
    "nbclient",
    "papermill",
    "IPython",
    "jsonschema",
    "vl_convert",
)

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


_PROBE_MODULES = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""


def _probe(template: str, code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", template.format(code=code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded_after(code: str) -> set[str]:
    """Top-level packages loaded after running ``code`` in a fresh interpreter."""
    return _probe(_PROBE, code)


def modules_after(code: str) -> set[str]:
    """Every module (dotted names) loaded after running ``code`` in a fresh interpreter."""
    return _probe(_PROBE_MODULES, code)


def _main_quietly(argv: list[str]) -> str:
    """Code that runs ``cxroi ARGV`` in-process (stdout swallowed) and checks it succeeded."""
    return (
        "from cxroi.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    status = main({argv!r})\n"
        "assert status == 0, status"
    )


def test_import_cxroi_loads_neither_pandas_nor_scipy_nor_the_ui():
    heavy = {"pandas", "scipy", *UI_STACK}
    loaded = loaded_after("import cxroi")
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "s.yaml", "--json"],
        ["simulate", "s.yaml"],
        ["tornado", "s.yaml"],
        ["breakeven", "s.yaml"],
        ["calibrate", "c.csv"],
        ["serve", "s.yaml"],
    ],
)
def test_building_the_parser_and_parsing_loads_no_ui(argv):
    code = f"from cxroi.cli import build_parser; build_parser().parse_args({argv!r})"
    loaded = loaded_after(code)
    assert loaded.isdisjoint(UI_STACK), sorted(loaded & set(UI_STACK))
    assert "pandas" not in loaded and "scipy" not in loaded


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "scenarios/retail_bank.yaml", "--json"],
        ["run", "scenarios/retail_bank.yaml"],
        ["simulate", "scenarios/uncertain/retail_bank_uncertain.yaml", "--draws", "200"],
        ["tornado", "scenarios/uncertain/retail_bank_uncertain.yaml", "--json"],
        ["breakeven", "scenarios/retail_bank.yaml", "discount_rate", "--json"],
        ["calibrate", "scenarios/data/fader_hardie_2007_regular.csv", "--json"],
    ],
)
def test_light_commands_run_without_the_ui_stack(argv):
    loaded = modules_after(_main_quietly(argv))
    tops = {m.split(".")[0] for m in loaded}
    assert tops.isdisjoint(UI_STACK), sorted(tops & set(UI_STACK))
    # nor any part of the dashboard, the Voila server or the report (cxroi.app, cxroi.outputs)
    app = sorted(m for m in loaded if m.startswith(("cxroi.app", "cxroi.outputs")))
    assert not app, app
    assert not any(m.startswith("jupyter") for m in tops), sorted(tops)


def test_run_json_of_the_default_scenario_imports_neither_pandas_nor_scipy():
    # the start-up goal of `cxroi run --json` (benchmarks/startup.py): pandas, scipy.optimize
    # (the IRR of one sign change needs no Brent) and scipy.special (the default scenario's
    # sBG lifetimes are summed directly) each cost about as much as numpy to import
    loaded = modules_after(_main_quietly(["run", "--json", "scenarios/default.yaml"]))
    tops = {m.split(".")[0] for m in loaded}
    heavy = {"pandas", "scipy", "altair", "ipywidgets", "IPython", "voila"}
    assert tops.isdisjoint(heavy), sorted(tops & heavy)
    assert not any(m.startswith(("jupyter", "cxroi.app", "cxroi.present")) for m in loaded)
    # the text report may build its tables with pandas, but needs no root finder either
    loaded = modules_after(_main_quietly(["run", "scenarios/default.yaml"]))
    assert "scipy.optimize" not in loaded


def test_parsing_a_light_command_leaves_the_serve_options_unloaded():
    # `serve` declares its options in cxroi.app.serve; the parser adds them only when the
    # serve subcommand itself parses or shows help
    loaded = modules_after(
        "from cxroi.cli import build_parser; build_parser().parse_args(['run', 's.yaml'])"
    )
    assert "cxroi.app.serve" not in loaded and "cxroi.model.scenario" not in loaded
    code = (
        "from cxroi.cli import build_parser\n"
        "a = build_parser().parse_args(['serve', 's.yaml', '--port', '9000', '--no-browser'])\n"
        "assert (a.port, a.no_browser, a.scenario) == (9000, True, 's.yaml'), a"
    )
    assert "cxroi.app.serve" in modules_after(code)


def test_public_names_resolve_lazily_to_their_modules():
    from cxroi.analysis import uncertainty
    from cxroi.engine import case, retention
    from cxroi.model import benchmarks, scenario

    assert cxroi.evaluate is case.evaluate
    assert cxroi.load_scenario is scenario.load_scenario
    assert cxroi.ScenarioError is scenario.ScenarioError
    assert cxroi.simulate is uncertainty.simulate
    assert cxroi.retention is retention
    assert cxroi.benchmarks is benchmarks
    assert set(cxroi.__all__) <= set(dir(cxroi))
    assert all(getattr(cxroi, name) is not None for name in cxroi.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        cxroi.nonsense  # noqa: B018


def test_public_module_names_are_the_modules_themselves():
    import cxroi.benchmarks
    import cxroi.retention
    from cxroi.retention import fit_sbg, margin_multiple

    import cxroi.engine.retention

    assert cxroi.retention is cxroi.engine.retention
    assert fit_sbg is cxroi.engine.retention.fit_sbg
    assert margin_multiple is cxroi.engine.retention.margin_multiple
    assert cxroi.retention.__spec__.name == "cxroi.engine.retention"
    assert cxroi.benchmarks.__name__ == "cxroi.model.benchmarks"


#: What a dashboard kernel needs only when asked: the Monte Carlo and tornado (scipy), the
#: charts' builder (Altair, jsonschema) once its specifications are kept, comparisons, goal
#: seek, calibration, the board pack, the report and the workbook.
DASHBOARD_LAZY = (
    "altair",
    "jsonschema",
    "scipy",
    "vl_convert",
    "xlsxwriter",
    "openpyxl",
    "papermill",
    "cxroi.present.charts",
    "cxroi.present.uncertainty_charts",
    "cxroi.present.report",
    "cxroi.analysis.uncertainty",
    "cxroi.analysis.compare",
    "cxroi.analysis.whatif",
    "cxroi.analysis.calibration",
    "cxroi.outputs",
)


def _lazy_loaded(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if m.split(".")[0] in DASHBOARD_LAZY or m in DASHBOARD_LAZY
                  or m.startswith(tuple(f"{name}." for name in DASHBOARD_LAZY)))  # fmt: skip


def test_importing_the_dashboard_loads_nothing_it_uses_only_on_demand():
    loaded = modules_after("import cxroi.app.dashboard")
    assert "cxroi.app.dashboard" in loaded
    assert _lazy_loaded(loaded) == []


def _render_modules(cache: Path) -> tuple[set[str], dict]:
    """Modules loaded by a fresh kernel's first render of the default scenario, and its specs."""
    code = (
        "import json, sys\n"
        "from cxroi.app import Dashboard\n"
        "app = Dashboard.from_path('scenarios/default.yaml')\n"
        "specs = {k: app.chart_payload(k)['spec'] for k in app.chart_panes}\n"
        "print(json.dumps([sorted(sys.modules), specs]))"
    )
    env = {**os.environ, "CXROI_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules, specs = json.loads(done.stdout.strip().splitlines()[-1])
    return set(modules), specs


def test_a_kernel_whose_chart_specs_are_kept_renders_without_altair_or_scipy(tmp_path):
    first, built = _render_modules(tmp_path)
    assert "altair" in first  # nothing kept yet: the first kernel builds the specifications
    second, kept = _render_modules(tmp_path)
    assert kept == built  # the same five specifications, read back
    assert set(kept) == {"cashflow", "bridge", "initiatives", "clv", "customers"}
    assert _lazy_loaded(second) == []


def test_a_batch_worker_imports_only_what_its_options_need():
    # a local worker imports its modules before the first scenario (worker.init_worker): the
    # evaluation and the record, never the dashboard or the charts (the report notebook's
    # charts are drawn in its own kernel); the workbook writer and papermill only when asked
    code = (
        "import importlib\n"
        "from cxroi.outputs.batch import worker\n"
        "for name in worker._MODULES: importlib.import_module(name)"
    )
    loaded = modules_after(code)
    tops = {m.split(".")[0] for m in loaded}
    unwanted = {"altair", "jsonschema", "scipy", "ipywidgets", "xlsxwriter", "papermill", "voila"}
    assert tops.isdisjoint(unwanted), sorted(tops & unwanted)
    assert not any(m.startswith(("cxroi.app", "cxroi.present.charts")) for m in loaded)
    workbook = modules_after(code + "\nfor name in worker._WORKBOOK_MODULES: "
                             "importlib.import_module(name)")  # fmt: skip
    assert "cxroi.outputs.workbook" in workbook and "cxroi.outputs.workbook" not in loaded
