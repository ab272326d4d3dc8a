"""Decision analysis in words and tables: the NPV bridge, expected NPV, value of information.

Text for ``cxroi compare`` and ``cxroi simulate``, and the summary the report and the dashboard
show beside the base case (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from cxroi.analysis.compare import ABSENT, MAX_COMPARE_PLAYERS, Comparison
from cxroi.present.formatting import KPI_KINDS, format_amount, format_kpi, format_money

__all__ = ["decision_summary", "format_comparison", "information_sentences"]


def information_sentences(summary: dict, currency: str) -> list[str]:
    """One plain sentence per distributed field on what knowing it would be worth.

    Fields are listed by EVPPI, largest first, after a sentence on the EVPI.

    Examples
    --------
    >>> information_sentences({"evpi": 1000.0, "evppi": {"discount_rate": 250.0}}, "USD")[1]
    'Perfect knowledge of discount_rate would be worth up to $250 before deciding.'
    """
    total = summary.get("evpi")
    fields = summary.get("evppi") or {}
    if total is None:
        return []
    lines = [
        f"Removing all uncertainty before deciding would be worth up to "
        f"{format_money(total, currency)} (expected value of perfect information)."
    ]
    for path, value in sorted(fields.items(), key=lambda kv: -kv[1]):
        alone = "" if value > 0 else " (alone, it would not change the decision)"
        lines.append(
            f"Perfect knowledge of {path} would be worth up to "
            f"{format_money(value, currency)} before deciding{alone}."
        )
    return lines


def decision_summary(base_npv: float | None, summary: dict, currency: str) -> dict:
    """Deterministic and expected NPV side by side, with the value of information.

    Returns
    -------
    dict
        ``npv`` (the base case), ``expected_npv`` (Monte Carlo mean), ``prob_npv_positive``,
        ``evpi``, ``evppi`` and ``sentences`` (see :func:`information_sentences`), for the
        report and the dashboard.
    """
    return {
        "npv": base_npv,
        "expected_npv": summary["npv"]["mean"],
        "prob_npv_positive": summary["prob_npv_positive"],
        "evpi": summary.get("evpi"),
        "evppi": dict(summary.get("evppi") or {}),
        "sentences": information_sentences(summary, currency),
    }


def _show(x: Any) -> str:
    if x is None:
        return "absent"
    if x is ABSENT:
        return "inherited"
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 1e4 and x == round(x) else f"{x:.6g}"
    if isinstance(x, dict):  # a schedule, an sBG curve, a risk mapping: short values shown
        inner = ", ".join(f"{k}: {_show(v)}" for k, v in x.items() if v is not None)
        text = "{" + inner + "}"
    elif isinstance(x, list):
        text = "[" + ", ".join(_show(v) for v in x) + "]"
    else:
        text = str(x)
    return text if len(text) <= 60 else text[:57] + "..."


def format_comparison(result: Comparison) -> str:
    """The comparison as text: an NPV bridge from A to B, then the KPIs side by side."""
    cur = result.currency
    name_a, name_b = result.names
    lines = [f"NPV bridge ({cur}, risk-adjusted): {name_a} -> {name_b}", ""]
    labels = list(result.npv_change_by_field or {}) + ["NPV of A"]
    width = max(len(x) for x in labels) + 4
    npv_a, npv_b = result.a.get("npv"), result.b.get("npv")
    lines.append(f"  {'NPV of A':{width}}{format_amount(npv_a):>18}")
    split = result.npv_change_by_field
    if split is None:
        groups = len({c.group for c in result.changes})
        lines.append(
            f"  ({len(result.changes)} changes in {groups} groups, more than "
            f"{MAX_COMPARE_PLAYERS}: not split)"
        )
    elif result.grouped:
        for label, value in split.items():
            lines.append(f"  + {label:{width - 2}}{format_amount(value, sign=True):>18}")
        lines.append(f"  ({len(result.changes)} changes, split by group)")
    else:
        by_path = {c.path: c for c in result.changes}
        for label, value in split.items():
            c = by_path[label]
            lines.append(f"  + {label:{width - 2}}{format_amount(value, sign=True):>18}")
            lines.append(f"      {_show(c.a)} -> {_show(c.b)}")
        if not split:
            lines.append("  (no change that moves the NPV)")
    lines.append(f"  {'NPV of B':{width}}{format_amount(npv_b):>18}")
    lines += ["", f"  {'KPI':26}{'A':>18}{'B':>18}{'change':>18}"]
    for key in result.a:
        a_text = _kpi_text(key, result.a[key], cur)
        b_text = _kpi_text(key, result.b[key], cur)
        d, kind = result.delta.get(key), KPI_KINDS.get(key)
        if d is None or kind not in ("pct", "years"):
            d_text = format_amount(d, sign=True)  # an amount or a count of customers
        elif kind == "pct":
            d_text = f"{d * 100:+.1f} pts"
        else:
            d_text = f"{d:+.2f} years"
        lines.append(f"  {key:26}{a_text:>18}{b_text:>18}{d_text:>18}")
    return "\n".join(lines)


def _kpi_text(key: str, value: float | None, currency: str) -> str:
    """A KPI as the dashboard shows it; a KPI the formatter does not know is an amount."""
    try:
        return format_kpi(key, value, currency)
    except ValueError:
        return format_money(value, currency)


def report_html(base_npv: float | None, summary: dict, currency: str, correlations: int = 0) -> str:
    """The report's lines on expected NPV and the value of information (an HTML fragment).

    The expected NPV and P(NPV > 0) carry ``data-summary`` and ``data-value`` (full
    precision), like the KPI markers, so that a reader or a test can find them.
    """
    import html

    s = decision_summary(base_npv, summary, currency)

    def mark(key: str, value: float | None, text: str) -> str:
        number = "" if value is None else repr(float(value))
        return f'<span data-summary="{key}" data-value="{number}">{html.escape(text)}</span>'

    prob, mean = s["prob_npv_positive"], s["expected_npv"]
    head = (
        f"Base-case NPV {html.escape(format_money(base_npv, currency))}; expected NPV (mean of "
        f"the draws) {mark('expected_npv', mean, format_money(mean, currency))}"
        f"; P(NPV &gt; 0) {mark('prob_npv_positive', prob, f'{prob:.1%}')}."
    )
    if correlations:
        head += (
            f" The draws follow the scenario's {correlations} rank correlation(s); the tornado "
            "and the switching values move one input at a time, the others at base."
        )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in s["sentences"])
    voi = (
        "<p>Value of information for the go / no-go decision:</p>"
        f'<ul class="value-of-information">{items}</ul>'
        if s["evppi"]
        else ""
    )
    return f'<p class="expected-npv">{head}</p>{voi}'
