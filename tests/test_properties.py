"""Properties of every shipped workflow, by random walks (hypothesis) under the simulated clock.

Random sequences of allowed steps, each with random data that fits the forms, interleaved with
time passing (timers fire), never reach a state outside the definition, never break the hash
chain, and leave closed cases with nothing to do. Every final state is reachable, and a random
walk does reach one.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yishi.definition.loader import load_file
from yishi.definition.models import FormField, Workflow
from yishi.engine import Actor, Engine
from yishi.engine.library import catalog_of, collect_registry
from yishi.errors import RefusedError
from yishi.plugin_manager import make_manager
from yishi.testing import SimClock

WORKFLOWS = Path(__file__).parent.parent / "workflows"
SHIPPED = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))
WAITS = [timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=10), timedelta(days=40)]
WORDS = ["同意", "需补充材料", "居民张某", "3号楼", "text with spaces"]


def _workflow(stem: str) -> Workflow:
    return load_file(WORKFLOWS / f"{stem}.yaml", catalog_of(collect_registry(make_manager()))).workflow


def everyone(wf: Workflow) -> Actor:
    """An actor holding every role of the workflow."""
    return Actor.of("全能测试员", *wf.roles)


# ---------------------------------------------------------------- random data that fits a form
class Pick(Protocol):
    def one(self, items: list[Any]) -> Any: ...
    def integer(self, low: int, high: int) -> int: ...
    def coin(self) -> bool: ...


class HypothesisPick:
    def __init__(self, data: Any) -> None:
        self.data = data

    def one(self, items: list[Any]) -> Any:
        return self.data.draw(st.sampled_from(items))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def coin(self) -> bool:
        return self.data.draw(st.booleans())


class RandomPick:
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


def fill(wf: Workflow, form: list[FormField] | tuple[FormField, ...], pick: Pick,
         *, all_required: bool = True) -> dict[str, Any]:
    """Valid values for the form's required fields (and some optional ones); never readonly ones."""
    out: dict[str, Any] = {}
    for f in form:
        if f.readonly or not ((f.required and all_required) or pick.coin()):
            continue
        out[f.name] = value_for(wf, f, pick)
    return out


def value_for(wf: Workflow, f: FormField, pick: Pick) -> Any:
    if f.type in ("text", "longtext", "person"):
        return pick.one(WORDS)
    if f.type in ("integer", "number"):
        low = _bound(wf, f.min, 0)  # small numbers: a quorum or a majority passes often enough
        return pick.integer(low, _bound(wf, f.max, low + 4))
    if f.type == "boolean":
        return pick.integer(0, 3) != 0  # mostly yes: consents, checks and signatures
    if f.type == "date":
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
    return [fill(wf, f.fields or [], pick) for _ in range(pick.integer(low, max(low, 3)))]


# ---------------------------------------------------------------- one random walk
def walk(engine: Engine, clock: SimClock, wf: Workflow, pick: Pick, steps: int) -> int:
    """Start a case and take ``steps`` random moves (a step, or time passing); check every invariant
    after each move. Returns the case id.

    A step into a final state (withdraw, reject, dismiss…) is taken only one time in twenty when
    another step is possible, and a step that is enabled as recorded is preferred to one that
    needs its own form (send back, escalate), so walks get deep into the procedure.
    """
    me = everyone(wf)
    initial = wf.states[wf.initial_state()]
    case = engine.start(wf.id, me, fill(wf, initial.form, pick))
    finals = {name for name, s in wf.states.items() if s.final}
    for _ in range(steps):
        case = engine.case(case.id)
        if not case.is_open:
            break
        if pick.integer(0, 4) == 0:  # time passes: due timers fire, each at its own time
            clock.run_until(engine, pick.one(WAITS))
        else:
            form = wf.states[case.state].form
            draft = fill(wf, form, pick)
            if draft:
                engine.record(case.id, me, draft)
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
                    engine.fire(case.id, action.trigger, me, fill(wf, list(action.form), pick))
                except RefusedError:  # e.g. a guard on a transition form's value: nothing written
                    after = engine.case(case.id)
                    assert (after.state, after.rev, after.last_seq) == (before.state, before.rev, before.last_seq)
        check(engine, wf, case.id)
    return case.id


def check(engine: Engine, wf: Workflow, case_id: int) -> None:
    case = engine.case(case_id)
    assert case.state in wf.states, f"state {case.state!r} is not in {wf.id}"
    assert wf.states[case.state].final == (not case.is_open)
    if not case.is_open:
        assert engine.available(case_id, everyone(wf)) == []
        assert all(t.status != "pending" for t in engine.timers(case_id))
    assert engine.verify(case_id).ok
    history = engine.history(case_id)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert all(e.dest in wf.states for e in history if e.dest is not None)


# ---------------------------------------------------------------- the properties
@pytest.mark.parametrize("stem", SHIPPED)
def test_random_walks_stay_inside_the_definition(stem: str, make_engine: Any, sim_clock: SimClock) -> None:
    wf = _workflow(stem)
    engine: Engine = make_engine()

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def run(data: Any) -> None:
        pick = HypothesisPick(data)
        walk(engine, sim_clock, wf, pick, pick.integer(1, 20))

    run()
    assert engine.verify().ok  # every case, hand-over cases included


@pytest.mark.parametrize("stem", SHIPPED)
def test_every_final_state_is_reachable(stem: str) -> None:
    wf = _workflow(stem)
    edges: dict[str, set[str]] = {name: set() for name in wf.states}
    for t in wf.transitions:
        for src in t.source:
            edges[src].add(t.dest)
    seen, queue = {wf.initial_state()}, deque([wf.initial_state()])
    while queue:
        for nxt in edges[queue.popleft()] - seen:
            seen.add(nxt)
            queue.append(nxt)
    finals = {name for name, s in wf.states.items() if s.final}
    assert finals and finals <= seen
    # and from every state some final state can still be reached (no trap)
    for name in wf.states:
        reach, todo = {name}, deque([name])
        while todo:
            for nxt in edges[todo.popleft()] - reach:
                reach.add(nxt)
                todo.append(nxt)
        assert reach & finals, f"no final state can be reached from {name!r}"


@pytest.mark.parametrize("stem", SHIPPED)
def test_a_random_walk_reaches_a_final_state(stem: str, make_engine: Any, sim_clock: SimClock) -> None:
    wf = _workflow(stem)
    engine: Engine = make_engine()
    reached: set[str] = set()
    for seed in range(3):
        case_id = walk(engine, sim_clock, wf, RandomPick(seed), 150)
        case = engine.case(case_id)
        if not case.is_open:
            reached.add(case.state)
    assert reached, f"no random walk of {stem} reached a final state"
    assert engine.verify().ok
