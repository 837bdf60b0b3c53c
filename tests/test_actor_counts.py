""""My actions" from counter rows (issue 13, goal 4): ``case_actor_counts``, kept by triggers on
``case_actors``, gives exactly the count a direct count over ``case_actors`` and the cases gives,
after opening, steps, closing, hand-overs and escalations by the timers, on SQLite and on
PostgreSQL; the migration fills it from a database's existing cases; and the count reads the
counter rows, not the person's cases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from itertools import combinations
from typing import Any

from freezegun import freeze_time
from sqlalchemy import event, text

from conftest import FOUR, PROPOSAL
from test_org_authority import real_street
from yishi.engine import Actor, CaseFilter, Engine

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
GRID = "grid_escalation"
ROLES = ("grid_member", "grid_leader", "secretary", "street_office", "district_department",
         "mediation_committee", "mediator", "convener", "committee_member")
ALL = Actor.of("全能", *ROLES)
EVENT = {"subject": "路灯不亮", "reporter": "李大爷", "place": "3号楼", "category": "environment",
         "urgency": "normal", "description": "三天没亮"}


def direct(engine: Engine, roles: tuple[str, ...], units: tuple[int, ...] | None = None) -> int:
    """The old count: open cases with a case_actors row for one of ``roles`` (in ``units``)."""
    where = " AND c.unit_id IN (" + ",".join(str(u) for u in units) + ")" if units else ""
    if units == ():
        return 0
    marks = ",".join(f"'{r}'" for r in roles)
    with engine.store.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(DISTINCT a.case_id) FROM case_actors a JOIN cases c ON c.id = a.case_id "
                                 f"WHERE c.closed_at IS NULL AND a.role IN ({marks}){where}")).scalar_one()


def agree(engine: Engine, units: tuple[int, ...] | None = None) -> int:
    """Every key's counter equals its case_actors rows, and "my actions" equals the direct count
    for every set of up to three roles. Returns how many open cases anyone may act on."""
    with engine.store.engine.connect() as conn:
        counted = {(r, rs, u): n for r, rs, u, n in conn.execute(text(
            "SELECT role, roles, unit, sum(n) FROM case_actor_counts GROUP BY role, roles, unit HAVING sum(n) <> 0"))}
        rows = {(r, rs, u): n for r, rs, u, n in conn.execute(text(
            "SELECT a.role, a.roles, coalesce(c.unit_id, 0), count(*) FROM case_actors a JOIN cases c "
            "ON c.id = a.case_id GROUP BY a.role, a.roles, coalesce(c.unit_id, 0)"))}
        stale = conn.execute(text("SELECT count(*) FROM case_actors a JOIN cases c ON c.id = a.case_id "
                                  "WHERE c.closed_at IS NOT NULL")).scalar_one()
    assert counted == rows
    assert stale == 0  # case_actors holds open cases only: the counters need not look at the case
    for k in (1, 2, 3):
        for roles in combinations(ROLES, k):
            assert engine.count(CaseFilter(open=True, roles=roles, units=units)) == direct(engine, roles, units), roles
    return direct(engine, ROLES, units)


def busy_year(engine: Engine, frozen: Any, cases: int = 24) -> None:
    """Grid events opened, dispatched, escalated by hand and by the timers, resolved, dismissed,
    handed over to mediation; 四议两公开 proposals opened and withdrawn."""
    rng = random.Random(13)
    grid = []
    for i in range(cases):
        case = engine.start(GRID, ALL, {**EVENT, "subject": f"事件{i}"})
        if i % 6 == 0:
            engine.fire(case.id, "dismiss", ALL, {"reason": "重复上报"})
            continue
        engine.fire(case.id, "dispatch", ALL)
        grid.append(case.id)
    proposals = [engine.start(FOUR, ALL, PROPOSAL).id for _ in range(4)]
    assert agree(engine) > 0
    for case_id in grid[::4]:
        engine.fire(case_id, "escalate", ALL, {"escalation_reason": "超出网格员职权"})
    engine.fire(grid[1], "hand_over_to_mediation", ALL, {"handover_reason": "双方同意调解"})  # opens a mediation
    engine.fire(grid[2], "resolve", ALL, {"measures": "已修复"})
    engine.fire(proposals[0], "withdraw", ALL, {"reason": "重复"})
    agree(engine)
    for days in (1, 3, 6, 12, 25):  # the timers escalate the neglected ones, tier by tier
        frozen.move_to(T0 + timedelta(days=days, minutes=rng.randint(0, 59)))
        engine.tick()
        agree(engine)


def test_my_actions_equal_the_direct_count_through_a_busy_month(any_url: str) -> None:
    with freeze_time(T0) as frozen, Engine.open(any_url) as engine:
        busy_year(engine, frozen)
        assert agree(engine) > 0


def test_scoped_my_actions_equal_the_direct_count(any_url: str) -> None:
    with freeze_time(T0) as frozen, Engine.open(any_url) as engine:
        units = real_street(engine)
        for i, (unit, who) in enumerate([("g1", "li"), ("g2", "zhao"), ("g1", "li")]):
            engine.start(GRID, Actor.of(who), {**EVENT, "subject": f"事件{i}"}, unit=units[unit])
        engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=units["peace"])
        frozen.move_to(T0 + timedelta(days=4))
        engine.tick()
        ids = {k: u.id for k, u in units.items()}  # type: ignore[attr-defined]
        for scope in ((ids["g1"],), (ids["g2"],), (ids["g1"], ids["peace"]), (ids["west"],), ()):
            agree(engine, scope)  # type: ignore[arg-type]
        li = Actor.of("li")
        assert engine.count(CaseFilter(open=True, roles=("grid_member",)), actor=li) == \
            len(engine.cases(CaseFilter(open=True, roles=("grid_member",)), actor=li))


def test_the_counters_fold_and_stay_exact_over_many_changes(any_url: str) -> None:
    """Thousands of inserts and deletes straight into case_actors (as a bulk load or another
    writer would): the deltas fold every 512 rows and the totals stay those of the rows."""
    with freeze_time(T0), Engine.open(any_url) as engine:
        ids = [engine.start(GRID, ALL, {**EVENT, "subject": f"事件{i}"}).id for i in range(30)]
        rng = random.Random(5)
        with engine.store.engine.begin() as conn:
            for _ in range(1500):
                case_id = rng.choice(ids)
                roles = tuple(sorted(rng.sample(ROLES, rng.randint(0, 3))))
                conn.execute(text("DELETE FROM case_actors WHERE case_id = :c"), {"c": case_id})
                for role in roles:
                    conn.execute(text("INSERT INTO case_actors (case_id, role, roles) VALUES (:c, :r, :rs)"),
                                 {"c": case_id, "r": role, "rs": f",{','.join(roles)},"})
        with engine.store.engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM case_actor_counts")).scalar_one()
        assert kept < 512 + 200  # folded: not one row per change
        agree(engine)


def test_the_migration_fills_the_counters_from_existing_cases(any_url: str) -> None:
    from alembic import command

    from yishi.plugins.sqlstore.migrate import alembic_config

    with freeze_time(T0) as frozen:
        engine = Engine.open(any_url)
        busy_year(engine, frozen, cases=12)
        expected = {roles: direct(engine, roles) for roles in combinations(ROLES, 2)}
        store = engine.store
        with store.engine.connect() as conn, conn.begin():
            command.downgrade(alembic_config(store, conn), "0010_stats")
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM case_actors")).scalar_one() > 0
        engine.close()
        with Engine.open(any_url) as reopened:
            assert {roles: reopened.count(CaseFilter(open=True, roles=roles)) for roles in expected} == expected
            agree(reopened)
            busy_year(reopened, frozen, cases=6)  # and the triggers keep it from there
            agree(reopened)


def test_my_actions_reads_the_counters_not_the_cases(engine: Engine) -> None:
    with freeze_time(T0):
        for i in range(3):
            engine.start(GRID, ALL, {**EVENT, "subject": f"事件{i}"})
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        statements.append(sql)

    event.listen(engine.store.engine, "before_cursor_execute", seen)
    try:
        assert engine.count(CaseFilter(open=True, roles=("grid_leader", "grid_member"))) == 3
    finally:
        event.remove(engine.store.engine, "before_cursor_execute", seen)
    assert [s for s in statements if "case_actor_counts" in s]
    assert not [s for s in statements if "FROM case_actors" in s or "FROM cases" in s]


def test_a_fold_beside_an_open_transaction_loses_nothing(pg_url: str) -> None:
    """PostgreSQL: one transaction writes deltas and stays open while another writes past a fold
    and commits; the fold leaves the first one's uncommitted rows alone, and neither waits."""
    with freeze_time(T0), Engine.open(pg_url) as engine:
        ids = [engine.start(GRID, ALL, {**EVENT, "subject": f"事件{i}"}).id for i in range(12)]
        slow = engine.store.engine.connect()
        fast = engine.store.engine.connect()
        try:
            slow.execute(text("SET lock_timeout = '5s'"))
            fast.execute(text("SET lock_timeout = '5s'"))
            slow.commit()
            fast.commit()
            with slow.begin():
                for case_id in ids[:6]:
                    slow.execute(text("DELETE FROM case_actors WHERE case_id = :c"), {"c": case_id})
                    slow.execute(text("INSERT INTO case_actors (case_id, role, roles) VALUES (:c, 'mediator', ',mediator,')"),
                                 {"c": case_id})
                with fast.begin():
                    for n in range(700):  # past at least one fold
                        case_id = ids[6 + n % 6]
                        fast.execute(text("DELETE FROM case_actors WHERE case_id = :c"), {"c": case_id})
                        fast.execute(text("INSERT INTO case_actors (case_id, role, roles) VALUES (:c, :r, :rs)"),
                                     {"c": case_id, "r": ROLES[n % 9], "rs": f",{ROLES[n % 9]},"})
                    assert fast.execute(text("SELECT count(*) FROM case_actor_counts")).scalar_one() < 600
        finally:
            slow.close()
            fast.close()
        agree(engine)
