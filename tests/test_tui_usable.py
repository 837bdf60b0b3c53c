"""Issue 8: the TUI usable by a new secretary without a manual. Each test failed on the main the
issue was filed against (keys that destroyed work, the step list, steps whose own fields decide
their rule, focus, developer values in reasons)."""

from __future__ import annotations

from textual.containers import ScrollableContainer
from textual.widgets import Input, OptionList, Select, TextArea

from test_tui_app import (  # noqa: F401 - the engine fixture
    choose_action,
    engine,
    make_app,
    open_case,
    pilot,
    running,
    settle,
    type_into,
)
from yishi.engine import Actor, Engine
from yishi.tui.screens.case import CaseScreen
from yishi.tui.screens.confirm import ConfirmDialog
from yishi.tui.screens.form_dialog import FormDialog
from yishi.tui.screens.message import MessageDialog

COMMITTEE = Actor.of("周主任", "mediation_committee", "mediator")


def highlighted(app) -> str | None:  # noqa: ANN001
    actions = app.screen.query_one("#actions", OptionList)
    return None if actions.highlighted is None else actions.get_option_at_index(actions.highlighted).id


# ---------------------------------------------------------------- 1. keys that destroy work
@pilot
async def test_f6_inside_the_minutes_never_replaces_them(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "minutes", "应到 31 人")
        area = screen.query_one("#input-minutes", TextArea)
        area.focus()
        await pilot.press("f6")  # the footer's "take a step" key
        await settle(pilot)
        assert area.text == "应到 31 人" and area.selected_text == ""
        assert app.focused is screen.query_one("#actions")  # F6 went to the steps, as the footer says
        area.focus()
        await pilot.press("f7", "x")  # F7 is the timeline, never "select all"
        await settle(pilot)
        assert "应到 31 人" in area.text


# ---------------------------------------------------------------- 2. the step list
@pilot
async def test_the_cursor_starts_on_the_first_forward_step_and_every_step_asks_first(engine: Engine) -> None:
    app = make_app(engine, actor=COMMITTEE)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        assert highlighted(app) == "reach_agreement"  # not a refusal, not the end of the mediation
        await pilot.press("f6", "down", "down")
        await pilot.press("f5")  # a reload (or a step) never leaves the cursor at a stale index
        await settle(pilot)
        assert highlighted(app) == "reach_agreement"
        await pilot.press("f6", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # never fired at once
        body = str(app.screen.query_one(".dialog-body").render())
        assert "达成协议" in body and "达成调解协议" in body  # the step and where it leads
        await pilot.press("escape")
        await settle(pilot)
        assert engine.case(screen.case_id).state == "mediating"


@pilot
async def test_enter_on_an_irreversible_steps_dialog_cancels(engine: Engine) -> None:
    app = make_app(engine, actor=COMMITTEE)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        await choose_action(pilot, app, "mediation_failed")
        assert isinstance(app.screen, FormDialog)
        form = app.screen
        form.query_one("#input-failure_reason").focus()
        await pilot.press(*"双方分歧过大")
        form.query_one("#input-remedies_told").focus()
        await pilot.press("enter")  # tick the first remedy
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.focused is app.screen.query_one("#cancel")
        await pilot.press("enter")  # the default of an irreversible step is the safe one
        await settle(pilot)
        assert engine.case(screen.case_id).state == "mediating"


@pilot
async def test_refused_steps_are_marked_and_open_their_reasons(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        refused = next(a for a in screen.actions if a.trigger == "pass_resolution")
        assert not refused.ready
        actions = screen.query_one("#actions", OptionList)
        index = [actions.get_option_at_index(i).id for i in range(actions.option_count)].index("pass_resolution")
        assert str(actions.get_option_at_index(index).prompt).startswith("✗")
        await choose_action(pilot, app, "pass_resolution")
        assert isinstance(app.screen, MessageDialog)


# ---------------------------------------------------------------- 3. a step's own fields decide its rule
@pilot
async def test_extend_with_both_parties_consent_opens_its_dialog_and_rechecks_live(engine: Engine) -> None:
    app = make_app(engine, actor=COMMITTEE)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        extend = next(a for a in screen.actions if a.trigger == "extend")
        assert extend.ready and not extend.enabled
        await choose_action(pilot, app, "extend")
        assert isinstance(app.screen, FormDialog)
        dialog = app.screen
        dialog.query_one("#input-party_a_consents", Select).value = "true"
        dialog.query_one("#input-party_b_consents", Select).value = "false"
        dialog.query_one("#input-extension_reason").focus()
        await pilot.press(*"需等待鉴定结果")
        await settle(pilot)
        reasons = str(dialog.query_one("#dialog-reasons").render())
        assert "需当事人乙同意延期为 是（现为 否）" in reasons
        assert "当事人甲" not in reasons  # re-checked with what is typed: that one is met
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # still refused: the dialog stays, nothing is lost
        dialog.query_one("#input-party_b_consents", Select).value = "true"
        await settle(pilot)
        assert not dialog.query_one("#dialog-reasons").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # not irreversible: Enter takes it
        await settle(pilot)
        case = engine.case(screen.case_id)
        assert case.data["mediating"]["extensions"] == 1
        assert not next(a for a in screen.actions if a.trigger == "extend").ready  # only once


# ---------------------------------------------------------------- 4. focus
@pilot
async def test_after_a_step_focus_is_on_the_next_forms_first_empty_required_field(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "闲置厂房出租给幼儿园举办者")
        await type_into(pilot, app, "notice_place", "村务公开栏")
        await choose_action(pilot, app, "start_implementation")
        await settle(pilot)
        assert engine.case(screen.case_id).state == "implementation"
        assert app.focused is not None and app.focused.id == "input-completed_on"
        assert app.screen.can_view_entire(app.focused)


@pilot
async def test_tab_never_stops_on_an_invisible_container(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        screen.query_one("#actions").focus()
        seen = []
        for _ in range(14):
            await pilot.press("tab")
            seen.append(app.focused)
        assert not [w for w in seen if isinstance(w, ScrollableContainer)
                    and type(w).__module__ == "textual.containers"]
        assert all(w is not None and w.region.area > 0 for w in seen), seen  # each one on screen


@pilot
async def test_a_fast_tab_while_the_steps_are_rechecked_is_not_lost(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        screen.query_one("#input-representatives").focus()
        await pilot.press("3", "1", "tab", "1", "2")
        await pilot.pause(0.5)
        await settle(pilot)
        values = screen._typed_values()
        assert (values["representatives"], values["attended"]) == ("31", "12")


# ---------------------------------------------------------------- 6. reasons in the user's words
@pilot
async def test_reasons_show_labels_and_no_timer_steps_are_offered(engine: Engine) -> None:
    app = make_app(engine, actor=Actor.of("书记", "secretary"))
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "夜间摩托车飙车扰民")
        assert "deadline_passed" not in {a.trigger for a in screen.actions}  # the timer's step
        text = "\n".join(r for a in screen.actions for r in a.reasons)
        assert "True" not in text and "None" not in text and "urgent" not in text


# ---------------------------------------------------------------- 5. input that vanished
@pilot
async def test_numbers_and_dates_say_at_once_what_is_wrong(engine: Engine) -> None:
    from textual.widgets import Input, Static

    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        screen.query_one("#input-attended").focus()
        await pilot.press("1", "2", "a")
        await settle(pilot)
        assert screen.query_one("#input-attended", Input).value == "12a"  # not silently dropped
        assert "只能填数字" in str(screen.query_one("#error-attended", Static).render())
        await pilot.press("backspace")
        await settle(pilot)
        assert str(screen.query_one("#error-attended", Static).render()) == ""
        date_box = screen.query_one("#input-meeting_date", Input)
        for typed, shown in (("2026/12/1", "2026-12-01"), ("2026年12月1日", "2026-12-01"),
                             ("今天", "2026-11-20"), ("+3d", "2026-11-23"),
                             ("+3wd", "2026-11-25"), ("+1工作日", "2026-11-23")):  # Friday the 20th
            date_box.value = ""
            date_box.focus()
            await pilot.press(*typed, "tab")
            await settle(pilot)
            assert date_box.value == shown, typed
        date_box.value = ""
        date_box.focus()
        await pilot.press(*"2026-02-30", "tab")
        await settle(pilot)
        assert "2 月没有 30 日" in str(screen.query_one("#error-meeting_date", Static).render())
        assert date_box.value == "2026-02-30"  # kept for the user to correct


# ---------------------------------------------------------------- 7, 8, 9: texts, 80x24, help
@pilot
async def test_f1_and_question_mark_open_the_help_from_anywhere(engine: Engine) -> None:
    from yishi.tui.screens.help import HelpScreen

    for lang in ("zh", "en"):
        app = make_app(engine, lang=lang)
        async with running(app, size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            keys = dict(app.screen.key_rows)
            assert keys["n"] == ("新建" if lang == "zh" else "new") and keys["f1"] == ("帮助" if lang == "zh" else "help")
            await pilot.press("escape")
            await settle(pilot)
            screen = await open_case(pilot, app, engine, "修缮三组村道")
            screen.query_one("#input-attended").focus()  # even from inside a field
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            text = "".join(str(w.render()) for w in app.screen.query(".help-text"))
            assert ("F6" in text) and ("期限" in text if lang == "zh" else "deadlines" in text.lower())
            await pilot.press("escape")
            await settle(pilot)
            assert app.focused is screen.query_one("#input-attended")  # focus comes back


@pilot
async def test_the_case_footer_teaches_f7_f8_f9_and_the_header_shows_today(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        assert "2026-11-20 周五" in app.title
        await open_case(pilot, app, engine, "修缮三组村道")
        shown = {b.binding.id for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"act", "pane_timeline", "pane_deadlines", "pane_links", "help"} <= shown
        assert not {b.binding.id for b in app.screen.active_bindings.values()
                    if b.binding.show and not app.tr(f"key.{b.binding.id}")}


@pilot
async def test_textuals_own_strings_are_in_the_users_language(engine: Engine) -> None:
    app = make_app(engine, actor=COMMITTEE)
    async with running(app, size=(80, 24)) as pilot:
        await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        await choose_action(pilot, app, "extend")
        select = app.screen.query_one("#input-party_a_consents", Select)
        select.focus()
        await pilot.press("enter")  # the drop-down opens
        await settle(pilot)
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Dismiss menu" not in descriptions and "收起" in descriptions
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("ctrl+c")  # Textual's "Do you want to quit?"
        await settle(pilot)
        status = str(app.screen.query_one("#status").render())
        assert "退出" in status and "quit" not in status


@pilot
async def test_the_language_chosen_with_f2_is_remembered(engine: Engine) -> None:
    from yishi.config import load_config

    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
    assert load_config().lang == "en"


@pilot
async def test_80_by_24_keeps_subjects_dates_and_dialog_buttons_readable(engine: Engine) -> None:
    from rich.cells import cell_len
    from textual.widgets import DataTable

    for lang in ("zh", "en"):
        app = make_app(engine, lang=lang)
        async with running(app, size=(80, 24)) as pilot:
            table = app.screen.query_one("#cases", DataTable)
            subject = table.columns[next(k for k in table.columns if str(k.value) == "subject")]
            assert subject.width >= 16  # the subject gets the spare width
            await pilot.press("4")
            await settle(pilot)
            dues = [str(table.get_row_at(i)[6]) for i in range(table.row_count)]
            assert dues and all(len(d) == 10 and d.startswith("2026-") for d in dues)  # whole dates
            await pilot.press("3")
            await settle(pilot)
            dues = [str(table.get_row_at(i)[6]) for i in range(table.row_count)]
            assert not [d for d in dues if d.endswith("…")]
            await open_case(pilot, app, engine, "修缮三组村道")
            stepper = str(app.screen.query_one("#stepper").render())
            last = "归档" if lang == "zh" else "archived"
            assert last in stepper  # the whole path fits, the last stage too
            assert all(cell_len(line) <= 78 for line in stepper.splitlines()), stepper
            await choose_action(pilot, app, "reject")
            assert isinstance(app.screen, FormDialog)
            await pilot.press("ctrl+s")  # the "required" hint appears: the buttons stay on screen
            await settle(pilot)
            for button in app.screen.query("Button"):
                assert app.screen.can_view_entire(button) or button.region.bottom <= 24
                assert button.region.bottom <= 24 and button.region.height > 0


# ---------------------------------------------------------------- 11. the timeline shows list fields
@pilot
async def test_the_timeline_shows_who_the_mediators_are_and_each_action_item(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        await pilot.press("f7")
        await settle(pilot)
        timeline = str(app.screen.query_one("#timeline").render())
        assert "1. 刘德明" in timeline and "共 1 项" not in timeline
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        bench = next(c for c in engine.cases() if c.workflow_id == "bench_meeting" and "公共花园" in c.subject)
        app.open_case(bench.id)
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        timeline = str(app.screen.query_one("#timeline").render())
        assert "补种草坪和灌木 · 物业刘经理" in timeline and "项" not in timeline.split("补种草坪")[0][-4:]


# ---------------------------------------------------------------- 12. several people at once
@pilot
async def test_another_persons_change_appears_within_seconds(engine: Engine, demo_url: str) -> None:
    from yishi.time import FixedClock

    from test_tui_app import NOW

    app = make_app(engine, poll_seconds=0.2)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "minutes", "我的记录")
        rev = screen.view.rev
        with Engine.open(demo_url, clock=FixedClock(NOW)) as other:  # another TUI, another process
            other.record(screen.case_id, Actor.of("李委员", "secretary"), {"resolution": "择期再议"})
        for _ in range(10):
            await pilot.pause(0.2)
            if screen.view.rev != rev:
                break
        await settle(pilot)
        assert screen.view.rev == rev + 1  # no F5 needed
        assert screen.query_one("#input-resolution", TextArea).text == "择期再议"
        assert screen.query_one("#input-minutes", TextArea).text == "我的记录"  # nothing typed is lost
        status = str(screen.query_one("#status").render())
        assert "李委员" in status and "保存记录" in status


@pilot
async def test_the_conflict_dialog_names_who_and_shows_their_values_beside_yours(engine: Engine,
                                                                                  demo_url: str) -> None:
    from yishi.time import FixedClock

    from test_tui_app import NOW
    from yishi.tui.screens.conflict import ConflictDialog

    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "修缮三组村道")
        await type_into(pilot, app, "resolution", "同意修缮")
        with Engine.open(demo_url, clock=FixedClock(NOW)) as other:
            other.record(screen.case_id, Actor.of("李委员", "secretary"), {"resolution": "择期再议"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        who = str(app.screen.query_one("#conflict-who").render())
        assert "李委员" in who and "党组织书记" in who and "保存记录" in who
        (label, theirs, mine), = app.screen.rows
        assert (theirs, mine) == ("择期再议", "同意修缮")
        assert "representatives_meeting" not in who and "record" not in who


@pilot
async def test_no_line_starts_with_closing_punctuation(engine: Engine) -> None:
    app = make_app(engine)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "闲置厂房出租给幼儿园举办者")
        actions = screen.query_one("#actions", OptionList)
        lines = [line for i in range(actions.option_count)
                 for line in str(actions.get_option_at_index(i).prompt).splitlines()]
        assert lines and not [line for line in lines if line.strip()[:1] in "、，。）：；"]
        assert not [line for line in lines if len(line) > 2 and cell_width(line) > actions.content_size.width]


def cell_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def test_working_day_shortcuts_follow_the_chinese_calendar() -> None:
    """+Nwd counts working days: the 2025 National Day (1-8 October) is skipped and the make-up
    Sunday 28 September and Saturday 11 October are worked (调休)."""
    from datetime import date

    from yishi.tui.inputs import parse_date

    assert parse_date("+1wd", date(2025, 9, 26), "zh") == ("2025-09-28", "")
    assert parse_date("+3wd", date(2025, 9, 30), "zh") == ("2025-10-11", "")
    assert parse_date("-1工作日", date(2025, 10, 9), "en") == ("2025-09-30", "")
    assert parse_date("+3 个工作日", date(2025, 9, 30), "zh") == ("2025-10-11", "")


@pilot
async def test_f6_then_enter_in_one_burst_reaches_the_steps(engine: Engine) -> None:
    """A browser (yishi serve) sends keys typed quickly in one burst: F6 then Enter must reach the
    step list, not the field that had focus when F6 arrived (Enter there only moves to the next
    field, and the user's step is lost)."""
    from textual import events

    app = make_app(engine, actor=COMMITTEE)
    async with running(app, size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, engine, "楼上漏水殃及楼下")
        field = next(w for w in screen.query("#form Input, #form TextArea") if w.focusable)
        field.focus()
        await settle(pilot)
        assert app.focused is field
        for key, char in (("f6", None), ("enter", "\r")):  # both queued before either is handled,
            event = events.Key(key, char)               # as the terminal driver delivers a burst
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog), f"Enter went to {app.focused}"
        assert "\n" not in getattr(field, "text", "")  # not into the minutes either
