"""The engine calls the TUI's counters need: cases closed since a moment, and counts by a field's
highest recorded value (the tier a grid event was resolved at), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.clock import FixedClock
from yishi.engine import Actor, CaseFilter, Engine
from yishi.testing import workflow_files

TIERS = """
id: tiers
version: 1
title: {zh: 分级处置, en: tiers}
description: {zh: 测试, en: test}
subject: subject
roles:
  handler: {title: {zh: 处置人, en: handler}}
initial: tier_1
states:
  tier_1:
    title: {zh: 一级, en: tier 1}
    keep_on_reentry: true  # reopened: the event's subject stays recorded
    form:
      - {name: subject, type: text, required: true, label: {zh: 事件, en: event}}
      - {name: resolved_tier, type: integer, label: {zh: 解决层级, en: tier}}
  tier_2:
    title: {zh: 二级, en: tier 2}
    form:
      - {name: resolved_tier, type: integer, label: {zh: 解决层级, en: tier}}
  feedback:
    title: {zh: 反馈, en: feedback}
  closed: {title: {zh: 办结, en: closed}, final: true}
transitions:
  - {trigger: escalate, source: tier_1, dest: tier_2, title: {zh: 上报, en: escalate}, roles: [handler]}
  - trigger: resolve
    source: tier_1
    dest: feedback
    title: {zh: 解决, en: resolve}
    roles: [handler]
    actions: [{set: {values: {resolved_tier: 1}}}]
  - trigger: resolve
    source: tier_2
    dest: feedback
    title: {zh: 解决, en: resolve}
    roles: [handler]
    actions: [{set: {values: {resolved_tier: 2}}}]
  - {trigger: reopen, source: feedback, dest: tier_1, title: {zh: 重办, en: reopen}, roles: [handler]}
  - {trigger: close, source: feedback, dest: closed, title: {zh: 办结, en: close}, roles: [handler]}
"""

WHO = Actor.of("小李", "handler")


def _open(url: str, tmp_path: Path, clock: FixedClock) -> Engine:
    path = tmp_path / "tiers.yaml"
    path.write_text(TIERS, encoding="utf-8")
    return Engine.open(url, plugins=[workflow_files(path)], clock=clock)


def _event(engine: Engine, steps: list[str]) -> int:
    case = engine.start("tiers", WHO, {"subject": "夜间摩托车噪音"})
    for trigger in steps:
        engine.fire(case.id, trigger, WHO)
    return case.id


def test_count_by_counts_the_highest_recorded_value(any_url: str, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 10, 1, tzinfo=timezone.utc))
    with _open(any_url, tmp_path, clock) as engine:
        _event(engine, ["resolve", "close"])                              # tier 1
        _event(engine, ["escalate", "resolve", "close"])                  # tier 2
        _event(engine, ["resolve", "reopen", "escalate", "resolve", "close"])  # 1, then 2: counts as 2
        _event(engine, ["resolve"])                                       # resolved, not closed
        _event(engine, [])                                                # open at tier 1
        closed = CaseFilter(workflow_id="tiers", state="closed")
        assert engine.count_by(closed, "resolved_tier") == {1: 1, 2: 2}
        assert engine.count_by(CaseFilter(workflow_id="tiers"), "resolved_tier") == {1: 2, 2: 2, None: 1}
        assert engine.count_by(CaseFilter(workflow_id="tiers", open=True), "no_such_field") == {None: 2}


def test_closed_since_counts_cases_closed_from_a_moment(any_url: str, tmp_path: Path) -> None:
    start = datetime(2026, 10, 20, tzinfo=timezone.utc)
    clock = FixedClock(start)
    with _open(any_url, tmp_path, clock) as engine:
        _event(engine, ["resolve", "close"])
        clock.advance(timedelta(days=15))  # 2026-11-04
        _event(engine, ["resolve", "close"])
        _event(engine, ["resolve"])
        month = datetime(2026, 10, 31, 16, tzinfo=timezone.utc)  # 1 November in Shanghai
        assert engine.count(CaseFilter(open=False, closed_since=month)) == 1
        assert engine.count(CaseFilter(open=False, closed_since=start - timedelta(minutes=1))) == 2
        assert [c.id for c in engine.cases(CaseFilter(closed_since=month))] == [2]



def test_available_sees_typed_but_unsaved_data(engine: Engine, secretary: Actor) -> None:
    """The case screen asks again as the user types: the quorum's count follows the typing."""
    case = engine.start(FOUR, secretary, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", secretary)
    engine.fire(case.id, "submit_to_party_members", secretary, COMMITTEES)
    engine.fire(case.id, "submit_to_representatives", secretary, PARTY)

    def pass_resolution(data: dict[str, object] | None) -> Any:
        return next(a for a in engine.available(case.id, secretary, data) if a.trigger == "pass_resolution")

    assert "form" in [v.rule for v in pass_resolution(None).refusals]  # nothing recorded yet
    typed = {k: str(v) for k, v in representatives(12, 10).items()}  # as typed: text
    assert [v.reason_zh for v in pass_resolution(typed).refusals] == ["需三分之二以上代表到会：实到 12 / 应到 20"]
    assert pass_resolution({**typed, "attended": "14", "votes_for": "8"}).enabled
    # a value that does not fit is left out (as if not typed); unknown names are ignored
    bad = pass_resolution({**typed, "attended": "十二", "nonsense": "x"})
    assert [v.rule for v in bad.refusals][0] == "form"
    assert engine.case(case.id).rev == 4  # nothing was written
