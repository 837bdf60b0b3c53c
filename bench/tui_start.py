#!/usr/bin/env python
"""Benchmark: time from process start to the TUI's first screen, with 100, 10,000 and 100,000
cases in the database.

For each size a SQLite database is made once (the demo stories through the engine, then
synthetic cases cloned from them and bulk-inserted straight into the store's ``cases`` table:
the engine takes a transaction per case, far too slow for 100,000). Then, several times each,
a fresh Python process imports the CLI (as ``yishi`` does), builds the app exactly as
``yishi --db URL`` does and runs it headless (Textual's full compose, layout and render, no
terminal I/O), printing when

  * the first frame is painted (the cases screen's frame, before the database is open),
  * the first page of cases is painted (engine opened, page queried, table drawn),
  * the counters are painted (open, overdue, resolved this month, share within the community).

Times are from the moment the parent started the child process. Prints the median of the runs
per size; run as ``python bench/tui_start.py [--runs 5] [--sizes 100,10000,100000] [--dir D]``, or on
existing databases (the 1,000,000 cases of ``bench/stats.py --keep``) with ``--db FILE``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
FMT = "%Y-%m-%d %H:%M:%S.%f"

CHILD = r"""
import sys, time
t0 = float(sys.argv[2])
marks = {}
import yishi.cli  # what the `yishi` command imports before it opens the TUI
from yishi.engine.types import Actor
from yishi.tui.app import create_app
from yishi.tui.screens.cases import CasesScreen

def mark(name):
    marks.setdefault(name, time.time() - t0)
    if len(marks) == 3:
        print(__import__("json").dumps(marks), flush=True)
        app.exit()

fill, counters = CasesScreen._fill, CasesScreen._show_counters
def _fill(self, page):
    fill(self, page)
    if page.rows:
        self.app.call_after_refresh(mark, "page")
def _counters(self, c):
    counters(self, c)
    self.app.call_after_refresh(mark, "counters")
CasesScreen._fill, CasesScreen._show_counters = _fill, _counters

app = create_app(sys.argv[1], Actor.of("马书记", "secretary", "convener", "mediation_committee"), "zh",
                 tick_seconds=0)
orig_mount = CasesScreen.on_mount
def on_mount(self):
    orig_mount(self)
    self.app.call_after_refresh(mark, "frame")
CasesScreen.on_mount = on_mount
app.run(headless=True, size=(100, 32))
"""


def make_database(path: Path, size: int) -> None:
    """The demo stories, then synthetic cases cloned from them up to ``size`` rows."""
    from yishi.demo import build_demo

    build_demo(f"sqlite:///{path}", now=NOW).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    cols = [r[1] for r in con.execute("PRAGMA table_info(cases)") if r[1] != "id"]
    templates = [dict(zip(cols, row)) for row in con.execute(f"SELECT {', '.join(cols)} FROM cases")]
    have = len(templates)
    rng = random.Random(size)
    rows = []
    for i in range(size - have):
        row = dict(rng.choice(templates))
        opened = NOW - timedelta(days=rng.uniform(1, 365))
        row["subject"] = f"{row['subject']}（{i + 1}）"
        row["opened_at"] = row["state_entered_at"] = row["updated_at"] = opened.strftime(FMT)
        if row["closed_at"] is not None:
            row["closed_at"] = (opened + timedelta(days=rng.uniform(1, 60))).strftime(FMT)
            row["due_at"] = None
        elif row["due_at"] is not None:
            row["due_at"] = (NOW + timedelta(days=rng.uniform(-40, 30))).strftime(FMT)
        rows.append(tuple(row[c] for c in cols))
    with con:
        con.executemany(f"INSERT INTO cases ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", rows)
        # who may act on the open cases ("my actions" reads case_actors, as the engine keeps it)
        con.execute("DELETE FROM case_actors")
        open_rows = con.execute("SELECT id, act_roles FROM cases WHERE closed_at IS NULL").fetchall()
        con.executemany("INSERT INTO case_actors (case_id, role, roles) VALUES (?, ?, ?)",
                        [(i, r, roles) for i, roles in open_rows for r in dict.fromkeys(roles.split(",")) if r])
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def run_once(url: str, old: str | None = None) -> dict[str, float]:
    """One child on ``url``; ``old``: a folder holding another tree's package as ``yishi`` (put
    first on PYTHONPATH; give its ``core`` links ``plugins`` and ``workflows`` to that tree's)."""
    start = time.time()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    if old:
        env["PYTHONPATH"] = old
    out = subprocess.run([sys.executable, "-c", CHILD, url, repr(start)], capture_output=True, text=True,
                         timeout=120, env={**env, "YISHI_CONFIG": os.devnull})
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"the child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--db", action="append", default=[],
                        help="measure on this existing SQLite file instead (repeatable), e.g. the 1,000,000 cases "
                             "bench/stats.py --dir D --keep leaves in D/stats-1000000.db")
    parser.add_argument("--dir", default=None, help="make the databases here and keep them for the next run")
    parser.add_argument("--old", default=None, help="also run an older tree (see run_once), interleaved, on --old-db")
    parser.add_argument("--old-db", default=None, help="the database for --old (at its own schema revision)")
    args = parser.parse_args()
    if args.old:
        compare(args)
        return
    sizes: list[int | Path] = [Path(p) for p in args.db] or [int(s) for s in args.sizes.split(",")]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.runs} runs, seconds "
          f"from process start (headless, 100x32); load average {os.getloadavg()[0]:.2f}")
    print(f"{'cases':>9}  {'make DB':>8}  {'1st frame':>9}  {'1st page':>8}  {'counters':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            made = 0.0
            if isinstance(size, Path):
                path = size
                con = sqlite3.connect(path)
                size = con.execute("SELECT count(*) FROM cases").fetchone()[0]
                con.close()
            else:
                path = Path(args.dir or tmp) / f"cases-{size}.db"
                if not (args.dir and path.exists()):
                    t = time.perf_counter()
                    make_database(path, size)
                    made = time.perf_counter() - t
            url = f"sqlite:///{path}"
            run_once(url)  # warm the OS file cache and Python's bytecode cache
            runs = [run_once(url) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in ("frame", "page", "counters")}
            print(f"{size:>9,}  {made:>8.2f}  {med['frame']:>9.2f}  {med['page']:>8.2f}  {med['counters']:>8.2f}",
                  flush=True)


def compare(args: argparse.Namespace) -> None:
    """This tree on --db and the --old tree on --old-db, alternating (A B, B A, ...)."""
    new, old = f"sqlite:///{args.db[0]}", f"sqlite:///{args.old_db}"
    run_once(new)
    run_once(old, args.old)
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.runs} runs each, seconds from process start")
    got: dict[str, list[dict[str, float]]] = {"old": [], "this": []}
    for i in range(args.runs):
        for which in (("this", "old") if i % 2 == 0 else ("old", "this")):
            got[which].append(run_once(new) if which == "this" else run_once(old, args.old))
    for which in ("old", "this"):
        med = {k: statistics.median(r[k] for r in got[which]) for k in ("frame", "page", "counters")}
        print(f"{which:>5}: 1st frame {med['frame']:.2f}  1st page {med['page']:.2f}  counters {med['counters']:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
