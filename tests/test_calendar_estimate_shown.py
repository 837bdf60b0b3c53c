"""A deadline in a year whose official holidays are not published yet is shown as an estimate
where the user reads deadlines (issue #12 item 1: "a loud warning"), not only logged."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

from yishi.engine import Engine
from yishi.testing import Scenario, SimClock
from yishi.time.calendar import official_published
from yishi.tui.data import load_case

CALL = {"subject": "小区电梯停运", "caller": "市民何先生", "kind": "complaint", "content": "电梯停运三天。"}


def test_a_deadline_in_an_unpublished_year_says_it_is_estimated(make_engine: object) -> None:
    assert official_published(2026) and not official_published(2027)
    with SimClock(datetime(2026, 12, 28, 1, 0, tzinfo=timezone.utc)) as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the engine also warns (UnpublishedCalendarWarning) and logs
        engine: Engine = make_engine()  # type: ignore[operator]
        sc = Scenario(engine, clock)
        sc.start("hotline_12345", "话务员/operator", CALL)
        sc.step("话务员/operator", "dispatch", {"unit_name": "区住建局"})  # 13 working days: January 2027
        zh = load_case(engine, sc.case.id, _actor(), engine.now(), "zh")
        en = load_case(engine, sc.case.id, _actor(), engine.now(), "en")
    assert any("2027 年节假日安排未公布" in d.what for d in zh.deadlines), [d.what for d in zh.deadlines]
    assert any("2027's official holidays are not published yet" in d.what for d in en.deadlines)


def test_a_deadline_in_a_published_year_is_not_flagged(yishi_engine: Engine, sim_clock: SimClock) -> None:
    sc = Scenario(yishi_engine, sim_clock)  # January 2026
    sc.start("hotline_12345", "话务员/operator", CALL)
    sc.step("话务员/operator", "dispatch", {"unit_name": "区住建局"})
    view = load_case(yishi_engine, sc.case.id, _actor(), yishi_engine.now(), "zh")
    assert view.deadlines and not any("未公布" in d.what for d in view.deadlines)


def _actor() -> object:
    from yishi.engine import Actor

    return Actor.of("督办科老孙", "supervisor")
