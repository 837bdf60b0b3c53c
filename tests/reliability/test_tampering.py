"""Issue 10, findings 1 and 4: every kind of tampering with the stored record is detected by
``verify`` and NAMED (a code, and a reason in zh and en naming the field, state or timer), on
SQLite and PostgreSQL; untouched cases verify clean; a corrupt row is reported and the scan goes on.

``YISHI_RELIABILITY_CASES`` (default 0) adds that many untouched cases to show the replay gives
no false alarms at scale.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from tamper import (
    cases_t, defs_t, delete_events, edit_data, events_t, raw, rewrite_events, set_row,
    timers_t, write_row,
)
from yishi.engine import Actor, Engine
from yishi.errors import StorageError
from yishi.testing import SimClock, workflow_files

SEC = Actor.of("王书记", "secretary")
EXTRA = int(os.environ.get("YISHI_RELIABILITY_CASES", "0"))

TINY = """\
id: tiny_vote
version: 1
title: {zh: 小额表决, en: small vote}
description: {zh: 测试用, en: for tests}
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
initial: open
states:
  open:
    title: {zh: 受理, en: open}
    form:
      - {name: votes_for, type: integer, label: {zh: 赞成票, en: votes for}}
  passed: {title: {zh: 通过, en: passed}, final: true}
transitions:
  - trigger: pass_vote
    source: open
    dest: passed
    title: {zh: 通过, en: pass}
    roles: [clerk]
    guards: [{equals: {field: votes_for, value: 7}}]
"""


def at_representatives(engine: Engine) -> int:
    case = engine.start(FOUR, SEC, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", SEC)
    engine.fire(case.id, "submit_to_party_members", SEC, COMMITTEES)
    engine.fire(case.id, "submit_to_representatives", SEC, PARTY)
    return case.id


def at_notice(engine: Engine) -> int:
    case_id = at_representatives(engine)
    engine.fire(case_id, "pass_resolution", SEC, representatives(14, 8))
    return case_id


def findings(report, case_id: int):  # noqa: ANN001, ANN201
    return [b for b in report.broken if b.case_id == case_id]


def test_every_kind_of_tampering_is_detected_and_named(any_url: str, tmp_path: Path, sim_clock: SimClock) -> None:
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "tiny.yaml").write_text(TINY, encoding="utf-8")
    url = any_url
    with Engine.open(url, plugins=[workflow_files(tmp_path / "wf")]) as engine:
        clean = [at_notice(engine), at_representatives(engine)]
        clean += [at_representatives(engine) for _ in range(EXTRA)]
        tiny = engine.start("tiny_vote", Actor.of("李", "clerk"), {"votes_for": 3}).id
        kinds: dict[str, tuple[int, str]] = {}  # what was done -> (case, the code verify must name)
        kinds["state set to closed"] = (at_notice(engine), "row.state")
        kinds["form data edited"] = (at_notice(engine), "row.data")
        withdrawn = engine.start(FOUR, SEC, PROPOSAL).id
        engine.fire(withdrawn, "withdraw", SEC, {"reason": "提议人撤回"})
        kinds["closed case reopened"] = (withdrawn, "row.reopened")
        kinds["rev changed"] = (at_representatives(engine), "row.rev")
        kinds["opened_by changed"] = (at_representatives(engine), "row.opened_by")
        rolled = at_representatives(engine)
        before = engine.case(rolled)
        engine.fire(rolled, "pass_resolution", SEC, representatives(14, 8))
        kinds["last event deleted and the row rolled back"] = (rolled, "timer.extra")
        careful = at_representatives(engine)
        careful_before = engine.case(careful)
        engine.fire(careful, "pass_resolution", SEC, representatives(14, 8))
        kinds["last event deleted, the row and the timers rolled back"] = (careful, "outbox.orphan")
        kinds["pending timer deleted"] = (at_notice(engine), "timer.missing")
        kinds["stored definition's guard altered"] = (tiny, "definition")
        skipped = at_notice(engine)
        kinds["state hand-set, then a step taken from it"] = (skipped, "event.source")
        kinds["event content edited"] = (at_notice(engine), "chain.content")
        kinds["event deleted from the middle"] = (at_notice(engine), "chain.missing")
        kinds["event edited and the chain recomputed"] = (at_notice(engine), "row.data")
        sim_clock.advance("1d")
        engine.tick()
        assert engine.verify().ok  # nothing touched yet

    attended = "representatives present"
    set_row(url, kinds["state set to closed"][0], state="archived", closed_at=sim_clock.now(), act_roles="")
    edit_data(url, kinds["form data edited"][0], lambda d: d["representatives_meeting"].update(attended=20))
    set_row(url, withdrawn, closed_at=None)
    set_row(url, kinds["rev changed"][0], rev=99)
    set_row(url, kinds["opened_by changed"][0], opened_by="张三")
    with raw(url) as conn:  # delete the step and put the row back as it was before it
        conn.execute(delete(events_t).where(events_t.c.case_id == rolled, events_t.c.seq == before.last_seq + 1))
        write_row(conn, before)
    with raw(url) as conn:  # the same, and the timers the step made removed, the ones it cancelled pending again
        conn.execute(delete(events_t).where(events_t.c.case_id == careful, events_t.c.seq == careful_before.last_seq + 1))
        write_row(conn, careful_before)
        conn.execute(delete(timers_t).where(timers_t.c.case_id == careful, timers_t.c.state == "resolution_notice"))
        conn.execute(update(timers_t).where(timers_t.c.case_id == careful, timers_t.c.status == "cancelled")
                     .values(status="pending", finished_at=None))
    with raw(url) as conn:
        conn.execute(delete(timers_t).where(timers_t.c.case_id == kinds["pending timer deleted"][0],
                                            timers_t.c.status == "pending"))
    with raw(url) as conn:  # let 3 votes pass a guard that wants 7
        sha = conn.execute(select(cases_t.c.workflow_sha256).where(cases_t.c.id == tiny)).scalar_one()
        text = conn.execute(select(defs_t.c.text).where(defs_t.c.sha256 == sha)).scalar_one()
        conn.execute(update(defs_t).where(defs_t.c.sha256 == sha).values(text=text.replace("value: 7", "value: 3")))
    set_row(url, skipped, state="implementation", act_roles=",secretary,")
    with Engine.open(url) as engine:  # skip the 7-day notice period
        engine.fire(skipped, "disclose_results", SEC, {"progress": "已完成", "completed_on": "2026-01-06"})
    with raw(url) as conn:
        conn.execute(update(events_t).where(events_t.c.case_id == kinds["event content edited"][0],
                                            events_t.c.seq == 3).values(actor="李四"))
    delete_events(url, kinds["event deleted from the middle"][0], [2])
    forged = kinds["event edited and the chain recomputed"][0]
    with Engine.open(url) as engine:
        history = engine.history(forged)
    changed = [replace(e, data={**e.data, "attended": 20}) if e.trigger == "pass_resolution" else e
               for e in history[4:]]
    with raw(url) as conn:
        last = rewrite_events(conn, changed)
        conn.execute(update(cases_t).where(cases_t.c.id == forged).values(last_hash=last))

    with Engine.open(url) as engine:  # the plugin with tiny.yaml is gone: its stored text must be used
        report = engine.verify()
        detected = []
        for what, (case_id, code) in kinds.items():
            found = findings(report, case_id)
            assert all(b.what and b.what_zh and b.code for b in found), found
            if any(b.code == code for b in found):
                detected.append(what)
            else:
                print(f"NOT detected as {code}: {what}: {found}")
        print(f"\ntampering kinds detected and named on {url.split(':')[0]}: {len(detected)}/{len(kinds)}")
        assert detected == list(kinds)
        for case_id in clean:
            assert findings(report, case_id) == []
        # what each finding says, in the user's words
        named = {b.code: b for case_id, _ in kinds.values() for b in findings(report, case_id)}
        assert "'resolution disclosed'" in named["row.state"].what and "“决议公开”" in named["row.state"].what_zh
        data = [b for b in findings(report, kinds["form data edited"][0]) if b.code == "row.data"][0]
        assert attended in data.what and "is 20 in the case row, 14 in the events" in data.what
        assert "实到代表" in data.what_zh
        assert named["row.reopened"].what.startswith("the case row says it is open, its events closed it")
        assert "revision 99" in named["row.rev"].what and "第 99 版" in named["row.rev"].what_zh
        assert "张三" in named["row.opened_by"].what and "王书记" in named["row.opened_by"].what
        assert "remind Party secretary at 'resolution disclosed' due 2026-01-12 09:00" in named["timer.missing"].what
        assert "“决议公开”到期 2026-01-12 09:00 的提醒党组织书记" in named["timer.missing"].what_zh
        assert [d.workflow_id for d in report.altered] == ["tiny_vote"]
        assert "tiny_vote version 1" in named["definition"].what
        source = named["event.source"]
        assert "'implementation'" in source.what and "'resolution disclosed'" in source.what
        assert named["chain.content"].seq == 3 and named["chain.missing"].seq == 3
        # the altered definition is never run
        with pytest.raises(StorageError, match="was altered"):
            engine.fire(tiny, "pass_vote", Actor.of("李", "clerk"))


def test_a_corrupt_row_is_reported_and_the_scan_goes_on(sqlite_url: str) -> None:
    import sqlite3

    with Engine.open(sqlite_url) as engine:
        ids = [at_notice(engine) for _ in range(4)]  # each with a pending reminder
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        from yishi.plugins.sqlstore.append_only import maintenance_window

        with maintenance_window(conn, "test", "corrupt rows on purpose"):
            conn.execute("UPDATE cases SET data = '{\"proposal\": ' WHERE id = ?", (ids[0],))
            conn.execute("UPDATE events SET at = 'last tuesday' WHERE case_id = ? AND seq = 2", (ids[1],))
            conn.execute("UPDATE timers SET detail = '[1, 2' WHERE case_id = ?", (ids[2],))
    with Engine.open(sqlite_url) as engine:
        report = engine.verify()
    corrupt = {b.case_id: b for b in report.broken if b.code == "corrupt"}
    print(f"\ncorrupt rows reported: {len(corrupt)}/3 (the scan went on to all {report.cases} cases)")
    assert set(corrupt) == {ids[0], ids[1], ids[2]}
    assert "timer" in corrupt[ids[2]].what and "its detail is corrupt" in corrupt[ids[2]].what
    assert "the case row cannot be read: its data is corrupt" in corrupt[ids[0]].what
    assert corrupt[ids[1]].seq == 2 and "its at is corrupt" in corrupt[ids[1]].what
    assert "第 2 条记录无法读取" in corrupt[ids[1]].what_zh
    assert report.cases == 4 and findings(report, ids[3]) == []


def test_verify_cli_names_a_corrupt_row_without_a_traceback(sqlite_url: str) -> None:
    import sqlite3

    from typer.testing import CliRunner

    from yishi.cli import app

    with Engine.open(sqlite_url) as engine:
        case_id = at_representatives(engine)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        from yishi.plugins.sqlstore.append_only import maintenance_window

        with maintenance_window(conn, "test", "corrupt rows on purpose"):
            conn.execute("UPDATE events SET data = 'not json' WHERE case_id = ? AND seq = 3", (case_id,))
    result = CliRunner().invoke(app, ["--db", sqlite_url, "--lang", "zh", "verify"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"案件 #{case_id} 第 3 条记录：第 3 条记录无法读取" in result.stderr


NUMBERS = """\
id: numbers
version: 1
title: {zh: 数值, en: numbers}
description: {zh: 测试用, en: for tests}
roles:
  clerk: {title: {zh: 办事员, en: clerk}}
initial: open
states:
  open:
    title: {zh: 受理, en: open}
    form:
      - {name: budget, type: number, label: {zh: 预算, en: budget}}
      - {name: delta, type: number, label: {zh: 差额, en: difference}}
      - {name: rate, type: number, label: {zh: 比率, en: rate}}
      - {name: price, type: number, label: {zh: 单价, en: price}}
  done: {title: {zh: 办结, en: done}, final: true}
transitions:
  - {trigger: finish, source: open, dest: done, title: {zh: 办结, en: finish}, roles: [clerk]}
"""


def test_numbers_jsonb_rewrites_still_verify(any_url: str, tmp_path: Path) -> None:
    """PostgreSQL's JSONB gives 1e16 back as 10000000000000000 and -0.0 as 0: the canonical hash
    is the same for both spellings, so this is not reported as tampering."""
    (tmp_path / "numbers.yaml").write_text(NUMBERS, encoding="utf-8")
    values = {"budget": 1e16, "delta": -0.0, "rate": 1.5e-07, "price": 2.5}
    with Engine.open(any_url, plugins=[workflow_files(tmp_path / "numbers.yaml")]) as engine:
        case = engine.start("numbers", Actor.of("李", "clerk"), values)
        engine.record(case.id, Actor.of("李", "clerk"), {"budget": 3e20, "delta": -0.0})
        stored = engine.history(case.id)[0].data
        report = engine.verify()
    print(f"\nnumbers on {any_url.split(':')[0]}: 1e16 stored back as {stored['budget']!r}, -0.0 as "
          f"{stored['delta']!r}; verify ok: {report.ok}")
    assert report.ok, report.broken
