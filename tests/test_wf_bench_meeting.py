"""板凳会 under the simulated clock: convened, held, action items followed up until done (overdue
items remind their owner and the convener), reported back; no consensus hands over to linked cases."""

from __future__ import annotations

import pytest

from yishi.engine import Engine
from yishi.errors import FormError
from yishi.testing import Scenario, SimClock, actor

BENCH = "bench_meeting"
GRID = "小李/grid_member"
CONVENER = "马支书/convener"
SEC = "王书记/secretary"

TOPIC = {"topic": "3号楼前乱停车堵塞消防通道", "raised_by": "居民张大姐", "raised_as": "resident",
         "description": "晚间车辆停满楼前通道，消防车无法通行。", "location": "3号楼前空地"}
CONVENE = {"meeting_time": "2026-01-07T19:00+08:00", "place": "3号楼前的板凳上", "convener_name": "马支书",
           "invited": ["residents_concerned", "property_company", "owners_committee"]}
ATTENDANCE = [{"name": "马支书", "affiliation": "网格党支部", "spoke": True},
              {"name": "张大姐", "affiliation": "居民", "spoke": True},
              {"name": "物业王经理", "affiliation": "物业公司", "spoke": True},
              {"name": "刘师傅", "affiliation": "业委会"}]
ITEMS = [{"task": "施划停车位", "owner": "物业王经理", "due": "2026-01-12"},
         {"task": "张贴停车公约", "owner": "楼栋长李姐", "due": "2026-01-15"}]
HELD = {"attendance": ATTENDANCE, "views": "居民希望划定车位；物业愿意出资划线。",
        "minutes": "到会 4 人，议定划线停车、张贴公约。"}
CONSENSUS = {**HELD, "decisions": "楼前空地划 12 个车位，消防通道禁停。", "action_items": ITEMS}
REPORT = {"feedback": "车位已划定，公约已张贴，消防通道畅通。", "reported_on": "2026-01-05",
          "channels": ["notice_board", "wechat_group"]}


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def held(sc: Scenario) -> None:
    sc.start(BENCH, GRID, TOPIC)
    sc.step(CONVENER, "convene")
    sc.step(CONVENER, "hold_meeting", CONVENE)


def test_main_path_with_action_items_followed_up(sc: Scenario, sim_clock: SimClock) -> None:
    sc.start(BENCH, GRID, TOPIC)
    sc.step(CONVENER, "convene")
    sc.engine.record(sc.case.id, actor(CONVENER), CONVENE)  # the notice of the meeting
    ticks = sc.advance("3d")  # the meeting time reminds the convener, at 19:00 Beijing time
    assert [(t.outcome, t.event.at.isoformat()) for t in ticks] == [("reminded", "2026-01-07T11:00:00+00:00")]
    sc.step(CONVENER, "hold_meeting")
    sc.step(CONVENER, "reach_consensus", CONSENSUS)
    sc.expect_state("follow_up")
    # one timer per action item, at the end of its due date in local time
    assert [t.due_at.isoformat() for t in sc.engine.timers(sc.case.id) if t.status == "pending"] == [
        "2026-01-12T16:00:00+00:00", "2026-01-15T16:00:00+00:00"]

    # the second item is done early; the first is overdue: its owner and the convener are reminded
    sc.engine.record(sc.case.id, actor(CONVENER), {"action_items": [ITEMS[0], {**ITEMS[1], "done": True}]})
    refused = sc.refused(CONVENER, "all_done")
    (verdict,) = [v for v in refused.verdicts if not v.ok]
    assert verdict.rule == "items_done"
    assert verdict.reason_zh == "行动事项尚有 1 / 2 项未完成：施划停车位"
    assert verdict.reason_en == "1 of 2 action items not done yet: 施划停车位"
    ticks = sc.advance("10d")
    assert [(t.outcome, t.timer.detail.get("item")) for t in ticks] == [("reminded", 0), ("skipped", 1)]
    assert ticks[0].event.data["people"] == ["物业王经理"] and ticks[0].event.data["remind"] == ["convener"]
    assert ticks[0].event.at.isoformat() == "2026-01-12T16:00:00+00:00"

    sc.engine.record(sc.case.id, actor(CONVENER),
                     {"action_items": [{**ITEMS[0], "done": True, "note": "已划线"}, {**ITEMS[1], "done": True}]})
    done = sc.step(CONVENER, "all_done")
    assert [v.reason_en for v in done.event.verdicts] == ["all 2 action items are done"]
    sc.step(CONVENER, "close", REPORT)
    assert sc.case.state == "closed" and not sc.case.is_open
    assert [t for t in sc.triggers() if t not in ("remind", "record")] == [
        "start", "convene", "hold_meeting", "reach_consensus", "all_done", "close"]
    assert sc.case.data["held"]["attendance"][1]["name"] == "张大姐"
    assert sc.engine.verify().ok


def test_topic_not_convened_in_time_reminds_the_convener(sc: Scenario) -> None:
    sc.start(BENCH, GRID, TOPIC)
    ticks = sc.advance("8d")
    assert [t.outcome for t in ticks] == ["reminded"]
    assert ticks[0].event.data["remind"] == ["convener"]
    sc.step(CONVENER, "drop_topic", {"reason": "已由物业自行解决"})
    assert sc.case.state == "dropped"


def test_consensus_needs_decisions_and_action_items(sc: Scenario) -> None:
    held(sc)
    refused = sc.refused(CONVENER, "reach_consensus", HELD)
    (verdict,) = [v for v in refused.verdicts if not v.ok]
    assert verdict.rule == "fields"
    assert verdict.reason_zh == "尚未填写：达成的共识、行动事项"
    assert verdict.reason_en == "not filled in yet: 'what was agreed', 'action items'"


def test_attendance_is_a_list_with_a_minimum(sc: Scenario) -> None:
    held(sc)
    with pytest.raises(FormError) as bad:
        sc.step(CONVENER, "reach_consensus", {**CONSENSUS, "attendance": ATTENDANCE[:2]})
    assert bad.value.errors["attendance"] == ("不能少于 3项", "must be at least 3 items")
    with pytest.raises(FormError) as bad:
        sc.step(CONVENER, "reach_consensus", {**CONSENSUS, "action_items": [{"task": "划线"}]})
    assert "owner: required" in bad.value.errors["action_items"][1]


def test_wrong_role_is_refused(sc: Scenario) -> None:
    sc.start(BENCH, GRID, TOPIC)
    refused = sc.refused(GRID, "convene")
    assert refused.verdicts[0].rule == "role"
    assert refused.verdicts[0].reason_zh == "此步骤须由召集人（网格党支部/社区）、社区党组织书记办理（你的角色：grid_member）"
    sc.step(CONVENER, "convene")
    sc.step(CONVENER, "hold_meeting", CONVENE)
    refused = sc.refused(CONVENER, "hand_over_to_four_discussions", {**HELD, "handover_reason": "重大事项"})
    assert "only community Party secretary may take this step" in refused.verdicts[0].reason_en


def test_no_consensus_follow_up_meeting_then_hand_over_to_four_discussions(sc: Scenario) -> None:
    held(sc)
    sc.step(CONVENER, "schedule_follow_up_meeting", HELD)
    sc.expect_state("convened")
    sc.step(CONVENER, "hold_meeting", {**CONVENE, "meeting_time": "2026-01-14T19:00+08:00"})
    result = sc.step(SEC, "hand_over_to_four_discussions",
                     {**HELD, "views": "拟利用集体空地建停车场，属重大事项。", "handover_reason": "涉及集体资产"})
    (new,) = result.started
    assert result.case.state == "handed_over" and not result.case.is_open
    assert new.case.workflow_id == "four_discussions_two_disclosures"
    assert new.case.state == "proposal" and new.case.subject == TOPIC["topic"]
    assert new.case.data["proposal"]["proposal"] == "拟利用集体空地建停车场，属重大事项。"
    links = sc.engine.links(sc.case.id)
    assert [(l.from_case, l.to_case, l.kind) for l in links] == [(sc.case.id, new.case.id, "handover")]
    assert sc.engine.links(new.case.id) == links


def test_no_consensus_hand_over_to_mediation(sc: Scenario) -> None:
    held(sc)
    result = sc.step(CONVENER, "hand_over_to_mediation", {**HELD, "handover_reason": "两户邻里纠纷"})
    (new,) = result.started
    assert new.case.workflow_id == "people_mediation"
    assert new.case.data["application"]["started_by"] == "referral"
    assert new.case.data["application"]["facts"] == HELD["views"]
    assert [l.to_case for l in sc.engine.links(sc.case.id)] == [new.case.id]
