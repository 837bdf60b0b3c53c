"""The administration log's hash chain: each entry's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yishi.org.model import LogEntry

GENESIS = "0" * 64


def entry_hash(*, seq: int, at: datetime, kind: str, actor: str, data: dict[str, Any], prev_hash: str) -> str:
    body = json.dumps({"seq": seq, "at": at.isoformat(timespec="microseconds"), "kind": kind,
                       "actor": actor, "data": data},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass
class LogReport:
    entries: int = 0
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, en, zh)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify_log(entries: list[LogEntry]) -> LogReport:
    """Recompute the chain; report the first broken entry."""
    report = LogReport()
    seq, prev = 0, GENESIS
    for e in entries:
        report.entries += 1
        problem = None
        if e.seq != seq + 1:
            problem = (f"administration log entry {seq + 1} is missing (found {e.seq})",
                       f"管理记录第 {seq + 1} 条缺失（见到的是第 {e.seq} 条）")
        elif e.prev_hash != prev:
            problem = (f"administration log entry {e.seq}: its prev_hash does not match",
                       f"管理记录第 {e.seq} 条：前序哈希不符")
        elif entry_hash(seq=e.seq, at=e.at, kind=e.kind, actor=e.actor, data=e.data,
                        prev_hash=e.prev_hash) != e.hash:
            problem = (f"administration log entry {e.seq} was changed after it was written",
                       f"管理记录第 {e.seq} 条写入后被改动")
        if problem:
            report.broken.append((e.seq, *problem))
            break
        seq, prev = e.seq, e.hash
    return report
