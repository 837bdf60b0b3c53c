"""The home screen's share resolved within the community (issue 13, goal 4): summed by tier in the
database, equal to the sum over the month summary's rows, everywhere and for a set of units."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from yishi.engine import Engine
from yishi.stats.figures import community_share

GRID = "grid_escalation"


def by_rows(engine: Engine, units: set[int] | None) -> tuple[int, int] | None:
    tiers: dict[int, int] = {}
    with engine.store.read() as tx:
        for row in tx.stats().months([], workflow_id=GRID):
            if row["tier"] and (units is None or row["unit_id"] in units):
                tiers[row["tier"]] = tiers.get(row["tier"], 0) + row["closed"]
    total = sum(tiers.values())
    return (sum(n for t, n in tiers.items() if t <= 3), total) if total else None


def test_the_community_share_is_summed_in_the_database(demo_url: str) -> None:
    with Engine.open(demo_url) as engine:
        with engine.store.read() as tx:
            units = sorted({r["unit_id"] for r in tx.stats().months([], workflow_id=GRID)})
        assert by_rows(engine, None) is not None
        for scope in (None, tuple(units), tuple(units[:1]), (), (999999,)):
            assert community_share(engine, GRID, scope) == by_rows(engine, None if scope is None else set(scope))
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
            statements.append(sql)

        event.listen(engine.store.engine, "before_cursor_execute", seen)
        try:
            community_share(engine, GRID)
        finally:
            event.remove(engine.store.engine, "before_cursor_execute", seen)
        (query,) = [s for s in statements if "stats_months" in s]
        assert "GROUP BY" in query and "sum(" in query.lower()
