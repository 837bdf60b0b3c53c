"""The graph checks of a workflow: one initial state, every state reachable, no dead end, a final
state, timers that fire a way out. They also run on what remains of a file with schema problems,
counting in the parts taken out (``Ghosts``), so one pass reports every graph problem the rest
allows and none that the taking out alone caused.

A broken transition is assumed to work as written: one taken out for a schema problem still
leads from its sources to its destination, and a source or destination that names no state leads
to the state it most likely means (the one the "did you mean" names). So a state reached only
through a broken transition is not called unreachable next to that transition's own problem,
while a state nothing leads to, even so, is. Where what was written cannot tell (no destination,
no source), the checks that depend on it stay quiet.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yishi.definition.models import Workflow

Add = Callable[..., None]  # _Checker._add(path, message, hint, *, key, code)


@dataclass(frozen=True)
class Written:
    """A transition taken out, as written: None where the part cannot be read (any state)."""

    trigger: str | None
    sources: tuple[str, ...] | None
    dest: str | None


@dataclass(frozen=True)
class Ghosts:
    """What ``partial.prune`` took out of the document, as the author wrote it."""

    states: Mapping[str, Any] = field(default_factory=dict)  # name → what was written
    transitions: tuple[Written, ...] = ()
    initial: Any = None           # the top-level 'initial' as written, when it was taken out
    initial_gone: bool = False
    whole: bool = False           # 'states' or 'transitions' was taken out as a whole

    @classmethod
    def of(cls, data: Any, doomed: Iterable[tuple[str | int, ...]]) -> Ghosts:
        """The ghosts of the parts at ``doomed`` paths in the document ``data``."""
        data = data if isinstance(data, dict) else {}
        states = data.get("states") if isinstance(data.get("states"), dict) else {}
        moves = data.get("transitions") if isinstance(data.get("transitions"), list) else []
        doomed = set(doomed)
        gone_states = {str(p[1]): states.get(p[1]) for p in doomed
                       if len(p) == 2 and p[0] == "states" and p[1] in states}
        gone_moves = tuple(_written(moves[p[1]]) for p in sorted(doomed, key=str)
                           if len(p) == 2 and p[0] == "transitions" and isinstance(p[1], int)
                           and 0 <= p[1] < len(moves))
        return cls(states=gone_states, transitions=gone_moves, initial=data.get("initial"),
                   initial_gone=("initial",) in doomed,
                   whole=("states",) in doomed or ("transitions",) in doomed)

    def maybe(self, flag: str) -> bool:
        """Whether a state taken out may have been ``final`` (or ``initial``) as written."""
        return any(not isinstance(raw, dict) or raw.get(flag) not in (None, False)
                   for raw in self.states.values())


def _written(raw: Any) -> Written:
    if not isinstance(raw, dict):
        return Written(None, None, None)
    trigger = raw.get("trigger") if isinstance(raw.get("trigger"), str) else None
    source = raw.get("source")
    sources = (source,) if isinstance(source, str) else (
        tuple(s for s in source if isinstance(s, str)) if isinstance(source, list) else None)
    return Written(trigger, sources, raw.get("dest") if isinstance(raw.get("dest"), str) else None)


class Graph:
    """The states, the ghost states and the ways between them, as the author meant them."""

    def __init__(self, w: Workflow, ghosts: Ghosts) -> None:
        self.w = w
        self.ghosts = ghosts
        self.names = list(w.states) + [n for n in ghosts.states if n not in w.states]

    def resolve(self, name: str) -> str | None:
        """``name`` if it is a state, else the state it most likely means, else None."""
        if name in self.w.states or name in self.ghosts.states:
            return name
        close = difflib.get_close_matches(name, self.names, n=1)
        return close[0] if close else None

    def start(self) -> str | None:
        declared = self.w.initial or (self.ghosts.initial if isinstance(self.ghosts.initial, str) else None)
        if declared is not None:
            return self.resolve(declared)
        flagged = [n for n, st in self.w.states.items() if st.initial] + \
            [n for n, raw in self.ghosts.states.items() if isinstance(raw, dict) and raw.get("initial") is True]
        return flagged[0] if flagged else None

    def moves(self) -> list[tuple[str | None, list[str] | None, str | None, bool]]:
        """(trigger, sources or None for any, dest or None, whether dest is unknown) of every
        transition, the ghosts' included, sources and dest resolved."""
        out: list[tuple[str | None, list[str] | None, str | None, bool]] = []
        for t in self.w.transitions:
            out.append((t.trigger, [s for s in map(self.resolve, t.source) if s], self.resolve(t.dest), False))
        for g in self.ghosts.transitions:
            sources = None if g.sources is None else [s for s in map(self.resolve, g.sources) if s]
            out.append((g.trigger, sources, None if g.dest is None else self.resolve(g.dest), g.dest is None))
        return out

    def ghost_exits(self, state: str) -> set[str]:
        """The triggers of the transitions taken out that may leave ``state``."""
        out: set[str] = set()
        for g in self.ghosts.transitions:
            sources = None if g.sources is None else [self.resolve(s) for s in g.sources]
            if g.trigger and (sources is None or state in sources) and \
                    (g.dest is None or self.resolve(g.dest) != state):
                out.add(g.trigger)
        return out


def check_initial(w: Workflow, ghosts: Ghosts, add: Add, names: Callable[[Any], str],
                  did_you_mean: Callable[[str, Any], str]) -> None:
    """Exactly one initial state, and a defined one."""
    flagged = [name for name, st in w.states.items() if st.initial] + \
        [n for n, raw in ghosts.states.items() if isinstance(raw, dict) and raw.get("initial") is True]
    declared = [w.initial] if w.initial else []
    if not flagged and not declared:
        if not ghosts.initial_gone and not ghosts.maybe("initial"):
            add((), "no initial state", "add 'initial: <state>' at the top level", code="initial")
    elif len(flagged) + len(declared) > 1:
        both = declared + flagged
        add(("initial",) if declared else ("states", flagged[1], "initial"),
            f"more than one initial state: {', '.join(map(repr, both))}",
            "keep exactly one: either 'initial: <state>' or one state with 'initial: true'", code="initial")
    elif declared and w.initial not in w.states and w.initial not in ghosts.states:
        add(("initial",), f"initial state {w.initial!r} is not defined",
            f"{did_you_mean(declared[0], w.states)}define it under 'states:' or use one of {names(w.states)}",
            code="unknown_state")


def check_graph(w: Workflow, ghosts: Ghosts, add: Add) -> None:
    """Every state reachable from the initial one, none a dead end, some final."""
    if not w.states or ghosts.whole:
        return
    graph = Graph(w, ghosts)
    start = graph.start()
    if start is None:
        return
    edges: dict[str, set[str]] = {name: set() for name in graph.names}
    exits: set[str] = set()       # states with a way out, even to a state that is not defined
    anywhere_out = False          # a transition taken out whose sources cannot be read
    lead_anywhere: set[str] = set()  # sources of transitions taken out whose destination cannot be read
    for _trigger, sources, dest, unknown in graph.moves():
        if sources is None:
            anywhere_out = True
            sources = [start]     # it may leave any state, so also one that is reached
        for src in sources:
            exits.add(src)
            if unknown:
                lead_anywhere.add(src)
            elif dest is not None:
                edges[src].add(dest)
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    every = bool(seen & lead_anywhere)  # some reached state leads who knows where
    for name, state in w.states.items():
        if name not in seen and not every:
            add(("states", name), f"state {name!r} is unreachable from initial state {start!r}",
                "add a transition into it or remove it", key=True, code="unreachable")
        if not state.final and name not in exits and not anywhere_out:
            add(("states", name), f"state {name!r} is a dead end: it is not final and has no way out",
                "add a transition out of it or mark it 'final: true'", key=True, code="dead_end")
    if not any(state.final for state in w.states.values()) and not ghosts.maybe("final"):
        add(("states",), "no state is final", "mark the closing state(s) 'final: true'", key=True,
            code="no_final")
