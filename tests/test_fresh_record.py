"""A re-entered step starts a fresh record (issue #12, item 1), under the simulated clock.

Every step "keeps its minutes" (domain.md, "2. Four discussions, two disclosures"): minutes of the
meeting that was held, not of an earlier one. The People's Mediation Law keeps "a record of every
mediation" (art. 27), so a mediation that goes on keeps its deadline and its one extension
(``keep_on_reentry: true``). GB/T 30428's closed loop reopens an event for a new disposal: the
earlier "what was done" must not satisfy the new attempt.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import COMMITTEES, FOUR, PROPOSAL
from yishi.definition.loader import load_text
from yishi.engine import Engine
from yishi.engine.stepdata import replay
from yishi.testing import Scenario, SimClock

SEC = "王书记/secretary"


@pytest.fixture
def sc(yishi_engine: Engine, sim_clock: SimClock) -> Scenario:
    return Scenario(yishi_engine, sim_clock)


def failing(exc: Any) -> list[Any]:
    return [v for v in exc.verdicts if not v.ok]


def test_sent_back_matter_needs_new_committee_minutes(sc: Scenario) -> None:
    sc.start(FOUR, SEC, PROPOSAL)
    sc.steps([(SEC, "submit_to_committees"), (SEC, "submit_to_party_members", COMMITTEES)])
    sc.step(SEC, "send_back", {"reason": "需补充租金测算"})
    sc.step(SEC, "submit_to_committees")  # the proposal is kept (keep_on_reentry) …
    # … but the committees meet again: their old minutes do not satisfy the new discussion
    refused = sc.refused(SEC, "submit_to_party_members")
    assert [v.reason_zh for v in failing(refused)] == ["尚未填写必填项：会议日期、会议记录"]
    assert sc.case.data.get("committees_discussion") is None
    # the earlier record stays in the history, and can be shown or copied in on purpose
    assert sc.engine.earlier_records(sc.case.id, "committees_discussion") == [COMMITTEES]
    sc.step(SEC, "submit_to_party_members", {**COMMITTEES, "minutes": "补充测算后再议，同意。"})
    assert sc.case.data["committees_discussion"]["minutes"] == "补充测算后再议，同意。"
    wf = sc.engine.definition_of(sc.case)
    assert replay(wf, sc.history()) == sc.case.data  # the fold and the engine agree


def test_reopened_grid_tier_needs_a_new_account_of_what_was_done(sc: Scenario) -> None:
    from test_wf_grid_escalation import CHECKED, EVENT, FEEDBACK, GL, GM
    sc.start("grid_escalation", GM, EVENT)
    sc.step(GM, "dispatch")
    sc.step(GM, "resolve", {"measures": "临时封堵"})
    sc.steps([(GM, "give_feedback", FEEDBACK), (GL, "verify", CHECKED)])
    sc.step(GM, "evaluate", {"satisfaction": "unsatisfied", "evaluation_comment": "又漏了"})
    sc.expect_state("tier_1")
    refused = sc.refused(GM, "resolve")
    assert [v.reason_en for v in failing(refused)] == ["required fields not filled in: what was done"]
    (earlier,) = sc.engine.earlier_records(sc.case.id, "tier_1")
    assert (earlier["measures"], earlier["resolved_tier"]) == ("临时封堵", 1)
    sc.step(GM, "resolve", {"measures": "更换整段管道"})
    wf = sc.engine.definition_of(sc.case)
    assert replay(wf, sc.history()) == sc.case.data


def test_keep_on_reentry_carries_the_mediation_deadline_and_its_extension(sc: Scenario) -> None:
    from test_wf_people_mediation import AGREEMENT, CONSENT, COMMITTEE, MEDIATOR, mediating
    mediating(sc)
    sc.step(COMMITTEE, "extend", CONSENT)
    due = sc.case.data["mediating"]["mediation_due"]
    sc.step(MEDIATOR, "reach_agreement")
    sc.step(MEDIATOR, "back_to_mediation", {**AGREEMENT, "reason": "吴某拒绝签字"})
    sc.expect_state("mediating")
    assert sc.case.data["mediating"]["mediation_due"] == due  # not the first deadline again
    again = sc.refused(COMMITTEE, "extend", CONSENT)  # one extension only, still
    assert [v.reason_en for v in failing(again)] == ["needs extensions granted to be 0 (it is 1)"]
    assert sc.engine.earlier_records(sc.case.id, "mediating") == []


def test_the_flag_is_part_of_the_definition_language() -> None:
    text = """
id: loop
version: 1
title: t
description: d
roles: {r: {title: r}}
initial: a
states:
  a: {title: a, keep_on_reentry: true, form: [{name: x, label: x}]}
  b: {title: b, final: true}
transitions:
  - {trigger: go, source: a, dest: b, title: go}
"""
    assert load_text(text).workflow.states["a"].keep_on_reentry is True
    from yishi.definition.schema import workflow_schema
    assert "keep_on_reentry" in workflow_schema()["$defs"]["State"]["properties"]
