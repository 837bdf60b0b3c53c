"""人民调解 under the simulated clock: a mediation extended once (and refused a second time), each
session a record, the art. 29 agreement, the judicial-confirmation reminder, refusals and failure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from yishi.engine import Engine
from yishi.errors import FormError
from yishi.testing import Scenario, SimClock, actor

MED = "people_mediation"
COMMITTEE = "调委会刘主任/mediation_committee"
MEDIATOR = "调解员陈姐/mediator"

APPLICATION = {"subject": "楼上漏水损坏楼下吊顶", "started_by": "application", "dispute_kind": "neighbours",
               "party_a": "楼下住户周先生", "party_b": "楼上住户吴女士",
               "facts": "吴女士家卫生间漏水，周先生家吊顶受损，双方就赔偿金额争执。"}
BOTH_AGREE = {"party_a_agrees": True, "party_b_agrees": True, "accepted_on": "2026-01-05"}
MEDIATORS = {"mediators": [{"name": "陈姐", "chosen": "designated"},
                           {"name": "网格员小李", "chosen": "chosen_by_parties"}]}
CONSENT = {"party_a_consents": True, "party_b_consents": True, "extension_reason": "需等待维修报价"}
AGREEMENT = {"agreement_form": "written", "agreement_parties": "周某（楼下）、吴某（楼上）",
             "agreement_facts": "吴某家卫生间防水层老化漏水，致周某家吊顶受损。",
             "disputed_matters": "维修责任与赔偿金额。", "obligations": "吴某修复防水层并赔偿周某 2000 元。",
             "performance_method": "吴某请施工队维修，赔偿款转账支付。", "performance_due": "2026-03-10",
             "signed_by_parties": True, "signed_by_mediator": "陈姐"}


def session(day: str) -> dict[str, Any]:
    return {"session_date": day, "present": "周某、吴某、调解员陈姐", "record": f"{day} 双方陈述，调解员释法说理。"}


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def mediating(sc: Scenario) -> datetime:
    sc.start(MED, MEDIATOR, APPLICATION)
    sc.steps([(MEDIATOR, "register"), (COMMITTEE, "accept", BOTH_AGREE),
              (COMMITTEE, "start_mediation", MEDIATORS)])
    sc.expect_state("mediating")
    return sc.engine.history(sc.case.id)[-1].at


def due(sc: Scenario) -> list[datetime]:
    return [t.due_at for t in sc.engine.timers(sc.case.id) if t.status == "pending"]


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


def test_mediation_extended_once_end_to_end(sc: Scenario, sim_clock: SimClock) -> None:
    started = mediating(sc)
    assert due(sc) == [started + timedelta(days=30)]
    sc.advance("3d")
    sc.step(MEDIATOR, "hold_session", session("2026-01-08"))
    sc.advance("17d")
    sc.step(MEDIATOR, "hold_session", session("2026-01-25"))
    assert due(sc) == [started + timedelta(days=30)]  # a session does not move the deadline
    sc.advance("8d")
    extended = sc.step(COMMITTEE, "extend", CONSENT)
    assert extended.case.state == "mediating"
    assert extended.event.data["_set"]["extensions"] == 1
    assert due(sc) == [started + timedelta(days=60)]  # counted from the old deadline
    # a second extension is refused, with the reason
    again = sc.refused(COMMITTEE, "extend", CONSENT)
    assert [(v.rule, v.reason_zh, v.reason_en) for v in failing(again)] == [
        ("equals", "需已延期次数为 0（现为 1）", "needs extensions granted to be 0 (it is 1)")]
    # the first deadline passes silently; the extended one reminds the mediators
    assert sc.advance("10d") == []
    sc.step(MEDIATOR, "hold_session", session("2026-02-12"))
    ticks = sc.advance("25d")
    assert [(t.outcome, t.event.at) for t in ticks] == [("reminded", started + timedelta(days=60))]
    assert ticks[0].event.data["remind"] == ["mediator", "mediation_committee"]

    sc.step(MEDIATOR, "reach_agreement")
    signed = sc.step(MEDIATOR, "sign_agreement", AGREEMENT)
    at = signed.event.at
    data = signed.case.data["agreement"]
    assert data["confirmation_due"] == (at + timedelta(days=30)).isoformat()
    assert data["confirmation_remind_at"] == (at + timedelta(days=25)).isoformat()
    ticks = sc.advance("26d")
    # the agreed performance date, then the judicial-confirmation window closing soon
    assert [t.outcome for t in ticks] == ["reminded", "reminded"]
    assert ticks[-1].event.at == at + timedelta(days=25)
    assert ticks[-1].event.data["remind"] == ["mediator"]
    sc.step(MEDIATOR, "check_performance", {"judicial_confirmation": "not_wanted",
                                            "performance_status": "performed"})
    sc.step(MEDIATOR, "close", {"visit_date": "2026-04-04", "visited": "回访双方，吊顶已修好，关系和睦。",
                                "dispute_settled": "settled"})
    assert sc.case.state == "closed"
    assert sc.triggers().count("hold_session") == 3
    sessions = [e.data["record"] for e in sc.history() if e.trigger == "hold_session"]
    assert sessions[0].startswith("2026-01-08")  # each session is its own record
    assert sc.engine.verify().ok


def test_the_time_limit_reminds_when_not_extended(sc: Scenario) -> None:
    started = mediating(sc)
    ticks = sc.advance("31d")
    assert [(t.outcome, t.event.at) for t in ticks] == [("reminded", started + timedelta(days=30))]


def test_confirmation_reminder_skipped_once_applied(sc: Scenario) -> None:
    mediating(sc)
    sc.step(MEDIATOR, "reach_agreement")
    sc.step(MEDIATOR, "sign_agreement", {**AGREEMENT, "performance_due": "2026-06-30"})
    sc.engine.record(sc.case.id, actor(MEDIATOR), {"judicial_confirmation": "applied"})
    assert [t.outcome for t in sc.advance("26d")] == ["skipped"]


# ---------------------------------------------------------------- refusals
def test_either_partys_refusal_ends_it(sc: Scenario) -> None:
    sc.start(MED, MEDIATOR, {**APPLICATION, "started_by": "proactive"})
    sc.step(MEDIATOR, "register")
    refused = sc.refused(COMMITTEE, "accept", {**BOTH_AGREE, "party_b_agrees": False})
    assert [v.reason_en for v in failing(refused)] == ["needs second party agrees to be yes (it is no)"]
    result = sc.step(COMMITTEE, "party_refuses", {"refusing_party": "party_b", "reason": "吴女士不愿调解，要求起诉"})
    assert result.case.state == "refused" and not result.case.is_open


def test_extension_needs_both_parties_and_the_committee(sc: Scenario) -> None:
    mediating(sc)
    refused = sc.refused(COMMITTEE, "extend", {**CONSENT, "party_b_consents": False})
    assert [v.reason_zh for v in failing(refused)] == ["需当事人乙同意延期为 是（现为 否）"]
    refused = sc.refused(MEDIATOR, "extend", CONSENT)
    assert failing(refused)[0].rule == "role"
    assert failing(refused)[0].reason_zh == "此步骤须由人民调解委员会办理（你的角色：mediator）"
    with pytest.raises(FormError) as bad:  # the deadline and the count are the procedure's to record
        sc.step(COMMITTEE, "extend", {**CONSENT, "extensions": 0})
    assert bad.value.errors["extensions"][1] == "recorded by the procedure itself; it cannot be filled in"


def test_agreement_needs_the_art_29_contents(sc: Scenario) -> None:
    mediating(sc)
    sc.step(MEDIATOR, "reach_agreement")
    refused = sc.refused(MEDIATOR, "sign_agreement", {"agreement_form": "written"})
    form, unsigned = failing(refused)
    assert unsigned.rule == "equals"
    assert form.reason_zh == ("尚未填写必填项：当事人基本情况、纠纷主要事实、争议事项、各方当事人的义务、"
                              "履行方式、履行期限、当事人已签名、调解员签名")
    assert form.reason_en.startswith("required fields not filled in: the parties, the facts, the matters in dispute")
    unsigned = sc.refused(MEDIATOR, "sign_agreement", {**AGREEMENT, "signed_by_parties": False})
    assert [v.rule for v in failing(unsigned)] == ["equals"]


def test_no_agreement_tells_the_parties_of_other_remedies(sc: Scenario) -> None:
    mediating(sc)
    refused = sc.refused(MEDIATOR, "mediation_failed", {"failure_reason": "赔偿金额差距过大"})
    assert failing(refused)[0].reason_en == "required fields not filled in: remedies the parties were told of"
    result = sc.step(MEDIATOR, "mediation_failed", {"failure_reason": "赔偿金额差距过大",
                                                    "remedies_told": ["litigation", "arbitration"]})
    assert result.case.state == "ended_without_agreement" and not result.case.is_open
    assert result.event.data["remedies_told"] == ["litigation", "arbitration"]
