"""Events that record something done beside the steps: a document posted or signed, evidence
attached. They join the case's hash chain without changing its state, revision or timers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from yishi.engine.types import Actor, Event

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

#: the kinds of note events, with the key their data is kept under
NOTE_KINDS = {"document": "_document", "attachment": "_attachment"}


def append_note(engine: Engine, case_id: int, actor: Actor, kind: str, data: Mapping[str, Any]) -> Event:
    """Append a ``kind`` event with ``data`` to case ``case_id`` in its own transaction.

    Closed cases take notes too (a results notice printed after archiving, evidence filed late).
    Raises ``NotFoundError`` for an unknown case, ``ValueError`` for an unknown kind.
    """
    if kind not in NOTE_KINDS:
        raise ValueError(f"unknown note kind {kind!r}; use one of {sorted(NOTE_KINDS)}")
    now = engine.now()
    with engine.store.write() as tx:
        case = engine._get(tx, case_id, for_update=True)
        event = engine._append(tx, case, now=now, kind=kind, actor=actor, trigger=None, source=case.state,
                               dest=case.state, data=dict(data), verdicts=())
        tx.update_step(case, expected_rev=case.rev, data_changed=False)  # the new head, not the data
    engine.pm.hook.yishi_event_committed(engine=engine, case=case, event=event, notifications=[])
    return event
