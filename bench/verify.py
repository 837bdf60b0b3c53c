#!/usr/bin/env python
"""What the whole-record ``verify`` costs: N cases of 四议两公开 (each 6-8 events, one pending
reminder) on a SQLite file, verified (a) with the hash chains only, as before, and (b) with every
case replayed against its row and timers, the definitions and the outbox. Prints cases/s of each
and their ratio; wall times are for reading, the ratio is the figure to keep.

Usage:
    .venv/bin/python bench/verify.py               # 2,000 cases
    .venv/bin/python bench/verify.py --cases 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from yishi.engine import Actor, Engine
from yishi.engine.chain import hash_matches

SEC = Actor.of("王书记", "secretary")
PROPOSAL = {"subject": "闲置厂房出租", "matter_type": "collective_assets", "proposal": "出租三年。"}
COMMITTEES = {"meeting_date": "2026-01-05", "minutes": "同意。"}
PARTY = {"meeting_date": "2026-01-05", "party_members": 30, "party_attended": 24, "party_votes_for": 20,
         "minutes": "通过。"}
REPS = {"meeting_date": "2026-01-05", "representatives": 20, "attended": 14, "votes_for": 8,
        "resolution": "同意。", "minutes": "通过。"}


def build(engine: Engine, n: int) -> None:
    for i in range(n):
        case = engine.start("four_discussions_two_disclosures", SEC, PROPOSAL)
        engine.fire(case.id, "submit_to_committees", SEC)
        engine.fire(case.id, "submit_to_party_members", SEC, COMMITTEES)
        engine.fire(case.id, "submit_to_representatives", SEC, PARTY)
        if i % 2:
            engine.fire(case.id, "pass_resolution", SEC, REPS)


def chains_only(engine: Engine) -> int:
    with engine.store.read() as tx:
        return sum(1 for e in tx.events() if hash_matches(e))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="yishi-bench-") as tmp:
        with Engine.open(f"sqlite:///{Path(tmp) / 'verify.db'}") as engine:
            build(engine, args.cases)
            timings = {}
            for name, run in (("chains only", lambda: chains_only(engine)), ("whole record", engine.verify)):
                start = time.perf_counter()
                result = run()
                timings[name] = time.perf_counter() - start
            assert result.ok, result.broken[:3]
    print(f"verify, {args.cases:,} cases, {result.events:,} events on a SQLite file:")
    for name, seconds in timings.items():
        print(f"  {name:13} {seconds:7.2f} s  {args.cases / seconds:8,.0f} cases/s")
    print(f"  whole record / chains only: {timings['whole record'] / timings['chains only']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
