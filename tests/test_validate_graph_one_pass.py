"""One pass of ``yishi workflows validate`` reports the graph problems next to a broken
transition's or state's own problem (issue #14, item 8): a state nothing leads to is unreachable
whatever the broken part turns out to be, so it is reported now; a state reached only through the
broken part is not, because it is reached once that part is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.definition.loader import check_text
from yishi.definition.validate import Catalog
from yishi.engine.library import catalog_of, collect_registry
from yishi.plugin_manager import make_manager

HEAD = """\
id: onepass
version: 1
title: {zh: 一次, en: one pass}
description: states a to done, and z that nothing leads to unless a test says so
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: a
states:
  a: {title: {zh: 甲, en: a}}
  b: {title: {zh: 乙, en: b}}
  c: {title: {zh: 丙, en: c}}
  done: {title: {zh: 完, en: done}, final: true}
transitions:
"""


def move(trigger: str, source: str, dest: str, extra: str = "") -> str:
    return f"  - {{trigger: {trigger}, source: {source}, dest: {dest}, title: t, roles: [clerk]{extra}}}\n"


PATH = move("go", "a", "b") + move("on", "b", "c") + move("fin", "c", "done")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return catalog_of(collect_registry(make_manager(entry_points=False)))


def found(text: str, catalog: Catalog) -> set[tuple[str, str]]:
    _, problems = check_text(text, "onepass.yaml", catalog)
    return {(p.code, p.message) for p in problems}


def with_z(text: str) -> str:
    return text.replace("  done: {", "  z: {title: {zh: 孤, en: z}}\n  done: {")


UNREACHABLE_Z = ("unreachable", "state 'z' is unreachable from initial state 'a'")


def test_the_base_is_valid(catalog: Catalog) -> None:
    assert found(HEAD + PATH, catalog) == set()


def test_an_orphan_is_reported_next_to_a_pruned_transition_back_into_the_initial_state(catalog: Catalog) -> None:
    # 'Back' is not a valid name, so the transition is taken out; it leads into 'a', the initial
    # state, which used to hide every "unreachable from initial state 'a'"
    text = with_z(HEAD + PATH + move("Back", "c", "a") + move("zz", "z", "done"))
    assert found(text, catalog) == {
        ("name", "transitions[3].trigger: 'Back' is not a valid name"), UNREACHABLE_Z}


def test_states_reached_only_through_a_pruned_transition_are_not_unreachable(catalog: Catalog) -> None:
    text = HEAD + move("Go", "a", "b") + move("on", "b", "c") + move("fin", "c", "done")
    assert found(text, catalog) == {("name", "transitions[0].trigger: 'Go' is not a valid name")}
    # ... and with an orphan as well, only the orphan
    text = with_z(text + move("zz", "z", "done"))
    assert found(text, catalog) == {("name", "transitions[0].trigger: 'Go' is not a valid name"), UNREACHABLE_Z}


def test_an_orphan_is_reported_next_to_a_pruned_state(catalog: Catalog) -> None:
    # 'final: maybe' takes state b out; c is reached through b, z through nothing
    text = with_z(HEAD + PATH + move("zz", "z", "done")).replace("b: {title: {zh: 乙, en: b}}",
                                                                 "b: {title: {zh: 乙, en: b}, final: maybe}")
    codes = found(text, catalog)
    assert UNREACHABLE_Z in codes
    assert {c for c, _ in codes} == {"bool_parsing", "unreachable"}, codes


def test_a_misspelt_destination_leads_where_the_did_you_mean_points(catalog: Catalog) -> None:
    text = with_z(HEAD + move("go", "a", "bb") + move("on", "b", "c") + move("fin", "c", "done")
                  + move("zz", "z", "done"))
    assert found(text, catalog) == {
        ("unknown_state", "transition 'go': unknown destination state 'bb'"), UNREACHABLE_Z}


def test_a_destination_like_no_state_leaves_what_it_cannot_reach_unreachable(catalog: Catalog) -> None:
    text = HEAD + move("go", "a", "xyzzy") + move("quit", "a", "done") + move("on", "b", "c") \
        + move("fin", "c", "done")
    assert found(text, catalog) == {
        ("unknown_state", "transition 'go': unknown destination state 'xyzzy'"),
        ("unreachable", "state 'b' is unreachable from initial state 'a'"),
        ("unreachable", "state 'c' is unreachable from initial state 'a'")}


def test_a_pruned_transition_without_a_destination_could_lead_anywhere(catalog: Catalog) -> None:
    text = with_z(HEAD + "  - {trigger: go, source: a, title: t, roles: [clerk]}\n"
                  + move("on", "b", "c") + move("fin", "c", "done") + move("zz", "z", "done"))
    assert {c for c, _ in found(text, catalog)} == {"missing"}


def test_no_final_state_is_reported_next_to_a_pruned_transition(catalog: Catalog) -> None:
    text = (HEAD + PATH + move("Back", "c", "a")).replace(", final: true}", "}")
    assert ("no_final", "no state is final") in found(text, catalog)
    # ... but not when the state taken out may be the final one
    text = HEAD.replace("  done: {title: {zh: 完, en: done}, final: true}",
                        "  done: {title: {zh: 完, en: done}, final: true, colour: red, initial: 3}") + PATH
    assert ("no_final", "no state is final") not in found(text, catalog)


def test_a_timer_firing_a_pruned_transition_is_not_a_second_mistake(catalog: Catalog) -> None:
    timers = "c: {title: {zh: 丙, en: c}, timers: [{after: 1d, fire: %s}]}"
    base = HEAD + move("go", "a", "b") + move("on", "b", "c") + move("Fin", "c", "done")
    assert {c for c, _ in found(base.replace("c: {title: {zh: 丙, en: c}}", timers % "Fin"), catalog)} == {"name"}
    codes = found(base.replace("c: {title: {zh: 丙, en: c}}", timers % "nosuch"), catalog)
    assert {c for c, _ in codes} == {"name", "timer_trigger"}, codes


def test_the_cli_prints_both_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "onepass.yaml"
    path.write_text(with_z(HEAD + PATH + move("Back", "c", "a") + move("zz", "z", "done")), encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", "en", "workflows", "validate", str(path)])
    assert result.exit_code == 1
    assert "'Back' is not a valid name" in result.output
    assert f"{path}:11:3: state 'z' is unreachable from initial state 'a'" in result.output
    assert "2 problem(s)." in result.output


def test_a_pruned_form_field_of_the_initial_state_hides_nothing(catalog: Catalog) -> None:
    # a field of 'a' with a bad type is taken out; that used to hide every problem naming 'a'
    text = with_z(HEAD + PATH + move("zz", "z", "done")).replace(
        "a: {title: {zh: 甲, en: a}}", "a: {title: {zh: 甲, en: a}, form: [{name: n, type: integr, label: n}]}")
    assert {c for c, _ in found(text, catalog)} == {"choice", "unreachable"}
    assert UNREACHABLE_Z in found(text, catalog)


def test_a_misspelt_initial_state_still_lets_the_graph_be_checked(catalog: Catalog) -> None:
    text = with_z(HEAD + PATH + move("zz", "z", "done")).replace("initial: a\n", "initial: aa\n")
    assert found(text, catalog) == {("unknown_state", "initial state 'aa' is not defined"),
                                    ("unreachable", "state 'z' is unreachable from initial state 'a'")}
