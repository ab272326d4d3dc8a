"""cxroi: customer-experience ROI and business cases a CFO accepts.

Models retention (constant or Fader & Hardie sBG), customer lifetime value, share of wallet,
acquisition cost with referrals, cost to serve and switching loss, segment by segment, and
turns CX initiatives into yearly cash flows, NPV, ROI, IRR and payback, risk-adjusted the way
Forrester TEI studies are.

The public names below load on first use (PEP 562), so ``import cxroi`` is cheap and a command
imports only the rooms of the pipeline it needs.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    # scenarios
    "Scenario": "cxroi.model.scenario",
    "ScenarioError": "cxroi.model.scenario",
    "ScenarioIssue": "cxroi.model.scenario",
    "load_scenario": "cxroi.model.scenario",
    # the business case
    "BusinessCase": "cxroi.engine.case",
    "KPI_KEYS": "cxroi.engine.case",
    "evaluate": "cxroi.engine.case",
    # uncertainty and decision analysis
    "SimulationResult": "cxroi.analysis.uncertainty",
    "simulate": "cxroi.analysis.uncertainty",
    "switching_value": "cxroi.analysis.uncertainty",
    "switching_values": "cxroi.analysis.uncertainty",
    "tornado": "cxroi.analysis.uncertainty",
    # decisions: compare, sweep and goal seek
    "compare": "cxroi.analysis.compare",
    "sweep": "cxroi.analysis.whatif",
    "goal_seek": "cxroi.analysis.whatif",
}

#: Public module names -> where the module lives (``cxroi.retention`` is the sBG maths).
_MODULES = {
    "benchmarks": "cxroi.model.benchmarks",
    "retention": "cxroi.engine.retention",
}

# Written out (not built from the tables above) so linters and type checkers read it.
__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "load_scenario",
    "BusinessCase",
    "KPI_KEYS",
    "evaluate",
    "SimulationResult",
    "simulate",
    "switching_value",
    "switching_values",
    "tornado",
    "compare",
    "sweep",
    "goal_seek",
    "benchmarks",
    "retention",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cxroi.analysis.compare import compare
    from cxroi.analysis.uncertainty import (
        SimulationResult,
        simulate,
        switching_value,
        switching_values,
        tornado,
    )
    from cxroi.analysis.whatif import goal_seek, sweep
    from cxroi.engine import retention
    from cxroi.engine.case import KPI_KEYS, BusinessCase, evaluate
    from cxroi.model import benchmarks
    from cxroi.model.scenario import Scenario, ScenarioError, ScenarioIssue, load_scenario


def __getattr__(name: str) -> Any:
    """Load a public name on first use and keep it (PEP 562)."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _PublicModuleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import cxroi.retention`` gives the module :mod:`cxroi.engine.retention` itself.

    Both names then refer to one module object (one set of functions), which a thin
    re-exporting file would not give.
    """

    def find_spec(self, fullname, path=None, target=None):  # noqa: D102
        if fullname.startswith("cxroi.") and fullname[len("cxroi.") :] in _MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):  # noqa: D102
        module = importlib.import_module(_MODULES[spec.name[len("cxroi.") :]])
        spec.loader_state = module.__spec__  # the import system stamps the alias spec on it
        return module

    def exec_module(self, module):  # noqa: D102
        module.__spec__ = module.__spec__.loader_state  # give the module its own spec back


if not any(isinstance(f, _PublicModuleAlias) for f in sys.meta_path):
    sys.meta_path.append(_PublicModuleAlias())
