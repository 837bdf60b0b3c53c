"""Worker throughput: notifications delivered per second by one worker to a local HTTP receiver,
and timers fired per second by one and by two workers on PostgreSQL.

    .venv/bin/python bench/worker.py [--notes 2000] [--timers 2000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]   (default: $YISHI_TEST_PG)

Prints figures; asserts nothing about speed. The receiver runs in its own process (a
ThreadingHTTPServer answering 200 at once), so it does not share the worker's GIL.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yishi.clock import FixedClock
from yishi.delivery import deliver_one, deliver_pending
from yishi.engine import Actor, Engine
from yishi.hookspecs import hookimpl
from yishi.plugins.webhook import WebhookNotifier
from yishi.testing import workflow_files

WORKFLOW = """
id: bench
version: 1
title: {zh: 基准, en: bench}
description: one reminder a day after opening
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: open
states:
  open: {title: {zh: 办理, en: open}, timers: [{after: 1d, remind: [clerk]}]}
  done: {title: {zh: 办结, en: done}, final: true}
transitions:
  - {trigger: close, source: open, dest: done, title: {zh: 办结, en: close}, roles: [clerk]}
"""
CLERK = Actor.of("王网格员", "clerk")

RECEIVER = textwrap.dedent("""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"      # keep-alive, as a real receiver would
        disable_nagle_algorithm = True     # no 40 ms delayed-ACK stall between header and body
        wbufsize = 1 << 16                 # headers and body leave in one write
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    server.serve_forever()
""")


def _workflow_plugin(folder: Path) -> Any:
    path = folder / "bench.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    return workflow_files(path)


def _seed(url: str, folder: Path, cases: int, start: datetime, plugins: list[Any]) -> None:
    engine = Engine.open(url, plugins=[_workflow_plugin(folder), *plugins], clock=FixedClock(start))
    try:
        for _ in range(cases):
            engine.start("bench", CLERK)
    finally:
        engine.close()


def bench_delivery(count: int, folder: Path) -> None:
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline())  # type: ignore[union-attr]
        hook = WebhookNotifier({"url": f"http://127.0.0.1:{port}/hook"}, name="webhook")

        class Plugin:
            @hookimpl
            def yishi_register_notifiers(self, register: Any) -> None:
                register("webhook", hook)

        url = f"sqlite:///{folder / 'notes.db'}"
        _seed(url, folder, count, datetime.now(timezone.utc), [Plugin()])
        engine = Engine.open(url, plugins=[_workflow_plugin(folder), Plugin()])
        try:
            t0 = time.perf_counter()
            attempts = deliver_pending(engine, channels=["webhook"])
            elapsed = time.perf_counter() - t0
        finally:
            engine.close()
        ok = sum(a.outcome == "delivered" for a in attempts)
        print(f"delivery, one worker, SQLite → HTTP on loopback: {ok} notifications in {elapsed:.2f}s "
              f"= {ok / elapsed:,.0f}/s (claim, POST, mark: two transactions per notification)")
    finally:
        receiver.terminate()
        receiver.wait()


def _tick_worker(url: str, barrier: Any, out: Any) -> None:
    engine = Engine.open(url)  # the cases' definition is stored in the database
    try:
        barrier.wait()
        t0, cpu0 = time.perf_counter(), time.process_time()
        fired = 0
        while True:
            done = engine.tick(limit=1)
            if not done:
                break
            fired += len(done)
        out.put((fired, time.perf_counter() - t0, time.process_time() - cpu0))
    finally:
        engine.close()


def bench_timers(pg: str, count: int, workers: int, folder: Path) -> None:
    name = f"yishi_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        _seed(url, folder, count, datetime.now(timezone.utc) - timedelta(days=2), [])
        ctx = mp.get_context("spawn")
        barrier, out = ctx.Barrier(workers), ctx.Queue()
        procs = [ctx.Process(target=_tick_worker, args=(url, barrier, out)) for _ in range(workers)]
        for p in procs:
            p.start()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        fired = sum(r[0] for r in results)
        elapsed = max(r[1] for r in results)
        split = " + ".join(str(r[0]) for r in results)
        cpu = " + ".join(f"{r[2]:.1f}s" for r in results)
        print(f"timers, {workers} worker(s), PostgreSQL: {fired} fired ({split}) in {elapsed:.2f}s "
              f"= {fired / elapsed:,.0f}/s; worker CPU {cpu} (each timer: claim SKIP LOCKED, event, "
              f"case update, outbox row, commit)")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class NullNotifier:
    """A channel whose send costs nothing, so the figures are the database work alone."""

    def deliver(self, note: Any) -> None:
        return None


class NullPlugin:
    @hookimpl
    def yishi_register_notifiers(self, register: Any) -> None:
        register("null", NullNotifier())


def bench_vs_raw(pg: str, count: int, folder: Path, chunk: int = 100) -> None:
    """One worker's timers and deliveries on PostgreSQL against raw psycopg running the same
    statements and commits (bench/pgtrace.py), in alternating chunks (engine, then the raw
    replay of that chunk's statements): the median of the chunk pairs' raw/engine ratios."""
    import statistics

    from pgtrace import Replayer, Tracer

    base = f"yishi_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    names = [base, base + "_raw"]
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{base}"'))
        url = make_url(pg).set(database=base).render_as_string(hide_password=False)
        _seed(url, folder, count, datetime.now(timezone.utc) - timedelta(days=2), [NullPlugin()])
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{base}_raw" TEMPLATE "{base}"'))
        raw_dsn = make_url(pg).set(database=base + "_raw", drivername="postgresql").render_as_string(
            hide_password=False)
        engine = Engine.open(url, plugins=[_workflow_plugin(folder), NullPlugin()])
        replay = Replayer(raw_dsn)
        tracer = Tracer(engine.store.engine, engine.store)
        try:
            for what, step, per in (("timers", lambda: len(engine.tick(limit=50)), chunk),
                                    ("notifications", lambda: int(deliver_one(engine, channels=["null"]) is not None),
                                     chunk)):
                pairs, done, spent, raw = [], 0, 0.0, 0.0
                while True:
                    t0 = time.perf_counter()
                    n = 0
                    while n < per:
                        got = step()
                        if not got:
                            break
                        n += got
                    dt = time.perf_counter() - t0
                    again = replay.run(tracer.take())
                    if n == 0:
                        break
                    done, spent, raw = done + n, spent + dt, raw + again
                    pairs.append(again / dt)
                pairs.sort()
                print(f"{what}, one worker, PostgreSQL: {done} in {spent:.2f}s = {done / spent:,.0f}/s; raw psycopg, "
                      f"same statements and commits: {done / raw:,.0f}/s; engine/raw = "
                      f"{statistics.median(pairs):.3f} (median of {len(pairs)} chunk pairs, "
                      f"{pairs[0]:.3f} to {pairs[-1]:.3f}); aim ≥ 0.8")
        finally:
            replay.close()
            engine.close()
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--timers", type=int, default=2000)
    parser.add_argument("--pg", default=os.environ.get("YISHI_TEST_PG", ""))
    parser.add_argument("--skip-delivery", action="store_true")
    parser.add_argument("--ratio-only", action="store_true",
                        help="only the engine/raw psycopg ratios (no worker processes)")
    args = parser.parse_args()
    os.environ["YISHI_NOTIFY_LOG"] = os.devnull  # the console channel writes its rows somewhere quiet
    os.environ.setdefault("YISHI_CONFIG", os.devnull + ".absent")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_delivery:
            bench_delivery(args.notes, folder)
        if not args.pg:
            print("timers: skipped (set --pg or YISHI_TEST_PG to a PostgreSQL server)")
            return
        print(f"({os.cpu_count()} CPUs, shared by the workers and the PostgreSQL server; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
        bench_vs_raw(args.pg, args.timers, folder)
        if not args.ratio_only:
            for workers in (1, 2):
                bench_timers(args.pg, args.timers, workers, folder)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
