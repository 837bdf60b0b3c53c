"""Pilot tests of the TUI's main flows on the demo database, with the clock injected (fixed)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, Static, Tabs, TextArea
from textual.worker import WorkerCancelled

from yishi.clock import FixedClock
from yishi.demo import DEMO_ACTOR
from yishi.engine import Actor, CaseFilter, Engine
from yishi.tui.app import YishiApp, create_app
from yishi.tui.screens.case import CaseScreen
from yishi.tui.screens.cases import CasesScreen
from yishi.tui.screens.confirm import ConfirmDialog
from yishi.tui.screens.conflict import ConflictDialog
from yishi.tui.screens.form_dialog import FormDialog
from yishi.tui.screens.message import MessageDialog
from yishi.tui.screens.new_case import NewCaseScreen
from yishi.tui.screens.procedures import ProceduresScreen
from yishi.tui.widgets.form import FormView

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai
SIZE = (100, 32)


def pilot(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))
    return run


@pytest.fixture
def engine(demo_url: str) -> Iterator[Engine]:
    eng = Engine.open(demo_url, clock=FixedClock(NOW))
    try:
        yield eng
    finally:
        eng.close()


def make_app(engine: Engine, lang: str = "zh", actor: Actor = DEMO_ACTOR, **options: Any) -> YishiApp:
    options.setdefault("tick_seconds", 0)
    options.setdefault("poll_seconds", 0)
    return create_app(engine, actor, lang, clock=FixedClock(NOW), cursor_blink=False, **options)


@asynccontextmanager
async def running(app: YishiApp, size: tuple[int, int] = SIZE,
                  messages: list[Message] | None = None) -> AsyncIterator[Pilot[None]]:
    hook = messages.append if messages is not None else None
    async with app.run_test(size=size, message_hook=hook) as pilot:
        await settle(pilot)
        yield pilot


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and the screen catch up (not the ones waiting for a dialog's answer)."""
    for _ in range(4):
        await pilot.pause()
        for worker in [w for w in pilot.app.workers if w.group not in ("act", "start")]:
            try:
                await worker.wait()
            except WorkerCancelled:
                pass  # a newer load of the same kind replaced it
    await pilot.pause()


def case_id(engine: Engine, subject: str) -> int:
    (case,) = engine.cases(CaseFilter(search=subject))
    return case.id


def table_ids(app: YishiApp) -> list[int]:
    table = app.screen.query_one("#cases", DataTable)
    return [int(str(key.value)) for key in table.rows]


def text_of(app: YishiApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render()).replace("\xa0", " ")


async def open_case(pilot: Pilot[None], app: YishiApp, engine: Engine, subject: str) -> CaseScreen:
    """From the cases screen: search for the subject and press enter on it."""
    await pilot.press("slash")
    await pilot.press(*subject)
    await pilot.press("enter")  # leaves the search box for the table
    await settle(pilot)
    assert table_ids(app) == [case_id(engine, subject)]
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, CaseScreen)
    return app.screen


async def type_into(pilot: Pilot[None], app: YishiApp, field: str, text: str) -> None:
    widget = app.screen.query_one(f"#input-{field}")
    widget.focus()
    if isinstance(widget, Input):
        widget.value = ""
    elif isinstance(widget, TextArea):
        widget.text = ""
    await pilot.press(*text)
    await pilot.pause(0.4)  # the steps are checked again after a short pause in typing
    await settle(pilot)


async def choose_action(pilot: Pilot[None], app: YishiApp, trigger: str, *, confirm: bool = True) -> None:
    """Choose the step ``trigger``; if the confirmation comes up, take it (``confirm``)."""
    actions = app.screen.query_one("#actions", OptionList)
    index = next(i for i in range(actions.option_count) if actions.get_option_at_index(i).id == trigger)
    await pilot.press("f6")
    actions.highlighted = index
    await pilot.press("enter")
    await settle(pilot)
    if confirm and isinstance(app.screen, ConfirmDialog):
        app.screen.query_one("#ok").focus()
        await pilot.press("enter")
        await settle(pilot)


# ---------------------------------------------------------------- the cases screen
@pilot
async def test_open_the_demo_and_filter_overdue(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        assert isinstance(app.screen, CasesScreen)
        mine = engine.cases(CaseFilter(open=True, roles=tuple(sorted(DEMO_ACTOR.roles))))
        assert table_ids(app) == [c.id for c in mine]
        counters = text_of(app, "#counters")
        overdue = engine.count(CaseFilter(open=True, overdue_at=NOW))
        assert f"逾期 {overdue}" in counters and "社区内化解 75%（3/4）" in counters
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one("#tabs", Tabs).active == "tab-overdue"
        assert table_ids(app) == [c.id for c in engine.cases(CaseFilter(open=True, overdue_at=NOW))]
        assert f"共 {overdue} 件" in text_of(app, "#pager")
        await pilot.press("4")
        await settle(pilot)
        assert table_ids(app) == [c.id for c in engine.cases(CaseFilter(open=False))]


@pilot
async def test_pages_move_with_the_brackets(engine: Engine) -> None:
    app = make_app(engine, page_size=4)
    async with running(app) as pilot:
        await pilot.press("3")
        await settle(pilot)
        everything = [c.id for c in engine.cases(CaseFilter(open=True))]
        assert table_ids(app) == everything[:4]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert table_ids(app) == everything[4:8]
        assert f"第 5–{min(8, len(everything))} 件" in text_of(app, "#pager")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert table_ids(app) == everything[:4]


@pilot
async def test_mouse_opens_a_case(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        await pilot.click("#cases", offset=(10, 2))  # the first row under the header
        await pilot.click("#cases", offset=(10, 2))
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


# ---------------------------------------------------------------- the case screen
@pilot
async def test_fill_the_form_fire_a_step_and_see_the_timeline_grow(engine: Engine) -> None:
    messages: list[Message] = []
    app = make_app(engine)
    async with running(app, messages=messages) as pilot:
        screen = await open_case(pilot, app, engine, "闲置厂房出租给幼儿园举办者")
        cid = screen.case_id
        before = len(engine.history(cid))
        assert "决议公开" in text_of(app, "#case-meta")
        assert "● 决议公开" in text_of(app, "#stepper")
        assert not next(a for a in screen.actions if a.trigger == "start_implementation").enabled
        await type_into(pilot, app, "notice_place", "村务公开栏")
        assert any(isinstance(m, FormView.Changed) for m in messages)
        assert app.drafts[(cid, "resolution_notice")]["notice_place"] == "村务公开栏"
        assert next(a for a in screen.actions if a.trigger == "start_implementation").enabled
        await choose_action(pilot, app, "start_implementation")
        case = engine.case(cid)
        assert case.state == "implementation"
        assert case.data["resolution_notice"]["notice_place"] == "村务公开栏"
        assert (cid, "resolution_notice") not in app.drafts
        assert len(engine.history(cid)) == before + 1
        assert screen.view is not None and screen.view.timeline[0].what == "公示期满，组织实施"
        assert "● 组织实施" in text_of(app, "#stepper")
        assert "公示期满，组织实施" in text_of(app, "#timeline")


@pilot
async def test_a_refused_action_shows_the_rules_reason(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "attended", "12")
        reasons = next(a for a in screen.actions if a.trigger == "pass_resolution").reasons
        assert "需三分之二以上代表到会：实到 12 / 应到 31" in reasons
        await choose_action(pilot, app, "pass_resolution")
        assert isinstance(app.screen, MessageDialog)
        assert "需三分之二以上代表到会：实到 12 / 应到 31" in text_of(app, "#message")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#input-attended", Input).value == "12"  # the typed input stays
        assert engine.case(screen.case_id).state == "representatives_meeting"


@pilot
async def test_a_step_with_its_own_form_and_a_confirmation(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await choose_action(pilot, app, "reject")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("ctrl+s")  # the reason is required
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert "必填" in str(app.screen.query_one("#error-reason", Static).render())
        app.screen.query_one("#input-reason").focus()
        await pilot.press(*"预算不足")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # not now
        await settle(pilot)
        assert engine.case(screen.case_id).is_open
        await choose_action(pilot, app, "reject")
        assert app.screen.query_one("#input-reason", TextArea).text == "预算不足"  # kept
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.click("#ok")
        await settle(pilot)
        case = engine.case(screen.case_id)
        assert (case.state, case.is_open) == ("rejected", False)
        assert "已办结" in text_of(app, "#case-meta")


@pilot
async def test_a_conflict_shows_the_dialog_and_keeps_the_typed_input(engine: Engine, demo_url: str) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "minutes", "应到 31 人 实到 18 人 未达到法定人数")
        # meanwhile another secretary, in another process, records the resolution first
        with Engine.open(demo_url, clock=FixedClock(NOW)) as other:
            other.record(screen.case_id, Actor.of("李委员", "secretary"), {"resolution": "择期再议"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert "应到 31 人" not in str(engine.case(screen.case_id).data)  # nothing was saved
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert screen.query_one("#input-minutes", TextArea).text == "应到 31 人 实到 18 人 未达到法定人数"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#reload")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#input-minutes", TextArea).text == "应到 31 人 实到 18 人 未达到法定人数"
        assert screen.query_one("#input-resolution", TextArea).text == "择期再议"  # theirs, shown
        await pilot.press("ctrl+s")
        await settle(pilot)
        data = engine.case(screen.case_id).data["representatives_meeting"]
        assert (data["resolution"], data["minutes"]) == ("择期再议", "应到 31 人 实到 18 人 未达到法定人数")


@pilot
async def test_list_items_are_edited_in_a_dialog_and_saved(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        bench = next(c for c in engine.cases(CaseFilter(search="公共花园")) if c.workflow_id == "bench_meeting")
        app.open_case(bench.id)
        await settle(pilot)
        table = app.screen.query_one("#input-action_items DataTable", DataTable)
        assert table.row_count == 3
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#input-done", Select).value = "true"
        app.screen.query_one("#input-note").focus()
        await pilot.press(*"已补种")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")  # save the step's record
        await settle(pilot)
        items = engine.case(bench.id).data["follow_up"]["action_items"]
        assert items[1]["done"] is True and items[1]["note"] == "已补种"
        assert items[0]["done"] is True and not items[2].get("done")


@pilot
async def test_deadlines_and_links_panes(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        garden = next(c for c in engine.cases(CaseFilter(search="公共花园")) if c.workflow_id == "grid_escalation")
        app.open_case(garden.id)
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        links = app.screen.query_one("#links", OptionList)
        assert "板凳会" in str(links.get_option_at_index(0).prompt)
        links.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id != garden.id
        await pilot.press("f8")
        await settle(pilot)
        deadlines = text_of(app, "#deadlines")
        assert "跟进落实 · 提醒" in deadlines and "已执行" in deadlines  # overdue items reminded their owners


# ---------------------------------------------------------------- new case, procedures
@pilot
async def test_start_a_new_case(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        before = engine.count()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewCaseScreen)
        menu = app.screen.query_one("#procedures", OptionList)
        index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == "bench_meeting")
        menu.highlighted = index
        await settle(pilot)
        assert "居民身边事的议事会" in text_of(app, "#new-description")
        app.screen.query_one("#input-topic").focus()
        await pilot.press(*"小区南门积水")
        await pilot.press("ctrl+s")  # "raised by" is still missing
        await settle(pilot)
        assert isinstance(app.screen, NewCaseScreen) and engine.count() == before
        assert "必填" in str(app.screen.query_one("#error-raised_by", Static).render())
        app.screen.query_one("#input-raised_by").focus()
        await pilot.press(*"网格员 王小燕")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert engine.count() == before + 1
        assert isinstance(app.screen, CaseScreen)
        assert engine.case(app.screen.case_id).subject == "小区南门积水"


@pilot
async def test_procedures_screen_draws_each_workflow(engine: Engine) -> None:
    app = make_app(engine, lang="en")
    async with running(app) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ProceduresScreen)
        menu = app.screen.query_one("#proc-list", OptionList)
        menu.highlighted = next(i for i in range(menu.option_count)
                                if menu.get_option_at_index(i).id == "four_discussions_two_disclosures")
        await settle(pilot)
        text = text_of(app, "#proc-text")
        assert "── ▶" not in text
        assert "submit to the two committees ─▶ the two committees discuss" in text
        assert "every workflow file is valid." in text_of(app, "#proc-problems")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)


# ---------------------------------------------------------------- language, keys, timers, errors
@pilot
async def test_switching_language(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        assert "待我办理" in str(app.screen.query_one("#tab-mine").render())
        await pilot.press("f2")
        await settle(pilot)
        assert app.lang == "en"
        assert "my actions" in str(app.screen.query_one("#tab-mine").render())
        assert "open " in text_of(app, "#counters") and "resolved in community 75% (3/4)" in text_of(app, "#counters")
        table = app.screen.query_one("#cases", DataTable)
        assert [str(c.label) for c in table.columns.values()][:2] == ["no.", "subject"]
        descriptions = {b.binding.id: b.binding.description for b in app.screen.active_bindings.values()}
        assert descriptions["lang"] == "中文" and descriptions["new_case"] == "new"
        assert "community Party secretary" in app.title
        await pilot.press("f2")
        await settle(pilot)
        assert "待我办理" in str(app.screen.query_one("#tab-mine").render())


@pilot
async def test_a_browser_session_does_not_rewrite_the_servers_config(engine: Engine, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """F2 in a terminal is remembered in the person's config; in a `yishi serve` session the
    config file is the server account's, shared by every browser: it is left alone."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('lang = "zh"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(cfg))
    app = make_app(engine)
    app.served = True  # type: ignore[attr-defined]  # as yishi.cli.served sets it
    async with running(app) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert app.lang == "en"
    assert cfg.read_text("utf-8") == 'lang = "zh"\n'
    app = make_app(engine)
    async with running(app) as pilot:
        await pilot.press("f2")
        await settle(pilot)
    assert 'lang = "en"' in cfg.read_text("utf-8")


@pilot
async def test_bindings_are_remapped_from_the_config(engine: Engine) -> None:
    app = make_app(engine, keys={"new_case": "f4"})
    async with running(app) as pilot:
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, NewCaseScreen)


@pilot
async def test_ticking_fires_due_timers_and_refreshes(engine: Engine) -> None:
    clock = FixedClock(NOW)
    app = create_app(engine, DEMO_ACTOR, "zh", clock=clock, cursor_blink=False, tick_seconds=0)
    async with running(app) as pilot:
        moto = case_id(engine, "夜间摩托车")
        assert moto in table_ids(app)
        clock.set(NOW + timedelta(days=3))  # the clinic's time limit runs out
        app.tick()
        await settle(pilot)
        assert engine.case(moto).state == "tier_4"  # escalated to the street office
        row = app.screen.query_one("#cases", DataTable).get_row(str(moto))
        assert (str(row[3]), str(row[4])) == ("街道/乡镇处置", "4 级")


@pilot
async def test_the_tui_ticks_on_its_own(engine: Engine) -> None:
    clock = FixedClock(NOW + timedelta(days=3))
    app = create_app(engine, DEMO_ACTOR, "zh", clock=clock, cursor_blink=False, tick_seconds=0.05)
    async with running(app) as pilot:
        await pilot.pause(0.3)
        await settle(pilot)
        assert engine.case(case_id(engine, "夜间摩托车")).state == "tier_4"


@pilot
async def test_storage_unavailable_is_a_dialog(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    app = create_app(f"sqlite:///{tmp_path / 'file' / 'x.db'}", DEMO_ACTOR, "en", tick_seconds=0,
                     cursor_blink=False)
    async with running(app) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "unavailable" in str(app.screen.query_one(".dialog-title").render()) or \
            "cannot" in text_of(app, "#message")


@pilot
async def test_works_at_80_by_24(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one("#cases", DataTable)
        assert table.size.width <= 80 and table.row_count > 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.query_one("#actions-pane").size.width > 20
        assert app.screen.query_one("#form-pane").size.width >= 40


@pilot
async def test_who_acts_is_shown_and_a_stranger_gets_no_steps(engine: Engine) -> None:
    app = make_app(engine, actor=Actor.of("游客"))
    async with running(app) as pilot:
        assert "游客 · 无角色" in app.title
        assert table_ids(app) == []
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.actions == ()
        assert app.screen.query_one("#actions", OptionList).get_option_at_index(0).disabled


@pilot
async def test_quitting_with_unsaved_input_asks_first(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app) as pilot:
        await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "minutes", "未达到法定人数")
        await pilot.press("escape")  # back to the list: the typed input is kept
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen) and app.is_running
        await open_case(pilot, app, engine, "修缮三组村道")
        assert app.screen.query_one("#input-minutes", TextArea).text == "未达到法定人数"


@pilot
async def test_procedures_screen_lists_problems_in_workflow_files(tmp_path: Path) -> None:
    from yishi.testing import workflow_files

    broken = Path(__file__).parent / "data" / "invalid" / "dead_end.yaml"
    with Engine.open(f"sqlite:///{tmp_path / 'p.db'}", plugins=[workflow_files(broken)],
                     clock=FixedClock(NOW)) as engine:
        app = make_app(engine, lang="en")
        async with running(app) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            problems = text_of(app, "#proc-problems")
            assert "problems in workflow files" in problems and "dead_end.yaml:" in problems



@pilot
async def test_a_url_is_opened_after_the_first_frame(demo_url: str) -> None:
    app = create_app(demo_url, DEMO_ACTOR, "zh", clock=FixedClock(NOW), tick_seconds=0, cursor_blink=False)
    async with running(app) as pilot:
        await settle(pilot)
        assert app.engine is not None and app.url == demo_url
        mine = app.engine.count(CaseFilter(open=True, roles=tuple(sorted(DEMO_ACTOR.roles))))
        assert len(table_ids(app)) == mine > 0
        assert "社区内化解 75%" in text_of(app, "#counters")
