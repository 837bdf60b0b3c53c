"""What one event does to a case's recorded data: the one rule the engine and any replay share.

A case's data is kept per state (``{state: {field: value}}``). A step records the source
state's form values (and what its actions ``set``) in the source state; entering a state
*again* from another state starts its form empty (a fresh record: the old minutes must not
satisfy the new meeting), unless the state says ``keep_on_reentry: true``. The earlier record
stays in the events and ``earlier_records`` gives it back, to be shown or copied in on purpose.
A self-loop (``hold_session``: mediating → mediating) is not a re-entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from yishi.definition.models import Workflow
from yishi.engine.types import Event


def apply_step(wf: Workflow, data: Mapping[str, Mapping[str, Any]], *, source: str, dest: str,
               recorded: Mapping[str, Any], updates: Mapping[str, Any] | None = None,
               entered: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The case data after a step from ``source`` to ``dest`` that recorded ``recorded`` (the
    source state's form values), ``updates`` (values actions set there) and ``entered`` (values
    actions set in the record of ``dest``, after a re-entry has emptied it)."""
    out = {state: dict(values) for state, values in data.items()}
    if recorded or updates:
        out[source] = {**out.get(source, {}), **recorded, **(updates or {})}
    if dest != source and dest in out and dest in wf.states and not wf.states[dest].keep_on_reentry:
        del out[dest]
    if entered:
        out[dest] = {**out.get(dest, {}), **entered}
    return out


def apply_event(wf: Workflow, data: Mapping[str, Mapping[str, Any]], event: Event) -> dict[str, dict[str, Any]]:
    """The case data after ``event``, derived from the event alone (the fold of a replay)."""
    values = {k: v for k, v in event.data.items() if not k.startswith("_")}
    if event.kind == "start":
        dest = event.dest or wf.initial_state()
        return {dest: values} if values else {}
    if event.kind == "migrate":
        mapped = event.data.get("_data")
        return {s: dict(v) for s, v in mapped.items()} if isinstance(mapped, dict) else dict(data)
    if event.kind == "record" and event.source:
        return apply_step(wf, data, source=event.source, dest=event.source, recorded=values)
    if event.kind in ("fire", "timer") and event.source and event.dest:
        fields = {f.name for f in wf.states[event.source].form} if event.source in wf.states else set()
        recorded = {k: v for k, v in values.items() if k in fields}
        updates = event.data.get("_set") or {}
        return apply_step(wf, data, source=event.source, dest=event.dest, recorded=recorded, updates=updates,
                          entered=event.data.get("_set_dest") or {})
    return {s: dict(v) for s, v in data.items()}  # remind, link: no data


def replay(wf: Workflow, events: Iterable[Event]) -> dict[str, dict[str, Any]]:
    """The case data the events add up to, oldest event first."""
    data: dict[str, dict[str, Any]] = {}
    for event in events:
        data = apply_event(wf, data, event)
    return data


def earlier_records(wf: Workflow, events: Iterable[Event], state: str) -> list[dict[str, Any]]:
    """Every record ``state`` had before it was entered afresh, oldest first (for reference, or to
    copy in on purpose); the current record is not among them."""
    out: list[dict[str, Any]] = []
    data: dict[str, dict[str, Any]] = {}
    fresh = state in wf.states and not wf.states[state].keep_on_reentry
    for event in events:
        before = data.get(state)
        data = apply_event(wf, data, event)
        if fresh and before and event.dest == state and event.source != state \
                and event.kind in ("fire", "timer"):
            out.append(before)
    return out
