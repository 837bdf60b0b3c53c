#!/usr/bin/env python
"""A simulated year of grid events (网格化事件处置) run by the real engine under the testing kit's clock.

10,000 cases (``--cases N``) are opened at random moments over 365 days and driven to the end
by simulated people, while due timers fire at their own due time (``SimClock.run_until``): an
event left unresolved escalates automatically, one tier at a time. The mix is realistic for a
community that settles most matters inside it (domain.md: "98% resolved inside the community"):

  - most events resolved at tier 1 (grid member) or tier 2 (grid leader), some reaching tier 2
    because tier 1 ran out of time;
  - fewer at tier 3 (the secretary's clinic) and tier 4 (street/township);
  - a few escalating to the top (district) by timeouts alone;
  - about one in twenty reopened after an unsatisfied evaluation, at the tier that resolved it;
  - one in five urgent (shorter time limits at every tier).

The testing kit's clock is injected into the engine (``SimClock(freeze=False)``): no freezegun,
and the next due time kept in process, so ``run_until`` is one batched tick per span. Each of the
year's 24 chunks runs inside ``engine.group()`` (its steps savepoints of one transaction, one
commit a chunk; ``--no-group`` commits every step).

Runs once on a SQLite file with a simulation's ``?synchronous=NORMAL`` (WAL; see README, "Testing
your procedure", for the durability it gives up; ``--only file-full`` runs FULL) and once on
in-memory SQLite (``sqlite://``), and prints for each: cases, events, timers fired, wall seconds
and events/s, plus how many were resolved at each tier.

The baseline is a raw sqlite3 replay of the same statements and commits: every statement the
engine runs is traced (with its values) and replayed on a copy of the starting database with the
same pragmas. The year runs in 24 chunks; after each, its statements are replayed (A B pairs a
few seconds apart, so load drift hits both), and the median of the pairs' replay/engine ratios
is printed (aim ≥ 0.5). The wall time covers the simulation only (with the trace callback on;
``--no-replay`` turns it off); ``verify()`` runs afterwards.

Usage:
    .venv/bin/python bench/simulate.py                 # 10,000 cases (a few minutes)
    .venv/bin/python bench/simulate.py --cases 500     # a quick run
    .venv/bin/python bench/simulate.py --only memory   # or: --only file, --only file-full
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from yishi.engine import Actor, Engine
from yishi.testing import SimClock

GRID = "grid_escalation"
START = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
YEAR = timedelta(days=365)
TIER_ROLES = {1: "grid_member", 2: "grid_leader", 3: "secretary", 4: "street_office", 5: "district_department"}
PEOPLE = {1: Actor.of("网格员小李", "grid_member"), 2: Actor.of("网格长老张", "grid_leader"),
          3: Actor.of("王书记", "secretary"), 4: Actor.of("街道办", "street_office"),
          5: Actor.of("区城管局", "district_department")}
GRID_MEMBER, GRID_LEADER = PEOPLE[1], PEOPLE[2]
# freezegun replaces time.perf_counter while the simulated clock runs: keep the real one
WALL = {"clock": time.perf_counter}
CATEGORIES = ["environment", "facilities", "safety_hazard", "dispute", "parking", "livelihood", "other"]


@dataclass
class Plan:
    """What the people will do with one event."""

    target: int          # the tier that resolves it
    by_timeout: bool     # tiers below the target let their time run out (else escalate by hand)
    urgent: bool
    reopen: bool         # the first evaluation is "unsatisfied"
    reopened: bool = False
    state: str = "intake"
    token: int = 0       # bumps whenever the case moves, so stale planned actions are dropped


def make_plan(rng: random.Random) -> Plan:
    roll = rng.random()
    if roll < 0.58:
        target, by_timeout = 1, False
    elif roll < 0.70:
        target, by_timeout = 2, False
    elif roll < 0.83:
        target, by_timeout = 2, True       # tier 1 ran out of time
    elif roll < 0.91:
        target, by_timeout = 3, rng.random() < 0.3
    elif roll < 0.96:
        target, by_timeout = 4, rng.random() < 0.3
    else:
        target, by_timeout = 5, True       # to the top by timeouts alone
    return Plan(target=target, by_timeout=by_timeout, urgent=rng.random() < 0.2,
                reopen=rng.random() < 0.05)


def limit(engine: Engine, tier: int, urgent: bool) -> timedelta:
    wf = engine.workflow(GRID).workflow
    return wf.param_value(f"tier_{tier}_urgent_limit" if urgent else f"tier_{tier}_limit")


class Replay:
    """A raw sqlite3 replay of the engine's statements and commits, for the baseline.

    Every statement the engine's connections run is traced (sqlite3's trace callback gives it
    with its values filled in) and, chunk by chunk, run again on a raw sqlite3 connection to a
    copy of the database as it was before the simulation (same schema, same pragmas): the same
    statements, the same commits, none of the engine's Python. A trigger's inner statements
    (traced as ``-- name``) are not replayed by hand: the copy has the same triggers.
    """

    def __init__(self, engine: Engine, target: str, synchronous: str) -> None:
        import sqlite3

        from sqlalchemy import event

        self.statements: list[str] = []
        self.traced: set[int] = set()
        raw = engine.store.engine.raw_connection()
        try:
            self.conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            raw.driver_connection.backup(self.conn)
        finally:
            raw.close()
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}")

        def checkout(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
            if id(dbapi_conn) not in self.traced:
                self.traced.add(id(dbapi_conn))
                dbapi_conn.set_trace_callback(self.statements.append)
        event.listen(engine.store.engine, "checkout", checkout)
        # the connection the store keeps between transactions goes back to the pool, so the next
        # transaction checks one out and is traced (an older yishi keeps none)
        getattr(engine.store, "release_connection", lambda: None)()
        self.triggered = {name for (name,) in self.conn.execute(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'")}

    def _statements(self) -> list[str]:
        """The traced statements, each once: Python's trace callback reports a statement again
        (its own text, not the trigger's) at the start of every trigger subprogram it runs, and
        the copy runs those triggers itself. Only a write to a table with triggers is repeated
        that way; such a write straight after itself is always the trace's repeat."""
        out: list[str] = []
        for sql in self.statements:
            if out and sql == out[-1] and (m := _WRITE.match(sql)) and m.group(1).strip('"') in self.triggered:
                continue
            out.append(sql)
        return out

    def run(self) -> float:
        """Replay what was traced since the last call; the wall seconds it took."""
        todo = [_parameters(sql) for sql in self._statements() if not sql.startswith("--")]
        self.statements.clear()
        execute = self.conn.execute
        t0 = WALL["clock"]()
        for sql, values in todo:
            execute(sql, values).fetchall()
        return WALL["clock"]() - t0


_WRITE = re.compile(r'(?:INSERT INTO|DELETE FROM|UPDATE) ("?\w+"?)')
# a SQL string literal ('it''s'), or a number standing alone (not part of a name like sp53)
_LITERAL = re.compile(r"'(?:[^']|'')*'|(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def _parameters(sql: str) -> tuple[str, list[Any]]:
    """The traced statement (its values filled in) back as SQL with ``?`` and its values, so the
    replay reuses prepared statements as the engine does (a statement's text is the same for
    every row, as the engine's is), rather than compiling every statement afresh."""
    values: list[Any] = []

    def take(m: re.Match[str]) -> str:
        text = m.group(0)
        if text.startswith("'"):
            values.append(text[1:-1].replace("''", "'"))
        else:
            values.append(float(text) if any(c in text for c in ".eE") else int(text))
        return "?"
    return _LITERAL.sub(take, sql), values


def run(url: str, cases: int, seed: int, *, replay_to: str | None = None, chunks: int = 24,
        group: bool = True) -> dict[str, Any]:
    rng = random.Random(seed)
    opens = sorted(START + timedelta(seconds=rng.uniform(0, YEAR.total_seconds())) for _ in range(cases))
    fired = 0
    try:
        clock = SimClock(START, freeze=False)  # the engine reads it; nothing here calls datetime.now()
        injected: SimClock | None = clock
    except TypeError:  # a yishi from before issue 13 (to measure what it did): freezegun, not injected
        clock, injected = SimClock(START), None
    with clock, Engine.open(url, clock=injected) as engine:
        limits = {(k, u): limit(engine, k, u) for k in range(1, 6) for u in (False, True)}
        plans: dict[int, Plan] = {}
        queue: list[tuple[datetime, int, int, int]] = []  # (when, order, case id, token)
        order = 0
        synchronous = engine.store.describe().get("synchronous", "FULL")
        replay = Replay(engine, replay_to, synchronous) if replay_to else None

        def plan_next(case_id: int, state: str, now: datetime) -> None:
            """Schedule what a person does next in ``state`` (nothing: wait for the timer)."""
            nonlocal order
            p = plans[case_id]
            p.token += 1
            p.state = state
            if state == "intake":
                delay = timedelta(minutes=rng.uniform(5, 50))
            elif state.startswith("tier_"):
                tier = int(state[5:])
                room = limits[(tier, p.urgent)]
                if tier < p.target and p.by_timeout:
                    return                                   # the deadline will escalate it
                delay = room * rng.uniform(0.05, 0.6)
            elif state == "feedback":
                delay = timedelta(hours=rng.uniform(1, 20))
            elif state == "verification":
                delay = timedelta(hours=rng.uniform(1, 20))
            elif state == "evaluation":
                delay = timedelta(hours=rng.uniform(2, 20))
            else:
                return                                       # closed
            order += 1
            heapq.heappush(queue, (now + delay, order, case_id, p.token))

        def act(case_id: int) -> str:
            """The person's step for the case's current state; returns the new state."""
            p = plans[case_id]
            state = p.state  # kept up to date from each step and each timer, without a read
            if state == "intake":
                return engine.fire(case_id, "dispatch", GRID_MEMBER).case.state
            if state.startswith("tier_"):
                tier = int(state[5:])
                who = PEOPLE[tier]
                if tier < p.target:
                    return engine.fire(case_id, "escalate", who,
                                       {"escalation_reason": "超出本级职权，请上级协调"}).case.state
                return engine.fire(case_id, "resolve", who,
                                   {"handler": who.name, "measures": f"第{tier}级处置完毕"}).case.state
            if state == "feedback":
                return engine.fire(case_id, "give_feedback", GRID_MEMBER,
                                   {"feedback_to_reporter": "已处理，请您查看。",
                                    "feedback_on": clock.now().date().isoformat()}).case.state
            if state == "verification":
                return engine.fire(case_id, "verify", GRID_LEADER,
                                   {"checked_on_site": True, "verified_by": GRID_LEADER.name}).case.state
            unsatisfied = p.reopen and not p.reopened
            p.reopened = p.reopened or unsatisfied
            return engine.fire(case_id, "evaluate", GRID_MEMBER,
                               {"satisfaction": "unsatisfied" if unsatisfied else "satisfied"}).case.state

        def open_case(opened: datetime) -> None:
            nonlocal fired
            # everything planned before this event arrives happens first, timers included
            fired += _drain(engine, clock, queue, plans, act, plan_next, until=opened)
            clock.move_to(max(opened, clock.now()))
            plan = make_plan(rng)
            case = engine.start(GRID, GRID_MEMBER, {
                "subject": f"网格事件 {len(plans) + 1}", "reporter": "居民", "place": "小区",
                "category": rng.choice(CATEGORIES), "urgency": "urgent" if plan.urgent else "normal",
                "description": "居民反映的问题"})
            plans[case.id] = plan
            plan_next(case.id, case.state, clock.now())

        def finish() -> None:
            nonlocal fired
            fired += _drain(engine, clock, queue, plans, act, plan_next, until=None)

        # the year in chunks (A B: the engine's chunk, then the raw replay of its statements)
        size = max(1, -(-len(opens) // chunks))
        work = [lambda part=opens[k:k + size]: [open_case(o) for o in part] for k in range(0, len(opens), size)]
        work.append(finish)
        wall, raw, pairs, spans = 0.0, 0.0, [], []
        # each chunk one transaction (engine.group(): its steps are savepoints, committed at the
        # chunk's end), where this yishi offers it and unless --no-group
        grouped = getattr(engine, "group", None) if group else None
        for chunk in work:
            t0 = WALL["clock"]()
            if grouped is not None:
                with grouped():
                    chunk()
            else:
                chunk()
            spent = WALL["clock"]() - t0
            wall += spent
            spans.append(spent)
            if replay is not None:
                again = replay.run()
                raw += again
                if spent > 0.05:
                    pairs.append(again / spent)

        report = engine.verify()
        assert report.ok, report.broken[:3]
        closed = engine.count(_closed())
        tiers: Counter[int] = Counter()
        for case in engine.cases():
            resolved = [k for k in range(5, 0, -1) if case.data.get(f"tier_{k}", {}).get("resolved_tier") == k]
            if resolved:
                tiers[resolved[0]] += 1
    return {"cases": report.cases, "closed": closed, "events": report.events, "timers": fired,
            "wall": wall, "raw": raw, "pairs": sorted(pairs), "tiers": tiers, "spans": spans,
            "reopened": sum(p.reopened for p in plans.values()), "synchronous": synchronous}


def _closed():  # noqa: ANN202
    from yishi.engine import CaseFilter

    return CaseFilter(open=False)


def _drain(engine: Engine, clock: SimClock, queue: list, plans: dict, act, plan_next,  # noqa: ANN001
           until: datetime | None) -> int:
    """Take every planned step due by ``until`` (all, if None), firing due timers in between, each
    at its own time; a timer that moved a case re-plans it. Returns the number of timers fired."""
    fired = 0
    while queue and (until is None or queue[0][0] <= until):
        when, _, case_id, token = heapq.heappop(queue)
        for result in clock.run_until(engine, when):
            if result.outcome in ("fired", "reminded"):
                fired += 1
            if result.outcome == "fired" and result.event is not None:
                plan_next(result.timer.case_id, result.event.dest, result.event.at)
        if plans[case_id].token != token:
            continue  # the case moved on meanwhile (a timer escalated it)
        plan_next(case_id, act(case_id), clock.now())
    if until is None:  # the year's tail: the top tier's overdue reminders and nothing else left
        for result in clock.run_until(engine, clock.now() + timedelta(days=60)):
            fired += result.outcome in ("fired", "reminded")
            if result.outcome == "fired" and result.event is not None:
                plan_next(result.timer.case_id, result.event.dest, result.event.at)
        if queue:
            fired += _drain(engine, clock, queue, plans, act, plan_next, until=None)
    return fired


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="events to open over the year")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--only", choices=["file", "memory", "file-full"], help="run on one database only")
    parser.add_argument("--no-replay", action="store_true", help="skip the raw sqlite3 replay (the baseline)")
    parser.add_argument("--dir", help="where the SQLite files go (default: a new temporary directory)")
    parser.add_argument("--no-group", action="store_true",
                        help="commit every step (default: each of the 24 chunks is one engine.group())")
    args = parser.parse_args(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="yishi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    targets = []
    if args.only in (None, "file"):
        targets.append(("SQLite file, a simulation's synchronous=NORMAL",
                        f"sqlite:///{folder / 'simulate.db'}?synchronous=NORMAL", str(folder / "replay.db")))
    if args.only == "file-full":
        targets.append(("SQLite file, synchronous=FULL", f"sqlite:///{folder / 'simulate-full.db'}",
                        str(folder / "replay-full.db")))
    if args.only in (None, "memory"):
        targets.append(("SQLite in memory", "sqlite://", ":memory:"))
    print(f"grid escalation: {args.cases:,} events opened over {YEAR.days} simulated days (seed {args.seed})")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, url, replay_to in targets:
        r = run(url, args.cases, args.seed, replay_to=None if args.no_replay else replay_to,
                group=not args.no_group)
        tiers = r["tiers"]
        total = sum(tiers.values()) or 1
        inside = sum(tiers[k] for k in (1, 2, 3)) / total
        print(f"\n{name} ({url}){'' if args.no_group else ', each chunk one engine.group()'}")
        print(f"  cases          {r['cases']:>10,}  ({r['closed']:,} closed, {r['reopened']:,} reopened once)")
        print(f"  events         {r['events']:>10,}")
        print(f"  timers fired   {r['timers']:>10,}")
        print(f"  wall seconds   {r['wall']:>10.1f}   (the simulation; statements traced for the replay)")
        print(f"  events/s       {r['events'] / r['wall']:>10,.0f}")
        print("  seconds a chunk " + " ".join(f"{x:.1f}" for x in r["spans"]))
        if r["pairs"]:
            pairs = r["pairs"]
            print(f"  raw replay     {r['raw']:>10.1f} s  (sqlite3 running the same statements and commits)")
            print(f"  replay/engine  {statistics.median(pairs):>10.3f}   median of {len(pairs)} chunk pairs "
                  f"({pairs[0]:.3f} to {pairs[-1]:.3f}); whole run {r['raw'] / r['wall']:.3f}; aim ≥ 0.5")
        print("  resolved at    " + ", ".join(f"tier {k}: {tiers[k]:,}" for k in range(1, 6))
              + f"  (inside the community, tiers 1-3: {inside:.1%})")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
