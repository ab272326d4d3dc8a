"""A wheel of the tree works outside the repository: run, init + papermill, serve.

The wheel is installed with ``--no-deps`` into a fresh virtual environment in a temporary
folder; its dependencies come from this environment's site-packages through a ``.pth`` line
(offline and quick), so only cxroi itself comes from the wheel. Every command runs with the
temporary folder as working directory and without ``PYTHONPATH``, so nothing can fall back
on the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, environment) of a fresh venv holding only the cxroi wheel."""
    tmp = tmp_path_factory.mktemp("standalone")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("cxroi", "notebooks", "scenarios"):  # cxroi/_bundle links to the other two
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("cxroi-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies: this environment's site-packages, after the venv's own.
    Path(site, "outer-site-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel)],
        check=True,
        timeout=600,
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = os.pathsep.join([str(env_dir / "bin"), env.get("PATH", "")])
    # Voila's templates and the kernelspecs are data files of this environment.
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH")) if p
    )
    work = tmp / "work"
    work.mkdir()
    return env_dir / "bin", env, work


def test_the_installed_package_is_the_wheel(installed):
    bin_dir, env, work = installed
    done = subprocess.run(
        [bin_dir / "python", "-c", "import cxroi, cxroi.bundle; print(cxroi.__file__); "
         "print(cxroi.bundle.default_scenario())"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )
    module, default = done.stdout.split()
    assert not module.startswith(str(ROOT)) and "site-packages" in module
    assert not default.startswith(str(ROOT)) and Path(default).is_file()


def test_run_from_the_wheel(installed):
    bin_dir, env, work = installed
    scenario = subprocess.run(
        [bin_dir / "cxroi", "examples", "--json"], cwd=work, env=env, capture_output=True,
        text=True, check=True,
    )
    root = Path(json.loads(scenario.stdout)["root"])
    assert not str(root).startswith(str(ROOT))
    done = subprocess.run(
        [bin_dir / "cxroi", "run", str(root / "scenarios" / "retail_bank.yaml"), "--json"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["npv"] == pytest.approx(2469087.084936945, rel=1e-9)


def test_init_then_papermill_the_laid_out_report(installed):
    bin_dir, env, work = installed
    case = work / "case"
    subprocess.run([bin_dir / "cxroi", "init", str(case)], cwd=work, env=env, check=True)
    out = case / "report.ipynb"
    done = subprocess.run(
        [bin_dir / "python", "-m", "papermill", "--no-progress-bar", "--log-level", "WARNING",
         "notebooks/scenario_report.ipynb", str(out), "-f", "scenarios/retail_bank.yaml",
         "--cwd", str(case)],
        cwd=case, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "Retail bank - service redesign" in text
    assert "2.47M" in text  # the NPV the report shows, formatted as on the KPI cards


def test_serve_without_arguments_answers(installed):
    bin_dir, env, work = installed
    port = _free_port()
    server = subprocess.Popen(
        [bin_dir / "cxroi", "serve", "--no-browser", "--port", str(port), "--pool-size", "0"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        deadline, status, body = time.monotonic() + 240, None, ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120) as reply:
                    status, body = reply.status, reply.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(1)
        assert server.poll() is None, server.stdout.read()[-3000:]
        assert status == 200
        assert "cxroi" in body.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
