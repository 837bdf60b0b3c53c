"""A child process for the reliability tests: fires steps or ticks timers on a database and
prints one line per acknowledged result, flushed, so a parent that kills it with SIGKILL knows
exactly what the engine had acknowledged.

    python proc.py fire URL WFDIR INDEX NPROC SECONDS   # steps on the cases with id % NPROC == INDEX
    python proc.py tick URL WFDIR SECONDS               # fires due timers until SECONDS ran out

Lines: ``ack CASE REV SEQ``, ``conflict CASE MESSAGE``, ``storage MESSAGE``, ``tick OUTCOME TIMER
CASE SEQ``, and last ``done JSON``. SECONDS = 0 runs until killed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from yishi.engine import Actor, Engine
from yishi.engine.types import CaseFilter
from yishi.errors import ConflictError, StorageError
from yishi.testing import workflow_files

CLERK = Actor.of("clerk", "clerk")
WORKFLOW = """\
id: pingpong
version: 1
title: ping-pong
description: two states and a reminder due at once in each, for concurrency tests
roles: {clerk: {title: clerk}}
initial: ping
states:
  ping:
    title: ping
    timers: [{after: 0s, remind: [clerk]}]
  pong:
    title: pong
    timers: [{after: 0s, remind: [clerk]}]
  closed: {title: closed, final: true}
transitions:
  - {trigger: to_pong, source: ping, dest: pong, title: to pong, roles: [clerk], require_form: false}
  - {trigger: to_ping, source: pong, dest: ping, title: to ping, roles: [clerk], require_form: false}
  - {trigger: close, source: [ping, pong], dest: closed, title: close, roles: [clerk], require_form: false}
"""


def write_workflow(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pingpong.yaml").write_text(WORKFLOW, encoding="utf-8")
    return folder


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def ready() -> None:
    """Say ``ready`` and wait for the parent's go (the file ``$YISHI_GO_FILE``, when set), so
    that every process starts its timed run together, after the slow imports."""
    say("ready")
    go = os.environ.get("YISHI_GO_FILE")
    while go and not os.path.exists(go):
        time.sleep(0.01)


def fire(url: str, wfdir: str, index: int, nproc: int, seconds: float) -> None:
    engine = Engine.open(url, plugins=[workflow_files(wfdir)])
    mine = [c for c in engine.cases(CaseFilter(open=True)) if c.id % nproc == index]
    revs = {c.id: (c.rev, c.state) for c in mine}
    ready()
    end = time.monotonic() + seconds if seconds else float("inf")
    counts = {"ack": 0, "conflict": 0, "storage": 0}
    while time.monotonic() < end and revs:
        for case_id, (rev, state) in list(revs.items()):
            trigger = "to_pong" if state == "ping" else "to_ping"
            try:
                result = engine.fire(case_id, trigger, CLERK, expected_rev=rev)
            except ConflictError as exc:
                counts["conflict"] += 1
                say(f"conflict {case_id} {exc.message}")
                case = engine.case(case_id)
                revs[case_id] = (case.rev, case.state)
                continue
            except StorageError as exc:
                counts["storage"] += 1
                say(f"storage {exc.message.splitlines()[0]}")
                time.sleep(0.01)
                continue
            revs[case_id] = (result.case.rev, result.case.state)
            counts["ack"] += 1
            say(f"ack {case_id} {result.case.rev} {result.event.seq}")
    engine.close()
    say("done " + json.dumps(counts))


def tick(url: str, wfdir: str, seconds: float) -> None:
    engine = Engine.open(url, plugins=[workflow_files(wfdir)])
    engine.next_due()
    ready()
    end = time.monotonic() + seconds if seconds else float("inf")
    counts: dict[str, int] = {"storage": 0}
    while time.monotonic() < end:
        try:
            results = engine.tick(limit=1)
        except StorageError as exc:
            counts["storage"] += 1
            say(f"storage {exc.message.splitlines()[0]}")
            continue
        except ConflictError as exc:
            counts["conflict"] = counts.get("conflict", 0) + 1
            say(f"conflict 0 {exc.message}")
            continue
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
            seq = r.event.seq if r.event is not None else 0
            say(f"tick {r.outcome} {r.timer.id} {r.timer.case_id} {seq}")
        if not results:
            time.sleep(0.002)
    engine.close()
    say("done " + json.dumps(counts))


if __name__ == "__main__":
    kind, url, wfdir, *rest = sys.argv[1:]
    if kind == "fire":
        fire(url, wfdir, int(rest[0]), int(rest[1]), float(rest[2]))
    else:
        tick(url, wfdir, float(rest[0]))
