#!/usr/bin/env python
"""Benchmark of the engine's hot path: how much does one ``Engine.fire`` cost?

Prints, measured in the same run (issue 2, item 9):

  (a) raw ``transitions``: triggers/s on a Machine of the same shape as the 四议两公开 workflow
      (auto_transitions=False, one condition and one callback per transition, send_event=True
      like the engine's), fired through ``machine.events[trigger].trigger(model)`` on a plain
      object, round the cycle proposal → committees_discussion → proposal;
  (b) ``Engine.fire`` on in-memory SQLite (``sqlite://``);
  (c) ``Engine.fire`` on a SQLite file (WAL, synchronous=FULL);
  (d) a raw ``sqlite3`` loop doing the same row writes per transaction as one fire, on a file
      with the same schema and pragmas (WAL, synchronous=FULL, foreign_keys=ON, BEGIN IMMEDIATE);
  (e) ``Engine.fire`` with freshly filled form data (``submit_to_party_members``), memory and file;
  (d') the raw loop of (d) on an in-memory copy: what the statements cost without fsync;

and the ratios (b)/(a) and (c)/(d). The aim: (c)/(d) ≥ 0.5, i.e. the engine costs no more
than the database's own commit.

The fires alternate ``submit_to_committees`` and ``send_back`` over many cases, as the
secretary (neither needs a notice period, so the cycle never ends). The raw loop writes copies
of the rows the engine itself wrote for the same steps (captured after seeding its database
through the engine): BEGIN IMMEDIATE, SELECT the case, UPDATE timers (cancel; only when the
case has a deadline, as the engine does), INSERT the event, UPDATE the case, INSERT the new
state's timers (none here), INSERT one outbox row per notifier channel, COMMIT. Both sides are
traced with sqlite3's trace callback during the warm-up and the statement sequences printed and
compared, so a change in what the engine writes shows up as a warning instead of a wrong ratio.

Usage:
    .venv/bin/python bench/engine.py            # full run (≈ 1 minute)
    .venv/bin/python bench/engine.py --quick    # a few seconds, for CI-like smoke checks
    .venv/bin/python bench/engine.py --n 5000 --rounds 5 --dir /some/disk
    .venv/bin/python bench/engine.py --profile file     # cProfile of Engine.fire on a file
    .venv/bin/python bench/engine.py --profile memory   # ... in memory

ops/s and ms/op are the median over ``--rounds`` interleaved rounds (a, b, c, d, d', e, then
again), so slow drifts of a shared machine hit every figure alike; "best" is the fastest round.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import platform
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
import transitions
from transitions import Machine
from yishi.engine import Actor, Engine

WORKFLOW = "four_discussions_two_disclosures"
ACTOR = Actor.of("bench", "secretary")
PROPOSAL = {"subject": "闲置厂房出租给幼儿园", "matter_type": "collective_assets",
            "proposal": "将村集体闲置厂房出租给幼儿园举办者，租期三年。"}
COMMITTEES = {"meeting_date": "2026-11-02", "minutes": "两委会一致同意提交党员大会。"}
REASON = {"reason": "材料不全，请补充后重新提议。"}
# The steady cycle: (trigger, data) from proposal and back again.
CYCLE = (("submit_to_committees", None), ("send_back", REASON))
AIM = 0.5


# --------------------------------------------------------------------------- helpers
def _now_db() -> str:
    """A UTC timestamp as SQLAlchemy's SQLite DateTime stores it."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _fs_type(path: Path) -> str:
    """The filesystem type holding ``path`` (from /proc/mounts; '?' elsewhere)."""
    try:
        best, kind = "", "?"
        real = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            mount = parts[1]
            if (real == mount or real.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best):
                best, kind = mount, parts[2]
        return kind
    except OSError:
        return "?"


class Timed:
    """Collects per-round throughput of one figure."""

    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label
        self.rates: list[float] = []

    def add(self, ops: int, seconds: float) -> None:
        self.rates.append(ops / seconds)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")

    @property
    def best(self) -> float:
        return max(self.rates) if self.rates else float("nan")


def _timed_loop(n: int, step: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for i in range(n):
        step(i)
    return time.perf_counter() - start


def paired_ratio(run_x: Callable[[int], float], n_x: int, run_y: Callable[[int], float], n_y: int,
                 pairs: int) -> tuple[float, float, float]:
    """The ratio rate(x)/rate(y) measured in short interleaved chunks, A B B A, ``pairs`` times:
    each pair's ratio compares chunks run seconds apart, so disk and load drifts cancel out.
    Returns (median, lowest, highest) of the pair ratios."""
    ratios = []
    for _ in range(pairs):
        tx = run_x(n_x)
        ty = run_y(n_y) + run_y(n_y)
        tx += run_x(n_x)
        ratios.append((2 * n_x / tx) / (2 * n_y / ty))
    return statistics.median(ratios), min(ratios), max(ratios)


# --------------------------------------------------------------------------- (a) transitions
def raw_machine(engine: Engine) -> tuple[Machine, Any]:
    """A bare Machine with the workflow's states and transitions, a condition and a callback."""
    wf = engine.workflow(WORKFLOW).workflow
    counter = {"n": 0}

    def condition(event_data: Any) -> bool:
        return True

    def callback(event_data: Any) -> None:
        counter["n"] += 1

    machine = Machine(model=None, states=list(wf.states), initial=wf.initial_state(),
                      auto_transitions=False, send_event=True, queued=False)
    for t in wf.transitions:
        machine.add_transition(t.trigger, t.source, t.dest, conditions=[condition], before=[callback])

    class Model:
        state = wf.initial_state()

    return machine, Model()


def run_transitions(machine: Machine, model: Any, n: int) -> float:
    events = [machine.events[trigger] for trigger, _ in CYCLE]
    k = len(events)

    def step(i: int) -> None:
        if not events[i % k].trigger(model):
            raise RuntimeError("the raw machine refused a trigger")

    return _timed_loop(n, step)


# --------------------------------------------------------------------------- (b), (c), (e) yishi
class FireBench:
    """K cases on one engine, each going round a cycle of triggers."""

    def __init__(self, engine: Engine, cases: int, cycle: tuple[tuple[str, Any], ...]) -> None:
        self.engine = engine
        self.cycle = cycle
        self.ids = [engine.start(WORKFLOW, ACTOR, dict(PROPOSAL)).id for _ in range(cases)]
        self.pos = [0] * cases  # next index into cycle, per case
        self.turn = 0

    def _next(self) -> tuple[int, str, Any, int]:
        k = self.turn % len(self.ids)
        self.turn += 1
        trigger, data = self.cycle[self.pos[k]]
        self.pos[k] = (self.pos[k] + 1) % len(self.cycle)
        return self.ids[k], trigger, data, self.pos[k]

    def run(self, n: int) -> float:
        """Fire ``n`` times; return the seconds taken."""
        fire = self.engine.fire

        def step(_: int) -> None:
            case_id, trigger, data, _pos = self._next()
            fire(case_id, trigger, ACTOR, dict(data) if data else None)

        return _timed_loop(n, step)

    def run_only(self, trigger_name: str, n: int) -> float:
        """Go round the cycle until ``trigger_name`` fired ``n`` times; return only its seconds."""
        fire = self.engine.fire
        spent = 0.0
        done = 0
        while done < n:
            case_id, trigger, data, _pos = self._next()
            if trigger == trigger_name:
                fresh = dict(data)  # freshly filled form, as from a user
                t0 = time.perf_counter()
                fire(case_id, trigger, ACTOR, fresh)
                spent += time.perf_counter() - t0
                done += 1
            else:
                fire(case_id, trigger, ACTOR, dict(data) if data else None)
        return spent


# --------------------------------------------------------------------------- (d) raw sqlite3
def sqlite_connect(target: str) -> sqlite3.Connection:
    """A raw connection with the store's pragmas; we issue BEGIN ourselves, like the store."""
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _insert_sql(table: str, cols: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT INTO {table} ({names}) VALUES ({", ".join("?" * len(cols))})'


class RawBench:
    """The row writes of one fire as plain sqlite3 statements, round the same cycle.

    The rows are copies of rows the engine itself wrote for the same step (captured after
    seeding the database through the engine), so every column and every value size is the
    engine's; only the keys, sequence numbers, hashes and timestamps change. Per step, like
    ``Engine._step`` + ``SqlTx``: BEGIN IMMEDIATE, SELECT the case, cancel its pending timers
    if it has a deadline, INSERT the event, UPDATE every column of the case, INSERT the new
    state's timers (if it has any), INSERT one outbox row per notifier channel, COMMIT.
    The Python work is only what those statements need: no form checks, rules, hashing or JSON.
    """

    def __init__(self, conn: sqlite3.Connection, templates: dict[str, Any], case_ids: list[int]) -> None:
        self.conn = conn
        self.ids = case_ids
        self.turn = 0
        self.t = templates
        self.case_cols = templates["case_cols"]
        self.sql_select = "SELECT * FROM cases WHERE id = ?"
        self.sql_cancel = "UPDATE timers SET status = ? WHERE case_id = ? AND status = ?"
        upd = [c for c in self.case_cols if c != "id"]
        self.upd_cols = upd
        self.sql_update = f"UPDATE cases SET {', '.join(f'{c} = ?' for c in upd)} WHERE id = ? AND rev = ?"
        self.sql_event = _insert_sql("events", templates["event_cols"])
        self.sql_timer = _insert_sql("timers", templates["timer_cols"])
        self.sql_outbox = _insert_sql("outbox", templates["outbox_cols"])
        self.hash = hashlib.sha256(b"bench").hexdigest()

    def run(self, n: int) -> float:
        cur = self.conn.cursor()
        ids, steps = self.ids, self.t["steps"]
        k = len(ids)
        cols = self.case_cols
        at = {c: i for i, c in enumerate(cols)}
        i_state, i_rev, i_seq, i_due = at["state"], at["rev"], at["last_seq"], at["due_at"]
        upd_index = [at[c] for c in self.upd_cols]

        def step(_: int) -> None:
            case_id = ids[self.turn % k]
            self.turn += 1
            cur.execute("BEGIN IMMEDIATE")
            try:
                row = list(cur.execute(self.sql_select, (case_id,)).fetchone())
                s = steps[row[i_state]]
                now = _now_db()
                if row[i_due] is not None:
                    cur.execute(self.sql_cancel, ("cancelled", case_id, "pending"))
                rev, seq = row[i_rev], row[i_seq] + 1
                ev = list(s["event"])
                for name, value in (("case_id", case_id), ("seq", seq), ("at", now),
                                    ("prev_hash", row[at["last_hash"]] or self.hash), ("hash", self.hash)):
                    ev[s["event_at"][name]] = value
                cur.execute(self.sql_event, ev)
                for name, value in s["case_after"].items():
                    row[at[name]] = value
                row[at["state_entered_at"]] = row[at["updated_at"]] = now
                row[i_rev], row[i_seq], row[at["last_hash"]] = rev + 1, seq, self.hash
                cur.execute(self.sql_update, [row[j] for j in upd_index] + [case_id, rev])
                if cur.rowcount != 1:
                    raise RuntimeError("raw loop lost its case row")
                for tm in s["timers"]:
                    tm = list(tm)
                    tm[s["timer_at"]["case_id"]] = case_id
                    cur.execute(self.sql_timer, tm)
                for ob in s["outbox"]:
                    ob = list(ob)
                    for name, value in (("case_id", case_id), ("event_seq", seq), ("created_at", now),
                                        ("next_attempt_at", now)):
                        if name in s["outbox_at"]:
                            ob[s["outbox_at"][name]] = value
                    cur.execute(self.sql_outbox, ob)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

        return _timed_loop(n, step)


def seed_raw(path: Path, cases: int) -> tuple[list[int], dict[str, Any], list[str]]:
    """Create the schema and ``cases`` cases through the engine, take every case once round the
    cycle, and capture what the engine wrote for each step as templates for ``RawBench``."""
    after: dict[str, tuple[Any, ...]] = {}  # destination state -> a case row just after the step
    with Engine.open(f"sqlite:///{path}") as seed:
        ids = [seed.start(WORKFLOW, ACTOR, dict(PROPOSAL)).id for _ in range(cases)]
        channels = sorted(seed.registry.notifiers)
        for trigger, data in CYCLE:
            for case_id in ids:
                seed.fire(case_id, trigger, ACTOR, dict(data) if data else None)
            with closing(sqlite3.connect(path)) as look:
                row = look.execute("SELECT * FROM cases WHERE id = ?", (ids[0],)).fetchone()
                after[row[[r[1] for r in look.execute("PRAGMA table_info(cases)")].index("state")]] = row
    with closing(sqlite3.connect(path)) as conn:
        cols = {t: _columns(conn, t) for t in ("cases", "events", "timers", "outbox")}
        case_at = {c: i for i, c in enumerate(cols["cases"])}
        ev_at = {c: i for i, c in enumerate(cols["events"])}
        steps: dict[str, Any] = {}
        for trigger, _data in CYCLE:
            ev = conn.execute('SELECT * FROM events WHERE case_id = ? AND "trigger" = ? ORDER BY seq DESC LIMIT 1',
                              (ids[0], trigger)).fetchone()
            source, dest, seq = ev[ev_at["source"]], ev[ev_at["dest"]], ev[ev_at["seq"]]
            outbox = conn.execute("SELECT * FROM outbox WHERE case_id = ? AND event_seq = ?",
                                  (ids[0], seq)).fetchall()
            timers = conn.execute("SELECT * FROM timers WHERE case_id = ? AND state = ? AND status = 'pending'",
                                  (ids[0], dest)).fetchall()
            # the columns a step sets from its destination; the rest are the case's own
            case_after = {name: after[dest][case_at[name]]
                          for name in ("state", "act_roles", "due_at", "closed_at") if name in case_at}
            steps[source] = {
                "event": _drop_id(ev, cols["events"]), "event_at": _index(cols["events"]),
                "outbox": [_drop_id(r, cols["outbox"]) for r in outbox], "outbox_at": _index(cols["outbox"]),
                "timers": [_drop_id(r, cols["timers"]) for r in timers], "timer_at": _index(cols["timers"]),
                "case_after": case_after,
            }
    templates = {"steps": steps, "case_cols": cols["cases"],
                 "event_cols": [c for c in cols["events"] if c != "id"],
                 "timer_cols": [c for c in cols["timers"] if c != "id"],
                 "outbox_cols": [c for c in cols["outbox"] if c != "id"]}
    return ids, templates, channels


def _drop_id(row: tuple[Any, ...], cols: list[str]) -> list[Any]:
    return [v for c, v in zip(cols, row) if c != "id"]


def _index(cols: list[str]) -> dict[str, int]:
    return {c: i for i, c in enumerate(c for c in cols if c != "id")}


# --------------------------------------------------------------------------- statement check
def _signature(sql: str) -> str:
    """'INSERT events', 'UPDATE cases', 'SELECT cases', 'BEGIN IMMEDIATE', 'COMMIT'."""
    text = sql.strip()
    for pattern in (r"^(SELECT)\b.*?\bFROM\s+\"?(\w+)", r"^(INSERT)\s+INTO\s+\"?(\w+)",
                    r"^(UPDATE)\s+\"?(\w+)", r"^(DELETE)\s+FROM\s+\"?(\w+)"):
        m = re.match(pattern, text, re.IGNORECASE | re.DOTALL)
        if m:
            return f"{m.group(1).upper()} {m.group(2)}"
    return " ".join(text.split()[:2]).upper()


def trace_statements(conn: sqlite3.Connection, action: Callable[[], Any]) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return [_signature(s) for s in seen if not s.lstrip().upper().startswith("PRAGMA")]


# --------------------------------------------------------------------------- profile
CATEGORIES = (
    # (label, test on the pstats function key (file, line, name))
    ("sqlite3 COMMIT (fsync of the WAL)", lambda f, n: "commit" in n and "sqlite3" in n),
    ("sqlite3 execute (SQL engine, reads, writes)", lambda f, n: "sqlite3" in n or "_sqlite3" in f),
    ("SQLAlchemy (compile, execute, rows, pool, events)", lambda f, n: "sqlalchemy" in f),
    ("pydantic", lambda f, n: "pydantic" in f or "pydantic_core" in n),
    ("json", lambda f, n: "/json/" in f or "_json" in n),
    ("hashlib", lambda f, n: "hashlib" in f or "_hashlib" in n or "sha256" in n),
    ("transitions", lambda f, n: "transitions" in f),
    ("pluggy", lambda f, n: "pluggy" in f),
    ("yishi (core/, plugins/)", lambda f, n: "/core/" in f or "/plugins/" in f or "yishi" in f),
    ("datetime", lambda f, n: "datetime" in n or "datetime" in f),
)


def categorise(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Self time by library, from a cProfile run."""
    totals: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        label = "other (stdlib, builtins, bench loop)"
        for cat, test in CATEGORIES:
            if test(file, name):
                label = cat
                break
        totals[label] = totals.get(label, 0.0) + tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


def profile(target: str, n: int, cases: int, workdir: Path, top: int) -> None:
    url = "sqlite://" if target == "memory" else f"sqlite:///{workdir / 'profile.db'}"
    engine = Engine.open(url)
    bench = FireBench(engine, cases, CYCLE)
    bench.run(max(cases * 2, 200))  # warm up
    prof = cProfile.Profile()
    gc.collect()
    t0 = time.perf_counter()
    prof.enable()
    bench.run(n)
    prof.disable()
    wall = time.perf_counter() - t0
    engine.close()
    stats = pstats.Stats(prof)
    total = sum(tt for (_cc, _nc, tt, _ct, _c) in stats.stats.values())  # type: ignore[attr-defined]
    print(f"cProfile of Engine.fire on {target} ({url}): {n} fires in {wall:.2f} s under the profiler "
          f"({n / wall:,.0f}/s, {wall / n * 1000:.3f} ms/op; profiling slows Python code ≈ 2×)")
    print()
    print("Self time by library:")
    for label, tt in categorise(stats):
        print(f"  {label:<52} {tt / total * 100:5.1f} %   {tt / n * 1e6:8.1f} µs/fire")
    print()
    for key in ("tottime", "cumulative"):
        print(f"Top {top} functions by {key}:")
        stats.sort_stats(key).print_stats(top)


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=None, help="fires per figure and round (default 2000; quick 200)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds, median reported (default 3; quick 1)")
    ap.add_argument("--cases", type=int, default=None, help="cases fired round-robin (default 100; quick 20)")
    ap.add_argument("--quick", action="store_true", help="a short run (a few seconds) for smoke checks")
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the SQLite files go (default: a new temp dir; it must be a real disk, "
                         "not tmpfs, for the fsync cost to count)")
    ap.add_argument("--profile", choices=("memory", "file"), default=None,
                    help="instead of the table, cProfile Engine.fire and print where the time goes")
    ap.add_argument("--top", type=int, default=30, help="functions listed by --profile (default 30)")
    args = ap.parse_args(argv)
    n = args.n or (200 if args.quick else 2000)
    rounds = args.rounds or (1 if args.quick else 3)
    cases = max(2, min(args.cases or (20 if args.quick else 100), n))

    own_dir = args.dir is None
    workdir = Path(tempfile.mkdtemp(prefix="yishi-bench-")) if own_dir else args.dir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.profile:
            profile(args.profile, n, cases, workdir, args.top)
            return 0
        return _table(n, rounds, cases, workdir, quick=args.quick)
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def trace_transactions(conn: sqlite3.Connection, action: Callable[[], Any]) -> list[tuple[str, ...]]:
    """The distinct statement sequences (one per transaction) ``action`` ran on ``conn``."""
    seqs: list[tuple[str, ...]] = []
    current: list[str] = []
    for sig in trace_statements(conn, action):
        if sig.startswith("BEGIN") and current:
            seqs.append(tuple(current))
            current = []
        current.append(sig)
    if current:
        seqs.append(tuple(current))
    return sorted(set(seqs))


def _driver_connection(engine: Engine) -> sqlite3.Connection | None:
    """The sqlite3 connection the store's pool hands out (one thread, so always the same one)."""
    try:
        with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
            return conn.connection.driver_connection
    except Exception:  # noqa: BLE001 - a store without this shape: skip the check
        return None


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def _table(n: int, rounds: int, cases: int, workdir: Path, *, quick: bool) -> int:
    fs = _fs_type(workdir)
    print(f"yishi engine benchmark — Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"SQLAlchemy {sqlalchemy.__version__}, transitions {transitions.__version__}, "
          f"{os.cpu_count()} CPUs, {_load()}")
    print(f"files in {workdir} ({fs}); {n} fires per figure × {rounds} round(s); {cases} cases round-robin")
    if fs in ("tmpfs", "ramfs"):
        print("WARNING: the files are on a RAM filesystem; fsync costs nothing there and (c), (d) "
              "overstate a real disk. Pass --dir on a disk.")

    # ---- set-up (not timed)
    mem = Engine.open("sqlite://")
    disk = Engine.open(f"sqlite:///{workdir / 'engine.db'}")
    machine, model = raw_machine(mem)
    b = FireBench(mem, cases, CYCLE)
    c = FireBench(disk, cases, CYCLE)
    party_cycle = (("submit_to_committees", None), ("submit_to_party_members", COMMITTEES), ("send_back", REASON))
    e_mem = FireBench(mem, cases, party_cycle)
    e_file = FireBench(disk, cases, party_cycle)

    raw_path = workdir / "raw.db"
    raw_ids, templates, channels = seed_raw(raw_path, cases)
    raw_mem_conn = sqlite_connect(":memory:")
    with closing(sqlite3.connect(raw_path)) as src:
        src.backup(raw_mem_conn)
    raw_conn = sqlite_connect(str(raw_path))
    d = RawBench(raw_conn, templates, raw_ids)
    d_mem = RawBench(raw_mem_conn, templates, raw_ids)

    info = disk.store.describe() if hasattr(disk.store, "describe") else {}
    raw_sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
        raw_conn.execute("PRAGMA synchronous").fetchone()[0], "?")
    print(f"pragmas: (c) engine journal_mode={info.get('journal_mode')}, synchronous={info.get('synchronous')}; "
          f"(d) raw journal_mode={raw_conn.execute('PRAGMA journal_mode').fetchone()[0]}, "
          f"synchronous={raw_sync}, foreign_keys={raw_conn.execute('PRAGMA foreign_keys').fetchone()[0]}")

    # ---- warm-up (caches, compiled statements, page cache, WAL), tracing what each side runs
    run_transitions(machine, model, min(n * 50, 20000))
    warm = max(2 * cases, n // 10)
    b.run(warm)
    driver = _driver_connection(disk)
    yishi_seqs = trace_transactions(driver, lambda: c.run(2 * cases)) if driver is not None else []
    c.run(max(0, warm - 2 * cases))
    raw_seqs = trace_transactions(raw_conn, lambda: d.run(2 * cases))
    d.run(max(0, warm - 2 * cases))
    d_mem.run(warm)
    for bench in (e_mem, e_file):
        bench.run_only("submit_to_party_members", max(cases // 2, n // 40))

    print("statements of one fire (traced with sqlite3's trace callback during the warm-up):")
    for seq in yishi_seqs:
        print("  (c) yishi: " + " → ".join(seq))
    for seq in raw_seqs:
        print("  (d) raw:   " + " → ".join(seq))
    if not yishi_seqs:
        print("  (could not trace the engine's connection; check by hand that (d) does the same writes)")
    elif yishi_seqs == raw_seqs:
        print("  same statements ✓")
    else:
        print("  WARNING: the raw loop does not run the same statements as the engine; (c)/(d) is off")
    print(f"  outbox rows per fire: one per notifier channel ({', '.join(channels) or 'none'})")
    print()

    figures = {
        "a": Timed("a", "(a) raw transitions trigger, same machine shape"),
        "b": Timed("b", "(b) yishi fire, in-memory SQLite"),
        "c": Timed("c", "(c) yishi fire, SQLite file"),
        "d": Timed("d", "(d) raw sqlite3, same writes, SQLite file"),
        "dm": Timed("dm", "(d') raw sqlite3, same writes, in memory"),
        "e1": Timed("e1", "(e) fire with form data, in-memory"),
        "e2": Timed("e2", "(e) fire with form data, SQLite file"),
    }
    n_machine = n * 50
    n_form = max(10, n // 4)
    for r in range(rounds):
        gc.collect()
        figures["a"].add(n_machine, run_transitions(machine, model, n_machine))
        figures["b"].add(n, b.run(n))
        figures["c"].add(n, c.run(n))
        figures["d"].add(n, d.run(n))
        figures["dm"].add(n, d_mem.run(n))
        figures["e1"].add(n_form, e_mem.run_only("submit_to_party_members", n_form))
        figures["e2"].add(n_form, e_file.run_only("submit_to_party_members", n_form))
        if rounds > 1:
            print(f"  round {r + 1}/{rounds}: " + ", ".join(
                f"{k} {f.rates[-1]:,.0f}/s" for k, f in figures.items()), flush=True)
    if rounds > 1:
        print()
    pairs = 3 if quick else 15
    chunk = max(20, n // 20)
    paired = {}
    for key, x, nx, y, ny in (
            ("b/a", b.run, chunk, lambda k: run_transitions(machine, model, k), chunk * 50),
            ("c/d", c.run, chunk, d.run, chunk),
            ("b/dm", b.run, chunk, d_mem.run, chunk)):
        paired[key] = paired_ratio(x, nx, y, ny, pairs)
    for eng in (mem, disk):
        eng.close()
    raw_conn.close()
    raw_mem_conn.close()

    # ---- table
    width = max(len(f.label) for f in figures.values())
    head = f"{'figure':<{width}}  {'ops/s':>9}  {'ms/op':>7}  {'best ops/s':>10}"
    print(head + "   (ops/s and ms/op: median of the rounds)")
    print("-" * len(head))
    for f in figures.values():
        print(f"{f.label:<{width}}  {f.rate:>9,.0f}  {1000 / f.rate:>7.3f}  {f.best:>10,.0f}")
    print()
    fa, fb, fc, fd, fdm = (figures[k] for k in ("a", "b", "c", "d", "dm"))
    cd = fc.rate / fd.rate
    print(f"(b)/(a)   fire in memory / raw transitions          = {fb.rate / fa.rate:.4f}  "
          f"(best rounds {fb.best / fa.best:.4f})")
    print(f"(c)/(d)   fire on a file / raw sqlite3, same writes = {cd:.3f}   "
          f"(best rounds {fc.best / fd.best:.3f})   aim ≥ {AIM}: {'met' if cd >= AIM else 'NOT met'}")
    print(f"(b)/(d')  fire in memory / raw sqlite3 in memory    = {fb.rate / fdm.rate:.3f}   "
          f"(best rounds {fb.best / fdm.best:.3f})")
    print(f"engine's own cost per fire: (c) − (d) = {1000 / fc.rate - 1000 / fd.rate:.3f} ms on a file, "
          f"(b) − (d') = {1000 / fb.rate - 1000 / fdm.rate:.3f} ms in memory; {_load()}")
    print()
    print(f"ratios from short interleaved chunks (A B B A, {chunk} fires a chunk, median of {pairs} pairs; "
          "the figures to record, steadier than the rounds' medians above):")
    for key, label in (("b/a", "(b)/(a)  fire in memory / raw transitions          "),
                       ("c/d", "(c)/(d)  fire on a file / raw sqlite3, same writes "),
                       ("b/dm", "(b)/(d') fire in memory / raw sqlite3 in memory    ")):
        med, low, high = paired[key]
        print(f"  {label} = {med:.4f}   (pairs from {low:.4f} to {high:.4f})")
    if quick:
        print("(--quick: one short round, for smoke checks; use a full run for figures to record)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
