"""The testing kit for procedures and plugins; a pytest plugin (``pytest11``) with fixtures.

Fixtures: ``yishi_engine`` (a fresh engine on its own SQLite file, simulated clock running),
``sim_clock``, ``make_engine`` (open engines with inline plugins; ``mode="simulation"`` for a
simulation database with its own clock), ``scenario``.
See README "Testing your procedure".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from yishi.time.clock import as_utc
from yishi.time.durations import add_duration
from yishi.engine.engine import Engine, TickResult
from yishi.engine.types import Actor, Case, Event, FireResult
from yishi.errors import RefusedError
from yishi.plugin_manager import preload

preload()  # import the built-ins before any freeze_time starts

DEFAULT_START = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in China


class SimClock:
    """Simulated time: ``advance(delta)`` moves it without firing timers; ``run_until(engine,
    when)`` fires every timer due on the way, each at its own due time, in due order.

    By default it runs on freezegun (entered once, then moved: moving costs microseconds), so
    ``datetime.now()`` in any code reads the simulated time. Inject it into the engine
    (``Engine.open(url, clock=sim)``) and the engine reads its time from it directly; then
    ``SimClock(start, freeze=False)`` needs no freezegun at all, as long as no code of yours
    calls ``datetime.now()`` (rules and actions get ``ctx.now``).

    The clock knows when the next timer is due without asking the database before every step:
    the store tells it the due time of every timer added on the database in this process
    (``Store.watch_timers``); it asks the database only after a tick.
    """

    def __init__(self, start: datetime = DEFAULT_START, *, freeze: bool = True) -> None:
        self._at = as_utc(start)
        self.freeze = freeze
        self._freezer: Any = None
        self._frozen: Any = None
        self._next: dict[int, list[Any]] = {}  # id(engine) -> [next due or None, engine, stop]

    def __enter__(self) -> SimClock:
        if self.freeze:
            from freezegun import freeze_time

            self._freezer = freeze_time(self._at)
            self._frozen = self._freezer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _due, _engine, stop in self._next.values():
            if stop is not None:
                stop()
        self._next.clear()
        if self._freezer is not None:
            self._freezer.stop()
            self._freezer = None

    def now(self) -> datetime:
        """The simulated now (aware UTC); also what ``datetime.now()`` returns while frozen."""
        return self._at

    def move_to(self, when: datetime) -> None:
        when = as_utc(when)
        if when < self._at:
            raise ValueError(f"time only moves forward: {when.isoformat()} is before {self._at.isoformat()}")
        self._at = when
        if self._frozen is not None:
            self._frozen.move_to(when)

    def set(self, when: datetime) -> None:
        """Move to ``when`` if it is later (what an engine does with an injected clock)."""
        if as_utc(when) > self._at:
            self.move_to(when)

    def advance(self, delta: timedelta | str, *, calendar: Any = None) -> datetime:
        """Move time forward by ``delta`` (``timedelta``, ``'7d'``, or ``'3wd'``/``'1mo'`` on
        ``calendar``, default China's) without ticking."""
        self.move_to(add_duration(self.now(), delta, calendar=calendar))
        return self.now()

    def next_due(self, engine: Engine) -> datetime | None:
        """When ``engine``'s next timer is due, or earlier (a timer since cancelled): kept in
        process from what the store reports, read from the database after each tick."""
        entry = self._next.get(id(engine))
        if entry is None or entry[1] is not engine:
            entry = self._next[id(engine)] = [None, engine, None]

            def seen(due: datetime, entry: list[Any] = entry) -> None:
                if entry[0] is None or due < entry[0]:
                    entry[0] = due
            entry[2] = engine.store.watch_timers(seen)
            entry[0] = engine.next_due()
        elif entry[2] is None:  # a store that cannot tell: ask it
            entry[0] = engine.next_due()
        return entry[0]

    def run_until(self, engine: Engine, when: datetime | timedelta | str) -> list[TickResult]:
        """Fire every timer due up to ``when`` (a moment, or a span from now), each at its due time."""
        if not isinstance(when, datetime):
            when = add_duration(self.now(), when, calendar=engine.calendar)
        when = as_utc(when)
        results: list[TickResult] = []
        due = self.next_due(engine)
        if due is not None and due <= when:
            if engine.clock is self:  # the engine moves this clock to each timer's due time
                results = engine.tick(when, at_due=True)
            else:  # the system clock (under freezegun): stop at each due time
                while due is not None and due <= when:
                    self.move_to(max(due, self.now()))
                    results.extend(engine.tick(self.now()))
                    due = self._refresh(engine)
            self._refresh(engine)
        self.move_to(max(when, self.now()))
        return results

    def _refresh(self, engine: Engine) -> datetime | None:
        entry = self._next[id(engine)]
        entry[0] = engine.next_due()
        return entry[0]


def actor(spec: Actor | str | tuple[str, ...]) -> Actor:
    """``Actor``, ``"王书记/secretary"`` or ``("王书记", "secretary", "committee_member")``."""
    if isinstance(spec, Actor):
        return spec
    if isinstance(spec, str):
        name, _, roles = spec.partition("/")
        return Actor.of(name, *[r for r in roles.split(",") if r])
    return Actor.of(spec[0], *spec[1:])


class Scenario:
    """Drive one case concisely: start, steps, time, assertions.

    >>> sc = Scenario(engine, clock)
    >>> sc.start("four_discussions_two_disclosures", "王书记/secretary", {...})
    >>> sc.step("王书记/secretary", "submit_to_committees")
    >>> sc.advance("7d"); sc.expect_state("resolution_notice")
    """

    def __init__(self, engine: Engine, clock: SimClock | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.case_id: int | None = None

    @property
    def case(self) -> Case:
        assert self.case_id is not None, "call start() first"
        return self.engine.case(self.case_id)

    def start(self, workflow: str, who: Actor | str | tuple[str, ...],
              data: Mapping[str, Any] | None = None) -> Case:
        case = self.engine.start(workflow, actor(who), data)
        self.case_id = case.id
        return case

    def step(self, who: Actor | str | tuple[str, ...], trigger: str,
             data: Mapping[str, Any] | None = None) -> FireResult:
        return self.engine.fire(self.case.id, trigger, actor(who), data)

    def steps(self, steps: Iterable[tuple[Any, ...]]) -> list[FireResult]:
        """Fire ``(actor, trigger)`` or ``(actor, trigger, data)`` tuples in order."""
        return [self.step(*s) for s in steps]

    def refused(self, who: Actor | str | tuple[str, ...], trigger: str,
                data: Mapping[str, Any] | None = None) -> RefusedError:
        """Fire a step that must be refused; return the error (its ``verdicts`` say why)."""
        before = self.case
        try:
            self.engine.fire(before.id, trigger, actor(who), data)
        except RefusedError as exc:
            after = self.case
            assert (after.state, after.rev) == (before.state, before.rev), "a refused step changed the case"
            return exc
        raise AssertionError(f"{trigger!r} was not refused at {before.state!r}")

    def advance(self, delta: timedelta | str) -> list[TickResult]:
        """Let ``delta`` pass (``"7d"``, ``"3wd"``, ``"1mo"``), firing every timer due in it at
        its own time: on the ``SimClock``, or on a simulation database's own clock."""
        if self.clock is None and self.engine.mode == "simulation":
            return self.engine.advance_by(delta)
        assert self.clock is not None, "give the Scenario a SimClock (or use a simulation database) to move time"
        return self.clock.run_until(self.engine, delta)

    def expect_state(self, state: str) -> None:
        actual = self.case.state
        assert actual == state, f"expected state {state!r}, the case is at {actual!r}"

    def history(self) -> list[Event]:
        return self.engine.history(self.case.id)

    def triggers(self) -> list[str | None]:
        """The trigger (or kind, for reminders and links) of every event, oldest first."""
        return [e.trigger or e.kind for e in self.history()]


# ---------------------------------------------------------------- pytest fixtures
@pytest.fixture
def sim_clock() -> Iterator[SimClock]:
    """A running simulated clock starting at ``DEFAULT_START``."""
    with SimClock() as clock:
        yield clock


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Any]:
    """``make_engine(*plugins, url=None, params=None, clock=None)`` opens an engine on a fresh
    SQLite file (or ``url``) with the built-in and installed plugins plus ``plugins`` (and
    ``clock`` injected, e.g. a ``SimClock``); all are closed after the test, so an inline plugin
    lives for this test only."""
    opened: list[Engine] = []

    def make(*plugins: Any, url: str | None = None, params: Mapping[str, Any] | None = None,
             mode: str | None = None, start: datetime = DEFAULT_START, clock: Any = None) -> Engine:
        db = url or f"sqlite:///{tmp_path / f'yishi-{len(opened)}.db'}"
        engine = Engine.open(db, plugins=plugins, params=params, clock=clock)
        opened.append(engine)
        if mode is not None:  # "simulation": its own stored clock, started at ``start``
            engine.set_mode(mode, now=start)
        return engine

    try:
        yield make
    finally:
        for engine in opened:
            engine.close()


@pytest.fixture
def yishi_engine(make_engine: Any, sim_clock: SimClock) -> Engine:
    """A fresh engine on its own SQLite file, with the simulated clock running."""
    return make_engine()


@pytest.fixture
def scenario(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    """A ``Scenario`` on ``yishi_engine`` and ``sim_clock``."""
    return Scenario(yishi_engine, sim_clock)


def workflow_files(*paths: str | Path) -> object:
    """An inline plugin contributing workflow files or folders, for ``make_engine``."""
    from yishi.hookspecs import hookimpl

    class _Files:
        @hookimpl
        def yishi_workflow_files(self) -> list[Path]:
            return [Path(p) for p in paths]

    return _Files()
