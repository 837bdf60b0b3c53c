"""The fold: what a case must be, given its events and its definition.

The engine and ``verify`` share the functions that apply a step or a record to a case's form
data (``step_data``, ``record_data``) and that decide which planned timers are new
(``fresh_timers``), so the live engine and the replay cannot drift apart. ``replay`` folds a
case's events into the ``Case`` its row must equal; ``compare`` names every field that differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from yishi.definition.models import Workflow
from yishi.engine.chain import GENESIS, canonical, hash_matches
from yishi.engine.machine import Compiled
from yishi.engine.notes import NOTE_KINDS
from yishi.engine.stepdata import apply_step
from yishi.engine.timers import plan_timers
from yishi.engine.types import Case, Event, TimerRow
from yishi.rules import GuardSpec

RESERVED = ("_set", "_set_dest", "_timer", "_started", "_linked_from", "_unit", "_auth")  # engine keys in an event's data


# ---------------------------------------------------------------- shared with the engine
def step_data(wf: Workflow, data: dict[str, dict[str, Any]], source: str, dest: str,
              submitted: Mapping[str, Any], updates: Mapping[str, Any],
              entered: Mapping[str, Any] | None = None) -> tuple[dict[str, dict[str, Any]], bool]:
    """The case data after a step from ``source`` to ``dest``: the source state's own form fields
    among ``submitted``, then the actions' ``updates``, recorded under ``source``; entering
    ``dest`` again from another state starts its record afresh (``yishi.engine.stepdata``).
    Returns the new data and whether it changed."""
    fields = {f.name for f in wf.states[source].form}
    recorded = {k: v for k, v in submitted.items() if k in fields}
    new = apply_step(wf, data, source=source, dest=dest, recorded=recorded, updates=updates, entered=entered)
    return new, new != data


def record_data(data: dict[str, dict[str, Any]], state: str, clean: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The case data after recording ``clean`` (a draft of the current step's form) at ``state``.
    Keys beginning with ``_`` are the event's own (``_auth``: the grant that authorised it), not form data."""
    return {**data, state: {**data.get(state, {}), **{k: v for k, v in clean.items() if not k.startswith("_")}}}


def replans_on_record(wf: Workflow, state: str) -> bool:
    """Whether recording data at ``state`` re-plans its timers (some depend on the data)."""
    return any(t.at or t.when or t.from_ for t in wf.states[state].timers)


def timer_key(t: TimerRow) -> tuple[str, int, Any, datetime]:
    return (t.state, t.index, t.detail.get("item"), t.due_at)


def fresh_timers(planned: Iterable[TimerRow], existing: Iterable[TimerRow]) -> list[TimerRow]:
    """``planned`` without the timers that already went off (fired, skipped or refused): a step
    that re-plans a state's timers (a self-loop, a record) never repeats one."""
    done = {timer_key(t) for t in existing if t.status not in ("pending", "cancelled")}
    return [t for t in planned if timer_key(t) not in done]


# ---------------------------------------------------------------- findings
@dataclass(frozen=True)
class Finding:
    """One thing the record contradicts: at event ``seq``, ``code`` names the kind."""

    seq: int
    code: str
    en: str
    zh: str


@dataclass
class Replayed:
    """The case as its events make it, plus what the timer check needs."""

    case: Case | None
    findings: list[Finding] = field(default_factory=list)
    planned_at: datetime | None = None  # when the current state's timers were last planned
    planned_seq: int = 0  # by which event
    timer_events: dict[int, tuple[int, str]] = field(default_factory=dict)  # timer id -> (seq, due)
    chain_ok: bool = True


def _title(compiled: Compiled, kind: str, name: str | None, lang: str) -> str:
    found = compiled.title(kind, name)
    return f"“{found['zh']}”" if lang == "zh" and found else (f"'{found['en']}'" if found else f"'{name}'")


def show(value: Any, lang: str, tz: tzinfo | None = None) -> str:
    """A value as a person reads it: yes/no, (empty), a moment in local time, text cut to 40
    characters."""
    if value is None or value == "" or value == [] or value == {}:
        return "（空）" if lang == "zh" else "(empty)"
    if value is True:
        return "是" if lang == "zh" else "yes"
    if value is False:
        return "否" if lang == "zh" else "no"
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).strftime("%Y-%m-%d %H:%M")
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= 40 else text[:39] + "…"


# ---------------------------------------------------------------- the fold
def replay(compiled: Compiled, events: Sequence[Event], *, case_id: int, sha256: str,
           definition: Callable[[str], Any] | None = None) -> Replayed:
    """Fold ``events`` (one case's, by seq) into the case they make; stop at the first event that
    breaks the chain or that the definition does not allow, naming it. A case moved between
    versions (``migrate`` events, yishi.engine.migrate) is replayed under the definition in force
    at each event: ``definition(sha256)`` gives it."""
    migrations = [e for e in events if e.kind == "migrate" and isinstance(e.data.get("_from"), dict)]
    if migrations and definition is not None:
        first = definition(str(migrations[0].data["_from"].get("sha256")))
        if isinstance(first, Compiled):
            compiled, sha256 = first, str(migrations[0].data["_from"].get("sha256"))
    wf = compiled.workflow
    out = Replayed(case=None)
    case: Case | None = None
    seq, prev = 0, GENESIS

    def stop(ev: Event, code: str, en: str, zh: str) -> Replayed:
        out.findings.append(Finding(ev.seq, code, en, zh))
        out.case = None
        return out

    for ev in events:
        if ev.seq != seq + 1:
            out.chain_ok = False
            return stop(ev, "chain.missing", f"event {seq + 1} is missing (found {ev.seq})",
                        f"第 {seq + 1} 条记录缺失（见到的是第 {ev.seq} 条）")
        if ev.prev_hash != prev:
            out.chain_ok = False
            return stop(ev, "chain.link", "its prev_hash does not match the previous event's hash",
                        "其前序哈希与上一条记录不符")
        if not hash_matches(ev):
            out.chain_ok = False
            return stop(ev, "chain.content", "its content does not match its hash (changed after it was written)",
                        "内容与哈希不符（写入后被改动）")
        seq, prev = ev.seq, ev.hash
        if case is None:
            initial = wf.initial_state()
            if ev.kind != "start" or ev.source is not None or ev.dest != initial:
                return stop(ev, "event.start", f"the first event is not the start at {_title(compiled, 'state', initial, 'en')}",
                            f"第一条记录不是在{_title(compiled, 'state', initial, 'zh')}发起")
            clean = {k: v for k, v in ev.data.items() if k not in ("_linked_from", "_unit", "_auth")}
            subject = str(clean.get(wf.subject) or "") if wf.subject else ""
            case = Case(id=case_id, workflow_id=wf.id, workflow_version=wf.version, workflow_sha256=sha256,
                        state=initial, subject=subject or wf.title.zh,
                        data={initial: clean} if clean else {}, opened_at=ev.at, state_entered_at=ev.at,
                        updated_at=ev.at, opened_by=ev.actor, act_roles=compiled.actors(initial),
                        unit_id=ev.data.get("_unit"))
            out.planned_at, out.planned_seq = ev.at, ev.seq
        else:
            here = _title(compiled, "state", case.state, "en"), _title(compiled, "state", case.state, "zh")
            if ev.source != case.state:
                there = _title(compiled, "state", ev.source, "en"), _title(compiled, "state", ev.source, "zh")
                return stop(ev, "event.source",
                            f"it starts from {there[0]} but the previous event left the case at {here[0]}",
                            f"其起始阶段为{there[1]}，而上一条记录后案件处于{here[1]}")
            # links on closed cases: older engines allowed them; notes (a document issued,
            # evidence filed) may come after closing (yishi.engine.notes)
            if not case.is_open and ev.kind != "link" and ev.kind not in NOTE_KINDS:
                return stop(ev, "event.closed", "it was recorded after the case was closed",
                            "案件办结后仍有此记录")
            if ev.kind in ("fire", "timer"):
                problem = _check_step(compiled, case.state, ev)
                if problem:
                    return stop(ev, "event.step", *problem)
                submitted = {k: v for k, v in ev.data.items() if k not in RESERVED}
                case.data, _ = step_data(wf, case.data, case.state, ev.dest or "", submitted,
                                         ev.data.get("_set") or {}, ev.data.get("_set_dest") or {})
                final = wf.states[ev.dest or ""].final
                case.state = ev.dest or ""
                case.state_entered_at = case.updated_at = ev.at
                case.rev += 1
                case.act_roles = () if final else compiled.actors(case.state)
                case.closed_at = ev.at if final else None
                out.planned_at, out.planned_seq = ev.at, ev.seq
            elif ev.kind == "record":
                if ev.dest != case.state:
                    return stop(ev, "event.source", f"a record that moves the case away from {here[0]}",
                                f"填写记录却使案件离开了{here[1]}")
                case.data = record_data(case.data, case.state, ev.data)
                case.rev += 1
                case.updated_at = ev.at
                if replans_on_record(wf, case.state):
                    out.planned_at, out.planned_seq = ev.at, ev.seq
            elif ev.kind == "migrate" and definition is not None:
                to = ev.data.get("_to") or {}
                moved = definition(str(to.get("sha256")))
                if not isinstance(moved, Compiled) or ev.dest != to.get("state") or ev.dest not in moved.workflow.states:
                    return stop(ev, "event.migrate", "it moves the case to a definition or step that is not stored",
                                "迁移到的流程定义或阶段未保存")
                compiled, wf = moved, moved.workflow
                case.workflow_version, case.workflow_sha256 = int(to.get("version") or 0), str(to.get("sha256"))
                case.state = ev.dest or ""
                case.data = {k: dict(v) for k, v in (ev.data.get("_data") or {}).items()}
                case.rev += 1
                case.updated_at = ev.at
                case.act_roles = compiled.actors(case.state)
                out.planned_at, out.planned_seq = ev.at, ev.seq
            elif ev.kind in ("remind", "link", "urge", *NOTE_KINDS):  # urge: 催办, nothing of the case changes
                if ev.dest != case.state:
                    return stop(ev, "event.source", f"a {ev.kind} event that moves the case away from {here[0]}",
                                f"提醒或关联记录却使案件离开了{here[1]}")
            else:
                return stop(ev, "event.kind", f"unknown kind of event {ev.kind!r}", f"未知的记录类型 {ev.kind!r}")
        timer = ev.data.get("_timer")
        if isinstance(timer, dict) and isinstance(timer.get("id"), int):
            out.timer_events[timer["id"]] = (ev.seq, str(timer.get("due_at")))
        case.last_seq, case.last_hash = ev.seq, ev.hash
    out.case = case
    return out


def _check_step(compiled: Compiled, state: str, ev: Event) -> tuple[str, str] | None:
    wf = compiled.workflow
    candidates = [t for t in wf.transitions_from(state) if t.trigger == ev.trigger and t.dest == ev.dest]
    if not candidates or ev.dest not in wf.states:
        return (f"the definition has no step {ev.trigger!r} from {_title(compiled, 'state', state, 'en')} "
                f"to {_title(compiled, 'state', ev.dest, 'en')}",
                f"流程定义中没有从{_title(compiled, 'state', state, 'zh')}到"
                f"{_title(compiled, 'state', ev.dest, 'zh')}的步骤 {ev.trigger!r}")
    refused = [v for v in ev.verdicts if not v.ok]
    if refused:
        return (f"it was recorded although a rule refused it ({refused[0].rule}: {refused[0].reason_en})",
                f"规则不允许却仍被记录（{refused[0].rule}：{refused[0].reason_zh}）")
    if ev.kind == "fire" and not any(not t.roles or ev.role in t.roles for t in candidates):
        return (f"it was taken in the role {ev.role!r}, which may not take this step",
                f"以角色 {ev.role!r} 办理，而该角色不能办理此步骤")
    return None


# ---------------------------------------------------------------- row against replay
def expected_timers(compiled: Compiled, replayed: Replayed, stored: Sequence[TimerRow], *,
                    guards: Mapping[str, GuardSpec], tz: tzinfo,
                    calendar: Any = None) -> tuple[set[datetime | None], list[TimerRow]]:
    """The timers still pending from the current state's last planning, and the ``due_at`` the
    case may have: the earliest timer that planning made (without those that had gone off
    before it). A timer that went off with no event (skipped, refused) at the very moment of
    the planning may have done so before it or after: both answers are accepted."""
    case = replayed.case
    if case is None or not case.is_open or replayed.planned_at is None:
        return {None}, []
    at, planned_seq = replayed.planned_at, replayed.planned_seq
    planned = plan_timers(compiled, case, at, guards=guards, tz=tz, calendar=calendar)
    mine = [t for t in stored if t.state == case.state]
    dues = set()
    for ties in (False, True):
        def before(t: TimerRow) -> bool:  # went off before the planning event
            if t.id in replayed.timer_events:
                return replayed.timer_events[t.id][0] < planned_seq
            if t.finished_at is None:
                return False
            return t.finished_at < at or (ties and t.finished_at == at)

        made = fresh_timers(planned, [t for t in mine if before(t)])
        dues.add(min((t.due_at for t in made), default=None))
    return dues, fresh_timers(planned, mine)


def compare(compiled: Compiled, row: Case, replayed: Replayed, stored: Sequence[TimerRow], *,
            guards: Mapping[str, GuardSpec], tz: tzinfo, timers: bool = True,
            calendar: Any = None) -> list[Finding]:
    """Every way the stored row (and, with ``timers``, its timers) differ from what the events
    make them."""
    want = replayed.case
    if want is None:
        return []
    seq = row.last_seq
    out: list[Finding] = []

    def differ(code: str, en: str, zh: str) -> None:
        out.append(Finding(seq, code, en, zh))

    if (row.last_seq, row.last_hash) != (want.last_seq, want.last_hash):
        differ("row.last_event", f"the case says its last event is {row.last_seq}, the record ends at {want.last_seq}",
               f"案件记载最后一条记录为第 {row.last_seq} 条，实际记录止于第 {want.last_seq} 条")
    if row.state != want.state:
        differ("row.state", f"the case row is at {_title(compiled, 'state', row.state, 'en')}, "
                            f"its events leave it at {_title(compiled, 'state', want.state, 'en')}",
               f"案件记载处于{_title(compiled, 'state', row.state, 'zh')}，"
               f"按记录应处于{_title(compiled, 'state', want.state, 'zh')}")
    if row.is_open != want.is_open:
        if want.is_open:
            differ("row.closed", "the case row says it is closed, its events leave it open",
                   "案件记载已办结，按记录尚未办结")
        else:
            differ("row.reopened", "the case row says it is open, its events closed it "
                                   f"at {show(want.closed_at, 'en', tz)}",
                   f"案件记载未办结，按记录已于 {show(want.closed_at, 'zh', tz)} 办结")
    elif row.closed_at != want.closed_at:
        differ("row.closed_at", f"the case row says it closed at {show(row.closed_at, 'en', tz)}, "
                                f"its events at {show(want.closed_at, 'en', tz)}",
               f"案件记载办结时间为 {show(row.closed_at, 'zh', tz)}，按记录为 {show(want.closed_at, 'zh', tz)}")
    if row.rev != want.rev:
        differ("row.rev", f"the case row is at revision {row.rev}, its events make revision {want.rev}",
               f"案件记载为第 {row.rev} 版，按记录应为第 {want.rev} 版")
    for name, en, zh in (("opened_by", "opened by", "发起人"), ("opened_at", "opened at", "发起时间"),
                         ("subject", "subject", "事项"), ("state_entered_at", "step entered at", "进入本阶段时间"),
                         ("updated_at", "last changed at", "最后更新时间"),
                         ("workflow_id", "procedure", "流程"), ("workflow_version", "procedure version", "流程版本"),
                         ("unit_id", "organisation unit", "所属单位")):
        have, should = getattr(row, name), getattr(want, name)
        if have != should:
            differ(f"row.{name}", f"the case row's {en} is {show(have, 'en', tz)}, its events say {show(should, 'en', tz)}",
                   f"案件记载的{zh}为 {show(have, 'zh', tz)}，按记录应为 {show(should, 'zh', tz)}")
    if tuple(row.act_roles) != tuple(want.act_roles):
        differ("row.act_roles", f"the case row lets {', '.join(row.act_roles) or 'nobody'} act, "
                                f"its step lets {', '.join(want.act_roles) or 'nobody'}",
               f"案件记载可办理角色为 {'、'.join(row.act_roles) or '无'}，按流程应为 {'、'.join(want.act_roles) or '无'}")
    out.extend(Finding(seq, "row.data", en, zh) for en, zh in _data_diff(compiled, row.data, want.data))
    if timers:
        out.extend(Finding(seq, code, en, zh) for code, en, zh in
                   _timer_diff(compiled, row, replayed, stored, guards=guards, tz=tz,
                               calendar=calendar))
    return out


def _label(compiled: Compiled, state: str, name: str) -> tuple[str, str]:
    wf = compiled.workflow
    st = wf.states.get(state)
    found = next((f.label for f in st.form if f.name == name), None) if st else None
    if found is None:  # an action may set a field of a transition's form
        found = next((f.label for t in wf.transitions for f in t.form if f.name == name), None)
    return (found.en, found.zh) if found else (name, name)


def _data_diff(compiled: Compiled, have: Mapping[str, Any], want: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for state in sorted(set(have) | set(want)):
        a = have.get(state) if isinstance(have.get(state), dict) else {}
        b = want.get(state) if isinstance(want.get(state), dict) else {}
        for name in sorted(set(a) | set(b)):
            if canonical(a.get(name)) == canonical(b.get(name)):
                continue
            en, zh = _label(compiled, state, name)
            out.append((f"the form data of {_title(compiled, 'state', state, 'en')} differs from its events: "
                        f"'{en}' is {show(a.get(name), 'en')} in the case row, {show(b.get(name), 'en')} in the events",
                        f"{_title(compiled, 'state', state, 'zh')}的表单数据与记录不符："
                        f"“{zh}”案件记载为 {show(a.get(name), 'zh')}，记录为 {show(b.get(name), 'zh')}"))
    return out


def _timer_text(compiled: Compiled, t: TimerRow, lang: str, tz: tzinfo) -> str:
    if t.kind == "fire":
        what = (f"自动执行“{(compiled.title('trigger', t.target, t.state) or {}).get('zh', t.target)}”" if lang == "zh"
                else f"fire '{(compiled.title('trigger', t.target, t.state) or {}).get('en', t.target)}'")
    else:
        roles = [(compiled.title("role", r) or {}).get(lang[:2], r) for r in t.target.split(",") if r]
        what = f"提醒{'、'.join(roles)}" if lang == "zh" else f"remind {', '.join(roles)}"
    at = _title(compiled, "state", t.state, lang)
    return (f"{at}到期 {show(t.due_at, 'zh', tz)} 的{what}" if lang == "zh"
            else f"{what} at {at} due {show(t.due_at, 'en', tz)}")


def _timer_diff(compiled: Compiled, row: Case, replayed: Replayed, stored: Sequence[TimerRow], *,
                guards: Mapping[str, GuardSpec], tz: tzinfo, calendar: Any = None) -> list[tuple[str, str, str]]:
    out = []
    dues, expected = expected_timers(compiled, replayed, stored, guards=guards, tz=tz, calendar=calendar)

    def key(t: TimerRow) -> tuple[Any, ...]:
        return (*timer_key(t), t.kind, t.target, tuple(t.detail.get("people", [])))

    want = Counter(key(t) for t in expected)
    have = Counter(key(t) for t in stored if t.status == "pending")
    missing, extra = want - have, have - want
    for t in expected:
        if missing[key(t)] > 0:
            missing[key(t)] -= 1
            out.append(("timer.missing", f"a pending timer is missing: {_timer_text(compiled, t, 'en', tz)}",
                        f"缺少待触发的定时：{_timer_text(compiled, t, 'zh', tz)}"))
    for t in stored:
        if t.status == "pending" and extra[key(t)] > 0:
            extra[key(t)] -= 1
            out.append(("timer.extra", f"a pending timer the definition does not plan: {_timer_text(compiled, t, 'en', tz)}",
                        f"有流程定义未安排的待触发定时：{_timer_text(compiled, t, 'zh', tz)}"))
    if row.due_at not in dues:
        due = min(dues, key=lambda d: (d is None, d))
        out.append(("row.due_at", f"the case row is due {show(row.due_at, 'en', tz)}, its timers make it due {show(due, 'en', tz)}",
                    f"案件记载期限为 {show(row.due_at, 'zh', tz)}，按定时应为 {show(due, 'zh', tz)}"))
    for t in stored:
        if t.status == "fired" and t.id not in replayed.timer_events:
            out.append(("timer.unrecorded", f"a timer is marked fired but no event records it: {_timer_text(compiled, t, 'en', tz)}",
                        f"定时标记为已触发，却没有相应记录：{_timer_text(compiled, t, 'zh', tz)}"))
    ids = {t.id: t for t in stored}
    for timer_id, (seq, due_text) in replayed.timer_events.items():
        t = ids.get(timer_id)
        if t is None or t.status != "fired" or t.due_at.isoformat() != due_text:
            out.append(("timer.lost", f"event {seq} records a timer that is gone or no longer marked fired",
                        f"第 {seq} 条记录所触发的定时已不存在或未标记为已触发"))
    return out
