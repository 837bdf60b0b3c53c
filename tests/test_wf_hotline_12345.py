"""12345热线工单 under the simulated clock (issue #12, item 10).

Source: domain.md "Details worth encoding", the 12345 government hotline loop: accept → dispatch →
handle → reply → supervise → close → return visit → evaluate; emergencies the same day,
consultations 3 working days, complaints 13 working days (on the Chinese calendar, counted from
the day after dispatch to the end of the last working day, Civil Code art. 201); extension requested before expiry; a reminder the day after a missed deadline; the
return visit the day after closing; an unsatisfied evaluation that is the unit's fault sends the
order back. GB/T 30428: a case outside a unit's remit is returned to the dispatcher with reasons.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from yishi.engine import Engine
from yishi.engine.stepdata import replay
from yishi.testing import Scenario, SimClock

HL = "hotline_12345"
OP = "话务员小吴/operator"
UNIT = "区住建局/unit"
SUP = "督办科老孙/supervisor"
CALL = {"subject": "小区电梯停运三天", "caller": "市民何先生", "caller_contact": "139****0000",
        "kind": "complaint", "content": "3号楼电梯停运三天，老人无法下楼。"}
HANDLED = {"handling_notes": "约谈物业，更换电梯主板。", "reply_to_caller": "电梯已修复，已电话告知。",
           "replied_on": "2026-01-05"}


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


def dispatched(sc: Scenario, **changes: Any) -> datetime:
    sc.start(HL, OP, {**CALL, **changes})
    return sc.step(OP, "dispatch", {"unit_name": "区住建局"}).event.at


def due(sc: Scenario) -> datetime:
    return datetime.fromisoformat(sc.engine.case(sc.case.id).data["intake"]["handling_due"])


# dispatched Monday 2026-01-05 09:00 (China): 3 working days end Thursday 8 January at 24:00,
# 13 end Thursday 22 January at 24:00 (two weekends between)
END_OF_8_JAN = datetime(2026, 1, 8, 16, 0, tzinfo=timezone.utc)
END_OF_22_JAN = datetime(2026, 1, 22, 16, 0, tzinfo=timezone.utc)
END_OF_5_JAN = datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc)  # emergencies: the same day, by 24:00


@pytest.mark.parametrize(("kind", "limit"), [("emergency", END_OF_5_JAN),
                                             ("consultation", END_OF_8_JAN),
                                             ("complaint", END_OF_22_JAN),
                                             ("request", END_OF_22_JAN)])
def test_deadline_by_kind_and_a_reminder_the_day_after_it_is_missed(sc: Scenario, kind: str,
                                                                   limit: timedelta | datetime) -> None:
    at = dispatched(sc, kind=kind)
    if isinstance(limit, datetime):
        limit = limit - at
    assert due(sc) == at + limit
    ticks = sc.advance(limit + timedelta(days=2))
    assert [(t.outcome, t.event.at, t.event.data["remind"]) for t in ticks] == [
        ("reminded", at + limit + timedelta(days=1), ["unit", "supervisor"])]


def test_the_whole_loop_with_the_return_visit_the_day_after_closing(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(UNIT, "reply", HANDLED)
    sc.step(SUP, "close", {"reply_adequate": True})
    closed_at = sc.history()[-1].at
    ticks = sc.advance("1d")
    assert [(t.outcome, t.event.at, t.event.data["remind"]) for t in ticks] == [
        ("reminded", closed_at + timedelta(days=1), ["operator"])]
    sc.step(OP, "visited", {"visited_on": "2026-01-06", "caller_reached": True})
    done = sc.step(OP, "evaluate", {"satisfaction": "satisfied"})
    assert done.case.state == "closed"
    assert [t for t in sc.triggers() if t != "remind"] == [
        "start", "dispatch", "reply", "close", "visited", "evaluate"]
    assert sc.engine.verify().ok


def test_extension_before_expiry_approved_or_refused_with_reasons(sc: Scenario) -> None:
    at = dispatched(sc, kind="consultation")
    sc.advance("2d")
    refused = sc.refused(UNIT, "request_extension")
    assert failing(refused)[0].reason_zh == "尚未填写必填项：延期理由"
    sc.step(UNIT, "request_extension", {"extension_reason": "需厂家派工程师"})
    assert sc.refused(UNIT, "approve_extension", {"extension_decision": "同意"}).verdicts[0].rule == "role"
    sc.step(SUP, "approve_extension", {"extension_decision": "情况属实，同意延期"})
    assert due(sc) == END_OF_8_JAN  # the first deadline (3 working days) stays in the intake record …
    handling = sc.case.data["handling"]
    assert datetime.fromisoformat(handling["handling_due"]) == END_OF_8_JAN + timedelta(days=5)  # … extended here
    assert handling["extensions"] == 1
    # one extension only; and the overdue reminder moved with the deadline
    again = sc.refused(UNIT, "request_extension", {"extension_reason": "再等等"})
    assert [v.reason_en for v in failing(again)] == ["needs extensions granted to be 0 (it is 1)"]
    ticks = sc.advance("10d")
    assert [t.event.at for t in ticks] == [END_OF_8_JAN + timedelta(days=6)]


def test_extension_after_expiry_is_refused_and_a_refusal_needs_reasons(sc: Scenario) -> None:
    dispatched(sc, kind="consultation")
    sc.advance("1d")
    sc.step(UNIT, "request_extension", {"extension_reason": "需要协调"})
    refused = sc.refused(SUP, "refuse_extension")
    assert failing(refused)[0].reason_en == "required fields not filled in: the reasons for the decision"
    sc.step(SUP, "refuse_extension", {"extension_decision": "咨询类诉求应按时答复"})
    assert sc.case.data["handling"]["extension_pending"] is False
    sc.advance("4d")  # the deadline (the end of 8 January) has passed
    late = sc.refused(UNIT, "request_extension", {"extension_reason": "还需时间"})
    (verdict,) = failing(late)
    assert verdict.rule == "before_due"
    assert verdict.reason_zh.startswith("办理期限（2026-01-09 00:00）已届满，须在届满前提出")


def test_outside_the_remit_returned_to_the_dispatcher_with_reasons(sc: Scenario) -> None:
    dispatched(sc)
    refused = sc.refused(UNIT, "return_to_dispatcher")
    assert failing(refused)[0].reason_zh == "尚未填写必填项：退单理由（职责依据）"
    back = sc.step(UNIT, "return_to_dispatcher", {"return_reason": "电梯维保属市场监管局职责"})
    assert back.case.state == "intake" and back.event.data == {"return_reason": "电梯维保属市场监管局职责"}
    assert any(n.kind == "notice" and n.recipients["roles"] == ["operator"]
               for n in sc.engine.notifications(case_id=sc.case.id))
    sc.step(OP, "dispatch", {"unit_name": "区市场监管局"})  # the call itself was kept
    sc.expect_state("handling")


def test_unsatisfied_through_the_units_fault_sends_it_back_with_a_fresh_record(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(UNIT, "reply", HANDLED)
    sc.step(SUP, "close", {"reply_adequate": True})
    sc.advance("1d")
    sc.step(OP, "visited", {"visited_on": "2026-01-06", "caller_reached": True})
    back = sc.step(OP, "evaluate", {"satisfaction": "unsatisfied", "unit_at_fault": True,
                                    "evaluation_comment": "电梯又坏了"})
    assert back.case.state == "handling"
    now = back.event.at
    assert datetime.fromisoformat(sc.case.data["handling"]["handling_due"]) == now + timedelta(days=5)
    assert [v.rule for v in failing(sc.refused(UNIT, "reply"))] == ["form"]  # the old reply does not count
    ticks = sc.advance("6d")
    assert [t.event.at for t in ticks] == [now + timedelta(days=6)]
    wf = sc.engine.definition_of(sc.case)
    assert replay(wf, sc.history()) == sc.case.data


def test_unsatisfied_not_the_units_fault_closes(sc: Scenario) -> None:
    dispatched(sc)
    sc.steps([(UNIT, "reply", HANDLED), (SUP, "close", {"reply_adequate": True}),
              (OP, "visited", {"visited_on": "2026-01-05", "caller_reached": True})])
    done = sc.step(OP, "evaluate", {"satisfaction": "unsatisfied", "unit_at_fault": False})
    assert done.case.state == "closed"


def test_an_inadequate_reply_is_sent_back_by_the_supervisor(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(UNIT, "reply", HANDLED)
    refused = sc.refused(SUP, "close", {"reply_adequate": False})
    assert failing(refused)[0].reason_zh == "需答复符合要求为 是（现为 否）"
    back = sc.step(SUP, "send_back", {"reply_adequate": False, "send_back_reason": "未说明维修时间"})
    assert back.case.state == "handling"
    assert sc.engine.earlier_records(sc.case.id, "handling") == [HANDLED]
