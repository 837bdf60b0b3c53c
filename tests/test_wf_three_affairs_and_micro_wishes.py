"""三务公开 and 微心愿 under the simulated clock (issue #12, item 11).

三务公开: Organic Law of Villagers' Committees (earlier text) art. 30 (village affairs disclosed at
least quarterly) and art. 32 (the village affairs supervision committee supervises disclosure);
the objections window follows the local notice custom of 5 or 7 days (domain.md).
微心愿: domain.md "Other recurring items in the seeds" (submitted → claimed by a Party member or
partner unit → fulfilled → confirmed); seeds 000 and 003.
"""

from __future__ import annotations

from typing import Any

import pytest

from yishi.engine import Engine
from yishi.errors import FormError
from yishi.testing import Scenario, SimClock

TA = "three_affairs_disclosure"
COMMITTEE = "村委会刘主任/village_committee"
SUPERVISOR = "监委会赵主任/supervisor"
LISTS = {"period": "2026年第一季度", "party_affairs": "发展党员1名；党费收缴情况。",
         "village_affairs": "低保评议结果；村道修缮进度。", "finances": "收入 12.6 万元，支出 9.8 万元（明细附后）。",
         "prepared_by": "会计小王"}
REVIEW = {"reviewed_by": "赵主任", "review_date": "2026-01-05", "review_opinion": "账目相符，同意公开。",
          "approved": True}
POSTED = {"posted_on": "2026-01-05", "places": ["notice_board", "wechat_group"]}

MW = "micro_wishes"
GM = "网格员小李/grid_member"
PM = "党员老周/party_member"
UNIT = "区供电公司/partner_unit"


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


# ---------------------------------------------------------------- 三务公开
def test_three_affairs_reviewed_posted_objection_answered_archived(sc: Scenario) -> None:
    sc.start(TA, COMMITTEE, LISTS)
    sc.step(COMMITTEE, "submit_for_review")
    refused = sc.refused(COMMITTEE, "approve", REVIEW)  # only the supervision committee reviews
    assert failing(refused)[0].rule == "role"
    refused = sc.refused(SUPERVISOR, "approve", {**REVIEW, "approved": False})
    assert failing(refused)[0].reason_en == "needs approved for posting to be yes (it is no)"
    sc.step(SUPERVISOR, "approve", REVIEW)
    early = sc.refused(COMMITTEE, "archive", POSTED)
    assert failing(early)[0].reason_zh == "异议期未满：需 7天，还差 7天"
    objection = [{"raised_by": "村民孙某", "content": "修路支出为何比预算多 2000 元？"}]
    sc.engine.record(sc.case.id, sc_actor(COMMITTEE), {**POSTED, "objections": objection})
    ticks = sc.advance("7d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["village_committee", "supervisor"])]
    unanswered = sc.refused(COMMITTEE, "archive")
    assert [v.reason_zh for v in failing(unanswered)] == [
        "群众异议尚有 1 / 1 项未完成：修路支出为何比预算多 2000 元？"]
    answered = [{**objection[0], "response": "增加了排水沟，已公示变更单。"}]
    done = sc.step(COMMITTEE, "archive", {"objections": answered})
    assert done.case.state == "archived" and not done.case.is_open
    assert sc.engine.verify().ok


def sc_actor(spec: str) -> Any:
    from yishi.testing import actor
    return actor(spec)


def test_three_affairs_objection_upheld_is_corrected_and_reviewed_again(sc: Scenario) -> None:
    sc.start(TA, COMMITTEE, LISTS)
    sc.steps([(COMMITTEE, "submit_for_review"), (SUPERVISOR, "approve", REVIEW)])
    sc.advance("2d")
    sc.step(SUPERVISOR, "objection_upheld", {**POSTED, "upheld_objection": "支出明细漏列一笔 2000 元，更正"})
    sc.expect_state("preparing")
    assert sc.case.data["preparing"]["finances"] == LISTS["finances"]  # revised, not retyped
    sc.step(COMMITTEE, "submit_for_review", {"finances": "收入 12.6 万元，支出 10.0 万元（含排水沟 2000 元）。"})
    # the committee reviews afresh: its earlier approval does not carry over (a fresh record)
    refused = sc.refused(SUPERVISOR, "approve")
    assert failing(refused)[0].rule == "form"
    with pytest.raises(FormError) as bad:  # nor can it be dated in the future
        sc.step(SUPERVISOR, "approve", {**REVIEW, "review_date": "2026-01-09"})
    assert bad.value.errors["review_date"][1] == "reviewed on (2026-01-09) cannot be after today (2026-01-07)"
    sc.step(SUPERVISOR, "approve", {**REVIEW, "review_date": "2026-01-07"})
    sc.expect_state("posted")


def test_three_affairs_late_preparation_and_review_remind(sc: Scenario) -> None:
    sc.start(TA, COMMITTEE, LISTS)
    ticks = sc.advance("10d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["village_committee", "secretary"])]
    sc.step(COMMITTEE, "submit_for_review")
    ticks = sc.advance("5d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["supervisor"])]


# ---------------------------------------------------------------- 微心愿
WISH = {"wish": "想要一台轮椅方便出门", "resident": "独居老人陈奶奶", "kind": "goods", "estimated_cost": 800}


def test_micro_wish_claimed_fulfilled_confirmed(sc: Scenario) -> None:
    sc.start(MW, GM, WISH)
    refused = sc.refused(GM, "claim", {"claimant": "小李", "claimant_kind": "party_member"})
    assert failing(refused)[0].rule == "role"
    claimed = sc.step(UNIT, "claim", {"claimant": "区供电公司党支部", "claimant_kind": "partner_unit"})
    assert claimed.event.data == {"claimant": "区供电公司党支部", "claimant_kind": "partner_unit"}
    sc.advance("3d")
    with pytest.raises(FormError) as bad:
        sc.step(UNIT, "fulfil", {"fulfilled_on": "2026-01-04", "how_fulfilled": "送轮椅上门"})
    assert bad.value.errors["fulfilled_on"][0] == "实现日期（2026-01-04）不能早于案件受理之日（2026-01-05）"
    sc.step(UNIT, "fulfil", {"fulfilled_on": "2026-01-08", "how_fulfilled": "送轮椅上门并调试"})
    refused = sc.refused(GM, "confirm", {"confirmed_by": "小李", "resident_confirms": False})
    assert failing(refused)[0].reason_zh == "需居民确认心愿已实现为 是（现为 否）"
    done = sc.step(GM, "confirm", {"confirmed_by": "小李", "resident_confirms": True,
                                   "resident_feedback": "谢谢党和政府"})
    assert done.case.state == "confirmed" and not done.case.is_open
    assert sc.engine.verify().ok


def test_micro_wish_unclaimed_and_unfulfilled_remind_and_a_release(sc: Scenario) -> None:
    sc.start(MW, GM, WISH)
    ticks = sc.advance("7d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["grid_member", "secretary"])]
    sc.step(PM, "claim", {"claimant": "老周", "claimant_kind": "party_member"})
    ticks = sc.advance("30d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [
        ("reminded", ["party_member", "partner_unit", "grid_member"])]
    sc.step(PM, "release", {"release_reason": "费用超出个人能力"})
    sc.expect_state("submitted")
    sc.step(UNIT, "claim", {"claimant": "区供电公司", "claimant_kind": "partner_unit"})
    assert [e.data.get("claimant") for e in sc.history() if e.trigger == "claim"] == ["老周", "区供电公司"]


def test_micro_wish_not_done_goes_back_to_the_claimant_with_a_fresh_record(sc: Scenario) -> None:
    sc.start(MW, GM, WISH)
    sc.step(PM, "claim", {"claimant": "老周", "claimant_kind": "party_member"})
    sc.step(PM, "fulfil", {"fulfilled_on": "2026-01-05", "how_fulfilled": "借来一台旧轮椅"})
    sc.step(GM, "not_fulfilled", {"not_done_reason": "轮椅刹车坏了"})
    sc.expect_state("claimed")
    assert sc.refused(PM, "fulfil").verdicts[0].rule == "form"  # the old account does not count
    assert sc.engine.earlier_records(sc.case.id, "claimed") == [
        {"fulfilled_on": "2026-01-05", "how_fulfilled": "借来一台旧轮椅"}]
