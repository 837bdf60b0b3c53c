"""The TUI's data layer (no terminal): relative times, CJK widths, tabs, pages, counters, the
stepper, forms, and the demo database it is shown on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.cells import cell_len

from yishi.clock import FixedClock
from yishi.demo import DEMO_ACTOR, STORIES, build_demo
from yishi.engine import Actor, CaseFilter, Engine
from yishi.tui import data

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai


@pytest.fixture
def demo(demo_url: str) -> Iterator[Engine]:
    """A fresh copy of the demo database for this test, its clock fixed at NOW."""
    engine = Engine.open(demo_url, clock=FixedClock(NOW))
    try:
        yield engine
    finally:
        engine.close()


def _id(engine: Engine, subject: str) -> int:
    (case,) = engine.cases(CaseFilter(search=subject))
    return case.id


# ---------------------------------------------------------------- text
@pytest.mark.parametrize(("delta", "zh", "en"), [
    # one countdown format everywhere (issue 8): the rules' "还差 6天23小时" and the lists agree
    (timedelta(days=2, hours=3), "还差 2天3小时", "2d3h left"),
    (timedelta(days=1, hours=1), "还差 1天1小时", "1d1h left"),
    (timedelta(days=7), "还差 7天", "7d left"),
    (timedelta(hours=5), "还差 5小时", "5h left"),
    (timedelta(minutes=30), "还差 30分钟", "30m left"),
    (timedelta(seconds=10), "还差 1分钟", "1m left"),
    (-timedelta(days=3, hours=2), "逾期 3天", "3d overdue"),  # from three days on, whole days
    (-timedelta(hours=2), "逾期 2小时", "2h overdue"),
])
def test_relative_due_in_both_languages(delta: timedelta, zh: str, en: str) -> None:
    assert data.relative(NOW + delta, NOW, "zh") == zh
    assert data.relative(NOW + delta, NOW, "en") == en


@pytest.mark.parametrize("width", [4, 7, 10, 13])
def test_fit_counts_cjk_as_two_cells(width: int) -> None:
    text = "闲置厂房出租给幼儿园举办者"
    cut = data.fit(text, width)
    assert cell_len(cut) <= width
    assert cut.endswith("…")
    assert data.fit("ab", 4) == "ab"
    assert data.fit("修缮三组村道", 12) == "修缮三组村道"


# ---------------------------------------------------------------- the demo
def test_demo_covers_every_installed_procedure_in_several_states(demo: Engine) -> None:
    shipped = {"four_discussions_two_disclosures", "bench_meeting", "grid_escalation", "people_mediation",
               "hotline_12345", "micro_wishes", "representatives_meeting"}
    assert {wf for wf, _, _ in STORIES} == shipped
    assert shipped <= {w.workflow.id for w in demo.workflows()}
    cases = demo.cases()
    # 三务公开 is started by its schedule (each quarter, each community), not by a story
    assert {c.workflow_id for c in cases} == shipped | {"three_affairs_disclosure"}
    assert len({c.state for c in cases}) >= 10
    assert demo.count(CaseFilter(open=True, overdue_at=NOW)) >= 3
    assert demo.count(CaseFilter(open=False)) >= 5
    first = min(c.opened_at for c in cases)
    assert NOW - first > timedelta(days=90)  # a few months of history
    assert max(e.at for c in cases for e in demo.history(c.id)) <= NOW
    assert demo.verify().ok
    handed = [c for c in cases if c.state == "handed_over"]
    assert handed and demo.links(handed[0].id)  # the garden went to a bench meeting


def test_demo_is_the_same_every_time(demo: Engine, tmp_path: Path) -> None:
    again = build_demo(f"sqlite:///{tmp_path / 'again.db'}", now=NOW)
    try:
        assert [(c.subject, c.state, c.rev, c.last_hash) for c in again.cases()] == \
            [(c.subject, c.state, c.rev, c.last_hash) for c in demo.cases()]
    finally:
        again.close()


# ---------------------------------------------------------------- the cases list
def test_tabs_map_to_engine_filters(demo: Engine) -> None:
    me = DEMO_ACTOR
    mine = data.load_cases(demo, "mine", me, NOW, "zh")
    assert mine.total == demo.count(CaseFilter(open=True, roles=tuple(sorted(me.roles))))
    overdue = data.load_cases(demo, "overdue", me, NOW, "zh")
    assert [r.id for r in overdue.rows] == [c.id for c in demo.cases(CaseFilter(open=True, overdue_at=NOW))]
    assert all(r.overdue for r in overdue.rows)
    closed = data.load_cases(demo, "closed", me, NOW, "en")
    # the closed tab's column is headed "closed on": a whole date fits at 80 columns (issue 8)
    assert closed.rows and all(r.closed and len(r.due) == 10 and r.due.startswith("2026-") for r in closed.rows)
    today = data.load_cases(demo, "today", me, NOW, "zh")
    assert {r.id for r in overdue.rows} <= {r.id for r in today.rows}
    found = data.load_cases(demo, "open", me, NOW, "zh", search="摩托")
    assert [r.subject for r in found.rows] == ["夜间摩托车飙车扰民"]


def test_rows_are_most_urgent_first_and_in_the_users_language(demo: Engine) -> None:
    page = data.load_cases(demo, "open", DEMO_ACTOR, NOW, "zh")
    dues = [c.due_at for c in demo.cases(CaseFilter(open=True)) if c.due_at]
    assert dues == sorted(dues)
    moto = next(r for r in page.rows if "摩托" in r.subject)
    # the next thing due at the clinic is its yellow warning (70% of 5 days), 2 days before the deadline
    assert (moto.procedure, moto.tier, moto.due, moto.overdue) == ("网格化事件处置", "3 级", "还差 12小时", False)
    # the roles' titles without the note "（书记接诊室）"; the street may grant the clinic an extension
    assert moto.who == "社区党组织书记、街道/乡镇"
    en = data.load_cases(demo, "open", DEMO_ACTOR, NOW, "en")
    moto_en = next(r for r in en.rows if r.id == moto.id)
    assert (moto_en.procedure, moto_en.tier, moto_en.due) == ("Grid escalation", "T3", "12h left")


def test_pages_read_only_what_is_shown(demo: Engine) -> None:
    total = demo.count(CaseFilter(open=True))
    first = data.load_cases(demo, "open", DEMO_ACTOR, NOW, "zh", limit=3)
    second = data.load_cases(demo, "open", DEMO_ACTOR, NOW, "zh", offset=3, limit=3)
    assert (first.total, len(first.rows), first.first, first.last) == (total, 3, 1, 3)
    assert (second.first, second.last) == (4, min(6, total))
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    beyond = data.load_cases(demo, "open", DEMO_ACTOR, NOW, "zh", offset=999, limit=3)
    assert beyond.rows and beyond.last == total  # past the end: the last page


def test_counters_and_the_share_resolved_within_the_community(demo: Engine) -> None:
    c = data.load_counters(demo, NOW)
    assert c.open == demo.count(CaseFilter(open=True))
    assert c.overdue == demo.count(CaseFilter(open=True, overdue_at=NOW))
    month = datetime(2026, 10, 31, 16, tzinfo=timezone.utc)  # 1 November, Shanghai
    assert c.resolved_month == sum(1 for x in demo.cases(CaseFilter(open=False)) if x.closed_at >= month) > 0
    # the grid events closed after evaluation: stairwell (tier 1), rubbish (2), parking (3,
    # the secretary's clinic), manhole (4, the street office): 3 of 4 inside the community
    assert c.community == (3, 4)
    assert c.share() == "75%"


# ---------------------------------------------------------------- one case
def test_case_view_stepper_form_actions_timeline(demo: Engine) -> None:
    case_id = _id(demo, "修缮三组村道")
    view = data.load_case(demo, case_id, DEMO_ACTOR, NOW, "zh")
    assert [s.status for s in view.steps][:5] == ["done", "done", "done", "current", "ahead"]
    assert view.steps[3].title == "村（居）民代表会议决议"
    assert view.steps[-1].title == "归档"
    assert {f.name: f.value for f in view.form}["attended"] == 18
    assert next(f for f in view.form if f.name == "attended").required
    actions = {a.trigger: a for a in view.actions}
    assert not actions["pass_resolution"].ready
    assert "需三分之二以上代表到会：实到 18 / 应到 31" in actions["pass_resolution"].reasons
    assert actions["send_back"].ready and not actions["send_back"].enabled  # asks for its reason
    assert [e.what for e in view.timeline][-1] == "发起"
    assert view.timeline[0].what == "保存记录" and view.timeline[0].who == "马书记"
    # typed, not saved: the engine checks it, nothing is written
    typed = {"attended": "25", "votes_for": "20", "resolution": "同意", "minutes": "…"}
    again = {a.trigger: a for a in data.action_views(demo, view.case, DEMO_ACTOR, "zh", typed)}
    assert again["pass_resolution"].enabled
    assert demo.case(case_id).rev == view.rev


def test_the_stepper_follows_the_forward_path(demo: Engine) -> None:
    door = data.load_case(demo, _id(demo, "单元门禁损坏"), DEMO_ACTOR, NOW, "zh")
    assert [s.title for s in door.steps if s.status == "ahead"] == ["核查结案", "群众评价", "办结"]
    leak = data.load_case(demo, _id(demo, "楼上漏水"), DEMO_ACTOR, NOW, "zh")
    assert [s.title for s in leak.steps if s.status == "ahead"] == ["达成调解协议", "履行跟进", "回访", "结案归档"]
    parking = data.load_case(demo, _id(demo, "单元门前乱停车"), DEMO_ACTOR, NOW, "zh")
    assert [s.status for s in parking.steps] == ["done"] * len(parking.steps)
    assert [s.title for s in parking.steps][:4] == ["受理登记", "网格员处置", "网格长处置", "社区书记接诊室"]


def test_only_the_actors_own_steps_are_offered(demo: Engine) -> None:
    case_id = _id(demo, "修缮三组村道")
    grid = Actor.of("王小燕", "grid_member")
    assert data.load_case(demo, case_id, grid, NOW, "zh").actions == ()


def test_deadlines_links_and_readonly_fields(demo: Engine) -> None:
    leak = data.load_case(demo, _id(demo, "楼上漏水"), DEMO_ACTOR, NOW, "zh")
    due = next(f for f in leak.form if f.name == "mediation_due")
    assert due.readonly and due.shown.startswith("2026-12-")  # local time, not typed
    assert data.submission(leak.form, {"mediation_due": "x", "notes": "记录"}) == {"notes": "记录"}
    assert any(d.pending and d.countdown == "还差 12天" for d in leak.deadlines)
    (garden_grid,) = [c for c in demo.cases(CaseFilter(search="公共花园")) if c.workflow_id == "grid_escalation"]
    view = data.load_case(demo, garden_grid.id, DEMO_ACTOR, NOW, "zh")
    assert view.links and view.links[0].text.startswith("转交至 #")
    assert "板凳会" in view.links[0].text


def test_check_field_uses_the_engines_messages() -> None:
    from yishi.definition.models import FormField

    spec = FormField.model_validate({"name": "attended", "type": "integer", "min": 0,
                                     "label": {"zh": "实到", "en": "present"}})
    assert data.check_field(spec, "十二", "zh") == "应为数字"
    assert data.check_field(spec, "-1", "en").startswith("must be at least 0")
    assert data.check_field(spec, "12", "en") == ""
    day = FormField.model_validate({"name": "d", "type": "date", "label": "日期"})
    assert data.check_field(day, "2026-13-01", "zh") == "日期格式应为 YYYY-MM-DD"


def test_procedure_drawn_as_text(demo: Engine) -> None:
    lines = [line for _kind, line in data.procedure_lines(demo, "four_discussions_two_disclosures", "zh")]
    assert any(line.startswith("◆ 党组织提议") for line in lines)
    assert any("提交两委会商议 ─▶ 两委会商议" in line for line in lines)
    assert any(line.startswith("■ 归档") for line in lines)
