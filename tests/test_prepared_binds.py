"""The prepared statements' shorter conversions (yishi.plugins.sqlstore.binds) store and read
exactly what SQLAlchemy's own processors do: the same text in the SQLite file, the same values
back, for the awkward values as well as the common ones (issue #13)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import JSON, bindparam, insert, select, update
from sqlalchemy.sql import null

from yishi.engine import Actor, Engine
from yishi.plugins.sqlstore.binds import fast_bind, fast_result
from yishi.plugins.sqlstore.prepared import Query
from yishi.plugins.sqlstore.store import SqlStore, _case, cases_t, events_t, timers_t
from yishi.plugins.sqlstore.tables import UTCDateTime

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIMES = [
    datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc),
    datetime(2026, 12, 1, 8, 30, 0, 1, tzinfo=timezone.utc),
    datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI),   # another zone: converted to UTC
    datetime(2027, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(999, 3, 4, 5, 6, 7, tzinfo=timezone.utc),             # a year of three digits
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    None,
]
JSONS = [{"a": 1, "中文": "议事", "n": [1, 2.5, None, True]}, [], {}, [{"x": {"y": "z"}}], None, "text", 3, 2.5,
         True]


def test_a_utc_time_is_written_as_sqlalchemy_writes_it() -> None:
    dialect = SqlStore("sqlite://").engine.dialect
    impl = UTCDateTime().dialect_impl(dialect)
    slow, fast = impl.bind_processor(dialect), fast_bind(UTCDateTime(), dialect)
    for value in TIMES:
        assert fast(value) == slow(value), value
    with freeze_time("2026-12-01 08:00:00"):  # freezegun's datetime subclass takes the slow road
        now = datetime.now(timezone.utc)
        assert fast(now) == slow(now) == "2026-12-01 08:00:00.000000"
    with pytest.raises(ValueError, match="naive datetime"):  # the clear error stays
        fast(datetime(2026, 12, 1, 8, 30))


def test_a_stored_time_is_read_as_sqlalchemy_reads_it() -> None:
    dialect = SqlStore("sqlite://").engine.dialect
    impl = UTCDateTime().dialect_impl(dialect)
    slow, fast = impl.result_processor(dialect, None), fast_result(UTCDateTime(), dialect)
    stored = ["2026-12-01 08:30:00.000000", "0999-03-04 05:06:07.000000", "2026-12-01 08:30:00",
              "2026-12-01 08:30:00.5", "2026-12-01", None]
    for value in stored:
        got = fast(value)
        assert got == slow(value) and (got is None or got.tzinfo is not None), value


def test_json_is_written_as_sqlalchemy_writes_it() -> None:
    dialect = SqlStore("sqlite://").engine.dialect
    impl = JSON().dialect_impl(dialect)
    slow, fast = impl.bind_processor(dialect), fast_bind(JSON(), dialect)
    for value in [*JSONS, JSON.NULL, null()]:
        assert fast(value) == slow(value), value


def test_rows_written_by_a_prepared_statement_equal_rows_written_by_core(tmp_path) -> None:
    """The same event and timer written through ``Query`` and through a Core ``execute``: the
    file holds the same text, and both read back equal."""
    engine = Engine.open(f"sqlite:///{tmp_path / 'y.db'}")
    ids = [engine.start("four_discussions_two_disclosures", Actor.of("甲", "secretary"),
                        {"subject": "议题", "matter_type": "collective_assets", "proposal": "提议"}).id
           for _ in range(2)]
    store = engine.store
    cols = [c.name for c in events_t.columns if c.name != "id"]
    prepared = Query(insert(events_t).values({n: bindparam(n) for n in cols}), store.engine.dialect)
    rows = []
    for i, (at, data) in enumerate(zip(TIMES[:-1], JSONS)):
        rows.append({"case_id": ids[0], "seq": i + 10, "at": at, "kind": "fire", "actor": "甲", "role": "r",
                     "trigger": None, "source": "a", "dest": "b", "data": data if data is not None else {},
                     "verdicts": [{"rule": "role", "ok": True}], "prev_hash": "p", "hash": f"h{i}"})
    with store.engine.begin() as conn:
        for row in rows:
            prepared.execute(conn, row)
            conn.execute(insert(events_t), {**row, "case_id": ids[1]})
    raw = sqlite3.connect(tmp_path / "y.db")
    by_case = {cid: raw.execute("SELECT seq, at, data, verdicts FROM events WHERE case_id = ? AND seq >= 10 "
                                "ORDER BY seq", (cid,)).fetchall() for cid in ids}
    assert by_case[ids[0]] == by_case[ids[1]] and len(by_case[ids[0]]) == len(rows)
    read = Query(select(events_t).where(events_t.c.case_id == bindparam("c"), events_t.c.seq >= 10)
                 .order_by(events_t.c.seq), store.engine.dialect)
    with store.engine.connect() as conn:
        mine = read.all(conn, {"c": ids[0]})
        core = [r._asdict() for r in conn.execute(select(events_t).where(
            events_t.c.case_id == ids[1], events_t.c.seq >= 10).order_by(events_t.c.seq))]
    assert [{**r, "id": None, "case_id": None} for r in mine] == [{**r, "id": None, "case_id": None} for r in core]
    assert all(r["at"].tzinfo is not None for r in mine)
    engine.close()


def test_a_missing_optional_value_takes_its_default_and_a_missing_required_one_is_named() -> None:
    store = SqlStore("sqlite://")
    keys = ("case_id", "state", "idx", "due_at", "kind", "target", "detail", "status", "result")
    q = Query(insert(timers_t).values({n: bindparam(n) for n in keys}), store.engine.dialect)
    with pytest.raises(KeyError, match="due_at"):
        q._params({n: 1 for n in keys if n != "due_at"})
    cancel = Query(update(timers_t).where(timers_t.c.case_id == bindparam("b_case_id"),
                                          timers_t.c.status == "pending").values(status="cancelled"),
                   store.engine.dialect)
    assert sorted(map(str, cancel._params({"b_case_id": 7}))) == ["7", "cancelled", "pending"]
    store.close()


def test_the_json_columns_text_is_json_dumps_compact() -> None:
    import json

    from yishi.plugins.sqlstore.binds import compact_json

    for value in [*JSONS, float("nan"), {1: "x"}, ("t", 1), {"s": "引号\"与\n换行"}]:
        assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")), value
    with pytest.raises(TypeError, match="not JSON serializable"):
        compact_json({"x": object()})


def test_the_case_built_straight_from_the_row_equals_the_case_read_by_name(any_url: str) -> None:
    """``get_case`` (the step's hot path and the plain read) builds the Case in one generated call;
    it must equal the Case built from a Core row by column name, figures and roles included."""
    with Engine.open(any_url) as engine:
        secretary = Actor.of("王书记", "secretary")
        case = engine.start("four_discussions_two_disclosures", secretary,
                            {"subject": "议题", "matter_type": "collective_assets", "proposal": "提议"})
        engine.fire(case.id, "submit_to_committees", secretary)
        grid = engine.start("grid_escalation", Actor.of("网格员小李", "grid_member"), {
            "subject": "路灯不亮", "reporter": "居民", "place": "小区", "category": "facilities",
            "urgency": "normal", "description": "三号楼前"})
        for case_id in (case.id, grid.id):
            with engine.store.write() as tx:
                locked = tx.get_case(case_id, for_update=True)
                plain = tx.get_case(case_id)
                core = _case(tx.conn.execute(select(cases_t).where(cases_t.c.id == case_id)).first())
            assert locked == plain and locked is not None
            assert locked == core  # the Case built through a Core row, by column name
            assert locked.act_roles and locked.opened_at.tzinfo is not None
