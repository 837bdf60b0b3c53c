"""The shipped schedules (issue #12 item 12): the representatives' meeting each quarter (Organic
Law of Villagers' Committees art. 26: "村民代表会议由村民委员会召集。村民代表会议每季度召开一次")
and 三务公开 each quarter (art. 30: village affairs are disclosed at least once a quarter), one case
per community or village, exactly once per period; `yishi tick` says what it started; the
representatives' meeting needs two thirds present and more than half of them in favour (art. 26)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typer.testing import CliRunner

from yishi.cli import app
from yishi.engine import CaseFilter, Engine
from yishi.org.demo import build_org
from yishi.testing import Scenario, SimClock

RM = "representatives_meeting"
TA = "three_affairs_disclosure"
# Wednesday 1 April 2026, 09:00 in China: the second quarter's cases fall due
Q2 = datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc)


def _by_unit(engine: Engine, workflow: str) -> list[tuple[str, str]]:
    names = {u.id: u.name for u in engine.org.units()}
    return sorted((names.get(c.unit_id, ""), c.subject) for c in engine.cases(CaseFilter(workflow_id=workflow)))


def test_each_community_gets_its_quarterly_meeting_and_disclosure_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    with SimClock(Q2 - timedelta(days=1)) as clock, Engine.open(url) as engine, Engine.open(url) as other:
        build_org(engine)  # 城东街道: 和平社区 and 幸福社区
        engine.tick()  # the first tick starts the current quarter's (a missed one is not made up)
        assert _by_unit(engine, RM) == [("和平社区", "2026年第1季度村（居）民代表会议"),
                                       ("幸福社区", "2026年第1季度村（居）民代表会议")]
        clock.advance(timedelta(days=1) - timedelta(minutes=1))
        engine.tick()
        assert len(engine.cases()) == 4  # the second quarter's day has not come
        clock.advance(timedelta(minutes=1))
        engine.tick()
        other.tick()  # a second worker on the same database starts nothing more
        engine.tick()
        assert _by_unit(engine, RM)[1::2] == [("和平社区", "2026年第2季度村（居）民代表会议"),
                                             ("幸福社区", "2026年第2季度村（居）民代表会议")]
        assert _by_unit(engine, TA) == [("和平社区", "2026年第1季度三务公开"), ("和平社区", "2026年第2季度三务公开"),
                                       ("幸福社区", "2026年第1季度三务公开"), ("幸福社区", "2026年第2季度三务公开")]
        meeting = engine.cases(CaseFilter(workflow_id=RM))[0]
        assert meeting.data["preparing"]["kind"] == "regular" and meeting.state == "preparing"
        clock.advance(timedelta(days=91))  # 1 July: the third quarter
        engine.tick()
        assert len(engine.cases(CaseFilter(workflow_id=RM))) == 6


def test_without_communities_nothing_is_started(tmp_path: Path) -> None:
    """A sandbox or a test database without an organisation starts no per-community case."""
    with SimClock(Q2) as clock, Engine.open(f"sqlite:///{tmp_path / 'bare.db'}") as engine:
        engine.tick()
        clock.advance(timedelta(days=200))
        engine.tick()
        assert engine.cases() == []


def test_tick_says_which_cases_the_schedules_started(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    with SimClock(Q2 - timedelta(days=1)), Engine.open(url) as engine:
        build_org(engine)
    runner = CliRunner()
    zh = runner.invoke(app, ["--db", url, "--lang", "zh", "tick", "--now", Q2.isoformat()])
    assert zh.exit_code == 0, zh.output
    assert "按日程新建 #1：2026年第2季度村（居）民代表会议（村（居）民代表会议）（和平社区）" in zh.output
    assert zh.output.count("按日程新建") == 4 and "没有到期" not in zh.output
    again = runner.invoke(app, ["--db", url, "--lang", "en", "tick", "--now", Q2.isoformat(), "--json"])
    assert again.exit_code == 0 and '"scheduled": []' in again.output


def test_the_meeting_needs_two_thirds_present_and_a_majority_of_them(yishi_engine: Engine,
                                                                   sim_clock: SimClock) -> None:
    sc = Scenario(yishi_engine, sim_clock)
    sc.start(RM, "马书记/secretary", {"subject": "临时代表会议", "kind": "requested",
                                     "agenda": "审议停车收费", "meeting_date": "2026-01-05"})
    sc.step("马书记/secretary", "convene")
    short = sc.refused("马书记/secretary", "close_meeting", {
        "meeting_date": "2026-01-05", "representatives": 30, "attended": 19, "votes_for": 19,
        "resolution": "同意", "minutes": "记录"})
    reasons = [v.reason_zh for v in short.verdicts if not v.ok]
    assert len(reasons) == 1 and "代表" in reasons[0] and "19" in reasons[0], reasons
    sc.step("马书记/secretary", "postpone")  # too few came: put off and prepared again
    assert sc.case.state == "preparing" and sc.case.data["preparing"]["agenda"] == "审议停车收费"
    sc.step("马书记/secretary", "convene")
    tied = sc.refused("马书记/secretary", "close_meeting", {
        "meeting_date": "2026-01-05", "representatives": 30, "attended": 20, "votes_for": 10,
        "resolution": "同意", "minutes": "记录"})
    assert [v.rule for v in tied.verdicts if not v.ok] == ["majority"]  # half is not more than half
    sc.step("马书记/secretary", "close_meeting", {
        "meeting_date": "2026-01-05", "representatives": 30, "attended": 20, "votes_for": 11,
        "resolution": "同意", "minutes": "记录"})
    assert sc.case.state == "archived"


def test_an_unheld_quarterly_meeting_is_reminded(yishi_engine: Engine, sim_clock: SimClock) -> None:
    sc = Scenario(yishi_engine, sim_clock)
    sc.start(RM, "马书记/secretary", {"subject": "2026年第1季度村民代表会议", "kind": "regular"})
    ticks = sc.advance("61d")
    assert [(t.outcome, t.event.data["remind"]) for t in ticks] == [("reminded", ["secretary", "village_committee"])]
