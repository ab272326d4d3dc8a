"""cxroi: customer-experience ROI and business cases a CFO accepts.

Models retention (constant or Fader & Hardie sBG), customer lifetime value, share of wallet,
acquisition cost with referrals, cost to serve and switching loss, segment by segment, and
turns CX initiatives into yearly cash flows, NPV, ROI, IRR and payback, risk-adjusted the way
Forrester TEI studies are.
"""

import sys as _sys

from cxroi.analysis.uncertainty import (
    SimulationResult,
    simulate,
    switching_value,
    switching_values,
    tornado,
)
from cxroi.engine import retention
from cxroi.engine.case import KPI_KEYS, BusinessCase, evaluate
from cxroi.model import benchmarks
from cxroi.model.scenario import Scenario, ScenarioError, ScenarioIssue, load_scenario

# The public module names: ``import cxroi.retention`` and ``from cxroi.benchmarks import ...`` find
# the modules that live in the engine and model subpackages.
_sys.modules.setdefault("cxroi.retention", retention)
_sys.modules.setdefault("cxroi.benchmarks", benchmarks)

__version__ = "0.1.0"

__all__ = [
    # scenarios
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "load_scenario",
    # the business case
    "BusinessCase",
    "KPI_KEYS",
    "evaluate",
    # uncertainty and decision analysis
    "SimulationResult",
    "simulate",
    "switching_value",
    "switching_values",
    "tornado",
    # modules
    "benchmarks",
    "retention",
]
