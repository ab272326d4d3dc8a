"""Helpers for the workbook tests: LibreOffice recalculation, reading and editing inputs.

:func:`recalculate` converts many ``.xlsx`` files in one headless ``soffice`` call, with a
throw-away LibreOffice profile whose settings make Calc recalculate every formula when it loads
an OOXML or ODF file ("Recalculation on file load: always"), so the values read back are
LibreOffice's, never the cached ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculate(files: Sequence[Path], out_dir: Path, timeout: float = 600) -> list[Path]:
    """Open each workbook in headless LibreOffice, recalculate all, save as ``.xlsx``.

    One ``soffice`` process converts every file. Returns the recalculated copies, in order.
    """
    assert SOFFICE, "soffice is not installed"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cxroi-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE)
        cmd = [
            SOFFICE,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out_dir),
            *[str(f) for f in files],
        ]
        env = {**os.environ, "HOME": profile}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    outputs = [out_dir / Path(f).name for f in files]
    missing = [str(p) for p in outputs if not p.is_file()]
    assert not missing, f"soffice did not write {missing}: {proc.stdout}\n{proc.stderr}"
    return outputs


def named_values(path: Path) -> dict[str, Any]:
    """Every workbook name that points at one cell, with the cell's (cached) value."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for name, dn in wb.defined_names.items():
        dest = list(dn.destinations)
        if len(dest) != 1:
            continue
        sheet, ref = dest[0]
        value = wb[sheet][ref.replace("$", "")].value
        out[name] = None if value == "" else value
    return out


_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]*)\]")
#: Fields whose ``[k]`` is a year or a number of renewals (list position or mapping key).
_INDEXED = ("ramp", "opex", "capex", "tenure", "amount")


def set_path(data: dict, path: str, value: float) -> None:
    """Set a field path in a scenario mapping (``segments[Affluent].retention.alpha``)."""
    tokens = _TOKEN.findall(path)
    node: Any = data
    holder: Any = None
    field = None
    for n, (attr, key) in enumerate(tokens):
        last = n == len(tokens) - 1
        if attr:
            if last:
                node[attr] = value
                return
            nxt_is_index = tokens[n + 1][1] != "" and attr in _INDEXED
            if attr == "effects":
                node = node.setdefault("effects", {})
            elif nxt_is_index:
                holder, field = node, attr
                node = node[attr]
            else:
                node = node[attr]
        else:
            if isinstance(node, list) and node and isinstance(node[0], dict) and "name" in node[0]:
                node = next(item for item in node if item["name"] == key)
            elif isinstance(node, list):
                node[int(key) - 1] = value
                return
            elif isinstance(node, dict) and field in _INDEXED:
                holder[field] = {int(k): v for k, v in node.items()}
                holder[field][int(key)] = value
                return
            else:  # effects[target]
                node = node.setdefault(key, {})
                if last:
                    raise ValueError(path)


def set_inputs(path: Path, changes: dict[str, float], out: Path) -> Path:
    """Copy a workbook with the ``Inputs`` rows of ``changes`` (field path -> value) changed."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for p, v in changes.items():
        ws.cell(rows[p], 2).value = v
    wb.save(out)
    return out
