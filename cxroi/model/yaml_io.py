"""Reading scenario YAML safely, within limits checked before anything is expanded.

Part of the scenario's edge (:mod:`cxroi.model.scenario` loads with it; docs/limits.md lists the
limits): only safe tags, no key given twice, merge keys as YAML defines them, and a text, alias,
nesting and expanded-node ceiling, so a "billion laughs" file is refused in milliseconds. A
mapping passed directly (papermill parameters) gets the same nesting and size limits.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from cxroi.model.issues import ScenarioError, ScenarioIssue

__all__ = [
    "MAX_EXCERPT_CHARS",
    "MAX_YAML_ALIASES",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "parse_yaml",
    "read_yaml",
]

#: Largest scenario file or text accepted, in bytes (UTF-8).
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Most YAML aliases (``*name``) one document may use.
MAX_YAML_ALIASES = 1000
#: Most nodes a document may hold once every alias is expanded (mappings, lists, scalars, keys).
MAX_YAML_NODES = 100_000
#: Deepest nesting of mappings and lists (in YAML or in a mapping passed directly).
MAX_YAML_DEPTH = 32
#: Longest excerpt of the input shown in an error message.
MAX_EXCERPT_CHARS = 80


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _excerpt(text: Any) -> str:
    text = str(text)
    return text if len(text) <= MAX_EXCERPT_CHARS else text[: MAX_EXCERPT_CHARS - 3] + "..."


if TYPE_CHECKING:  # libyaml's loader when built with it; the stubs type both alike
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """Safe YAML loader (libyaml's when available) that refuses a key given twice.

    Merge keys (``<<: *base``) work as YAML defines them: the merged mapping's keys come first
    and keys written in the mapping itself override them.
    """


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:  # merged keys may be overridden: not duplicates
            continue
        if isinstance(key_node, yaml.ScalarNode):  # the usual case: compare without building
            key = (
                loader.construct_object(key_node, deep=deep)
                if key_node.tag != ("tag:yaml.org,2002:str")
                else key_node.value
            )
        else:
            key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {_excerpt(repr(key))} appears twice in one mapping "
                f"(first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _limit_error(rule: str, source: str | None) -> ScenarioError:
    return ScenarioError(ScenarioIssue("", rule), source)


def _check_events(text: str, source: str | None) -> None:
    """Refuse too many aliases or too deep nesting, from the event stream (nothing is built)."""
    loader = _UniqueKeyLoader(text)
    depth = aliases = 0
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    mark = event.start_mark
                    where = f", line {mark.line + 1}" if mark is not None else ""
                    raise _limit_error(
                        f"nesting deeper than {MAX_YAML_DEPTH} levels "
                        f"(limit MAX_YAML_DEPTH{where})",
                        source,
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise _limit_error(
                        f"more than {MAX_YAML_ALIASES} aliases (limit MAX_YAML_ALIASES)", source
                    )
            elif isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()


def _check_expanded(root: yaml.Node, source: str | None) -> None:
    """Refuse a document whose alias-expanded node count is too large.

    The count is taken on the composed node graph, where an alias is the same node object
    reached again, memoising each node's expanded size: the work is linear in the text, never
    in the expansion. A node reached again while its own size is being counted is a recursive
    alias, refused as well.
    """
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise _limit_error("a recursive alias (a node that contains itself)", source)
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            busy.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                total += size(child)
                if total > MAX_YAML_NODES:
                    break
            busy.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            raise _limit_error(
                f"more than {MAX_YAML_NODES} nodes once aliases are expanded "
                "(limit MAX_YAML_NODES)",
                source,
            )
        return total

    size(root)


def read_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML scenario file safely, with limits and line numbers in syntax errors.

    Only regular files are read (not FIFOs, devices or folders), and at most
    ``MAX_YAML_BYTES + 1`` bytes of them; a UTF-8 byte-order mark is allowed.

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not a regular file, is too large, is empty, is not
        UTF-8 or is not valid YAML within the limits of :func:`parse_yaml`.
    """
    source = str(path)
    if "\x00" in source:  # os.stat would raise ValueError: no file name holds a NUL
        raise ScenarioError(ScenarioIssue("", "file not found (the name holds a NUL byte)"))
    if len(source) > 4096:
        raise ScenarioError(ScenarioIssue("", "file not found (the name is over 4096 characters)"))
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                ScenarioIssue(
                    "", "cannot read the file (not a regular file: a folder, FIFO or device)"
                ),
                source,
            )
        with open(path, "rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(ScenarioIssue("", "file not found", source), source) from None
    except OSError as exc:
        reason = _excerpt(exc.strerror or type(exc).__name__)
        raise ScenarioError(ScenarioIssue("", f"cannot read the file ({reason})"), source) from None
    if len(raw) > MAX_YAML_BYTES:
        raise _limit_error(
            f"file larger than {MAX_YAML_BYTES} bytes (limit MAX_YAML_BYTES)", source
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            ScenarioIssue("", f"is not UTF-8 text (bad byte at offset {exc.start})"), source
        ) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str | None = None) -> Any:
    """Parse scenario YAML text safely, within limits checked before anything is expanded.

    No arbitrary objects (safe tags only), no duplicate keys, merge keys as YAML defines them.
    Before any value is built the text must be at most ``MAX_YAML_BYTES`` bytes, use at most
    ``MAX_YAML_ALIASES`` aliases, nest at most ``MAX_YAML_DEPTH`` levels and hold at most
    ``MAX_YAML_NODES`` nodes with every alias expanded, so a "billion laughs" file is refused
    in milliseconds.

    Parameters
    ----------
    text : str
        The YAML text (a leading byte-order mark is ignored).
    source : str, optional
        Name of the text in error messages (a file name).

    Raises
    ------
    ScenarioError
        Naming the source and the limit or syntax problem; never the expanded content.
    """
    if not isinstance(text, str):
        raise ScenarioError(ScenarioIssue("", "YAML text must be a string"), source)
    if len(text) > MAX_YAML_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise _limit_error(
            f"text larger than {MAX_YAML_BYTES} bytes (limit MAX_YAML_BYTES)", source
        )
    text = text.removeprefix("\ufeff")
    try:
        _check_events(text, source)
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                data = None
            else:
                _check_expanded(node, source)
                data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issue = ScenarioIssue("", f"YAML syntax error{where}: {_excerpt(problem)}")
        raise ScenarioError(issue, source) from None
    except RecursionError:
        raise _limit_error("nesting too deep to read", source) from None
    if data is None:
        raise ScenarioError(ScenarioIssue("", "the scenario is empty"), source)
    return data


def _check_mapping_size(data: Any, source: str | None) -> None:
    """Apply the nesting and node-count limits to a mapping passed directly."""
    count = 0
    busy: set[int] = set()

    def walk(node: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_YAML_NODES:
            raise _limit_error(f"more than {MAX_YAML_NODES} values (limit MAX_YAML_NODES)", source)
        if isinstance(node, (Mapping, list, tuple)):
            if depth > MAX_YAML_DEPTH:
                raise _limit_error(
                    f"nesting deeper than {MAX_YAML_DEPTH} levels (limit MAX_YAML_DEPTH)", source
                )
            if id(node) in busy:
                raise _limit_error("a mapping or list that contains itself", source)
            busy.add(id(node))
            items = [x for kv in node.items() for x in kv] if isinstance(node, Mapping) else node
            for item in items:
                walk(item, depth + 1)
            busy.discard(id(node))

    walk(data, 1)
