"""The ``cxroi`` command line.

Each subcommand is one ``_cmd_<name>(args) -> int`` function registered in :func:`build_parser`.
Invalid input never ends in a traceback: a :class:`~cxroi.scenario.ScenarioError` (or a
``ValueError`` from reading a data file) prints one clear message on stderr and exits with
status 2. Set ``CXROI_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from cxroi.scenario import ScenarioError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input: reported on stderr with exit status 2."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, allow_nan=False)


# --------------------------------------------------------------------------------------------
# cxroi run
# --------------------------------------------------------------------------------------------
def _money(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.0f}"


def _fmt(key: str, x: float | None) -> str:
    if x is None:
        return "n/a"
    if key in ("roi", "irr"):
        return f"{x:.1%}"
    if key.endswith("payback_years"):
        return f"{x:.2f} years"
    if key == "extra_customers_end":
        return f"{x:,.0f} customers"
    return _money(x)


_LABELS = {
    "npv": "Net present value",
    "pv_benefits": "PV of benefits",
    "pv_costs": "PV of costs",
    "roi": "ROI",
    "irr": "IRR",
    "payback_years": "Payback",
    "discounted_payback_years": "Discounted payback",
    "extra_customers_end": "Extra customers at end",
    "annual_switching_loss": "Annual switching loss",
}


def format_case(case) -> str:
    """A readable, TEI-style text report of a business case."""
    from cxroi.case import KPI_KEYS
    from cxroi.scenario import base_value

    sc = case.scenario
    lines = [
        f"{sc.name}",
        f"Currency {sc.currency}, horizon {sc.horizon_years} years, discount rate "
        f"{base_value(sc.discount_rate):.1%}, risk adjustment: benefits "
        f"-{base_value(sc.risk.benefit_adjustment):.0%}, "
        f"costs +{base_value(sc.risk.cost_adjustment):.0%}",
        "",
        f"{'':26}{'risk-adjusted':>18}{'unadjusted':>18}",
    ]
    for key in KPI_KEYS:
        lines.append(
            f"{_LABELS[key]:26}{_fmt(key, case.kpis[key]):>18}{_fmt(key, case.unadjusted[key]):>18}"
        )
    lines += ["", f"Cash flows (risk-adjusted, {sc.currency})"]
    table = case.tei_table()
    lines.append(table.to_string(float_format=lambda v: _money(v), na_rep=""))
    lines += ["", "Value by lever (Shapley, PV of benefits)"]
    for lever, value in case.by_lever.items():
        lines.append(f"  {lever:24}{_money(value):>18}")
    lines += ["", "Value by initiative (Shapley, NPV)"]
    if case.by_initiative is None:
        lines.append("  (not computed beyond 8 initiatives)")
    else:
        for name, value in case.by_initiative.items():
            lines.append(f"  {name:40}{_money(value):>18}")
    lines += ["", "Customer lifetime value per new customer"]
    lines.append(f"  {'segment':24}{'baseline':>14}{'with CX':>14}{'CLV:CAC':>16}")
    for name, row in case.by_segment.iterrows():
        ratio = (
            f"{row.clv_to_cac_baseline:.1f} -> {row.clv_to_cac_with_cx:.1f}"
            if math.isfinite(row.clv_to_cac_baseline)
            else "n/a"
        )
        lines.append(
            f"  {name:24}{_money(row.clv_baseline):>14}{_money(row.clv_with_cx):>14}{ratio:>16}"
        )
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from cxroi.case import evaluate
    from cxroi.scenario import load_scenario

    case = evaluate(load_scenario(args.scenario))
    print(_dumps(case.to_json()) if args.json else format_case(case))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cxroi simulate / tornado / breakeven
# --------------------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _years(x: float | None) -> str:
    return "never" if x is None else f"{x:.2f}"


def _stat_line(label: str, stats: dict, fmt) -> str:
    cells = [fmt(stats[k]) for k in ("mean", "p5", "p50", "p95")]
    return f"{label:22}" + "".join(f"{c:>16}" for c in cells)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from cxroi.scenario import load_scenario
    from cxroi.uncertainty import simulate

    sc = load_scenario(args.scenario)
    result = simulate(sc, draws=args.draws, seed=args.seed)
    summary = result.summary
    if args.json:
        print(_dumps(summary))
        return EXIT_OK
    n_fields = len(sc.distributions())
    print(f"{sc.name}: {summary['draws']:,} draws, seed {args.seed}, {n_fields} uncertain fields")
    print(f"{'':22}" + "".join(f"{h:>16}" for h in ("mean", "P5", "P50", "P95")))
    print(_stat_line(f"NPV ({sc.currency})", summary["npv"], _money))
    print(_stat_line("ROI", summary["roi"], lambda x: _fmt("roi", x)))
    print(_stat_line("Payback (years)", summary["payback_years"], _years))
    print(f"P(NPV > 0)                {summary['prob_npv_positive']:.1%}")
    print(f"P(payback within {sc.horizon_years} y)    {summary['prob_payback_within_horizon']:.1%}")
    if n_fields == 0:
        print("(no field carries a distribution: every draw is the base case)")
    return EXIT_OK


def _cmd_tornado(args: argparse.Namespace) -> int:
    from cxroi.scenario import load_scenario
    from cxroi.uncertainty import tornado

    sc = load_scenario(args.scenario)
    rows = tornado(sc)
    if args.json:
        print(_dumps(rows))
        return EXIT_OK
    if not rows:
        print(f"{sc.name}: no field carries a distribution; nothing to swing.")
        return EXIT_OK
    print(f"{sc.name}: NPV ({sc.currency}) with each field at its P10 and P90, others at base")
    for r in rows:
        swing = abs(r["npv_high"] - r["npv_low"])
        print(
            f"{r['path']}\n    {r['low']:>14.6g} -> NPV {_money(r['npv_low']):>14}"
            f"   {r['high']:>14.6g} -> NPV {_money(r['npv_high']):>14}   swing {_money(swing)}"
        )
    return EXIT_OK


def _cmd_breakeven(args: argparse.Namespace) -> int:
    from cxroi.scenario import load_scenario
    from cxroi.uncertainty import switching_value, switching_values

    sc = load_scenario(args.scenario)
    if args.path:
        result = switching_value(sc, args.path)
        if args.json:
            print(_dumps(result))
        elif result["value"] is None:
            print(f"{args.path}: NPV does not cross zero inside the field's range")
        else:
            print(f"{args.path}: NPV = 0 at {result['value']:.6g}")
        return EXIT_OK
    table = switching_values(sc)
    if args.json:
        records = [
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in table.to_dict(orient="records")
        ]
        print(_dumps(records))
        return EXIT_OK
    print(f"{sc.name}: switching values (NPV = 0, others at base), closest to breaking first")
    for r in table.itertuples():
        value = (
            "none in range"
            if r.switching_value is None or not math.isfinite(r.switching_value)
            else f"{r.switching_value:.6g}"
        )
        change = "" if not math.isfinite(r.change) else f"({r.change:+.0%})"
        print(f"  {r.path:70} base {r.base:>12.6g}  ->  {value:>14} {change}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: exit status 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``cxroi`` argument parser with every subcommand."""
    from cxroi import __version__

    parser = _Parser(
        prog="cxroi",
        description="Customer-experience ROI: business cases from YAML scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"cxroi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("run", help="evaluate a scenario and print its business case")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--json", action="store_true", help="print one JSON object (MODEL.md s.8)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("simulate", help="Monte Carlo over the scenario's distributions")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--draws", type=_positive_int, default=10_000, help="draws (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("tornado", help="NPV swing of each uncertain field (P10 to P90)")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_cmd_tornado)

    p = sub.add_parser("breakeven", help="value of a field at which NPV is zero")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "path", metavar="PATH", nargs="?", help="field path; omit for a table of every field"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_breakeven)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cxroi`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, UsageError) as exc:
        print(f"cxroi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cxroi: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback by default
        if os.environ.get("CXROI_DEBUG"):
            raise
        print(f"cxroi: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
