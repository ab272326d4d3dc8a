"""A generated set of hostile cohort files through ``cxroi calibrate`` in-process.

Every case must end with exit 0 (a usable table) or 2 (refused with a message), never a
traceback, and in bounded time (pytest-timeout).
"""

from __future__ import annotations

import codecs

import pytest

from cxroi.cli import main

HEADER = "cohort,period,active\n"
GOOD = HEADER + "A,0,1000\nA,1,631\nA,2,468\nA,3,382\n"


def _long(rows):
    return HEADER + "".join(f"{c},{t},{a}\n" for c, t, a in rows)


CASES: dict[str, bytes | str] = {
    "empty": "",
    "only-newlines": "\n\n\n",
    "only-spaces": "   \n  ",
    "header-only": HEADER,
    "header-only-no-newline": HEADER.strip(),
    "wrong-columns": "name,count\nA,100\n",
    "one-column": "active\n100\n80\n",
    "unnamed-columns": ",,\n1,2,3\n",
    "etc-passwd-as-content": "/etc/passwd\n",
    "path-as-content": "scenarios/retail_bank.yaml",
    "text-in-counts": _long([("A", 0, 1000), ("A", 1, "lots"), ("A", 2, 400)]),
    "text-in-periods": _long([("A", "zero", 1000), ("A", "one", 600)]),
    "nan-count": _long([("A", 0, 1000), ("A", 1, "NaN"), ("A", 2, 400)]),
    "nan-period": _long([("A", "nan", 1000)]),
    "inf-count": _long([("A", 0, "inf"), ("A", 1, 600), ("A", 2, 400)]),
    "minus-inf-count": _long([("A", 0, 1000), ("A", 1, "-inf"), ("A", 2, 400)]),
    "inf-period": _long([("A", "inf", 1000), ("A", 0, 900), ("A", 1, 500)]),
    "overflow-count-1e400": _long([("A", 0, "1e400"), ("A", 1, 600), ("A", 2, 400)]),
    "overflow-period-1e400": _long([("A", "1e400", 100)]),
    "count-above-ceiling": _long([("A", 0, "2e15"), ("A", 1, "1e15"), ("A", 2, "5e14")]),
    "count-at-ceiling": _long([("A", 0, "1e15"), ("A", 1, "6.31e14"), ("A", 2, "4.68e14")]),
    "huge-integer-count": _long([("A", 0, "9" * 400), ("A", 1, 5), ("A", 2, 1)]),
    "negative": _long([("A", 0, 1000), ("A", 1, -5), ("A", 2, -10)]),
    "negative-period": _long([("A", -1, 1000), ("A", 0, 900), ("A", 1, 500)]),
    "fractional-count": _long([("A", 0, 1000), ("A", 1, 600.5), ("A", 2, 400)]),
    "fractional-period": _long([("A", 0, 1000), ("A", 0.5, 600), ("A", 2, 400)]),
    "increasing": _long([("A", 0, 1000), ("A", 1, 600), ("A", 2, 800)]),
    "all-zero": _long([("A", 0, 0), ("A", 1, 0), ("A", 2, 0)]),
    "shares": _long([("A", 0, 1), ("A", 1, 0.6), ("A", 2, 0.4)]),
    "no-churn": _long([("A", 0, 1000), ("A", 1, 1000), ("A", 2, 1000)]),
    "all-churn": _long([("A", 0, 1000), ("A", 1, 0), ("A", 2, 0)]),
    "duplicate-cohort-period": _long([("A", 0, 1000), ("A", 1, 600), ("A", 1, 500)]),
    "gap": _long([("A", 0, 1000), ("A", 1, 600), ("A", 5, 300)]),
    "no-period-0": _long([("A", 1, 1000), ("A", 2, 600), ("A", 3, 300)]),
    "huge-period": _long([("A", 0, 1000), ("A", 1, 600), ("A", 10**9, 300)]),
    "huge-period-float": _long([("A", 0, 1000), ("A", "1e300", 600)]),
    "too-short": _long([("A", 0, 1000), ("A", 1, 600)]),
    "blank-cohort": _long([("", 0, 1000), ("", 1, 600)]),
    "blank-count": _long([("A", 0, 1000), ("A", 1, ""), ("A", 2, 400)]),
    "bom-utf8": codecs.BOM_UTF8 + GOOD.encode(),
    "utf16": GOOD.encode("utf-16"),
    "latin1-cohort-name": _long([("Caf\xe9", t, a) for t, a in enumerate([1000, 600, 400])]).encode(
        "latin-1"
    ),
    "cp1252-header": "Kohorte\u2013,period,active\n".encode("cp1252") + b"A,0,1,\n",
    "semicolons": GOOD.replace(",", ";"),
    "semicolons-decimal-comma": "cohort;period;active\nA;0;1000,0\nA;1;631,0\nA;2;468,0\n",
    "tabs": GOOD.replace(",", "\t"),
    "crlf": GOOD.replace("\n", "\r\n"),
    "ragged-rows": HEADER + "A,0,1000\nA,1,600,7,8\nA,2\n",
    "unclosed-quote": HEADER + 'A,0,"1000\nA,1,600\n',
    "binary-junk": bytes(range(256)) * 8,
    "nul-bytes": b"cohort,period,active\nA,0,10\x0000\nA,1,\x00\n",
    "very-long-cell": HEADER + "A,0," + "7" * 100_000 + "\n",
    "very-long-cohort-name": _long([("x" * 10_000, 0, 1000), ("x" * 10_000, 1, 600)]),
    "formula-cohort": _long([("=HYPERLINK(1)", 0, 1000), ("=HYPERLINK(1)", 1, 600)]),
    "many-bad-rows": HEADER + "A,0,x\n" * 5000,
    "wide-good": "cohort,0,1,2,3\nA,1000,631,468,382\nB,900,600,450,\n",
    "wide-huge-period-header": "cohort,0,1,99999999999999999999\nA,1000,631,468\n",
    "wide-text": "cohort,0,1,2\nA,1000,lots,400\n",
    "wide-inf": "cohort,0,1,2\nA,1000,inf,400\n",
    "wide-fraction": "cohort,0,1,2\nA,1000,600.5,400\n",
    "wide-above-ceiling": "cohort,0,1,2\nA,1e16,600,400\n",
    "duplicate-headers": "cohort,period,active,active\nA,0,1000,5\nA,1,600,4\nA,2,400,3\n",
    "html": "<html><body><table><tr><td>1</td></tr></table></body></html>",
    "yaml-document": "segments:\n  - name: x\n",
    "json-document": '{"cohort": "A", "period": 0, "active": 1000}',
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_cohort_file_exits_0_or_2_without_traceback(tmp_path, capsys, name):
    content = CASES[name]
    path = tmp_path / f"{name}.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    code = main(["calibrate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, err[-2000:])
    assert "Traceback" not in out + err
    assert "Error:" not in err.split("\n")[0] or code == 2
    if code == 2:
        assert err.startswith("cxroi: ") and str(path) in err
        assert len(err) < 6000  # messages echo the offending value, not the file
    else:
        assert "sBG fit 'pooled'" in out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("count-above-ceiling", "line 2: active must be at most 1e+15 customers"),
        ("fractional-count", "line 3: active must be a whole number of customers (got 600.5"),
        ("huge-period", "line 4: period must be at most 1000 (limit MAX_PERIOD"),
        ("inf-period", "line 2: period must be a whole number >= 0 (got inf)"),
        ("overflow-count-1e400", "line 2: active must be a count >= 0 (got inf"),
        ("increasing", "active rises from 600 at period 1 to 800 at period 2 (line 4)"),
        ("wide-huge-period-header", "period must be at most 1000"),
        ("wide-fraction", "period 1: active must be a whole number of customers (got 600.5)"),
        ("many-bad-rows", "5000 problem(s)"),
        ("etc-passwd-as-content", "cohort table is not usable"),
    ],
)
def test_hostile_files_name_the_row_and_rule(tmp_path, capsys, name, expected):
    path = tmp_path / "t.csv"
    content = CASES[name]
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    if name == "etc-passwd-as-content":
        assert "root:" not in err


def test_counts_at_the_ceiling_fit_like_small_counts(tmp_path, capsys):
    # Scaling every count by 1e12 leaves the maximum-likelihood estimate where it was.
    import json

    small = tmp_path / "small.csv"
    big = tmp_path / "big.csv"
    small.write_text(_long([("A", t, a) for t, a in enumerate([1000, 631, 468, 382, 326])]))
    big.write_text(_long([("A", t, a * 10**12) for t, a in enumerate([1000, 631, 468, 382, 326])]))
    alphas = []
    for path in (small, big):
        assert main(["calibrate", str(path), "--json"]) == 0
        alphas.append(json.loads(capsys.readouterr().out)["fit"]["alpha"]["estimate"])
    assert alphas[1] == pytest.approx(alphas[0], rel=1e-8)
