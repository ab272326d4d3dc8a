"""The decision-analysis commands of ``cxroi``: compare, sweep and goal seek (docs/decisions.md).

Registered by :func:`cxroi.cli.build_parser` through :func:`add_commands`. As everywhere in the
command line, bad input (an unknown path, a value outside its field's range, an unknown KPI)
prints one message naming it on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from cxroi.model.finite import finite_or_none
from cxroi.model.issues import ScenarioError, ScenarioIssue  # light: not the pydantic model


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text[:60]!r}")
    return value


def _value_text(key: str, x: float | None) -> str:
    """A KPI's value in the sweep and goal-seek tables: two more digits than its card."""
    from cxroi.present.formatting import KPI_KINDS, format_amount

    if finite_or_none(x) is None or KPI_KINDS.get(key) not in ("pct", "years"):
        return format_amount(x)
    return f"{x:.2%}" if KPI_KINDS[key] == "pct" else f"{x:.3f}"


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.6g}"


# --------------------------------------------------------------------------------------------
# cxroi compare
# --------------------------------------------------------------------------------------------
def _cmd_compare(args: argparse.Namespace) -> int:
    from cxroi.analysis.compare import compare
    from cxroi.cli_support import _dumps, _load_and_warn
    from cxroi.present.decisions import format_comparison

    sa, _ = _load_and_warn(args.a)
    sb, _ = _load_and_warn(args.b)
    result = compare(sa, sb)
    print(_dumps(result.to_json()) if args.json else format_comparison(result))
    return 0


# --------------------------------------------------------------------------------------------
# cxroi sweep
# --------------------------------------------------------------------------------------------
def _parse_sets(items: list[str]) -> dict[str, list[float]]:
    from cxroi.analysis.whatif import parse_values

    out: dict[str, list[float]] = {}
    for item in items:
        path, eq, text = item.rpartition("=")
        path = path.strip()
        if not eq or not path:
            shown = item if len(item) <= 80 else item[:77] + "..."
            raise ScenarioError(
                ScenarioIssue("--set", "must be PATH=V1,V2,... or PATH=lo:hi:n", shown)
            )
        if path in out:
            raise ScenarioError(ScenarioIssue(path, "is given twice in --set"))
        out[path] = parse_values(path, text)
    return out


def _write_table(table, out: str) -> None:
    from cxroi.cli_support import UsageError
    from cxroi.model.safety import atomic_path

    target = Path(out)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"--out: the file must end in .csv or .xlsx (got {out[:80]!r})")
    if not target.parent.is_dir():
        raise UsageError(f"--out: the folder {str(target.parent)[:80]!r} does not exist")
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_excel(tmp, index=False, engine="openpyxl")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from cxroi.analysis.whatif import kpi_names, sweep, sweep_json
    from cxroi.cli_support import _dumps, _load_and_warn

    if args.kpi not in kpi_names():
        raise ScenarioError(
            ScenarioIssue("--kpi", f"must be one of {', '.join(kpi_names())}", args.kpi)
        )
    sc, _ = _load_and_warn(args.scenario)
    values = _parse_sets(args.set)
    # customer equity is the costliest KPI: computed when printed or written
    table = sweep(sc, values, equity=bool(args.json or args.out or "equity" in args.kpi))
    paths = list(values)
    if args.out:
        _write_table(table, args.out)
    if args.json:
        print(_dumps(sweep_json(table, paths)))
        return 0
    kpi = args.kpi
    unit = "" if kpi in ("roi", "irr") or kpi.endswith("_years") else f", {sc.currency}"
    print(f"{sc.name}: {kpi}{unit} (risk-adjusted), other fields at base")
    if len(paths) == 2:
        p1, p2 = paths
        grid = table.pivot(index=p1, columns=p2, values=kpi)
        print(f"rows: {p1}\ncolumns: {p2}")
        head = f"{'':>14}" + "".join(f"{c:>16.6g}" for c in grid.columns)
        print(head)
        for r, row in grid.iterrows():
            print(f"{r:>14.6g}" + "".join(f"{_value_text(kpi, v):>16}" for v in row))
    else:
        print("".join(f"{p[-40:]:>42}" for p in paths) + f"{kpi:>18}")
        for record in table[paths + [kpi]].itertuples(index=False):
            cells = "".join(f"{v:>42.6g}" for v in record[:-1])
            print(cells + f"{_value_text(kpi, record[-1]):>18}")
    if args.out:
        print(f"Wrote {args.out} ({len(table)} rows, every KPI)")
    return 0


# --------------------------------------------------------------------------------------------
# cxroi goalseek
# --------------------------------------------------------------------------------------------
def _cmd_goalseek(args: argparse.Namespace) -> int:
    from cxroi.analysis.whatif import goal_seek
    from cxroi.cli_support import _dumps, _load_and_warn
    from cxroi.model.scenario import base_value

    sc, _ = _load_and_warn(args.scenario)
    result = goal_seek(sc, args.path, args.kpi, args.target)
    if args.json:
        print(_dumps(result))
        return 0
    goal = f"{args.kpi} = {_value_text(args.kpi, args.target)}"
    if result["value"] is None:
        print(f"{args.path}: no value inside the field's range gives {goal} (others at base)")
    else:
        current = sc.fields().get(args.path)
        base = "" if current is None else f" (base {_number(float(base_value(current)))})"
        print(f"{args.path}: {goal} at {_number(result['value'])}{base}, other fields at base")
    return 0


def add_commands(sub) -> None:
    """Register ``compare``, ``sweep`` and ``goalseek`` on the ``cxroi`` subparsers."""
    p = sub.add_parser(
        "compare",
        help="compare two scenarios: KPIs and an NPV bridge (Shapley split of the change)",
        description="Evaluate scenarios A and B (one currency) and split the change in NPV "
        "exactly over the fields that differ (Shapley values; up to 12 changes one by one, "
        "else grouped by segment, initiative and top-level field).",
    )
    p.add_argument("a", metavar="A", help="scenario YAML file (from)")
    p.add_argument("b", metavar="B", help="scenario YAML file (to)")
    p.add_argument("--json", action="store_true", help="print {a, b, delta, ...} as JSON")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "sweep",
        help="evaluate a grid of values of one or more fields (a data table)",
        description="Evaluate every combination of the values given with --set, the other "
        "fields at base. With two paths, prints a two-way table of --kpi.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="PATH=VALUES",
        help="field path and values: V1,V2,... or lo:hi:n (n evenly spaced, ends included)",
    )
    p.add_argument("--kpi", default="npv", help="KPI of the printed table (default npv)")
    p.add_argument("--json", action="store_true", help="print {paths, rows} as JSON")
    p.add_argument("--out", metavar="FILE", help="write every point and KPI to FILE.csv/.xlsx")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser(
        "goalseek",
        help="value of a field at which a KPI reaches a target (others at base)",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("path", metavar="PATH", help="field path, e.g. discount_rate")
    p.add_argument("--kpi", default="npv", help="KPI to aim at (default npv)")
    p.add_argument(
        "--target", type=_finite_float, default=0.0, help="target value (default 0; ROI 1 = 100%%)"
    )
    p.add_argument("--json", action="store_true", help="print {path, kpi, target, value}")
    p.set_defaults(func=_cmd_goalseek)


def print_decision_lines(sc, summary: dict) -> None:
    """Expected against base-case NPV, and the value of information, under ``cxroi simulate``."""
    from cxroi.engine.case import evaluate
    from cxroi.present.decisions import information_sentences
    from cxroi.present.formatting import format_money

    base = evaluate(sc).kpis["npv"]
    mean = summary["npv"]["mean"]
    print(
        f"Base-case NPV {format_money(base, sc.currency)}; expected NPV (mean of the draws) "
        f"{format_money(mean, sc.currency)}; P(NPV > 0) {summary['prob_npv_positive']:.1%}"
    )
    if sc.correlations:
        print(f"Draws follow the scenario's {len(sc.correlations)} rank correlation(s).")
    if summary.get("evppi"):
        print("\nValue of information (go / no-go on NPV > 0):")
        for line in information_sentences(summary, sc.currency):
            print(f"  {line}")


def write_bridges(base: str, result) -> None:
    """``cxroi batch --base``: each scenario's NPV bridge from the base, written atomically.

    ``DIR/bridges.csv`` has one row per scenario (``npv_base``, ``npv``, ``npv_change`` and a
    ``change:<path>`` column per change found in any scenario); ``DIR/<scenario>/bridge.json``
    is the ``cxroi compare --json`` object of that scenario against the base.
    """
    import json

    import pandas as pd

    from cxroi.analysis.compare import bridge_rows
    from cxroi.model.safety import atomic_path, atomic_write

    rows = bridge_rows(base, result.records)
    for rec, row in zip(result.records, rows, strict=True):
        bridge = row.pop("bridge", None)
        folder = Path(result.out_dir) / (rec.get("dir") or "")
        if bridge is not None and rec.get("dir") and folder.is_dir():
            atomic_write(folder / "bridge.json", json.dumps(bridge, indent=2, allow_nan=False))
    with atomic_path(Path(result.out_dir) / "bridges.csv") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    print(f"NPV bridges from {base}: {Path(result.out_dir) / 'bridges.csv'}")
