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

Runs once on a SQLite file (WAL, synchronous=FULL) and once on in-memory SQLite (``sqlite://``),
and prints for each: cases, events, timers fired, wall seconds and events/s, plus how many were
resolved at each tier. The wall time covers the simulation only; ``verify()`` (which also counts
the events) runs afterwards.

Usage:
    .venv/bin/python bench/simulate.py                 # 10,000 cases (a few minutes)
    .venv/bin/python bench/simulate.py --cases 500     # a quick run
    .venv/bin/python bench/simulate.py --only memory   # or: --only file
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def run(url: str, cases: int, seed: int) -> dict[str, float | int | Counter[int]]:
    rng = random.Random(seed)
    opens = sorted(START + timedelta(seconds=rng.uniform(0, YEAR.total_seconds())) for _ in range(cases))
    fired = 0
    with SimClock(START) as clock, Engine.open(url) as engine:
        limits = {(k, u): limit(engine, k, u) for k in range(1, 6) for u in (False, True)}
        plans: dict[int, Plan] = {}
        queue: list[tuple[datetime, int, int, int]] = []  # (when, order, case id, token)
        order = 0

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

        wall = WALL["clock"]()
        for opened in opens:
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
        fired += _drain(engine, clock, queue, plans, act, plan_next, until=None)
        wall = WALL["clock"]() - wall

        report = engine.verify()
        assert report.ok, report.broken[:3]
        closed = engine.count(_closed())
        tiers: Counter[int] = Counter()
        for case in engine.cases():
            resolved = [k for k in range(5, 0, -1) if case.data.get(f"tier_{k}", {}).get("resolved_tier") == k]
            if resolved:
                tiers[resolved[0]] += 1
    return {"cases": report.cases, "closed": closed, "events": report.events, "timers": fired,
            "wall": wall, "tiers": tiers, "reopened": sum(p.reopened for p in plans.values())}


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
    parser.add_argument("--only", choices=["file", "memory"], help="run on one database only")
    args = parser.parse_args(argv)
    targets = []
    if args.only != "memory":
        folder = Path(tempfile.mkdtemp(prefix="yishi-bench-"))
        targets.append(("SQLite file", f"sqlite:///{folder / 'simulate.db'}"))
    if args.only != "file":
        targets.append(("SQLite in memory", "sqlite://"))
    print(f"grid escalation: {args.cases:,} events opened over {YEAR.days} simulated days (seed {args.seed})")
    for name, url in targets:
        r = run(url, args.cases, args.seed)
        tiers = r["tiers"]
        assert isinstance(tiers, Counter)
        total = sum(tiers.values()) or 1
        inside = sum(tiers[k] for k in (1, 2, 3)) / total
        print(f"\n{name} ({url})")
        print(f"  cases          {r['cases']:>10,}  ({r['closed']:,} closed, {r['reopened']:,} reopened once)")
        print(f"  events         {r['events']:>10,}")
        print(f"  timers fired   {r['timers']:>10,}")
        print(f"  wall seconds   {r['wall']:>10.1f}")
        print(f"  events/s       {r['events'] / r['wall']:>10,.0f}")
        print("  resolved at    " + ", ".join(f"tier {k}: {tiers[k]:,}" for k in range(1, 6))
              + f"  (inside the community, tiers 1-3: {inside:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
