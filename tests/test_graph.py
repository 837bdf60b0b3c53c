"""``yishi workflows graph``: Mermaid and DOT of every shipped workflow; the Mermaid text is snapshotted.

The snapshots live in tests/snapshots/<workflow>.<lang>.mmd. After an intended change to a shipped
workflow (or to the diagram format), rewrite them with:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_graph.py

and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.engine.library import catalog_of, collect_registry
from yishi.definition.loader import load_file
from yishi.graph import guard_text, to_dot, to_mermaid
from yishi.definition.models import Call
from yishi.plugin_manager import make_manager

WORKFLOWS = Path(__file__).parent.parent / "workflows"
SNAPSHOTS = Path(__file__).parent / "snapshots"
SHIPPED = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))


def _workflow(stem: str):  # noqa: ANN202
    return load_file(WORKFLOWS / f"{stem}.yaml", catalog_of(collect_registry(make_manager()))).workflow


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("stem", SHIPPED)
def test_mermaid_snapshot(stem: str, lang: str) -> None:
    text = to_mermaid(_workflow(stem), lang)
    path = SNAPSHOTS / f"{stem}.{lang}.mmd"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; create it with UPDATE_SNAPSHOTS=1 pytest {__file__}"
    assert text == path.read_text("utf-8"), (
        f"the Mermaid diagram of {stem} ({lang}) differs from {path}; if the change is intended, "
        f"run UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_graph.py and review the diff")


@pytest.mark.parametrize("stem", SHIPPED)
def test_every_state_and_transition_is_drawn(stem: str) -> None:
    wf = _workflow(stem)
    mermaid, dot = to_mermaid(wf, "en"), to_dot(wf, "zh")
    for name, state in wf.states.items():
        assert f'state "' in mermaid and f" as {name}\n" in mermaid
        assert (f"    {name} --> [*]" in mermaid) == state.final
        assert f"    {name} [label=" in dot
        assert ("peripheries=2" in dot.split(f"    {name} [label=")[1].split("\n")[0]) == state.final
    edges = sum(len(t.source) for t in wf.transitions)
    assert mermaid.count(" --> ") == edges + 1 + sum(s.final for s in wf.states.values())
    assert dot.count(" -> ") == edges + 1
    assert dot.startswith(f'digraph "{wf.id}" {{') and dot.rstrip().endswith("}")
    assert mermaid.count("⏱") == dot.count("⏱") == sum(len(s.timers) for s in wf.states.values())


def test_guards_and_timers_are_noted() -> None:
    mermaid = to_mermaid(_workflow("four_discussions_two_disclosures"), "zh")
    assert ("    representatives_meeting --> resolution_notice: 通过决议并公开 "
            "[quorum attended/representatives ≥ $representatives_quorum, "
            "majority votes_for/attended > $representatives_majority]") in mermaid
    assert "⏱ $notice_period 后：提醒 党组织书记" in mermaid
    grid = to_mermaid(_workflow("grid_escalation"), "en")
    assert "⏱ at tier_due： fires deadline_passed" in grid  # the deadline recorded as the tier is entered
    assert "⏱ at yellow_at： remind grid member, grid leader" in grid
    assert "⇒ people_mediation" in grid
    assert guard_text(Call(name="equals", args={"field": "satisfaction", "in": ["a", "b"]})) == "satisfaction ∈ {a, b}"
    assert guard_text(Call(name="someone_elses", args={"x": 1})) == "someone_elses"


def test_cli_graph_command(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'none.db'}"]
    zh = runner.invoke(app, [*db, "--lang", "en", "workflows", "graph", "bench_meeting", "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert zh.stdout == (SNAPSHOTS / "bench_meeting.zh.mmd").read_text("utf-8")
    dot = runner.invoke(app, [*db, "--lang", "en", "workflows", "graph", "people_mediation", "--format", "dot"])
    assert dot.exit_code == 0 and 'label="People\'s mediation"' in dot.stdout
    bad = runner.invoke(app, [*db, "workflows", "graph", "bench_meeting", "--format", "png"])
    assert bad.exit_code == 2 and "--format is one of mermaid, dot" in bad.output
    missing = runner.invoke(app, [*db, "workflows", "graph", "nope"])
    assert missing.exit_code == 1 and "no workflow 'nope'" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # opens no database
