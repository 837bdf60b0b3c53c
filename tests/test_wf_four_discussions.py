"""四议两公开 under the simulated clock: both variants of step 4, every refusal with its reason,
send-back and reject from every discussion, the notice periods and the implementation deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.engine import Actor, Engine
from yishi.testing import Scenario, SimClock

SEC = "王书记/secretary"
MEMBER = "张委员/committee_member"
EVERYONE = Actor.of("全能", "secretary", "committee_member", "supervisor")
NOTICE = {"notice_place": "村务公开栏"}
DONE = {"progress": "租赁合同已签订", "completed_on": "2026-03-01"}
RESULTS = {"results": "幼儿园已开园", "results_notice_place": "村务公开栏"}


def villagers(present: int, represented: int, votes: int, *, adults: int = 200,
              households: int = 60, notice: str = "2025-12-20") -> dict[str, Any]:
    return {"notice_date": notice, "meeting_date": "2026-01-05", "adults": adults, "households": households,
            "villagers_present": present, "households_represented": represented,
            "villagers_votes_for": votes, "resolution": "同意出租，租金用于村公益事业。",
            "minutes": f"成年村民 {adults} 人，到会 {present} 人，{represented} 户有代表到会，赞成 {votes} 人。"}


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def to_step4(sc: Scenario, trigger: str = "submit_to_representatives") -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES),
              (SEC, trigger, PARTY)])


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


# ---------------------------------------------------------------- the main paths
def test_representatives_path_end_to_end(sc: Scenario, sim_clock: SimClock) -> None:
    to_step4(sc)
    sc.advance("2d")
    sc.step(SEC, "pass_resolution", representatives(14, 8))
    sc.expect_state("resolution_notice")
    early = sc.refused(SEC, "start_implementation", NOTICE)
    assert failing(early)[0].rule == "elapsed"
    assert [t.outcome for t in sc.advance("7d")] == ["reminded"]
    sc.step(SEC, "start_implementation", NOTICE)
    started = sim_clock.now()
    # the deadline approaches (75 days) and comes (90 days): two reminders, each at its own time
    ticks = sc.advance("91d")
    assert [(t.outcome, t.event.at - started) for t in ticks] == [
        ("reminded", timedelta(days=75)), ("reminded", timedelta(days=90))]
    assert ticks[0].event.data["remind"] == ["secretary"]
    assert ticks[1].event.data["remind"] == ["secretary", "committee_member", "supervisor"]
    sc.step(SEC, "disclose_results", DONE)
    refused = sc.refused(SEC, "archive", RESULTS)
    assert failing(refused)[0].reason_zh == "结果公示期未满：需 7天，还差 7天"
    assert failing(refused)[0].reason_en == "the results notice period of 7d has not passed: 7d to go"
    assert [t.outcome for t in sc.advance("7d")] == ["reminded"]
    done = sc.step(SEC, "archive", RESULTS)
    assert done.case.state == "archived" and not done.case.is_open
    assert [t for t in sc.triggers() if t != "remind"] == [
        "start", "submit_to_committees", "submit_to_party_members", "submit_to_representatives",
        "pass_resolution", "start_implementation", "disclose_results", "archive"]
    assert sc.triggers().count("remind") == 4
    assert sc.engine.available(sc.case, EVERYONE) == []
    assert sc.engine.verify().ok


def test_villagers_meeting_path_waits_for_its_notice(sc: Scenario, sim_clock: SimClock) -> None:
    # Organic Law of Villagers' Committees (domain.md): the villagers' meeting is announced 10 days
    # ahead. The notice counts from the day it was announced to the meeting's own date (issue #12
    # item 4), not from entering the step to typing the minutes.
    to_step4(sc, "submit_to_villagers_meeting")
    sc.expect_state("villagers_meeting")
    sc.advance("30d")  # however long the step has been open: the dates decide
    early = sc.refused(SEC, "pass_resolution", villagers(120, 45, 80, notice="2025-12-27"))
    (reason,) = {v.reason_zh for v in failing(early)}  # both quorum options wait for the notice
    assert reason == "村民会议通知期不足：会议通知日期至会议日期需满 10天（不早于 2026-01-05 24:00），现为 9天"
    assert failing(early)[0].reason_en.startswith(
        "the villagers' meeting notice is too short: 10d needed from date the meeting was announced to meeting date")
    result = sc.step(SEC, "pass_resolution", villagers(120, 45, 80, notice="2025-12-26"))
    assert result.case.state == "resolution_notice"
    assert [v.rule for v in result.event.verdicts] == ["elapsed", "quorum", "majority"]
    assert "需超过半数成年村民到会：实到 120 / 应到 200" == result.event.verdicts[1].reason_zh


def test_villagers_meeting_notice_reminder_counts_from_the_announcement(sc: Scenario, sim_clock: SimClock) -> None:
    to_step4(sc, "submit_to_villagers_meeting")
    assert not [t for t in sc.engine.timers(sc.case.id) if t.state == "villagers_meeting"]  # no notice date yet
    sc.engine.record(sc.case.id, EVERYONE, {"notice_date": "2026-01-06"})
    (timer,) = [t for t in sc.engine.timers(sc.case.id) if t.state == "villagers_meeting" and t.status == "pending"]
    assert timer.due_at.astimezone(sc.engine.tz).isoformat() == "2026-01-16T00:00:00+08:00"
    assert [t.outcome for t in sc.advance("12d")] == ["reminded"]


# ---------------------------------------------------------------- villagers' meeting: either quorum
@pytest.mark.parametrize(("present", "represented", "which"), [
    (101, 10, "adults"),      # more than half of 200 adults, few households
    (60, 40, "households"),   # 2/3 of 60 households represented, few adults
    (101, 40, "adults"),      # both: the first transition is taken
])
def test_villagers_meeting_either_quorum_passes(sc: Scenario, present: int, represented: int,
                                                which: str) -> None:
    to_step4(sc, "submit_to_villagers_meeting")
    sc.advance("10d")
    result = sc.step(SEC, "pass_resolution", villagers(present, represented, present // 2 + 1))
    assert result.case.state == "resolution_notice"
    quorum = [v for v in result.event.verdicts if v.rule == "quorum"]
    assert len(quorum) == 1 and quorum[0].ok
    assert ("成年村民" if which == "adults" else "户的代表") in quorum[0].reason_zh


def test_villagers_meeting_neither_quorum_gives_both_reasons(sc: Scenario) -> None:
    to_step4(sc, "submit_to_villagers_meeting")
    sc.advance("10d")
    # exactly half of the adults (not more than half), and 39 of 60 households: short by one
    refused = sc.refused(SEC, "pass_resolution", villagers(100, 39, 90))
    assert [(v.rule, v.reason_zh) for v in failing(refused)] == [
        ("quorum", "需超过半数成年村民到会：实到 100 / 应到 200"),
        ("quorum", "需三分之二以上户的代表到会：实到 39 / 应到 60")]
    assert [v.reason_en for v in failing(refused)] == [
        "needs more than half of adult villagers present: 100 of 200",
        "needs 2/3 of households present: 39 of 60"]
    assert "不能执行" in refused.message_zh
    sc.engine.record(sc.case.id, EVERYONE, villagers(100, 39, 90))
    actions = {a.trigger: a for a in sc.engine.available(sc.case, EVERYONE)}
    assert not actions["pass_resolution"].enabled  # available() merges both options' refusals
    assert [v.reason_en for v in actions["pass_resolution"].refusals] == [v.reason_en for v in failing(refused)]


def test_villagers_meeting_majority_exactly_half_refused(sc: Scenario) -> None:
    to_step4(sc, "submit_to_villagers_meeting")
    sc.advance("10d")
    refused = sc.refused(SEC, "pass_resolution", villagers(120, 45, 60))
    reasons = {(v.rule, v.reason_zh, v.reason_en) for v in failing(refused)}
    assert reasons == {("majority", "需经到会人员的过半数同意：赞成 60 / 120",
                        "needs more than half of those present in favour: 60 of 120")}


# ---------------------------------------------------------------- representatives' meeting
@pytest.mark.parametrize(("attended", "votes", "rule", "zh", "en"), [
    (13, 10, "quorum", "需三分之二以上代表到会：实到 13 / 应到 20",
     "needs 2/3 of representatives present: 13 of 20"),                   # short by one
    (14, 7, "majority", "需经到会代表的过半数同意：赞成 7 / 14",
     "needs more than half of the representatives present in favour: 7 of 14"),  # exactly half
])
def test_representatives_refusals(sc: Scenario, attended: int, votes: int, rule: str, zh: str,
                                  en: str) -> None:
    to_step4(sc)
    refused = sc.refused(SEC, "pass_resolution", representatives(attended, votes))
    assert [(v.rule, v.reason_zh, v.reason_en) for v in failing(refused)] == [(rule, zh, en)]
    sc.expect_state("representatives_meeting")


def test_party_members_meeting_quorum_short_by_one(sc: Scenario) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES)])
    for trigger in ("submit_to_representatives", "submit_to_villagers_meeting"):
        refused = sc.refused(SEC, trigger, {**PARTY, "party_attended": 19, "party_votes_for": 19})
        assert [v.reason_zh for v in failing(refused)] == ["需三分之二以上党员到会：实到 19 / 应到 30"]


def test_wrong_role_is_refused_at_each_step(sc: Scenario) -> None:
    to_step4(sc)
    refused = sc.refused(MEMBER, "pass_resolution", representatives(14, 8))
    assert failing(refused)[0].rule == "role"
    assert failing(refused)[0].reason_zh == "此步骤须由党组织书记办理（你的角色：committee_member）"
    assert failing(refused)[0].reason_en == "only Party secretary may take this step (your roles: committee_member)"


def test_minutes_required_at_each_discussion(sc: Scenario) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.step(SEC, "submit_to_committees")
    refused = sc.refused(SEC, "submit_to_party_members", {"meeting_date": "2026-01-05"})
    assert failing(refused)[0].reason_zh == "尚未填写必填项：会议记录"
    sc.step(SEC, "submit_to_party_members", COMMITTEES)
    no_minutes = {k: v for k, v in PARTY.items() if k != "minutes"}
    assert "minutes" in failing(sc.refused(SEC, "submit_to_representatives", no_minutes))[0].reason_en
    sc.step(SEC, "submit_to_villagers_meeting", PARTY)
    sc.advance("10d")
    data = {k: v for k, v in villagers(120, 45, 80).items() if k != "minutes"}
    assert {v.rule for v in failing(sc.refused(SEC, "pass_resolution", data))} == {"form"}


# ---------------------------------------------------------------- send back and reject
DISCUSSIONS = [
    ("committees_discussion", []),
    ("party_members_review", [("submit_to_party_members", COMMITTEES)]),
    ("representatives_meeting", [("submit_to_party_members", COMMITTEES),
                                 ("submit_to_representatives", PARTY)]),
    ("villagers_meeting", [("submit_to_party_members", COMMITTEES),
                           ("submit_to_villagers_meeting", PARTY)]),
]


@pytest.mark.parametrize(("state", "path"), DISCUSSIONS, ids=[d[0] for d in DISCUSSIONS])
def test_send_back_and_reject_from_every_discussion(sc: Scenario, state: str, path: list[Any]) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.step(SEC, "submit_to_committees")
    sc.steps([(SEC, t, d) for t, d in path])
    sc.expect_state(state)
    refused = sc.refused(SEC, "send_back")
    assert failing(refused)[0].reason_en == "required fields not filled in: reason"
    sc.step(SEC, "send_back", {"reason": "需补充租金测算"})
    sc.expect_state("proposal")
    sc.step(SEC, "submit_to_committees")
    sc.steps([(SEC, t, d) for t, d in path])
    gone = sc.step(SEC, "reject", {"reason": "不符合村庄规划"})
    assert gone.case.state == "rejected" and gone.case.closed_at is not None
    assert sc.triggers()[-1] == "reject"


def test_objection_upheld_during_the_notice_period(sc: Scenario) -> None:
    to_step4(sc)
    sc.step(SEC, "pass_resolution", representatives(15, 9))
    sc.advance("3d")
    sc.step(SEC, "objection_upheld", {**NOTICE, "reason": "部分村民对租金有异议，重新测算"})
    sc.expect_state("proposal")
    assert sc.engine.timers(sc.case.id)[-1].status == "cancelled"  # the notice reminder
