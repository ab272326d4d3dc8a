"""Field paths: how a scenario names one of its values, read and listed in one place.

A field path names a value the way validation messages do (docs/model.md §2):
``segments[Affluent].retention.alpha``, ``initiatives[CRM].effects[*].churn_prevented``,
``initiatives[CRM].capex[1]``. Items of a list (segments, initiatives, TEI lines) are named in
brackets by their ``name``, and so are the keys of an ``effects`` mapping (segment names or
``*``) and of a mapping by year. :func:`lookup` reads the value a path names, from a scenario
model or from a scenario mapping; :func:`walk` visits (and rebuilds) a mapping value by value,
naming each by its path, and :func:`leaves` lists a mapping's values by path with it.

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
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["BRACKET_PARENTS", "field_name", "leaves", "lookup", "parent", "parts", "walk"]

#: Mapping fields whose keys a path shows in brackets: effect targets (segment names or ``*``),
#: years (``capex``, a line's ``amount``) and renewals (``tenure``).
BRACKET_PARENTS = ("effects", "capex", "amount", "tenure")

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


def walk(
    node: Any,
    visit: Callable[[str, Any, bool], Any],
    post: bool = False,
    *,
    path: str = "",
    descend: Callable[[str, Any], bool] | None = None,
    key_text: Callable[[Any], str] = str,
) -> Any:
    """Rebuild ``node`` with ``visit(path, value, is_target)`` applied to every value below it.

    The one walk over the field paths of a scenario mapping: list items are addressed by their
    ``name`` (or their position from 0) and the keys of the :data:`BRACKET_PARENTS` mappings in
    brackets, as :func:`lookup` reads them.

    Parameters
    ----------
    node : mapping, list or value
        What to walk.
    visit : callable
        ``visit(path, value, is_target)`` returns the value to keep. ``is_target`` is true for
        an ``effects`` mapping and its keys (segment names, not inputs).
    post : bool, default False
        Apply ``visit`` after descending (it then sees the rebuilt children), not before.
    path : str, default ""
        The path of ``node`` itself.
    descend : callable, optional
        ``descend(path, value)``: whether to walk into a mapping or list (default: always);
        one not walked into is kept as it is.
    key_text : callable, default str
        How a key or name is written in a path (for example shortened for a message).

    Returns
    -------
    The rebuilt ``node``.
    """
    return _walk(node, path, None, visit, post, descend, key_text)


def _walk(
    node: Any,
    path: str,
    parent: str | None,
    visit: Callable[[str, Any, bool], Any],
    post: bool,
    descend: Callable[[str, Any], bool] | None,
    key_text: Callable[[Any], str],
) -> Any:
    if descend is not None and not descend(path, node):
        return node
    if isinstance(node, Mapping):
        out = {}
        for key, child in node.items():
            if parent in BRACKET_PARENTS and path:
                child_path = f"{path}[{key_text(key)}]"
            else:
                child_path = f"{path}.{key_text(key)}" if path else key_text(key)
            is_target = parent == "effects" or key == "effects"
            if not post:
                child = visit(child_path, child, is_target)
            child = _walk(child, child_path, str(key), visit, post, descend, key_text)
            out[key] = visit(child_path, child, is_target) if post else child
        return out
    if isinstance(node, list):
        out_list = []
        for i, item in enumerate(node):
            name = item.get("name") if isinstance(item, Mapping) else None
            label = name.strip() if isinstance(name, str) and name.strip() else str(i)
            child_path = f"{path}[{key_text(label)}]"
            if not post:
                item = visit(child_path, item, False)
            item = _walk(item, child_path, parent, visit, post, descend, key_text)
            out_list.append(visit(child_path, item, False) if post else item)
        return out_list
    return node


def _is_branch(path: str, node: Any) -> bool:
    """Whether :func:`leaves` lists the values inside ``node`` rather than ``node`` itself."""
    if isinstance(node, Mapping):
        return "dist" not in node and not path.endswith(".capex")
    return (
        isinstance(node, list)
        and bool(node)
        and all(isinstance(x, Mapping) and "name" in x for x in node)
    )


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """The values of a scenario mapping by field path (named list items by name).

    A distribution (a mapping with ``dist``), a plain list (opex, ramp) and a capex mapping
    by year are values of their own; segments, initiatives and lines are addressed by name
    and effect targets in brackets: ``initiatives[CRM].effects[*].churn_prevented``
    (see :func:`walk`).
    """
    if not _is_branch(prefix, node):
        return {prefix: node}
    out: dict[str, Any] = {}

    def visit(path: str, value: Any, is_target: bool) -> Any:
        if not _is_branch(path, value):
            out[path] = value
        return value

    walk(node, visit, path=prefix, descend=_is_branch)
    return out
