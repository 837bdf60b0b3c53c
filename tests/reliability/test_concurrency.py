"""Concurrency and crashes with real processes (issue #10, findings 9 and 10, and "done means"):

- 8 processes stepping their own cases while a ticker process fires the reminders those steps
  set (each due at once), on SQLite and on PostgreSQL: no lost update, no conflict for a right
  revision, every timer fired once, every chain intact;
- ``kill -9`` of stepping and ticking processes at random moments: no acknowledged step lost;
- six simultaneous first starts of a workflow: all open a case.

Each prints its figure. ``YISHI_RELIABILITY_SECONDS`` (default 4) and ``YISHI_RELIABILITY_KILLS``
(default 6) make the runs longer.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from yishi.engine import Actor, Engine
from yishi.testing import workflow_files

sys.path.insert(0, str(Path(__file__).parent))
from proc import CLERK, write_workflow  # noqa: E402

SECONDS = float(os.environ.get("YISHI_RELIABILITY_SECONDS", "4"))
KILLS = int(os.environ.get("YISHI_RELIABILITY_KILLS", "6"))
PROC = str(Path(__file__).parent / "proc.py")


def _spawn(*args: Any, go: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "YISHI_GO_FILE": str(go)} if go is not None else None
    return subprocess.Popen([sys.executable, PROC, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_ready(proc: subprocess.Popen[str], *, drain: bool = False) -> list[str]:
    """Read the child's lines up to ``ready`` (it has opened the engine); ``drain``: keep
    reading its stderr (when nobody calls ``communicate``), so a full pipe never blocks it."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        if line.strip() == "ready":
            if drain:
                threading.Thread(target=proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
            return seen
        seen.append(line.rstrip("\n"))
    proc.wait()
    raise AssertionError(f"the child exited before it was ready: {seen} {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]


def _open_cases(url: str, wfdir: Path, n: int) -> None:
    engine = Engine.open(url, plugins=[workflow_files(wfdir)])
    try:
        for _ in range(n):
            engine.start("pingpong", CLERK)
    finally:
        engine.close()


def _parse(lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"acks": defaultdict(list), "conflicts": [], "storage": [], "ticks": [], "done": None}
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "ack":
            case, rev, seq = map(int, rest.split())
            out["acks"][case].append((rev, seq))
        elif kind == "conflict":
            out["conflicts"].append(rest)
        elif kind == "storage":
            out["storage"].append(rest)
        elif kind == "tick":
            outcome, timer, case, seq = rest.split()
            out["ticks"].append((outcome, int(timer), int(case), int(seq)))
        elif kind == "done":
            out["done"] = json.loads(rest)
    return out


def _check_record(url: str, wfdir: Path, acks: dict[int, list[tuple[int, int]]], *,
                  exact: bool) -> dict[str, int]:
    """Every acknowledged step is in the record; every timer fired at most once (and each fired
    timer has its one event); every chain is intact. ``exact``: no step beyond the acknowledged."""
    engine = Engine.open(url, plugins=[workflow_files(wfdir)])
    figures = Counter()
    try:
        assert engine.verify().ok
        for case in engine.cases():
            history = engine.history(case.id)
            steps = {e.seq: e for e in history if e.kind == "fire"}
            acked = acks.get(case.id, [])
            missing = [seq for _rev, seq in acked if seq not in steps]
            assert not missing, f"case #{case.id}: acknowledged steps {missing} are not in the record"
            if exact:
                assert len(steps) == len(acked), f"case #{case.id}: {len(steps)} steps, {len(acked)} acknowledged"
                assert case.rev == (acked[-1][0] if acked else 1)
            fired_by = Counter(e.data["_timer"]["id"] for e in history if e.kind == "remind")
            assert all(n == 1 for n in fired_by.values()), f"case #{case.id}: a timer fired twice: {fired_by}"
            for timer in engine.timers(case.id):
                if timer.status == "fired":
                    assert fired_by[timer.id] == 1, f"timer {timer.id} is fired but has {fired_by[timer.id]} events"
                else:
                    assert fired_by[timer.id] == 0
            figures["steps"] += len(steps)
            figures["reminders"] += sum(fired_by.values())
            figures["events"] += len(history)
    finally:
        engine.close()
    return dict(figures)


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_eight_processes_and_a_ticker(where: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = request.getfixturevalue("sqlite_url" if where == "sqlite" else "pg_url")
    wfdir = write_workflow(tmp_path / "wf")
    _open_cases(url, wfdir, 32)
    go = tmp_path / "go"
    ticker = _spawn("tick", url, wfdir, SECONDS + 0.5, go=go)
    firers = [_spawn("fire", url, wfdir, i, 8, SECONDS, go=go) for i in range(8)]
    for proc in [ticker, *firers]:
        _wait_ready(proc)
    go.touch()
    outputs = [_parse(p.communicate(timeout=120 + SECONDS * 4)[0].splitlines()) for p in firers]
    tick_out = _parse(ticker.communicate(timeout=120 + SECONDS * 4)[0].splitlines())
    assert all(p.returncode == 0 for p in [*firers, ticker])
    acks: dict[int, list[tuple[int, int]]] = {}
    for out in outputs:
        acks.update(out["acks"])
    conflicts = [c for out in outputs for c in out["conflicts"]] + tick_out["conflicts"]
    storage = [s for out in outputs for s in out["storage"]] + tick_out["storage"]
    figures = _check_record(url, wfdir, acks, exact=True)
    reminded = sum(1 for t in tick_out["ticks"] if t[0] == "reminded")
    print(f"\n[{where}] 8 processes + ticker, {SECONDS:g} s: {figures['steps']} steps acknowledged and "
          f"recorded ({figures['steps'] / SECONDS:.0f}/s), {reminded} reminders fired once each, "
          f"{len(conflicts)} conflicts for a right revision, {len(storage)} storage errors")
    assert conflicts == [], conflicts[:3]
    assert storage == [], storage[:3]
    assert figures["steps"] > 0 and reminded > 0
    assert figures["reminders"] == reminded


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_kill_9_during_fires_loses_no_acknowledged_step(where: str, request: pytest.FixtureRequest,
                                                        tmp_path: Path) -> None:
    url = request.getfixturevalue("sqlite_url" if where == "sqlite" else "pg_url")
    wfdir = write_workflow(tmp_path / "wf")
    _open_cases(url, wfdir, 12)
    rng = random.Random(10)
    acks: dict[int, list[tuple[int, int]]] = defaultdict(list)
    lock = threading.Lock()

    def collect(proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # every line read was printed after the engine acknowledged it
            parsed = _parse([line.rstrip("\n")])
            with lock:
                for case, items in parsed["acks"].items():
                    acks[case].extend(items)

    def start(i: int) -> tuple[subprocess.Popen[str], threading.Thread]:
        proc = _spawn("fire", url, wfdir, i, 3, 0) if i < 3 else _spawn("tick", url, wfdir, 0)
        _wait_ready(proc, drain=True)
        reader = threading.Thread(target=collect, args=(proc,), daemon=True)
        reader.start()
        return proc, reader

    running = {i: start(i) for i in range(4)}  # three stepping, one ticking
    kills = 0
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.05, 0.3))
        victim = rng.randrange(4)
        proc, reader = running[victim]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(5)
        kills += 1
        running[victim] = start(victim)
    time.sleep(0.5)
    for proc, reader in running.values():
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(5)
    kills += len(running)
    figures = _check_record(url, wfdir, acks, exact=False)
    acknowledged = sum(len(v) for v in acks.values())
    print(f"\n[{where}] kill -9 x{kills}: {acknowledged} acknowledged steps, all in the record "
          f"({figures['steps']} recorded), {figures['reminders']} reminders each fired once, chains intact")
    assert acknowledged > 0


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_six_simultaneous_first_starts_all_open_a_case(where: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    """Six engines that never stored the workflow start it at once: the definition is stored
    once, and no start gets a conflict."""
    url = request.getfixturevalue("sqlite_url" if where == "sqlite" else "pg_url")
    wfdir = write_workflow(tmp_path / "wf")
    Engine.open(url, plugins=[workflow_files(wfdir)]).close()  # migrate once, before the race
    engines = [Engine.open(url, plugins=[workflow_files(wfdir)]) for _ in range(6)]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def first_start(engine: Engine) -> None:
        barrier.wait()
        try:
            engine.start("pingpong", Actor.of("clerk", "clerk"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert engines[0].count() == 6
        with engines[0].store.read() as tx:
            assert [d[0] for d in tx.definitions()] == ["pingpong"]
    finally:
        for e in engines:
            e.close()


def test_a_real_deadlock_is_a_retryable_storage_error_not_a_conflict(pg_url: str, tmp_path: Path) -> None:
    """Two transactions lock two cases in opposite orders: PostgreSQL breaks the cycle, and the
    one it stops gets a StorageError ("try again"), never "the case changed meanwhile"."""
    from yishi.errors import ConflictError, StorageError

    wfdir = write_workflow(tmp_path / "wf")
    _open_cases(pg_url, wfdir, 2)
    engine = Engine.open(pg_url, plugins=[workflow_files(wfdir)])
    first_locked = threading.Barrier(2)
    outcomes: list[BaseException | None] = [None, None]

    def lock(i: int, order: tuple[int, int]) -> None:
        try:
            with engine.store.write() as tx:
                tx.get_case(order[0], for_update=True)
                first_locked.wait()
                tx.get_case(order[1], for_update=True)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            outcomes[i] = exc

    threads = [threading.Thread(target=lock, args=(0, (1, 2))), threading.Thread(target=lock, args=(1, (2, 1)))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        engine.close()
    errors = [o for o in outcomes if o is not None]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], StorageError) and not isinstance(errors[0], ConflictError)
    assert "try again" in errors[0].message and "deadlock" in errors[0].message.lower()
