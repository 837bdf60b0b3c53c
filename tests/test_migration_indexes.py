"""Migrations keep every index of the case lists on SQLite: batch mode rebuilds a table from its
reflection, which cannot see expression indexes (0007 once dropped ix_cases_open_urgency)."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

from yishi.engine import Engine


def test_a_new_sqlite_database_has_every_case_list_index(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. SQLAlchemy's "skipped reflection of expression-based index"
        Engine.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                            "AND tbl_name IN ('cases', 'case_actors')")}
    # 0010: ix_cases_stats_overdue (closed_at, due_at, …) replaces ix_cases_open_due, and "my
    # actions" reads case_actors (ix_case_actors_role) instead of ix_cases_open_roles' LIKE scan
    assert {"ix_cases_stats_overdue", "ix_cases_open_urgency", "ix_case_actors_role"} <= names
