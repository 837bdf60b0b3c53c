"""``yishi workflows validate`` reports schema problems and the graph and name problems of the rest
in one pass (issue #14, item 8): a file with eight mistakes used to report three, then five more."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from yishi.cli import app
from yishi.definition.loader import check_text
from yishi.engine.library import catalog_of, collect_registry
from yishi.plugin_manager import make_manager

EIGHT = Path(__file__).parent / "data" / "eight_mistakes.yaml"


def test_eight_mistakes_in_one_run() -> None:
    catalog = catalog_of(collect_registry(make_manager(entry_points=False)))
    _, problems = check_text(EIGHT.read_bytes(), "eight.yaml", catalog)
    found = {(p.line, p.col, p.code) for p in problems}
    assert found == {
        (12, 29, "choice"),            # type: integr
        (13, 66, "bound"),             # min: abc
        (16, 22, "value_error"),       # after: 3x
        (17, 3, "unreachable"),        # orphan: nothing leads to it (not hidden by the pruned
        (17, 3, "dead_end"),           #   'Bad-Name' nor by open's pruned field) and no way out
        (20, 84, "unknown_role"),      # clerck
        (21, 103, "unknown_guard"),    # nosuch
        (22, 15, "name"),              # Bad-Name
        (23, 43, "unknown_state"),     # nowhere
    }, "\n".join(map(str, problems))


def test_nothing_is_reported_about_what_a_pruned_part_leaves_behind() -> None:
    text = EIGHT.read_text(encoding="utf-8")
    _, problems = check_text(text, "eight.yaml", catalog_of(collect_registry(make_manager(entry_points=False))))
    # Bad-Name's transition was taken out: 'done' is still reachable through 'close', and no
    # problem names the broken trigger twice
    assert sum("Bad-Name" in p.message for p in problems) == 1


def test_the_cli_prints_all_eight() -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "workflows", "validate", str(EIGHT)])
    assert result.exit_code == 1
    assert "9 problem(s)." in result.output  # eight mistakes; the orphan is unreachable and a dead end


# ---------------------------------------------------------------- --lang zh (issue #14, item 9)
def test_every_problem_of_the_corpus_reads_in_chinese() -> None:
    from yishi.definition.messages_zh import translate, untranslated

    catalog = catalog_of(collect_registry(make_manager(entry_points=False)))
    corpus = sorted((Path(__file__).parent / "data" / "invalid").glob("*.yaml")) + [EIGHT]
    left = []
    for path in corpus:
        _, problems = check_text(path.read_bytes(), path.name, catalog)
        for problem in problems:
            left += [f"{path.name}: {translate(text)}" for text in (problem.message, problem.hint) if untranslated(text)]
            zh = problem.localized("zh")
            assert zh.startswith(f"{path.name}:{problem.line}:{problem.col}：")
    assert left == [], "\n".join(left)


def test_validate_in_chinese_keeps_names_and_positions() -> None:
    result = CliRunner().invoke(app, ["--lang", "zh", "workflows", "validate", str(EIGHT)])
    assert result.exit_code == 1
    assert f"{EIGHT}:20:84：流转 'send'：未知的角色 'clerck'；是不是 'clerk'？" in result.output
    assert "阶段 'orphan' 是死路" in result.output
    assert "unknown" not in result.output and "is not" not in result.output
