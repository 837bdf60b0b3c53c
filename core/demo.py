"""A demo database: realistic cases drawn from the seeds, in several states, with months of history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from yishi.clock import FixedClock
from yishi.engine.engine import Engine
from yishi.engine.types import Actor

FOUR = "four_discussions_two_disclosures"
SECRETARY = Actor.of("马书记", "secretary", "committee_member")

Story = Callable[[Engine, FixedClock], None]


TODAY = "@today"  # replaced by the simulated date when the step is taken


def _dated(data: dict, clock: FixedClock) -> dict:
    today = clock.now().astimezone(timezone(timedelta(hours=8))).date().isoformat()
    return {k: today if v == TODAY else v for k, v in data.items()}


def _walk(engine: Engine, clock: FixedClock, case_id: int, steps: list[tuple[str, dict, str]]) -> None:
    """Fire (trigger, data, wait-after) steps, letting time pass and timers fire in between."""
    for trigger, data, wait in steps:
        engine.fire(case_id, trigger, SECRETARY, _dated(data, clock))
        if wait:
            from yishi.durations import parse_duration

            target = clock.now() + parse_duration(wait)
            while (due := engine.next_due()) is not None and due <= target:
                clock.set(max(due, clock.now()))
                engine.tick(clock.now())
            clock.set(target)


def _meeting(date: str, total: int, attended: int, votes: int, resolution: str) -> dict:
    return {"meeting_date": date, "representatives": total, "attended": attended, "votes_for": votes,
            "votes_against": attended - votes, "resolution": resolution,
            "minutes": f"应到代表 {total} 人，实到 {attended} 人；赞成 {votes} 票。"}


def kindergarten(engine: Engine, clock: FixedClock) -> None:
    """四议两公开 on renting an idle workshop to a kindergarten operator (seed 001)."""
    case = engine.start(FOUR, SECRETARY, {
        "subject": "闲置厂房出租给幼儿园举办者", "matter_type": "collective_assets",
        "proposal": "村集体原砖厂闲置厂房 600 平方米，拟出租给幼儿园举办者，租期 5 年，年租金 6 万元，租金用于村内公益事业。",
        "proposed_by": "村党支部"})
    _walk(engine, clock, case.id, [
        ("submit_to_committees", {}, "3d"),
        ("submit_to_party_members", {"meeting_date": TODAY, "participants": "两委成员 7 人",
                                     "minutes": "两委会商议：同意提交党员大会审议，需明确消防安全责任。"}, "5d"),
        ("submit_to_representatives", {"meeting_date": TODAY, "party_members": 46,
                                       "party_attended": 39, "party_votes_for": 35,
                                       "minutes": "党员大会审议通过，建议租金逐年递增。"}, "6d"),
        ("pass_resolution", _meeting(TODAY, 31, 25, 21, "同意出租，租期 5 年，租金每年递增 3%。"), "2d"),
    ])


def village_road(engine: Engine, clock: FixedClock) -> None:
    """四议两公开 on repairing the village road, stuck at the representatives' meeting (short of quorum)."""
    case = engine.start(FOUR, SECRETARY, {
        "subject": "修缮三组村道", "matter_type": "project",
        "proposal": "三组村道 1.2 公里破损严重，拟使用一事一议资金修缮。", "proposed_by": "马书记"})
    _walk(engine, clock, case.id, [
        ("submit_to_committees", {}, "2d"),
        ("submit_to_party_members", {"meeting_date": TODAY,
                                     "minutes": "同意，预算控制在 40 万元以内。"}, "4d"),
        ("submit_to_representatives", {"meeting_date": TODAY, "party_members": 46,
                                       "party_attended": 33, "party_votes_for": 30,
                                       "minutes": "审议通过。"}, "3d"),
    ])
    engine.record(case.id, SECRETARY, _dated({"meeting_date": TODAY, "representatives": 31,
                                                   "attended": 18, "votes_for": 15}, clock))


def street_lights(engine: Engine, clock: FixedClock) -> None:
    """四议两公开 on street lighting, implemented, disclosed and archived."""
    case = engine.start(FOUR, SECRETARY, {
        "subject": "公共照明改造", "matter_type": "public_welfare",
        "proposal": "更换主干道路灯 48 盏为太阳能路灯。", "proposed_by": "村党支部"})
    _walk(engine, clock, case.id, [
        ("submit_to_committees", {}, "2d"),
        ("submit_to_party_members", {"meeting_date": TODAY, "minutes": "同意。"}, "3d"),
        ("submit_to_representatives", {"meeting_date": TODAY, "party_members": 46,
                                       "party_attended": 40, "party_votes_for": 38, "minutes": "通过。"}, "4d"),
        ("pass_resolution", _meeting(TODAY, 31, 27, 26, "同意更换路灯 48 盏。"), "8d"),
        ("start_implementation", {"notice_place": "村务公开栏、村民微信群"}, "40d"),
        ("disclose_results", {"progress": "路灯已全部安装并通过验收。", "completed_on": TODAY}, "8d"),
        ("archive", {"results": "48 盏路灯已投入使用，总费用 19.2 万元。",
                     "results_notice_place": "村务公开栏"}, ""),
    ])


STORIES: dict[str, list[Story]] = {FOUR: [street_lights, kindergarten, village_road]}


def build_demo(url: str, *, now: datetime | None = None, days: int = 120) -> Engine:
    """Create a demo database at ``url`` (which should be new) and return an engine on it.

    Stories run on a clock that starts ``days`` ago and is moved forward step by step, so
    the history spans months and timers fire as they would have; the returned engine's
    clock is the system clock again.
    """
    end = now or datetime.now(timezone.utc)
    clock = FixedClock(end - timedelta(days=days))
    engine = Engine.open(url, clock=clock)
    known = {loaded.workflow.id for loaded in engine.workflows()}
    for workflow_id, stories in STORIES.items():
        if workflow_id not in known:
            continue
        for story in stories:
            story(engine, clock)
            clock.advance(timedelta(days=3))
    engine.tick(end)
    from yishi.clock import SystemClock

    engine.clock = SystemClock() if now is None else FixedClock(end)
    return engine


def demo_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("yishi", appauthor=False, ensure_exists=True) / "demo.db"
