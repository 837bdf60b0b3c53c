"""The demo's organisation and cast, urging (催办) an overdue case, and the TUI's identity: the
login screen of a password deployment, the person picker of a demo database, F10 to urge."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from freezegun import freeze_time
from textual.widgets import DataTable, Input, OptionList, Static

from test_tui_app import NOW, make_app, pilot, running, settle
from yishi.clock import FixedClock
from yishi.demo import DEMO_PERSON
from yishi.engine import Actor, CaseFilter, Engine
from yishi.errors import NotFoundError, RefusedError
from yishi.tui.app import create_app
from yishi.tui.login import LoginScreen, PersonPicker
from yishi.tui.screens.case import CaseScreen
from yishi.tui.urge import URGE
from yishi.tui.screens.message import MessageDialog

GRID = "grid_escalation"
EVENT = {"subject": "路灯不亮", "reporter": "李大爷", "place": "3号楼", "category": "environment",
         "urgency": "normal", "description": "路灯坏了三天"}
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------- the demo's organisation
def test_the_demo_cast_holds_real_grants_in_a_small_organisation(demo_url: str) -> None:
    with Engine.open(demo_url, clock=FixedClock(NOW)) as engine:
        org = engine.org
        labels = sorted(org.label(u) for u in org.units())
        assert labels == ["城东区", "城东区/城东街道", "城东区/城东街道/和平社区", "城东区/城东街道/和平社区/第一网格",
                          "城东区/城东街道/和平社区/第二网格", "城东区/城东街道/幸福社区",
                          "城东区/城东街道/幸福社区/第一网格"]
        ma = engine.acting(DEMO_PERSON)
        assert ma.person_id is not None and ma.roles == {"secretary", "convener", "mediation_committee"}
        grid = engine.acting(Actor("王小燕"))
        assert grid.roles == {"grid_member"}
        units = {u.id for u in org.units()}
        cases = engine.cases()
        assert cases and all(c.unit_id in units for c in cases)
        # 马书记 sees every demo case of 和平社区; 幸福社区's secretary sees only 幸福社区's own
        # (the quarterly cases its schedules started), none of 和平社区's
        joy = {u.id for u in org.units() if org.label(u).startswith("城东区/城东街道/幸福社区")}
        assert engine.count(actor=DEMO_PERSON) == len([c for c in cases if c.unit_id not in joy]) > 15
        assert engine.count(actor=Actor("赵书记")) == len([c for c in cases if c.unit_id in joy]) > 0
        assert org.verify().ok and engine.verify().ok


# ---------------------------------------------------------------- urging
def urge_setup(engine: Engine) -> dict[str, Any]:
    org = engine.org
    by = Actor.of("管理员")
    street = org.add_unit("街道", "东街街道", by=by)
    west = org.add_unit("街道", "西街街道", by=by)
    peace = org.add_unit("社区", "和平社区", street, by=by)
    g1 = org.add_unit("网格", "第一网格", peace, by=by)
    for name, login in (("王书记", "wang"), ("李网格", "li"), ("孙书记", "sun")):
        org.add_person(name, login=login, by=by)
    org.grant("wang", "secretary", peace, by=by)
    org.grant("li", "grid_member", g1, by=by)
    org.grant("sun", "secretary", west, by=by)
    return {"g1": g1}


def test_a_secretary_urges_an_overdue_case_held_by_a_grid_member(any_url: str) -> None:
    with freeze_time(T0) as frozen, Engine.open(any_url) as engine:
        urge_setup(engine)
        case = engine.start(GRID, Actor("li"), EVENT, unit="第一网格")
        engine.fire(case.id, "dispatch", Actor("li"))
        with pytest.raises(RefusedError, match="not overdue"):
            engine.urge(case.id, Actor("wang"))
        frozen.tick(timedelta(days=2, hours=1))  # past tier 1's limit; no tick has run yet
        with pytest.raises(RefusedError, match="you hold this case yourself"):
            engine.urge(case.id, Actor("li"))
        with pytest.raises(NotFoundError):
            engine.urge(case.id, Actor("sun"))  # another street's secretary does not see it
        before = engine.case(case.id)
        result = engine.urge(case.id, Actor("wang"), "居民又来电话了")
        assert result.event.kind == "urge" and result.event.actor == "王书记"
        assert result.event.role == "secretary" and result.event.data["urged"] == ["grid_member", "grid_leader"]
        assert result.event.data["_auth"]["unit_name"] == "和平社区"
        after = engine.case(case.id)
        assert (after.state, after.rev) == (before.state, before.rev)  # nobody's draft conflicts
        assert result.notifications
        for note in result.notifications:
            assert note.kind == "urge"
            assert [h["name"] for h in note.recipients["holders"]] == ["李网格"]
            assert "王书记催办" in note.payload["message"]["zh"] and "居民又来电话了" in note.payload["message"]["zh"]
        assert engine.verify().ok


# ---------------------------------------------------------------- the TUI
def _header(app: Any) -> str:
    return str(app.title)


@pilot
async def test_the_person_picker_acts_as_another_of_the_demo_cast(demo_url: str) -> None:
    with Engine.open(demo_url, clock=FixedClock(NOW)) as engine:
        app = make_app(engine, actor=DEMO_PERSON)
        async with running(app) as p:
            assert "马书记" in _header(app) and app.actor.person_id is not None
            await p.press("p")
            await settle(p)
            assert isinstance(app.screen, PersonPicker)
            people = app.screen.query_one("#people", OptionList)
            names = [str(people.get_option_at_index(i).prompt) for i in range(people.option_count)]
            assert any(n.startswith("王小燕 · 网格员") for n in names)
            index = next(i for i, n in enumerate(names) if n.startswith("王小燕"))
            people.highlighted = index
            await p.press("enter")
            await settle(p)
            assert app.actor.name == "王小燕" and app.actor.roles == {"grid_member"}
            assert "王小燕" in _header(app) and "网格员" in _header(app)
            mine = engine.count(CaseFilter(open=True, roles=("grid_member",)), actor=app.actor)
            table = app.screen.query_one(DataTable)
            assert table.row_count == mine > 0


@pilot
async def test_a_real_password_deployment_asks_to_log_in_before_showing_anything(sqlite_url: str) -> None:
    from yishi.org import auth

    clock = FixedClock(T0)  # not freezegun: it would stop Textual's own timers
    with Engine.open(sqlite_url, clock=clock) as engine:
        engine.org.init("张主任", "zhang", root="东街街道")
        admin = Actor("zhang")
        peace = engine.org.add_unit("社区", "和平社区", "东街街道", by=admin)
        g1 = engine.org.add_unit("网格", "第一网格", peace, by=admin)
        engine.org.add_person("李网格", login="li", by=admin)
        engine.org.grant("li", "grid_member", g1, by=admin)
        auth.set_method(engine, "password", by=admin)
        auth.set_password(engine, "li", "grid-secret-1", by=admin)
        engine.start(GRID, Actor("li"), {**EVENT, "subject": "李网格的事件"})
        engine.org.add_person("赵网格", login="zhao", by=admin)
        g2 = engine.org.add_unit("网格", "第二网格", peace, by=admin)
        engine.org.grant("zhao", "grid_member", g2, by=admin)
        engine.start(GRID, Actor("zhao"), {**EVENT, "subject": "赵网格的事件"})
        app = create_app(engine, Actor.of(""), "zh", clock=clock, cursor_blink=False, tick_seconds=0)
        async with running(app) as p:
            assert isinstance(app.screen, LoginScreen)
            rows = app.screen_stack[-2].query_one(DataTable).row_count
            assert rows == 0  # nothing of the database is shown before the login
            app.screen.query_one("#login", Input).value = "li"
            app.screen.query_one("#password", Input).focus()
            await p.press(*"wrong-one")
            await p.press("enter")
            await settle(p)
            assert isinstance(app.screen, LoginScreen)
            assert "登录名或密码错误" in str(app.screen.query_one("#login-error", Static).render())
            await p.press(*"grid-secret-1")
            await p.press("enter")
            await settle(p)
            assert not isinstance(app.screen, LoginScreen)
            assert app.actor.name == "李网格" and "网格员" in _header(app)
            await p.press("3")  # all open cases: only the cases of 李网格's grid
            await settle(p)
            table = app.screen.query_one(DataTable)
            subjects = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            assert any("李网格的事件" in s for s in subjects)
            assert not any("赵网格的事件" in s for s in subjects)


@pilot
async def test_the_step_list_offers_to_urge_an_overdue_case_held_by_others(sqlite_url: str) -> None:
    """催办 is the step list's last entry on an overdue case the person cannot move themselves
    (no key of its own: F10 advances time in a simulation); the holder is not offered it."""
    clock = FixedClock(T0)  # not freezegun: it would stop Textual's own timers
    with Engine.open(sqlite_url, clock=clock) as engine:
        urge_setup(engine)
        case = engine.start(GRID, Actor("li"), EVENT, unit="第一网格")
        engine.fire(case.id, "dispatch", Actor("li"))
        clock.advance(timedelta(days=3))
        app = create_app(engine, Actor("wang"), "zh", clock=clock, cursor_blink=False, tick_seconds=0)
        async with running(app) as p:
            app.open_case(case.id)
            await settle(p)
            assert isinstance(app.screen, CaseScreen)
            await p.press("f6")
            await settle(p)
            steps = app.screen.query_one("#actions", OptionList)
            assert steps.highlighted is not None
            assert steps.get_option_at_index(steps.highlighted).id == URGE
            assert "催办" in str(steps.get_option_at_index(steps.highlighted).prompt)
            await p.press("enter")
            await settle(p)
            assert not isinstance(app.screen, MessageDialog)
            assert [e.kind for e in engine.history(case.id)][-1] == "urge"
            (note,) = [n for n in engine.notifications(case_id=case.id) if n.kind == "urge"][:1]
            assert [h["name"] for h in note.recipients["holders"]] == ["李网格"]
            await p.press("f6", "enter")  # still overdue: urging again is fine
            await settle(p)
            assert [e.kind for e in engine.history(case.id)].count("urge") == 2
        app = create_app(engine, Actor("li"), "zh", clock=clock, cursor_blink=False, tick_seconds=0)
        async with running(app) as p:
            app.open_case(case.id)
            await settle(p)
            steps = app.screen.query_one("#actions", OptionList)
            ids = [steps.get_option_at_index(i).id for i in range(steps.option_count)]
            assert URGE not in ids and ids  # the holder takes a step instead