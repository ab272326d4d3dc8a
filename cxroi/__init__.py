"""cxroi: customer-experience ROI and business cases a CFO accepts.

Models retention (constant or Fader & Hardie sBG), customer lifetime value, share of wallet,
acquisition cost with referrals, cost to serve and switching loss, segment by segment, and
turns CX initiatives into yearly cash flows, NPV, ROI, IRR and payback, risk-adjusted the way
Forrester TEI studies are.
"""

from cxroi import benchmarks, retention
from cxroi.case import KPI_KEYS, BusinessCase, evaluate
from cxroi.scenario import Scenario, ScenarioError, ScenarioIssue, load_scenario
from cxroi.uncertainty import SimulationResult, simulate, switching_value, switching_values, tornado

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
