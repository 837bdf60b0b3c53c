"""Grid events as local rules work (issue #12, items 7-9), under the simulated clock
(2026-01-05 09:00 in Shanghai).

Source: GB/T 30428 digital urban management, as digested in domain.md "Details worth encoding":
per-category disposal limits (exposed rubbish 1 working day, illegal construction 15 working
days — calendar days stand in until working days land), a case outside a unit's remit returned to
the dispatcher with reasons, a case not solvable in time explained in writing and parked (挂账);
the issue's yellow (70%) and red (expiry) warnings to the tier and the one above, and extensions
asked before expiry and decided by the tier above with reasons.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from test_wf_grid_escalation import EVENT, GL, GM, SEC
from yishi.definition.loader import check_text
from yishi.engine import Engine
from yishi.engine.library import catalog_of, collect_registry
from yishi.plugin_manager import make_manager
from yishi.testing import Scenario, SimClock

GRID = "grid_escalation"


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


def tier_due(sc: Scenario) -> datetime:
    case = sc.case
    return datetime.fromisoformat(case.data[case.state]["tier_due"])


def dispatched(sc: Scenario, **changes: Any) -> datetime:
    sc.start(GRID, GM, {**EVENT, **changes})
    return sc.step(GM, "dispatch").event.at


# ---------------------------------------------------------------- item 7: limits by category
# dispatched Monday 2026-01-05 09:00 (China); a working-day limit ends at 24:00 of its last day
END_OF_6_JAN = datetime(2026, 1, 6, 16, 0, tzinfo=timezone.utc)    # 1 working day
END_OF_26_JAN = datetime(2026, 1, 26, 16, 0, tzinfo=timezone.utc)  # 15 working days (3 weekends)


@pytest.mark.parametrize(("category", "urgency", "limit"), [
    ("exposed_rubbish", "normal", END_OF_6_JAN),          # GB/T 30428: 1 working day
    ("illegal_construction", "normal", END_OF_26_JAN),    # GB/T 30428: 15 working days
    ("facilities", "normal", timedelta(days=2)),          # no category limit: the tier's default
    ("exposed_rubbish", "urgent", timedelta(hours=2)),    # urgent keeps the urgent limit
])
def test_category_limits_override_the_tier_default(sc: Scenario, category: str, urgency: str,
                                                   limit: timedelta | datetime) -> None:
    at = dispatched(sc, category=category, urgency=urgency)
    if isinstance(limit, datetime):
        limit = limit - at
    assert tier_due(sc) == at + limit
    ticks = [t for t in sc.advance(limit + timedelta(minutes=1)) if t.outcome == "fired"]
    assert [(t.event.at, t.event.dest) for t in ticks] == [(at + limit, "tier_2")]


def test_illegal_construction_keeps_its_limit_at_the_next_tier(sc: Scenario) -> None:
    dispatched(sc, category="illegal_construction")
    escalated = sc.step(GM, "escalate", {"escalation_reason": "需执法部门介入"})
    assert escalated.event.at == datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
    assert tier_due(sc) == END_OF_26_JAN  # 15 working days again, from the escalation


@pytest.mark.parametrize(("start", "category", "end"), [
    # Friday 26 September 2025: the next working day is Sunday the 28th, a make-up day (调休)
    (datetime(2025, 9, 26, 1, 0, tzinfo=timezone.utc), "exposed_rubbish",
     datetime(2025, 9, 28, 16, 0, tzinfo=timezone.utc)),
    # Tuesday 30 September 2025: National Day 1-8 October is off, Saturday 11 October is worked;
    # 15 working days end on Tuesday 28 October
    (datetime(2025, 9, 30, 1, 0, tzinfo=timezone.utc), "illegal_construction",
     datetime(2025, 10, 28, 16, 0, tzinfo=timezone.utc)),
])
def test_category_limits_count_the_chinese_calendar(make_engine: Any, start: datetime, category: str,
                                                    end: datetime) -> None:
    """GB/T 30428's working days on the official calendar (2025 National Day and its 调休)."""
    with SimClock(start) as clock:
        sc = Scenario(make_engine(), clock)
        dispatched(sc, category=category)
        assert tier_due(sc) == end
        fired = [t for t in sc.advance(end - start + timedelta(minutes=1)) if t.outcome == "fired"]
        assert [(t.event.at, t.event.dest) for t in fired] == [(end, "tier_2")]


def test_a_deployment_overrides_the_category_table(make_engine: Any, sim_clock: SimClock) -> None:
    engine = make_engine(params={GRID: {"category_limits": {"exposed_rubbish": "12h", "parking": "3h"}}})
    sc = Scenario(engine, sim_clock)
    at = dispatched(sc, category="parking")
    assert tier_due(sc) == at + timedelta(hours=3)


def test_table_params_are_checked_by_the_validator() -> None:
    catalog = catalog_of(collect_registry(make_manager()))
    base = """
id: t
version: 1
title: t
description: d
params:
  limits: {type: table, default: {a: 1d}, title: limits}
  plain: {type: duration, default: 1d, title: plain}
roles: {r: {title: r}}
initial: a
states:
  a: {title: a, form: [{name: due, type: datetime, readonly: true, label: due}, {name: kind, label: kind}]}
  b: {title: b, final: true}
transitions:
  - trigger: go
    source: a
    dest: b
    title: go
    actions:
      - set_due: {field: due, after: 1d, cases: [{field: kind, table: $plain}]}
"""
    _, problems = check_text(base, "t.yaml", catalog)
    messages = [p.message for p in problems]
    assert any("a table needs the type of its entries" in m for m in messages), messages
    _, problems = check_text(base.replace("type: table, default", "type: table, of: duration, default"),
                             "t.yaml", catalog)
    assert [p.message for p in problems] == [
        "action 'set_due', argument 'table': param '$plain' is of type 'duration'"]
    assert (problems[0].line, problems[0].col) == (20, 71)


# ---------------------------------------------------------------- item 8: yellow and red warnings
def test_yellow_at_70_percent_and_red_at_expiry_to_the_tier_and_the_one_above(sc: Scenario) -> None:
    at = dispatched(sc)  # facilities, normal: 2 days at tier 1
    ticks = sc.advance("2d1m")
    yellow, red = ticks
    assert (yellow.outcome, yellow.event.at, yellow.event.data["remind"]) == (
        "reminded", at + timedelta(days=2) * 7 / 10, ["grid_member", "grid_leader"])
    assert (red.outcome, red.event.at, red.event.trigger) == ("fired", at + timedelta(days=2), "deadline_passed")
    notes = [n for n in sc.engine.notifications(case_id=sc.case.id) if n.event_seq == red.event.seq]
    red_note = next(n for n in notes if n.kind == "notice")
    assert red_note.recipients["roles"] == ["grid_leader", "grid_member"]
    assert red_note.payload["message"]["zh"].startswith("红色预警")


# ---------------------------------------------------------------- item 9: extension, return, park
def test_extension_asked_before_expiry_and_granted_by_the_tier_above(sc: Scenario) -> None:
    at = dispatched(sc)
    sc.advance("1d")
    refused = sc.refused(GM, "request_extension")
    assert failing(refused)[0].reason_zh == "尚未填写必填项：延期理由"
    sc.step(GM, "request_extension", {"extension_reason": "等待物业备件"})
    wrong = sc.refused(GM, "approve_extension", {"extension_decision": "同意"})
    assert failing(wrong)[0].rule == "role"  # the tier above decides
    sc.step(GL, "approve_extension", {"extension_decision": "备件明日到货，同意延期两天"})
    assert tier_due(sc) == at + timedelta(days=4)
    # one extension only; the old deadline passes quietly; the new one escalates
    again = sc.refused(GM, "request_extension", {"extension_reason": "再等等"})
    assert [v.rule for v in failing(again)] == ["equals"]
    ticks = sc.advance("3d1m")
    assert [(t.outcome, t.event.at) for t in ticks] == [("fired", at + timedelta(days=4))]
    sc.expect_state("tier_2")
    decisions = [e.data.get("extension_decision") for e in sc.history() if e.trigger == "approve_extension"]
    assert decisions == ["备件明日到货，同意延期两天"]


def test_extension_refused_with_reasons_and_none_after_expiry(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(GM, "request_extension", {"extension_reason": "人手不足"})
    assert failing(sc.refused(GL, "refuse_extension"))[0].reason_en == \
        "required fields not filled in: the reasons for the decision"
    sc.step(GL, "refuse_extension", {"extension_decision": "小事不出网格，今日内处理"})
    assert sc.case.data["tier_1"]["extension_pending"] is False
    sc.step(GM, "escalate", {"escalation_reason": "确需网格长协调"})
    sc.advance("4d")  # tier 2's 3 days have passed … but the automatic escalation moved it on
    sc.expect_state("tier_3")
    sc.advance("5d")
    sc.expect_state("tier_4")
    late = Scenario(sc.engine, sc.clock)
    late.start(GRID, GM, EVENT)
    late.step(GM, "dispatch")
    sc.clock.advance("2d1h")  # time passes, no tick: the deadline is gone
    refused = late.refused(GM, "request_extension", {"extension_reason": "来不及了"})
    assert [v.rule for v in failing(refused)] == ["before_due"]
    assert failing(refused)[0].reason_zh.endswith("已届满，须在届满前提出")


def test_outside_the_remit_returned_to_the_dispatcher_with_reasons(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(GM, "escalate", {"escalation_reason": "x"})
    back = sc.step(GL, "return_to_dispatcher", {"return_reason": "属燃气公司管线，非社区职责"})
    assert back.case.state == "intake"
    assert any(n.kind == "notice" and n.recipients["roles"] == ["grid_member"]
               for n in sc.engine.notifications(case_id=sc.case.id) if n.event_seq == back.event.seq)
    assert sc.case.data["intake"]["subject"] == EVENT["subject"]  # the event itself is kept
    sc.step(GM, "dispatch")
    sc.expect_state("tier_1")


def test_parked_with_a_written_explanation_reviewed_and_resumed(sc: Scenario) -> None:
    dispatched(sc)
    sc.steps([(GM, "escalate", {"escalation_reason": "x"}), (GL, "escalate", {"escalation_reason": "y"})])
    refused = sc.refused(SEC, "park")
    assert failing(refused)[0].reason_zh == "尚未填写必填项：无法按期解决的书面说明"
    parked = sc.step(SEC, "park", {"parking_explanation": "管网改造需列入明年财政预算"})
    assert parked.case.state == "parked" and sc.case.data["parked"]["parked_tier"] == 3
    ticks = sc.advance("7d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["street_office", "secretary"])]
    wrong_tier = sc.refused(GM, "resume", {"resume_reason": "资金已到位"})
    assert {v.rule for v in failing(wrong_tier)} >= {"role"}
    resumed = sc.step(SEC, "resume", {"resume_reason": "资金已到位"})
    assert resumed.case.state == "tier_3"
    assert tier_due(sc) == resumed.event.at + timedelta(days=5)  # a fresh deadline at the tier
