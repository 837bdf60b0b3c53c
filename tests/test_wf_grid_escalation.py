"""网格化事件处置 under the simulated clock: every tier timing out up to the district (normal and
urgent), escalation by hand, the closed loop, reopening at the tier that resolved it, hand-overs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from yishi.engine import Actor, Engine
from yishi.errors import FormError
from yishi.testing import Scenario, SimClock

GRID = "grid_escalation"
GM = "小李/grid_member"
GL = "老张/grid_leader"
SEC = "王书记/secretary"
STREET = "街道办/street_office"
DISTRICT = "区城管局/district_department"
EVERYONE = Actor.of("全能", "grid_member", "grid_leader", "secretary", "street_office", "district_department")

EVENT = {"subject": "小区东门污水管破裂外溢", "reporter": "居民赵阿姨", "reporter_contact": "138****1234",
         "place": "东门岗亭旁", "category": "facilities", "urgency": "normal",
         "description": "污水外溢两天，气味很大，影响出行。"}
FEEDBACK = {"feedback_to_reporter": "已更换破损管道并清理路面。", "feedback_on": "2026-01-05",
            "feedback_channel": "phone"}
CHECKED = {"checked_on_site": True, "verified_by": "老张", "verification_note": "现场无外溢"}


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def dispatched(sc: Scenario, **changes: Any) -> None:
    sc.start(GRID, GM, {**EVENT, **changes})
    sc.step(GM, "dispatch")
    sc.expect_state("tier_1")


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


# ---------------------------------------------------------------- automatic escalation
@pytest.mark.parametrize(("urgency", "limits"), [
    ("normal", [timedelta(days=2), timedelta(days=3), timedelta(days=5), timedelta(days=7), timedelta(days=15)]),
    ("urgent", [timedelta(hours=2), timedelta(hours=4), timedelta(hours=8), timedelta(hours=12), timedelta(days=1)]),
])
def test_every_tier_times_out_up_to_the_district(sc: Scenario, sim_clock: SimClock, urgency: str,
                                                 limits: list[timedelta]) -> None:
    dispatched(sc, urgency=urgency)
    entered = sim_clock.now()
    every = sc.advance(sum(limits, timedelta()) + timedelta(hours=1))
    # a yellow warning at 70% of each tier's time, to the tier and the one above (issue #12 item 8)
    wf = sc.engine.definition_of(sc.case)
    yellow = [t for t in every if wf.states[t.timer.state].timers[t.timer.index].at == "yellow_at"]
    starts = [entered + sum(limits[:k], timedelta()) for k in range(5)]
    assert [t.event.at for t in yellow] == [s + lim * 7 / 10 for s, lim in zip(starts, limits)]
    assert [t.event.data["remind"] for t in yellow] == [
        ["grid_member", "grid_leader"], ["grid_leader", "secretary"], ["secretary", "street_office"],
        ["street_office", "district_department"], ["district_department", "street_office"]]
    ticks = [t for t in every if t not in yellow]
    assert [(t.outcome, t.timer.state) for t in ticks] == [
        ("fired", "tier_1"), ("fired", "tier_2"), ("fired", "tier_3"), ("fired", "tier_4"),
        ("reminded", "tier_5")]
    # each fired at its own due time: the sum of the limits of the tiers below
    due = [entered + sum(limits[:k + 1], timedelta()) for k in range(5)]
    assert [t.event.at for t in ticks] == due
    assert [t.event.dest for t in ticks[:4]] == ["tier_2", "tier_3", "tier_4", "tier_5"]
    assert all(t.event.kind == "timer" and t.event.actor == "system" for t in ticks[:4])
    assert ticks[0].event.trigger == "deadline_passed"
    assert {v.rule for v in ticks[0].event.verdicts} == {"due_passed"}
    # the top tier cannot escalate further: the district and the street are reminded
    assert ticks[4].event.data["remind"] == ["district_department", "street_office"]
    sc.expect_state("tier_5")
    # the tier above is told, both by the step notice and by the escalation message
    notes = sc.engine.notifications(case_id=sc.case.id)
    first = [n for n in notes if n.event_seq == ticks[0].event.seq]
    assert any("grid_leader" in n.recipients["roles"] and n.kind == "step" for n in first)
    # the red warning goes to the tier above and the tier itself
    assert any(n.kind == "notice" and n.recipients["roles"] == ["grid_leader", "grid_member"] for n in first)
    assert sc.engine.verify().ok


def test_the_auto_escalation_cannot_be_taken_early_by_hand(sc: Scenario) -> None:
    dispatched(sc)
    sc.advance("1d")
    refused = sc.refused(GM, "deadline_passed")
    reasons = {v.reason_zh for v in failing(refused)}
    assert reasons == {"第1级处置时限（2026-01-07 09:00）未到"}
    assert {v.reason_en for v in failing(refused)} == {"the tier 1 time limit (2026-01-07 09:00) has not come yet"}


# ---------------------------------------------------------------- escalation by hand
def test_manual_escalation_needs_a_reason_and_the_tiers_role(sc: Scenario) -> None:
    dispatched(sc)
    refused = sc.refused(GM, "escalate")
    assert failing(refused)[0].reason_zh == "尚未填写必填项：上报理由"
    refused = sc.refused(GL, "escalate", {"escalation_reason": "超出网格员职权"})
    assert failing(refused)[0].rule == "role"
    assert failing(refused)[0].reason_en == "only grid member may take this step (your roles: grid_leader)"
    result = sc.step(GM, "escalate", {"escalation_reason": "需物业和施工队配合，超出网格员职权"})
    assert result.case.state == "tier_2"
    assert result.event.data["escalation_reason"] == "需物业和施工队配合，超出网格员职权"
    # the new tier's deadline is recorded in its own record as it is entered
    assert result.event.data["_set_dest"]["tier_due"] == (result.event.at + timedelta(days=3)).isoformat()
    # the new tier's clock starts afresh: a yellow warning at 70% of its 3 days comes first
    assert sc.engine.case(sc.case.id).due_at == result.event.at + timedelta(days=3) * 7 / 10


def test_resolved_tier_is_recorded_by_the_procedure_only(sc: Scenario) -> None:
    dispatched(sc)
    with pytest.raises(FormError) as bad:
        sc.step(GM, "resolve", {"measures": "已处理", "resolved_tier": 5})
    assert bad.value.errors["resolved_tier"] == ("此项由流程自动记录，不能填写",
                                                 "recorded by the procedure itself; it cannot be filled in")


# ---------------------------------------------------------------- the closed loop
def test_closed_loop_records_the_tier_and_closes_when_satisfied(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(GM, "escalate", {"escalation_reason": "需要物业出资"})
    result = sc.step(GL, "resolve", {"handler": "老张", "measures": "协调物业更换管道"})
    assert result.case.state == "feedback"
    assert result.event.data["_set"] == {"resolved_tier": 2}
    assert sc.case.data["tier_2"]["resolved_tier"] == 2
    ticks = sc.advance("1d")  # no feedback yet: the grid member is reminded
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["grid_member"])]
    sc.step(GM, "give_feedback", FEEDBACK)
    refused = sc.refused(GL, "verify", {**CHECKED, "checked_on_site": False})
    assert failing(refused)[0].reason_zh == "需已现场核查为 是（现为 否）"
    sc.step(GL, "verify", CHECKED)
    sc.step(GM, "evaluate", {"satisfaction": "satisfied"})
    assert sc.case.state == "closed" and not sc.case.is_open
    assert sc.engine.verify().ok


def test_unsatisfied_reopens_at_the_tier_that_resolved_it(sc: Scenario) -> None:
    dispatched(sc)
    sc.step(GM, "escalate", {"escalation_reason": "需要物业出资"})
    sc.step(GL, "resolve", {"measures": "临时封堵"})
    sc.steps([(GM, "give_feedback", FEEDBACK), (GL, "verify", CHECKED)])
    result = sc.step(GM, "evaluate", {"satisfaction": "unsatisfied", "evaluation_comment": "又漏了"})
    assert result.case.state == "tier_2"
    assert [v.rule for v in result.event.verdicts] == ["equals", "equals"]
    # reopened at tier 2, escalated to the secretary's clinic, resolved there; a failed on-site
    # check now sends it back to tier 3, not to tier 2
    sc.step(GL, "escalate", {"escalation_reason": "物业推诿，请书记接诊"})
    sc.step(SEC, "resolve", {"measures": "书记约谈物业，更换整段管道"})
    sc.step(GM, "give_feedback", FEEDBACK)
    reopened = sc.step(GL, "verification_failed", {**CHECKED, "reopen_reason": "路面未恢复"})
    assert reopened.case.state == "tier_3"
    # a reopened tier, and the loop after it, start fresh records (issue #12 item 1)
    sc.step(SEC, "resolve", {"measures": "恢复路面"})
    sc.steps([(GM, "give_feedback", FEEDBACK), (GL, "verify", CHECKED),
              (GM, "evaluate", {"satisfaction": "basically_satisfied"})])
    assert sc.case.state == "closed"
    assert [e.dest for e in sc.history() if e.trigger in ("evaluate", "verification_failed")] == [
        "tier_2", "tier_3", "closed"]


# ---------------------------------------------------------------- hand-overs: linked cases
def test_hand_over_to_mediation_links_both_ways(sc: Scenario) -> None:
    dispatched(sc, category="dispute", subject="楼上漏水引发邻里纠纷")
    result = sc.step(GM, "hand_over_to_mediation", {"handover_reason": "双方同意调解"})
    assert result.case.state == "handed_over" and not result.case.is_open
    (new,) = result.started
    assert new.case.workflow_id == "people_mediation" and new.case.state == "application"
    assert new.case.subject == "楼上漏水引发邻里纠纷"
    assert new.case.data["application"] == {"subject": "楼上漏水引发邻里纠纷", "started_by": "referral",
                                            "facts": EVENT["description"]}
    links = sc.engine.links(sc.case.id)
    assert [(l.from_case, l.to_case, l.kind) for l in links] == [(sc.case.id, new.case.id, "handover")]
    assert sc.engine.links(new.case.id) == links
    assert result.event.data["_started"] == [{"case": new.case.id, "workflow": "people_mediation"}]
    assert sc.engine.history(new.case.id)[0].data["_linked_from"] == {
        "case": sc.case.id, "kind": "handover", "workflow": GRID}
    assert sc.engine.verify().ok


def test_hand_over_to_four_discussions_is_the_secretarys(sc: Scenario) -> None:
    dispatched(sc)
    assert "hand_over_to_four_discussions" not in {a.trigger for a in sc.engine.available(sc.case, EVERYONE)}
    sc.step(GM, "escalate", {"escalation_reason": "x"})
    sc.step(GL, "escalate", {"escalation_reason": "涉及集体资产"})
    refused = sc.refused(GL, "hand_over_to_four_discussions", {"handover_reason": "重大事项"})
    assert failing(refused)[0].rule == "role"
    result = sc.step(SEC, "hand_over_to_four_discussions", {"handover_reason": "需用集体资金改造管网"})
    (new,) = result.started
    assert new.case.workflow_id == "four_discussions_two_disclosures"
    assert new.case.data["proposal"] == {"subject": EVENT["subject"], "proposal": EVENT["description"]}


def test_hand_over_to_bench_meeting(sc: Scenario) -> None:
    dispatched(sc, category="parking")
    result = sc.step(GM, "hand_over_to_bench_meeting", {"handover_reason": "需居民共同商议"})
    (new,) = result.started
    assert new.case.workflow_id == "bench_meeting"
    assert new.case.data["topic_raised"]["raised_by"] == "居民赵阿姨"
    assert new.case.data["topic_raised"]["raised_as"] == "referral"


def test_refusals_of_alternative_steps_are_merged_into_one_reason() -> None:
    """Five ``evaluate`` transitions each want a different tier: one reason, not five."""
    from yishi.engine.reasons import equals_verdict, merge

    label = ("解决层级", "tier that resolved it")
    unset = ("未填写", "not filled in")
    verdicts = [equals_verdict(False, label, [(str(n), str(n))], unset, f"tier_{n}.resolved_tier")
                for n in (5, 4, 3)]
    verdicts += [equals_verdict(False, ("群众评价", "evaluation"), [("不满意", "unsatisfied")], unset)] * 2
    merged = merge(verdicts)
    assert [v.reason_zh for v in merged] == ["需解决层级为 3、4 或 5（现为 未填写）",
                                             "需群众评价为 不满意（现为 未填写）"]
    assert merged[0].reason_en == "needs tier that resolved it to be 3, 4 or 5 (it is not filled in)"
