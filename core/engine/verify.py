"""Recompute each case's hash chain and report the first broken link of each broken case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from yishi.engine.chain import GENESIS, recompute
from yishi.engine.types import Case, Event


class Broken(NamedTuple):
    """The first broken link of one case's chain: where, and what is wrong (zh, en)."""

    case_id: int
    seq: int
    what: str  # English
    what_zh: str = ""

    def reason(self, lang: str = "en") -> str:
        return self.what_zh if lang.startswith("zh") and self.what_zh else self.what


@dataclass
class VerifyReport:
    """The result of recomputing every case's hash chain."""

    cases: int = 0
    events: int = 0
    broken: list[Broken] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify_chains(cases: Iterable[Case], events: Iterable[Event]) -> VerifyReport:
    """Check ``events`` (ordered by case, then seq) against each other and against ``cases``."""
    report = VerifyReport()
    expect: dict[int, tuple[int, str]] = {}
    bad: set[int] = set()
    for event in events:
        report.events += 1
        if event.case_id in bad:
            continue
        seq, prev = expect.get(event.case_id, (0, GENESIS))
        problem: tuple[str, str] | None = None
        if event.seq != seq + 1:
            problem = (f"event {seq + 1} is missing (found {event.seq})",
                       f"第 {seq + 1} 条记录缺失（见到的是第 {event.seq} 条）")
        elif event.prev_hash != prev:
            problem = ("its prev_hash does not match the previous event's hash", "其前序哈希与上一条记录不符")
        elif recompute(event) != event.hash:
            problem = ("its content does not match its hash (changed after it was written)",
                       "内容与哈希不符（写入后被改动）")
        if problem:
            report.broken.append(Broken(event.case_id, event.seq, *problem))
            bad.add(event.case_id)
        expect[event.case_id] = (event.seq, event.hash)
    for case in cases:
        report.cases += 1
        if case.id in bad:
            continue
        seq, last = expect.get(case.id, (0, GENESIS))
        if (case.last_seq, case.last_hash) != (seq, last if seq else ""):
            report.broken.append(Broken(
                case.id, case.last_seq,
                f"the case says its last event is {case.last_seq}, the record ends at {seq}",
                f"案件记载最后一条记录为第 {case.last_seq} 条，实际记录止于第 {seq} 条"))
    return report
