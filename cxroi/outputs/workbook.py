"""The live driver workbook: the business case as spreadsheet formulas over its inputs.

:func:`write_workbook` writes one scenario as an ``.xlsx`` file that recalculates by itself in
Excel or LibreOffice. Change an input and every figure follows, as ``cxroi run`` on the changed
scenario would give (docs/model.md §3-§5):

* ``Inputs``: one row per input, its field path (``segments[Mass market].retention``), its value
  (a workbook name such as ``s1_retention`` points at it), unit, kind (given, default,
  benchmark default, derived), source, note, date and label (unit and label are the field
  registry's, :mod:`cxroi.model.fields`);
* one sheet per segment: the levers by year (section 3), the retention of every cohort in every
  year, the active customers of every cohort at the start of each year, and the yearly lines
  (active, churned, new, revenue, gross margin, service cost, acquisition cost, contribution),
  for the baseline and with CX (section 4);
* ``Case``: benefits by segment, costs by initiative, the risk adjustment, net and discounted
  flows, and the KPIs with workbook names ``npv``, ``pv_benefits``, ``pv_costs``, ``roi``,
  ``irr``, ``payback_years`` at their cells (section 5);
* ``Attribution``: the Shapley values by lever and by initiative, written as values: they need
  every coalition of levers or initiatives projected again, which a sheet of formulas would
  only copy (the sheet says so);
* ``Notes``: conventions and what is a formula.

Every formula cell carries cxroi's own number as its cached value, so pandas and openpyxl read
numbers without a spreadsheet engine. The file is built in memory and written atomically.

XlsxWriter writes the file: it streams cells without building a document model (several times
faster than openpyxl for the same cells), and it stores a cached value beside each formula,
which openpyxl cannot.

Size: this module is larger than the ~800 lines the package aims at on purpose: one writer lays out
every sheet, and the sheets refer to each other's cells and workbook names, which must agree; split
apart, those addresses would have to be passed between modules.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cxroi.model.distributions import base_float
from cxroi.model.fields import field_doc, unit_text
from cxroi.model.finite import finite_or_none
from cxroi.model.kpis import KPI_KEYS, KPIS, kpi_label
from cxroi.model.paths import parent
from cxroi.model.safety import atomic_write, neutralise
from cxroi.model.scenario import EFFECT_FIELDS, SEGMENT_NUMBERS, Distribution, Scenario

__all__ = [
    "KPI_NAMES",
    "WorkbookError",
    "sheet_title",
    "workbook_bytes",
    "write_summary_workbook",
    "write_workbook",
]

#: Workbook names of the result cells on the ``Case`` sheet (risk-adjusted; the same name with
#: ``_unadjusted`` appended points at the unadjusted figure).
KPI_NAMES = KPI_KEYS

_INVALID_TITLE = re.compile(r"[\[\]:*?/\\']")
_MONEY = "#,##0.00"
_PCT = "0.00%"
_RATE = "0.000000"
_COUNT = "#,##0.00"
_YEARS = "0.00"
#: Lowest rate of the IRR bracket (docs/model.md §5); NPV there and at the top decide a root.
_IRR_LO, _IRR_HI = -0.9999, 1e6
_SIGN_TOLERANCE = "1E-9"


class WorkbookError(ValueError):
    """The workbook cannot be written (an unwritable path, a folder in the way)."""


def sheet_title(index: int, kind: str, name: str) -> str:
    r"""A valid worksheet title: ``"S1 Mass market"`` (at most 31 characters).

    Excel titles hold none of ``[ ] : * ? / \``; apostrophes are dropped too so that formulas
    can always quote the title. The index makes titles unique.

    Examples
    --------
    >>> sheet_title(1, "S", 'Retail: base/best [2026]?')
    'S1 Retail base best 2026'
    >>> len(sheet_title(12, "S", "x" * 40))
    31
    """
    clean = re.sub(r"\s+", " ", _INVALID_TITLE.sub(" ", str(name))).strip()
    clean = "".join(ch for ch in clean if ch.isprintable())
    return f"{kind}{index} {clean}"[:31].rstrip()


def _col(index: int) -> str:
    """Column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of 0-based (row, col)."""
    if absolute:
        return f"${_col(col)}${row + 1}"
    return f"{_col(col)}{row + 1}"


def _ref(sheet: str, row: int, col: int) -> str:
    return f"'{sheet}'!{_cell(row, col)}"


def _num(x: float) -> str:
    """A number as formula text (exact round trip)."""
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def _cached(x: Any) -> Any:
    """Cached value of a formula cell: a finite number, or an empty text for null."""
    value = finite_or_none(x)
    return "" if value is None else value


_base = base_float


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
@dataclass
class _Input:
    path: str
    name: str
    value: float
    unit: str
    kind: str
    source: str
    note: str = ""
    as_of: str = ""
    formula: str | None = None  # a derived input: its formula over other inputs
    label: str = ""  # the field registry's label


def _provenance_text(scenario: Scenario, path: str, prov: dict) -> tuple[str, str, str, str]:
    """(kind, source, note, as of) of a field path."""
    from cxroi.present.report import SOURCE_LABELS, user_evidence

    p = prov.get(path)
    if p is None:  # an effect or retention parameter: given where listed
        p = prov.get(parent(path))
    kind = SOURCE_LABELS.get(getattr(p, "source", "user"), "given")
    note = getattr(p, "note", "") or ""
    own = user_evidence(scenario, path)
    source = (getattr(own, "source", None) or "") if own is not None else ""
    as_of = str(getattr(own, "as_of", None) or "") if own is not None else ""
    if own is not None and getattr(own, "note", None):
        note = own.note
    if not source:
        if kind == "benchmark default":
            source = note.split(". Caveat", 1)[0]
        elif kind == "default":
            source = "model default"
        elif kind == "derived":
            source = "computed from other inputs"
        else:
            source = "not sourced"
    return kind, source, note, as_of


def _inputs(sc: Scenario) -> tuple[list[_Input], dict[str, str]]:
    """The input rows, and a map from field path to workbook name."""
    cur = sc.currency
    prov = sc.provenance()
    rows: list[_Input] = []

    def add(path: str, name: str, value: Any, formula: str | None = None) -> None:
        kind, source, note, as_of = _provenance_text(sc, path, prov)
        if isinstance(value, Distribution):
            spec = value.to_mapping()
            dist = spec.pop("dist")
            args = ", ".join(f"{k}={v}" for k, v in spec.items())
            note = (note + "; " if note else "") + f"distribution {dist}({args}); base value used"
        doc = field_doc(path)
        rows.append(
            _Input(path, name, _base(value), unit_text(path, cur), kind, source, note, as_of,
                   formula=formula, label=doc.title if doc is not None else "")
        )  # fmt: skip

    add("discount_rate", "discount_rate", sc.discount_rate)
    badj = sc.risk.benefit_adjustment
    if _by_lever(sc):  # one adjustment per lever and lines; "default" for those not given
        given = badj.default
        add("risk.benefit_adjustment.default", "b_default", 0.0 if given is None else given)
        if given is None:
            rows[-1].kind, rows[-1].source = "default", "model default"
        for key in RISK_KEYS:
            own = getattr(badj, key)
            path = f"risk.benefit_adjustment.{key}"
            if own is not None:
                add(path, f"b_{key}", own)
            else:
                add(path, f"b_{key}", 0.0 if given is None else given, formula="b_default")
                rows[-1].kind, rows[-1].source = "default", "from risk.benefit_adjustment.default"
    else:
        add("risk.benefit_adjustment", "benefit_adjustment", badj)
    add("risk.cost_adjustment", "cost_adjustment", sc.risk.cost_adjustment)
    for j, seg in enumerate(sc.segments, start=1):
        base = f"segments[{seg.name}]"
        for key in SEGMENT_NUMBERS:
            add(f"{base}.{key}", f"s{j}_{key}", getattr(seg, key))
        if seg.is_sbg:
            for key in ("alpha", "beta"):
                add(f"{base}.retention.{key}", f"s{j}_{key}", getattr(seg.retention, key))
            mix = _mix(seg)
            if mix is None:
                add(f"{base}.retention.tenure", f"s{j}_tenure", seg.retention.tenure)
            else:  # a tenure mix: the share of today's customers with k renewals made
                for k, share in mix:
                    add(f"{base}.retention.tenure[{k}]", f"s{j}_mix_{k}", share)
        else:
            add(f"{base}.retention", f"s{j}_retention", seg.retention)
        if seg.acquisition == "fixed":
            path = f"{base}.new_customers_per_year"
            if seg.new_customers_per_year is not None:
                add(path, f"s{j}_new_customers_per_year", seg.new_customers_per_year)
            else:
                value = _base(seg.customers) * (1.0 - _base_retention(seg))
                add(path, f"s{j}_new_customers_per_year", value,
                    formula=f"s{j}_customers*{_churn_formula(j, seg)}")  # fmt: skip
    for i, ini in enumerate(sc.initiatives, start=1):
        base = f"initiatives[{ini.name}]"
        if isinstance(ini.capex, dict):
            for t, amount in sorted(ini.capex.items()):
                add(f"{base}.capex[{t}]", f"i{i}_capex_{t}", amount)
        else:
            add(f"{base}.capex", f"i{i}_capex", ini.capex)
        if isinstance(ini.opex, list):
            for k, amount in enumerate(ini.opex, start=1):
                add(f"{base}.opex[{k}]", f"i{i}_opex_{k}", amount)
        else:
            add(f"{base}.opex", f"i{i}_opex", ini.opex)
        for k, g in enumerate(ini.ramp, start=1):
            add(f"{base}.ramp[{k}]", f"i{i}_ramp_{k}", g)
        star = ini.effects.get("*")
        for key in EFFECT_FIELDS:  # every "*" field, so that any effect can be changed
            given = star is not None and key in star.model_fields_set
            path = f"{base}.effects[*].{key}"
            add(path, f"i{i}_all_{key}", getattr(star, key) if given else 0.0)
            if not given:
                rows[-1].kind, rows[-1].source = "default", "model default"
        for j, seg in enumerate(sc.segments, start=1):
            own = ini.effects.get(seg.name)
            for key in EFFECT_FIELDS:
                path = f"{base}.effects[{seg.name}].{key}"
                if own is not None and key in own.model_fields_set:
                    add(path, f"i{i}_s{j}_{key}", getattr(own, key))
                    continue
                # not given for the segment: the "*" value, as a formula one may overwrite
                value = getattr(star, key) if star is not None and key in star.model_fields_set \
                    else 0.0  # fmt: skip
                add(path, f"i{i}_s{j}_{key}", value, formula=f"i{i}_all_{key}")
                rows[-1].kind, rows[-1].source = "default", "from effects[*]"
        for kind, short in (("benefit_lines", "bl"), ("cost_lines", "cl")):
            for n, line in enumerate(getattr(ini, kind, None) or [], start=1):
                where = f"{base}.{kind}[{line.name}]"
                stem = f"i{i}_{short}{n}"
                amount = line.amount
                if isinstance(amount, dict):
                    for t, v in sorted(amount.items()):
                        add(f"{where}.amount[{t}]", f"{stem}_amount_{t}", v)
                elif isinstance(amount, list):
                    for k, v in enumerate(amount, start=1):
                        add(f"{where}.amount[{k}]", f"{stem}_amount_{k}", v)
                else:
                    add(f"{where}.amount", f"{stem}_amount", amount)
                default = (
                    "cost_adjustment" if kind == "cost_lines"
                    else ("b_lines" if _by_lever(sc) else "benefit_adjustment")
                )  # fmt: skip
                if line.risk is not None:
                    add(f"{where}.risk", f"{stem}_risk", line.risk)
                else:
                    value = _risk_value(sc, default)
                    add(f"{where}.risk", f"{stem}_risk", value, formula=default)
                    rows[-1].kind, rows[-1].source = "default", f"from {default}"
    return rows, {r.path: r.name for r in rows}


#: Keys of a by-lever benefit adjustment (docs/model.md §12), ``default`` aside.
RISK_KEYS = ("retention", "wallet", "referral", "service", "lines")


def _by_lever(sc: Scenario) -> bool:
    """Whether the scenario gives its benefit adjustment per lever (a mapping)."""
    return bool(getattr(sc.risk, "by_lever", False))


def _risk_value(sc: Scenario, name: str) -> float:
    """Base value of the adjustment a workbook name stands for (``b_lines``, ...)."""
    risk = sc.risk
    if name == "cost_adjustment":
        return _base(risk.cost_adjustment)
    if name.startswith("b_"):
        return _base(risk.benefit_risk(name[2:]))
    return _base(risk.benefit_adjustment)


def _mix(seg: Any) -> list[tuple[int, float]] | None:
    """A segment's tenure mix as ``[(renewals, share)]``, or None for one tenure."""
    tenure = getattr(seg.retention, "tenure", None) if seg.is_sbg else None
    if not isinstance(tenure, dict):
        return None
    items = sorted(tenure.items(), key=lambda kv: float(kv[0]))
    return [(int(float(k)), _base(v)) for k, v in items]


def _parts(j: int, seg: Any) -> list[tuple[str, str, str, float]]:
    """Today's customers of segment j as cohort-0 parts.

    Each part: (label, formula of its customers today, formula of its renewals made at the
    start of year 1, that number). One part unless the tenure is a mix.
    """
    mix = _mix(seg)
    if mix is None:
        if seg.is_sbg:
            return [("cohort 0 (today's customers)", f"s{j}_customers", f"s{j}_tenure",
                     _base(seg.retention.tenure))]  # fmt: skip
        return [("cohort 0 (today's customers)", f"s{j}_customers", "", 0.0)]
    return [
        (f"cohort 0, {k} renewals made", f"s{j}_customers*s{j}_mix_{k}", str(k), float(k))
        for k, _ in mix
    ]


def _churn_formula(j: int, seg: Any) -> str:
    """Churn of today's customers at their tenure, 1 - r (a tenure mix: its weighted churn)."""
    mix = _mix(seg)
    if mix is None:
        r0 = _retention_formula(j, seg.is_sbg, f"s{j}_tenure" if seg.is_sbg else "")
        return f"(1-{r0})"
    terms = "+".join(
        f"s{j}_mix_{k}*(1-{_retention_formula(j, True, str(k))})" for k, _ in mix
    )
    return f"({terms})"


#: Terms of the sBG residual-value series written in a cell (GAMMALN form), plus a geometric
#: estimate of the rest: within 1e-9 of the sum for a discount rate of 0.1% or more.
EQUITY_TERMS = 2000


def _sbg_residual(j: int, k: str, H: int) -> str:
    """Residual value per customer of an sBG cohort with ``k`` renewals made after year H."""
    b = f"s{j}_beta+{k}"
    c = f"s{j}_alpha+s{j}_beta+{k}"
    J = f"(ROW($A$1:$A${EQUITY_TERMS})-1)"
    m = f"(s{j}_wallet*s{j}_share_of_wallet*s{j}_gross_margin-s{j}_cost_to_serve)"
    N = EQUITY_TERMS
    series = (
        f"SUMPRODUCT(EXP(GAMMALN({b}+{J})-GAMMALN({b})+GAMMALN({c})-GAMMALN({c}+{J}))"
        f"/(1+discount_rate)^({H + 1}+{J}))"
        f"+EXP(GAMMALN({b}+{N})-GAMMALN({b})+GAMMALN({c})-GAMMALN({c}+{N}))"
        f"/(1+discount_rate)^({H + 1 + N})/(1-({b}+{N})/(({c}+{N})*(1+discount_rate)))"
    )
    return (
        f'IF(OR(discount_rate<0,AND(discount_rate=0,s{j}_alpha<=1)),"",{m}*({series}))'
    )


def _sbg_series(a: float, b: float, k: float, d: float, H: int) -> float:
    """sum_j P(j) / (1+d)^(H+1+j) for sBG after k renewals, as the workbook's cell sums it."""
    from scipy.special import gammaln

    N = EQUITY_TERMS
    j = np.arange(N + 1, dtype=float)
    logp = gammaln(b + k + j) - gammaln(b + k) + gammaln(a + b + k) - gammaln(a + b + k + j)
    terms = np.exp(logp - (H + 1 + j) * np.log1p(d))
    # the rest after N terms as a geometric series with the ratio at term N
    tail = terms[N] / (1.0 - (b + k + N) / ((a + b + k + N) * (1.0 + d)))
    return float(terms[:N].sum() + tail)


def _segment_equity_value(sc: Scenario, p: Any, proj: Any, s: int) -> float | None:
    """One segment's customer equity, with CX minus baseline (cached value of its cell)."""
    from cxroi.engine import project as engine

    H = sc.horizon_years
    seg_p = p
    k_base = engine.base_renewals(seg_p) + H
    k_new = np.arange(H - 1, -1, -1, dtype=float)
    rv_base = engine.residual_value(seg_p, k_base)[s]
    rv_new = engine.residual_value(seg_p, np.broadcast_to(k_new, p.is_sbg.shape + (H,)))[s]
    arms = []
    for arm in (0, 1):
        v = (proj.end_base[arm, s] * rv_base).sum() + (proj.end_cohorts[arm, s] * rv_new).sum()
        arms.append(float(v))
    diff = arms[1] - arms[0]
    return finite_or_none(diff)


def _line_amount_formula(amount: Any, stem: str, t: int) -> str | None:
    """The input behind a TEI line's amount in year t, or None where it is 0."""
    if isinstance(amount, dict):
        return f"{stem}_amount_{t}" if t in amount else None
    if t == 0:
        return None
    if isinstance(amount, list):
        return f"{stem}_amount_{min(t, len(amount))}"
    return f"{stem}_amount"


def _plus_lines(first: int, rows: list[int]) -> Callable[[int], str]:
    """Year t's formula of row ``first`` plus the rows ``rows`` (year t in column 1 + t)."""
    return lambda t: _cell(first, 1 + t) + "".join(f"+{_cell(r, 1 + t)}" for r in rows)


def _base_retention(seg: Any) -> float:
    """Retention of today's customers at their tenure (a tenure mix: 1 - its churn)."""
    if seg.is_sbg:
        r = seg.retention
        a, b = _base(r.alpha), _base(r.beta)
        mix: Sequence[tuple[float, float]] = _mix(seg) or [(_base(r.tenure), 1.0)]
        return 1.0 - sum(share * (1.0 - (b + k) / (a + b + k)) for k, share in mix)
    return _base(seg.retention)


def _retention_formula(j: int, sbg: bool, renewals: str) -> str:
    """Retention r(k) of segment j after ``renewals`` renewals (a formula term)."""
    if not sbg:
        return f"s{j}_retention"
    k = f"+{renewals}" if renewals not in ("", "0") else ""
    return f"(s{j}_beta{k})/(s{j}_alpha+s{j}_beta{k})"


# --------------------------------------------------------------------------------------------
# The cohort model in Python, for the cached values of cells the engine does not report
# --------------------------------------------------------------------------------------------
def _cohorts(s: int, p: Any, parts: list[tuple[float, float]], m, new, H: int):
    """Retention r[row, t] and start-of-year actives A[row, t] of every cohort row.

    Rows are today's customers (one per tenure part: customers, renewals made) and then the
    cohorts won in years 1..H; columns are years 1..H (r) and 1..H+1 (A).
    """
    Q = len(parts)
    R = Q + H
    a, b = float(p.alpha[s]), float(p.beta[s])
    r = np.full((R, H), np.nan)
    A = np.full((R, H + 1), np.nan)
    for q, part in enumerate(parts):
        A[q, 0] = part[0]
    for t in range(1, H + 1):
        for row in range(Q + t - 1):
            k = parts[row][1] + t - 1 if row < Q else t - 1 - (row - Q + 1)
            r[row, t - 1] = (b + k) / (a + b + k) if p.is_sbg[s] else float(p.retention[s])
            A[row, t] = A[row, t - 1] * (1.0 - (1.0 - r[row, t - 1]) * m[t - 1])
        A[Q + t - 1, t] = new[t - 1]
    return r, A


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
#: The only spreadsheet functions the workbook uses: all in Excel 2007 and LibreOffice, none of
#: them a "future" or dynamic-array function that XlsxWriter would have to prefix.
FUNCTIONS = ("AND", "COUNT", "COUNTIF", "EXP", "GAMMALN", "IF", "IFERROR", "IRR", "MAX", "MIN",
             "OR", "ROW", "SIGN", "SUM", "SUMPRODUCT")  # fmt: skip


def _worksheet_class() -> type:
    """XlsxWriter's worksheet without its formula rewriting (half the writing time).

    XlsxWriter runs about 30 regular expressions over every formula to prefix functions newer
    than Excel 2007; the workbook uses none (:data:`FUNCTIONS`, checked by a test), so the
    formula is stored as written, less its leading ``=``.
    """
    from xlsxwriter.worksheet import Worksheet

    class _Sheet(Worksheet):
        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            return formula[1:] if formula.startswith("=") else formula

    return _Sheet


class _Writer:
    def __init__(self, case: Any, source: str | None = None):
        import xlsxwriter

        from cxroi.engine import project as engine

        self.case = case
        self.sc: Scenario = case.scenario
        self.H = int(self.sc.horizon_years)
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(
            self.buffer,
            {
                "in_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        wb = self.wb
        wb.worksheet_class = _worksheet_class()
        self.fmt = {
            "head": wb.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1}),
            "title": wb.add_format({"bold": True, "font_size": 13}),
            "bold": wb.add_format({"bold": True}),
            "note": wb.add_format({"italic": True, "font_color": "#555555"}),
            "money": wb.add_format({"num_format": _MONEY}),
            "money_b": wb.add_format({"num_format": _MONEY, "bold": True, "top": 1}),
            "pct": wb.add_format({"num_format": _PCT}),
            "rate": wb.add_format({"num_format": _RATE}),
            "count": wb.add_format({"num_format": _COUNT}),
            "years": wb.add_format({"num_format": _YEARS}),
            "input": wb.add_format({"bg_color": "#FFF2CC", "num_format": "General"}),
            "derived": wb.add_format({"bg_color": "#E2EFDA", "num_format": "General"}),
            "text": wb.add_format({"text_wrap": False}),
        }
        self.p = engine.compile_scenario(self.sc)
        self.levers = engine.levers_in_force(
            self.p, np.array([[0.0] * 4, [1.0] * 4]), np.ones((2, len(self.sc.initiatives)))
        )
        self.source = source

    # -- helpers ---------------------------------------------------------------------------------
    def _setup(self, ws: Any, header_rows: int, first_cols: int, width: int) -> None:
        ws.freeze_panes(header_rows, first_cols)
        ws.set_landscape()
        ws.set_paper(9)  # A4; Letter users print "fit to width" just the same
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, header_rows - 1)
        ws.set_column(0, 0, width)

    def formula(self, ws, row, col, text, value, fmt="money") -> None:
        ws.write_formula(row, col, "=" + text, self.fmt[fmt] if fmt else None, _cached(value))

    def _year_row(self, ws: Any, row: int, title: str, text: Callable[[int], str], values: Any,
                  fmt: str = "money", bold: bool = False) -> None:  # fmt: skip
        """A row titled ``title`` with the formula ``text(t)`` in each year column 0..H."""
        ws.write_string(row, 0, title, self.fmt["bold"] if bold else None)
        for t in range(len(values)):
            self.formula(ws, row, 1 + t, text(t), values[t], fmt)

    def _formula_or_zero(self, ws: Any, row: int, col: int, text: str | None, value: Any) -> None:
        """The formula ``text`` (cached ``value``), or a plain 0 where there is none."""
        if text:
            self.formula(ws, row, col, text, value)
        else:
            ws.write_number(row, col, 0.0, self.fmt["money"])

    def _total_row(self, ws: Any, row: int, title: str, rows: list[int], values: Any) -> None:
        """A bold row summing ``rows`` in each year column 0..H (cached ``values``)."""
        ws.write_string(row, 0, title, self.fmt["bold"])
        values = np.asarray(values)
        for t in range(len(values)):
            c = 1 + t
            cells = f"{_col(c)}{rows[0] + 1}:{_col(c)}{rows[-1] + 1}"
            self.formula(ws, row, c, f"SUM({cells})", values[t], "money_b")

    # -- sheets ---------------------------------------------------------------------------------
    def write(self) -> bytes:
        rows, names = _inputs(self.sc)
        self.names = names
        self._inputs_sheet(rows)
        seg_refs = [self._segment_sheet(j) for j in range(len(self.sc.segments))]
        self._case_sheet(seg_refs)
        self._attribution_sheet()
        self._notes_sheet()
        self.wb.close()
        return self.buffer.getvalue()

    def _inputs_sheet(self, rows: list[_Input]) -> None:
        ws = self.wb.add_worksheet("Inputs")
        header = ["path", "value", "unit", "kind", "source", "note", "as_of", "name", "label"]
        for c, h in enumerate(header):
            ws.write_string(0, c, h, self.fmt["head"])
        for r, item in enumerate(rows, start=1):
            ws.write_string(r, 0, item.path)
            if item.formula:
                self.formula(ws, r, 1, item.formula, item.value, "derived")
            else:
                ws.write_number(r, 1, item.value, self.fmt["input"])
            for c, text in enumerate(
                (item.unit, item.kind, item.source, item.note, item.as_of, item.name, item.label),
                start=2,
            ):
                ws.write_string(r, c, text)
            self.wb.define_name(item.name, f"=Inputs!$B${r + 1}")
        ws.autofilter(0, 0, len(rows), len(header) - 1)
        self._setup(ws, 1, 1, 58)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 3, 22)
        ws.set_column(4, 5, 48)
        ws.set_column(6, 8, 22)

    def _segment_sheet(self, s: int) -> dict[Any, Any]:
        sc, H, p = self.sc, self.H, self.p
        seg = sc.segments[s]
        j = s + 1
        title = sheet_title(j, "S", seg.name)
        ws = self.wb.add_worksheet(title)
        proj = self.case.projection
        m_all, sow_all, ref_all, cts_all = self.levers
        ws.write_string(0, 0, f"Segment {seg.name}: drivers by year", self.fmt["title"])
        ws.write_string(1, 0, "line \\ year", self.fmt["head"])
        for t in range(1, H + 2):
            label = f"Year {t}" if t <= H else f"After year {H}"
            ws.write_string(1, t, label, self.fmt["head"])
        col = {t: t for t in range(1, H + 2)}  # year t in column t
        row = 2
        ws.write_string(row, 0, "Ramp of each initiative (share of full effect)", self.fmt["bold"])
        row += 1
        ramp_rows = []
        for i, ini in enumerate(sc.initiatives, start=1):
            ws.write_string(row, 0, f"ramp: {ini.name}")
            n_ramp = len(ini.ramp)
            for t in range(1, H + 1):
                share = ini.ramp[min(t, n_ramp) - 1]
                self.formula(ws, row, col[t], f"i{i}_ramp_{min(t, n_ramp)}", share, "pct")
            ramp_rows.append(row)
            row += 1

        def effect(i: int, key: str) -> str:
            return f"i{i}_s{j}_{key}"  # the segment's own row (a formula over "*" if not given)

        # retention by cohort and year (the baseline rate; "with CX" scales churn by m_t)
        row += 1
        ws.write_string(
            row, 0, "Retention r(k) of each cohort in each year (baseline)", self.fmt["bold"]
        )
        row += 1
        parts = _parts(j, seg)
        Q = len(parts)
        n0 = _base(seg.customers)
        mix = _mix(seg)
        part_values = [
            (n0 * (mix[q][1] if mix else 1.0), parts[q][3]) for q in range(Q)
        ]
        cohort_labels = [pt[0] for pt in parts] + [
            f"cohort won in year {c}" for c in range(1, H + 1)
        ]
        r_rows = {}
        r_val, _ = _cohorts(s, p, part_values, np.ones(H), np.zeros(H), H)
        for x in range(Q + H - 1):
            ws.write_string(row, 0, f"retention: {cohort_labels[x]}")
            first_year = 1 if x < Q else x - Q + 2
            for t in range(first_year, H + 1):
                if seg.is_sbg:
                    if x < Q:
                        base_k = parts[x][2]
                        k = f"{base_k}+{t - 1}" if base_k else str(t - 1)
                    else:
                        k = str(t - 1 - (x - Q + 1))
                    text = _retention_formula(j, True, k)
                else:
                    text = f"s{j}_retention"
                self.formula(ws, row, col[t], text, r_val[x, t - 1], "rate")
            r_rows[x] = row
            row += 1

        out: dict[Any, Any] = {"title": title}
        I = len(sc.initiatives)
        plain = {"m": "1", "sow": f"s{j}_share_of_wallet", "ref": f"s{j}_referral_share",
                 "cts": f"s{j}_cost_to_serve"}  # fmt: skip
        # with CX, each lever: (effect, term around e*g, joiner, formula around the terms)
        shapes = {
            "m": ("churn_prevented", "(1-%s)", "*",
                  f"1-s{j}_poor_cx_churn_share*s{j}_preventable_share*(1-{{}})"),
            "sow": ("share_of_wallet_lift", "(1+%s)", "*", f"MIN(1,s{j}_share_of_wallet*{{}})"),
            "ref": ("referral_lift", "%s", "+", f"MIN(1,MAX(0,s{j}_referral_share+{{}}))"),
            "cts": ("cost_to_serve_change", "(1+%s)", "*", f"MAX(0,s{j}_cost_to_serve*{{}})"),
        }  # fmt: skip

        def lever_formula(key: str, t: int) -> str:
            """A lever in year t with CX: the initiatives' effects e x ramp g combined."""
            effect_name, term, joiner, outer = shapes[key]
            terms = joiner.join(
                term % f"{effect(i, effect_name)}*{_cell(ramp_rows[i - 1], col[t])}"
                for i in range(1, I + 1)
            )
            return outer.format(terms)

        for arm, label in ((0, "Baseline"), (1, "With CX")):
            row += 1
            ws.write_string(row, 0, f"{label}", self.fmt["title"])
            row += 1
            levers = {}
            m, sow, ref, cts = (x[arm, s] for x in (m_all, sow_all, ref_all, cts_all))
            for key, text, values, fmt in (
                ("m", "churn multiplier m", m, "rate"),
                ("sow", "share of wallet", sow, "rate"),
                ("ref", "referral share", ref, "rate"),
                ("cts", "cost to serve per customer", cts, "money"),
            ):
                ws.write_string(row, 0, f"{text} ({label.lower()})")
                for t in range(1, H + 1):
                    text = plain[key] if arm == 0 else lever_formula(key, t)
                    self.formula(ws, row, col[t], text, values[t - 1], fmt)
                levers[key] = row
                row += 1
            # active customers by cohort at the start of each year
            new_vals = proj.new_customers[arm, s]
            _, A = _cohorts(s, p, part_values, m, new_vals, H)
            row += 1
            ws.write_string(
                row, 0, f"Active customers at the start of the year, by cohort ({label.lower()})",
                self.fmt["bold"],
            )  # fmt: skip
            row += 1
            first_a = row
            lines_row = row + Q + H + 1  # after the matrix and a blank row
            names = ["active", "churned", "new", "revenue", "gross_margin", "service_cost",
                     "acquisition_cost", "contribution", "active_end"]  # fmt: skip
            L = {n: lines_row + k for k, n in enumerate(names)}
            for x in range(Q + H):
                r = first_a + x
                ws.write_string(r, 0, f"active: {cohort_labels[x]}")
                start = 1 if x < Q else x - Q + 2  # cohort won in year c starts in year c+1
                for t in range(start, H + 2):
                    if x < Q and t == 1:
                        text = parts[x][1]
                    elif x >= Q and t == start:
                        text = _cell(L["new"], col[t - 1])
                    else:
                        prev = _cell(r, col[t - 1])
                        rr = _cell(r_rows[x], col[t - 1])
                        mm = _cell(levers["m"], col[t - 1])
                        text = f"{prev}*(1-(1-{rr})*{mm})"
                    self.formula(ws, r, col[t], text, A[x, t - 1], "count")
            last_a = first_a + Q + H - 1
            # yearly lines
            pr = proj.yearly(arm, s)
            pr["active"], pr["new"] = pr["active_start"], pr["new_customers"]
            pr["churned"] = pr["active"] - (pr["active_end"] - pr["new"])
            labels = {
                "active": "active customers (start of year)",
                "churned": "churned during the year",
                "new": "new customers won (active from next year)",
                "revenue": "revenue",
                "gross_margin": "gross margin",
                "service_cost": "service cost",
                "acquisition_cost": "acquisition cost (after referrals)",
                "contribution": "contribution",
                "active_end": "active customers (end of year)",
            }
            for n in names:
                ws.write_string(L[n], 0, f"{labels[n]} ({label.lower()})",
                                self.fmt["bold"] if n == "contribution" else None)  # fmt: skip
            for t in range(1, H + 1):
                c_ = col[t]
                colA = f"{_col(c_)}{first_a + 1}:{_col(c_)}{last_a + 1}"
                nxt = col[t + 1]
                survivors = f"SUM({_col(nxt)}{first_a + 1}:{_col(nxt)}{first_a + Q + t - 1})"
                act = _cell(L["active"], c_)
                if seg.acquisition == "replace":
                    new_text = _cell(L["churned"], c_)
                else:
                    new_text = f"s{j}_new_customers_per_year"
                texts = {
                    "active": f"SUM({colA})",
                    "churned": f"{act}-{survivors}",
                    "new": new_text,
                    "revenue": f"{act}*s{j}_wallet*{_cell(levers['sow'], c_)}",
                    "gross_margin": f"{_cell(L['revenue'], c_)}*s{j}_gross_margin",
                    "service_cost": f"{act}*{_cell(levers['cts'], c_)}",
                    "acquisition_cost": f"{_cell(L['new'], c_)}*s{j}_acquisition_cost"
                    f"*(1-{_cell(levers['ref'], c_)})",
                    "contribution": f"{_cell(L['gross_margin'], c_)}-{_cell(L['service_cost'], c_)}"
                    f"-{_cell(L['acquisition_cost'], c_)}",
                    "active_end": f"SUM({_col(nxt)}{first_a + 1}:{_col(nxt)}{last_a + 1})",
                }
                for n in names:
                    fmt = "count" if n in ("active", "churned", "new", "active_end") else "money"
                    if n == "contribution":
                        fmt = "money_b"
                    self.formula(ws, L[n], c_, texts[n], pr[n][t - 1], fmt)
            out[arm] = {"contribution": L["contribution"], "active_end": L["active_end"],
                        "after": (first_a, last_a)}  # fmt: skip
            row = L["active_end"] + 1
        if "customer_equity" in self.case.kpis:
            out["rv"] = self._residual_values(ws, row + 1, j, seg, parts, part_values, col)
        self._setup(ws, 2, 1, 62)
        ws.set_column(1, H + 1, 15)
        return out

    def _case_sheet(self, seg_refs: list[dict[Any, Any]]) -> None:
        from cxroi.present.report import line_amounts

        case, sc, H = self.case, self.sc, self.H
        ws = self.wb.add_worksheet("Case")
        cf = case.cashflow
        ws.write_string(0, 0, f"Business case: {sc.name} [{sc.currency}]", self.fmt["title"])
        ws.write_string(1, 0, "line \\ year", self.fmt["head"])
        for t in range(H + 1):
            ws.write_string(1, 1 + t, "Initial" if t == 0 else f"Year {t}", self.fmt["head"])
        c_total, c_pv = H + 2, H + 3
        ws.write_string(1, c_total, "Total", self.fmt["head"])
        ws.write_string(1, c_pv, "Present value", self.fmt["head"])

        def span(r: int) -> str:
            return f"$B${r + 1}:${_col(H + 1)}${r + 1}"

        row = 2
        ws.write_string(row, 0, "year")
        for t in range(H + 1):
            ws.write_number(row, 1 + t, t)
        r_year = row
        row += 1
        ws.write_string(row, 0, "discount factor 1/(1+d)^t")
        df = cf["discount_factor"].to_numpy()
        for t in range(H + 1):
            self.formula(ws, row, 1 + t, f"1/(1+discount_rate)^{_cell(r_year, 1 + t)}", df[t],
                         "rate")  # fmt: skip
        r_df = row
        row += 2
        proj = case.projection
        ws.write_string(row, 0, "Customer benefits (with CX - baseline), unadjusted",
                        self.fmt["bold"])  # fmt: skip
        seg_rows = [row + 1 + s for s in range(len(sc.segments))]
        for s, (seg, ref) in enumerate(zip(sc.segments, seg_refs, strict=True)):
            ws.write_string(seg_rows[s], 0, f"customer benefit: {seg.name}")
            ws.write_number(seg_rows[s], 1, 0.0, self.fmt["money"])
            vals = proj.contribution[1, s] - proj.contribution[0, s]
            for t in range(1, H + 1):
                text: str | None = (
                    f"{_ref(ref['title'], ref[1]['contribution'], t)}"
                    f"-{_ref(ref['title'], ref[0]['contribution'], t)}"
                )
                self.formula(ws, seg_rows[s], 1 + t, text, vals[t - 1])
        r_cb = row + 1 + len(seg_rows)
        benefits = cf.get("customer_benefits_unadjusted", cf["benefits_unadjusted"])
        self._total_row(ws, r_cb, "customer benefit, all segments (unadjusted)", seg_rows, benefits)
        row = r_cb + 2
        ws.write_string(row, 0, "Costs by initiative, unadjusted", self.fmt["bold"])
        row += 1
        cost_rows = []
        for i, ini in enumerate(sc.initiatives, start=1):
            ws.write_string(row, 0, f"capex: {ini.name}")
            for t in range(H + 1):
                if isinstance(ini.capex, dict):
                    amount = ini.capex.get(t)
                    text = f"i{i}_capex_{t}" if amount is not None else None
                    amount = 0.0 if amount is None else _base(amount)
                else:
                    text = f"i{i}_capex" if t == 0 else None
                    amount = _base(ini.capex) if t == 0 else 0.0
                self._formula_or_zero(ws, row, 1 + t, text, amount)
            cost_rows.append(row)
            row += 1
            ws.write_string(row, 0, f"opex: {ini.name} (last value held)")
            ws.write_number(row, 1, 0.0, self.fmt["money"])
            for t in range(1, H + 1):
                if isinstance(ini.opex, list):
                    k = min(t, len(ini.opex))
                    text, amount = f"i{i}_opex_{k}", _base(ini.opex[k - 1])
                else:
                    text, amount = f"i{i}_opex", _base(ini.opex)
                self.formula(ws, row, 1 + t, text, amount)
            cost_rows.append(row)
            row += 1
        r_cu = row
        self._total_row(ws, r_cu, "costs, all initiatives (unadjusted)", cost_rows,
                        cf.get("capex_opex_unadjusted", cf["costs_unadjusted"]))  # fmt: skip
        row += 2
        # TEI lines: each line's amount by year and its risk-adjusted amount (own risk)
        lines: dict[str, list[tuple[int, int, str, Any, str]]] = {"benefit": [], "cost": []}
        for i, ini in enumerate(sc.initiatives, start=1):
            for kind, short in (("benefit", "bl"), ("cost", "cl")):
                for n, line in enumerate(getattr(ini, f"{kind}_lines", None) or [], start=1):
                    lines[kind].append((i, n, short, line, ini.name))
        if lines["benefit"] or lines["cost"]:
            ws.write_string(row, 0, "TEI lines (not driven by customers; no ramp)",
                            self.fmt["bold"])  # fmt: skip
            row += 1
        line_rows: dict[str, dict[str, list[int]]] = {
            "benefit": {"raw": [], "adj": []}, "cost": {"raw": [], "adj": []}
        }  # fmt: skip
        for kind in ("benefit", "cost"):
            sign = "-" if kind == "benefit" else "+"
            for i, n, short, line, owner in lines[kind]:
                stem = f"i{i}_{short}{n}"
                amounts = line_amounts(line.amount, H)
                ws.write_string(row, 0, f"{kind} line: {owner} / {line.name}")
                for t in range(H + 1):
                    text = _line_amount_formula(line.amount, stem, t)
                    self._formula_or_zero(ws, row, 1 + t, text, amounts[t])
                line_rows[kind]["raw"].append(row)
                row += 1
                risk = _base(line.risk) if line.risk is not None else _risk_value(
                    sc, "cost_adjustment" if kind == "cost"
                    else ("b_lines" if _by_lever(sc) else "benefit_adjustment")
                )  # fmt: skip
                factor = 1.0 - risk if kind == "benefit" else 1.0 + risk
                ws.write_string(row, 0, f"  risk-adjusted: x (1 {sign} its risk)")
                for t in range(H + 1):
                    self.formula(ws, row, 1 + t, f"{_cell(row - 1, 1 + t)}*(1{sign}{stem}_risk)",
                                 amounts[t] * factor)  # fmt: skip
                line_rows[kind]["adj"].append(row)
                row += 1

        def plus(rows_: list[int], t: int) -> str:
            return "".join(f"+{_cell(r_, 1 + t)}" for r_ in rows_)

        r_ub, r_uc = r_cb, r_cu
        if lines["benefit"] or lines["cost"]:
            r_ub, r_uc = row, row + 1
            for r, title, first, kind in (
                (r_ub, "benefits, unadjusted (customers + lines)", r_cb, "benefit"),
                (r_uc, "costs, unadjusted (capex, opex + lines)", r_cu, "cost"),
            ):
                values = cf[f"{kind}s_unadjusted"].to_numpy()
                formula_of = _plus_lines(first, line_rows[kind]["raw"])
                self._year_row(ws, r, title, formula_of, values, "money_b", bold=True)
            row += 3
        ws.write_string(row, 0, "Risk-adjusted (TEI)", self.fmt["bold"])
        row += 1
        cust_adj = cf.get("customer_benefits", cf["benefits"]).to_numpy()

        def f(x: str, b: str) -> str:  # never in the case's favour
            return f"IF({x}>=0,{x}*(1-{b}),{x}*(1+{b}))"

        if _by_lever(sc):
            from cxroi.present.report import lever_benefits

            phi = lever_benefits(case)
            ws.write_string(
                row, 0,
                "Shapley split of each year's customer benefit by lever: VALUES, not formulas "
                "(each needs all 16 lever coalitions projected again); they follow no input "
                "but the per-lever risk below does.",
                self.fmt["note"],
            )  # fmt: skip
            row += 1
            phi_rows = {}
            for lever in RISK_KEYS[:4]:
                ws.write_string(row, 0, f"customer benefit from the {lever} lever (value)")
                for t in range(H + 1):
                    ws.write_number(row, 1 + t, float(phi.loc[lever, t]), self.fmt["money"])
                phi_rows[lever] = row
                row += 1
            r_cadj = row
            self._year_row(
                ws, row, "customer benefit, risk-adjusted: sum of f(lever share, b_lever)",
                lambda t: "+".join(f(_cell(phi_rows[lv], 1 + t), f"b_{lv}") for lv in phi_rows),
                cust_adj,
            )  # fmt: skip
            row += 1
        else:
            r_cadj = row
            self._year_row(
                ws, row, "customer benefit: x(1-b) if x>=0, x(1+b) if x<0 (never in the case's "
                "favour)", lambda t: f(_cell(r_cb, 1 + t), "benefit_adjustment"), cust_adj,
            )  # fmt: skip
            row += 1
        r_b = row
        self._year_row(
            ws, row, "benefits, risk-adjusted (customers + lines)",
            _plus_lines(r_cadj, line_rows["benefit"]["adj"]),
            cf["benefits"].to_numpy(), bold=True,
        )  # fmt: skip
        row += 1
        r_c = row
        self._year_row(
            ws, row, "costs: capex and opex x (1 + cost adjustment) + cost lines",
            lambda t: f"{_cell(r_cu, 1 + t)}*(1+cost_adjustment)"
            f"{plus(line_rows['cost']['adj'], t)}",
            cf["costs"].to_numpy(),
        )  # fmt: skip
        row += 1
        r_net = row
        self._year_row(ws, row, "net = benefits - costs",
                       lambda t: f"{_cell(r_b, 1 + t)}-{_cell(r_c, 1 + t)}",
                       cf["net"].to_numpy(), "money_b", bold=True)  # fmt: skip
        row += 1
        r_cum = row
        self._year_row(ws, row, "cumulative net",
                       lambda t: f"SUM($B${r_net + 1}:{_cell(r_net, 1 + t)})",
                       cf["cumulative_net"].to_numpy())  # fmt: skip
        row += 1
        r_dn = row
        self._year_row(ws, row, "discounted net",
                       lambda t: f"{_cell(r_net, 1 + t)}*{_cell(r_df, 1 + t)}",
                       cf["discounted_net"].to_numpy())  # fmt: skip
        row += 1
        r_dcum = row
        self._year_row(ws, row, "cumulative discounted net",
                       lambda t: f"SUM($B${r_dn + 1}:{_cell(r_dn, 1 + t)})",
                       cf["cumulative_discounted_net"].to_numpy())  # fmt: skip
        totals = {r_b: "benefits", r_c: "costs", r_net: "net", r_ub: "benefits_unadjusted",
                  r_uc: "costs_unadjusted"}  # fmt: skip
        for r, key in totals.items():
            v = cf[key].to_numpy()
            self.formula(ws, r, c_total, f"SUM({span(r)})", v.sum())
            self.formula(ws, r, c_pv, f"SUMPRODUCT({span(r)},{span(r_df)})", (v * df).sum())
        # payback helpers: the interpolated crossing of each year, empty where none
        row += 2
        ws.write_string(row, 0, "Payback helpers: (t-1) + (-cumulative(t-1)) / net(t) where "
                        "the cumulative turns >= 0", self.fmt["note"])  # fmt: skip
        row += 1
        helper = {}
        for key, cum, net in (("payback", r_cum, r_net), ("discounted", r_dcum, r_dn)):
            ws.write_string(row, 0, f"{key} crossing in year t")
            for t in range(1, H + 1):
                prev, now = _cell(cum, t), _cell(cum, 1 + t)
                text = (
                    f'IF(AND({prev}<0,{now}>=0),{t - 1}+(-{prev})/{_cell(net, 1 + t)},"")'
                )
                cum_v = cf["cumulative_net" if key == "payback" else "cumulative_discounted_net"]
                flow = cf["net" if key == "payback" else "discounted_net"]
                p0, p1 = cum_v.iloc[t - 1], cum_v.iloc[t]
                value = (t - 1) + (-p0) / flow.iloc[t] if (p0 < 0 <= p1) else None
                self.formula(ws, row, 1 + t, text, value, "years")
            helper[key] = row
            row += 1
        # KPIs
        row += 1
        ws.write_string(row, 0, "KPI", self.fmt["head"])
        ws.write_string(row, 1, "risk-adjusted", self.fmt["head"])
        ws.write_string(row, 2, "unadjusted", self.fmt["head"])
        row += 1
        k, u = case.kpis, case.unadjusted
        irr_guess = k["irr"] if k["irr"] is not None else 0.1
        irr_guess_u = u["irr"] if u["irr"] is not None else 0.1
        years = span(r_year)

        def irr_text(net_span: str, guess: float) -> str:
            lo = f"SUMPRODUCT({net_span},{_num(1 + _IRR_LO)}^(-{years}))"
            hi = f"SUMPRODUCT({net_span},{_num(1 + _IRR_HI)}^(-{years}))"
            both = (
                f'COUNTIF({net_span},">{_SIGN_TOLERANCE}")>0,'
                f'COUNTIF({net_span},"<-{_SIGN_TOLERANCE}")>0'
            )
            return (
                f"IF(AND({both},SIGN({lo})<>SIGN({hi})),"
                f'IFERROR(IRR({net_span},{_num(guess)}),""),"")'
            )

        def payback_text(cum_row: int, helper_row: int) -> str:
            cells = f"$C${helper_row + 1}:${_col(H + 1)}${helper_row + 1}"
            return f'IF($B${cum_row + 1}>=0,0,IF(COUNT({cells})=0,"",MIN({cells})))'

        # unadjusted flows: benefit row r_ub and cost row r_uc
        pvb_u = f"SUMPRODUCT({span(r_ub)},{span(r_df)})"
        pvc_u = f"SUMPRODUCT({span(r_uc)},{span(r_df)})"
        kpi_rows = {}
        pvb, pvc = kpi_label("pv_benefits"), kpi_label("pv_costs")
        for key, how, adj_text, un_text, fmt in (
            ("pv_benefits", "", f"SUMPRODUCT({span(r_b)},{span(r_df)})", pvb_u,
             "money"),
            ("pv_costs", "", f"SUMPRODUCT({span(r_c)},{span(r_df)})", pvc_u, "money"),
            ("npv", f" = {pvb} - {pvc}", None, None, "money_b"),
            ("roi", f" = {kpi_label('npv', short=True)} / {pvc}", None, None, "pct"),
            ("irr", "", irr_text(span(r_net), irr_guess), None, "pct"),
            ("payback_years", " [years]", payback_text(r_cum, helper["payback"]), None,
             "years"),
            ("discounted_payback_years", " [years]",
             payback_text(r_dcum, helper["discounted"]), None, "years"),
        ):  # fmt: skip
            kpi_rows[key] = row
            if key == "npv":
                adj_text = f"B{kpi_rows['pv_benefits'] + 1}-B{kpi_rows['pv_costs'] + 1}"
                un_text = f"C{kpi_rows['pv_benefits'] + 1}-C{kpi_rows['pv_costs'] + 1}"
            if key == "roi":
                pvc_a, pvc_b = f"B{kpi_rows['pv_costs'] + 1}", f"C{kpi_rows['pv_costs'] + 1}"
                adj_text = f'IF({pvc_a}=0,"",B{kpi_rows["npv"] + 1}/{pvc_a})'
                un_text = f'IF({pvc_b}=0,"",C{kpi_rows["npv"] + 1}/{pvc_b})'
            label = kpi_label(key) + how  # the registry's label, then how the sheet computes it
            ws.write_string(row, 0, label, self.fmt["bold"] if key == "npv" else None)
            self.formula(ws, row, 1, adj_text, k[key], fmt)
            if un_text is not None:
                self.formula(ws, row, 2, un_text, u[key], fmt)
            row += 1
        r_extra, r_loss, r_ce, r_npvce, r_note = row, row + 1, row + 2, row + 3, row + 5
        row += 7
        # unadjusted IRR and paybacks from a helper block of unadjusted net flows
        net_unadj = cf["benefits_unadjusted"].to_numpy() - cf["costs_unadjusted"].to_numpy()
        r_nu, r_nuc, r_nud, r_nudc = range(row, row + 4)
        for r, title, formula_of, values in (
            (r_nu, "net, unadjusted", lambda t: f"{_cell(r_ub, 1 + t)}-{_cell(r_uc, 1 + t)}",
             net_unadj),
            (r_nuc, "cumulative net, unadjusted",
             lambda t: f"SUM($B${r_nu + 1}:{_cell(r_nu, 1 + t)})", np.cumsum(net_unadj)),
            (r_nud, "discounted net, unadjusted",
             lambda t: f"{_cell(r_nu, 1 + t)}*{_cell(r_df, 1 + t)}", net_unadj * df),
            (r_nudc, "cumulative discounted net, unadjusted",
             lambda t: f"SUM($B${r_nud + 1}:{_cell(r_nud, 1 + t)})", np.cumsum(net_unadj * df)),
        ):  # fmt: skip
            self._year_row(ws, r, title, formula_of, values)
        row += 4
        helper_u = {}
        for key, cum, net, vals in (
            ("payback", r_nuc, r_nu, net_unadj),
            ("discounted", r_nudc, r_nud, net_unadj * df),
        ):
            ws.write_string(row, 0, f"{key} crossing in year t, unadjusted")
            cumv = np.cumsum(vals)
            for t in range(1, H + 1):
                prev, now = _cell(cum, t), _cell(cum, 1 + t)
                text = (
                    f'IF(AND({prev}<0,{now}>=0),{t - 1}+(-{prev})/{_cell(net, 1 + t)},"")'
                )
                value = (t - 1) + (-cumv[t - 1]) / vals[t] if cumv[t - 1] < 0 <= cumv[t] else None
                self.formula(ws, row, 1 + t, text, value, "years")
            helper_u[key] = row
            row += 1
        self.formula(ws, kpi_rows["irr"], 2, irr_text(span(r_nu), irr_guess_u), u["irr"], "pct")
        self.formula(ws, kpi_rows["payback_years"], 2, payback_text(r_nuc, helper_u["payback"]),
                     u["payback_years"], "years")  # fmt: skip
        self.formula(ws, kpi_rows["discounted_payback_years"], 2,
                     payback_text(r_nudc, helper_u["discounted"]),
                     u["discounted_payback_years"], "years")  # fmt: skip
        # customers and switching loss
        ws.write_string(r_extra, 0, kpi_label("extra_customers_end") + " (with CX - baseline)")
        terms = "+".join(
            f"{_ref(ref['title'], ref[1]['active_end'], H)}"
            f"-{_ref(ref['title'], ref[0]['active_end'], H)}"
            for ref in seg_refs
        )
        self.formula(ws, r_extra, 1, terms, k["extra_customers_end"], "count")
        self.formula(ws, r_extra, 2, terms, u["extra_customers_end"], "count")
        ws.write_string(r_loss, 0, kpi_label("annual_switching_loss") + " (preventable poor CX)")
        loss_terms = []
        for j, seg in enumerate(sc.segments, start=1):
            loss_terms.append(
                f"s{j}_customers*{_churn_formula(j, seg)}*s{j}_poor_cx_churn_share"
                f"*s{j}_preventable_share*s{j}_wallet*s{j}_share_of_wallet"
            )
        self.formula(ws, r_loss, 1, "+".join(loss_terms), k["annual_switching_loss"])
        self.formula(ws, r_loss, 2, "+".join(loss_terms), u["annual_switching_loss"])
        kpi_rows["extra_customers_end"] = r_extra
        kpi_rows["annual_switching_loss"] = r_loss
        if "customer_equity" in k:
            row = self._customer_equity(ws, row + 1, seg_refs, r_ce, r_npvce, kpi_rows)
            kpi_rows["customer_equity"] = r_ce
            kpi_rows["npv_with_customer_equity"] = r_npvce
        for key, r in kpi_rows.items():
            self.wb.define_name(key, f"=Case!$B${r + 1}")
            self.wb.define_name(f"{key}_unadjusted", f"=Case!$C${r + 1}")
        ws.write_string(
            r_note, 0,
            "IRR: the spreadsheet's IRR starts from cxroi's own rate as its guess; it is empty "
            "where net flows have one sign or no rate in [-99.99%, 1e6] gives NPV = 0.",
            self.fmt["note"],
        )  # fmt: skip
        self._setup(ws, 2, 1, 60)
        ws.set_column(1, H + 3, 16)

    def _residual_values(self, ws, row, j, seg, parts, part_values, col) -> tuple[int, int]:
        r"""Residual value after year H of one customer of each cohort row (docs/model.md §13).

        .. math:: RV_c = M \sum_{j \ge 0} P_c(j) / (1+d)^{H+1+j}

        with the baseline margin M = wallet x share x gross margin - cost to serve. Constant r:
        M / ((1+d)^H (1+d-r)), empty when r >= 1+d. sBG: P_c(j) = Gamma(beta+k+j) Gamma(alpha+
        beta+k) / (Gamma(beta+k) Gamma(alpha+beta+k+j)) summed over :data:`EQUITY_TERMS`
        terms with GAMMALN, empty when d < 0 or (d = 0 and alpha <= 1).
        """
        H, Q = self.H, len(parts)
        d = _base(self.sc.discount_rate)
        margin = (
            _base(seg.wallet) * _base(seg.share_of_wallet) * _base(seg.gross_margin)
            - _base(seg.cost_to_serve)
        )
        m_text = f"(s{j}_wallet*s{j}_share_of_wallet*s{j}_gross_margin-s{j}_cost_to_serve)"
        ws.write_string(
            row, 0,
            "Customer equity: value after year H of one customer of each cohort (baseline "
            "retention and margin, programme stopped)",
            self.fmt["bold"],
        )  # fmt: skip
        row += 1
        first = row
        labels = [pt[0] for pt in parts] + [f"cohort won in year {c}" for c in range(1, H + 1)]
        for x in range(Q + H):
            if x < Q:
                k_text = f"{parts[x][2]}+{H}" if parts[x][2] else str(H)
                k_value = part_values[x][1] + H
            else:
                k_value = H - (x - Q + 1)
                k_text = str(k_value)
            ws.write_string(row, 0, f"residual value per customer: {labels[x]}")
            if seg.is_sbg:
                a, b = _base(seg.retention.alpha), _base(seg.retention.beta)
                text, value = _sbg_residual(j, str(k_text), H), None
                if d > 0 or (d == 0 and a > 1):
                    value = margin * _sbg_series(a, b, float(k_value), d, H)
            else:
                r = _base(seg.retention)
                text = (
                    f'IF(s{j}_retention>=1+discount_rate,"",{m_text}'
                    f"/((1+discount_rate)^{H}*(1+discount_rate-s{j}_retention)))"
                )
                value = None if r >= 1 + d else margin / ((1 + d) ** H * (1 + d - r))
            self.formula(ws, row, col[1], text, value)
            row += 1
        return first, row - 1

    def _customer_equity(self, ws, row, seg_refs, r_ce, r_npvce, kpi_rows) -> int:
        """Customer equity (docs/model.md §13): extra customers after H x their residual value."""
        sc, H, case = self.sc, self.H, self.case
        proj = case.projection
        d = _base(sc.discount_rate)
        ws.write_string(
            row, 0,
            "Customer equity: what the customers still active after the horizon are worth, "
            "programme stopped (beside NPV, never inside it)",
            self.fmt["bold"],
        )  # fmt: skip
        row += 1
        first = row
        for j, seg in enumerate(sc.segments, start=1):
            ref = seg_refs[j - 1]
            title = ref["title"]
            rv0, rv1 = ref["rv"]
            rv = f"'{title}'!$B${rv0 + 1}:$B${rv1 + 1}"

            def after(arm: int, ref: dict = ref, title: str = title) -> str:
                a0, a1 = ref[arm]["after"]
                c = _col(H + 1)
                return f"'{title}'!${c}${a0 + 1}:${c}${a1 + 1}"

            text = (
                f'IF(COUNTIF({rv},"")>0,"",SUMPRODUCT({after(1)},{rv})'
                f"-SUMPRODUCT({after(0)},{rv}))"
            )
            ws.write_string(row, 0, f"customer equity, {seg.name}: customers after year H x "
                            "their residual value, with CX - baseline")  # fmt: skip
            value = self._segment_equity(j - 1, proj, d)
            self.formula(ws, row, 1, text, value)
            row += 1
        cells = f"$B${first + 1}:$B${row}"
        b_ret = "b_retention" if _by_lever(sc) else "benefit_adjustment"
        k, u = case.kpis, case.unadjusted
        ws.write_string(r_ce, 0, kpi_label("customer_equity") + " (retention risk applied)")
        self.formula(ws, r_ce, 2, f'IF(COUNTIF({cells},"")>0,"",SUM({cells}))',
                     u["customer_equity"])  # fmt: skip
        x = f"C{r_ce + 1}"
        self.formula(ws, r_ce, 1, f'IF({x}="","",IF({x}>=0,{x}*(1-{b_ret}),{x}*(1+{b_ret})))',
                     k["customer_equity"])  # fmt: skip
        ws.write_string(r_npvce, 0, kpi_label("npv_with_customer_equity"))
        for c, kp in ((1, k), (2, u)):
            ce = f"{_col(c)}{r_ce + 1}"
            npv = f"{_col(c)}{kpi_rows['npv'] + 1}"
            self.formula(ws, r_npvce, c, f'IF({ce}="","",{npv}+{ce})',
                         kp["npv_with_customer_equity"])  # fmt: skip
        return row

    def _segment_equity(self, s: int, proj: Any, d: float) -> float | None:
        """Cached value of one segment's customer equity (unadjusted), or None."""
        total = self.case.unadjusted.get("customer_equity")
        if total is None:
            return None
        if len(self.sc.segments) == 1:
            return total
        return None if not math.isfinite(d) else _segment_equity_value(self.sc, self.p, proj, s)

    def _attribution_sheet(self) -> None:
        case = self.case
        ws = self.wb.add_worksheet("Attribution")
        ws.write_string(0, 0, "Attribution (Shapley values): values, not formulas",
                        self.fmt["title"])  # fmt: skip
        ws.write_string(
            1, 0,
            "Each value averages a lever's (initiative's) contribution over every order of "
            "switching them on: it needs every coalition projected again, so the values are "
            "cxroi's own and do not follow input changes.",
            self.fmt["note"],
        )  # fmt: skip
        ws.write_string(3, 0, "lever", self.fmt["head"])
        ws.write_string(3, 1, kpi_label("pv_benefits"), self.fmt["head"])
        row = 4
        for lever, v in case.by_lever.items():
            ws.write_string(row, 0, lever)
            ws.write_number(row, 1, _cached(v) if v is not None else 0.0, self.fmt["money"])
            row += 1
        row += 1
        ws.write_string(row, 0, "initiative", self.fmt["head"])
        ws.write_string(row, 1, kpi_label("npv", short=True), self.fmt["head"])
        row += 1
        if case.by_initiative is None:
            ws.write_string(row, 0, "not computed beyond 8 initiatives")
        else:
            for name, v in case.by_initiative.items():
                ws.write_string(row, 0, name)
                if finite_or_none(v) is not None:
                    ws.write_number(row, 1, v, self.fmt["money"])
                row += 1
        self._setup(ws, 4, 1, 40)
        ws.set_column(1, 1, 18)

    def _notes_sheet(self) -> None:
        import cxroi

        ws = self.wb.add_worksheet("Notes")
        lines = [
            f"cxroi {cxroi.__version__}: live driver workbook of '{self.sc.name}'.",
            f"Scenario file: {self.source or self.sc.source or '(not from a file)'}",
            "Inputs: yellow cells are inputs (each a workbook name, column 'name'); green cells "
            "are derived inputs (a formula you may overwrite with a number).",
            "Change an input and recalculate: every figure on the segment sheets and Case "
            "follows. Structure (horizon, segments, initiatives, acquisition mode) is fixed "
            "by the layout: change the scenario and write the workbook again.",
            "Conventions (docs/model.md sections 1-5): years are periods; year 0 is today, "
            "undiscounted; flows fall at the end of each year, discounted by (1+d)^t.",
            "Revenue and service cost use the customers active at the start of a year; churn "
            "happens at its end: churned = active x (1 - r(k)) x m; new customers are active "
            "from the next year.",
            "Workbook names at the results: npv, pv_benefits, pv_costs, roi, irr, "
            "payback_years, discounted_payback_years, extra_customers_end, "
            "annual_switching_loss and, where the model has it, customer_equity and "
            "npv_with_customer_equity (Case sheet, risk-adjusted column; the same names "
            "ending in _unadjusted point at the unadjusted column).",
            "Every formula cell holds cxroi's own number as its cached value. A program that "
            "edits inputs and keeps those cached values must have the spreadsheet recalculate "
            "on load (LibreOffice: Tools > Options > Calc > Formula > Recalculation on file "
            "load: Always); openpyxl drops them, so the spreadsheet computes every cell.",
            "Attribution: Shapley values are written as values (see that sheet).",
        ]
        for r, text in enumerate(lines):
            ws.write_string(r, 0, text)
        ws.set_column(0, 0, 120)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)


def workbook_bytes(case: Any, source: str | None = None) -> bytes:
    """The live workbook of an evaluated case, as ``.xlsx`` bytes.

    Parameters
    ----------
    case : BusinessCase
        From :func:`cxroi.evaluate`.
    source : str, optional
        Scenario file shown on the Notes sheet (default: the scenario's own source).
    """
    return _Writer(case, source).write()


def write_workbook(
    scenario: Any, path: str | os.PathLike, source: str | None = None
) -> Path:
    """Write the live driver workbook of a scenario, atomically.

    Parameters
    ----------
    scenario : Scenario, BusinessCase, mapping or path
        What :func:`cxroi.load_scenario` accepts, or an evaluated case.
    path : path-like
        The ``.xlsx`` file to write. Its folder must exist.
    source : str, optional
        Scenario file named on the Notes sheet.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    cxroi.ScenarioError
        If the scenario is invalid.
    WorkbookError
        If ``path`` cannot be written (missing folder, a folder of that name, no permission).
    """
    from cxroi.engine.case import BusinessCase, evaluate

    case = scenario if isinstance(scenario, BusinessCase) else evaluate(scenario)
    target = Path(path)
    if target.is_dir():
        raise WorkbookError(f"--out: {target} is a folder, not a file to write")
    if not target.parent.is_dir():
        raise WorkbookError(f"--out: the folder {target.parent} does not exist")
    data = workbook_bytes(case, source)
    try:
        return atomic_write(target, data)
    except OSError as exc:
        raise WorkbookError(f"--out: cannot write {target}: {exc.strerror or exc}") from None



# --------------------------------------------------------------------------------------------
# The batch summary workbook
# --------------------------------------------------------------------------------------------
#: Number format of a summary column by the KPI registry's kind (inputs: their own).
_KIND_FORMATS = {"money": _MONEY, "ratio": _PCT, "years": _YEARS, "count": _COUNT}
_INPUT_FORMATS = {"discount_rate": _PCT, "horizon_years": "0"}


def _summary_format(column: str) -> str:
    """Number format of a summary column (``npv``, ``unadjusted.roi``, ``by_lever.wallet``)."""
    key = column.split(".")[-1]
    if key in KPIS and not column.startswith("by_lever."):
        return _KIND_FORMATS[KPIS[key].kind]
    return _INPUT_FORMATS.get(key, _MONEY)


def write_summary_workbook(
    path: str | os.PathLike,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    records: Sequence[dict[str, Any]],
) -> Path:
    """Write a batch's ``summary.xlsx`` atomically: one filterable row per scenario.

    Parameters
    ----------
    path : path-like
        Where to write.
    columns : sequence of str
        The columns of ``summary.csv`` (the fixed ones and one per input that varies).
    rows : sequence of dict
        One row per scenario, keyed by column.
    records : sequence of dict
        The batch records in the same order (for the link to each scenario's workbook).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import xlsxwriter

    from cxroi.outputs.records import KPI_COLUMNS

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False},
    )  # fmt: skip
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1, "text_wrap": True})
    numeric = set(KPI_COLUMNS) | {"discount_rate", "horizon_years"}
    formats: dict[str, Any] = {}
    for name in columns:
        if name in numeric:
            formats[name] = wb.add_format({"num_format": _summary_format(name)})
    ws = wb.add_worksheet("Summary")
    all_columns = [*columns, "workbook"]
    for c, name in enumerate(all_columns):
        ws.write_string(0, c, str(neutralise(name)), head)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(columns):
            value = row.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_string(r, c, str(value))
            elif isinstance(value, (int, float)):
                if math.isfinite(value):
                    ws.write_number(r, c, value, formats.get(name))
            else:
                ws.write_string(r, c, str(neutralise(str(value))))
        rec = records[r - 1] if r - 1 < len(records) else {}
        target = (rec.get("outputs") or {}).get("workbook")
        if target and rec.get("dir"):
            ws.write_url(r, len(columns), f"external:{rec['dir']}/{target}", string=target)
    ws.autofilter(0, 0, len(rows), len(all_columns) - 1)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 30)
    ws.set_column(2, len(all_columns) - 1, 16)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    notes = wb.add_worksheet("Notes")
    for r, text in enumerate(
        (
            "cxroi batch summary: one row per scenario (status, error, every KPI of "
            "`cxroi run --json` risk-adjusted and unadjusted, the Shapley PV of benefits by "
            "lever).",
            "Columns after 'output' are the inputs that differ between the batch's scenarios, "
            "by field path, so the rows can be filtered and pivoted by them.",
            "'workbook' links each scenario's live driver workbook (every figure a formula over "
            "its Inputs sheet).",
            f"Scenarios: {len(rows)}. Money is in each scenario's currency.",
        )
    ):
        notes.write_string(r, 0, text)
    notes.set_column(0, 0, 120)
    wb.close()
    return atomic_write(path, buffer.getvalue())
