"""Model-based testing of any workflow: random walks under the simulated clock, and path coverage.

For plugin authors (``from yishi.modeltest import explore, reachability_problems``) as much as for
yishi's own suite. A random walk starts a case and takes random moves, each a step with random
data that fits the forms or time passing (due timers fire); after every move it checks that the
case stays inside the definition, the record verifies, and a closed case offers nothing::

    def test_my_procedure(make_engine, sim_clock):
        engine = make_engine(workflow_files("my_procedure.yaml"))
        report = explore(engine, sim_clock, "my_procedure", walks=20, steps=60)
        assert report.finals_reached              # some walk closed a case
        print(report.summary())                   # transitions and states covered
        assert reachability_problems(engine.workflow("my_procedure").workflow) == []

Hypothesis users pass their own ``Pick`` (see ``HypothesisPick``) to ``walk``.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

from yishi.definition.models import Check, FormField, Workflow
from yishi.engine import Actor, Engine
from yishi.engine.stepdata import replay
from yishi.engine.types import Case
from yishi.errors import FormError, RefusedError
from yishi.testing import SimClock

WAITS = [timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=10), timedelta(days=40)]
WORDS = ["同意", "需补充材料", "居民张某", "3号楼", "text with spaces"]


def everyone(wf: Workflow) -> Actor:
    """An actor holding every role of the workflow."""
    return Actor.of("全能测试员", *wf.roles)


# ---------------------------------------------------------------- random data that fits a form
class Pick(Protocol):
    """Where a walk's choices come from: ``RandomPick(seed)`` or ``HypothesisPick(data)``."""

    def one(self, items: list[Any]) -> Any: ...
    def integer(self, low: int, high: int) -> int: ...
    def coin(self) -> bool: ...


class HypothesisPick:
    """Choices drawn from hypothesis's ``st.data()``, so failing walks shrink."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def one(self, items: list[Any]) -> Any:
        from hypothesis import strategies as st

        return self.data.draw(st.sampled_from(items))

    def integer(self, low: int, high: int) -> int:
        from hypothesis import strategies as st

        return self.data.draw(st.integers(low, high))

    def coin(self) -> bool:
        from hypothesis import strategies as st

        return self.data.draw(st.booleans())


class RandomPick:
    """Choices from a seeded ``random.Random``: the same seed walks the same way."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def one(self, items: list[Any]) -> Any:
        return self.rng.choice(items)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def coin(self) -> bool:
        return self.rng.random() < 0.5


def _bound(wf: Workflow, value: float | str | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str) and value.startswith("$"):
        return int(wf.param_value(value[1:]))
    return int(float(value))


class Known:
    """What a form's constraints may refer to while data is drawn: the values drawn so far, the
    case's recorded data (``state.field`` or any state), and today's date."""

    def __init__(self, case: Case | None = None, today: date | None = None) -> None:
        self.drawn: dict[str, Any] = {}
        self.case = case
        self.today = today or date(2026, 1, 5)

    def get(self, name: str | None) -> Any:
        if name is None:
            return None
        if name in self.drawn:
            return self.drawn[name]
        if self.case is None:
            return None
        data = self.case.data
        if "." in name:
            state, _, key = name.partition(".")
            return data.get(state, {}).get(key)
        if name in data.get(self.case.state, {}):
            return data[self.case.state][name]
        return next((v[name] for v in data.values() if name in v), None)


def fill(wf: Workflow, form: list[FormField] | tuple[FormField, ...], pick: Pick,
         *, all_required: bool = True, known: Known | None = None,
         checks: list[Check] | None = None) -> dict[str, Any]:
    """Valid values for the form's required fields (and some optional ones); never readonly ones.
    Values respect the form's constraints (bounds naming fields, unique items, dates not after
    today or before another date, sums at most a field) as far as ``known`` tells what they refer to."""
    known = known or Known()
    out: dict[str, Any] = {}
    for f in form:
        if f.readonly or not ((f.required and all_required) or pick.coin()):
            continue
        out[f.name] = known.drawn[f.name] = value_for(wf, f, pick, known)
    for check in checks or []:
        bound = check.at_most
        limit = known.get(bound) if isinstance(bound, str) and not bound.startswith("$") else \
            (_bound(wf, bound, 0) if bound is not None else None)
        total = sum(known.get(n) or 0 for n in check.sum)
        for name in reversed(check.sum):  # lower the parts until they fit the whole
            if not isinstance(limit, (int, float)) or total <= limit:
                break
            value = out.get(name)
            if isinstance(value, (int, float)):
                cut = min(value, total - limit)
                out[name] = known.drawn[name] = value - cut
                total -= cut
    return out


def _ref_bound(wf: Workflow, value: float | str | None, default: int, known: Known) -> int:
    if isinstance(value, str) and not value.startswith("$"):
        found = known.get(value)
        return int(found) if isinstance(found, (int, float)) else default
    return _bound(wf, value, default)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def value_for(wf: Workflow, f: FormField, pick: Pick, known: Known | None = None) -> Any:
    """A random value that fits field ``f`` (and its constraints, as far as ``known`` tells)."""
    known = known or Known()
    if f.type in ("text", "longtext", "person"):
        return pick.one(WORDS)
    if f.type in ("integer", "number"):
        low = _ref_bound(wf, f.min, 0, known)  # small numbers: a quorum or a majority passes often enough
        high = _ref_bound(wf, f.max, low + 4, known)
        return pick.integer(min(low, high), high)
    if f.type == "boolean":
        return pick.integer(0, 3) != 0  # mostly yes: consents, checks and signatures
    if f.type == "date":
        if f.not_after == "now":  # a meeting already held: on or before today, not before what it follows
            ref = f.not_before if f.not_before not in (None, "now", "opened", "entered") else None
            day = known.today - timedelta(days=pick.integer(0, 3))
            earliest = _day(known.get(ref)) if ref else None
            if f.not_before in ("opened", "entered"):
                earliest = known.today
            return max(day, earliest or day).isoformat()
        if f.not_before is not None:
            return (known.today + timedelta(days=pick.integer(0, 60))).isoformat()
        return (date(2026, 1, 1) + timedelta(days=pick.integer(0, 400))).isoformat()
    if f.type == "datetime":
        moment = datetime(2026, 1, 5, tzinfo=timezone.utc) + timedelta(hours=pick.integer(0, 24 * 120))
        return moment.isoformat()
    values = [c.value for c in f.choices or []]
    if f.type == "choice":
        return pick.one(values)
    if f.type == "multichoice":
        return sorted({pick.one(values) for _ in range(pick.integer(1, 3))})
    low = max(_bound(wf, f.min, 0), 1 if f.required else 0)  # a list: items with their own fields
    items = [fill(wf, f.fields or [], pick, known=Known(today=known.today))
             for _ in range(pick.integer(low, max(low, 3)))]
    if f.unique:  # nobody counted twice: make the key of each item its own
        for k, item in enumerate(items):
            item[f.unique] = f"{item.get(f.unique) or WORDS[0]} {k + 1}"
    return items


def _today(engine: Engine) -> date:
    return engine.now().astimezone(engine.tz).date()


# ---------------------------------------------------------------- one random walk
def walk(engine: Engine, clock: SimClock, wf: Workflow, pick: Pick, steps: int,
         coverage: Coverage | None = None) -> int:
    """Start a case and take ``steps`` random moves (a step, or time passing); check every invariant
    after each move. Returns the case id.

    A step into a final state (withdraw, reject, dismiss…) is taken only one time in twenty when
    another step is possible, and a step that is enabled as recorded is preferred to one that
    needs its own form (send back, escalate), so walks get deep into the procedure.
    """
    me = everyone(wf)
    initial = wf.states[wf.initial_state()]
    case = engine.start(wf.id, me, fill(wf, initial.form, pick, known=Known(today=_today(engine)),
                                         checks=initial.checks))
    finals = {name for name, s in wf.states.items() if s.final}
    for _ in range(steps):
        case = engine.case(case.id)
        if not case.is_open:
            break
        if pick.integer(0, 4) == 0:  # time passes: due timers fire, each at its own time
            clock.run_until(engine, pick.one(WAITS))
        else:
            form = wf.states[case.state].form
            draft = fill(wf, form, pick, known=Known(case, _today(engine)), checks=wf.states[case.state].checks)
            if draft:
                try:
                    engine.record(case.id, me, draft)
                except FormError:  # a new value contradicting one saved earlier: nothing written
                    after = engine.case(case.id)
                    assert (after.rev, after.last_seq, after.data) == (case.rev, case.last_seq, case.data)
            options = [a for a in engine.available(case.id, me)
                       if a.enabled or all(v.rule == "form" for v in a.refusals)]
            if options:
                onward = [a for a in options if a.dest not in finals]
                if onward and pick.integer(0, 19) != 0:
                    options = onward
                ready = [a for a in options if a.enabled]  # rather than one that needs its own form
                if ready and pick.integer(0, 3) != 0:     # (a reason to send back, to escalate…)
                    options = ready
            if not any(a.enabled for a in options) and pick.coin():
                options = []  # nothing enabled yet (a notice period?): let time pass instead
            if not options:
                clock.run_until(engine, pick.one(WAITS))
            else:
                action = pick.one(sorted(options, key=lambda a: (a.trigger, a.dest)))
                before = engine.case(case.id)
                try:
                    data = fill(wf, list(action.form), pick, known=Known(engine.case(case.id), _today(engine)))
                    result = engine.fire(case.id, action.trigger, me, data)
                    if coverage is not None:
                        coverage.took(before.state, action.trigger, result.case.state)
                except RefusedError:  # a guard on a transition form's value, a FormError: nothing written
                    after = engine.case(case.id)
                    assert (after.state, after.rev, after.last_seq) == (before.state, before.rev, before.last_seq)
        check(engine, wf, case.id)
        if coverage is not None:
            coverage.visited.add(engine.case(case.id).state)
    return case.id


def check(engine: Engine, wf: Workflow, case_id: int) -> None:
    """The invariants after every move. Raises ``AssertionError`` naming the broken one."""
    case = engine.case(case_id)
    assert case.state in wf.states, f"state {case.state!r} is not in {wf.id}"
    assert wf.states[case.state].final == (not case.is_open)
    if not case.is_open:
        assert engine.available(case_id, everyone(wf)) == []
        assert all(t.status != "pending" for t in engine.timers(case_id))
    report = engine.verify(case_id)  # the row and timers replayed from the events, too
    assert report.ok, report.broken
    history = engine.history(case_id)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert all(e.dest in wf.states for e in history if e.dest is not None)
    # the record alone gives back the case's data (fresh records on re-entry included)
    assert replay(engine.definition_of(case), history) == case.data, "the events do not replay to the case's data"


# ---------------------------------------------------------------- coverage and reachability
@dataclass
class Coverage:
    """Which transitions (source, trigger, dest) and states the walks took and visited."""

    workflow: Workflow
    taken: set[tuple[str, str, str]] = field(default_factory=set)
    visited: set[str] = field(default_factory=set)

    def took(self, source: str, trigger: str, dest: str) -> None:
        self.taken.add((source, trigger, dest))

    @property
    def transitions(self) -> set[tuple[str, str, str]]:
        """Every (source, trigger, dest) the definition declares."""
        return {(src, t.trigger, t.dest) for t in self.workflow.transitions for src in t.source}

    @property
    def missed(self) -> list[tuple[str, str, str]]:
        """Declared transitions no walk took (by hand or by a timer), sorted."""
        return sorted(self.transitions - self.taken)

    @property
    def finals_reached(self) -> set[str]:
        return {name for name in self.visited if self.workflow.states[name].final}

    def summary(self) -> str:
        total = len(self.transitions)
        return (f"{self.workflow.id}: {len(self.taken & self.transitions)}/{total} transitions, "
                f"{len(self.visited)}/{len(self.workflow.states)} states, "
                f"final states reached: {', '.join(sorted(self.finals_reached)) or 'none'}")


def explore(engine: Engine, clock: SimClock, workflow_id: str, *, walks: int = 10, steps: int = 60,
            seed: int = 0) -> Coverage:
    """``walks`` random walks of ``steps`` moves each over ``workflow_id`` on ``engine``, seeded,
    checking every invariant after every move (``AssertionError`` on the first broken one).
    Returns what they covered; steps taken by timers count through the case history."""
    wf = engine.workflow(workflow_id).workflow
    coverage = Coverage(wf)
    for k in range(walks):
        case_id = walk(engine, clock, wf, RandomPick(seed + k), steps, coverage)
        for event in engine.history(case_id):
            if event.trigger and event.source and event.dest:
                coverage.took(event.source, event.trigger, event.dest)
            if event.dest:
                coverage.visited.add(event.dest)
    return coverage


def reachability_problems(wf: Workflow) -> list[str]:
    """What the graph gets wrong: a final state the initial state cannot reach, or a state from
    which no final state can be reached (a trap). Empty when all is well."""
    edges: dict[str, set[str]] = {name: set() for name in wf.states}
    for t in wf.transitions:
        for src in t.source:
            edges[src].add(t.dest)
    for name, state in wf.states.items():
        for timer in state.timers:
            if timer.fire:
                edges[name] |= {t.dest for t in wf.transitions if t.trigger == timer.fire and name in t.source}

    def reach(start: str) -> set[str]:
        seen, todo = {start}, deque([start])
        while todo:
            for nxt in edges[todo.popleft()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    finals = {name for name, s in wf.states.items() if s.final}
    problems = [] if finals else [f"{wf.id}: no final state"]
    from_start = reach(wf.initial_state())
    problems += [f"{wf.id}: final state {name!r} cannot be reached from {wf.initial_state()!r}"
                 for name in sorted(finals - from_start)]
    problems += [f"{wf.id}: no final state can be reached from {name!r}"
                 for name in sorted(wf.states) if not reach(name) & finals]
    return problems


__all__ = ["Coverage", "HypothesisPick", "Pick", "RandomPick", "check", "everyone", "explore", "fill",
           "reachability_problems", "value_for", "walk"]
