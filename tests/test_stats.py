"""Statistics: the figures of a seeded set of cases against values computed by hand, the counts
kept in the step's transaction, the migration's backfill, and "who may act" without LIKE."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from yishi.engine import Actor, Engine
from yishi.engine.types import CaseFilter
from yishi.stats.figures import ReportError, community_share, month_report, overview, recount
from yishi.stats.track import fold
from yishi.testing import Scenario, SimClock

GRID, MED = "grid_escalation", "people_mediation"
GM, GL, SEC = "小李/grid_member", "老张/grid_leader", "王书记/secretary"
STREET = "街道办/street_office"
COMMITTEE, MEDIATOR = "调委会刘主任/mediation_committee", "调解员陈姐/mediator"
EVENT = {"subject": "小区东门污水管破裂外溢", "reporter": "居民赵阿姨", "place": "东门岗亭旁",
         "category": "facilities", "urgency": "normal", "description": "污水外溢两天，气味很大。"}
FEEDBACK = {"feedback_to_reporter": "已处理。", "feedback_on": "2026-10-28", "feedback_channel": "phone"}
CHECKED = {"checked_on_site": True, "verified_by": "老张"}
MEASURES = {"measures": "更换破损管道"}
START = datetime(2026, 10, 28, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
NOW = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 December in Beijing


def closing(sc: Scenario, satisfaction: str = "satisfied") -> None:
    sc.steps([(GM, "give_feedback", FEEDBACK), (GM, "verify", CHECKED),
              (GM, "evaluate", {"satisfaction": satisfaction})])


def grid_case(sc: Scenario) -> int:
    sc.start(GRID, GM, EVENT)
    sc.step(GM, "dispatch")
    return sc.case.id


def seed(engine: Engine, clock: SimClock) -> dict[str, int]:
    """The cases whose figures the tests compute by hand (times in UTC; Beijing is +8 h):

    K  Oct 28: tier 1 resolves at once; closed in October.
    L  Oct 28 dispatched; Nov 2 (time moved on without ticking, so its 2-day limit passed
       unnoticed) tier 1 resolves: closed in November, 5 days, one deadline missed.
    A  Nov 2 01:00 tier 1 resolves; 12 hours later feedback, check, satisfied: 0.5 days.
    B  Nov 2 13:00 tier 1 resolves, unsatisfied → reopened at tier 1, escalated by hand, tier 2
       resolves, basically satisfied: reopened once, two evaluations, one satisfied.
    C  Nov 2 13:00 dispatched; tier 1 and tier 2 time out (automatic escalation, 2 + 3 days);
       tier 3 escalates by hand, tier 4 resolves: 5 days, two deadlines missed.
    D  Nov 7: escalated by hand to tier 3, resolved there, the check fails → reopened at tier 3,
       handed over to mediation (M1, left open): closed without a resolution in force.
    E  Nov 7: a mediation extended once, then ended without agreement.
    F  Nov 7: not filed (dismissed).
    G  Nov 20: left at intake (its 1-hour reminder never ticked): overdue, at no tier.
    I  Nov 20: dispatched, left at tier 1: overdue at tier 1.
    X  Nov 30 16:30 UTC = Dec 1 00:30 in Beijing: opened and closed in December.
    """
    sc = Scenario(engine, clock)
    ids: dict[str, int] = {}
    ids["K"] = grid_case(sc)
    sc.step(GM, "resolve", MEASURES)
    closing(sc)
    ids["L"] = grid_case(sc)
    clock.advance("5d")
    sc.step(GM, "resolve", MEASURES)
    closing(sc)
    ids["A"] = grid_case(sc)
    sc.step(GM, "resolve", MEASURES)
    clock.advance("12h")
    closing(sc)
    ids["B"] = grid_case(sc)
    sc.step(GM, "resolve", MEASURES)
    closing(sc, "unsatisfied")
    sc.expect_state("tier_1")
    sc.step(GM, "escalate", {"escalation_reason": "需网格长协调"})
    sc.step(GL, "resolve", MEASURES)
    closing(sc, "basically_satisfied")
    sc.expect_state("closed")
    ids["C"] = grid_case(sc)
    sc.advance("5d")  # ticks: tier 1 (2 days) and tier 2 (3 days) time out
    sc.expect_state("tier_3")
    sc.step(SEC, "escalate", {"escalation_reason": "涉及市政管网"})
    sc.step(STREET, "resolve", MEASURES)
    closing(sc)
    ids["D"] = grid_case(sc)
    sc.step(GM, "escalate", {"escalation_reason": "需协调"})
    sc.step(GL, "escalate", {"escalation_reason": "需书记协调"})
    sc.step(SEC, "resolve", MEASURES)
    sc.step(GM, "give_feedback", FEEDBACK)
    sc.step(GM, "verification_failed", {"reopen_reason": "仍有渗漏"})
    sc.expect_state("tier_3")
    result = sc.step(SEC, "hand_over_to_mediation", {"handover_reason": "邻里纠纷"})
    ids["M1"] = result.started[0].case.id
    sc.start(MED, MEDIATOR, {"subject": "楼上漏水", "started_by": "application", "dispute_kind": "neighbours",
                             "party_a": "周先生", "party_b": "吴女士", "facts": "漏水损坏吊顶。"})
    ids["E"] = sc.case.id
    sc.steps([(MEDIATOR, "register"),
              (COMMITTEE, "accept", {"party_a_agrees": True, "party_b_agrees": True, "accepted_on": "2026-11-07"}),
              (COMMITTEE, "start_mediation", {"mediators": [{"name": "陈姐", "chosen": "designated"}]}),
              (COMMITTEE, "extend", {"party_a_consents": True, "party_b_consents": True,
                                     "extension_reason": "等待报价"}),
              (MEDIATOR, "mediation_failed", {"failure_reason": "差距过大", "remedies_told": ["litigation"]})])
    sc.start(GRID, GM, EVENT)
    ids["F"] = sc.case.id
    sc.step(GM, "dismiss", {"reason": "重复上报"})
    clock.move_to(datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc))
    sc.start(GRID, GM, EVENT)
    ids["G"] = sc.case.id
    ids["I"] = grid_case(sc)
    clock.move_to(NOW)
    ids["X"] = grid_case(sc)
    sc.step(GM, "resolve", MEASURES)
    closing(sc)
    return ids


@pytest.fixture
def seeded(make_engine: Any, any_url: str) -> tuple[Engine, dict[str, int]]:
    with SimClock(START) as clock:
        engine = make_engine(url=any_url)
        ids = seed(engine, clock)
    return engine, ids


def test_the_november_report_matches_the_hand_computed_figures(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ids = seeded
    report = month_report(engine, "2026-11", now=NOW)
    rows = {r.workflow_id: r.figures for r in report.rows}
    assert set(rows) == {GRID, MED}
    grid = rows[GRID]
    assert grid.received == 7  # A B C D F G I (K and L in October, X in December in Beijing)
    assert grid.closed == 6  # L A B C D F
    assert grid.closed_on_time == 4  # L and C missed deadlines
    assert grid.on_time_rate == pytest.approx(4 / 6)
    assert grid.overdue_now == 2  # G and I
    assert grid.avg_handling_days == pytest.approx((5 + 0.5 + 0 + 5 + 0 + 0) / 6)
    assert grid.resolved == {1: 2, 2: 1, 4: 1}  # L A | B (after its reopening) | C; D handed over
    assert (grid.resolved_in_community, grid.resolved_total) == (3, 4)
    assert grid.community_share == pytest.approx(0.75)
    assert grid.reopened == 2  # B (unsatisfied) and D (failed check)
    assert grid.extended == 0
    assert (grid.evals_asked, grid.evals_given, grid.evals_satisfied) == (5, 5, 4)  # B twice, once unsatisfied
    assert grid.satisfaction_rate == pytest.approx(0.8) and grid.participation_rate == pytest.approx(1.0)
    med = rows[MED]
    assert (med.received, med.closed, med.closed_on_time, med.extended, med.overdue_now) == (2, 1, 1, 1, 0)
    assert med.resolved == {} and med.community_share is None and med.satisfaction_rate is None
    total = report.total
    assert (total.received, total.closed, total.closed_on_time, total.reopened, total.extended) == (9, 7, 5, 2, 1)
    assert report.month == "2026-11" and report.tz == "Asia/Shanghai"
    assert report.start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)


def test_months_are_counted_in_local_time(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ids = seeded
    december = {r.workflow_id: r.figures for r in month_report(engine, "2026-12", now=NOW).rows}
    assert (december[GRID].received, december[GRID].closed, december[GRID].resolved) == (1, 1, {1: 1})
    october = {r.workflow_id: r.figures for r in month_report(engine, "2026-10", now=NOW).rows}
    assert (october[GRID].received, october[GRID].closed, october[GRID].closed_on_time) == (2, 1, 1)


def test_the_overview_and_the_home_counter(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ids = seeded
    view = overview(engine, NOW, months=3)
    assert [p.month for p in view.trend] == ["2026-10", "2026-11", "2026-12"]
    assert [p.figures.received for p in view.trend] == [2, 9, 1]
    assert [p.figures.resolved_total for p in view.trend] == [1, 4, 1]
    assert view.overdue_by_tier == {None: 1, 1: 1} and view.overdue_total == 2
    # all time: K L A X at tier 1, B at 2, C at 4
    assert community_share(engine, GRID) == (5, 6)


def test_the_stored_counts_agree_with_the_events(seeded: tuple[Engine, dict[str, int]]) -> None:
    """The migration's backfill (a fold over the events and timers) gives what the steps kept."""
    engine, ids = seeded
    for name, case_id in ids.items():
        case = engine.case(case_id)
        wf = engine.definition_of(case)
        asks = {s: any(f.name == "satisfaction" for f in st.form) for s, st in wf.states.items()}
        dues = [(t.state, t.due_at) for t in engine.timers(case_id)]
        assert fold(engine.history(case_id), asks, dues) == case.figures, name
    assert engine.case(ids["L"]).figures.deadlines_missed == 1
    assert engine.case(ids["C"]).figures.deadlines_missed == 2
    assert engine.case(ids["D"]).figures.resolved_tier is None
    assert engine.case(ids["I"]).figures.tier == 1


def test_a_bad_month_or_grouping_is_refused_in_the_users_words(engine: Engine) -> None:
    for bad in ("2026-13", "November", "2026/11", ""):
        with pytest.raises(ReportError) as err:
            month_report(engine, bad)
        assert "2026-11" in err.value.message and "年-月" in err.value.message_zh
    with pytest.raises(ReportError) as err:
        month_report(engine, "2026-11", by="village")
    assert "grid, community or street" in err.value.message


def test_my_actions_come_from_case_actors_not_a_like_scan(engine: Engine, secretary: Actor) -> None:
    """Who may act is kept per role in case_actors, in the step's transaction: counts and lists
    agree with act_roles, a closed case leaves it, and no LIKE on act_roles is run."""
    from sqlalchemy import event, text

    gm = Actor.of("小李", "grid_member")
    first = engine.start(GRID, gm, EVENT)
    second = engine.start(GRID, gm, EVENT)
    engine.fire(second.id, "dispatch", gm)
    engine.fire(second.id, "escalate", gm, {"escalation_reason": "x"})  # now the grid leader's
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        statements.append(sql)

    listen = engine.store.engine  # the SQLAlchemy engine
    event.listen(listen, "before_cursor_execute", seen)
    try:
        mine = CaseFilter(open=True, roles=("grid_member",))
        assert engine.count(mine) == 1
        assert [c.id for c in engine.cases(mine)] == [first.id]
        both = CaseFilter(open=True, roles=("grid_member", "grid_leader"))
        assert engine.count(both) == 2 and {c.id for c in engine.cases(both)} == {first.id, second.id}
        assert engine.count(CaseFilter(open=True, roles=())) == 0
    finally:
        event.remove(listen, "before_cursor_execute", seen)
    assert statements and not any("LIKE" in s.upper() for s in statements)
    engine.fire(first.id, "dismiss", gm, {"reason": "重复"})
    assert engine.count(CaseFilter(open=True, roles=("grid_member",))) == 0
    with engine.store.read() as tx:
        rows = tx.conn.execute(text("SELECT case_id, role, roles FROM case_actors ORDER BY case_id")).all()
    # at tier 2 the secretary (the tier above) may also act: it decides extension requests
    assert [tuple(r) for r in rows] == [(second.id, "grid_leader", ",grid_leader,secretary,"),
                                        (second.id, "secretary", ",grid_leader,secretary,")]


def test_my_actions_count_a_case_once_when_several_of_my_roles_may_act(engine: Engine) -> None:
    """At the on-site check both the grid member and the grid leader may act: someone holding
    both roles has that case once among "my actions", in the count as in the list."""
    gm = Actor.of("小李", "grid_member")
    both = CaseFilter(open=True, roles=("grid_member", "grid_leader"))
    case = engine.start(GRID, gm, EVENT)
    for trigger, data in (("dispatch", {}), ("resolve", MEASURES), ("give_feedback", FEEDBACK)):
        engine.fire(case.id, trigger, gm, data)
    assert set(engine.case(case.id).act_roles) == {"grid_member", "grid_leader"}
    other = engine.start(GRID, gm, EVENT)  # at intake: either may act too (dismiss)
    assert set(engine.case(other.id).act_roles) == {"grid_member", "grid_leader"}
    assert engine.count(both) == 2 == len(engine.cases(both))  # not 4: each case once
    assert engine.count(CaseFilter(open=True, roles=("grid_leader",))) == 2
    assert {c.id for c in engine.cases(both)} == {case.id, other.id}


def test_the_migration_backfills_existing_cases(seeded: tuple[Engine, dict[str, int]], any_url: str) -> None:
    """A database from before the statistics' columns (revision 0009) gets them from its events."""
    from alembic import command
    from sqlalchemy import text

    from yishi.plugins.sqlstore.migrate import alembic_config

    engine, ids = seeded
    before = {name: engine.case(i).figures for name, i in ids.items()}
    november = month_report(engine, "2026-11", now=NOW)
    store = engine.store
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":  # the batch copy of the cases table, as Alembic documents
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            command.downgrade(alembic_config(store, conn), "0009_append_only")
        columns = list(conn.execute(text("SELECT * FROM cases LIMIT 1")).keys())
    assert "resolved_tier" not in columns
    engine.close()
    reopened = Engine.open(any_url)
    try:
        after = {name: reopened.case(i).figures for name, i in ids.items()}
        assert after == before
        assert community_share(reopened, GRID) == (5, 6)
        again = month_report(reopened, "2026-11", now=NOW)
        assert [(r.workflow_id, r.figures) for r in again.rows] == [(r.workflow_id, r.figures) for r in november.rows]
        assert reopened.count(CaseFilter(open=True, roles=("grid_member",))) == \
            len([i for i in ids.values() if "grid_member" in reopened.case(i).act_roles])
    finally:
        reopened.close()


def test_home_counters_read_no_json(seeded: tuple[Engine, dict[str, int]]) -> None:
    """The share resolved inside the community comes from the resolved_tier column (an index),
    not from JSON_EXTRACT over every closed case's data."""
    from sqlalchemy import event

    from yishi.tui.data import load_counters

    engine, _ids = seeded
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        statements.append(sql)

    event.listen(engine.store.engine, "before_cursor_execute", seen)
    try:
        counters = load_counters(engine, NOW)
    finally:
        event.remove(engine.store.engine, "before_cursor_execute", seen)
    assert counters.community == (5, 6)
    assert statements and not any("json" in s.lower() or "->>" in s for s in statements)


def test_the_case_lists_urgency_index_survives_the_migrations(sqlite_url: str) -> None:
    """SQLite: the expression index the cases screen's first page reads in order is there after
    every migration (0007 as first landed lost it; 0010 restores it where it is missing)."""
    import sqlite3

    Engine.open(sqlite_url).close()
    con = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'")}
        plan = " ".join(str(r) for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE closed_at IS NULL "
            "ORDER BY due_at IS NULL, due_at, id DESC LIMIT 50"))
    finally:
        con.close()
    assert "ix_cases_open_urgency" in names
    assert "ix_cases_open_urgency" in plan and "TEMP B-TREE" not in plan


def test_the_month_summary_equals_a_recount_of_the_cases(seeded: tuple[Engine, dict[str, int]]) -> None:
    """stats_months, added to by the steps, says what counting the case rows again says."""
    engine, _ids = seeded
    for month in ("2026-10", "2026-11", "2026-12"):
        report = {(r.unit_id, r.workflow_id): r.figures for r in month_report(engine, month).rows}
        again = recount(engine, month)
        assert set(report) == set(again), month
        for key, figures in again.items():
            mine = report[key]
            mine.overdue_now = 0  # a state of now, not of the month
            assert mine.handling_seconds == pytest.approx(figures.handling_seconds)
            mine.handling_seconds = figures.handling_seconds
            assert mine == figures, (month, key)
