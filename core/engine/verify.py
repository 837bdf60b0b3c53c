"""Verify the whole record: each case's hash chain, its row and timers replayed from its events,
the stored definitions against their sha256, corrupt rows, and (given one) the newest anchor.

Cases are read in batches of ``BATCH`` (rows column by column, so a corrupt row is reported and
the scan goes on); every finding names its case, the event it is at, what is wrong (zh, en) and
a ``code`` for machines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from yishi.definition.loader import text_hash
from yishi.engine.machine import Compiled
from yishi.engine.replay import compare, replay
from yishi.engine.types import Case, Corrupt, Event, TimerRow
from yishi.errors import NotFoundError, YishiError
from yishi.rules import GuardSpec

if TYPE_CHECKING:
    from yishi.engine.anchor import Anchor
    from yishi.storage import Tx

BATCH = 500


class Broken(NamedTuple):
    """One thing wrong with one case: at which event, what (en, zh), and a code naming the kind
    (``chain.content``, ``row.state``, ``timer.missing``, ``corrupt``, ``anchor.truncated``…)."""

    case_id: int
    seq: int
    what: str  # English
    what_zh: str = ""
    code: str = ""

    def reason(self, lang: str = "en") -> str:
        return self.what_zh if lang.startswith("zh") and self.what_zh else self.what


class AlteredDefinition(NamedTuple):
    sha256: str
    workflow_id: str
    version: int
    file: str


@dataclass
class VerifyReport:
    """What ``verify`` found: counts, every broken case's findings, altered stored definitions,
    and which anchor (if any) the record was checked against."""

    cases: int = 0
    events: int = 0
    broken: list[Broken] = field(default_factory=list)
    definitions: int = 0
    altered: list[AlteredDefinition] = field(default_factory=list)
    anchor: Anchor | None = None
    anchored: int = 0  # cases the anchor signed that were checked against it
    log_entries: int = 0  # the administration log (yishi.org), checked with the whole record
    log_broken: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, en, zh)
    unlocked: list[tuple[str, str, str]] = field(default_factory=list)  # open maintenance windows

    @property
    def ok(self) -> bool:
        return not self.broken and not self.altered and not self.log_broken

    @property
    def broken_cases(self) -> list[int]:
        return sorted({b.case_id for b in self.broken})


def _corrupt(c: Corrupt) -> Broken:
    what = {"cases": ("the case row", "案件记录"), "events": (f"event {c.key}", f"第 {c.key} 条记录"),
            "timers": (f"timer {c.key}", f"定时 {c.key}")}[c.table]
    return Broken(c.case_id, c.key if c.table == "events" else 0,
                  f"{what[0]} cannot be read: its {c.column} is corrupt ({c.error})",
                  f"{what[1]}无法读取：字段 {c.column} 已损坏（{c.error}）", "corrupt")


class _Definitions:
    """Compiled definitions by sha256: the plugins' files first, else the stored text (only if
    it still matches its sha256)."""

    def __init__(self, stored: list[tuple[str, str, int, str, str]],
                 compiled_for: Callable[[str, str | None, str], Compiled]) -> None:
        self.texts = {sha: (text, file) for sha, _wf, _v, text, file in stored}
        self.altered = {sha: AlteredDefinition(sha, wf, v, file)
                        for sha, wf, v, text, file in stored if text_hash(text) != sha}
        self.compiled_for = compiled_for
        self.found: dict[str, Compiled | tuple[str, str]] = {}
        self.for_unit: Callable[[Compiled, int | None], Compiled] | None = None

    def get(self, sha: str) -> Compiled | tuple[str, str]:
        """The Compiled, or (en, zh) of why there is none."""
        if sha not in self.found:
            text, file = self.texts.get(sha, (None, ""))
            try:
                self.found[sha] = self.compiled_for(sha, text, file)
            except YishiError as exc:
                self.found[sha] = (f"its definition cannot be loaded, so it cannot be replayed: {exc.message}",
                                   f"其流程定义无法加载，无法重放：{exc.message_zh or exc.message}")
        return self.found[sha]


def verify_record(tx: Tx, *, case_id: int | None, compiled_for: Callable[[str, str | None, str], Compiled],
                  guards: Mapping[str, GuardSpec], tz: tzinfo, anchor: Anchor | None = None,
                  calendar_for: Any = None,
                  batch: int = BATCH,
                  for_unit: Callable[[Compiled, int | None], Compiled] | None = None) -> VerifyReport:
    """Check every case (or ``case_id``) in ``tx``. ``compiled_for(sha256, stored_text, file)``
    returns the Compiled definition or raises a ``YishiError``.

    Raises ``NotFoundError`` when ``case_id`` names no case.
    """
    report = VerifyReport(anchor=anchor)
    report.unlocked = tx.maintenance_open()
    if case_id is None:
        _check_log(tx, report)
    stored = tx.definition_texts()
    report.definitions = len(stored)
    defs = _Definitions(stored, compiled_for)
    defs.for_unit = for_unit  # a case's unit may override params (yishi.org.params)
    report.altered = sorted(defs.altered.values())
    seen: set[int] = set()
    after = case_id - 1 if case_id is not None else 0
    while True:
        rows = tx.audit_cases(after, 1 if case_id is not None else batch)
        if case_id is not None and (not rows or _id(rows[0]) != case_id):
            raise NotFoundError(f"no case #{case_id}", message_zh=f"没有案件 #{case_id}")
        if not rows:
            break
        first, last = _id(rows[0]), _id(rows[-1])
        events: dict[int, list[Event | Corrupt]] = {}
        for ev in tx.audit_events(first, last):
            events.setdefault(ev.case_id, []).append(ev)
        timers: dict[int, list[TimerRow | Corrupt]] = {}
        for tm in tx.audit_timers(first, last):
            timers.setdefault(tm.case_id, []).append(tm)
        notified = tx.notified_up_to(first, last)
        for row in rows:
            cid = _id(row)
            seen.add(cid)
            report.cases += 1
            evs = events.get(cid, [])
            report.events += len(evs)
            report.broken.extend(_check_case(row, evs, timers.get(cid, []), defs, guards=guards, tz=tz,
                                             calendar_for=calendar_for))
            last_seq = max((e.key if isinstance(e, Corrupt) else e.seq for e in evs), default=0)
            if notified.get(cid, 0) > last_seq:
                report.broken.append(Broken(
                    cid, notified[cid],
                    f"a notification was made for event {notified[cid]}, but the record ends at event {last_seq}: "
                    "events were removed",
                    f"曾为第 {notified[cid]} 条记录发出通知，而记录止于第 {last_seq} 条：有记录被删除", "outbox.orphan"))
            if anchor is not None and cid in anchor.cases:
                report.anchored += 1
                report.broken.extend(_check_anchor(cid, evs, anchor, tz))
        after = last
        if case_id is not None:
            break
    if anchor is not None and case_id is None:
        for gone in sorted(set(anchor.cases) - seen):
            seq, _ = anchor.cases[gone]
            report.anchored += 1
            report.broken.append(Broken(gone, seq, f"the case is gone; the anchor of {anchor.label('en', tz)} signed its event {seq}",
                                        f"案件已不存在；{anchor.label('zh', tz)}的锚点签署过其第 {seq} 条记录",
                                        "anchor.gone"))
    return report


def _check_log(tx: Tx, report: VerifyReport) -> None:
    """The administration log's own hash chain (units, people, grants), if the store keeps one."""
    org = getattr(tx, "org", None)
    if org is None:
        return
    from yishi.org.chain import verify_log

    try:
        found = verify_log(org().log())
    except (ValueError, TypeError, KeyError) as exc:  # a row that cannot be read back
        report.log_broken.append((0, f"the administration log cannot be read: {exc}", f"管理日志无法读取：{exc}"))
        return
    report.log_entries = found.entries
    report.log_broken.extend(found.broken)


def _id(row: Case | Corrupt) -> int:
    return row.id if isinstance(row, Case) else row.case_id


def _check_case(row: Case | Corrupt, evs: list[Event | Corrupt], tms: list[TimerRow | Corrupt],
                defs: _Definitions, *, guards: Mapping[str, GuardSpec], tz: tzinfo,
                calendar_for: Any = None) -> list[Broken]:
    bad = [x for x in [row, *evs, *tms] if isinstance(x, Corrupt)]
    if isinstance(row, Corrupt) or any(isinstance(e, Corrupt) for e in evs):
        return [_corrupt(c) for c in bad]  # cannot replay past an unreadable row
    out = [_corrupt(c) for c in bad]
    cid = row.id
    altered = defs.altered.get(row.workflow_sha256)
    if altered is not None:
        out.append(Broken(cid, row.last_seq,
                          f"its stored definition ({altered.workflow_id} version {altered.version}) was altered: "
                          "the text no longer matches its sha256",
                          f"其保存的流程定义（{altered.workflow_id} 第 {altered.version} 版）已被改动，与 sha256 不符",
                          "definition"))
    found = defs.get(row.workflow_sha256)
    if not isinstance(found, Compiled):
        if altered is None:
            out.append(Broken(cid, row.last_seq, found[0], found[1], "definition"))
        return out
    if defs.for_unit is not None and row.unit_id is not None:
        found = defs.for_unit(found, row.unit_id)
    events = [e for e in evs if isinstance(e, Event)]
    replayed = replay(found, events, case_id=cid, sha256=row.workflow_sha256, definition=defs.get)
    out.extend(Broken(cid, f.seq, f.en, f.zh, f.code) for f in replayed.findings)
    if replayed.case is None:
        if not events:
            out.append(Broken(cid, 0, "the case has no events at all", "案件没有任何记录", "chain.missing"))
        return out
    stored = [t for t in tms if isinstance(t, TimerRow)]
    calendar = calendar_for(replayed.case) if calendar_for is not None else None  # working days: yishi.time
    findings = compare(found, row, replayed, stored, guards=guards, tz=tz, timers=len(stored) == len(tms),
                       calendar=calendar)
    out.extend(Broken(cid, f.seq, f.en, f.zh, f.code) for f in findings)
    return out


def _check_anchor(cid: int, evs: list[Event | Corrupt], anchor: Anchor, tz: tzinfo) -> list[Broken]:
    seq, digest = anchor.cases[cid]
    have = {e.seq: e for e in evs if isinstance(e, Event)}
    last = max(have, default=0)
    when_en, when_zh = anchor.label("en", tz), anchor.label("zh", tz)
    if seq not in have:
        if last < seq:
            return [Broken(cid, seq, f"its history ends at event {last}, but the anchor of {when_en} signed event {seq}: "
                                     "events were removed",
                           f"其记录止于第 {last} 条，而{when_zh}的锚点签署过第 {seq} 条：有记录被删除",
                           "anchor.truncated")]
        return [Broken(cid, seq, f"event {seq}, which the anchor of {when_en} signed, is missing",
                       f"{when_zh}的锚点签署过的第 {seq} 条记录缺失", "anchor.truncated")]
    if have[seq].hash != digest:
        return [Broken(cid, seq, f"event {seq} is not the one the anchor of {when_en} signed: the history was rewritten",
                       f"第 {seq} 条记录与{when_zh}的锚点所签署的不同：记录被改写", "anchor.rewritten")]
    return []
