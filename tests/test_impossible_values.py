"""Numbers and dates that cannot be true are refused, with reasons in the fields' own labels;
art. 24 matters must go to the villagers' meeting (issue #12, items 2, 3 and 6), under the
simulated clock (2026-01-05, 09:00 in Shanghai).

Sources: Organic Law of Villagers' Committees (earlier text) art. 22 and 26 (quorums and
majorities of those *present*: nobody is present twice, nobody votes twice), art. 24 (matters the
villagers' meeting decides; it may delegate them to the representatives' meeting); People's
Mediation Law art. 27 (a record of every mediation held) and art. 29 (the agreement sets how and by
when it is performed); domain.md "1. Bench meeting" (attendance as proof).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.engine import Actor, Engine
from yishi.errors import FormError
from yishi.testing import Scenario, SimClock

SEC = "王书记/secretary"
EVERYONE = Actor.of("全能", "secretary", "committee_member", "supervisor")


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def at_representatives(sc: Scenario, proposal: dict[str, Any] = PROPOSAL) -> None:
    sc.start(FOUR, SEC, proposal)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES),
              (SEC, "submit_to_representatives", PARTY)])
    sc.expect_state("representatives_meeting")


def form_error(sc: Scenario, trigger: str, data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    before = sc.case
    with pytest.raises(FormError) as bad:
        sc.step(SEC, trigger, data)
    after = sc.case
    assert (after.rev, after.last_seq, after.data) == (before.rev, before.last_seq, before.data)  # nothing written
    return bad.value.errors


# ---------------------------------------------------------------- numbers (item 2)
def test_more_present_than_members_is_refused(sc: Scenario) -> None:
    at_representatives(sc)
    errors = form_error(sc, "pass_resolution", representatives(25, 20))
    assert errors["attended"] == ("实到代表（25）不能多于应到代表（20）",
                                  "representatives present (25) cannot be more than representatives (20)")


def test_more_in_favour_than_present_is_refused(sc: Scenario) -> None:
    at_representatives(sc)
    errors = form_error(sc, "pass_resolution", representatives(14, 15))
    assert errors == {"votes_for": ("赞成票（15）不能多于实到代表（14）",
                                    "votes in favour (15) cannot be more than representatives present (14)")}


def test_more_ballots_than_people_is_refused(sc: Scenario) -> None:
    at_representatives(sc)
    errors = form_error(sc, "pass_resolution", {**representatives(14, 8), "votes_against": 5, "abstentions": 3})
    assert errors == {"votes_for": ("赞成票、反对票、弃权票合计 16，不能多于实到代表（14）",
                                    "votes in favour, votes against and abstentions add up to 16, "
                                    "more than representatives present (14)")}
    # a draft is refused the same way, and the live check shows it before anything is saved
    with pytest.raises(FormError):
        sc.engine.record(sc.case.id, EVERYONE, {**representatives(14, 8), "votes_against": 5, "abstentions": 3})
    typed = {**representatives(14, 8), "votes_against": 5, "abstentions": 3}
    (action,) = [a for a in sc.engine.available(sc.case, EVERYONE, typed) if a.trigger == "pass_resolution"]
    assert not action.enabled
    assert ("constraint", "赞成票、反对票、弃权票合计 16，不能多于实到代表（14）") in [
        (v.rule, v.reason_zh) for v in action.refusals]
    ok = sc.step(SEC, "pass_resolution", {**representatives(14, 8), "votes_against": 4, "abstentions": 2})
    assert ok.case.state == "resolution_notice"


def test_a_name_counted_twice_at_a_bench_meeting_is_refused(sc: Scenario) -> None:
    from test_wf_bench_meeting import CONVENE, CONVENER, TOPIC
    sc.start("bench_meeting", CONVENER, TOPIC)
    sc.steps([(CONVENER, "convene"), (CONVENER, "hold_meeting", CONVENE)])
    attendance = [{"name": "张大爷"}, {"name": "李阿姨"}, {"name": " 张大爷 "}]  # three lines, two people
    with pytest.raises(FormError) as bad:
        sc.engine.record(sc.case.id, Actor.of("马支书", "convener"),
                         {"attendance": attendance, "views": "…", "minutes": "…"})
    assert bad.value.errors["attendance"] == (
        "姓名“ 张大爷 ”重复出现（第 1 项和第 3 项），同一人不能计算两次",
        "name ' 张大爷 ' appears twice (items 1 and 3); nobody may be counted twice")


def test_the_quorum_guard_itself_refuses_impossible_counts(make_engine: Any, tmp_path: Any,
                                                           sim_clock: SimClock) -> None:
    """A plugin's workflow without form constraints still cannot pass 25 present of 20."""
    from yishi.testing import workflow_files
    path = tmp_path / "plain.yaml"
    path.write_text("""
id: plain
version: 1
title: t
description: d
roles: {r: {title: r}}
initial: meeting
states:
  meeting:
    title: m
    form:
      - {name: members, type: integer, label: members}
      - {name: present, type: integer, label: present}
      - {name: votes, type: integer, label: votes}
  done: {title: done, final: true}
transitions:
  - trigger: pass
    source: meeting
    dest: done
    title: pass
    guards:
      - quorum: {present: present, members: members, at_least: 2/3}
      - majority: {votes: votes, of: present, more_than: 1/2}
""", encoding="utf-8")
    engine = make_engine(workflow_files(path))
    case = engine.start("plain", Actor.of("x", "r"), {"members": 20, "present": 25, "votes": 30})
    (action,) = engine.available(case.id, Actor.of("x", "r"))
    assert [(v.rule, v.reason_zh, v.reason_en) for v in action.refusals] == [
        ("quorum", "实到 25 人多于应到 20 人，人数不可能成立", "25 present of 20 members cannot be true"),
        ("majority", "赞成 30 票多于 25 人，票数不可能成立", "30 in favour of 25 cannot be true")]


# ---------------------------------------------------------------- dates (item 3)
def test_minutes_of_a_meeting_not_held_yet_are_refused(sc: Scenario) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.step(SEC, "submit_to_committees")
    errors = form_error(sc, "submit_to_party_members", {**COMMITTEES, "meeting_date": "2026-01-06"})
    assert errors == {"meeting_date": ("会议日期（2026-01-06）不能晚于今天（2026-01-05）",
                                       "meeting date (2026-01-06) cannot be after today (2026-01-05)")}


def test_a_later_discussion_dated_before_the_earlier_one_is_refused(sc: Scenario) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES)])
    errors = form_error(sc, "submit_to_representatives", {**PARTY, "meeting_date": "2026-01-02"})
    assert errors == {"meeting_date": ("会议日期（2026-01-02）不能早于会议日期（2026-01-05）",
                                       "meeting date (2026-01-02) cannot be before meeting date (2026-01-05)")}


def test_a_mediation_session_in_the_future_and_performance_before_the_agreement(sc: Scenario) -> None:
    from test_wf_people_mediation import AGREEMENT, MEDIATOR, mediating, session
    mediating(sc)
    with pytest.raises(FormError) as bad:
        sc.step(MEDIATOR, "hold_session", session("2026-01-09"))
    assert bad.value.errors["session_date"][1] == "session date (2026-01-09) cannot be after today (2026-01-05)"
    sc.step(MEDIATOR, "hold_session", session("2026-01-05"))
    sc.advance("10d")
    sc.step(MEDIATOR, "reach_agreement")
    with pytest.raises(FormError) as bad:
        sc.step(MEDIATOR, "sign_agreement", {**AGREEMENT, "performance_due": "2026-01-10"})
    assert bad.value.errors["performance_due"] == (
        "履行期限（2026-01-10）不能早于进入本步骤之日（2026-01-15）",
        "performed by (2026-01-10) cannot be before the day this step began (2026-01-15)")
    assert sc.step(MEDIATOR, "sign_agreement", AGREEMENT).case.state == "performance"


# ---------------------------------------------------------------- art. 24 (item 6)
@pytest.mark.parametrize("matter", ["collective_assets", "collective_income", "fundraising",
                                    "land_contracting", "homestead", "land_compensation"])
def test_art_24_matters_must_go_to_the_villagers_meeting(sc: Scenario, matter: str) -> None:
    proposal = {"subject": "二轮土地延包方案", "matter_type": matter, "proposal": "…"}
    sc.start(FOUR, SEC, proposal)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES)])
    refused = sc.refused(SEC, "submit_to_representatives", PARTY)
    (verdict,) = [v for v in refused.verdicts if not v.ok]
    assert verdict.rule == "not_in"
    assert "须由村民会议讨论决定（《村民委员会组织法》第二十四条）" in verdict.reason_zh
    assert verdict.reason_en.endswith("must be decided by the villagers' meeting (Organic Law of "
                                      "Villagers' Committees, art. 24): submit it to the villagers' "
                                      "meeting, or record the meeting's delegation")
    assert sc.step(SEC, "submit_to_villagers_meeting", PARTY).case.state == "villagers_meeting"


def test_art_24_matter_with_a_recorded_delegation_and_other_matters_may_go_to_representatives(
        sc: Scenario) -> None:
    at_representatives(sc)  # collective assets, with the villagers' meeting's delegation recorded
    verdict = next(v for v in sc.history()[-1].verdicts if v.rule == "not_in")
    assert verdict.ok and verdict.reason_zh.endswith("已记录村民会议授权（会议日期及授权决定）")
    at_representatives(sc, {"subject": "修缮村道", "matter_type": "project", "proposal": "…"})
    verdict = next(v for v in sc.history()[-1].verdicts if v.rule == "not_in")
    assert verdict.ok and verdict.reason_en == "kind of matter (construction project) may take this route"


def test_the_constraints_are_in_the_json_schema() -> None:
    from yishi.definition.schema import workflow_schema
    defs = workflow_schema()["$defs"]
    assert {"unique", "not_before", "not_after", "min", "max"} <= set(defs["FormField"]["properties"])
    assert "checks" in defs["State"]["properties"]
    assert {"sum", "at_most", "at_least"} <= set(defs["Check"]["properties"])
