"""``yishi init``, ``yishi org`` and ``yishi params`` end to end (Typer's runner on real SQLite
files): a real database refuses --as/--role, takes the login, imports rosters whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FOUR, PROPOSAL
from typer.testing import CliRunner, Result

from yishi.cli import app
from yishi.engine import Engine

SETS = [x for k, v in PROPOSAL.items() for x in ("--set", f"{k}={v}")]


@pytest.fixture
def yishi(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``yishi --db <this test's database> ARGS`` as the operating-system login ``login``."""
    runner = CliRunner()

    def invoke(*args: str, login: str = "zhang", lang: str = "en", input: str | None = None,
               env: dict[str, str] | None = None) -> Result:
        monkeypatch.setenv("LOGNAME", login)
        monkeypatch.setenv("USER", login)
        return runner.invoke(app, ["--db", sqlite_url, "--lang", lang, *args], input=input,
                             env={"COLUMNS": "200", **(env or {})})
    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def street(yishi: Any) -> None:
    ok(yishi("init", "--name", "张主任", "--root", "东街街道"))
    ok(yishi("org", "unit", "add", "社区", "和平社区", "--parent", "东街街道"))
    ok(yishi("org", "unit", "add", "网格", "第一网格", "--parent", "和平社区"))
    ok(yishi("org", "person", "add", "王书记", "--login", "wang", "--phone", "13800000001"))
    ok(yishi("org", "person", "add", "李网格", "--login", "li"))
    ok(yishi("org", "grant", "wang", "党组织书记", "和平社区"))
    ok(yishi("org", "grant", "wang", "committee_member", "和平社区"))
    ok(yishi("org", "grant", "li", "网格员", "第一网格"))


def test_init_makes_the_database_real_and_the_login_decides_who_acts(yishi: Any, sqlite_url: str) -> None:
    street(yishi)
    refused = yishi("case", "new", FOUR, "--as", "任何人", "--role", "secretary", *SETS)
    assert refused.exit_code == 1
    assert "--as and --role are refused on a real database" in refused.output
    zh = yishi("--as", "任何人", "case", "list", lang="zh")
    assert zh.exit_code == 1 and "正式数据库不接受 --as 和 --role" in zh.output
    made = ok(yishi("case", "new", FOUR, *SETS, "--unit", "和平社区", "--json", login="wang"))
    case_id = json.loads(made.stdout)["id"]
    # the grid member does not see the community's case; the secretary and the street admin do
    assert json.loads(ok(yishi("case", "list", "--json", login="li")).stdout) == []
    assert [c["id"] for c in json.loads(ok(yishi("case", "list", "--json", login="wang")).stdout)] == [case_id]
    missing = yishi("case", "show", str(case_id), login="li")
    assert missing.exit_code == 1 and f"no case #{case_id}" in missing.output
    stranger = yishi("case", "list", login="nobody")
    assert stranger.exit_code == 1 and "belongs to no person" in stranger.output
    assert "yishi org person add NAME --login nobody" in stranger.output
    fired = ok(yishi("case", "fire", str(case_id), "submit_to_committees", "--json", login="wang"))
    event = json.loads(fired.stdout)["event"]
    assert event["actor"] == "王书记" and event["role"] == "secretary"
    # only an administrator grants
    denied = yishi("org", "grant", "li", "secretary", "和平社区", login="wang", lang="zh")
    assert denied.exit_code == 1 and "缺少授权" in denied.output
    assert "admin" not in denied.output  # titles, never ids
    again = yishi("init", "--name", "别人", "--root", "西街街道")
    assert again.exit_code == 1 and "has an organisation already" in again.output
    assert "intact" in ok(yishi("org", "verify")).output
    listing = ok(yishi("org", "person", "list", lang="zh")).output
    assert "党组织书记" in listing and "东街街道/和平社区" in listing


def test_params_show_the_effective_value_and_its_source(yishi: Any) -> None:
    street(yishi)
    ok(yishi("org", "param", "和平社区", FOUR, "notice_period", "5d"))
    bad = yishi("org", "param", "和平社区", FOUR, "notice_period", "五天")
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    rows = {r["name"]: r for r in json.loads(ok(yishi("params", FOUR, "--unit", "第一网格", "--json")).stdout)}
    assert rows["notice_period"] == {"name": "notice_period", "value": "5d", "source": "unit",
                                     "unit": "东街街道/和平社区"}
    assert rows["results_notice_period"]["source"] == "default"
    text = ok(yishi("params", FOUR, "--unit", "第一网格", lang="zh")).output
    assert "单位：东街街道/和平社区" in text and "流程默认值" in text


ROSTER_HEADERS = ["姓名", "登录名", "手机", "企业微信", "角色", "街道", "社区", "网格", "起始日期", "截止日期"]


def write_roster(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(ROSTER_HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def two_hundred() -> list[list[Any]]:
    rows: list[list[Any]] = []
    for n in range(200):
        community = f"第{n // 40 + 1}社区"
        grid = f"第{n % 8 + 1}网格"
        role = "网格员" if n % 10 else "党组织书记"
        rows.append([f"人员{n:03d}", f"p{n:03d}", 13900000000 + n, f"wx{n}", role, "东街街道", community,
                     grid if role == "网格员" else None, "2026-01-01", "2028/12/31"])
    return rows


def test_two_hundred_people_import_from_an_xlsx_roster(yishi: Any, tmp_path: Path, sqlite_url: str) -> None:
    ok(yishi("init", "--name", "张主任", "--root", "东街街道"))
    roster = write_roster(tmp_path / "名册.xlsx", two_hundred())
    result = ok(yishi("org", "import", str(roster), "--json"))
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["people"], summary["grants"]) == (200, 200, 200)
    assert summary["units"] == 5 + 5 * 8  # five communities, each with its eight grids
    with Engine.open(sqlite_url) as engine:
        people = engine.org.people()
        assert len(people) == 201
        p7 = engine.org.find_person("p007")
        assert p7.phone == "13900000007" and p7.wecom_id == "wx7"
        (g,) = engine.org.grants(p7)
        assert g.role == "grid_member" and engine.org.label(g.unit_id) == "东街街道/第1社区/第8网格"
        assert g.valid_from.astimezone(engine.tz).date().isoformat() == "2026-01-01"
        assert engine.org.verify().ok


def test_a_roster_with_bad_rows_imports_nothing_and_names_each_row(yishi: Any, tmp_path: Path,
                                                                    sqlite_url: str) -> None:
    ok(yishi("init", "--name", "张主任", "--root", "东街街道"))
    rows = two_hundred()[:20]
    rows[3][0] = ""  # row 5: no name
    rows[6][4] = "厨师"  # row 8: unknown role
    rows[9][2] = "电话号码"  # row 11: not a phone number
    rows[12][8] = "2026-13-45"  # row 14: not a date
    rows[15][1] = "p000"  # row 17: the login of row 2's person
    rows[17][0] = "system"  # row 19: reserved
    roster = write_roster(tmp_path / "bad.xlsx", rows)
    result = yishi("org", "import", str(roster))
    assert result.exit_code == 1 and "Traceback" not in result.output
    out = result.output
    assert "6 bad rows; nothing was imported" in out
    for n in (5, 8, 11, 14, 17, 19):
        assert f"row {n}:" in out
    assert "unknown role '厨师'" in out and "is not a date" in out and "on row 2 already" in out
    zh = yishi("org", "import", str(roster), lang="zh").output
    assert "第 5 行：姓名不能为空" in zh and "第 8 行：未知角色“厨师”" in zh
    with Engine.open(sqlite_url) as engine:
        assert [p.name for p in engine.org.people()] == ["张主任"]
        assert len(engine.org.units()) == 1
    csv = tmp_path / "名册.csv"
    csv.write_text("姓名,登录名,角色,单位\n赵网格,zhao,网格员,东街街道\n", encoding="gb18030")
    assert "imported 1 rows" in ok(yishi("org", "import", str(csv))).output


def test_password_login_with_lock_out(yishi: Any, sqlite_url: str) -> None:
    ok(yishi("init", "--name", "张主任", "--root", "东街街道", "--auth", "password",
             input="correct horse\ncorrect horse\n"))
    env = {"YISHI_LOGIN": "zhang"}
    assert ok(yishi("case", "list", "--json", input="correct horse\n", env=env)).stdout.strip() == "[]"
    for _ in range(4):
        wrong = yishi("case", "list", input="wrong\n", env=env)
        assert wrong.exit_code == 1 and "wrong login or password" in wrong.output
    fifth = yishi("case", "list", input="wrong\n", env=env)
    assert fifth.exit_code == 1
    locked = yishi("case", "list", input="correct horse\n", env=env, lang="zh")
    assert locked.exit_code == 1 and "锁定至" in locked.output
    with Engine.open(sqlite_url) as engine:
        admin = engine.org.find_person("zhang")
        assert admin.password_hash.startswith("$argon2") and "correct horse" not in admin.password_hash
        assert all("correct horse" not in json.dumps(e.data) for e in engine.org.log())
    unknown = yishi("case", "list", input="whatever\n", env={"YISHI_LOGIN": "nobody"})
    assert "wrong login or password" in unknown.output
