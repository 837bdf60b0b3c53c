"""The testing kit itself: the simulated clock fires timers in order at their own due time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.engine import Actor, Engine
from yishi.hookspecs import hookimpl
from yishi.testing import Scenario, SimClock, workflow_files

SEC = "王书记/secretary"


def test_scenario_walks_the_notice_period(scenario: Scenario, sim_clock: SimClock) -> None:
    scenario.start(FOUR, SEC, PROPOSAL)
    scenario.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES),
                    (SEC, "submit_to_representatives", PARTY)])
    refused = scenario.refused(SEC, "pass_resolution", representatives(13, 10))
    assert [v.rule for v in refused.verdicts if not v.ok] == ["quorum"]
    scenario.step(SEC, "pass_resolution", representatives(14, 8))
    entered = sim_clock.now()
    assert scenario.refused(SEC, "start_implementation", {"notice_place": "公开栏"}).verdicts[0].rule == "elapsed"
    ticks = scenario.advance("7d")
    assert [t.outcome for t in ticks] == ["reminded"]
    assert ticks[0].event.at == entered + timedelta(days=7)  # fired at its own due time
    scenario.step(SEC, "start_implementation", {"notice_place": "公开栏"})
    scenario.expect_state("implementation")
    assert scenario.triggers()[-3:] == ["pass_resolution", "remind", "start_implementation"]


AUTO = """
id: chain
version: 1
title: {zh: 连续升级, en: chain}
description: test
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: a
states:
  a: {title: A, timers: [{after: 1h, fire: next}, {after: 30m, remind: [clerk]}]}
  b: {title: B, timers: [{after: 2h, fire: next}]}
  c: {title: C, timers: [{after: 1d, fire: next}]}
  d: {title: D, final: true}
transitions:
  - {trigger: next, source: a, dest: b, title: next, roles: [clerk]}
  - {trigger: next, source: b, dest: c, title: next, roles: [clerk]}
  - {trigger: next, source: c, dest: d, title: next, roles: [clerk]}
"""


def test_run_until_fires_chained_timers_in_order(tmp_path: Any, make_engine: Any, sim_clock: SimClock) -> None:
    (tmp_path / "chain.yaml").write_text(AUTO, encoding="utf-8")
    engine: Engine = make_engine(workflow_files(tmp_path / "chain.yaml"))
    t0 = sim_clock.now()
    case = engine.start("chain", Actor.of("x", "clerk"))
    results = sim_clock.run_until(engine, "2d")
    assert [(r.outcome, r.timer.state) for r in results] == [
        ("reminded", "a"), ("fired", "a"), ("fired", "b"), ("fired", "c")]
    assert [r.event.at - t0 for r in results] == [
        timedelta(minutes=30), timedelta(hours=1), timedelta(hours=3), timedelta(days=1, hours=3)]
    assert engine.case(case.id).state == "d"
    assert sim_clock.now() == t0 + timedelta(days=2)


def test_inline_plugin_lives_for_one_test(make_engine: Any) -> None:
    calls: list[str] = []

    class Observer:
        @hookimpl
        def yishi_event_committed(self, engine: Any, case: Any, event: Any, notifications: Any) -> None:
            calls.append(f"{event.kind}:{event.dest}")

    engine = make_engine(Observer())
    case = engine.start(FOUR, Actor.of("王", "secretary"), PROPOSAL)
    engine.fire(case.id, "submit_to_committees", Actor.of("王", "secretary"))
    assert calls == ["start:proposal", "fire:committees_discussion"]
    other = make_engine()
    other.start(FOUR, Actor.of("王", "secretary"), PROPOSAL)
    assert len(calls) == 2  # the other engine does not have the plugin


def test_time_only_moves_forward(sim_clock: SimClock) -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        sim_clock.move_to(sim_clock.now() - timedelta(seconds=1))


ITEMS = """
id: items
version: 1
title: {zh: 行动事项, en: action items}
description: test
roles:
  convener: {title: {zh: 召集人, en: convener}}
initial: follow_up
states:
  follow_up:
    title: {zh: 跟进, en: follow-up}
    form:
      - name: action_items
        type: list
        label: {zh: 行动事项, en: action items}
        fields:
          - {name: task, label: {zh: 事项, en: task}, required: true}
          - {name: owner, type: person, label: {zh: 责任人, en: owner}, required: true}
          - {name: due, type: date, label: {zh: 完成期限, en: due}, required: true}
          - {name: done, type: boolean, label: {zh: 已完成, en: done}}
    timers:
      - {each: action_items, at: due, remind: [convener], remind_people: [owner], unless: done}
  closed: {title: {zh: 办结, en: closed}, final: true}
transitions:
  - {trigger: close, source: follow_up, dest: closed, title: {zh: 办结, en: close}, roles: [convener]}
"""


def test_each_item_due_date_reminds_its_owner_unless_done(tmp_path: Any, make_engine: Any,
                                                          sim_clock: SimClock) -> None:
    (tmp_path / "items.yaml").write_text(ITEMS, encoding="utf-8")
    engine: Engine = make_engine(workflow_files(tmp_path / "items.yaml"))
    assert engine.workflow_problems == []
    convener = Actor.of("马书记", "convener")
    items = [{"task": "疏通污水管", "owner": "物业王经理", "due": "2026-01-10"},
             {"task": "张贴告示", "owner": "楼栋长李姐", "due": "2026-01-12"}]
    case = engine.start("items", convener, {"action_items": items})
    timers = engine.timers(case.id)
    # a due date is the end of that day in Beijing time
    assert [t.due_at.isoformat() for t in timers] == ["2026-01-10T16:00:00+00:00", "2026-01-12T16:00:00+00:00"]
    results = sim_clock.run_until(engine, "6d")
    assert [r.outcome for r in results] == ["reminded"]
    assert results[0].event.data["people"] == ["物业王经理"] and results[0].event.data["item"] == 0
    assert results[0].event.data["remind"] == ["convener"]
    # the second item is done before its date: its reminder is skipped, not sent
    engine.record(case.id, convener, {"action_items": [items[0], {**items[1], "done": True}]})
    assert [r.outcome for r in sim_clock.run_until(engine, "5d")] == ["skipped"]
    # a new item added later gets its own timer; the first item's fired reminder is not repeated
    engine.record(case.id, convener, {"action_items": [items[0], {**items[1], "done": True},
                                                       {"task": "回访居民", "owner": "网格员小赵", "due": "2026-01-20"}]})
    results = sim_clock.run_until(engine, "10d")
    assert [(r.outcome, r.event.data["people"]) for r in results] == [("reminded", ["网格员小赵"])]
    assert engine.verify().ok


# ---------------------------------------------------------------- issue 13: the kit's clock
def counting_next_due(engine: Engine) -> list[int]:
    calls = [0]
    ask = engine.next_due

    def counted() -> Any:
        calls[0] += 1
        return ask()
    engine.next_due = counted  # type: ignore[method-assign]
    return calls


def test_run_until_knows_the_next_due_time_without_asking_the_database(
        tmp_path: Any, make_engine: Any, sim_clock: SimClock) -> None:
    (tmp_path / "chain.yaml").write_text(AUTO, encoding="utf-8")
    engine: Engine = make_engine(workflow_files(tmp_path / "chain.yaml"))
    asked = counting_next_due(engine)
    clerk = Actor.of("x", "clerk")
    for _ in range(20):  # a step every minute, nothing due in between: the store said when
        engine.start("chain", clerk)
        assert sim_clock.run_until(engine, "1m") == []
    assert asked[0] == 1  # once, when the clock first met the engine
    results = sim_clock.run_until(engine, "39m")
    assert [r.outcome for r in results] == ["reminded"] * 20
    assert asked[0] <= 1 + 20 + 1  # after each tick (the system clock's due times), not per step


def test_timers_another_engine_adds_on_the_database_are_seen(tmp_path: Any, make_engine: Any,
                                                             sim_clock: SimClock) -> None:
    (tmp_path / "chain.yaml").write_text(AUTO, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    one: Engine = make_engine(workflow_files(tmp_path / "chain.yaml"), url=url)
    two: Engine = make_engine(workflow_files(tmp_path / "chain.yaml"), url=url)
    assert sim_clock.run_until(one, "1m") == []  # the clock met ``one``: nothing is due
    two.start("chain", Actor.of("x", "clerk"))
    assert [r.outcome for r in sim_clock.run_until(one, "45m")] == ["reminded"]


def test_an_injected_sim_clock_needs_no_freezegun(tmp_path: Any, make_engine: Any) -> None:
    from datetime import datetime, timezone

    (tmp_path / "chain.yaml").write_text(AUTO, encoding="utf-8")
    clock = SimClock(datetime(2030, 6, 3, 1, 0, tzinfo=timezone.utc), freeze=False)
    with clock:
        assert datetime.now(timezone.utc).year < 2030  # the real time: nothing is frozen
        engine: Engine = make_engine(workflow_files(tmp_path / "chain.yaml"), clock=clock)
        t0 = clock.now()
        case = engine.start("chain", Actor.of("x", "clerk"))
        assert engine.case(case.id).opened_at == t0
        asked = counting_next_due(engine)
        results = clock.run_until(engine, "2d")
        assert [(r.outcome, r.timer.state, r.event.at - t0) for r in results] == [
            ("reminded", "a", timedelta(minutes=30)), ("fired", "a", timedelta(hours=1)),
            ("fired", "b", timedelta(hours=3)), ("fired", "c", timedelta(days=1, hours=3))]
        assert asked[0] == 2 and clock.now() == t0 + timedelta(days=2)
        assert engine.case(case.id).state == "d" and engine.verify().ok


def test_a_simulation_may_trade_durability_for_speed(tmp_path: Any, make_engine: Any) -> None:
    from yishi.errors import StorageError

    fast: Engine = make_engine(url=f"sqlite:///{tmp_path / 'sim.db'}?synchronous=NORMAL")
    assert fast.store.describe()["synchronous"] == "NORMAL"
    assert make_engine().store.describe()["synchronous"] == "FULL"
    with pytest.raises(StorageError, match="synchronous=OFF"):
        make_engine(url=f"sqlite:///{tmp_path / 'x.db'}?synchronous=off")
