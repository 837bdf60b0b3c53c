"""Snapshots of every screen at 100×32 in Chinese and English, and the screens issue 8 changed
at 80×24 and 100×32 (pytest-textual-snapshot).

The clock is injected (fixed), the demo database is the same every time, cursors do not blink.
Update after a deliberate change of layout: ``pytest tests/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest

from test_tui_app import NOW, case_id, make_app, settle
from textual.pilot import Pilot
from textual.widgets import OptionList

from yishi.clock import FixedClock
from yishi.engine import Engine

SIZE = (100, 32)


@pytest.fixture
def engine(demo_url: str) -> Iterator[Engine]:
    """A fresh copy of the demo database for this test, its clock fixed."""
    eng = Engine.open(demo_url, clock=FixedClock(NOW))
    try:
        yield eng
    finally:
        eng.close()
LANGS = ["zh", "en"]
Compare = Callable[..., bool]


def _then(*steps: Callable[[Pilot[None]], Awaitable[None]]) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for step in steps:
            await step(pilot)
            await settle(pilot)
    return run


@pytest.mark.parametrize("lang", LANGS)
def test_cases_screen(snap_compare: Compare, engine: Engine, lang: str) -> None:
    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then())


@pytest.mark.parametrize("lang", LANGS)
def test_cases_screen_overdue(snap_compare: Compare, engine: Engine, lang: str) -> None:
    async def overdue(pilot: Pilot[None]) -> None:
        await pilot.press("2")

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(overdue))


@pytest.mark.parametrize("lang", LANGS)
def test_case_screen(snap_compare: Compare, engine: Engine, lang: str) -> None:
    target = case_id(engine, "修缮三组村道")

    async def open_it(pilot: Pilot[None]) -> None:
        pilot.app.open_case(target)  # type: ignore[attr-defined]

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(open_it))


@pytest.mark.parametrize("lang", LANGS)
def test_case_screen_timeline(snap_compare: Compare, engine: Engine, lang: str) -> None:
    target = case_id(engine, "闲置厂房出租给幼儿园举办者")

    async def open_it(pilot: Pilot[None]) -> None:
        pilot.app.open_case(target)  # type: ignore[attr-defined]

    async def timeline(pilot: Pilot[None]) -> None:
        await pilot.press("f7")

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(open_it, timeline))


@pytest.mark.parametrize("lang", LANGS)
def test_new_case_screen(snap_compare: Compare, engine: Engine, lang: str) -> None:
    async def new(pilot: Pilot[None]) -> None:
        await pilot.press("n")

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(new))


@pytest.mark.parametrize("lang", LANGS)
def test_procedures_screen(snap_compare: Compare, engine: Engine, lang: str) -> None:
    async def procedures(pilot: Pilot[None]) -> None:
        await pilot.press("f3")

    async def four(pilot: Pilot[None]) -> None:
        menu = pilot.app.screen.query_one("#proc-list", OptionList)
        menu.highlighted = next(i for i in range(menu.option_count)
                                if menu.get_option_at_index(i).id == "four_discussions_two_disclosures")

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(procedures, four))


@pytest.mark.parametrize("lang", LANGS)
def test_refused_dialog(snap_compare: Compare, engine: Engine, lang: str) -> None:
    target = case_id(engine, "修缮三组村道")

    async def open_it(pilot: Pilot[None]) -> None:
        pilot.app.open_case(target)  # type: ignore[attr-defined]

    async def refuse(pilot: Pilot[None]) -> None:
        actions = pilot.app.screen.query_one("#actions", OptionList)
        actions.focus()
        actions.highlighted = next(i for i in range(actions.option_count)
                                   if actions.get_option_at_index(i).id == "pass_resolution")
        await pilot.press("enter")

    assert snap_compare(make_app(engine, lang), terminal_size=SIZE, run_before=_then(open_it, refuse))



# ---------------------------------------------------------------- issue 8: the changed screens, both sizes
SIZES = [(80, 24), (100, 32)]


def _open(subject_of: Callable[[Engine], int]) -> Callable[[Engine], Callable[[Pilot[None]], Awaitable[None]]]:
    def make(engine: Engine) -> Callable[[Pilot[None]], Awaitable[None]]:
        target = subject_of(engine)

        async def open_it(pilot: Pilot[None]) -> None:
            pilot.app.open_case(target)  # type: ignore[attr-defined]
        return open_it
    return make


async def _help(pilot: Pilot[None]) -> None:
    await pilot.press("f1")


async def _step(pilot: Pilot[None]) -> None:
    await pilot.press("f6", "enter")  # the first forward step: its confirmation


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_cases_screen_sizes(snap_compare: Compare, engine: Engine, lang: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(engine, lang), terminal_size=size, run_before=_then())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_case_screen_sizes(snap_compare: Compare, engine: Engine, lang: str, size: tuple[int, int]) -> None:
    open_it = _open(lambda e: case_id(e, "修缮三组村道"))(engine)
    assert snap_compare(make_app(engine, lang), terminal_size=size, run_before=_then(open_it))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_help_screen(snap_compare: Compare, engine: Engine, lang: str, size: tuple[int, int]) -> None:
    open_it = _open(lambda e: case_id(e, "修缮三组村道"))(engine)
    assert snap_compare(make_app(engine, lang), terminal_size=size, run_before=_then(open_it, _help))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_confirm_dialog(snap_compare: Compare, engine: Engine, lang: str, size: tuple[int, int]) -> None:
    from yishi.engine import Actor

    open_it = _open(lambda e: case_id(e, "楼上漏水"))(engine)
    app = make_app(engine, lang, actor=Actor.of("周主任", "mediation_committee", "mediator"))
    assert snap_compare(app, terminal_size=size, run_before=_then(open_it, _step))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_extension_dialog_with_live_reasons(snap_compare: Compare, engine: Engine, lang: str,
                                            size: tuple[int, int]) -> None:
    from textual.widgets import Select

    from yishi.engine import Actor

    open_it = _open(lambda e: case_id(e, "楼上漏水"))(engine)

    async def extend(pilot: Pilot[None]) -> None:
        await pilot.press("f6", "down")  # reach_agreement → extend is just above? find it instead
        actions = pilot.app.screen.query_one("#actions", OptionList)
        actions.highlighted = next(i for i in range(actions.option_count)
                                   if actions.get_option_at_index(i).id == "extend")
        await pilot.press("enter")

    async def consent(pilot: Pilot[None]) -> None:
        pilot.app.screen.query_one("#input-party_a_consents", Select).value = "true"
        pilot.app.screen.query_one("#input-party_b_consents", Select).value = "false"

    app = make_app(engine, lang, actor=Actor.of("周主任", "mediation_committee", "mediator"))
    assert snap_compare(app, terminal_size=size, run_before=_then(open_it, extend, consent))
