"""Graph and name checks on what remains of a workflow that does not fit the schema.

Pydantic reports every schema problem at once, but the graph and name checks need a model, so a
file with schema problems used to be reported in two rounds: fix those, then learn of the rest.
``prune`` takes the parts the schema problems sit in out of the document (a form field, a
timer, a transition, a state, a param, a role, an unknown key), keeping every position of what
stays, so the checker can look at the rest in the same pass, counting in what was taken out
(``graph_checks.Ghosts``: a state reached only through a transition taken out is not unreachable).
``relevant`` drops the problems that name a part taken out.
"""

from __future__ import annotations

from typing import Any

from yishi.definition.source import Path, Source
from yishi.errors import Problem

_PLACEHOLDERS: dict[str, Any] = {"id": "invalid_id", "version": 1, "title": {"zh": "?", "en": "?"},
                                 "description": "?"}
# the graph problems, which the checker finds with the parts taken out counted in
_GRAPH_CODES = {"unreachable", "dead_end", "no_final", "initial", "timer_trigger"}


def target(path: Path, kind: str = "") -> Path:
    """The part of the document to take out for a schema problem of ``kind`` at ``path``: an
    unknown key alone, else the field, timer, transition, state, param or role it sits in."""
    if not path:
        return ()
    if kind == "extra_forbidden":
        return path
    head = path[0]
    if head == "transitions":
        if len(path) >= 4 and path[2] in ("form", "guards", "actions") and isinstance(path[3], int):
            return path[:4]
        return path[:2]
    if head == "states" and len(path) >= 2:
        if len(path) >= 4 and path[2] in ("form", "timers") and isinstance(path[3], int):
            return path[:4]
        return path[:2]
    if head in ("params", "roles") and len(path) >= 2:
        return path[:2]
    return path[:1]


def prune(source: Source, doomed: set[Path]) -> Source:
    """A copy of ``source`` without the parts in ``doomed``; marks follow the parts that stay
    (list items after a removed one move up, and so do their positions). Top-level keys the
    schema requires are replaced by placeholders rather than removed."""
    marks: dict[Path, tuple[int, int]] = {}
    key_marks: dict[Path, tuple[int, int]] = {}

    def copy(node: Any, old: Path, new: Path) -> Any:
        if old in source.marks:
            marks[new] = source.marks[old]
        if old in source.key_marks:
            key_marks[new] = source.key_marks[old]
        if isinstance(node, dict):
            out: dict[Any, Any] = {}
            for key, value in node.items():
                here = (*old, key)
                if here in doomed:
                    if len(here) == 1 and key in _PLACEHOLDERS:
                        out[key] = _PLACEHOLDERS[key]
                    continue
                out[key] = copy(value, here, (*new, key))
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for index, value in enumerate(node):
                here = (*old, index)
                if here in doomed:
                    continue
                items.append(copy(value, here, (*new, len(items))))
            return items
        return node

    data = copy(source.data, (), ())
    if isinstance(data, dict):
        for key in doomed:
            if len(key) == 1 and key[0] in _PLACEHOLDERS and key[0] not in data:
                data[key[0]] = _PLACEHOLDERS[key[0]]  # a required key that was missing
    return Source(file=source.file, data=data, marks=marks, key_marks=key_marks, text=source.text)


def relevant(problems: list[Problem], doomed: set[Path], source: Source) -> list[Problem]:
    """The checker's problems on a pruned document, without those that name a part taken out (a
    transition into a state taken out is not a second mistake). The graph problems stay: the
    checker counted the parts taken out in (``graph_checks.Ghosts``), so what it reports about
    the graph holds whatever those parts turn out to be."""
    data = source.data if isinstance(source.data, dict) else {}
    moves: list[Any] = data["transitions"] if isinstance(data.get("transitions"), list) else []
    gone = [moves[p[1]] for p in doomed if len(p) == 2 and p[0] == "transitions"
            and isinstance(p[1], int) and p[1] < len(moves) and isinstance(moves[p[1]], dict)]
    names = {str(p[1]) for p in doomed if len(p) == 2 and p[0] in ("states", "params", "roles")}
    names |= {str(t.get("trigger")) for t in gone}
    for path in doomed:  # form fields taken out: what refers to them is not a second mistake
        if len(path) == 2 and path[0] == "states":
            state = (data.get("states") or {}).get(path[1]) if isinstance(data.get("states"), dict) else None
            form = state.get("form") if isinstance(state, dict) else None
            names |= {str(f["name"]) for f in form or [] if isinstance(f, dict) and f.get("name") is not None} \
                if isinstance(form, list) else set()
        if len(path) == 4 and path[2] == "form":
            node: Any = data
            for step in path:
                node = node.get(step) if isinstance(node, dict) else (
                    node[step] if isinstance(node, list) and isinstance(step, int) and step < len(node) else None)
            if isinstance(node, dict) and node.get("name") is not None:
                names.add(str(node["name"]))
    if ("id",) in doomed:
        names.add(str(data.get("id")))
    return [problem for problem in problems
            if problem.code in _GRAPH_CODES or not any(repr(name) in problem.message for name in names)]
