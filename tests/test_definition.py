"""Workflow definitions: the invalid-definition corpus, positions, YAML quirks, durations,
fractions, the JSON Schema and the shipped workflows."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
from yishi.definition import (
    Catalog,
    check_text,
    load_file,
    load_text,
    parse_fraction,
    workflow_schema,
)
from yishi.definition.source import MAX_BYTES, read_source
from yishi.durations import parse_duration
from yishi.engine.library import catalog_of, collect_registry
from yishi.errors import DefinitionError, Problem
from yishi.plugin_manager import make_manager

INVALID = Path(__file__).parent / "data" / "invalid"
CORPUS = sorted(INVALID.glob("*.yaml"))
WORKFLOWS = Path(__file__).parent.parent / "workflows"
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$", re.MULTILINE)

MINIMAL = """\
id: minimal
version: 1
title: {zh: 最小流程, en: minimal}
description: {zh: 用于测试, en: for tests}
params:
  quorum_share: {type: fraction, default: 2/3, title: quorum}
roles:
  secretary: {title: {zh: 书记, en: secretary}}
initial: meeting
states:
  meeting:
    title: {zh: 会议, en: meeting}
    form:
      - {name: members, type: integer, required: true, label: members}
      - {name: attended, type: integer, required: true, label: attended}
  done:
    title: {zh: 完成, en: done}
    final: true
transitions:
  - trigger: close
    source: meeting
    dest: done
    title: {zh: 结束, en: close}
    roles: [secretary]
    guards:
      - quorum:
          present: attended
          members: members
          at_least: $quorum_share
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The guards and actions the built-in (and installed) plugins register."""
    return catalog_of(collect_registry(make_manager()))


def _line_col(text: str, needle: str, *, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def _ours(problem: Problem) -> bool:
    """False for a message pydantic wrote, not us (it would read 'Input should be ...')."""
    return not problem.message.split(": ")[-1].startswith(("Input should", "Value error", "Field required"))


# ---------------------------------------------------------------- the corpus
def test_corpus_covers_many_kinds() -> None:
    assert len(CORPUS) >= 20
    for path in CORPUS:
        assert EXPECT.search(path.read_text("utf-8")), f"{path.name} has no '# expect: line:col: text'"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_invalid_definition(path: Path, catalog: Catalog) -> None:
    data = path.read_bytes()
    _, problems = check_text(data, path.name, catalog)
    assert problems, f"{path.name} was accepted"
    shown = "\n".join(f"  {p}" for p in problems)
    for line, col, text in EXPECT.findall(data.decode("utf-8")):
        hits = [p for p in problems if (p.line, p.col) == (int(line), int(col)) and text in p.message]
        assert hits, f"expected {line}:{col}: {text!r} among:\n{shown}"
    for problem in problems:
        assert problem.file == path.name
        assert problem.line >= 1 and problem.col >= 1, problem
        assert _ours(problem), f"a raw pydantic message: {problem}"
        assert problem.hint.strip(), f"no hint on how to fix it: {problem}"
        assert str(problem).startswith(f"{path.name}:{problem.line}:{problem.col}: ")
    with pytest.raises(DefinitionError) as info:
        load_file(path, catalog)
    for problem in problems:
        assert f"{path}:{problem.line}:{problem.col}: {problem.message}" in str(info.value)


def test_corpus_base_is_valid(catalog: Catalog) -> None:
    """The corpus files all start from this workflow: it must be valid, so each file has one mistake."""
    workflow, problems = check_text(MINIMAL, "minimal.yaml", catalog)
    assert problems == []
    assert workflow is not None and workflow.initial_state() == "meeting"


def test_file_over_size_limit(tmp_path: Path) -> None:
    text = MINIMAL + "# padding\n" * (MAX_BYTES // 10 + 1)
    assert len(text.encode("utf-8")) > MAX_BYTES
    for given in (text, text.encode("utf-8")):
        _, problems = check_text(given, "big.yaml")
        assert [(p.line, p.col, p.code) for p in problems] == [(1, 1, "size")]
        assert f"over the limit of {MAX_BYTES}" in problems[0].message
        assert problems[0].hint
    path = tmp_path / "big.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(DefinitionError, match=r"big\.yaml:1:1: the file is \d+ bytes, over the limit"):
        load_file(path)


def test_file_not_utf8() -> None:
    _, problems = check_text(MINIMAL.replace("最小流程", "caf\u00e9").encode("latin-1", "replace"), "latin.yaml")
    assert [(p.line, p.col, p.code) for p in problems] == [(1, 1, "encoding")]
    assert "not UTF-8" in problems[0].message and problems[0].hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read the file"):
        load_file(tmp_path / "nowhere.yaml")


def test_deeply_nested_alias_bomb_is_cheap() -> None:
    """A billion-laughs document is refused without expanding it (10**9 values would hang)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    _, problems = check_text("\n".join(lines) + "\n", "lol.yaml")
    assert [p.code for p in problems] == ["bomb"]
    # a0..a3 expand to 12,344 values; a4 alone to 111,111: it is the first key over the limit
    assert (problems[0].line, problems[0].col) == (5, 1)


# ---------------------------------------------------------------- all mistakes at once
THREE_GRAPH_MISTAKES = MINIMAL.replace(
    "roles: [secretary]", "roles: [secretary, chairman]"          # unknown role
).replace(
    "present: attended", "present: atended"                      # unknown field, deep in a guard
).replace(
    "  done:\n", "  orphan:\n    title: orphan\n    final: true\n  done:\n"  # unreachable state
)


def test_three_mistakes_reported_at_once(catalog: Catalog, tmp_path: Path) -> None:
    text = THREE_GRAPH_MISTAKES
    _, problems = check_text(text, "three.yaml", catalog)
    got = {(p.line, p.col, p.code) for p in problems}
    role = _line_col(text, "chairman")
    field = _line_col(text, "atended")
    orphan = _line_col(text, "orphan:")
    assert got == {(*role, "unknown_role"), (*field, "unknown_field"), (*orphan, "unreachable")}
    path = tmp_path / "three.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path, catalog)
    message = str(info.value)
    for line, col in (role, field, orphan):
        assert f"{path}:{line}:{col}: " in message
    assert "unknown role 'chairman'" in message
    assert "unknown field 'atended'" in message
    assert "state 'orphan' is unreachable" in message
    assert len(info.value.problems) == 3


def test_three_schema_mistakes_reported_at_once(catalog: Catalog) -> None:
    text = (MINIMAL.replace("version: 1", "version: abc")
            .replace("    title: {zh: 会议, en: meeting}", "    title: {zh: 会议, en: meeting}\n    tittle: x")
            .replace("{name: members, type: integer,", "{name: members, type: headcount,"))
    _, problems = check_text(text, "three.yaml", catalog)
    got = {(p.line, p.col): p.message for p in problems}
    assert "'abc' is not a whole number" in got[_line_col(text, "abc")]
    assert "unknown key 'tittle'" in got[_line_col(text, "tittle")]
    assert "'headcount' is not allowed" in got[_line_col(text, "headcount")]
    assert len(problems) == 3


# ---------------------------------------------------------------- positions deep inside
def test_position_of_guard_argument_in_shipped_workflow(catalog: Catalog) -> None:
    """A mistake in a guard's argument, deep inside ``transitions``, points at that argument."""
    original = (WORKFLOWS / "four_discussions_two_disclosures.yaml").read_text("utf-8")
    # the second 'present: attended' is pass_resolution's quorum; break only that one
    anchor = original.index("trigger: pass_resolution")
    at = original.index("present: attended", anchor)
    text = original[:at] + "present: atended\n          presnt: 3" + original[at + len("present: attended"):]
    _, problems = check_text(text, "four.yaml", catalog)
    by_code = {p.code: p for p in problems}
    assert set(by_code) == {"unknown_field", "guard_args"}, problems
    field_line, field_col = _line_col(text, "atended", occurrence=0)
    assert (by_code["unknown_field"].line, by_code["unknown_field"].col) == (field_line, field_col)
    assert by_code["unknown_field"].message == \
        "guard 'quorum', argument 'present': unknown field 'atended'"
    assert "did you mean 'attended'?" in by_code["unknown_field"].hint
    key_line, key_col = _line_col(text, "presnt")
    assert (by_code["guard_args"].line, by_code["guard_args"].col) == (key_line, key_col)
    assert "did you mean 'present'?" in by_code["guard_args"].hint


def test_position_of_param_in_a_list_form_guard(catalog: Catalog) -> None:
    """Guards written as ``{name: ..., args: {...}}`` are positioned too."""
    text = MINIMAL.replace(
        "      - quorum:\n          present: attended\n          members: members\n"
        "          at_least: $quorum_share",
        "      - name: quorum\n        args: {present: attended, members: members, at_least: $quorom}")
    _, problems = check_text(text, "long.yaml", catalog)
    assert [(p.line, p.col, p.code) for p in problems] == [(*_line_col(text, "$quorom"), "unknown_param")]


# ---------------------------------------------------------------- YAML 1.2 scalars
ON_OFF = MINIMAL.replace(
    "title: {zh: 完成, en: done}", "title: no\n    description: off"
).replace(
    "      - {name: attended, type: integer, required: true, label: attended}",
    "      - {name: attended, type: integer, required: true, label: attended}\n"
    "      - name: lights\n        type: choice\n        label: yes\n"
    "        choices: [on, off, {value: yes, label: n}]",
)


def test_on_off_yes_no_stay_strings(catalog: Catalog) -> None:
    workflow, problems = check_text(ON_OFF, "on_off.yaml", catalog)
    assert problems == []
    assert workflow is not None
    done = workflow.states["done"]
    assert (done.title.zh, done.title.en) == ("no", "no")
    assert done.description is not None and done.description.en == "off"
    assert done.final is True
    lights = workflow.states["meeting"].form[2]
    assert lights.label.en == "yes"
    assert [c.value for c in lights.choices or []] == ["on", "off", "yes"]
    assert lights.choices is not None and lights.choices[2].label.en == "n"


def test_yaml_booleans_are_only_true_and_false() -> None:
    data = read_source("a: on\nb: off\nc: yes\nd: no\ne: true\nf: false\ng: True\nh: y\non: 1\n").data
    assert data == {"a": "on", "b": "off", "c": "yes", "d": "no", "e": True, "f": False,
                    "g": True, "h": "y", "on": 1}


NUMBERS = MINIMAL.replace("title: {zh: 完成, en: done}", "title: 2024").replace(
    "{name: members, type: integer,", "{name: members, type: choice, choices: [1, 2, 3],")


def test_numbers_written_as_text_fields(catalog: Catalog) -> None:
    """``title: 2024`` or ``choices: [1, 2, 3]`` mean text, as a person would expect."""
    workflow, problems = check_text(NUMBERS, "numbers.yaml", catalog)
    assert problems == []
    assert workflow is not None
    assert workflow.states["done"].title.en == "2024"
    assert [c.value for c in workflow.states["meeting"].form[0].choices or []] == ["1", "2", "3"]


# ---------------------------------------------------------------- durations and fractions
@pytest.mark.parametrize(("text", "expected"), [
    ("7d", timedelta(days=7)),
    ("36h", timedelta(hours=36)),
    ("90m", timedelta(minutes=90)),
    ("45s", timedelta(seconds=45)),
    ("2w", timedelta(weeks=2)),
    ("1d12h", timedelta(days=1, hours=12)),
    ("1d12h30m", timedelta(days=1, hours=12, minutes=30)),
    ("P7D", timedelta(days=7)),
    ("PT36H", timedelta(hours=36)),
    ("P1DT12H", timedelta(days=1, hours=12)),
    ("PT90M", timedelta(minutes=90)),
    (" 7d ", timedelta(days=7)),
    (3600, timedelta(hours=1)),
])
def test_durations_parse(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["7 days", "7", "1.5d", "d", "", "P", "PT", "P1Y", "tomorrow",
                                  "7d12", "-7d", True, -5, float("nan"), "999999999999d"])
def test_bad_durations_fail_with_a_hint(text: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)  # type: ignore[arg-type]
    what, _, how = str(info.value).partition("; ")
    assert repr(text) in what
    assert how.startswith("write"), str(info.value)


def test_durations_in_a_workflow(catalog: Catalog) -> None:
    text = MINIMAL.replace(
        "params:\n", "params:\n  notice: {type: duration, default: P7D, title: notice}\n"
    ).replace(
        "    form:\n      - {name: members",
        "    timers:\n      - {after: 1d12h, remind: [secretary]}\n"
        "      - {after: $notice, fire: close}\n    form:\n      - {name: members",
    ).replace("      - quorum:\n", "      - elapsed: {at_least: 36h}\n      - quorum:\n")
    workflow, problems = check_text(text, "durations.yaml", catalog)
    assert problems == []
    assert workflow is not None
    assert workflow.param_value("notice") == timedelta(days=7)
    assert [t.after for t in workflow.states["meeting"].timers] == ["1d12h", "$notice"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2/3", Fraction(2, 3)), ("1/2", Fraction(1, 2)), (0.5, Fraction(1, 2)), ("0.5", None),
    (" 2 / 3 ", Fraction(2, 3)), (1, Fraction(1)), (0, Fraction(0)), (Fraction(3, 4), Fraction(3, 4)),
])
def test_fractions(value: object, expected: Fraction | None) -> None:
    if expected is None:  # '0.5' as text is not a/b; YAML gives 0.5 as a number
        with pytest.raises(ValueError):
            parse_fraction(value)
    else:
        assert parse_fraction(value) == expected


@pytest.mark.parametrize("value", ["two thirds", "1/0", "3/2", 1.5, -0.5, "-1/2", True, float("inf")])
def test_bad_fractions_fail_with_a_hint(value: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_fraction(value)
    what, _, how = str(info.value).partition("; ")
    assert repr(value) in what and how.startswith("write"), str(info.value)


def test_fractions_in_a_workflow(catalog: Catalog) -> None:
    text = MINIMAL.replace("default: 2/3", "default: 0.5").replace(
        "      - quorum:\n",
        "      - majority: {votes: attended, of: members, more_than: 1/2}\n"
        "      - majority: {votes: attended, of: members, at_least: 0.5}\n      - quorum:\n")
    workflow, problems = check_text(text, "fractions.yaml", catalog)
    assert problems == []
    assert workflow is not None and workflow.param_value("quorum_share") == Fraction(1, 2)


# ---------------------------------------------------------------- JSON Schema
def test_json_schema_is_valid_and_fits_the_shipped_workflows() -> None:
    schema = workflow_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    json.dumps(schema)  # an editor reads it as JSON
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(WORKFLOWS.glob("*.yaml")):
        data = read_source(path.read_text("utf-8"), path.name).data
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], f"{path.name}: {errors}"
    for text in (MINIMAL, ON_OFF, NUMBERS):  # what the loader accepts, the schema accepts
        assert list(validator.iter_errors(read_source(text).data)) == []


@pytest.mark.parametrize("stem", ["unknown_key_typo", "bad_state_name", "wrong_type_version",
                                  "missing_states", "bad_field_type", "two_calls_one_item"])
def test_json_schema_rejects_what_the_loader_rejects(stem: str) -> None:
    validator = jsonschema.Draft202012Validator(workflow_schema())
    data = read_source((INVALID / f"{stem}.yaml").read_text("utf-8")).data
    assert list(validator.iter_errors(data)), f"the schema accepts {stem}"


# ---------------------------------------------------------------- shipped workflows
def _shipped() -> list[Path]:
    out: list[Path] = []
    for contribution in make_manager().hook.yishi_workflow_files():
        for item in contribution or ():
            path = Path(item)
            out.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return out


def test_shipped_workflows_validate(catalog: Catalog) -> None:
    paths = _shipped()
    assert any(p.name == "four_discussions_two_disclosures.yaml" for p in paths)
    for path in paths:
        workflow, problems = check_text(path.read_bytes(), str(path), catalog)
        assert problems == [], "\n".join(map(str, problems))
        loaded = load_file(path, catalog)
        assert loaded.workflow == workflow and len(loaded.sha256) == 64


def test_names_are_not_checked_without_a_catalog() -> None:
    """With no plugins to ask, guard and action names cannot be judged and are let through."""
    text = MINIMAL.replace("- quorum:", "- someone_elses_guard:")
    loaded = load_text(text, "no_catalog.yaml")
    assert loaded.workflow.transitions[0].guards[0].name == "someone_elses_guard"
