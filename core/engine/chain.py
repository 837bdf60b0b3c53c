"""The per-case hash chain over events: each event's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from yishi.engine.types import Event, Verdict

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(*, case_id: int, seq: int, at: datetime, kind: str, actor: str, role: str,
               trigger: str | None, source: str | None, dest: str | None, data: dict[str, Any],
               verdicts: tuple[Verdict, ...], prev_hash: str) -> str:
    """sha256 over the canonical JSON of the event's fields and ``prev_hash``."""
    body = _canonical({
        "case": case_id, "seq": seq, "at": at.isoformat(timespec="microseconds"), "kind": kind,
        "actor": actor, "role": role, "trigger": trigger, "source": source, "dest": dest,
        "data": data, "verdicts": [v.as_dict() for v in verdicts],
    })
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def recompute(event: Event) -> str:
    return event_hash(case_id=event.case_id, seq=event.seq, at=event.at, kind=event.kind,
                      actor=event.actor, role=event.role, trigger=event.trigger,
                      source=event.source, dest=event.dest, data=event.data,
                      verdicts=event.verdicts, prev_hash=event.prev_hash)
