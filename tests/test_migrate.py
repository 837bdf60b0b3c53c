"""Changing a procedure under running cases (issue #12, item 13), under the simulated clock.

The Organic Laws of villagers' and residents' committees were revised in late 2025 (domain.md,
"Details worth encoding"): a deployment that changes a number or a step moves its open cases onto
the new version only when each one fits it, one transaction and one ``migrate`` event per case, and
can move a case back.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yishi.engine import Actor, Engine
from yishi.engine.stepdata import replay
from yishi.errors import RefusedError
from yishi.testing import SimClock, workflow_files

SEC = Actor.of("王书记", "secretary")

V1 = """
id: notice
version: 1
title: {zh: 公示, en: notice}
description: d
params:
  period: {type: duration, default: 7d, title: period}
roles: {secretary: {title: {zh: 书记, en: secretary}}}
initial: drafting
states:
  drafting:
    title: {zh: 起草, en: drafting}
    form:
      - {name: subject, type: text, required: true, label: {zh: 事项, en: subject}}
      - {name: kind, type: choice, choices: [land, road, other], label: {zh: 类别, en: kind}}
  notice:
    title: {zh: 公示, en: notice}
    form:
      - {name: place, type: text, label: {zh: 地点, en: place}}
    timers:
      - {after: $period, remind: [secretary]}
  done: {title: {zh: 完成, en: done}, final: true}
transitions:
  - {trigger: post, source: drafting, dest: notice, title: post, roles: [secretary]}
  - {trigger: finish, source: notice, dest: done, title: finish, roles: [secretary]}
"""
# version 2: a shorter notice period, the notice step renamed, 'other' no longer a kind
V2 = (V1.replace("version: 1", "version: 2").replace("default: 7d", "default: 5d")
      .replace("  notice:\n", "  posted:\n").replace("dest: notice", "dest: posted")
      .replace("source: notice", "source: posted").replace("[land, road, other]", "[land, road]"))


@pytest.fixture
def engine(make_engine: Any, tmp_path: Path, sim_clock: SimClock) -> Engine:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "notice_v1.yaml").write_text(V1, encoding="utf-8")
    return make_engine(workflow_files(folder))


def start_v1(engine: Engine, kind: str = "land", post: bool = True) -> int:
    case = engine.start("notice", SEC, {"subject": "宅基地审批公示", "kind": kind}, version=1)
    if post:
        engine.fire(case.id, "post", SEC)
        engine.record(case.id, SEC, {"place": "公示栏"})
    return case.id


def add_v2(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "wf" / "notice_v2.yaml").write_text(V2, encoding="utf-8")
    engine.library._by_id = None  # noqa: SLF001 - the files changed on disk: read them again


def test_dry_run_checks_every_open_case_and_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    good, bad, early = start_v1(engine), start_v1(engine, kind="other"), start_v1(engine, post=False)
    add_v2(engine, tmp_path)
    before = {c: engine.case(c) for c in (good, bad, early)}
    report = engine.migrate("notice", 2, {"notice": "posted"}, dry_run=True)
    assert report.dry_run and not report.ok and report.migrated == 0
    by_id = {c.case_id: c for c in report.cases}
    assert by_id[good].ok and by_id[good].new_state == "posted"
    assert by_id[early].ok and by_id[early].new_state == "drafting"
    assert by_id[bad].problems == [("“drafting”阶段已记录的类别不符合新表单：须为以下之一：land、road",
                                    "the recorded kind of step 'drafting' does not fit the new form: "
                                    "must be one of land, road")]
    assert {c: engine.case(c) for c in (good, bad, early)} == before


def test_a_state_that_no_longer_exists_needs_a_map(engine: Engine, tmp_path: Path) -> None:
    case_id = start_v1(engine)
    add_v2(engine, tmp_path)
    (checked,) = engine.migrate("notice", 2).cases
    assert checked.problems[0][1] == "its step 'notice' does not exist in version 2 (map it: --map notice=NEW)"
    assert not checked.migrated and engine.case(case_id).workflow_version == 1


def test_migrate_moves_each_fitting_case_with_an_event_and_replans_its_timers(
        engine: Engine, tmp_path: Path, sim_clock: SimClock) -> None:
    good, bad = start_v1(engine), start_v1(engine, kind="other")
    entered = engine.case(good).state_entered_at
    sim_clock.advance("2d")
    add_v2(engine, tmp_path)
    report = engine.migrate("notice", 2, {"notice": "posted"})
    assert report.migrated == 1 and [c.case_id for c in report.cases if c.migrated] == [good]
    case = engine.case(good)
    assert (case.workflow_version, case.state) == (2, "posted")
    assert case.data == {"drafting": {"subject": "宅基地审批公示", "kind": "land"}, "posted": {"place": "公示栏"}}
    assert case.due_at == entered + timedelta(days=5)  # the new period, from when the notice began
    event = engine.history(good)[-1]
    assert event.kind == "migrate" and (event.source, event.dest) == ("notice", "posted")
    assert event.data["_from"]["version"] == 1 and event.data["_to"]["version"] == 2
    assert replay(engine.definition_of(case), engine.history(good)) == case.data
    assert engine.case(bad).workflow_version == 1  # did not fit: left on its version
    assert engine.verify().ok
    # the case goes on under version 2, with version 2's timer
    ticks = sim_clock.run_until(engine, "4d")
    assert [(t.outcome, t.event.at) for t in ticks] == [("reminded", entered + timedelta(days=5))]
    assert engine.fire(good, "finish", SEC).case.state == "done"


def test_revert_restores_the_case_and_is_refused_once_it_moved_on(engine: Engine, tmp_path: Path) -> None:
    first, second = start_v1(engine), start_v1(engine)
    before = engine.case(first)
    add_v2(engine, tmp_path)
    assert engine.migrate("notice", 2, {"notice": "posted"}).migrated == 2
    back = engine.revert_migration(first, SEC)
    assert back.kind == "migrate" and back.data["_revert_of"] == engine.history(first)[-2].seq
    after = engine.case(first)
    assert (after.workflow_version, after.workflow_sha256, after.state, after.data) == (
        1, before.workflow_sha256, "notice", before.data)
    assert after.due_at == before.due_at
    assert engine.verify().ok
    engine.fire(second, "finish", SEC)
    with pytest.raises(RefusedError) as refused:
        engine.revert_migration(second, SEC)
    assert "moved on after its migration" in refused.value.message
    assert "迁移后已有办理记录" in refused.value.message_zh
    with pytest.raises(RefusedError):
        engine.revert_migration(start_v1(engine), SEC)  # never migrated


def test_cli_migrate_dry_run_and_revert(make_engine: Any, tmp_path: Path) -> None:
    """A deployment on 四议两公开 version 2 (a 5-day notice, a local rule) moves to the shipped v3."""
    from typer.testing import CliRunner

    from conftest import PROPOSAL
    from yishi.cli import app
    shipped = Path(__file__).parent.parent / "workflows" / "four_discussions_two_disclosures.yaml"
    old = tmp_path / "four_v2.yaml"
    old.write_text(shipped.read_text("utf-8").replace("version: 3", "version: 2", 1)
                   .replace("default: 7d", "default: 5d", 1), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Engine.open(url, plugins=[workflow_files(old)]) as engine:
        case = engine.start("four_discussions_two_disclosures", SEC, PROPOSAL, version=2)
    runner = CliRunner()
    bad = runner.invoke(app, ["--db", url, "workflows", "migrate", FOUR_ID, "--to", "3", "--map", "proposal"])
    assert bad.exit_code == 2 and "OLD=NEW" in bad.output
    dry = runner.invoke(app, ["--db", url, "--lang", "en", "workflows", "migrate", FOUR_ID, "--to", "3", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"#{case.id}" in dry.output and "v2 → v3  proposal → proposal" in dry.output
    assert "dry run: 1 open case(s) checked, nothing changed" in dry.output
    done = runner.invoke(app, ["--db", url, "--lang", "zh", "workflows", "migrate", FOUR_ID, "--to", "3"])
    assert done.exit_code == 0 and "已迁移 1 / 1 件" in done.output, done.output
    back = runner.invoke(app, ["--db", url, "--lang", "en", "workflows", "revert-migration", str(case.id)])
    assert back.exit_code == 0 and f"case #{case.id} is back on version 2 (proposal)" in back.output, back.output
    with Engine.open(url, plugins=[workflow_files(old)]) as engine:
        assert engine.case(case.id).workflow_version == 2
        assert [e.kind for e in engine.history(case.id)] == ["start", "migrate", "migrate"]
        assert engine.verify().ok
    never = runner.invoke(app, ["--db", url, "workflows", "revert-migration", "99"])
    assert never.exit_code == 1


FOUR_ID = "four_discussions_two_disclosures"


def test_migrate_moves_who_may_act_with_the_case(engine: Engine, tmp_path: Path) -> None:
    """Version 2 gives the notice step to the committee: after the move, the committee's "my
    actions" counts the case and the secretary's no longer does (case_actors follows act_roles)."""
    from yishi.engine import CaseFilter

    case_id = start_v1(engine)
    assert engine.count(CaseFilter(open=True, roles=("secretary",))) == 1
    v2 = (V2.replace("roles: {secretary: {title: {zh: 书记, en: secretary}}}",
                     "roles: {secretary: {title: {zh: 书记, en: secretary}}, committee: {title: {zh: 两委, en: committee}}}")
          .replace("source: posted, dest: done, title: finish, roles: [secretary]",
                   "source: posted, dest: done, title: finish, roles: [committee]"))
    assert "roles: [committee]" in v2
    (tmp_path / "wf" / "notice_v2.yaml").write_text(v2, encoding="utf-8")
    engine.library._by_id = None  # noqa: SLF001 - the files changed on disk: read them again
    assert engine.migrate("notice", 2, {"notice": "posted"}).migrated == 1
    assert engine.case(case_id).act_roles == ("committee",)
    assert engine.count(CaseFilter(open=True, roles=("committee",))) == 1
    assert engine.count(CaseFilter(open=True, roles=("secretary",))) == 0
    assert [c.id for c in engine.cases(CaseFilter(open=True, roles=("committee",)))] == [case_id]
