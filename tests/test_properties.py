"""Properties of every shipped workflow, by random walks (hypothesis) under the simulated clock,
through the testing kit's model-based testing (``yishi.modeltest``), as plugin authors use it.

Random sequences of allowed steps, each with random data that fits the forms, interleaved with
time passing (timers fire), never reach a state outside the definition, never break the hash
chain, and leave closed cases with nothing to do. Every final state is reachable, and a random
walk does reach one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yishi.definition.loader import load_file
from yishi.definition.models import Workflow
from yishi.engine import Engine
from yishi.engine.library import catalog_of, collect_registry
from yishi.modeltest import HypothesisPick, explore, reachability_problems, walk
from yishi.plugin_manager import make_manager
from yishi.testing import SimClock, workflow_files

WORKFLOWS = Path(__file__).parent.parent / "workflows"
SHIPPED = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))


def _workflow(stem: str) -> Workflow:
    return load_file(WORKFLOWS / f"{stem}.yaml", catalog_of(collect_registry(make_manager()))).workflow


@pytest.mark.parametrize("stem", SHIPPED)
def test_random_walks_stay_inside_the_definition(stem: str, make_engine: Any, sim_clock: SimClock) -> None:
    wf = _workflow(stem)
    engine: Engine = make_engine()

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def run(data: Any) -> None:
        pick = HypothesisPick(data)
        walk(engine, sim_clock, wf, pick, pick.integer(1, 20))

    run()
    assert engine.verify().ok  # every case, hand-over cases included


@pytest.mark.parametrize("stem", SHIPPED)
def test_every_final_state_is_reachable(stem: str) -> None:
    assert reachability_problems(_workflow(stem)) == []


@pytest.mark.parametrize("stem", SHIPPED)
def test_a_random_walk_reaches_a_final_state(stem: str, make_engine: Any, sim_clock: SimClock) -> None:
    engine: Engine = make_engine()
    report = explore(engine, sim_clock, _workflow(stem).id, walks=3, steps=150)
    print(report.summary())
    assert report.finals_reached, f"no random walk of {stem} reached a final state"
    assert report.taken <= report.transitions
    assert engine.verify().ok


TRAP = """
id: trap
version: 1
title: {zh: 陷阱, en: trap}
description: a state with no way to any final state
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: open
states:
  open: {title: {zh: 受理, en: open}}
  loop_a: {title: {zh: 甲, en: a}}
  loop_b: {title: {zh: 乙, en: b}}
  done: {title: {zh: 办结, en: done}, final: true}
transitions:
  - {trigger: close, source: open, dest: done, title: {zh: 办结, en: close}, roles: [clerk]}
  - {trigger: wander, source: open, dest: loop_a, title: {zh: 走, en: wander}, roles: [clerk]}
  - {trigger: on, source: loop_a, dest: loop_b, title: {zh: 走, en: on}, roles: [clerk]}
  - {trigger: back, source: loop_b, dest: loop_a, title: {zh: 回, en: back}, roles: [clerk]}
"""


def test_the_kit_finds_a_trap_and_reports_coverage(tmp_path: Path, make_engine: Any, sim_clock: SimClock) -> None:
    (tmp_path / "trap.yaml").write_text(TRAP, encoding="utf-8")
    engine: Engine = make_engine(workflow_files(tmp_path / "trap.yaml"))
    wf = engine.workflow("trap").workflow
    problems = reachability_problems(wf)
    assert "trap: no final state can be reached from 'loop_a'" in problems
    assert "trap: no final state can be reached from 'loop_b'" in problems
    report = explore(engine, sim_clock, "trap", walks=8, steps=10)
    assert report.transitions == {("open", "close", "done"), ("open", "wander", "loop_a"),
                                  ("loop_a", "on", "loop_b"), ("loop_b", "back", "loop_a")}
    assert report.taken <= report.transitions and report.taken
    assert "transitions" in report.summary()
