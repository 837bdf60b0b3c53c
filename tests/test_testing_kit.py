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
