"""The engine end to end: a full 四议两公开 case under freezegun, refusals with reasons, timers, the chain."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.engine import SYSTEM, Actor, CaseFilter, Engine
from yishi.errors import ConflictError, FormError, NotFoundError, RefusedError
from yishi.testing import workflow_files
from yishi.plugins.sqlstore.append_only import maintenance_window

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)


def _to_representatives(engine: Engine, actor: Actor) -> int:
    case = engine.start(FOUR, actor, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", actor)
    engine.fire(case.id, "submit_to_party_members", actor, COMMITTEES)
    engine.fire(case.id, "submit_to_representatives", actor, PARTY)
    return case.id


def test_full_case_across_the_notice_period(sqlite_url: str, secretary: Actor) -> None:
    with freeze_time(T0) as frozen, Engine.open(sqlite_url) as engine:
        case_id = _to_representatives(engine, secretary)
        result = engine.fire(case_id, "pass_resolution", secretary, representatives(14, 8))
        assert result.case.state == "resolution_notice"
        assert [v.rule for v in result.event.verdicts] == ["quorum", "majority"]
        assert all(v.ok for v in result.event.verdicts)
        assert result.case.due_at == T0 + timedelta(days=7)

        frozen.tick(timedelta(days=6, hours=23))
        with pytest.raises(RefusedError) as refused:
            engine.fire(case_id, "start_implementation", secretary, {"notice_place": "村务公开栏"})
        (verdict,) = [v for v in refused.value.verdicts if not v.ok]
        assert verdict.rule == "elapsed"
        assert "决议公示期未满" in verdict.reason_zh and "1小时" in verdict.reason_zh
        assert "notice period of 7d has not passed: 1h to go" in verdict.reason_en
        assert engine.case(case_id).state == "resolution_notice"  # nothing written

        frozen.tick(timedelta(hours=1))
        ticked = engine.tick()
        assert [r.outcome for r in ticked] == ["reminded"]
        assert ticked[0].event.data["remind"] == ["secretary"]
        assert engine.case(case_id).state == "resolution_notice"

        engine.fire(case_id, "start_implementation", secretary, {"notice_place": "村务公开栏"})
        frozen.tick(timedelta(days=30))
        engine.fire(case_id, "disclose_results", secretary,
                    {"progress": "已签订租赁合同", "completed_on": "2026-12-07"})
        with pytest.raises(RefusedError, match="results notice period"):
            engine.fire(case_id, "archive", secretary,
                        {"results": "幼儿园已开园", "results_notice_place": "村务公开栏"})
        frozen.tick(timedelta(days=7))
        done = engine.fire(case_id, "archive", secretary,
                           {"results": "幼儿园已开园", "results_notice_place": "村务公开栏"})
        assert done.case.state == "archived" and not done.case.is_open
        assert done.case.closed_at == T0 + timedelta(days=6, hours=24 + 30 * 24 + 7 * 24)

        history = engine.history(case_id)
        assert [e.trigger for e in history if e.kind == "fire"] == [
            "submit_to_committees", "submit_to_party_members", "submit_to_representatives",
            "pass_resolution", "start_implementation", "disclose_results", "archive"]
        assert [e.kind for e in history].count("remind") == 1
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        data = engine.case(case_id).data
        assert data["representatives_meeting"]["attended"] == 14
        assert data["proposal"]["subject"] == PROPOSAL["subject"]
        assert engine.timers(case_id)[-1].status == "cancelled"  # implementation deadline
        assert engine.verify().ok


@pytest.mark.parametrize(("attended", "votes", "rule", "zh", "en"), [
    (12, 10, "quorum", "需三分之二以上代表到会：实到 12 / 应到 20",
     "needs 2/3 of representatives present: 12 of 20"),
    (13, 10, "quorum", "实到 13 / 应到 20", "13 of 20"),  # 13/20 < 2/3: short by one
    (14, 7, "majority", "需经到会代表的过半数同意：赞成 7 / 14",
     "needs more than half of the representatives present in favour: 7 of 14"),  # exactly half
])
def test_pass_resolution_refused_with_reason(engine: Engine, secretary: Actor, attended: int,
                                             votes: int, rule: str, zh: str, en: str) -> None:
    case_id = _to_representatives(engine, secretary)
    before = engine.case(case_id)
    with pytest.raises(RefusedError) as refused:
        engine.fire(case_id, "pass_resolution", secretary, representatives(attended, votes))
    failing = [v for v in refused.value.verdicts if not v.ok]
    assert [v.rule for v in failing] == [rule]
    assert zh in failing[0].reason_zh and en in failing[0].reason_en
    assert zh in refused.value.message_zh
    after = engine.case(case_id)
    assert (after.state, after.rev, after.last_seq) == (before.state, before.rev, before.last_seq)
    assert engine.history(case_id)[-1].trigger == "submit_to_representatives"


def test_available_lists_every_trigger_with_reasons(engine: Engine, secretary: Actor) -> None:
    case_id = _to_representatives(engine, secretary)
    engine.record(case_id, secretary, representatives(12, 10))
    actions = {a.trigger: a for a in engine.available(case_id, secretary)}
    assert set(actions) == {"pass_resolution", "send_back", "reject"}
    assert not actions["pass_resolution"].enabled
    assert [v.reason_zh for v in actions["pass_resolution"].refusals] == [
        "需三分之二以上代表到会：实到 12 / 应到 20"]
    assert actions["send_back"].refusals[0].rule == "form"  # needs a reason
    assert actions["reject"].confirm
    grid = Actor.of("李网格员", "grid_member")
    for action in engine.available(case_id, grid):
        assert action.refusals[0].rule == "role"
        assert "党组织书记" in action.refusals[0].reason_zh


def test_wrong_role_is_refused(engine: Engine, secretary: Actor) -> None:
    case = engine.start(FOUR, secretary, PROPOSAL)
    member = Actor.of("张委员", "committee_member")
    with pytest.raises(RefusedError) as refused:
        engine.fire(case.id, "submit_to_committees", member)
    assert refused.value.verdicts[0].rule == "role"
    assert "only Party secretary may take this step" in str(refused.value)


def test_start_roles_and_unknown_workflow(engine: Engine) -> None:
    with pytest.raises(RefusedError, match="only Party secretary, committee member may start"):
        engine.start(FOUR, Actor.of("居民", "resident"), PROPOSAL)
    with pytest.raises(NotFoundError, match="no workflow 'nope'"):
        engine.start("nope", Actor.of("x", "secretary"))


def test_form_errors_name_each_field(engine: Engine, secretary: Actor) -> None:
    with pytest.raises(FormError) as bad:
        engine.start(FOUR, secretary, {"subject": "修路", "matter_type": "bridge", "colour": "red"})
    assert set(bad.value.errors) == {"matter_type", "colour"}
    assert "must be one of" in bad.value.errors["matter_type"][1]
    case_id = _to_representatives(engine, secretary)
    with pytest.raises(FormError) as bad:
        engine.fire(case_id, "pass_resolution", secretary,
                    {**representatives(14, 8), "attended": "fourteen", "meeting_date": "9/11"})
    assert set(bad.value.errors) == {"attended", "meeting_date"}
    assert engine.count() == 1 and engine.history(case_id)[-1].seq == 4


def test_send_back_and_reject_paths(engine: Engine, secretary: Actor) -> None:
    case = engine.start(FOUR, secretary, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", secretary)
    with pytest.raises(RefusedError, match="required fields not filled in: reason"):
        engine.fire(case.id, "send_back", secretary)
    back = engine.fire(case.id, "send_back", secretary, {"reason": "需补充租金测算"})
    assert back.case.state == "proposal"
    assert back.event.data == {"reason": "需补充租金测算"}
    engine.fire(case.id, "submit_to_committees", secretary)
    gone = engine.fire(case.id, "reject", secretary, {"reason": "不符合规划"})
    assert gone.case.state == "rejected" and gone.case.closed_at is not None
    with pytest.raises(RefusedError, match="is closed"):
        engine.fire(case.id, "submit_to_committees", secretary)
    assert engine.available(case.id, secretary) == []


def test_expected_rev_conflict_writes_nothing(engine: Engine, secretary: Actor) -> None:
    case = engine.start(FOUR, secretary, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", secretary, expected_rev=case.rev)
    with pytest.raises(ConflictError, match="changed meanwhile"):
        engine.fire(case.id, "submit_to_party_members", secretary, COMMITTEES, expected_rev=case.rev)
    assert engine.case(case.id).state == "committees_discussion"


def test_timer_fire_kind_and_refusal_recorded(tmp_path, sqlite_url: str) -> None:  # noqa: ANN001
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "auto.yaml").write_text(AUTO, encoding="utf-8")
    with freeze_time(T0) as frozen, Engine.open(sqlite_url, plugins=[workflow_files(tmp_path / "wf")]) as engine:
        case = engine.start("auto", Actor.of("a", "clerk"), {"topic": "夜间摩托车噪音"})
        frozen.tick(timedelta(hours=2))
        results = engine.tick()
        assert [r.outcome for r in results] == ["fired"]
        assert results[0].event.actor == SYSTEM.name and results[0].event.kind == "timer"
        assert engine.case(case.id).state == "escalated"
        assert engine.tick() == []  # exactly once
        # after the second timer: its guard refuses (no note yet) and the refusal is kept
        frozen.tick(timedelta(hours=3))
        (refused,) = engine.tick()
        assert refused.outcome == "refused" and "not filled in" in refused.reason
        assert engine.timers(case.id)[-1].status == "refused"
        assert engine.verify().ok


AUTO = """
id: auto
version: 1
title: {zh: 自动升级, en: auto escalation}
description: test
subject: topic
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
initial: open
states:
  open:
    title: {zh: 受理, en: open}
    form: [{name: topic, label: {zh: 事项, en: topic}}]
    timers: [{after: 1h, fire: escalate}]
  escalated:
    title: {zh: 已升级, en: escalated}
    form: [{name: note, label: {zh: 说明, en: note}}]
    timers: [{after: 2h, fire: close}]
  closed: {title: {zh: 办结, en: closed}, final: true}
transitions:
  - {trigger: escalate, source: open, dest: escalated, title: {zh: 升级, en: escalate}, roles: [clerk]}
  - trigger: close
    source: escalated
    dest: closed
    title: {zh: 办结, en: close}
    roles: [clerk]
    guards: [{fields: {names: [note]}}]
"""


def test_case_pinned_to_its_definition(tmp_path, sqlite_url: str) -> None:  # noqa: ANN001
    wf = tmp_path / "wf"
    wf.mkdir()
    (wf / "auto.yaml").write_text(AUTO, encoding="utf-8")
    files = workflow_files(wf)
    with Engine.open(sqlite_url, plugins=[files]) as engine:
        case = engine.start("auto", Actor.of("a", "clerk"), {"topic": "x"})
    # the file changes (a state renamed) and even disappears: the case runs on its stored text
    (wf / "auto.yaml").write_text(AUTO.replace("escalated", "raised").replace("version: 1", "version: 2"),
                                  encoding="utf-8")
    with Engine.open(sqlite_url, plugins=[files]) as engine:
        assert engine.fire(case.id, "escalate", Actor.of("a", "clerk")).case.state == "escalated"
        assert engine.workflow("auto").workflow.version == 2
    (wf / "auto.yaml").unlink()
    with Engine.open(sqlite_url, plugins=[files]) as engine:
        assert engine.definition_of(engine.case(case.id)).version == 1
        engine.fire(case.id, "close", Actor.of("a", "clerk"), {"note": "处理完毕"})
        assert engine.case(case.id).state == "closed"


def test_verify_finds_the_first_broken_link(sqlite_url: str, secretary: Actor) -> None:
    with Engine.open(sqlite_url) as engine:
        case_id = _to_representatives(engine, secretary)
        other = engine.start(FOUR, secretary, PROPOSAL).id
        assert engine.verify().ok
    import sqlite3

    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with maintenance_window(conn, "test", "tamper on purpose: events are append-only"):
        conn.execute("UPDATE events SET data = json_set(data, '$.minutes', '改过的记录') "
                     "WHERE case_id = ? AND seq = 3", (case_id,))
    conn.commit()
    conn.close()
    with Engine.open(sqlite_url) as engine:
        report = engine.verify()
        assert not report.ok
        (broken,) = report.broken
        assert (broken.case_id, broken.seq) == (case_id, 3)
        assert broken.what == "its content does not match its hash (changed after it was written)"
        assert broken.reason("zh") == "内容与哈希不符（写入后被改动）"
        assert engine.verify(other).ok


def test_cases_filters(engine: Engine, secretary: Actor) -> None:
    with freeze_time(T0) as frozen:
        a = _to_representatives(engine, secretary)
        engine.fire(a, "pass_resolution", secretary, representatives(15, 9))
        b = engine.start(FOUR, secretary, {**PROPOSAL, "subject": "修缮村道"}).id
        frozen.tick(timedelta(days=8))
        now = datetime.now(timezone.utc)
        assert [c.id for c in engine.cases(CaseFilter(overdue_at=now))] == [a]
        assert [c.id for c in engine.cases(CaseFilter(search="村道"))] == [b]
        assert [c.id for c in engine.cases(CaseFilter(search=f"#{a}"))] == [a]
        assert engine.count(CaseFilter(open=True)) == 2
        assert [c.id for c in engine.cases()] == [a, b]  # most urgent first


HANDOVER = """
id: handover
version: 1
title: {zh: 转办测试, en: hand-over test}
description: test
subject: topic
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
initial: open
states:
  open:
    title: {zh: 受理, en: open}
    form:
      - {name: topic, label: {zh: 事项, en: topic}}
      - {name: tier, type: integer, label: {zh: 层级, en: tier}}
  handed_over: {title: {zh: 已转办, en: handed over}, final: true}
  low: {title: {zh: 低层办结, en: closed low}, final: true}
  high: {title: {zh: 高层办结, en: closed high}, final: true}
transitions:
  - trigger: hand_over
    source: open
    dest: handed_over
    title: {zh: 转四议两公开, en: hand over}
    roles: [clerk]
    actions:
      - start_case: {workflow: four_discussions_two_disclosures, copy: {subject: topic},
                     values: {matter_type: public_welfare, proposal: 由网格事件转入}}
  - {trigger: close, source: open, dest: low, title: {zh: 办结, en: close}, roles: [clerk],
     guards: [{equals: {field: tier, in: [1, 2]}}]}
  - {trigger: close, source: open, dest: high, title: {zh: 办结, en: close}, roles: [clerk],
     guards: [{equals: {field: tier, value: 3}}]}
"""


def _with_handover(tmp_path, url: str) -> Engine:  # noqa: ANN001
    (tmp_path / "handover.yaml").write_text(HANDOVER, encoding="utf-8")
    return Engine.open(url, plugins=[workflow_files(tmp_path / "handover.yaml")])


def test_a_step_can_start_a_linked_case(tmp_path, sqlite_url: str) -> None:  # noqa: ANN001
    clerk = Actor.of("李网格员", "clerk", "secretary")
    with _with_handover(tmp_path, sqlite_url) as engine:
        assert engine.workflow_problems == []
        case = engine.start("handover", clerk, {"topic": "闲置菜地整治"})
        result = engine.fire(case.id, "hand_over", clerk)
        (new,) = result.started
        assert new.case.workflow_id == FOUR and new.case.subject == "闲置菜地整治"
        assert new.case.data["proposal"]["proposal"] == "由网格事件转入"
        assert result.event.data["_started"] == [{"case": new.case.id, "workflow": FOUR}]
        assert engine.history(new.case.id)[0].data["_linked_from"]["case"] == case.id
        assert [(l.from_case, l.to_case) for l in engine.links(case.id)] == [(case.id, new.case.id)]
        assert engine.links(new.case.id) == engine.links(case.id)
        # a direct start with link_from records the link on the older case too (rev unchanged)
        other = engine.start("handover", clerk, {"topic": "停车纠纷"})
        linked = engine.start(FOUR, clerk, PROPOSAL, link_from=other.id)
        assert engine.history(other.id)[-1].kind == "link"
        assert engine.case(other.id).rev == other.rev
        assert [l.to_case for l in engine.links(other.id)] == [linked.id]
        assert engine.verify().ok


def test_linking_needs_a_role_on_the_older_case_and_an_open_one(tmp_path, sqlite_url: str) -> None:  # noqa: ANN001
    clerk = Actor.of("李网格员", "clerk", "secretary")
    with _with_handover(tmp_path, sqlite_url) as engine:
        other = engine.start("handover", clerk, {"topic": "停车纠纷"})
        # a secretary may start the new case but may not act on the grid case: refused, nothing written
        stranger = Actor.of("王书记", "secretary")
        with pytest.raises(RefusedError) as refused:
            engine.start(FOUR, stranger, PROPOSAL, link_from=other.id)
        assert refused.value.verdicts[0].rule == "role"
        assert refused.value.message == f"only clerk may start a case from case #{other.id} (your roles: secretary)"
        assert refused.value.message_zh == f"只有办事员可以从案件 #{other.id} 转出新案件（你的角色：secretary）"
        assert engine.history(other.id)[-1].kind == "start" and engine.count() == 1
        # a closed case cannot be linked from either
        engine.fire(other.id, "close", clerk, {"tier": 1})
        with pytest.raises(RefusedError) as closed:
            engine.start(FOUR, clerk, PROPOSAL, link_from=other.id)
        assert closed.value.verdicts[0].rule == "closed" and "已办结" in closed.value.message_zh
        assert engine.count() == 1 and engine.links(other.id) == []
        assert engine.verify().ok


def test_same_trigger_branches_on_guards(tmp_path, sqlite_url: str) -> None:  # noqa: ANN001
    clerk = Actor.of("李网格员", "clerk")
    with _with_handover(tmp_path, sqlite_url) as engine:
        a = engine.start("handover", clerk, {"topic": "a", "tier": 3})
        (close,) = [x for x in engine.available(a.id, clerk) if x.trigger == "close"]
        assert close.enabled and close.dest == "high"
        assert engine.fire(a.id, "close", clerk).case.state == "high"
        b = engine.start("handover", clerk, {"topic": "b", "tier": 5})
        (close,) = [x for x in engine.available(b.id, clerk) if x.trigger == "close"]
        # the two branches' refusals on one field are merged into one reason (issue 8)
        assert not close.enabled and [v.reason_en for v in close.refusals] == ["needs tier to be 1, 2 or 3 (it is 5)"]
        with pytest.raises(RefusedError, match="needs tier to be 1, 2 or 3"):
            engine.fire(b.id, "close", clerk)


def test_config_file_overrides_params_and_database(tmp_path, monkeypatch, secretary: Actor) -> None:  # noqa: ANN001
    db = tmp_path / "configured.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'db = "sqlite:///{db}"\ntz = "Asia/Urumqi"\n'
                   '[params.four_discussions_two_disclosures]\nnotice_period = "5d"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(cfg))
    with freeze_time(T0) as frozen, Engine.open_configured() as engine:
        assert str(engine.tz) == "Asia/Urumqi" and db.exists()
        case_id = _to_representatives(engine, secretary)
        result = engine.fire(case_id, "pass_resolution", secretary, representatives(14, 8))
        assert result.case.due_at == T0 + timedelta(days=5)  # the deployment's 5-day notice
        frozen.tick(timedelta(days=5))
        engine.fire(case_id, "start_implementation", secretary, {"notice_place": "公开栏"})


def test_event_records_the_role_that_authorised_the_step(engine: Engine) -> None:
    many = Actor.of("马书记", "convener", "mediator", "secretary")  # sorted first: convener
    case = engine.start(FOUR, many, PROPOSAL)
    event = engine.fire(case.id, "submit_to_committees", many).event
    assert (event.actor, event.role) == ("马书记", "secretary")
