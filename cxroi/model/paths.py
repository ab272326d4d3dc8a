"""Field paths: how a scenario names one of its values, read and listed in one place.

A field path names a value the way validation messages do (docs/model.md §2):
``segments[Affluent].retention.alpha``, ``initiatives[CRM].effects[*].churn_prevented``,
``initiatives[CRM].capex[1]``. Items of a list (segments, initiatives, TEI lines) are named in
brackets by their ``name``, and so are the keys of an ``effects`` mapping (segment names or
``*``) and of a mapping by year. :func:`lookup` reads the value a path names, from a scenario
model or from a scenario mapping; :func:`leaves` lists a mapping's values by path.

Examples
--------
>>> data = {"segments": [{"name": "A", "retention": {"alpha": 2.0, "beta": 5.0}}]}
>>> lookup(data, "segments[A].retention.alpha")
2.0
>>> leaves(data)
{'segments[A].name': 'A', 'segments[A].retention.alpha': 2.0, 'segments[A].retention.beta': 5.0}
>>> field_name("initiatives[CRM].capex[1]"), parent("segments[A].retention.alpha")
('capex', 'segments[A].retention')
>>> parts("initiatives[CRM].effects[*].churn_prevented")
[('initiatives', None), (None, 'CRM'), ('effects', None), (None, '*'), ('churn_prevented', None)]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["field_name", "leaves", "lookup", "parent", "parts"]

_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]*)\]")


def parts(path: str) -> list[tuple[str | None, str | None]]:
    """The steps of a path: ``(attribute, None)`` for a name, ``(None, key)`` for a bracket."""
    return [(attr or None, None if attr else key) for attr, key in _TOKEN.findall(path)]


def field_name(path: str) -> str:
    """The name of the field a path ends in, without a trailing bracket (``"capex"``)."""
    last = path.rsplit(".", 1)[-1]
    return last.split("[", 1)[0]


def parent(path: str) -> str:
    """The path without its last field name (``""`` for a top-level field)."""
    return path.rsplit(".", 1)[0] if "." in path else ""


def _item(node: Any, key: str) -> Any:
    """The entry ``key`` of a mapping, or the item named ``key`` of a list."""
    if isinstance(node, Mapping):
        if key not in node and key.isdigit() and int(key) in node:
            return node[int(key)]  # a mapping by year or renewals: capex[1]
        return node[key]
    for item in node:
        name = item.get("name") if isinstance(item, Mapping) else getattr(item, "name", None)
        if name == key:
            return item
    if key.isdigit() and isinstance(node, (list, tuple)):
        return node[int(key) - 1]  # a list by year: opex[1] is the first year's amount
    raise KeyError(key)


def lookup(node: Any, path: str) -> Any:
    """The value a field path names in a scenario model or a scenario mapping.

    Parameters
    ----------
    node : Scenario or mapping
        Where to look.
    path : str
        A field path such as ``segments[Affluent].retention.alpha``.

    Raises
    ------
    KeyError, AttributeError
        If the path names nothing there.
    """
    for attr, key in parts(path):
        if attr is not None:
            node = node[attr] if isinstance(node, Mapping) else getattr(node, attr)
        else:
            node = _item(node, str(key))
    return node


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """The values of a scenario mapping by field path (named list items by name).

    A distribution (a mapping with ``dist``), a plain list (opex, ramp) and a capex mapping
    by year are values of their own; segments, initiatives and lines are addressed by name
    and effect targets in brackets: ``initiatives[CRM].effects[*].churn_prevented``.
    """
    out: dict[str, Any] = {}
    if isinstance(node, Mapping) and "dist" not in node and not prefix.endswith(".capex"):
        for key, value in node.items():
            if prefix.endswith(".effects"):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(leaves(value, path))
        return out
    if (
        isinstance(node, list)
        and node
        and all(isinstance(x, Mapping) and "name" in x for x in node)
    ):
        for item in node:
            out.update(leaves(item, f"{prefix}[{item['name']}]"))
        return out
    out[prefix] = node
    return out
