"""The engine decides who may act: roles from grants for the case's unit at the time of the
step; declared roles refused on a real database; refusals name the missing grant."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from conftest import FOUR, PROPOSAL
from yishi.engine import Actor, CaseFilter, Engine
from yishi.errors import NotFoundError, RefusedError

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
GRID = "grid_escalation"
EVENT = {"subject": "路灯不亮", "reporter": "李大爷", "place": "3号楼", "category": "environment",
         "urgency": "normal", "description": "路灯坏了三天"}


def real_street(engine: Engine) -> dict[str, object]:
    """A real database: 东街街道 (admin 张主任) with 和平社区 (grids 1, 2) and 西街街道."""
    org = engine.org
    admin_person, street, _ = org.init("张主任", "zhang", root="城关区", kind="区")
    admin = Actor.of("zhang")
    east = org.add_unit("街道", "东街街道", street, by=admin)
    west = org.add_unit("街道", "西街街道", street, by=admin)
    peace = org.add_unit("社区", "和平社区", east, by=admin)
    g1 = org.add_unit("网格", "第一网格", peace, by=admin)
    g2 = org.add_unit("网格", "第二网格", peace, by=admin)
    for name, login in (("王书记", "wang"), ("李网格", "li"), ("赵网格", "zhao"), ("钱街道", "qian"),
                        ("孙街道", "sun"), ("周临时", "zhou"), ("郑委员", "zheng")):
        org.add_person(name, login=login, by=admin)
    org.grant("wang", "secretary", peace, by=admin)
    org.grant("wang", "committee_member", peace, by=admin)
    org.grant("zheng", "committee_member", peace, by=admin)
    org.grant("li", "grid_member", g1, by=admin)
    org.grant("zhao", "grid_member", g2, by=admin)
    org.grant("qian", "street_office", east, by=admin)
    org.grant("sun", "street_office", west, by=admin)
    org.grant("zhou", "secretary", peace, by=admin, valid_from=T0 + timedelta(days=1),
              valid_until=T0 + timedelta(days=3))
    return {"street": street, "east": east, "west": west, "peace": peace, "g1": g1, "g2": g2}


def test_a_grid_member_cannot_take_a_secretarys_step_and_is_told_which_grant_is_missing(any_url: str) -> None:
    with freeze_time(T0), Engine.open(any_url) as engine:
        units = real_street(engine)
        case = engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=units["peace"])
        start = engine.history(case.id)[0]
        assert start.actor == "王书记" and start.role == "secretary"
        assert start.data["_auth"]["unit"] == units["peace"].id and start.data["_auth"]["grant"] >= 1
        with pytest.raises(RefusedError) as refused:
            engine.fire(case.id, "submit_to_committees", Actor.of("zheng"))
        (verdict,) = [v for v in refused.value.verdicts if not v.ok]
        assert verdict.reason_zh == "缺少授权：“城关区/东街街道/和平社区”的党组织书记（你在此的授权：两委成员）"
        assert verdict.reason_en == ("missing grant: Party secretary for 城关区/东街街道/和平社区 "
                                     "(your grants there: committee member)")
        # the available list says the same, and nothing is written
        (step,) = [a for a in engine.available(case.id, Actor.of("zheng")) if a.trigger == "submit_to_committees"]
        assert not step.enabled and "缺少授权" in step.refusals[0].reason_zh
        assert engine.case(case.id).rev == case.rev
        # a grid member does not see the community's case at all: not found, not refused
        with pytest.raises(NotFoundError, match=f"no case #{case.id}"):
            engine.fire(case.id, "submit_to_committees", Actor.of("li"))
        with pytest.raises(NotFoundError):
            engine.available(case.id, Actor.of("li"))
        done = engine.fire(case.id, "submit_to_committees", Actor.of("wang"))
        assert done.event.actor == "王书记" and done.event.role == "secretary"
        assert done.event.data["_auth"] == {"person": done.event.data["_auth"]["person"], "role": "secretary",
                                            "grant": done.event.data["_auth"]["grant"],
                                            "unit": units["peace"].id, "unit_name": "和平社区"}
        assert engine.verify().ok


def test_declared_roles_are_refused_on_a_real_database(sqlite_url: str) -> None:
    with freeze_time(T0), Engine.open(sqlite_url) as engine:
        units = real_street(engine)
        with pytest.raises(RefusedError) as refused:
            engine.start(FOUR, Actor.of("任何人", "secretary"), PROPOSAL, unit=units["peace"])
        assert "declared roles are not accepted on a real database" in refused.value.message
        with pytest.raises(RefusedError, match="not a person registered"):
            engine.start(FOUR, Actor.of("陌生人"), PROPOSAL, unit=units["peace"])
        for name in ("", "system", "  "):
            with pytest.raises(RefusedError):
                engine.start(FOUR, Actor.of(name), PROPOSAL, unit=units["peace"])
        assert engine.cases() == []


def test_a_grant_counts_only_within_its_period_and_until_revoked(sqlite_url: str) -> None:
    with freeze_time(T0) as frozen, Engine.open(sqlite_url) as engine:
        units = real_street(engine)
        case = engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=units["peace"])
        with pytest.raises(RefusedError) as refused:
            engine.fire(case.id, "submit_to_committees", Actor.of("zhou"))  # not yet
        assert refused.value.message_zh == "缺少有效授权：你在“和平社区”的党组织书记授权自 2026-11-03 起生效"
        assert refused.value.message == ("missing grant: your grant as Party secretary for 和平社区 "
                                         "is valid only from 2026-11-03")
        frozen.tick(timedelta(days=1))
        record = engine.record(case.id, Actor.of("zhou"), {"minutes": "周临时代为记录"})
        assert engine.history(case.id)[-1].role == "secretary" and record.rev == case.rev + 1
        frozen.tick(timedelta(days=2))
        with pytest.raises(RefusedError, match="expired on 2026-11-05"):
            engine.record(case.id, Actor.of("zhou"), {"minutes": "过期"})  # expired
        (wang_secretary,) = [g for g in engine.org.grants(engine.org.find_person("wang")) if g.role == "secretary"]
        engine.org.revoke(wang_secretary.id, by=Actor.of("zhang"))
        with pytest.raises(RefusedError, match="missing grant: Party secretary"):
            engine.fire(case.id, "submit_to_committees", Actor.of("wang"))


def test_an_escalated_grid_event_reaches_its_own_street_office_and_no_other(any_url: str) -> None:
    """Two streets: a grid event of 和平社区 (东街街道) that times out up to tier 4 notifies
    东街's street office (钱街道), never 西街's (孙街道); only 钱街道 may act on it there."""
    with freeze_time(T0) as frozen, Engine.open(any_url) as engine:
        units = real_street(engine)
        admin = Actor.of("zhang")
        engine.org.add_person("吴网格长", login="wu", by=admin)
        engine.org.grant("wu", "grid_leader", units["peace"], by=admin)
        engine.org.add_person("区城管", login="qu", by=admin)
        engine.org.grant("qu", "district_department", units["street"], by=admin)
        # the grid member starts the event in their grid without naming it: their only grid
        case = engine.start(GRID, Actor.of("li"), EVENT)
        assert case.unit_id == units["g1"].id
        with pytest.raises(RefusedError, match="missing grant: grid member or grid leader for "
                                               "城关区/东街街道/和平社区/第一网格"):
            engine.start(GRID, Actor.of("zhao"), EVENT, unit=units["g1"])
        engine.fire(case.id, "dispatch", Actor.of("li"))
        for days in (2, 3, 5):
            frozen.tick(timedelta(days=days))
            assert [r.outcome for r in engine.tick()][-1:] == ["fired"]  # after the tier's warning
        assert engine.case(case.id).state == "tier_4"
        last = engine.history(case.id)[-1]
        notes = [n for n in engine.notifications(case_id=case.id) if n.event_seq == last.seq]
        assert notes, "the escalation notifies the tier above"
        for note in notes:
            assert "street_office" in note.recipients["roles"]
            street = [(h["name"], h["unit_name"]) for h in note.recipients["holders"] if h["role"] == "street_office"]
            assert street == [("钱街道", "东街街道")]
            assert "孙街道" not in {h["name"] for h in note.recipients["holders"]}
        from yishi.plugins.console import ConsoleNotifier
        line = ConsoleNotifier({}).format(notes[0], "zh")
        assert "钱街道" in line and "孙街道" not in line
        with pytest.raises(NotFoundError):  # another street's office does not see it at all
            engine.fire(case.id, "resolve", Actor.of("sun"))
        with pytest.raises(RefusedError, match="missing grant: street or township office for "
                                               "城关区/东街街道/和平社区/第一网格"):
            engine.fire(case.id, "resolve", Actor.of("wang"), {"handler": "王书记", "measures": "修好了"})
        (resolve,) = [a for a in engine.available(case.id, Actor.of("qian")) if a.trigger == "resolve"]
        assert [v.rule for v in resolve.refusals] == ["form"]  # the role passes: only the form is missing
        # tier 5: the district of that street
        frozen.tick(timedelta(days=7))
        engine.tick()
        last = engine.history(case.id)[-1]
        notes = [n for n in engine.notifications(case_id=case.id) if n.event_seq == last.seq]
        assert {h["name"] for n in notes for h in n.recipients["holders"]
                if h["role"] == "district_department"} == {"区城管"}


def test_only_an_administrator_changes_the_organisation_of_a_real_database(sqlite_url: str) -> None:
    with freeze_time(T0), Engine.open(sqlite_url) as engine:
        units = real_street(engine)
        with pytest.raises(RefusedError) as refused:
            engine.org.grant("li", "secretary", units["peace"], by=Actor.of("wang"))
        assert "缺少授权" in refused.value.message_zh and "管理员" in refused.value.message_zh
        admin = Actor.of("zhang")
        engine.org.grant("wang", "admin", units["east"], by=admin)
        engine.org.grant("li", "secretary", units["peace"], by=Actor.of("wang"))  # admin of 东街 now
        with pytest.raises(RefusedError, match="administrator of 西街街道"):
            engine.org.grant("li", "street_office", units["west"], by=Actor.of("wang"))
        kinds = [e.kind for e in engine.org.log()]
        assert kinds[:4] == ["init", "unit", "person", "grant"] and engine.org.verify().ok


def test_a_sandbox_honours_declared_roles_and_gives_a_person_their_grants(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        tester = Actor.of("测试员")
        street = engine.org.add_unit("街道", "东街街道", by=tester)
        peace = engine.org.add_unit("社区", "和平社区", street, by=tester)
        engine.org.add_person("王书记", login="wang", by=tester)
        engine.org.grant("wang", "secretary", peace, by=tester)
        declared = engine.start(FOUR, Actor.of("随便谁", "secretary"), PROPOSAL)
        assert engine.history(declared.id)[0].role == "secretary"
        granted = engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=peace)
        assert engine.history(granted.id)[0].data["_auth"]["role"] == "secretary"
        with pytest.raises(RefusedError):
            engine.start(FOUR, Actor.of("system", "secretary"), PROPOSAL)


def test_a_draft_is_recorded_under_a_role_the_workflow_has(sqlite_url: str) -> None:
    """A secretary who also holds convener (another workflow's role) saves a draft: the event
    records secretary, not convener (which this workflow does not have)."""
    with Engine.open(sqlite_url) as engine:
        both = Actor.of("马书记", "convener", "secretary")
        case = engine.start(FOUR, both, PROPOSAL)
        assert engine.history(case.id)[0].role == "secretary"
        engine.record(case.id, both, {"minutes": "草稿"})
        assert engine.history(case.id)[-1].role == "secretary"


def test_visibility_follows_the_tree(any_url: str) -> None:
    """A grid member sees their grid's cases, the secretary the community's, the street office
    its communities, and another street nothing; counts agree; outside the scope is not found."""
    with freeze_time(T0), Engine.open(any_url) as engine:
        units = real_street(engine)
        admin = Actor.of("zhang")
        engine.org.grant("wang", "grid_member", units["peace"], by=admin)
        g1 = engine.start(GRID, Actor.of("li"), EVENT)
        g2 = engine.start(GRID, Actor.of("zhao"), EVENT)
        community = engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=units["peace"])
        seen = {who: {c.id for c in engine.cases(actor=Actor.of(who))}
                for who in ("li", "zhao", "wang", "qian", "sun", "zhang")}
        assert seen == {"li": {g1.id}, "zhao": {g2.id}, "wang": {g1.id, g2.id, community.id},
                        "qian": {g1.id, g2.id, community.id}, "sun": set(),
                        "zhang": {g1.id, g2.id, community.id}}
        assert engine.count(actor=Actor.of("li")) == 1 and engine.count(actor=Actor.of("sun")) == 0
        assert engine.count(CaseFilter(open=True, workflow_id=GRID), actor=Actor.of("wang")) == 2
        with pytest.raises(NotFoundError):
            engine.case(g2.id, Actor.of("li"))
        with pytest.raises(NotFoundError):
            engine.history(g1.id, Actor.of("sun"))
        assert engine.case(g1.id, Actor.of("qian")).id == g1.id
        assert engine.scope(Actor.of("sun")) == (units["west"].id,)
