#!/usr/bin/env python
"""Benchmark: the monthly report, the statistics screen and the home screen's counters over
1,000,000 cases, each as a ratio to a plain ``SELECT count(*) FROM cases`` in the same run.

The database is made with bulk SQL, not by firing steps: the engine creates the schema (all
migrations) and stores the shipped workflow definitions, then one ``INSERT … SELECT`` over a
recursive counter writes the cases (70% grid events, the rest the other procedures; opened
over the 12 months before "now"; 85% of them closed; tiers, resolutions, missed deadlines,
reopens, extensions and evaluations drawn from a fixed pseudo-random function of the id, as
the engine's steps would have left them), 60 grid units under 12 communities under 3 streets,
"who may act" (``case_actors``) for the open cases, and the month summary (``stats_months``)
with one GROUP BY. A copy of each grid case's resolved tier
is also put in its JSON data, so the old JSON counter can be timed beside the new one.

Figures, each timed in short interleaved chunks — count(*), figure, count(*) — and reported as
the median of the per-chunk ratios figure / mean(count before, count after), with the medians
of the absolute times:

  report     ``month_report(engine, month)``: the month before "now", per unit × procedure
  report_by  the same rolled up ``by="community"``
  screen     ``overview(engine, now)`` and the three Rich charts rendered at 80 columns
  counters   the home screen's four counters (``yishi.tui.data.load_counters``)
  mine       the "my actions" count (secretary, convener, mediation committee)
  recount    the report's month counted again from the case rows (a scan; what the summary saves)
  json_tiers the old counter: ``Engine.count_by(..., "resolved_tier")`` (JSON_EXTRACT), for comparison

Usage: ``.venv/bin/python bench/stats.py [--cases 1000000] [--rounds 7] [--dir DIR] [--keep]``.
Goals (issue 11/13): report ≤ 2 s, screen ≤ 1 s, counters within a 1 s TUI start, "mine" ≤ 10 ms.
Nothing asserts on time; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
FMT = "%Y-%m-%d %H:%M:%S.%f"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_database(path: Path, n: int) -> float:
    """The schema through the engine, then ``n`` cases in bulk SQL. Returns the seconds taken."""
    from yishi.engine import Actor, Engine

    t0 = time.perf_counter()
    engine = Engine.open(f"sqlite:///{path}")
    who = Actor.of("bench", "grid_member", "secretary", "mediation_committee", "convener")
    samples = {"grid_escalation": {"subject": "s", "reporter": "r", "place": "p", "category": "other",
                                   "urgency": "normal", "description": "d"}}
    for loaded in engine.workflows():  # store every definition (the cases' foreign key)
        try:
            engine.start(loaded.workflow.id, who, samples.get(loaded.workflow.id, {}))
        except Exception:  # noqa: BLE001 - a first form we did not fill: store the text directly
            with engine.store.write() as tx:
                tx.put_definition(sha256=loaded.sha256, workflow_id=loaded.workflow.id,
                                  version=loaded.workflow.version, text=loaded.text, file=loaded.file,
                                  at=NOW)
    shas = {w.workflow.id: (w.sha256, w.workflow.version) for w in engine.workflows()}
    engine.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    from yishi.plugins.sqlstore.append_only import maintenance_window

    with maintenance_window(con, "bench", "bench/stats.py empties its seed database"):  # events are append-only
        con.execute("DELETE FROM outbox")
        con.execute("DELETE FROM timers")
        con.execute("DELETE FROM events")
        con.execute("DELETE FROM case_actors")
        con.execute("DELETE FROM stats_months")
        con.execute("DELETE FROM cases")
    # 3 streets → 12 communities → 60 grids
    created = NOW.strftime(FMT)
    con.execute("INSERT INTO org_units (id, parent_id, kind, name, code, path, created_at) "
                "VALUES (1, NULL, 'district', '城关区', '', '/1/', ?)", (created,))
    uid = 2
    grids = []
    for s in range(3):
        street = uid
        con.execute("INSERT INTO org_units VALUES (?, 1, 'street', ?, '', ?, ?)",
                    (street, f"第{s + 1}街道", f"/1/{street}/", created))
        uid += 1
        for c in range(4):
            community = uid
            con.execute("INSERT INTO org_units VALUES (?, ?, 'community', ?, '', ?, ?)",
                        (community, street, f"第{s * 4 + c + 1}社区", f"/1/{street}/{community}/", created))
            uid += 1
            for g in range(5):
                con.execute("INSERT INTO org_units VALUES (?, ?, 'grid', ?, '', ?, ?)",
                            (uid, community, f"第{len(grids) + 1}网格", f"/1/{street}/{community}/{uid}/", created))
                grids.append(uid)
                uid += 1
    first_grid = grids[0]
    start = (NOW - timedelta(days=365)).timestamp()
    grid_sha, grid_v = shas["grid_escalation"]
    med_sha, med_v = shas["people_mediation"]
    bench_sha, bench_v = shas["bench_meeting"]
    four_sha, four_v = shas["four_discussions_two_disclosures"]
    # h(k): a pseudo-random integer of the id and a salt, in SQL (no Python per row)
    h = "((x * {a} + {b}) % 1000003)"
    con.execute(f"""
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}),
        r AS (SELECT x, {h.format(a=7919, b=13)} AS w, {h.format(a=104729, b=7)} AS o,
                     {h.format(a=15485863, b=3)} AS t, {h.format(a=32452843, b=11)} AS q FROM c),
        s AS (SELECT x, w, o, t, q, (o * 1000003 + t) % 31536000 AS off FROM r),
        v AS (SELECT x, o, t, q,
                     CASE WHEN w % 10 < 7 THEN 'grid_escalation' WHEN w % 10 = 7 THEN 'people_mediation'
                          WHEN w % 10 = 8 THEN 'bench_meeting' ELSE 'four_discussions_two_disclosures' END AS wf,
                     {start} + off AS opened,
                     off < 31536000 - 86400 * 20 AND t % 100 < 85 AS closed,
                     CASE WHEN t % 100 < 62 THEN 1 WHEN t % 100 < 80 THEN 2 WHEN t % 100 < 92 THEN 3
                          WHEN t % 100 < 98 THEN 4 ELSE 5 END AS tier
              FROM s)
        INSERT INTO cases (workflow_id, workflow_version, workflow_sha256, state, subject, data, opened_by,
                           opened_at, state_entered_at, updated_at, closed_at, due_at, act_roles, rev,
                           last_seq, last_hash, unit_id, tier, resolved_tier, deadlines_missed, reopened,
                           extended, evals_asked, evals_given, evals_satisfied)
        SELECT wf,
               CASE wf WHEN 'grid_escalation' THEN {grid_v} WHEN 'people_mediation' THEN {med_v}
                       WHEN 'bench_meeting' THEN {bench_v} ELSE {four_v} END,
               CASE wf WHEN 'grid_escalation' THEN '{grid_sha}' WHEN 'people_mediation' THEN '{med_sha}'
                       WHEN 'bench_meeting' THEN '{bench_sha}' ELSE '{four_sha}' END,
               CASE WHEN wf = 'grid_escalation' THEN
                        CASE WHEN closed THEN CASE WHEN q % 20 = 0 THEN 'dismissed' ELSE 'closed' END
                             ELSE 'tier_' || tier END
                    ELSE CASE WHEN closed THEN 'closed' ELSE 'open' END END,
               '事件 ' || x,
               CASE WHEN wf = 'grid_escalation' AND closed AND q % 20 <> 0
                    THEN '{{"tier_' || tier || '":{{"resolved_tier":' || tier || '}}}}' ELSE '{{}}' END,
               'bench',
               strftime('%Y-%m-%d %H:%M:%f', opened, 'unixepoch'),
               strftime('%Y-%m-%d %H:%M:%f', opened, 'unixepoch'),
               strftime('%Y-%m-%d %H:%M:%f', opened, 'unixepoch'),
               CASE WHEN closed THEN strftime('%Y-%m-%d %H:%M:%f', opened + 3600 + (q % (86400 * 15)), 'unixepoch') END,
               CASE WHEN NOT closed THEN strftime('%Y-%m-%d %H:%M:%f', {NOW.timestamp()} - 86400 * 3 + ((q * 7919) % (86400 * 30)), 'unixepoch') END,
               CASE WHEN closed THEN ''
                    WHEN wf = 'grid_escalation' THEN CASE tier WHEN 1 THEN ',grid_member,' WHEN 2 THEN ',grid_leader,'
                         WHEN 3 THEN ',secretary,' WHEN 4 THEN ',street_office,' ELSE ',district_department,' END
                    WHEN wf = 'people_mediation' THEN ',mediation_committee,mediator,'
                    WHEN wf = 'bench_meeting' THEN ',convener,' ELSE ',secretary,committee_member,' END,
               5, 5, '',
               {first_grid} + (q % {len(grids)}),
               CASE WHEN wf = 'grid_escalation' AND NOT (closed AND q % 20 = 0) THEN tier END,
               CASE WHEN wf = 'grid_escalation' AND closed AND q % 20 <> 0 THEN tier END,
               CASE WHEN q % 100 < 6 THEN 1 ELSE 0 END,
               CASE WHEN wf = 'grid_escalation' AND q % 100 < 4 THEN 1 ELSE 0 END,
               CASE WHEN wf = 'people_mediation' AND q % 10 = 0 THEN 1 ELSE 0 END,
               CASE WHEN wf = 'grid_escalation' AND closed AND q % 20 <> 0 THEN 1 + (q % 100 < 4) ELSE 0 END,
               CASE WHEN wf = 'grid_escalation' AND closed AND q % 20 <> 0 THEN 1 + (q % 100 < 4) ELSE 0 END,
               CASE WHEN wf = 'grid_escalation' AND closed AND q % 20 <> 0 THEN 1 ELSE 0 END
        FROM v""")
    # the month summary the steps would have added to (months in Asia/Shanghai, UTC+8)
    con.execute("""
        INSERT INTO stats_months (month, unit_id, workflow_id, tier, received, closed, on_time, handling_seconds,
                                  reopened, extended, evals_asked, evals_given, evals_satisfied)
        SELECT m, u, wf, tier, sum(rec), sum(cl), sum(ot), sum(hs), sum(ro), sum(ex), sum(ea), sum(eg), sum(es) FROM (
            SELECT strftime('%Y-%m', opened_at, '+8 hours') AS m, coalesce(unit_id, 0) AS u, workflow_id AS wf,
                   0 AS tier, 1 AS rec, 0 AS cl, 0 AS ot, 0.0 AS hs, 0 AS ro, 0 AS ex, 0 AS ea, 0 AS eg, 0 AS es
            FROM cases
            UNION ALL
            SELECT strftime('%Y-%m', closed_at, '+8 hours'), coalesce(unit_id, 0), workflow_id,
                   coalesce(resolved_tier, 0), 0, 1, deadlines_missed = 0,
                   (julianday(closed_at) - julianday(opened_at)) * 86400.0, reopened > 0, extended > 0,
                   evals_asked, evals_given, evals_satisfied
            FROM cases WHERE closed_at IS NOT NULL)
        GROUP BY m, u, wf, tier""")
    rows = con.execute("SELECT id, act_roles FROM cases WHERE closed_at IS NULL").fetchall()
    con.executemany("INSERT INTO case_actors (case_id, role, roles) VALUES (?, ?, ?)",
                    [(i, role, roles) for i, roles in rows for role in roles.split(",") if role])
    con.commit()
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - t0


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", default=None, help="where the database goes (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database in --dir")
    args = parser.parse_args()
    from rich.console import Console

    from yishi.engine import Actor, Engine
    from yishi.engine.types import CaseFilter
    from yishi.stats.figures import month_report, overview, recount
    from yishi.tui.data import load_counters
    from yishi.tui.screens.stats import overdue_chart, tier_chart, trend_chart

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {load()}")
    tmp = tempfile.TemporaryDirectory() if args.dir is None else None
    folder = Path(args.dir or tmp.name)  # type: ignore[union-attr]
    path = folder / f"stats-{args.cases}.db"
    if not (args.keep and path.exists()):
        path.unlink(missing_ok=True)
        made = make_database(path, args.cases)
        print(f"made {args.cases:,} cases in {made:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    raw = sqlite3.connect(path)
    engine = Engine.open(f"sqlite:///{path}")
    engine.workflows()
    me = Actor.of("马书记", "secretary", "convener", "mediation_committee")
    here = NOW.astimezone(engine.tz)
    last_month = f"{here.year - (here.month == 1):04d}-{(here.month - 2) % 12 + 1:02d}"
    console = Console(width=80, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115

    def screen() -> None:
        view = overview(engine, NOW)
        for chart in (tier_chart(view, "zh", 14), overdue_chart(view, "zh", 14), trend_chart(view, "zh", 22)):
            console.print(chart)

    figures: dict[str, Callable[[], object]] = {
        "report": lambda: month_report(engine, last_month, now=NOW),
        "report_by": lambda: month_report(engine, last_month, by="community", now=NOW),
        "screen": screen,
        "counters": lambda: load_counters(engine, NOW),
        "mine": lambda: engine.count(CaseFilter(open=True, roles=tuple(sorted(me.roles)))),
        "recount": lambda: recount(engine, last_month),
        "json_tiers": lambda: engine.count_by(CaseFilter(workflow_id="grid_escalation", state="closed"),
                                              "resolved_tier"),
    }

    def count() -> object:
        return raw.execute("SELECT count(*) FROM cases").fetchone()

    count()
    for fn in figures.values():  # warm the page cache and SQLAlchemy's statement cache
        fn()
    ratios: dict[str, list[float]] = {k: [] for k in figures}
    times: dict[str, list[float]] = {k: [] for k in figures}
    bases: list[float] = []
    for _ in range(args.rounds):
        for name, fn in figures.items():
            before = timed(count)
            took = timed(fn)
            after = timed(count)
            bases += [before, after]
            times[name].append(took)
            ratios[name].append(took / ((before + after) / 2))
    base = statistics.median(bases)
    report = month_report(engine, last_month, now=NOW)
    mine_n = engine.count(CaseFilter(open=True, roles=tuple(sorted(me.roles))))
    overdue_n = engine.count(CaseFilter(open=True, overdue_at=NOW))
    print(f"open {engine.count(CaseFilter(open=True)):,}, overdue {overdue_n:,}, the secretary's actions {mine_n:,}")
    print(f"count(*) over {args.cases:,} cases: median {base * 1000:.1f} ms; "
          f"{last_month}: {report.total.received:,} received, {report.total.closed:,} closed, "
          f"{len(report.rows)} rows (unit × procedure)")
    print(f"{'figure':<11} {'median ms':>10} {'best ms':>9} {'× count(*)':>11}  goal")
    goals = {"report": "≤ 2000 ms", "report_by": "≤ 2000 ms", "screen": "≤ 1000 ms",
             "counters": "within a 1 s start", "mine": "≤ 10 ms",
             "recount": "(the month from the case rows)", "json_tiers": "(the old counter)"}
    for name in figures:
        print(f"{name:<11} {statistics.median(times[name]) * 1000:>10.1f} {min(times[name]) * 1000:>9.1f} "
              f"{statistics.median(ratios[name]):>11.2f}  {goals[name]}")
    print(load())
    engine.close()
    raw.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
