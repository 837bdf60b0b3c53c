"""The TUI on a simulation database (issue #8, "Time in the demo and in training"): the header
shows 模拟 and the simulated date, F10 advances time (to the next deadline, or N days), and a
secretary in the demo can wait out the 7-day notice period and take the next step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from textual.widgets import Button, Input

from test_tui_app import choose_action, open_case, pilot, running, settle, type_into
from yishi.demo import DEMO_ACTOR
from yishi.engine import Actor, Engine
from yishi.tui.app import create_app
from yishi.tui.simulation import AdvanceDialog

SEC = Actor.of("马书记", "secretary")


@pytest.fixture
def demo(demo_url: str) -> Iterator[Engine]:
    engine = Engine.open(demo_url)  # no injected clock: the simulation's own stored clock
    try:
        yield engine
    finally:
        engine.close()


def _footer_keys(app: object) -> set[str]:
    return {b.binding.action for b in app.screen.active_bindings.values()}  # type: ignore[attr-defined]


@pilot
async def test_advance_past_the_notice_period_and_take_the_next_step(demo: Engine) -> None:
    assert demo.mode == "simulation"
    road = next(c for c in demo.cases() if c.subject == "修缮三组村道")
    # someone passed the resolution today; its 7-day notice period starts now
    # (the workflow's notice_period param: the resolution is disclosed before implementation)
    demo.fire(road.id, "pass_resolution", SEC, {"meeting_date": "2026-11-20", "representatives": 31,
                                                "attended": 25, "votes_for": 20, "resolution": "同意修路",
                                                "minutes": "应到 31 人，实到 25 人，赞成 20 人。"})
    app = create_app(demo, DEMO_ACTOR, "zh", tick_seconds=0, cursor_blink=False)
    async with running(app, size=(80, 24)) as pilot:
        assert "模拟 2026-11-20" in app.title
        assert "advance_time" in _footer_keys(app)
        screen = await open_case(pilot, app, demo, "修缮三组村道")
        await type_into(pilot, app, "notice_place", "村务公开栏")
        step = next(a for a in screen.actions if a.trigger == "start_implementation")
        assert not step.enabled and any("公示期" in r for r in step.reasons)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, AdvanceDialog)
        days = app.screen.query_one("#sim-days", Input)
        days.value = ""
        days.focus()
        await pilot.press("x", "7")  # letters are not taken
        assert days.value == "7"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert "模拟 2026-11-27" in app.title
        assert demo.now() == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
        assert next(a for a in screen.actions if a.trigger == "start_implementation").enabled
        await choose_action(pilot, app, "start_implementation")
        assert demo.case(road.id).state == "implementation"
        reminded = [e for e in demo.history(road.id) if e.kind == "remind"]
        assert reminded and reminded[-1].at == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


@pilot
async def test_advance_to_the_next_deadline(demo: Engine) -> None:
    due = demo.next_due()
    assert due is not None
    app = create_app(demo, DEMO_ACTOR, "en", tick_seconds=0, cursor_blink=False)
    async with running(app) as pilot:
        assert "simulated 2026-11-20" in app.title
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, AdvanceDialog)
        assert app.screen.query_one("#sim-next-btn", Button).has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert demo.now() == due
        assert f"simulated {due.astimezone(demo.tz).date().isoformat()}" in app.title


@pilot
async def test_no_advance_time_outside_a_simulation(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        assert engine.mode == "sandbox"
        app = create_app(engine, DEMO_ACTOR, "zh", tick_seconds=0, cursor_blink=False)
        async with running(app) as pilot:
            assert "模拟" not in app.title
            assert "advance_time" not in _footer_keys(app)
            await pilot.press("f10")
            await settle(pilot)
            assert not isinstance(app.screen, AdvanceDialog)
