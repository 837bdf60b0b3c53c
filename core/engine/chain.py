"""The per-case hash chain over events: each event's hash covers its content and the previous hash.

Two canonical forms of the content exist. Events written since the record was made
database-neutral hash the *canonical* form (``CANON = 2``): numbers are written as the shortest
exact decimal, integral ones without a fraction or exponent, and ``-0`` as ``0``; this is what a
number reads back as after PostgreSQL's JSONB has stored it (``1e16`` comes back as
``10000000000000000``, ``-0.0`` as ``0``), so a value's hash no longer depends on the database that
kept it. Events written before hash the plain JSON form (``CANON = 1``); the two forms are the
same text for every event whose data holds no float (floats such as ``3.0`` or ``1e-05`` are
spelled differently), and ``verify`` accepts either form for an event.
"""

from __future__ import annotations

import hashlib
import json
import math
from decimal import Decimal
from datetime import datetime
from json.encoder import c_make_encoder  # type: ignore[attr-defined]
from typing import Any

from yishi.engine.types import Event, Verdict

GENESIS = "0" * 64
CANON = 2
# what ``json.dumps(text, ensure_ascii=False)`` does to a string, without building an encoder per call
_quote = json.encoder.encode_basestring


def _plain(value: Any) -> str:
    """Canonical form 1: JSON with sorted keys (numbers as Python writes them)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_number(value: int | float) -> str:
    """The shortest exact decimal of ``value``: ``1e16`` → ``10000000000000000``, ``-0.0`` → ``0``,
    ``1.5e-07`` → ``0.00000015``; a non-finite float keeps Python's spelling."""
    if not isinstance(value, float):
        return str(int(value))
    if not math.isfinite(value):
        return repr(value)
    if value == 0:
        return "0"
    return format(Decimal(repr(value)).normalize(), "f")  # repr has at most 17 digits: exact


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, (int, float)):
        out.append(canonical_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str)):
            if i:
                out.append(",")
            out.append(_quote(str(key)))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(_quote(str(value)))


def canonical(value: Any) -> str:
    """Canonical form 2: JSON with sorted keys and every number in canonical decimal form."""
    if _SORTED is not None and _plain_will_do(value):
        return "".join(_SORTED(value, 0))
    out: list[str] = []
    _write(value, out)
    return "".join(out)


# Without floats, and with text keys only, canonical form 2 is what json's C encoder writes with
# sorted keys (integers as digits, anything else as its str, quoted): one C call instead of a
# Python walk that writes every piece (tests/test_chain_fast.py checks the two agree).
_SORTED = (c_make_encoder(None, str, _quote, None, ":", ",", True, False, True)
           if c_make_encoder is not None else None)


def _plain_will_do(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if type(key) is not str or isinstance(inner, float):
                    return False
                if isinstance(inner, (dict, list, tuple)):
                    stack.append(inner)
        elif isinstance(item, (list, tuple)):
            for inner in item:
                if isinstance(inner, float):
                    return False
                if isinstance(inner, (dict, list, tuple)):
                    stack.append(inner)
        elif isinstance(item, float):
            return False
    return True


def _body(*, case_id: int, seq: int, at: datetime, kind: str, actor: str, role: str,
          trigger: str | None, source: str | None, dest: str | None, data: dict[str, Any],
          verdicts: tuple[Verdict, ...]) -> dict[str, Any]:
    return {"case": case_id, "seq": seq, "at": at.isoformat(timespec="microseconds"), "kind": kind,
            "actor": actor, "role": role, "trigger": trigger, "source": source, "dest": dest,
            "data": data, "verdicts": [v.as_dict() for v in verdicts]}


def event_hash(*, case_id: int, seq: int, at: datetime, kind: str, actor: str, role: str,
               trigger: str | None, source: str | None, dest: str | None, data: dict[str, Any],
               verdicts: tuple[Verdict, ...], prev_hash: str, canon: int = CANON) -> str:
    """sha256 over ``prev_hash`` and the canonical JSON (form ``canon``) of the event's fields."""
    body = _body(case_id=case_id, seq=seq, at=at, kind=kind, actor=actor, role=role, trigger=trigger,
                 source=source, dest=dest, data=data, verdicts=verdicts)
    text = canonical(body) if canon == 2 else _plain(body)
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def recompute(event: Event, canon: int = CANON) -> str:
    return event_hash(case_id=event.case_id, seq=event.seq, at=event.at, kind=event.kind,
                      actor=event.actor, role=event.role, trigger=event.trigger,
                      source=event.source, dest=event.dest, data=event.data,
                      verdicts=event.verdicts, prev_hash=event.prev_hash, canon=canon)


def hash_matches(event: Event) -> bool:
    """The event's content matches its hash under the canonical form, or the legacy plain one."""
    return recompute(event) == event.hash or recompute(event, 1) == event.hash
