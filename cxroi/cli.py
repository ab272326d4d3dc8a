"""The ``cxroi`` command line.

Each subcommand is one ``_cmd_<name>(args) -> int`` function registered in :func:`build_parser`.
Invalid input never ends in a traceback: a :class:`~cxroi.model.scenario.ScenarioError` (or a
``ValueError`` from reading a data file) prints one clear message on stderr and exits with
status 2. Set ``CXROI_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence

from cxroi.cli_support import UsageError, _dumps, _load_and_warn
from cxroi.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CxroiError


# --------------------------------------------------------------------------------------------
# cxroi run
# --------------------------------------------------------------------------------------------
def _tei_lines_table(case) -> list[str]:
    """The TEI cash-flow table with one row per benefit line and per cost line."""
    import numpy as np

    from cxroi.model.finite import finite_or_none
    from cxroi.present.formatting import format_amount

    H = case.scenario.horizon_years
    years = list(range(H + 1))
    df = case.cashflow["discount_factor"].to_numpy()
    table = case.line_table()
    heads = ["Initial"] + [f"Year {t}" for t in years[1:]] + ["Total", "Present value"]
    width = 56
    out = [f"{'':{width}}" + "".join(f"{h:>14}" for h in heads)]

    def row(label: str, values) -> str:
        values = np.asarray(values, dtype=float)
        cells = [*values, values.sum(), (values * df).sum()]
        text = label if len(label) <= width - 2 else label[: width - 5] + "..."
        return f"{text:{width}}" + "".join(f"{format_amount(v):>14}" for v in cells)

    for kind, total_label in (("benefit", "Total benefits"), ("cost", "Total costs")):
        part = table[table.kind == kind]
        for _, r in part.iterrows():
            who = r.initiative if isinstance(r.initiative, str) else "All segments"
            risk = "" if finite_or_none(r.risk) is None else f" (risk {r.risk:.0%})"
            out.append(row(f"  {who}: {r.line}{risk}", [r[t] for t in years]))
        key = "benefits" if kind == "benefit" else "costs"
        out.append(row(total_label, case.cashflow[key]))
        out.append(
            row(
                "  of which risk adjustment",
                case.cashflow[key] - case.cashflow[f"{key}_unadjusted"],
            )
        )
    out.append(row("Net", case.cashflow["net"]))
    cumulative = case.cashflow["cumulative_net"].to_numpy()
    out.append(
        f"{'Cumulative net':{width}}" + "".join(f"{format_amount(v):>14}" for v in cumulative)
    )
    return out


def format_case(case) -> str:
    """A readable, TEI-style text report of a business case."""
    from cxroi.model.fields import FIELDS_BY_PATH
    from cxroi.model.kpis import EQUITY_KEYS, KPI_KEYS, kpi_label
    from cxroi.model.scenario import base_value
    from cxroi.present.formatting import MISSING, format_amount, format_kpi

    sc = case.scenario
    currency = FIELDS_BY_PATH["currency"].title
    lines = [
        f"{sc.name}",
        f"{currency} {sc.currency}, horizon {sc.horizon_years} years, discount rate "
        f"{base_value(sc.discount_rate):.1%}, risk adjustment: benefits "
        f"-{sc.risk.benefit_adjustment_text()}, "
        f"costs +{base_value(sc.risk.cost_adjustment):.0%}",
        "",
        f"{'':34}{'risk-adjusted':>18}{'unadjusted':>18}",
    ]

    def kpi(key: str, value) -> str:
        return format_kpi(key, value, sc.currency, sc.horizon_years)

    for key in KPI_KEYS:
        lines.append(
            f"{kpi_label(key):34}{kpi(key, case.kpis[key]):>18}{kpi(key, case.unadjusted[key]):>18}"
        )
    lines.append("Beside the TEI figures, never inside them:")
    for key in EQUITY_KEYS:
        adj, unadj = case.kpis[key], case.unadjusted[key]
        lines.append(f"{kpi_label(key):34}{kpi(key, adj):>18}{kpi(key, unadj):>18}")
    lines += ["", f"Cash flows (risk-adjusted, {sc.currency})"]
    lines += _tei_lines_table(case)
    unquantified = case.unquantified
    if unquantified:
        lines += ["", "Benefits named but not valued (in no figure)"]
        for name, items in unquantified.items():
            lines.append(f"  {name}")
            lines += [f"    - {item}" for item in items]
    lines += ["", "Value by lever (Shapley, PV of benefits; lines: PV of benefit lines)"]
    for lever, value in case.by_lever.items():
        lines.append(f"  {lever:24}{format_amount(value):>18}")
    lines += ["", "Value by initiative (NPV)"]
    lines.append(f"  {'initiative':40}{'Shapley':>16}{'standalone':>16}{'last in':>16}")
    for name in sc.initiative_names:
        shapley = None if case.by_initiative is None else case.by_initiative[name]
        alone = case.by_initiative_standalone.get(name)
        last = case.by_initiative_last_in.get(name)
        label = name if len(name) <= 38 else name[:35] + "..."
        cells = "".join(f"{format_amount(v):>16}" for v in (shapley, alone, last))
        lines.append(f"  {label:40}{cells}")
    if case.by_initiative is None:
        lines.append("  (Shapley values are not computed beyond 8 initiatives)")
    lines += ["", "Customer lifetime value per new customer"]
    lines.append(f"  {'segment':24}{'baseline':>14}{'with CX':>14}{'CLV:CAC':>16}")
    for name, row in case.by_segment.iterrows():
        ratio = (
            f"{row.clv_to_cac_baseline:.1f} -> {row.clv_to_cac_with_cx:.1f}"
            if math.isfinite(row.clv_to_cac_baseline)
            else MISSING
        )
        lines.append(
            f"  {name:24}{format_amount(row.clv_baseline):>14}"
            f"{format_amount(row.clv_with_cx):>14}{ratio:>16}"
        )
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from cxroi.engine.case import evaluate

    sc, warnings = _load_and_warn(args.scenario)
    case = evaluate(sc)
    for w in case.warnings:
        print(f"cxroi: warning: {w['message']}", file=sys.stderr)
    if args.json:
        out = case.to_json()
        out["warnings"] = warnings + out["warnings"]
        print(_dumps(out))
    else:
        print(format_case(case))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cxroi simulate / tornado / breakeven
# --------------------------------------------------------------------------------------------
def _whole_number(minimum: int):
    """An argparse type: a whole number >= ``minimum``, with a message naming the rule."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value

    return parse


_positive_int = _whole_number(1)


def _draws(text: str) -> int:
    """``--draws``: a whole number from 1 to ``MAX_DRAWS`` (``1e6`` is read as 1000000)."""
    from cxroi.analysis.uncertainty import MAX_DRAWS

    value: int | None
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        value = int(number) if math.isfinite(number) and number.is_integer() else None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    if value > MAX_DRAWS:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_DRAWS:,} (the draw ceiling, MAX_DRAWS), got {text!r}"
        )
    return value


def _years(x: float | None) -> str:
    return "never" if x is None else f"{x:.2f}"


def _stat_line(label: str, stats: dict, fmt) -> str:
    cells = [fmt(stats[k]) for k in ("mean", "p5", "p50", "p95")]
    return f"{label:22}" + "".join(f"{c:>16}" for c in cells)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from cxroi.analysis.uncertainty import simulate
    from cxroi.model.kpis import kpi_label
    from cxroi.present.formatting import format_amount, format_kpi

    sc, warnings = _load_and_warn(args.scenario)
    result = simulate(sc, draws=args.draws, seed=args.seed, keep_draws=False)
    summary = result.summary
    if args.json:
        print(_dumps({**summary, "warnings": warnings}))
        return EXIT_OK
    n_fields = len(sc.distributions())
    print(f"{sc.name}: {summary['draws']:,} draws, seed {args.seed}, {n_fields} uncertain fields")
    print(f"{'':22}" + "".join(f"{h:>16}" for h in ("mean", "P5", "P50", "P95")))
    npv = kpi_label("npv", short=True)
    print(_stat_line(f"{npv} ({sc.currency})", summary["npv"], format_amount))
    print(_stat_line(kpi_label("roi"), summary["roi"], lambda x: format_kpi("roi", x)))
    print(_stat_line("Payback (years)", summary["payback_years"], _years))
    print(f"P(NPV > 0)                {summary['prob_npv_positive']:.1%}")
    print(f"P(payback within {sc.horizon_years} y)    {summary['prob_payback_within_horizon']:.1%}")
    if n_fields == 0:
        print("(no field carries a distribution: every draw is the base case)")
    from cxroi.cli_decisions import print_decision_lines

    print_decision_lines(sc, summary)
    return EXIT_OK


def _cmd_tornado(args: argparse.Namespace) -> int:
    from cxroi.analysis.uncertainty import tornado
    from cxroi.present.formatting import format_amount

    sc, _ = _load_and_warn(args.scenario)  # a JSON list: the warnings go to stderr only
    rows = tornado(sc)
    if args.json:
        print(_dumps(rows))
        return EXIT_OK
    if not rows:
        print(f"{sc.name}: no field carries a distribution; nothing to swing.")
        return EXIT_OK
    print(f"{sc.name}: NPV ({sc.currency}) with each field at its P10 and P90, others at base")
    if sc.correlations:
        print("(one field at a time: the scenario's correlations do not apply to this chart)")
    for r in rows:
        swing = abs(r["npv_high"] - r["npv_low"])
        print(
            f"{r['path']}\n    {r['low']:>14.6g} -> NPV {format_amount(r['npv_low']):>14}"
            f"   {r['high']:>14.6g} -> NPV {format_amount(r['npv_high']):>14}"
            f"   swing {format_amount(swing)}"
        )
    return EXIT_OK


def _cmd_breakeven(args: argparse.Namespace) -> int:
    from cxroi.analysis.uncertainty import switching_value, switching_values
    from cxroi.model.finite import finite_or_none, finite_record

    sc, warnings = _load_and_warn(args.scenario)
    if args.path:
        result = switching_value(sc, args.path)
        if args.json:
            print(_dumps({**result, "warnings": warnings}))
        elif result["value"] is None:
            print(f"{args.path}: NPV does not cross zero inside the field's range")
        else:
            print(f"{args.path}: NPV = 0 at {result['value']:.6g}")
        return EXIT_OK
    table = switching_values(sc)
    if args.json:
        records = [finite_record(r) for r in table.to_dict(orient="records")]
        print(_dumps(records))
        return EXIT_OK
    print(f"{sc.name}: switching values (NPV = 0, others at base), closest to breaking first")
    if sc.correlations:
        print("(one field at a time: the scenario's correlations do not apply here)")
    for r in table.itertuples():
        value = (
            "none in range"
            if finite_or_none(r.switching_value) is None
            else f"{r.switching_value:.6g}"
        )
        change = "" if not math.isfinite(r.change) else f"({r.change:+.0%})"
        print(f"  {r.path:70} base {r.base:>12.6g}  ->  {value:>14} {change}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cxroi report
# --------------------------------------------------------------------------------------------
def _writable_target(text: str) -> str:
    """The output path of ``--pdf``: refused (exit 2) when its folder cannot be written."""
    from pathlib import Path

    target = Path(text)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"--pdf: {text!r} is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"--pdf: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--pdf: folder {str(folder)!r} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"--pdf: file {text!r} is not writable")
    return text


def _cmd_report(args: argparse.Namespace) -> int:
    from cxroi.outputs.boardpack import board_pack_html, write_pdf

    if not args.pdf:
        raise UsageError("report: give --pdf FILE (the board pack is written as a PDF)")
    target = _writable_target(args.pdf)
    sc, _ = _load_and_warn(args.scenario)
    document = board_pack_html(sc, paper=args.paper, seed=args.seed)
    try:
        write_pdf(document, target, paper=args.paper)
    except OSError as exc:
        raise UsageError(f"--pdf: cannot write {args.pdf!r}: {exc.strerror or exc}") from None
    print(f"wrote {target}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cxroi serve
# --------------------------------------------------------------------------------------------
def _cmd_serve(args: argparse.Namespace) -> int:
    from cxroi.app.serve import options_from_args, serve

    return serve(args.scenario, options_from_args(args))


# --------------------------------------------------------------------------------------------
# cxroi init, cxroi examples: what the package ships (cxroi.bundle)
# --------------------------------------------------------------------------------------------
def _cmd_init(args: argparse.Namespace) -> int:
    from cxroi.bundle import init_case

    try:
        written = init_case(args.directory, force=args.force)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"cxroi: laid out a new case in {args.directory} ({len(written)} files: scenarios/, "
        f"notebooks/, README.md); next: cxroi serve {args.directory}/scenarios/default.yaml",
        file=sys.stderr,
    )
    return EXIT_OK


def _scenario_title(path) -> str:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get("name", "")) if isinstance(data, dict) else ""


def _cmd_examples(args: argparse.Namespace) -> int:
    from cxroi.bundle import bundle_root, examples

    listing = examples()
    root = bundle_root()
    if args.json:
        print(_dumps({"root": str(root.resolve()), **listing}))
        return EXIT_OK
    print(f"Bundled with cxroi (copy them with `cxroi init DIR`; files under {root}):")
    for group, items in listing.items():
        print(f"\n{group}:")
        for item in items:
            title = _scenario_title(root / item) if item.endswith(".yaml") else ""
            print(f"  {item:<44} {title}".rstrip())
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# cxroi calibrate
# --------------------------------------------------------------------------------------------
def _cmd_calibrate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cxroi.analysis.calibration import (
        CalibrationError,
        calibrate,
        format_calibration,
        write_scenario_with_retention,
    )
    from cxroi.model.scenario import base_value, load_scenario

    if not args.into and (args.segment or args.out or args.force):
        raise UsageError("--segment, --out and --force only apply with --into SCENARIO")
    discount_rate = args.discount_rate
    out = None
    if args.into:  # check the destination before fitting, so mistakes show up first
        into = Path(args.into)
        scenario = load_scenario(into)
        names = scenario.segment_names
        if args.segment is None and len(names) > 1:
            raise UsageError(
                f"{into}: say which segment gets the fitted retention with --segment "
                f"(segments: {', '.join(names)})"
            )
        if args.segment is not None and args.segment not in names:
            raise UsageError(
                f"{into}: no segment named {args.segment!r} (segments: {', '.join(names)})"
            )
        out = Path(args.out) if args.out else into.with_name(f"{into.stem}-calibrated.yaml")
        if out.exists() and not args.force:
            raise UsageError(f"{out} already exists; pass --force to replace it")
        if discount_rate is None:
            discount_rate = base_value(scenario.discount_rate)
    try:
        cal = calibrate(
            args.csv,
            fit_periods=args.fit_periods,
            discount_rate=0.10 if discount_rate is None else discount_rate,
            tenure=args.tenure,
            level=args.level,
            cohort=args.cohort,
        )
        fit = cal.fit(args.cohort)
        if args.json:
            print(_dumps(cal.to_json(args.cohort)))
        else:
            print(format_calibration(cal, args.cohort))
        if out is not None:
            if not fit.sbg.converged:
                print(
                    f"cxroi: warning: the sBG fit is not a clean maximum ({fit.sbg.message}); "
                    f"a constant retention of {fit.constant.retention:.4f} may serve as well",
                    file=sys.stderr,
                )
            tenure = args.tenure
            if args.tenure_mix_from_table:
                from cxroi.analysis.calibration import tenure_mix_from_table

                tenure = tenure_mix_from_table(cal.table)
            write_scenario_with_retention(
                into,
                fit,
                out,
                segment=args.segment,
                tenure=tenure,
                table=cal.table,
                force=args.force,
            )
            sink = sys.stderr if args.json else sys.stdout
            print(
                f"\nWrote {out}: fitted retention alpha {fit.sbg.alpha:.6g}, beta "
                f"{fit.sbg.beta:.6g}, tenure {tenure} in segment "
                f"{args.segment or names[0]}. Next: cxroi run {out}",
                file=sink,
            )
    except CalibrationError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


_nonneg_int = _whole_number(0)


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a level such as 0.95, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a level between 0 and 1, got {text!r}")
    return value


# --------------------------------------------------------------------------------------------
# cxroi batch
# --------------------------------------------------------------------------------------------
def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _cmd_batch(args: argparse.Namespace) -> int:
    from cxroi.outputs.batch import BatchError, run_batch

    if args.base:  # a bad base is a usage error before any work starts
        from cxroi.model.scenario import load_scenario

        load_scenario(args.base)
    try:
        result = run_batch(
            args.paths,
            args.out,
            jobs=args.jobs,
            notebooks=not args.no_notebooks,
            force=args.force,
            scheduler=args.scheduler,
            timeout=args.timeout,
            wait=args.wait,
            workbooks=not args.no_workbooks,
            options={"argv": ["cxroi", "batch", *args.raw_argv]},
        )
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    counts = result.counts()
    print(
        f"{counts['ok']} ok, {counts['failed']} failed"
        f" ({counts['reused']} unchanged since the last run, not redone)"
        f" -> {result.out_dir}"
    )
    for rec in result.failed:
        print(f"cxroi: failed: {rec['file']}: {rec['error']}", file=sys.stderr)
    if args.base:
        from cxroi.cli_decisions import write_bridges

        write_bridges(args.base, result)
    if result.interrupted:
        print(
            "cxroi: interrupted; finished scenarios are kept, run again to go on", file=sys.stderr
        )
    return result.exit_code


def _cmd_workbook(args: argparse.Namespace) -> int:
    from cxroi.outputs.workbook import WorkbookError, write_workbook

    sc, _ = _load_and_warn(args.scenario)
    try:
        path = write_workbook(sc, args.out, source=args.scenario)
    except WorkbookError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {path}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """The parser of ``cxroi`` and of each subcommand.

    A subcommand whose options are declared in a module that is costly to import (``serve``,
    whose options live with the server) gets them through :meth:`defer`: they are added the
    first time that subcommand's parser parses or shows its help, so ``cxroi run`` never
    imports that module.
    """

    _deferred: Callable[[argparse.ArgumentParser], None] | None = None

    def defer(self, add_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
        """Call ``add_arguments(self)`` when this parser is first used, not now."""
        self._deferred = add_arguments

    def _add_deferred(self) -> None:
        if self._deferred is not None:
            add_arguments, self._deferred = self._deferred, None
            add_arguments(self)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._add_deferred()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._add_deferred()
        return super().format_usage()

    def format_help(self) -> str:
        self._add_deferred()
        return super().format_help()

    def error(self, message: str):  # argparse's own usage errors: exit status 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from cxroi.app.serve import add_arguments

    add_arguments(parser)


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
    p.add_argument("--json", action="store_true", help="print one JSON object (docs/model.md §8)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("simulate", help="Monte Carlo over the scenario's distributions")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--draws", type=_draws, default=10_000, help="draws, 1 to 10,000,000 (default 10000)"
    )
    p.add_argument("--seed", type=_whole_number(0), default=0, help="random seed, >= 0 (default 0)")
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

    p = sub.add_parser(
        "workbook",
        help="write the live driver workbook (.xlsx) of a scenario",
        description="Write SCENARIO as a spreadsheet whose every figure is a formula over its "
        "Inputs sheet: change an input, recalculate, and the NPV, IRR and payback follow "
        "(docs/batch.md). Written atomically; exit status 2 on a bad scenario or path.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--out", metavar="FILE.xlsx", required=True, help="workbook to write")
    p.set_defaults(func=_cmd_workbook)

    p = sub.add_parser(
        "report",
        help="write the board pack of a scenario as a landscape PDF",
        description="Render the board pack (headline, KPI cards, value bridge, cash flows, "
        "TEI table, value by initiative, uncertainty, assumptions with sources) to a "
        "landscape PDF with headless Chromium. The file is written whole or not at all.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--pdf", metavar="FILE", help="PDF file to write")
    p.add_argument("--paper", choices=["A4", "Letter"], default="A4", help="paper (landscape)")
    p.add_argument("--seed", type=_whole_number(0), default=0, help="Monte Carlo seed (default 0)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "serve",
        help="open the executive dashboard (Voila) on a scenario",
        description="Serve the dashboard notebook with Voila on SCENARIO (default "
        "scenarios/default.yaml), offline, bound to 127.0.0.1 unless --host says otherwise.",
    )
    p.defer(_serve_arguments)  # its options live with the server: imported only for serve
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser(
        "init",
        help="lay out a new case: scenarios/, notebooks/ and a README in DIR",
        description="Copy the bundled scenarios (with cohort data) and notebooks into DIR, "
        "with a README of the next commands. DIR must be new or empty unless --force.",
    )
    p.add_argument("directory", metavar="DIR", help="folder to create (or an empty one)")
    p.add_argument("--force", action="store_true", help="write into a non-empty DIR")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("examples", help="list the bundled scenarios, notebooks and cohort data")
    p.add_argument("--json", action="store_true", help="print the listing as JSON")
    p.set_defaults(func=_cmd_examples)

    p = sub.add_parser(
        "calibrate",
        help="fit sBG retention to cohort counts (CSV); --into writes it into a scenario",
        description="Fit the shifted-beta-geometric retention model (Fader & Hardie 2007) to "
        "a cohort table: long (cohort, period, active) or wide (cohort, 0, 1, 2, ...). Prints "
        "the fit with profile-likelihood intervals, observed against fitted survivors and a "
        "backtest against constant retention. With --into, writes a copy of SCENARIO whose "
        "segment retention is the fitted {alpha, beta, tenure}.",
    )
    p.add_argument("csv", metavar="CSV", help="cohort table (CSV)")
    p.add_argument("--into", metavar="SCENARIO", help="scenario to copy with the fitted retention")
    p.add_argument("--segment", metavar="NAME", help="segment of SCENARIO that gets the fit")
    p.add_argument(
        "--out",
        metavar="NEW_SCENARIO",
        help="file to write (default: SCENARIO's name with -calibrated)",
    )
    p.add_argument("--force", action="store_true", help="replace NEW_SCENARIO if it exists")
    p.add_argument(
        "--tenure",
        type=_nonneg_int,
        metavar="K",
        default=0,
        help="renewals the segment's current customers have made (default 0)",
    )
    p.add_argument(
        "--tenure-mix-from-table",
        action="store_true",
        help="with --into: write a tenure mix, today's customers by renewals made, read from "
        "the cohort table (each cohort's last count at its age)",
    )
    p.add_argument(
        "--cohort", metavar="NAME", help="use this cohort's own fit (default: pooled over all)"
    )
    p.add_argument(
        "--fit-periods",
        type=_positive_int,
        metavar="T",
        help="fit periods 0..T only; later periods are held out (default: all)",
    )
    p.add_argument(
        "--discount-rate",
        type=float,
        metavar="D",
        help="for DEL and DERL (default: SCENARIO's, else 0.10)",
    )
    p.add_argument("--level", type=_level, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--json", action="store_true", help="print the fit as JSON")
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser(
        "batch",
        help="run many scenarios: papermill reports, summary.csv/xlsx and a manifest",
        description="Run every scenario in PATHS (YAML files, or folders of them) in parallel. "
        "Writes DIR/<scenario>/report.ipynb, report.html and workbook.xlsx (the live "
        "driver workbook), DIR/summary.csv, "
        "DIR/summary.xlsx and DIR/manifest.json, each atomically. Scenarios already done "
        "with the same input and cxroi version are skipped (--force redoes them). Exit "
        "status 1 if any scenario failed, 2 on bad arguments.",
    )
    p.add_argument("paths", metavar="PATHS", nargs="+", help="scenario files or folders")
    p.add_argument("--out", metavar="DIR", required=True, help="output folder")
    p.add_argument(
        "--jobs", type=_positive_int, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--no-notebooks", action="store_true", help="only the summary: no reports (fast)"
    )
    p.add_argument(
        "--no-workbooks",
        action="store_true",
        help="no live workbook per scenario (DIR/<scenario>/workbook.xlsx); faster",
    )
    p.add_argument("--force", action="store_true", help="redo scenarios that are unchanged")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler")
    p.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        default=300.0,
        help="time limit per scenario; one that takes longer is marked failed (default 300)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another batch is writing into DIR, wait for it instead of refusing",
    )
    p.add_argument(
        "--base",
        metavar="SCENARIO",
        help="also write DIR/bridges.csv and DIR/<scenario>/bridge.json: each scenario's NPV "
        "bridge from this base scenario (as cxroi compare)",
    )
    p.set_defaults(func=_cmd_batch)

    from cxroi.cli_decisions import add_commands as _decision_commands

    _decision_commands(sub)  # compare, sweep, goalseek
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cxroi`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.raw_argv = list(sys.argv[2:] if argv is None else argv[1:])
    try:
        return int(args.func(args) or 0)
    except CxroiError as exc:  # the one place errors become exit statuses (cxroi.errors)
        print(f"cxroi: {exc}", file=sys.stderr)
        return exc.exit_code
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
