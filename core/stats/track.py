"""Keeping a case's countable facts (``CaseFigures``) current, step by step.

The engine calls ``on_start`` and ``on_step`` inside the step's transaction; the store writes
the result into indexed columns of the case row. ``fold`` derives the same facts from a case's
events (the migration that added the columns backfills existing cases with it).

Conventions the figures rely on (the shipped grid-escalation procedure follows them):

* a state named ``tier_N`` is handled at tier N (1 grid member … 5 district department);
* a form field ``resolved_tier`` (set when a tier resolves the matter) records the tier that
  resolved it; entering a ``tier_N`` state again after a resolution is a **reopen**, and the
  resolution no longer counts until the case is resolved again;
* a form field ``satisfaction`` is the reporter's evaluation: a state whose form has it *asks*
  for one, a step that records it *gives* one, and ``satisfied``/``basically_satisfied``/
  ``very_satisfied`` count as satisfied;
* a trigger named ``extend`` (or ``extend_…``) extends the time limit;
* a step taken at or after the case's due time (``due_at``) missed a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from operator import attrgetter
from typing import Any

from yishi.engine.types import CaseFigures

_VALUES = attrgetter(*(f.name for f in fields(CaseFigures)))  # a copy without dataclasses.replace's checks

TIER_FIELD = "resolved_tier"
SATISFACTION_FIELD = "satisfaction"
SATISFIED = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})
COMMUNITY_TIERS = 3  # tiers 1–3 (grid member, grid leader, secretary's clinic) are inside the community
_TIER_STATE = re.compile(r"tier_(\d+)$")


def state_tier(state: str | None) -> int | None:
    """N for a state named ``tier_N``, else None."""
    found = _TIER_STATE.match(state or "")
    return int(found.group(1)) if found else None


def is_extension(trigger: str | None) -> bool:
    return trigger is not None and (trigger == "extend" or trigger.startswith("extend_"))


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def on_start(initial: str, asks_evaluation: bool) -> CaseFigures:
    """The figures of a case just opened in state ``initial``."""
    return CaseFigures(tier=state_tier(initial), evals_asked=1 if asks_evaluation else 0)


def on_step(before: CaseFigures, *, source: str | None, dest: str, trigger: str | None,
            recorded: Mapping[str, Any], late: bool, dest_asks_evaluation: bool) -> CaseFigures:
    """The figures after a step from ``source`` to ``dest`` that recorded ``recorded`` (the
    values the step saved, including those its actions set); ``late`` when it was taken at or
    after the case's due time."""
    f = CaseFigures(*_VALUES(before))
    if late:
        f.deadlines_missed += 1
    if is_extension(trigger):
        f.extended += 1
    satisfaction = recorded.get(SATISFACTION_FIELD)
    if satisfaction not in (None, ""):
        f.evals_given += 1
        if str(satisfaction) in SATISFIED:
            f.evals_satisfied += 1
    resolved = _int(recorded.get(TIER_FIELD))
    if resolved is not None:
        f.resolved_tier = resolved
        f.tier = resolved
    tier = state_tier(dest)
    if tier is not None and dest != source:
        if resolved is None and before.resolved_tier is not None:
            f.reopened += 1
            f.resolved_tier = None
        f.tier = tier
    if dest_asks_evaluation and dest != source:
        f.evals_asked += 1
    return f


def fold(events: Iterable[Any], asks_evaluation: Mapping[str, bool],
         dues: Iterable[tuple[str, Any]] = ()) -> CaseFigures:
    """The figures of a case from its events, oldest first (objects or mappings with ``kind``,
    ``at``, ``trigger``, ``source``, ``dest`` and ``data``). ``asks_evaluation`` names the states
    whose form has a ``satisfaction`` field; ``dues`` are the (state, due time) of the case's
    timers, from which a step is known to be late: a timer of the state it left fell due while
    it was there (or a timer fired the step, or a reminder came).
    """
    figures = CaseFigures()
    due_times: dict[str, list[Any]] = {}
    for state, due in dues:
        due_times.setdefault(state, []).append(due)
    reminded, entered = False, None
    for ev in events:
        get = ev.get if isinstance(ev, Mapping) else (lambda name, e=ev: getattr(e, name))
        kind, dest, at = get("kind"), get("dest"), get("at")
        data = get("data") or {}
        if kind == "start":
            figures = on_start(dest, asks_evaluation.get(dest, False))
            reminded, entered = False, at
        elif kind == "remind":
            reminded = True
        elif kind in ("fire", "timer") and dest is not None:
            source = get("source")
            late = reminded or kind == "timer" or any(
                entered is not None and entered < due <= at for due in due_times.get(source or "", ()))
            recorded = {**data, **(data.get("_set") or {})}
            figures = on_step(figures, source=source, dest=dest, trigger=get("trigger"),
                              recorded=recorded, late=late,
                              dest_asks_evaluation=asks_evaluation.get(dest, False))
            reminded, entered = False, at
    return figures


MONTH_COUNTS = ("received", "closed", "on_time", "handling_seconds", "reopened", "extended",
                "evals_asked", "evals_given", "evals_satisfied")


def month_of(moment: Any, tz: Any) -> str:
    """``YYYY-MM`` of ``moment`` in the time zone ``tz``."""
    return moment.astimezone(tz).strftime("%Y-%m")


def received_row(case: Any, tz: Any) -> dict[str, Any]:
    """The month summary's increment for a case just opened: one received, in its month."""
    return {"month": month_of(case.opened_at, tz), "unit_id": case.unit_id or 0,
            "workflow_id": case.workflow_id, "tier": 0, **dict.fromkeys(MONTH_COUNTS, 0), "received": 1}


def closed_row(case: Any, tz: Any) -> dict[str, Any]:
    """The month summary's increment for a case just closed (``closed_at`` set), under the tier
    that resolved it (0: none): closed, on time, handling time, reopened, extended, evaluations."""
    f = case.figures
    return {"month": month_of(case.closed_at, tz), "unit_id": case.unit_id or 0,
            "workflow_id": case.workflow_id, "tier": f.resolved_tier or 0, "received": 0, "closed": 1,
            "on_time": 1 if f.deadlines_missed == 0 else 0,
            "handling_seconds": (case.closed_at - case.opened_at).total_seconds(),
            "reopened": 1 if f.reopened else 0, "extended": 1 if f.extended else 0,
            "evals_asked": f.evals_asked, "evals_given": f.evals_given, "evals_satisfied": f.evals_satisfied}


def asks_evaluation(workflow: Any, state: str) -> bool:
    """Whether ``state``'s form asks for the reporter's evaluation (a ``satisfaction`` field)."""
    found = workflow.states.get(state)
    return found is not None and any(f.name == SATISFACTION_FIELD for f in found.form)


def started(workflow: Any, case: Any) -> None:
    """Set the figures of ``case``, just opened (the engine calls this in the transaction)."""
    case.figures = on_start(case.state, asks_evaluation(workflow, case.state))


def stepped(workflow: Any, case: Any, *, source: str, trigger: str, recorded: Mapping[str, Any],
            late: bool) -> None:
    """Update the figures of ``case``, which has just moved from ``source`` to ``case.state``."""
    case.figures = on_step(case.figures, source=source, dest=case.state, trigger=trigger,
                           recorded=recorded, late=late,
                           dest_asks_evaluation=asks_evaluation(workflow, case.state))
