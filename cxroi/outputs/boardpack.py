"""The board pack: a landscape PDF of a scenario's case, rendered offline by headless Chromium.

Page 1 carries the headline sentence (:func:`cxroi.present.headline.headline`), the KPI cards (base
case; with distributions also the expected NPV and P(NPV > 0) of a seeded Monte Carlo), the
value bridge and the cash-flow chart. Then the TEI cash-flow table whole (every year, in blocks
of :data:`YEARS_PER_BLOCK` years so no column is ever cut off), value by lever and by
initiative, the uncertainty page and the assumptions with their sources and caveats. The
later pages reuse the sections of :mod:`cxroi.present.report`, so the pack and the report show the
same figures; every figure on the cards is formatted by :func:`cxroi.present.formatting.format_kpi`.

The HTML (:func:`board_pack_html`) is self-contained: charts are SVG images rendered by
vl-convert, no font or script is fetched. :func:`write_pdf` prints it with Chromium's
``page.pdf`` through Playwright (docs/dashboard.md, "Board pack" says why Chromium) and writes
the file atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import html
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cxroi
from cxroi.model.kpis import HEADLINE_KEYS, KPI_KEYS, kpi_label, kpi_meaning
from cxroi.present.formatting import data_value, format_kpi, format_money, format_pct
from cxroi.present.headline import headline, switching_recovery

__all__ = [
    "CARD_KEYS",
    "PAPER_SIZES",
    "YEARS_PER_BLOCK",
    "board_pack_html",
    "chromium_path",
    "write_board_pack",
    "write_pdf",
]

#: KPI cards of the first page, in order.
CARD_KEYS = HEADLINE_KEYS

#: Paper sizes accepted by ``--paper`` (always landscape).
PAPER_SIZES = ("A4", "Letter")

#: Year columns per block of the TEI table (landscape A4 holds the row label and 10 amounts).
YEARS_PER_BLOCK = 8

_CSS = """
@page { size: %(paper)s landscape; margin: 11mm 12mm; }
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; color: #1d2430; margin: 0; font-size: 10pt; }
h1 { font-size: 18pt; margin: 0 0 2mm 0; }
.cxroi-headline { font-size: 13pt; line-height: 1.35; margin: 0 0 4mm 0; }
.cxroi-sub { font-size: 9pt; color: #555; margin: 0 0 3mm 0; }
.cxroi-cards { display: flex; flex-wrap: wrap; gap: 3mm; margin: 0 0 3mm 0; }
.cxroi-card { flex: 1 1 calc(20%% - 3mm); max-width: calc(25%% - 3mm);
  border: 1px solid #d5dae1; border-radius: 2mm; padding: 2mm 3mm; break-inside: avoid; }
.cxroi-card .label { font-size: 8pt; color: #555; text-transform: uppercase; }
.cxroi-card .value { font-size: 17pt; font-weight: bold; white-space: nowrap; }
.cxroi-card .unadj { font-size: 8pt; color: #555; }
.cxroi-card .meaning { font-size: 7pt; color: #666; margin-top: 1mm; }
.cxroi-charts { display: flex; gap: 4mm; }
.cxroi-charts > div { flex: 1 1 0; min-width: 0; }
.cxroi-charts img { width: 100%%; max-height: 80mm; object-fit: contain; }
.cxroi-page { break-before: page; }
table { max-width: 100%%; }
td, th { overflow-wrap: anywhere; }
img { max-width: 100%%; }
"""


def chromium_path() -> str:
    """The Chromium executable: ``$CXROI_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    return os.environ.get("CXROI_CHROMIUM") or "/usr/bin/chromium"


def _esc(text: Any) -> str:
    return html.escape(str(text))


_data_value = data_value


def _card(key: str, label: str, text: str, value: Any, extra: str = "", meaning: str = "") -> str:
    return (
        f'<div class="cxroi-card"><div class="label">{_esc(label)}</div>'
        f'<div class="value" data-kpi="{key}" data-value="{_data_value(value)}">{_esc(text)}</div>'
        + (f'<div class="unadj">{_esc(extra)}</div>' if extra else "")
        + (f'<div class="meaning">{_esc(meaning)}</div>' if meaning else "")
        + "</div>"
    )


def _cards(case: Any, simulation: dict[str, Any] | None) -> str:
    cur, horizon = case.currency, case.scenario.horizon_years
    cards = []
    for key in CARD_KEYS:
        value = case.kpis[key]
        extra = f"unadjusted {format_kpi(key, case.unadjusted[key], cur, horizon)}"
        if key == "annual_switching_loss":
            rec = switching_recovery(case)
            extra = (
                f"programme wins back {format_pct(rec['share'])} "
                f"({format_money(rec['recovered'], cur)} a year)"
                if rec["share"] is not None
                else "no preventable loss"
            )
        cards.append(
            _card(
                key,
                kpi_label(key),
                format_kpi(key, value, cur, horizon),
                value,
                extra,
                kpi_meaning(key),
            )
        )
    if simulation is not None:
        mean = simulation["npv"]["mean"]
        cards.append(
            _card(
                "expected_npv",
                "Expected NPV",
                format_kpi("npv", mean, cur),
                mean,
                f"P5 {format_money(simulation['npv']['p5'], cur)} to "
                f"P95 {format_money(simulation['npv']['p95'], cur)}",
                f"Average NPV over {simulation['draws']:,} Monte Carlo draws.",
            )
        )
        prob = simulation["prob_npv_positive"]
        cards.append(
            _card(
                "prob_npv_positive",
                "P(NPV > 0)",
                format_pct(prob),
                prob,
                "",
                "Share of the draws in which the programme creates value.",
            )
        )
    return '<div class="cxroi-cards">' + "".join(cards) + "</div>"


def _tei_blocks(case: Any) -> str:
    """The TEI table in blocks of :data:`YEARS_PER_BLOCK` columns, each with the row labels."""
    from cxroi.present.report import _amount, _table

    tei = case.tei_table()
    cols = list(tei.columns)
    blocks = [cols[i : i + YEARS_PER_BLOCK] for i in range(0, len(cols), YEARS_PER_BLOCK)]
    out = []
    for block in blocks:
        header = [f"[{case.currency}]", *[str(c) for c in block]]
        rows = [[idx, *[_amount(tei.loc[idx, c]) for c in block]] for idx in tei.index]
        out.append(_table(header, rows, set(range(1, len(header)))))
    return "".join(out)


def _settings(sc: Any) -> str:
    """The case's settings in one line (currency, horizon, discounting, risk adjustment)."""
    from cxroi.model.scenario import base_value

    risk = sc.risk
    return (
        f"{sc.currency}; horizon {sc.horizon_years} years; discount rate "
        f"{format_pct(base_value(sc.discount_rate), 1)}; benefits reduced by "
        f"{format_pct(base_value(risk.benefit_adjustment), 1)} and costs raised by "
        f"{format_pct(base_value(risk.cost_adjustment), 1)} for risk (TEI)."
    )


def board_pack_html(
    scenario: Any, paper: str = "A4", draws: int | None = None, seed: int | None = None
) -> str:
    """The board pack of a scenario as one self-contained HTML document.

    Parameters
    ----------
    scenario : str, Path, mapping or Scenario
        The scenario (loaded and validated with :func:`cxroi.load_scenario`).
    paper : {"A4", "Letter"}
        Paper size of the ``@page`` rule (landscape).
    draws, seed : int, optional
        Monte Carlo draws and seed of the cards and the uncertainty page; by default those of
        the report (:data:`cxroi.present.report.REPORT_DRAWS`,
        :data:`cxroi.present.report.REPORT_SEED`).

    Returns
    -------
    str
        HTML; each KPI figure carries ``data-kpi`` and ``data-value`` (full precision).

    Raises
    ------
    cxroi.ScenarioError
        If the scenario is invalid.
    ValueError
        If ``paper`` is not one of :data:`PAPER_SIZES`.
    """
    from cxroi.present import report as rep

    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)} (got {paper!r})")
    sc = cxroi.load_scenario(scenario)
    case = cxroi.evaluate(sc)
    r = rep.Report(sc, case, chart_format="svg")
    simulation = None
    if sc.distributions():
        from cxroi.analysis.uncertainty import simulate

        simulation = simulate(
            sc,
            draws=rep.REPORT_DRAWS if draws is None else draws,
            seed=rep.REPORT_SEED if seed is None else seed,
            keep_draws=False,
        ).summary
    first = (
        f"<h1>{_esc(sc.name)}</h1>"
        + f'<p class="cxroi-sub">{_esc(_settings(sc))}</p>'
        + f'<p class="cxroi-headline" data-headline>{_esc(headline(case))}</p>'
        + _cards(case, simulation)
        + '<div class="cxroi-charts"><div>'
        + r.image("bridge", "Value bridge: PV of benefits by lever to NPV")
        + "</div><div>"
        + r.image("cashflow", "Cash flows by year with the cumulative net")
        + "</div></div>"
    )
    tei = (
        '<section class="cxroi-page">'
        + rep._h2("Cash flows (Forrester TEI layout, risk-adjusted)")
        + _tei_blocks(case)
        + rep._note(
            "Year 0 is today and is not discounted; benefits and costs fall at the end of each "
            "year and are discounted by (1 + discount rate)^year."
        )
        + rep._section_header(r)
        + "</section>"
    )
    rest = "".join(
        f'<section class="cxroi-page">{section(r)}</section>'
        for section in (
            rep._section_attribution,
            rep._section_uncertainty,
            rep._section_assumptions,
        )
    )
    meanings = (
        '<section class="cxroi-page">'
        + rep._h2("What the figures mean")
        + rep._table(["Figure", "Meaning"], [[kpi_label(k), kpi_meaning(k)] for k in KPI_KEYS])
        + "</section>"
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{_esc(sc.name)}</title><style>{_CSS % {'paper': paper}}</style></head>"
        f"<body>{first}{tei}{rest}{meanings}</body></html>"
    )


def write_pdf(document: str, path: str | os.PathLike, paper: str = "A4") -> Path:
    """Print an HTML document to a landscape PDF with headless Chromium, atomically.

    The PDF is written to a temporary file in the target folder and renamed into place, so
    ``path`` is either the whole new PDF or left as it was.

    Parameters
    ----------
    document : str
        Self-contained HTML (nothing is fetched: the page is offline).
    path : path-like
        Output file.
    paper : {"A4", "Letter"}
        Paper size (landscape).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    OSError
        If the folder cannot be written.
    """
    from playwright.sync_api import sync_playwright

    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)

    def render() -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                # Offline: any request the page makes (none expected) is refused.
                page.route("**/*", lambda route: route.abort())
                page.set_content(document, wait_until="load")
                page.pdf(
                    path=tmp,
                    format=paper,
                    landscape=True,
                    print_background=True,
                    prefer_css_page_size=False,  # --paper wins over any @page size
                )
            finally:
                browser.close()

    try:
        # Playwright's sync API refuses to start in a thread whose asyncio loop is running (a
        # Jupyter kernel, or a caller already driving a browser), so it always gets a thread
        # of its own.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxroi-pdf") as pool:
            pool.submit(render).result()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_board_pack(
    scenario: Any, path: str | os.PathLike, paper: str = "A4", seed: int | None = None
) -> Path:
    """Render the board pack of ``scenario`` to the PDF ``path`` (see :func:`board_pack_html`)."""
    return write_pdf(board_pack_html(scenario, paper=paper, seed=seed), path, paper=paper)
