"""The database's mode (real, simulation, sandbox), a simulation's stored clock and ``advance``,
and the demo as a simulation (issue #8, "Time in the demo and in training")."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.cli import app
from yishi.engine import Actor, Engine
from yishi.testing import SimClock
from yishi.time.mode import TimeError

SEC = Actor.of("王书记", "secretary")
START = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


def _to_notice(engine: Engine) -> int:
    """A 四议两公开 case up to the resolution's notice period (Organic Law art. 30: the
    resolution is made public; the workflow's notice period is 7 days)."""
    case = engine.start(FOUR, SEC, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", SEC)
    engine.fire(case.id, "submit_to_party_members", SEC, COMMITTEES)
    engine.fire(case.id, "submit_to_representatives", SEC, PARTY)
    engine.fire(case.id, "pass_resolution", SEC, representatives(14, 8))
    assert engine.case(case.id).state == "resolution_notice"
    return case.id


def test_a_new_database_is_a_sandbox_and_cannot_be_advanced(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        assert engine.mode == "sandbox"
        with pytest.raises(TimeError) as err:
            engine.advance(engine.now() + timedelta(days=1))
        assert "simulation" in err.value.message and "模拟" in err.value.message_zh


def test_a_simulation_keeps_its_clock_in_the_database(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        engine.set_mode("simulation", now=START)
        assert engine.mode == "simulation" and engine.now() == START
    with Engine.open(sqlite_url) as again, Engine.open(sqlite_url) as other:
        assert again.mode == "simulation" and again.now() == START  # stays put while nobody advances
        again.advance_by("2d")
        assert other.now() == START + timedelta(days=2)  # every program on it sees the same now
        with pytest.raises(TimeError) as err:
            again.advance(START)
        assert "forward" in err.value.message and "向前" in err.value.message_zh


def test_advance_fires_timers_in_order_exactly_as_sim_clock_run_until(tmp_path: Path) -> None:
    # the twin: the testing kit's SimClock on a sandbox database
    with SimClock(START) as clock, Engine.open(f"sqlite:///{tmp_path / 'kit.db'}") as kit:
        case_id = _to_notice(kit)
        clock.run_until(kit, "1d")
        expected = clock.run_until(kit, "100d")
        kit_events = [(e.kind, e.trigger, e.at - START) for e in kit.history(case_id)]
    with Engine.open(f"sqlite:///{tmp_path / 'sim.db'}") as sim:
        sim.set_mode("simulation", now=START)
        sim_case = _to_notice(sim)
        sim.advance_by("1d")
        got = sim.advance_by("100d")
        sim_events = [(e.kind, e.trigger, e.at - START) for e in sim.history(sim_case)]
        assert sim.now() == START + timedelta(days=101)
    assert [(r.outcome, r.timer.due_at - START) for r in got] == \
        [(r.outcome, r.timer.due_at - START) for r in expected]
    assert got and all(r.event is None or r.event.at == r.timer.due_at for r in got)  # each at its own time
    assert sim_events == kit_events


def test_advance_to_next_stops_at_the_next_deadline(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        engine.set_mode("simulation", now=START)
        case_id = _to_notice(engine)
        due = engine.next_due()
        assert due is not None
        results = engine.advance_to_next()
        assert engine.now() == due and [r.outcome for r in results] == ["reminded"]
        # the 7-day notice period has passed: the next step is possible now
        engine.fire(case_id, "start_implementation", SEC, {"notice_place": "村务公开栏"})
        assert engine.case(case_id).state == "implementation"


def test_a_real_database_refuses_ticking_in_the_future(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        case_id = _to_notice(engine)  # before the database is real: then only registered people act
        engine.set_mode("real")
        assert engine.mode == "real"
        with pytest.raises(TimeError) as err:
            engine.tick(engine.now() + timedelta(days=8))
        assert "real database" in err.value.message and "正式数据库" in err.value.message_zh
        assert [e.kind for e in engine.history(case_id)].count("remind") == 0  # nothing fired early
        assert engine.tick(engine.now() - timedelta(days=30)) == []  # the past means the present
        with pytest.raises(TimeError):
            engine.advance_by("1d")
        with pytest.raises(TimeError):
            engine.set_mode("simulation")  # a real database stays real


def test_a_simulation_cannot_become_real(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        engine.set_mode("simulation", now=START)
        with pytest.raises(TimeError) as err:
            engine.set_mode("real")
        assert "yishi init" in err.value.message


def test_cli_tick_now_in_the_future_is_refused_on_a_real_database(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        _to_notice(engine)  # before the database is real: then only registered people act
        engine.set_mode("real")
    later = (datetime.now(timezone.utc) + timedelta(days=8)).isoformat()
    for lang, words in (("zh", "正式数据库"), ("en", "real database")):
        result = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", lang, "tick", "--now", later])
        assert result.exit_code == 1 and words in result.output, result.output
        assert "Traceback" not in result.output


def test_cli_advance(sqlite_url: str) -> None:
    refused = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "en", "advance", "--days", "3"])
    assert refused.exit_code == 1 and "only a simulation" in refused.output
    with Engine.open(sqlite_url) as engine:
        engine.set_mode("simulation", now=START)
        _to_notice(engine)
    both = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "en", "advance", "--days", "3", "--next"])
    assert both.exit_code == 2 and "exactly one" in both.output
    nxt = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "zh", "advance", "--next"])
    assert nxt.exit_code == 0 and "提醒" in nxt.output and "模拟时间已推进到" in nxt.output, nxt.output
    to = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "en", "advance", "--to", "2026/12/30"])
    assert to.exit_code == 0, to.output
    with Engine.open(sqlite_url) as engine:
        assert engine.now().astimezone(engine.tz).date().isoformat() == "2026-12-30"
    bad = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "en", "advance", "--to", "soon"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def _demo(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yishi.cli", "--db", url, "--lang", "en", "demo", "--no-tui",
                           *extra], env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"},
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_demo_opens_the_existing_database_and_rebuilds_only_with_reset(demo_url: str) -> None:
    with Engine.open(demo_url) as engine:
        assert engine.mode == "simulation"
        count, now = engine.count(), engine.now()
    again = _demo(demo_url)
    assert again.returncode == 0, again.stderr
    assert "opened the demo database" in again.stdout
    with Engine.open(demo_url) as engine:
        assert engine.count() == count  # not duplicated
        assert engine.now() == now  # its simulated time is where it was left
        engine.advance_by("10d")
    reset = _demo(demo_url, "--reset")
    assert reset.returncode == 0, reset.stderr
    with Engine.open(demo_url) as engine:
        assert engine.count() == count and engine.mode == "simulation"


def test_demo_refuses_a_real_database_and_one_with_other_cases(tmp_path: Path) -> None:
    real = f"sqlite:///{tmp_path / 'real.db'}"
    with Engine.open(real) as engine:
        engine.set_mode("real")
    busy = f"sqlite:///{tmp_path / 'busy.db'}"
    with Engine.open(busy) as engine:
        engine.start(FOUR, SEC, PROPOSAL)
    for url, words in ((real, "real database"), (busy, "already holds 1 other cases")):
        for extra in ((), ("--reset",)):
            result = _demo(url, *extra)
            assert result.returncode == 1 and words in result.stderr + result.stdout, result.stderr
            assert "Traceback" not in result.stderr
    with Engine.open(real) as engine:
        assert engine.count() == 0
    with Engine.open(busy) as engine:
        assert engine.count() == 1 and engine.mode == "sandbox"
