"""Shared fixtures: every test gets its own database (a SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from yishi.engine import Actor, Engine
from yishi.plugin_manager import preload

preload()  # before any freeze_time: see yishi.plugin_manager.preload

PG_BASE = os.environ.get("YISHI_TEST_PG", "")
FOUR = "four_discussions_two_disclosures"


@pytest.fixture(autouse=True)
def _only_builtin_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite sees the built-in plugins only, so it passes with third-party yishi plugins
    installed (issue #14): a test about installed plugins sets ``YISHI_PLUGINS`` itself."""
    from yishi.plugin_manager import BUILTIN_PLUGINS

    monkeypatch.setenv("YISHI_PLUGINS", ",".join(BUILTIN_PLUGINS))


@pytest.fixture(autouse=True)
def _no_personal_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own config file (name, roles, notifiers, database)."""
    empty = tmp_path_factory.mktemp("config") / "config.toml"
    monkeypatch.setenv("YISHI_CONFIG", str(empty))
    monkeypatch.delenv("YISHI_DB", raising=False)
    anchors = empty.parent / "anchor"  # nor the developer's anchor key and anchor files
    monkeypatch.setenv("YISHI_ANCHOR_KEY", str(anchors / "anchor.key"))
    monkeypatch.setenv("YISHI_ANCHOR_DIR", str(anchors / "anchors"))


DEMO_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per test session with its clock ending at ``DEMO_NOW``."""
    from yishi.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(f"sqlite:///{path}", now=DEMO_NOW).close()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the demo database for this test."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'yishi.db'}"


def _pg_admin():  # noqa: ANN202
    from sqlalchemy import create_engine

    return create_engine(PG_BASE, isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards (needs YISHI_TEST_PG)."""
    if not PG_BASE:
        pytest.skip("YISHI_TEST_PG is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"yishi_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    eng = Engine.open(sqlite_url)
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture
def secretary() -> Actor:
    return Actor.of("王书记", "secretary")


# leasing collective property is an art. 24 matter: the representatives' meeting may decide it
# only with the villagers' meeting's delegation (Organic Law of Villagers' Committees)
PROPOSAL = {"subject": "闲置厂房出租给幼儿园", "matter_type": "collective_assets",
            "villagers_delegation": "2025-03-01 村民会议授权村民代表会议决定集体资产租赁事项",
            "proposal": "将村集体闲置厂房出租给幼儿园举办者，租期三年。"}
# dated on the simulated clock's first day (2026-01-05): minutes of meetings already held
COMMITTEES = {"meeting_date": "2026-01-05", "minutes": "两委会一致同意提交党员大会。"}
PARTY = {"meeting_date": "2026-01-05", "party_members": 30, "party_attended": 24,
         "party_votes_for": 20, "minutes": "党员大会审议通过。"}


def representatives(attended: int, votes_for: int, total: int = 20) -> dict[str, object]:
    return {"meeting_date": "2026-01-05", "representatives": total, "attended": attended,
            "votes_for": votes_for, "resolution": "同意出租，租金用于村公益事业。",
            "minutes": f"应到 {total} 人，实到 {attended} 人，赞成 {votes_for} 人。"}
