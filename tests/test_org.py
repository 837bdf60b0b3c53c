"""The organisation: units, people, grants and the hash-chained administration log; cases
belong to units (real SQLite files and the real PostgreSQL)."""

from __future__ import annotations

import pytest

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from yishi.engine import Actor, Engine
from yishi.errors import NotFoundError
from yishi.org import OrgError
from yishi.plugins.sqlstore.append_only import maintenance_window

ADMIN = Actor.of("管理员")


def small_tree(engine: Engine) -> dict[str, object]:
    org = engine.org
    district = org.add_unit("区", "城关区", by=ADMIN)
    east = org.add_unit("街道", "东街街道", district, by=ADMIN)
    west = org.add_unit("street", "西街街道", district.id, by=ADMIN)
    peace = org.add_unit("社区", "和平社区", east, by=ADMIN)
    grid = org.add_unit("网格", "第一网格", peace, by=ADMIN)
    return {"district": district, "east": east, "west": west, "peace": peace, "grid": grid}


def test_units_people_grants_and_the_chained_log(any_url: str) -> None:
    with Engine.open(any_url) as engine:
        tree = small_tree(engine)
        org = engine.org
        assert org.label(tree["grid"]) == "城关区/东街街道/和平社区/第一网格"
        assert org.find_unit("和平社区/第一网格").id == tree["grid"].id
        assert org.find_unit(f"#{tree['east'].id}").name == "东街街道"
        wang = org.add_person("王书记", login="wang", phone="13800000000", wecom_id="wangsj", by=ADMIN)
        grant = org.grant("wang", "secretary", "和平社区", by=ADMIN)
        assert grant.unit_id == tree["peace"].id and grant.granted_by == "管理员"
        assert [g.role for g in org.grants(wang, at=engine.now())] == ["secretary"]
        org.revoke(grant.id, by=ADMIN)
        assert org.grants(wang, at=engine.now()) == []
        log = org.log()
        assert [e.kind for e in log] == ["unit"] * 5 + ["person", "grant", "revoke"]
        assert org.verify().ok


def test_bad_organisation_input_is_refused_in_the_users_words(sqlite_url: str) -> None:
    with Engine.open(sqlite_url) as engine:
        tree = small_tree(engine)
        org = engine.org
        for name in ("", "   ", "system", "System", "系统"):
            with pytest.raises(OrgError) as err:
                org.add_person(name, by=ADMIN)
            assert "姓名" in err.value.message_zh or "保留" in err.value.message_zh
        with pytest.raises(OrgError, match="cannot be placed under"):
            org.add_unit("街道", "错位街道", tree["grid"], by=ADMIN)
        with pytest.raises(OrgError, match="unknown kind"):
            org.add_unit("省", "某省", by=ADMIN)
        with pytest.raises(OrgError, match="exists already"):
            org.add_unit("社区", "和平社区", tree["east"], by=ADMIN)
        org.add_person("李四", login="li", by=ADMIN)
        with pytest.raises(OrgError, match="belongs to someone else"):
            org.add_person("李四二", login="li", by=ADMIN)
        with pytest.raises(OrgError) as err:
            org.grant("li", "chef", "和平社区", by=ADMIN)
        assert "'chef'" in err.value.message and "secretary" in err.value.message
        assert "“chef”" in err.value.message_zh
        with pytest.raises(NotFoundError, match="no organisation unit called"):
            org.grant("li", "secretary", "不存在社区", by=ADMIN)
        assert [e.kind for e in org.log()] == ["unit"] * 5 + ["person"]  # nothing half-done


def test_the_log_detects_a_changed_entry(sqlite_url: str) -> None:
    import sqlite3

    with Engine.open(sqlite_url) as engine:
        small_tree(engine)
        engine.org.add_person("王书记", login="wang", by=ADMIN)
        engine.org.grant("wang", "secretary", "和平社区", by=ADMIN)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn, maintenance_window(conn, "test", "tamper on purpose: the log is append-only"):
        conn.execute("UPDATE org_log SET data = json_set(data, '$.role', 'admin') WHERE kind = 'grant'")
    with Engine.open(sqlite_url) as engine:
        report = engine.org.verify()
        assert not report.ok and report.broken[0][0] == 7 and "改动" in report.broken[0][2]


def test_a_case_belongs_to_a_unit_and_a_handover_keeps_it(any_url: str, secretary: Actor) -> None:
    with Engine.open(any_url) as engine:
        tree = small_tree(engine)
        case = engine.start(FOUR, secretary, PROPOSAL, unit="和平社区")
        assert case.unit_id == tree["peace"].id
        assert engine.case(case.id).unit_id == tree["peace"].id
        assert engine.history(case.id)[0].data["_unit"] == tree["peace"].id
        plain = engine.start(FOUR, secretary, PROPOSAL)
        assert plain.unit_id is None
        follow = engine.start(FOUR, secretary, PROPOSAL, link_from=case.id)
        assert follow.unit_id == tree["peace"].id
        with pytest.raises(NotFoundError, match="no organisation unit"):
            engine.start(FOUR, secretary, PROPOSAL, unit=9999)
        assert engine.verify().ok


def test_params_per_unit_most_specific_first(any_url: str, secretary: Actor) -> None:
    """A district's own notice period, and one community's own: each case uses the most specific
    override of its unit; ``effective`` says where each value comes from."""
    from datetime import timedelta

    from yishi.org.params import effective

    with Engine.open(any_url, params={FOUR: {"notice_period": "6d"}}) as engine:
        tree = small_tree(engine)
        org = engine.org
        org.set_param(tree["district"], FOUR, "notice_period", "10d", by=ADMIN)
        org.set_param("和平社区", FOUR, "notice_period", "3d", by=ADMIN)
        with pytest.raises(OrgError, match="no param"):
            org.set_param("和平社区", FOUR, "notice_periods", "3d", by=ADMIN)
        with pytest.raises(OrgError):
            org.set_param("和平社区", FOUR, "notice_period", "三天", by=ADMIN)

        def notice(unit: object) -> timedelta:
            case = engine.start(FOUR, secretary, PROPOSAL, unit=unit)
            for trigger, data in (("submit_to_committees", {}), ("submit_to_party_members", COMMITTEES),
                                  ("submit_to_representatives", PARTY),
                                  ("pass_resolution", representatives(14, 8))):
                result = engine.fire(case.id, trigger, secretary, data)
            return result.case.due_at - result.event.at

        assert notice(tree["grid"]) == timedelta(days=3)  # 第一网格 is under 和平社区
        assert notice(tree["west"]) == timedelta(days=10)  # the district's
        assert notice(None) == timedelta(days=6)  # the config's
        rows = {r.name: r for r in effective(engine, FOUR, tree["grid"])}
        assert rows["notice_period"].value == timedelta(days=3)
        assert rows["notice_period"].source_text("zh") == "单位：城关区/东街街道/和平社区"
        west = {r.name: r for r in effective(engine, FOUR, tree["west"])}
        assert west["notice_period"].source_text("en") == "unit: 城关区"
        top = {r.name: r for r in effective(engine, FOUR)}
        assert top["notice_period"].source == "config"
        assert top["results_notice_period"].source == "default"
        assert [e.kind for e in org.log()][-2:] == ["param", "param"]


def test_the_postgresql_login_is_the_person(pg_url: str) -> None:
    """``database`` authentication: each person logs in to PostgreSQL as their own role; the
    connection's ``current_user`` is the person. A role that is no person is refused."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from yishi.org import auth

    role = f"yishi_wang_{uuid.uuid4().hex[:6]}"
    with Engine.open(pg_url) as engine:
        engine.org.init("张主任", "zhang", root="东街街道")
        admin = Actor.of("zhang")
        engine.org.add_person("王书记", login=role, by=admin)
        auth.set_method(engine, "database", by=admin)
    setup = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with setup.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        as_wang = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        with Engine.open(as_wang) as engine:
            me = auth.authenticate(engine)
            assert me.name == "王书记" and me.person_id is not None
        with Engine.open(pg_url) as engine:  # as postgres: no person has that login
            with pytest.raises(auth.AuthError, match="database login 'postgres' belongs to no person"):
                auth.authenticate(engine)
    finally:
        with setup.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        setup.dispose()


def readme_grants() -> list[str]:
    """The GRANT and REVOKE statements of README's "Deploying for a street office"."""
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    lines = [line.split("--")[0].strip() for line in readme.splitlines()]
    found = [line.rstrip(";") for line in lines if line.startswith(("GRANT ", "REVOKE ")) and "yishi_app" in line]
    assert len(found) >= 4, found
    return found


def test_the_least_privilege_login_of_the_readme_runs_everything_but_cannot_rewrite_the_record(
        pg_url: str, secretary: Actor) -> None:
    """README "Deploying for a street office": an application login with SELECT, INSERT and
    UPDATE but no UPDATE on events and org_log (DELETE only on case_actors) starts, records, fires, ticks,
    grants, revokes and urges; rewriting an event or a log entry is refused by PostgreSQL."""
    import uuid
    from datetime import timedelta

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    from freezegun import freeze_time

    role = f"yishi_app_{uuid.uuid4().hex[:6]}"
    with freeze_time("2026-11-01 01:00:00"), Engine.open(pg_url) as engine:  # the owner creates the tables
        engine.org.init("张主任", "zhang", root="东街街道")
    owner = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            for statement in readme_grants():  # exactly what the README tells the operator to run
                conn.execute(text(statement.replace("yishi_app", f'"{role}"')))
        app_url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        with freeze_time("2026-11-02 01:00:00") as frozen, Engine.open(app_url) as engine:
            admin = Actor.of("zhang")
            peace = engine.org.add_unit("社区", "和平社区", "东街街道", by=admin)
            engine.org.add_person("王书记", login="wang", by=admin)
            engine.org.add_person("李网格", login="li", by=admin)
            engine.org.grant("wang", "secretary", peace, by=admin)
            temp = engine.org.grant("li", "grid_member", peace, by=admin)
            engine.org.revoke(temp.id, by=admin)
            case = engine.start(FOUR, Actor.of("wang"), PROPOSAL, unit=peace)
            engine.record(case.id, Actor.of("wang"), {"minutes": "草稿"})
            engine.fire(case.id, "submit_to_committees", Actor.of("wang"))
            frozen.tick(timedelta(days=30))
            engine.tick()
            assert engine.verify().ok and engine.org.verify().ok
            with engine.store.engine.connect() as conn:
                for table in ("events", "org_log"):
                    with pytest.raises(ProgrammingError, match="permission denied"):
                        conn.execute(text(f"UPDATE {table} SET hash = hash"))
                    conn.rollback()
                    with pytest.raises(ProgrammingError, match="permission denied"):
                        conn.execute(text(f"DELETE FROM {table}"))
                    conn.rollback()
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        owner.dispose()
