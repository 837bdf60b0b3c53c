"""Issue 8, "done means": whole stories driven at 80x24 with only the keys the UI shows (the
footer, the help screen, Tab and Enter), on the demo database's own simulated clock. Every step
the story takes is one the step list offers as possible: no refusal the screen does not explain.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from test_tui_app import pilot, running, settle
from yishi.demo import DEMO_ACTOR
from yishi.engine import Actor, CaseFilter, Engine
from yishi.tui.app import YishiApp, create_app
from yishi.tui.screens.case import CaseScreen
from yishi.tui.screens.confirm import ConfirmDialog
from yishi.tui.screens.form_dialog import FormDialog
from yishi.tui.screens.new_case import NewCaseScreen
from yishi.tui.urge import URGE

SIZE = (80, 24)


@pytest.fixture
def demo(demo_url: str) -> Iterator[Engine]:
    engine = Engine.open(demo_url)  # the simulation's own stored clock
    try:
        yield engine
    finally:
        engine.close()


def latest(case: object, name: str) -> object:
    """The latest value of field ``name`` recorded anywhere in the case (as the rules read it)."""
    found = [v[name] for v in case.data.values() if isinstance(v, dict) and name in v]  # type: ignore[attr-defined]
    return found[-1] if found else None


def app_on(engine: Engine, actor: Actor = DEMO_ACTOR) -> YishiApp:
    return create_app(engine, actor, "zh", tick_seconds=0, poll_seconds=0, cursor_blink=False)


def shown_keys(app: YishiApp) -> set[str]:
    return {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys; the workflow keys among them must be ones the footer shows."""
    app = pilot.app
    assert isinstance(app, YishiApp)
    for key in keys:
        if key.startswith("f") and key[1:].isdigit():
            assert key in shown_keys(app), f"{key} is not in the footer of {type(app.screen).__name__}"
        await pilot.press(key)
    await pilot.pause(0.4)  # the steps are re-checked after a short pause in typing
    await settle(pilot)


async def to_field(pilot: Pilot[None], name: str) -> None:
    """Tab to the field ``name`` (Tab is how a user moves between fields)."""
    for _ in range(30):
        focused = pilot.app.focused
        if focused is not None and focused.id == f"input-{name}":
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {name}; focus is on {pilot.app.focused}")


async def fill(pilot: Pilot[None], **values: str) -> None:
    for name, text in values.items():
        await to_field(pilot, name)
        if text.startswith("<choose"):  # open the drop-down, take the N-th choice (default the first)
            n = int(text[len("<choose:"):-1]) if text.startswith("<choose:") else 1
            await press(pilot, "enter", *(["down"] * n), "enter")
        else:
            await press(pilot, *text)


async def take(pilot: Pilot[None], trigger: str, *, irreversible: bool = False, move: str = "",
               dialog: dict[str, str] | None = None) -> None:
    """F6 to the steps; the cursor is already on ``trigger`` (the first step forward) unless
    ``move`` (up/down) is pressed to reach it; the step is possible (or only waits for its own
    ``dialog`` fields); Enter; the confirmation names it; Enter (Tab, Enter for an irreversible one)."""
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, CaseScreen)
    await press(pilot, "f6")
    actions = screen.query_one("#actions", OptionList)
    step = next(a for a in screen.actions if a.trigger == trigger)
    for _ in range(len(screen.actions)):
        if actions.get_option_at_index(actions.highlighted or 0).id == trigger or not move:
            break
        await press(pilot, move)
    chosen = actions.get_option_at_index(actions.highlighted or 0).id
    assert chosen == trigger, f"the cursor is on {chosen}, not {trigger}: {step.reasons}"
    assert step.enabled or (dialog is not None and step.ready), f"{step.title} refused: {step.reasons}"
    await press(pilot, "enter")
    if dialog is not None:
        assert isinstance(app.screen, FormDialog)
        await fill(pilot, **dialog)
        await press(pilot, "ctrl+s")
    assert isinstance(app.screen, ConfirmDialog), app.screen
    assert step.title in str(app.screen.query_one(".dialog-body").render())
    await press(pilot, *(("tab", "enter") if irreversible else ("enter",)))
    assert app.screen is screen


async def advance(pilot: Pilot[None], engine: Engine, days: int) -> None:
    """Let simulated time pass. With helper `time`'s F4 dialog in the footer, the keys; until
    it lands, the same engine call its dialog makes (Engine.advance_by), then the screen reloads."""
    app = pilot.app
    assert isinstance(app, YishiApp)
    advance_key = next((b.binding.key for b in app.screen.active_bindings.values()
                        if b.binding.action == "advance_time"), None)  # helper time's dialog
    if advance_key is not None:
        await pilot.press(advance_key)
        await settle(pilot)
        days_box = app.screen.query_one("#sim-days")
        days_box.focus()
        days_box.value = ""  # type: ignore[attr-defined]
        await press(pilot, *str(days), "enter")
    else:
        engine.advance_by(timedelta(days=days))
        app._timers_fired(1)
        await settle(pilot)


# ---------------------------------------------------------------- 四议两公开, proposal to archive
@pilot
async def test_four_discussions_two_disclosures_from_proposal_to_archive(demo: Engine) -> None:
    app = app_on(demo)
    async with running(app, size=SIZE) as pilot:
        await press(pilot, "n")
        assert isinstance(app.screen, NewCaseScreen)
        menu = app.screen.query_one("#procedures", OptionList)
        while menu.get_option_at_index(menu.highlighted or 0).id != "four_discussions_two_disclosures":
            await press(pilot, "down")
        await press(pilot, "enter")
        await fill(pilot, subject="村口广场路灯维修", matter_type="<choose:7>", proposal="路灯损坏，提议维修")  # 建设项目: not an art. 24 matter
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        cid = screen.case_id
        assert demo.case(cid).state == "proposal"

        await take(pilot, "submit_to_committees")
        assert app.focused is not None and app.focused.id == "input-meeting_date"  # the next thing to do
        await fill(pilot, meeting_date="今天", minutes="两委一致同意提交党员大会")
        await take(pilot, "submit_to_party_members")
        await fill(pilot, meeting_date="今天", party_members="30", party_attended="25", party_votes_for="20",
                   minutes="党员大会审议通过")
        await take(pilot, "submit_to_representatives")
        await fill(pilot, meeting_date="今天", representatives="31", attended="25", votes_for="20",
                   resolution="同意维修", minutes="应到 31 人，实到 25 人，赞成 20 人")
        await take(pilot, "pass_resolution")
        await fill(pilot, notice_place="村务公开栏")
        step = next(a for a in screen.actions if a.trigger == "start_implementation")
        assert not step.enabled and any("还差 7天" in r for r in step.reasons)  # explained on screen
        await advance(pilot, demo, 7)
        await take(pilot, "start_implementation")
        await fill(pilot, completed_on="今天", progress="已更换 6 盏路灯")
        await take(pilot, "disclose_results")
        await fill(pilot, results="6 盏路灯已修复", results_notice_place="村务公开栏")
        await advance(pilot, demo, 7)
        await take(pilot, "archive", irreversible=True)
        case = demo.case(cid)
        assert (case.state, case.is_open) == ("archived", False)
        assert "已办结" in str(screen.query_one("#case-meta").render())


# ---------------------------------------------------------------- a mediation, extended with consent
@pilot
async def test_a_mediation_with_the_consent_based_extension(demo: Engine) -> None:
    committee = Actor.of("周主任", "mediation_committee", "mediator")
    app = app_on(demo, committee)
    async with running(app, size=SIZE) as pilot:
        await press(pilot, "3")
        (leak,) = demo.cases(CaseFilter(search="楼上漏水"))
        table = app.screen.query_one("#cases")
        while str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) != str(leak.id):
            await press(pilot, "down")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        due_before = latest(demo.case(leak.id), "mediation_due")
        await take(pilot, "hold_session", move="up", dialog={
            "session_date": "今天", "present": "郑大爷、冯女士、调解员刘德明", "record": "双方同意等待鉴定"})
        await take(pilot, "extend", move="down", dialog={
            "party_a_consents": "<choose>", "party_b_consents": "<choose>", "extension_reason": "等待鉴定结果"})
        after = demo.case(leak.id)
        assert latest(after, "extensions") == 1 and latest(after, "mediation_due") > due_before
        assert not next(a for a in screen.actions if a.trigger == "extend").ready  # only once
        await take(pilot, "reach_agreement")
        await fill(pilot, agreement_form="<choose>", agreement_parties="郑大爷、冯女士",
                   agreement_facts="卫生间漏水", disputed_matters="赔偿金额", obligations="冯女士赔偿 3000 元",
                   performance_method="转账", performance_due="+7d", signed_by_parties="<choose>",
                   signed_by_mediator="刘德明")
        await take(pilot, "sign_agreement", irreversible=True)
        await fill(pilot, performance_status="<choose>")
        await take(pilot, "check_performance")
        await fill(pilot, visit_date="今天", visited="郑大爷", dispute_settled="<choose>")
        await take(pilot, "close", irreversible=True)
        assert demo.case(leak.id).state == "closed"


# ---------------------------------------------------------------- a grid event, escalated automatically
@pilot
async def test_a_grid_event_escalated_automatically_and_an_urge(demo: Engine) -> None:
    grid = Actor.of("王小燕", "grid_member", "grid_leader")
    app = app_on(demo, grid)
    async with running(app, size=SIZE) as pilot:
        await press(pilot, "n")
        menu = app.screen.query_one("#procedures", OptionList)
        while menu.get_option_at_index(menu.highlighted or 0).id != "grid_escalation":
            await press(pilot, "down")
        await press(pilot, "enter")
        await fill(pilot, subject="路灯不亮", reporter="李阿姨", place="3 号楼前", category="<choose:4>",
                   urgency="<choose>", description="3 号楼前两盏路灯不亮")
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        cid = screen.case_id
        await take(pilot, "dispatch")
        assert "deadline_passed" not in {a.trigger for a in screen.actions}  # the timer's step, not a person's
        await advance(pilot, demo, 3)  # tier 1's two days run out: escalated automatically
        assert demo.case(cid).state == "tier_2"
        await press(pilot, "f7")
        assert "到期自动：逾期自动上报" in str(screen.query_one("#timeline").render())
        await press(pilot, "f6")
        await fill(pilot, measures="联系物业更换灯泡")
        await take(pilot, "resolve")
        await fill(pilot, feedback_to_reporter="已修复", feedback_on="今天")
        await take(pilot, "give_feedback")
        await fill(pilot, checked_on_site="<choose>", verified_by="王小燕")
        await take(pilot, "verify")
        await fill(pilot, satisfaction="<choose>")
        await take(pilot, "evaluate", irreversible=True)  # it closes the event: Enter alone would cancel
        case = demo.case(cid)
        assert (case.state, case.data["tier_2"]["resolved_tier"]) == ("closed", 2)
        # the secretary urges (催办) another overdue grid event that the grid member holds:
        # Esc to the list, p to act as 马书记, 2 for the overdue tab, Enter on the event, and the
        # step list's last entry (the secretary cannot move it, so it is the only one)
        overdue = [c for c in demo.cases(CaseFilter(open=True, overdue_at=demo.now(), workflow_id="grid_escalation"))
                   if c.act_roles == ("grid_member",)]
        assert overdue, "the demo has an overdue grid event held by a grid member"
        held = overdue[0].id
        await press(pilot, "escape", "p")
        people = app.screen.query_one("#people", OptionList)
        names = [str(people.get_option_at_index(i).prompt) for i in range(people.option_count)]
        assert any(n.startswith("马书记") for n in names), names
        for _ in range(50):  # the picker focuses its list once mounted (slower under load)
            if app.focused is people:
                break
            await pilot.pause(0.1)
        assert app.focused is people
        for _ in range(people.option_count):
            if str(people.get_option_at_index(people.highlighted or 0).prompt).startswith("马书记"):
                break
            await press(pilot, "down")
        await press(pilot, "enter", "2")
        table = app.screen.query_one("#cases", DataTable)
        for _ in range(table.row_count):
            if table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == str(held):
                break
            await press(pilot, "down")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.case_id == held
        await press(pilot, "f6")
        steps = screen.query_one("#actions", OptionList)
        assert steps.get_option_at_index(steps.highlighted or 0).id == URGE
        await press(pilot, "enter")
        urge = demo.history(held)[-1]
        assert (urge.kind, urge.actor, urge.data["urged"]) == ("urge", "马书记", ["grid_member"])
        assert demo.case(held).state == overdue[0].state  # an urge does not move the case
