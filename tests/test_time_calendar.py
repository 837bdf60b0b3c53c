"""Durations in the units the rules use (issue #12 item 5): calendar months, working days and
working hours on China's calendar with its make-up working days, deployment overrides (global and
per organisation unit), and a loud warning for a year whose arrangement is not published."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from yishi.definition.loader import load_text
from yishi.engine import Actor, Engine
from yishi.errors import DefinitionError
from yishi.testing import Scenario, SimClock, workflow_files
from yishi.time.calendar import UnpublishedCalendarWarning, WorkCalendar, calendar_from_config
from yishi.time.durations import Span, add_duration, describe, parse_span

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


def ends(moment: datetime) -> str:
    return moment.astimezone(SH).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- the calendar itself
def test_the_2025_national_day_holiday_and_its_make_up_sunday() -> None:
    # State Council notice on the 2025 holiday arrangement (国办发明电〔2024〕12号): National Day and
    # Mid-Autumn Festival off 1-8 October 2025; Sunday 28 September and Saturday 11 October are
    # working days (调休).
    for day in range(1, 9):
        assert not CAL.is_working_day(date(2025, 10, day)), f"2025-10-0{day} is a day off"
    assert CAL.is_working_day(date(2025, 9, 28))  # a Sunday, worked
    assert CAL.is_working_day(date(2025, 10, 11))  # a Saturday, worked
    assert CAL.is_working_day(date(2025, 10, 9)) and not CAL.is_working_day(date(2025, 10, 12))


def test_working_days_skip_holidays_and_count_make_up_days() -> None:
    # Civil Code art. 201: the starting day is not counted; the last day ends at 24:00 (art. 203).
    # From Friday 26 September 2025: Sat 27 off, Sun 28 worked (1), Mon 29 (2), Tue 30 (3).
    assert ends(add_duration(local(2025, 9, 26, 10), "3wd")) == "2025-10-01 00:00"
    # From Tuesday 30 September: 1-8 October off, then Thu 9, Fri 10, Sat 11 (a make-up day).
    assert ends(add_duration(local(2025, 9, 30, 10), "3wd")) == "2025-10-12 00:00"
    # 0wd: the end of the day (emergencies the same day); of the next working day on a day off
    assert ends(add_duration(local(2025, 10, 3, 10), "0wd")) == "2025-10-10 00:00"


def test_working_hours_run_in_office_hours_on_working_days() -> None:
    # GB/T 30428 local limits such as "dispatch within 1 working hour": 08:30-12:00, 13:30-17:30
    assert ends(add_duration(local(2025, 9, 30, 16, 0), "2wh")) == "2025-10-09 09:00"
    assert ends(add_duration(local(2025, 9, 30, 11, 30), "1wh")) == "2025-09-30 14:00"  # over lunch
    assert ends(add_duration(local(2025, 9, 27, 20, 0), "1wh")) == "2025-09-28 09:30"  # make-up Sunday


def test_calendar_months_follow_the_civil_code() -> None:
    # Civil Code art. 202: a month from 4 February ends on 4 March (today "one month" is 30 days,
    # which would end on 6 March)
    assert ends(add_duration(local(2026, 2, 4, 10), "1mo")) == "2026-03-05 00:00"
    assert ends(add_duration(local(2026, 2, 4, 10), "P1M")) == "2026-03-05 00:00"
    # no corresponding day: the month's last day (31 January + 1 month = 28 February)
    assert ends(add_duration(local(2025, 1, 31, 10), "1mo")) == "2025-03-01 00:00"
    assert ends(add_duration(local(2024, 1, 31, 10), "1mo")) == "2024-03-01 00:00"  # 29 Feb 2024, leap
    # art. 203: a last day that is a day off moves to the day after the days off
    assert ends(add_duration(local(2025, 9, 1, 10), "1mo")) == "2025-10-10 00:00"
    # ... but a Saturday that is a make-up working day is a working day: 28 February 2026
    assert ends(add_duration(local(2025, 11, 30, 10), "3mo")) == "2026-03-01 00:00"


def test_spans_parse_describe_and_refuse_clearly() -> None:
    assert parse_span("3wd") == Span(3, "wd") and parse_span("1MO") == Span(1, "mo")
    assert parse_span("7d") == timedelta(days=7)
    assert describe("3wd", "zh") == "3个工作日" and describe("1wh", "en") == "1 working hour"
    assert describe("2mo", "en") == "2 months" and describe("36h") == "1d12h"
    with pytest.raises(ValueError) as err:
        parse_span("3wx")
    assert "'3wd' (working days)" in str(err.value) and "'1mo' (calendar months)" in str(err.value)


def test_an_unpublished_year_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    # the 2027 arrangement is published around November 2026; until the holidays package has it,
    # working days in 2027 are estimated, and every deadline there says so
    assert CAL.is_published(2025) and CAL.is_published(2026) and not CAL.is_published(2027)
    with pytest.warns(UnpublishedCalendarWarning, match="2027"):
        add_duration(local(2026, 12, 28, 10), "5wd")
    assert "not published" in caplog.text and "尚未公布" in caplog.text
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning inside a published year
        add_duration(local(2026, 3, 2, 10), "5wd")
    vouched = calendar_from_config({"published": [2027], "holidays": ["2027-01-04"]}, SH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the deployment listed 2027's days itself
        # 1 January 2027 (New Year), the weekend, 4 January (listed off): Tue 5 (1), Wed 6 (2)
        assert ends(vouched.add_working_days(local(2026, 12, 31, 10), 2)) == "2027-01-07 00:00"


def test_deployment_overrides_globally_and_per_unit(tmp_path: Path) -> None:
    settings = {"holidays": ["2025-09-29"], "workdays": ["2025-10-04"],
                "units": {"和平社区": {"holidays": ["2025-09-30"]}}}
    cal = calendar_from_config(settings, SH)
    assert not cal.is_working_day(date(2025, 9, 29)) and cal.is_working_day(date(2025, 10, 4))
    # from Fri 26 Sep: Sun 28 (1), [29 local holiday], Tue 30 (2), Sat 4 Oct (3, a local working day)
    assert ends(cal.add_working_days(local(2025, 9, 26, 10), 3)) == "2025-10-05 00:00"
    admin = Actor.of("管理员")
    with Engine.open(f"sqlite:///{tmp_path / 'org.db'}", calendar=settings) as engine:
        district = engine.org.add_unit("区", "城关区", by=admin)
        street = engine.org.add_unit("街道", "东街街道", district, by=admin)
        peace = engine.org.add_unit("社区", "和平社区", street, by=admin)
        grid = engine.org.add_unit("网格", "第一网格", peace, by=admin)
        other = engine.org.add_unit("社区", "幸福社区", street, by=admin)
        sec = Actor.of("马书记", "secretary")
        in_grid = engine.start("four_discussions_two_disclosures", sec, {
            "subject": "修路", "matter_type": "project", "proposal": "修路"}, unit=grid)
        elsewhere = engine.start("four_discussions_two_disclosures", sec, {
            "subject": "修桥", "matter_type": "project", "proposal": "修桥"}, unit=other)
        # the community's own day off applies to its grid (a unit below it), not to its neighbour
        assert not engine.calendar_for(engine.case(in_grid.id)).is_working_day(date(2025, 9, 30))
        assert engine.calendar_for(engine.case(elsewhere.id)).is_working_day(date(2025, 9, 30))
        assert not engine.calendar_for(engine.case(elsewhere.id)).is_working_day(date(2025, 9, 29))


# ---------------------------------------------------------------- in workflows
HOTLINE = """
id: hotline_demo
version: 1
title: {zh: 热线工单, en: hotline work order}
description: {zh: 测试用的热线工单, en: a hotline work order for the tests}
params:
  reply_within: {type: duration, default: 3wd, title: {zh: 答复时限, en: reply within}}
roles:
  operator: {title: {zh: 话务员, en: operator}}
states:
  handling:
    initial: true
    title: {zh: 办理, en: handling}
    form:
      - {name: subject, type: text, required: true, label: {zh: 事由, en: subject}}
    timers:
      - after: $reply_within
        fire: overdue
      - after: 1wh
        remind: [operator]
  waiting:
    title: {zh: 回访等待, en: waiting}
    timers:
      - after: 1mo
        fire: close
  overdue:
    title: {zh: 已超时, en: overdue}
    final: true
  closed:
    title: {zh: 办结, en: closed}
    final: true
transitions:
  - {trigger: overdue, source: handling, dest: overdue, title: {zh: 超时, en: overdue}}
  - trigger: reply
    source: handling
    dest: waiting
    title: {zh: 答复, en: reply}
    roles: [operator]
  - trigger: close
    source: waiting
    dest: closed
    title: {zh: 办结, en: close}
    roles: [operator]
    guards:
      - elapsed: {at_least: 1mo, what: {zh: 回访期, en: follow-up period}}
"""


def test_the_validator_accepts_the_new_units_and_names_them_when_wrong() -> None:
    load_text(HOTLINE, "hotline.yaml")
    with pytest.raises(DefinitionError) as err:
        load_text(HOTLINE.replace("default: 3wd", "default: 3wx"), "hotline.yaml")
    assert "'3wd' (working days)" in str(err.value)
    with pytest.raises(DefinitionError) as err:
        load_text(HOTLINE.replace("after: 1mo", "after: 1mon"), "hotline.yaml")
    assert "'1mo' (calendar months)" in str(err.value)


def test_the_json_schema_documents_the_new_units() -> None:
    import jsonschema
    import yaml

    from yishi.definition.schema import workflow_schema

    schema = workflow_schema()
    after = schema["$defs"]["Timer"]["properties"]["after"]
    assert "'3wd'" in after["description"] and "'1mo'" in after["description"]
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(HOTLINE)))
    bad = yaml.safe_load(HOTLINE.replace("after: 1wh", "after: 1wx"))
    assert list(validator.iter_errors(bad))


def test_timers_and_guards_count_working_days_and_months(tmp_path: Path) -> None:
    path = tmp_path / "hotline.yaml"
    path.write_text(HOTLINE, encoding="utf-8")
    operator = Actor.of("小李", "operator")
    # Friday 26 September 2025, 17:00 in Shanghai: 3 working days end with Tuesday 30 September
    with SimClock(local(2025, 9, 26, 17)) as clock, \
            Engine.open(f"sqlite:///{tmp_path / 'h.db'}", plugins=[workflow_files(path)]) as engine:
        sc = Scenario(engine, clock)
        sc.start("hotline_demo", operator, {"subject": "路灯不亮"})
        due = sorted(ends(t.due_at) for t in engine.timers(sc.case.id))
        assert due == ["2025-09-28 09:00", "2025-10-01 00:00"]  # 1wh ends on the make-up Sunday
        ticks = sc.advance("5d")
        assert [(t.outcome, ends(t.timer.due_at)) for t in ticks] == [
            ("reminded", "2025-09-28 09:00"), ("fired", "2025-10-01 00:00")]
        sc.expect_state("overdue")
        # now Wednesday 1 October 2025: the month-long follow-up would end on Saturday 1 November
        # (art. 202), a day off, so it ends with Monday 3 November (art. 203)
        sc.start("hotline_demo", operator, {"subject": "噪音"})
        sc.step(operator, "reply")
        refused = sc.refused(operator, "close")
        assert "回访期未满：需 1个月，2025-11-03 24:00 期满" in refused.message_zh
        assert "the follow-up period of 1 month has not passed: it ends 2025-11-03 24:00" in refused.message
        ticks = sc.advance("40d")
        assert [(t.outcome, ends(t.timer.due_at)) for t in ticks] == [("fired", "2025-11-04 00:00")]
        sc.expect_state("closed")


def test_sim_clock_and_scenario_advance_in_the_new_units(tmp_path: Path) -> None:
    with SimClock(local(2025, 9, 26, 10)) as clock:
        clock.advance("3wd")
        assert ends(clock.now()) == "2025-10-01 00:00"
        clock.advance("1mo")
        assert ends(clock.now()) == "2025-11-04 00:00"  # 1 November is a Saturday: 3 November (art. 203)
    assert datetime.now(timezone.utc).year >= 2026  # the simulated clock is gone again


def test_the_kit_runs_a_simulation_database_in_working_days(make_engine: object) -> None:
    from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives

    engine = make_engine(mode="simulation", start=local(2026, 11, 13, 17))  # type: ignore[operator]
    assert engine.mode == "simulation"
    sc = Scenario(engine)  # no SimClock: the database's own clock moves
    sec = "王书记/secretary"
    sc.start(FOUR, sec, PROPOSAL)
    sc.steps([(sec, "submit_to_committees"), (sec, "submit_to_party_members", COMMITTEES),
              (sec, "submit_to_representatives", PARTY), (sec, "pass_resolution", representatives(14, 8))])
    # 5 working days from Friday 13 November 2026: Monday 16 to Friday 20 November
    ticks = sc.advance("5wd")
    assert ends(engine.now()) == "2026-11-21 00:00"
    assert [t.outcome for t in ticks] == ["reminded"]  # the 7-day notice ran out on the way
    sc.step(sec, "start_implementation", {"notice_place": "村务公开栏"})
    sc.expect_state("implementation")


def test_the_same_day_ends_at_24_00_local() -> None:
    """'0cd': by 24:00 of the starting day (12345 emergencies "the same day"); '1cd': of the next
    (Civil Code arts. 201, 203), whatever the calendar says about working days."""
    from yishi.time.durations import add_duration, describe

    sat = datetime(2025, 10, 4, 2, 0, tzinfo=timezone.utc)  # Saturday 10:00 in China, a holiday
    assert add_duration(sat, "0cd") == datetime(2025, 10, 4, 16, 0, tzinfo=timezone.utc)
    assert add_duration(sat, "1cd") == datetime(2025, 10, 5, 16, 0, tzinfo=timezone.utc)
    assert add_duration(datetime(2025, 10, 4, 17, 0, tzinfo=timezone.utc), "0cd") == \
        datetime(2025, 10, 5, 16, 0, tzinfo=timezone.utc)  # 01:00 on the 5th in China: that day
    assert (describe("0cd", "zh"), describe("0cd", "en")) == ("当日（24时前）", "the same day (by 24:00)")
