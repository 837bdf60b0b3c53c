"""Global options stand before or after the subcommand (issue #14, item 7)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from yishi.cli import app

FOUR = "four_discussions_two_disclosures"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_db_and_lang_after_the_subcommand(sqlite_url: str) -> None:
    code, out = _run("case", "list", "--db", sqlite_url, "--lang", "en")
    assert code == 0, out
    assert "no cases match" in out
    code, out = _run("case", "list", f"--db={sqlite_url}", "--lang=zh")
    assert code == 0, out
    assert "没有符合条件的案件" in out


def test_json_and_as_before_the_subcommand(sqlite_url: str) -> None:
    code, out = _run("--json", "--db", sqlite_url, "--as", "王书记", "--role", "secretary",
                     "case", "new", FOUR, "--set", "subject=修路", "--set", "matter_type=other",
                     "--set", "proposal=修村道")
    assert code == 0, out
    assert json.loads(out)["subject"] == "修路"
    code, out = _run("case", "show", "1", "--json", "--db", sqlite_url)
    assert code == 0, out
    assert json.loads(out)["opened_by"] == "王书记"
    code, out = _run("--json", "case", "history", "1", "--db", sqlite_url)
    assert code == 0, out
    assert json.loads(out)[0]["actor"] == "王书记"


def test_values_and_double_dash_are_left_alone(sqlite_url: str) -> None:
    # a --set value that looks like an option name is the value, not the option
    code, out = _run("--db", sqlite_url, "--as", "王书记", "--role", "secretary", "case", "new", FOUR,
                     "--set", "subject=--db", "--set", "matter_type=other", "--set", "proposal=x", "--json")
    assert code == 0, out
    assert json.loads(out)["subject"] == "--db"


def test_an_unknown_option_is_still_a_usage_error(sqlite_url: str) -> None:
    code, out = _run("case", "list", "--db", sqlite_url, "--bogus")
    assert code == 2
    assert "--bogus" in out
