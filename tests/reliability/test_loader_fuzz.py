"""The workflow loader never raises: every input is a workflow or a list of definition problems,
each with file:line:col and a hint (issue #10, finding 5).

Hypothesis mutates the shipped workflow files (tagged scalars, odd keys, flow brackets, anchors,
special floats, tabs, NUL…) and also builds random documents from the schema's own keys.
``YISHI_FUZZ_EXAMPLES`` raises the number of examples (default 300 per test, for CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yishi.definition import check_text, load_text
from yishi.definition.schema import workflow_schema
from yishi.engine.library import catalog_of, collect_registry, open_library
from yishi.errors import DefinitionError, Problem
from yishi.plugin_manager import make_manager

EXAMPLES = int(os.environ.get("YISHI_FUZZ_EXAMPLES", "300"))
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
TEXTS = [p.read_text(encoding="utf-8") for p in sorted(WORKFLOWS.glob("*.yaml"))]
CATALOG = catalog_of(collect_registry(make_manager(entry_points=False)))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Fragments that broke (or nearly broke) the loader: tagged scalars, special floats, keys with
# brackets, flow collections, anchors and aliases, merge keys, tabs, control characters.
FRAGMENTS = [
    "!!int abc", "!!int ''", "!!bool maybe", "!!float abc", "!!int 'a: b'", "!!int 0x", "!!float ''",
    "!!null x", "!!timestamp abc", "!!str", "!!binary abc", "!!set {a}", "!!omap [a]", "!!python/name:os.system",
    ".inf", "-.inf", ".nan", "1e400", "-0.0", "99999999999999999999999", "0o17", "0x1F", "~", "null",
    "'a[b'", "a[0]", "[key]", "int", "list[str]", "{", "}", "[", "]", "[a, b]", "{a: 1}", "&x", "*x",
    "&x [*x]", "<<: {a: 1}", "? [a]", "? a", "- ", ": ", "\t", "\x00", "\u2028", "#", "|", ">", "'", '"',
    "$", "$nope", "$notice_period", "P7D", "7d", "-5", "true", "false", "yes", "2026-01-01", "中文",
]
SCHEMA_KEYS = sorted({key for key in str(workflow_schema()).replace("'", " ").split() if key.isidentifier()})


FIGURES = {"inputs": 0, "workflows": 0, "refused": 0, "problems": 0}


def _assert_reported(text: str | bytes) -> None:
    """``check_text`` returns without raising, and a failure is a list of located problems."""
    workflow, problems = check_text(text, "fuzz.yaml", CATALOG)
    FIGURES["inputs"] += 1
    FIGURES["workflows" if not problems else "refused"] += 1
    FIGURES["problems"] += len(problems)
    assert workflow is not None or problems, "no workflow and no problem"
    # YAML also breaks lines at \r, U+0085, U+2028 and U+2029: splitlines() counts those too
    lines = max(1, len((text if isinstance(text, str) else text.decode("utf-8", "replace")).splitlines()) + 1)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file == "fuzz.yaml"
        assert 1 <= problem.line <= lines + 1, problem
        assert problem.col >= 1, problem
        assert problem.message, problem
        assert "Traceback" not in str(problem)
        assert problem.code != "internal", f"the safety net caught a bug: {problem}"
    if problems:
        with pytest.raises(DefinitionError):
            load_text(text, "fuzz.yaml", CATALOG)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped workflow with a few lines changed: a fragment put after a key, a line
    replaced or dropped, a value swapped for another."""
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        frag = draw(st.sampled_from(FRAGMENTS))
        how = draw(st.integers(0, 4))
        line = lines[i]
        if how == 0 and ":" in line:  # value replaced
            lines[i] = line.split(":", 1)[0] + ": " + frag
        elif how == 1:  # key replaced
            indent = line[:len(line) - len(line.lstrip())]
            lines[i] = indent + frag + ":" + (line.split(":", 1)[1] if ":" in line else "")
        elif how == 2:
            lines[i] = line + frag
        elif how == 3:
            del lines[i]
            if not lines:
                lines = [frag]
        else:
            lines.insert(i, line[:len(line) - len(line.lstrip())] + frag)
    return "\n".join(lines) + "\n"


def _scalar() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(SCHEMA_KEYS),
                     st.text(max_size=8).map(lambda s: repr(s)))


@st.composite
def built(draw: st.DrawFn, depth: int = 0) -> str:
    """A random YAML document whose keys mostly come from the workflow schema."""
    indent = "  " * depth
    out = []
    for _ in range(draw(st.integers(1, 5 if depth < 3 else 2))):
        key = draw(st.one_of(st.sampled_from(SCHEMA_KEYS), st.sampled_from(FRAGMENTS[:40])))
        if depth < 4 and draw(st.booleans()):
            child = draw(built(depth + 1))
            if draw(st.booleans()):
                child = child.replace(f"\n{'  ' * (depth + 1)}", f"\n{'  ' * (depth + 1)}  ", 0)
                out.append(f"{indent}{key}:\n{indent}  -\n{child}")
            else:
                out.append(f"{indent}{key}:\n{child}")
        else:
            out.append(f"{indent}{key}: {draw(_scalar())}")
    return "\n".join(out)


@SETTINGS
@given(mutated())
def test_a_mutated_workflow_is_a_workflow_or_problems(text: str) -> None:
    _assert_reported(text)


@SETTINGS
@given(built())
def test_a_random_document_is_a_workflow_or_problems(text: str) -> None:
    _assert_reported(text)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_are_a_workflow_or_problems(data: bytes) -> None:
    _assert_reported(data)


def test_the_fuzzing_figure() -> None:
    """Prints how many inputs the three fuzz tests above tried (run after them, in file order)."""
    print(f"\nloader fuzz: {FIGURES['inputs']} inputs, {FIGURES['workflows']} valid workflows, "
          f"{FIGURES['refused']} refused with {FIGURES['problems']} located problems, 0 raised")
    assert FIGURES["inputs"] == 0 or FIGURES["workflows"] + FIGURES["refused"] == FIGURES["inputs"]


@pytest.mark.parametrize("fragment", [
    "version: !!int abc", "version: !!int ''", "title: !!bool maybe", "version: !!float abc",
    "version: !!int 'a: b'", "'a[b': 1", "'[key]': 1", "'int': 1",
])
def test_each_class_found_by_fuzzing_is_a_problem_with_its_place(fragment: str) -> None:
    """The classes the fuzzing of issue #10 found: each one is reported at its line."""
    text = "id: x\n" + fragment + "\n"
    workflow, problems = check_text(text, "f.yaml")
    assert workflow is None
    assert problems
    assert any(p.line == 2 for p in problems), [str(p) for p in problems]


def test_after_inf_is_a_problem_at_its_line() -> None:
    text = TEXTS[0]
    start = text.index("after:")
    end = text.index("\n", start)
    broken = text[:start] + "after: .inf" + text[end:]
    workflow, problems = check_text(broken, "f.yaml", CATALOG)
    line = broken[:start].count("\n") + 1
    assert workflow is None
    assert [p.line for p in problems] == [line]
    assert "not a duration" in problems[0].message


def test_a_broken_plugin_file_does_not_stop_the_others(tmp_path: Path) -> None:
    """One plugin ships a file with a tagged scalar; every other workflow still loads."""
    from yishi.hookspecs import hookimpl

    (tmp_path / "broken.yaml").write_text("id: broken\nversion: !!int abc\n", encoding="utf-8")

    class Plugin:
        @hookimpl
        def yishi_workflow_files(self) -> list[Path]:
            return [tmp_path]

    library = open_library([Plugin()], entry_points=False)
    ids = {loaded.workflow.id for loaded in library.latest()}
    assert "four_discussions_two_disclosures" in ids and len(ids) >= 4
    assert [(Path(p.file).name, p.line) for p in library.problems] == [("broken.yaml", 2)]


@pytest.mark.parametrize("fragment", [
    "version: !!int abc", "title: !!bool maybe", "version: !!float abc", "version: !!int 0x",
])
def test_the_new_problems_read_in_chinese(fragment: str) -> None:
    from yishi.definition.messages_zh import translate, untranslated

    problems = check_text("id: x\n" + fragment + "\n", "f.yaml")[1]
    tagged = [p for p in problems if p.code == "tag"]
    assert tagged
    for p in tagged:
        assert not untranslated(p.message) and not untranslated(p.hint), (translate(p.message), translate(p.hint))


def test_readonly_and_after_inf_read_in_chinese() -> None:
    from test_bad_input import READONLY

    from yishi.definition.messages_zh import translate, untranslated

    text = TEXTS[0]
    start = text.index("after:")
    broken = text[:start] + "after: .inf" + text[text.index("\n", start):]
    problems = check_text(READONLY, "grant.yaml")[1] + check_text(broken, "f.yaml", CATALOG)[1]
    assert len(problems) == 2
    for p in problems:
        assert not untranslated(p.message) and not untranslated(p.hint), (translate(p.message), translate(p.hint))
