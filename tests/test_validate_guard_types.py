"""A guard declares the type of the field an argument names (``FieldName[int]``), and
``yishi workflows validate`` reports a workflow that passes a field of another type, or a name
no form has, with file:line:col and in Chinese (issue #14, item 3)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from yishi.api import FieldName, FieldNames, RegisterGuard, RuleContext, Verdict
from yishi.cli import app
from yishi.definition.loader import check_text
from yishi.definition.messages_zh import untranslated
from yishi.engine import Actor
from yishi.engine.library import catalog_of, collect_registry
from yishi.errors import PluginError, Problem
from yishi.hookspecs import hookimpl
from yishi.plugin_manager import make_manager
from yishi.testing import workflow_files


class AtLeastArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: FieldName[int]                     # an integer field: how many came
    minimum: int = 1
    since: FieldName[date | datetime] | None = None
    tallies: FieldNames[float] = []


def at_least(ctx: RuleContext, args: AtLeastArgs) -> Verdict:
    count = ctx.field(args.field) or 0
    ok = count >= args.minimum
    return Verdict("at_least", ok, f"{count} ≥ {args.minimum}" if ok else f"{count} < {args.minimum}",
                   f"{count} ≥ {args.minimum}" if ok else f"{count} < {args.minimum}")


class Counting:
    @hookimpl
    def yishi_register_guards(self, register: RegisterGuard) -> None:
        register("at_least", at_least, args=AtLeastArgs)


WORKFLOW = """\
id: counted
version: 1
title: {{zh: 计数, en: counted}}
description: a meeting whose turnout a guard counts
roles: {{clerk: {{title: {{zh: 办事员, en: clerk}}}}}}
initial: open
states:
  open:
    title: {{zh: 受理, en: open}}
    form:
      - {{name: topic, type: text, label: {{zh: 议题, en: topic}}}}
      - {{name: came, type: integer, label: {{zh: 实到, en: present}}}}
      - {{name: share, type: number, label: {{zh: 比例, en: share}}}}
      - {{name: held_on, type: date, label: {{zh: 日期, en: held on}}}}
  done: {{title: {{zh: 办结, en: done}}, final: true}}
transitions:
  - trigger: close
    source: open
    dest: done
    title: {{zh: 办结, en: close}}
    roles: [clerk]
    guards:
      - at_least: {args}
"""


def _problems(args: str) -> list[Problem]:
    catalog = catalog_of(collect_registry(make_manager([Counting()], entry_points=False)))
    _, problems = check_text(WORKFLOW.format(args=args), "counted.yaml", catalog)
    return problems


def _position(args: str, needle: str) -> tuple[int, int]:
    text = WORKFLOW.format(args=args)
    offset = text.rindex(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def test_a_field_of_the_declared_type_passes() -> None:
    assert _problems("{field: came, since: held_on, tallies: [came, share]}") == []
    assert _problems("{field: open.came}") == []


def test_a_text_field_where_an_integer_field_is_needed() -> None:
    args = "{field: topic}"
    [problem] = _problems(args)
    assert (problem.line, problem.col) == _position(args, "topic}")
    assert problem.code == "field_type"
    assert problem.message == "guard 'at_least', argument 'field': 'topic' is a text field"
    assert problem.hint == "this guard needs a field of type 'integer'; fields of that type here: 'came'"


def test_a_name_that_is_not_a_field_gets_fields_of_the_right_type() -> None:
    args = "{field: cam}"
    [problem] = _problems(args)
    assert (problem.line, problem.col, problem.code) == (*_position(args, "cam}"), "unknown_field")
    assert problem.message == "guard 'at_least', argument 'field': unknown field 'cam'"
    assert problem.hint == ("did you mean 'came'? this guard needs a field of type 'integer'; "
                            "fields of that type here: 'came'")


def test_optional_union_and_list_arguments_are_checked_too() -> None:
    args = "{field: came, since: topic, tallies: [share, held_on]}"
    problems = _problems(args)
    assert [(p.message, p.hint) for p in problems] == [
        ("guard 'at_least', argument 'since': 'topic' is a text field",
         "this guard needs a field of type 'date' or 'datetime'; fields of that type here: 'held_on'"),
        ("guard 'at_least', argument 'tallies': 'held_on' is a date field",
         "this guard needs a field of type 'integer' or 'number'; fields of that type here: 'came', 'share'"),
    ]
    assert [(p.line, p.col) for p in problems] == [_position(args, "topic,"), _position(args, "held_on]")]


def test_no_field_of_the_type_says_to_add_one() -> None:
    class Flag(BaseModel):
        flag: FieldName[bool]

    class Flags:
        @hookimpl
        def yishi_register_guards(self, register: RegisterGuard) -> None:
            register("flagged", at_least, args=Flag)

    catalog = catalog_of(collect_registry(make_manager([Flags()], entry_points=False)))
    text = WORKFLOW.format(args="{field: came}").replace("at_least: {field: came}", "flagged: {flag: came}")
    [problem] = check_text(text, "counted.yaml", catalog)[1]
    assert problem.message == "guard 'flagged', argument 'flag': 'came' is an integer field"
    assert problem.hint == "this guard needs a field of type 'boolean'; add one to a form"


@pytest.mark.parametrize("args", ["{field: topic}", "{field: cam}", "{field: came, tallies: [held_on]}"])
def test_every_new_message_reads_in_chinese(args: str) -> None:
    for problem in _problems(args):
        assert not untranslated(problem.message), problem.localized("zh")
        assert not untranslated(problem.hint), problem.localized("zh")
        assert problem.localized("zh").startswith(f"counted.yaml:{problem.line}:{problem.col}：")


def test_the_cli_reports_it_with_file_line_col(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yishi.plugin_manager as manager

    path = tmp_path / "counted.yaml"
    path.write_text(WORKFLOW.format(args="{field: topic}"), encoding="utf-8")
    line, col = _position("{field: topic}", "topic}")
    original = manager.make_manager
    monkeypatch.setattr(manager, "make_manager", lambda extra=(), **kw: original([*extra, Counting()], **kw))
    en = CliRunner().invoke(app, ["--lang", "en", "workflows", "validate", str(path)])
    zh = CliRunner().invoke(app, ["--lang", "zh", "workflows", "validate", str(path)])
    assert en.exit_code == 1, en.output
    assert f"{path}:{line}:{col}: guard 'at_least', argument 'field': 'topic' is a text field; " \
           "this guard needs a field of type 'integer'; fields of that type here: 'came'" in en.output
    assert f"{path}:{line}:{col}：规则 'at_least' 的参数 'field'：'topic' 是 text 类型的字段；" \
           "此规则需要类型为 'integer' 的字段；此流程中这类字段有：'came'" in zh.output


@pytest.mark.parametrize("kind, taken", [
    (int, {"integer"}), (float, {"integer", "number"}), (bool, {"boolean"}),
    (str, {"text", "longtext", "choice", "person"}), (date, {"date"}), (datetime, {"datetime"}),
    (list[str], {"multichoice"}), (list[dict[str, Any]], {"list"}), (list, {"list", "multichoice"}),
    (date | datetime, {"date", "datetime"}), (Literal["choice", "person"], {"choice", "person"}),
])
def test_the_declared_types(kind: Any, taken: set[str]) -> None:
    from yishi.definition.operands import accepted_types

    assert accepted_types(kind) == taken
    assert accepted_types(Any) is None


def test_a_type_no_field_holds_is_refused_when_registered() -> None:
    class Odd(BaseModel):
        where: FieldName[Path]

    class OddGuards:
        @hookimpl
        def yishi_register_guards(self, register: RegisterGuard) -> None:
            register("odd", at_least, args=Odd)

    with pytest.raises(PluginError, match=r"guard 'odd' .*argument 'where': FieldName\[Path\]: no form field"):
        collect_registry(make_manager([OddGuards()], entry_points=False))


def test_the_guard_runs_with_the_names_it_was_given(make_engine: Any, tmp_path: Path) -> None:
    target = tmp_path / "counted.yaml"
    target.write_text(WORKFLOW.format(args="{field: came, minimum: 3}"), encoding="utf-8")
    engine = make_engine(Counting(), workflow_files(target))
    clerk = Actor.of("马书记", "clerk")
    case = engine.start("counted", clerk, {"topic": "修路", "came": 5})
    engine.fire(case.id, "close", clerk)
    assert engine.case(case.id).state == "done"
