"""Safe YAML reading that keeps the line and column of every value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from yishi.errors import Problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64  # a workflow nests about 8 levels deep; this keeps the builder off the recursion limit

try:  # libyaml is ten times faster; the pure loader gives the same nodes and marks
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader whose booleans are only ``true``/``false`` (YAML 1.2), so ``on``/``no`` stay text."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

Path = tuple[str | int, ...]


@dataclass
class Source:
    """A parsed document: plain Python data plus the position of every path in it."""

    file: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    text: str = ""

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Return (line, col), 1-based, of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if key and path in self.key_marks:
                return self.key_marks[path]
            if path in self.marks:
                return self.marks[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(self, path: Path, message: str, hint: str = "", *, key: bool = False,
                code: str = "invalid") -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message, hint, code)


class SourceError(Exception):
    """The document cannot be read at all; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def read_source(text: str | bytes, file: str = "<string>") -> Source:
    """Parse ``text`` as safe YAML into a ``Source``.

    Raises ``SourceError`` for a document that is too large, not YAML, uses custom tags or
    merge keys, repeats a key, nests deeper than ``MAX_DEPTH`` or expands (through aliases)
    to more than ``MAX_NODES`` values.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise SourceError([_too_big(file, len(text))])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError([Problem(file, 1, 1, f"the file is not UTF-8 ({exc.reason})",
                                       "save it as UTF-8", "encoding")]) from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise SourceError([_too_big(file, len(text.encode("utf-8")))])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise SourceError([_syntax_problem(file, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise SourceError([Problem(file, 1, 1, f"YAML error: {exc}", "", "yaml")]) from None
    finally:
        loader.dispose()
    source = Source(file=file, data=None, text=text)
    if node is None:
        raise SourceError([Problem(file, 1, 1, "the file is empty",
                                   "start with 'id:', 'version:' and 'title:'", "empty")])
    builder = _Builder(source)
    source.data = builder.build(node, ())
    if builder.problems:
        raise SourceError(builder.problems)
    return source


def _too_big(file: str, size: int) -> Problem:
    return Problem(file, 1, 1, f"the file is {size} bytes, over the limit of {MAX_BYTES}",
                   "split it into several workflows", "size")


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or "not valid YAML"
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = here[:len(here) - len(here.lstrip(" \t"))]
    if "\t" in indent or "\t" in what or "'\\t'" in what:
        # libyaml says only "found character that cannot start any token"
        return Problem(file, line, (indent.find("\t") + 1) or col,
                       "YAML syntax error: a tab is used for indentation",
                       "indent with spaces, not tabs", "yaml")
    if "single document" in what or "another document" in what:
        return Problem(file, line, col, "YAML syntax error: the file holds more than one document",
                       "keep one workflow per file and remove the second '---'", "yaml")
    if "mapping values" in what:
        hint = "quote values that contain ': ' or check the indentation of this line"
    elif "expected ',' or '}'" in what or "expected ',' or ']'" in what:
        hint = "close the '{' or '[' opened before, and quote values that contain ',' or ': '"
    elif "could not find expected ':'" in what:
        hint = "write 'key: value' (a space after the colon) or check the indentation"
    else:
        hint = "check the indentation and quoting around this position"
    return Problem(file, line, col, f"YAML syntax error: {what}", hint, "yaml")


_TAG_NOUNS = {"int": "a whole number", "float": "a number", "bool": "true or false", "null": "empty"}
_TAG_EXAMPLES = {"int": "a whole number such as 3", "float": "a number such as 0.5",
                 "bool": "true or false", "null": "nothing after the colon"}


class _Builder:
    """Turns composed YAML nodes into plain data, recording marks and refusing unsafe input."""

    _SCALARS = {
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    }

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()  # collections built once: meeting one again means an alias
        self.alias_at: Path | None = None  # the outermost path where an alias is being expanded
        self.open: set[int] = set()  # the collections being built around the current node

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                line, col = self._key_where(self.alias_at or path)
                self.problems.append(Problem(
                    self.source.file, line, col,
                    f"the document expands to more than {MAX_NODES} values "
                    "(anchors and aliases repeated too often)",
                    "write the values out instead of nesting aliases of aliases", "bomb"))
            return None
        self.source.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if len(path) > MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
            if not any(p.code == "depth" for p in self.problems):
                self._add(node, f"the document is nested more than {MAX_DEPTH} levels deep",
                          "flatten the structure; a workflow needs far fewer levels", "depth")
            return None
        if id(node) in self.open:
            line, col = self._key_where(path)
            self.problems.append(Problem(
                self.source.file, line, col, "an alias refers to the collection it is part of",
                "remove the alias; a workflow cannot contain itself", "recursive"))
            return None
        if not isinstance(node, yaml.ScalarNode):
            outer = self.alias_at
            if id(node) in self.seen and outer is None:
                self.alias_at = path
            self.seen.add(id(node))
            self.open.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self.open.discard(id(node))
                self.alias_at = outer
        return self._scalar(node)

    def _key_where(self, path: Path) -> tuple[int, int]:
        """The position of the nearest key on ``path`` (an alias's own marks are its anchor's)."""
        while path and path not in self.source.key_marks:
            path = path[:-1]
        return self.source.key_marks.get(path, (1, 1))

    def _collection(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self._custom_tag(node)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return None  # pragma: no cover - YAML has no other node kinds

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag not in self._SCALARS:
            self._custom_tag(node)
            return node.value
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay text; the schema decides what they mean
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception:  # noqa: BLE001 - PyYAML raises ValueError, KeyError, IndexError… for '!!int abc'
            kind = node.tag.rpartition(":")[2]
            self._add(node, f"{node.value!r} cannot be read as {_TAG_NOUNS.get(kind, kind)} "
                            f"(it is tagged '!!{kind}')",
                      f"remove the '!!{kind}' tag, or write {_TAG_EXAMPLES.get(kind, 'a plain value')}",
                      "tag")
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            self._custom_tag(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._add(key_node, "a key must be plain text", "write the key as a word", "key")
                continue
            key = key_node.value
            if key == "<<":
                self._add(key_node, "merge keys ('<<') are not supported",
                          "write the keys out in full", "merge")
                continue
            if key in out:
                first = self.source.key_marks.get(path + (key,), (0, 0))
                self._add(key_node, f"key {key!r} appears twice (first at line {first[0]})",
                          "remove or rename one of them", "duplicate")
                continue
            self.source.key_marks[path + (key,)] = (key_node.start_mark.line + 1,
                                                    key_node.start_mark.column + 1)
            out[key] = self.build(value_node, path + (key,))
        return out

    def _custom_tag(self, node: yaml.Node) -> None:
        self._add(node, f"custom tag {node.tag!r} is not allowed",
                  "remove the tag; workflow files are plain YAML", "tag")

    def _add(self, node: yaml.Node, message: str, hint: str, code: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.source.file, mark.line + 1, mark.column + 1,
                                     message, hint, code))
