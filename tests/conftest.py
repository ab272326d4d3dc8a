"""Suite-wide test settings: CI behaviour, Hypothesis profiles, shared paths.

Browser tests (marked ``browser``) need Debian's Chromium. Locally they are skipped with a
reason when it is missing; when the ``CI`` environment variable is set, a browser test that
would be skipped for any reason fails instead, so CI never passes without having driven the
dashboard.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CXROI_CHROMIUM") or "/usr/bin/chromium")
ON_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

# No per-example deadline: the machines are small and shared, timing noise is not a bug.
settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if ON_CI else "dev"))


def pytest_configure(config):
    """Keep the dashboard's chart specifications (cxroi.app.chart_specs) in a folder of this run.

    Tests and the kernels they start (which inherit the environment) then neither read nor
    write the user's cache folder.
    """
    if not os.environ.get("CXROI_CACHE_DIR"):
        import tempfile

        os.environ["CXROI_CACHE_DIR"] = config._cxroi_cache = tempfile.mkdtemp(
            prefix="cxroi-test-cache-"
        )


def pytest_unconfigure(config):
    made = getattr(config, "_cxroi_cache", None)
    if made:  # only the process that made the folder removes it (xdist workers share it)
        import shutil

        shutil.rmtree(made, ignore_errors=True)


def chromium_available() -> bool:
    """Whether the Chromium used by the browser tests is installed."""
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_report_header(config):
    state = "found" if chromium_available() else "MISSING (run `make test` to install it)"
    return [f"cxroi: CI={'yes' if ON_CI else 'no'}, chromium {CHROMIUM}: {state}"]


def pytest_collection_modifyitems(config, items):
    # With pytest-xdist the browser tests form one group, so one worker runs them in order
    # against its one dashboard server while the other workers take the rest of the suite.
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
    if chromium_available():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get)"
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if (
        ON_CI
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("browser")
    ):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = f"browser test may not be skipped when CI is set: {reason}"
    return report


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout (scenarios/, notebooks/ and benchmarks/ live there)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of the Chromium binary for Playwright's ``executable_path``."""
    if not chromium_available():
        pytest.skip(f"{CHROMIUM} not found: `make test` installs Debian's chromium")
    return str(CHROMIUM)
