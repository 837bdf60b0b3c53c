"""The CLI end to end: Typer's runner for most commands, real processes for the entry point,
exit codes and two processes firing on one case at once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL, representatives
from freezegun import freeze_time
from typer.testing import CliRunner, Result

from yishi.cli import app
from yishi.cli.context import parse_sets, parse_value
from yishi.cli.output import MESSAGES, detect_lang
from yishi.plugins.sqlstore.append_only import maintenance_window

T0 = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
SEC = ["--as", "王书记", "--role", "secretary"]

Invoke = Callable[..., Result]


def sets(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, value in data.items():
        out += ["--set", f"{name}={value}"]
    return out


@pytest.fixture
def cli(sqlite_url: str) -> Invoke:
    """Run ``yishi --db <this test's database> --lang <lang> ARGS`` in process."""
    runner = CliRunner()

    def invoke(*args: str, lang: str = "en") -> Result:
        return runner.invoke(app, ["--db", sqlite_url, "--lang", lang, *args],
                             env={"COLUMNS": "220"})
    return invoke


def new_case(cli: Invoke) -> int:
    result = cli("case", "new", FOUR, *SEC, *sets(PROPOSAL), "--json")
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["id"])


def to_representatives(cli: Invoke) -> int:
    """A case at the representatives' meeting (three steps taken through the CLI)."""
    case_id = new_case(cli)
    for trigger, data in (("submit_to_committees", {}), ("submit_to_party_members", COMMITTEES),
                          ("submit_to_representatives", PARTY)):
        result = cli("case", "fire", str(case_id), trigger, *SEC, *sets(data))
        assert result.exit_code == 0, result.output
    return case_id


def run_yishi(url: str, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh process (``python -m yishi.cli``)."""
    return subprocess.run([sys.executable, "-m", "yishi.cli", *args], env=_env(url, lang),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def _env(url: str, lang: str) -> dict[str, str]:
    return {**os.environ, "YISHI_DB": url, "YISHI_LANG": lang, "COLUMNS": "220",
            "PYTHONIOENCODING": "utf-8"}


# ---------------------------------------------------------------- parsing helpers
@pytest.mark.parametrize(("raw", "value"), [
    ("14", 14), ("2.5", 2.5), ("true", True), ("false", False), ("[1, 2]", [1, 2]),
    ('{"a": 1}', {"a": 1}), ("修路", "修路"), ("2026-11-02", "2026-11-02"), ("007", "007"),
    ("NaN", "NaN"), ("null", "null"), ('"quoted"', '"quoted"'), ("", ""),
])
def test_set_values_are_json_numbers_lists_objects_bools_else_text(raw: str, value: Any) -> None:
    assert parse_value(raw) == value
    assert type(parse_value(raw)) is type(value)


def test_set_splits_at_the_first_equals_sign() -> None:
    assert parse_sets(["minutes=a=b", " attended =14"], "en") == {"minutes": "a=b", "attended": 14}


@pytest.mark.parametrize(("env", "lang"), [
    ({"YISHI_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    ({"YISHI_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({}, "en"),
])
def test_language_comes_from_yishi_lang_then_the_locale(env: dict[str, str], lang: str) -> None:
    assert detect_lang(env) == lang


def test_every_message_has_both_languages() -> None:
    assert all(set(entry) == {"zh", "en"} for entry in MESSAGES.values())


# ---------------------------------------------------------------- workflows
def test_workflows_list_in_both_languages(cli: Invoke) -> None:
    zh = cli("workflows", "list", lang="zh")
    assert zh.exit_code == 0, zh.output
    assert FOUR in zh.stdout and "四议两公开" in zh.stdout and "版本" in zh.stdout
    en = cli("workflows", "list", "--json")
    data = json.loads(en.stdout)
    # only the shipped files: an installed plugin (e.g. examples/yishi-microwish) may add more
    shipped = {w["id"]: w for w in data["workflows"] if "/workflows/" in w["file"].replace("\\", "/")}
    assert sorted(shipped) == ["bench_meeting", FOUR, "grid_escalation", "hotline_12345", "micro_wishes",
                              "people_mediation", "representatives_meeting", "three_affairs_disclosure"]
    assert shipped[FOUR]["title"] == {"zh": "四议两公开", "en": "Four discussions, two disclosures"}
    assert data["problems"] == []


def test_workflows_show_states_params_roles(cli: Invoke) -> None:
    zh = cli("workflows", "show", FOUR, lang="zh")
    assert zh.exit_code == 0, zh.output
    for text in ("党组织提议", "村（居）民代表会议决议", "决议公开", "$notice_period", "7d", "2/3",
                 "党组织书记", "pass_resolution", "quorum", "elapsed"):
        assert text in zh.stdout, text
    en = cli("workflows", "show", FOUR)
    assert "Party organisation proposes" in en.stdout and "党组织提议" not in en.stdout
    data = json.loads(cli("workflows", "show", FOUR, "--json").stdout)
    assert data["definition"]["params"]["notice_period"]["default"] == "7d"
    assert data["definition"]["initial"] == "proposal"


def test_workflows_show_unknown_is_a_clean_error(cli: Invoke) -> None:
    result = cli("workflows", "show", "nope")
    assert result.exit_code == 1
    assert "no workflow 'nope'" in result.stderr and FOUR in result.stderr
    assert "Traceback" not in result.output


THREE_MISTAKES = """\
id: broken
version: 1
title: {zh: 有错的流程, en: broken}
description: three different mistakes
roles:
  clerk: {title: clerk}
initial: open
states:
  open:
    title: open
    form:
      - {name: attended, type: integer, label: attended}
  orphan:
    title: nobody comes here
    final: true
  done:
    title: done
    final: true
transitions:
  - trigger: close
    source: open
    dest: done
    title: close
    roles: [clark]
    guards:
      - quorom: {present: attended, members: 20, at_least: 2/3}
"""


def test_workflows_list_prints_problems_of_installed_files(cli: Invoke, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from yishi import plugin_manager
    from yishi.hookspecs import hookimpl

    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "broken.yaml").write_text(THREE_MISTAKES, encoding="utf-8")

    class Files:
        @hookimpl
        def yishi_workflow_files(self) -> list[Path]:
            return [tmp_path / "wf"]

    real = plugin_manager.make_manager
    monkeypatch.setattr(plugin_manager, "make_manager",
                        lambda extra=(), **kw: real([*extra, Files()], **kw))
    result = cli("workflows", "list", lang="zh")
    assert result.exit_code == 0, result.output
    assert "四议两公开" in result.stdout
    assert "以下已安装的流程文件有问题" in result.stderr
    assert result.stderr.count(f"{tmp_path / 'wf' / 'broken.yaml'}:") == 3
    problems = json.loads(cli("workflows", "list", "--json").stdout)["problems"]
    assert len(problems) == 3 and all(p["line"] > 0 for p in problems)


def test_validate_prints_every_problem_with_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(THREE_MISTAKES, encoding="utf-8")
    nowhere = tmp_path / "no" / "such" / "dir" / "x.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{nowhere}", "workflows", "validate", str(bad)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"{bad}:")]
    assert len(lines) == 3, result.stdout
    joined = "\n".join(lines)
    assert "'clark'" in joined and "'quorom'" in joined and "'orphan'" in joined
    for line in lines:
        file, line_no, col, rest = line.split(":", 3)
        assert int(line_no) > 0 and int(col) > 0 and rest.strip()
    assert not nowhere.parent.exists(), "validate must not open a database"


def test_validate_good_files_and_json(tmp_path: Path) -> None:
    good = Path(__file__).parent.parent / "workflows" / f"{FOUR}.yaml"
    bad = tmp_path / "broken.yaml"
    bad.write_text(THREE_MISTAKES, encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(app, ["--lang", "zh", "workflows", "validate", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "有效" in ok.stdout
    both = runner.invoke(app, ["workflows", "validate", str(good), str(bad), str(tmp_path / "missing.yaml"),
                               "--json"])
    assert both.exit_code == 1
    report = json.loads(both.stdout)
    assert [r["ok"] for r in report] == [True, False, False]
    assert report[0]["id"] == FOUR and len(report[1]["problems"]) == 3
    assert report[2]["problems"][0]["code"] == "io"


def test_schema_is_json_and_needs_no_database(tmp_path: Path) -> None:
    nowhere = tmp_path / "no" / "db.sqlite"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{nowhere}", "workflows", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == "yishi workflow" and "transitions" in schema["properties"]
    assert not nowhere.parent.exists()


# ---------------------------------------------------------------- a whole case
def test_full_four_discussions_walk(cli: Invoke) -> None:
    with freeze_time(T0) as frozen:
        created = cli("case", "new", FOUR, *SEC, *sets(PROPOSAL), lang="zh")
        assert created.exit_code == 0, created.output
        assert "已创建案件 #1" in created.stdout and PROPOSAL["subject"] in created.stdout
        steps = [("submit_to_committees", {}, "两委会商议"),
                 ("submit_to_party_members", COMMITTEES, "党员大会审议"),
                 ("submit_to_representatives", PARTY, "村（居）民代表会议决议"),
                 ("pass_resolution", representatives(14, 8), "决议公开")]
        for trigger, data, state in steps:
            frozen.tick(timedelta(hours=1))
            result = cli("case", "fire", "1", trigger, *SEC, *sets(data), lang="zh")
            assert result.exit_code == 0, result.output
            assert f"现处于“{state}”" in result.stdout

        early = cli("case", "fire", "1", "start_implementation", *SEC, "--set", "notice_place=村务公开栏",
                    lang="zh")
        assert early.exit_code == 1
        assert "[elapsed]" in early.stderr and "决议公示期未满" in early.stderr

        actions = cli("case", "actions", "1", *SEC, lang="zh")
        assert actions.exit_code == 0, actions.output
        assert "start_implementation" in actions.stdout and "不可执行" in actions.stdout

        frozen.tick(timedelta(days=7, minutes=1))
        done = cli("case", "fire", "1", "start_implementation", *SEC, "--set", "notice_place=村务公开栏")
        assert done.exit_code == 0, done.output
        assert "now at: implementation (revision 6)" in done.stdout

    shown = cli("case", "show", "1", lang="zh")
    assert shown.exit_code == 0, shown.output
    for text in (PROPOSAL["subject"], "四议两公开", "组织实施", "集体资产处置", "同意出租，租金用于村公益事业。",
                 "村务公开栏"):
        assert text in shown.stdout, text
    history = cli("case", "history", "1", lang="zh")
    assert history.exit_code == 0, history.output
    for text in ("王书记", "党组织书记", "通过决议并公开", "决议公开", "[quorum]", "实到 14 / 应到 20",
                 "发起", "办理"):
        assert text in history.stdout, text
    assert "pass_resolution" not in history.stdout and "(secretary)" not in history.stdout  # titles, not ids
    events = json.loads(cli("case", "history", "1", "--json").stdout)
    assert [e["kind"] for e in events] == ["start"] + ["fire"] * 5
    assert events[4]["trigger"] == "pass_resolution"
    assert {v["rule"] for v in events[4]["verdicts"]} >= {"quorum", "majority"}
    assert events[0]["at"] == T0.isoformat()
    verified = cli("verify", lang="zh")
    assert verified.exit_code == 0 and "校验通过" in verified.stdout


@pytest.mark.parametrize(("lang", "header", "reason"), [
    ("zh", "不能执行：", "[quorum] 需三分之二以上代表到会：实到 12 / 应到 20"),
    ("en", "refused:", "[quorum] needs 2/3 of representatives present: 12 of 20"),
])
def test_pass_resolution_refused_without_quorum(cli: Invoke, lang: str, header: str, reason: str) -> None:
    case_id = to_representatives(cli)
    result = cli("case", "fire", str(case_id), "pass_resolution", *SEC, *sets(representatives(12, 8)),
                 lang=lang)
    assert result.exit_code == 1
    assert header in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output
    assert json.loads(cli("case", "show", str(case_id), "--json").stdout)["state"] == "representatives_meeting"


def test_wrong_role_is_refused(cli: Invoke) -> None:
    case_id = new_case(cli)
    result = cli("case", "fire", str(case_id), "submit_to_committees", "--as", "李委员",
                 "--role", "committee_member", lang="zh")
    assert result.exit_code == 1
    assert "[role]" in result.stderr and "党组织书记" in result.stderr
    en = cli("case", "actions", str(case_id), "--as", "李委员", "--role", "committee_member", "--json")
    refused = {a["trigger"]: a for a in json.loads(en.stdout)}["submit_to_committees"]
    assert refused["enabled"] is False
    assert any(v["rule"] == "role" and not v["ok"] for v in refused["verdicts"])


def test_form_errors_name_each_field(cli: Invoke) -> None:
    case_id = to_representatives(cli)
    result = cli("case", "fire", str(case_id), "pass_resolution", *SEC,
                 "--set", "attended=many", "--set", "colour=red")
    assert result.exit_code == 1
    assert "the form is not valid:" in result.stderr
    # each field by its label (issue #14); a name no form declares stays as written
    assert "representatives present: should be a number" in result.stderr and "colour:" in result.stderr


def test_unknown_case_and_workflow_are_clean_errors(cli: Invoke) -> None:
    for args, text in ((("case", "show", "999"), "no case #999"),
                       (("case", "history", "999"), "no case #999"),
                       (("case", "fire", "999", "submit_to_committees", *SEC), "no case #999"),
                       (("case", "new", "nope", *SEC), "no workflow 'nope'")):
        result = cli(*args)
        assert result.exit_code == 1, result.output
        assert text in result.stderr
        assert "Traceback" not in result.output
    zh = cli("case", "show", "999", lang="zh")
    assert "没有案件 #999" in zh.stderr


def test_usage_errors_exit_2(cli: Invoke) -> None:
    no_eq = cli("case", "new", FOUR, *SEC, "--set", "subject")
    assert no_eq.exit_code == 2
    assert "has no '='" in no_eq.output
    assert cli("case", "show", "abc").exit_code == 2
    # without --role a sandbox actor has only the roles of their grants: none here, refused (exit 1)
    no_role = cli("case", "new", FOUR, "--as", "王书记", *sets(PROPOSAL))
    assert no_role.exit_code == 1 and "may start" in no_role.output
    assert cli("tick", "--now", "next tuesday").exit_code == 2


def test_record_saves_a_draft(cli: Invoke) -> None:
    case_id = to_representatives(cli)
    result = cli("case", "record", str(case_id), *SEC, "--set", "attended=14", "--set", "minutes=草稿")
    assert result.exit_code == 0, result.output
    case = json.loads(cli("case", "show", str(case_id), "--json").stdout)
    assert case["data"]["representatives_meeting"] == {"attended": 14, "minutes": "草稿"}
    assert case["rev"] == 5
    assert "草稿" in cli("case", "show", str(case_id), lang="zh").stdout


def test_case_list_filters_and_json(cli: Invoke) -> None:
    first = new_case(cli)
    cli("case", "new", FOUR, *SEC, *sets({**PROPOSAL, "subject": "修缮村道"}))
    listed = cli("case", "list", lang="zh")
    assert listed.exit_code == 0, listed.output
    assert "修缮村道" in listed.stdout and "党组织提议" in listed.stdout
    found = json.loads(cli("case", "list", "--search", "村道", "--json").stdout)
    assert [c["subject"] for c in found] == ["修缮村道"]
    assert len(json.loads(cli("case", "list", "--open", "--limit", "1", "--json").stdout)) == 1
    assert "1 of 2 shown" in cli("case", "list", "--limit", "1").stdout
    assert json.loads(cli("case", "list", "--overdue", "--json").stdout) == []
    assert json.loads(cli("case", "list", "--workflow", "other", "--json").stdout) == []
    case = json.loads(cli("case", "show", str(first), "--json").stdout)
    assert case["state_title"]["zh"] == "党组织提议" and case["links"] == []


def test_show_prints_local_times(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = new_case(cli)
    opened = datetime.fromisoformat(json.loads(cli("case", "show", str(case_id), "--json").stdout)["opened_at"])
    assert opened.utcoffset() == timedelta(0)
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        shown = cli("case", "show", str(case_id), lang="zh").stdout
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (opened + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in shown


def test_tick_far_in_the_future_sends_the_reminder(cli: Invoke) -> None:
    case_id = to_representatives(cli)
    assert cli("case", "fire", str(case_id), "pass_resolution", *SEC, *sets(representatives(14, 8))).exit_code == 0
    assert "nothing is due" in cli("tick").stdout
    ticked = cli("tick", "--now", "2099-01-01T00:00:00Z", lang="zh")
    assert ticked.exit_code == 0, ticked.output
    assert f"案件 #{case_id}：提醒 党组织书记（决议公开）" in ticked.stdout  # titles, not ids
    again = json.loads(cli("tick", "--now", "2099-01-01T00:00:00Z", "--json").stdout)
    assert again == {"results": [], "next_due": None, "scheduled": []}
    events = json.loads(cli("case", "history", str(case_id), "--json").stdout)
    assert events[-1]["kind"] == "remind" and events[-1]["actor"] == "system"


def test_tick_json_reports_each_timer(cli: Invoke) -> None:
    case_id = to_representatives(cli)
    cli("case", "fire", str(case_id), "pass_resolution", *SEC, *sets(representatives(14, 8)))
    report = json.loads(cli("tick", "--now", "2099-01-01T08:00", "--json").stdout)
    assert [(r["case_id"], r["outcome"], r["target"]) for r in report["results"]] == [
        (case_id, "reminded", "secretary")]
    assert report["results"][0]["due_at"].endswith("+00:00")


def test_expect_rev_conflict(cli: Invoke) -> None:
    case_id = new_case(cli)
    assert cli("case", "fire", str(case_id), "submit_to_committees", *SEC, "--expect-rev", "1").exit_code == 0
    stale = cli("case", "fire", str(case_id), "submit_to_party_members", *SEC, *sets(COMMITTEES),
                "--expect-rev", "1")
    assert stale.exit_code == 1
    assert "changed meanwhile" in stale.stderr and "Traceback" not in stale.output
    zh = cli("case", "record", str(case_id), *SEC, "--set", "minutes=x", "--expect-rev", "1", lang="zh")
    assert zh.exit_code == 1 and "已被他人更新" in zh.stderr
    assert json.loads(cli("case", "show", str(case_id), "--json").stdout)["rev"] == 2


def test_verify_names_the_first_broken_link(cli: Invoke, sqlite_url: str) -> None:
    case_id = to_representatives(cli)
    assert json.loads(cli("verify", "--json").stdout) == {"ok": True, "cases": 1, "events": 4, "broken": [],
                                                         "definitions": 1, "altered_definitions": [],
                                                         "anchor": None, "log": {"entries": 0, "broken": []},
                                                         "maintenance_open": []}
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with maintenance_window(conn, "test", "tamper on purpose: events are append-only"):
        conn.execute("UPDATE events SET data = json_set(data, '$.minutes', '改过的记录') "
                     "WHERE case_id = ? AND seq = 3", (case_id,))
    conn.commit()
    conn.close()
    broken = cli("verify", lang="zh")
    assert broken.exit_code == 1
    assert f"案件 #{case_id} 第 3 条记录" in broken.stderr and "校验失败" in broken.stderr
    report = json.loads(cli("verify", "--json").stdout)
    assert report["ok"] is False and report["broken"][0]["case_id"] == case_id
    assert report["broken"][0]["seq"] == 3


def test_plugins_lists_builtins_and_rules(cli: Invoke) -> None:
    result = cli("plugins", lang="zh")
    assert result.exit_code == 0, result.output
    assert "yishi.plugins.guards" in result.stdout and "到会人数达到法定比例" in result.stdout
    data = json.loads(cli("plugins", "--json").stdout)
    assert {"quorum", "majority", "fields", "elapsed"} <= set(data["guards"])
    assert "console" in data["notifiers"]
    assert any(p["name"] == "yishi.plugins.sqlstore" and p["where"] == "built-in" for p in data["plugins"])


def test_storage_errors_are_clean(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{blocker}/x.db", "case", "list"])
    assert result.exit_code == 1
    assert "error:" in result.stderr and "Traceback" not in result.output
    unknown = CliRunner().invoke(app, ["--db", "nosuch://x", "case", "list"])
    assert unknown.exit_code == 1 and "nosuch://x" in unknown.stderr


# ---------------------------------------------------------------- real processes
def test_process_lists_workflows_in_chinese(sqlite_url: str) -> None:
    result = run_yishi(sqlite_url, "workflows", "list", lang="zh")
    assert result.returncode == 0, result.stderr
    assert "四议两公开" in result.stdout


def test_process_exit_codes(sqlite_url: str) -> None:
    missing = run_yishi(sqlite_url, "case", "show", "42", lang="zh")
    assert missing.returncode == 1
    assert "没有案件 #42" in missing.stderr and "Traceback" not in missing.stderr
    usage = run_yishi(sqlite_url, "case", "new", FOUR, *SEC, "--set", "subject")
    assert usage.returncode == 2 and "has no '='" in usage.stderr
    created = run_yishi(sqlite_url, "case", "new", FOUR, *SEC, *sets(PROPOSAL), "--quiet")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "1"


def test_console_script_is_installed(sqlite_url: str) -> None:
    script = Path(sys.executable).parent / "yishi"
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable} (not an installed environment)")
    result = subprocess.run([str(script), "verify", "--json"], env=_env(sqlite_url, "en"),
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_two_processes_fire_at_once_one_wins(any_url: str) -> None:
    """Runs on a SQLite file and, with YISHI_TEST_PG set, on PostgreSQL."""
    created = run_yishi(any_url, "case", "new", FOUR, *SEC, *sets(PROPOSAL), "--json")
    assert created.returncode == 0, created.stderr
    case = json.loads(created.stdout)
    args = [sys.executable, "-m", "yishi.cli", "case", "fire", str(case["id"]), "submit_to_committees",
            *SEC, "--expect-rev", str(case["rev"])]
    procs = [subprocess.Popen(args, env=_env(any_url, "en"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, encoding="utf-8") for _ in range(2)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, _, err in outcomes if code == 1)
    assert "changed meanwhile" in loser and "Traceback" not in loser
    verified = run_yishi(any_url, "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] is True and report["events"] == 2
    history = json.loads(run_yishi(any_url, "case", "history", str(case["id"]), "--json").stdout)
    assert [e["kind"] for e in history] == ["start", "fire"]
