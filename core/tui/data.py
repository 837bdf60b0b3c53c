"""The TUI's data layer: engine objects turned into rows, counters, steps, fields and timelines.

No Textual here. Every loader takes the engine and returns plain dataclasses, so the screens
only lay out what they are given, and tests can check the shapes without a terminal. The
engine owns every rule; this module only reads, formats and translates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from yishi.tui.i18n import tr

if TYPE_CHECKING:
    from yishi.definition.models import FormField, Workflow
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor, Case, CaseFilter

TABS = ("mine", "overdue", "open", "closed", "today")
GRID = "grid_escalation"
TIER_FIELD = "resolved_tier"
COMMUNITY_TIERS = 3  # tiers 1–3 (grid member, grid leader, secretary's clinic) are inside the community


# ---------------------------------------------------------------- text helpers
def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` terminal cells (CJK counts two), with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def sep(lang: str) -> str:
    return "、" if lang.startswith("zh") else ", "


def relative(due: datetime, now: datetime, lang: str) -> str:
    """``due`` relative to ``now`` as every screen shows it: "还差 6天23小时" / "6 d 23 h left",
    "逾期 3天2小时" / "3 d 2 h overdue" (the same countdown the rules give)."""
    from yishi.engine.reasons import span

    zh, en = span(abs(due - now))
    late = due <= now
    return tr("late" if late else "left", lang, span=zh if lang.startswith("zh") else en)


def local(moment: datetime | None, tz: Any, *, seconds: bool = False) -> str:
    """``moment`` (stored UTC) in the deployment's time zone, to the minute."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def display(value: Any, spec: FormField | None, lang: str, tz: Any = None) -> str:
    """A recorded value for people: choice labels, yes/no, item counts for lists, and
    date-times (stored UTC) in the time zone ``tz``."""
    if value is None or value == "" or value == []:
        return "—"
    if spec is not None and spec.type == "datetime" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return local(moment, tz or timezone(timedelta(hours=8)))
    if spec is not None and spec.choices:
        labels = {c.value: c.label.get(lang) for c in spec.choices}
        if isinstance(value, list):
            return sep(lang).join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return tr("yes" if value else "no", lang)
    if isinstance(value, list):
        if spec is not None and spec.fields:
            return tr("items_count", lang, n=len(value))
        return sep(lang).join(str(v) for v in value)
    if isinstance(value, dict):
        return sep(lang).join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def item_lines(items: list[Any], spec: FormField, lang: str, tz: Any = None) -> list[str]:
    """Each item of a list field as one line of its filled-in values ("王调解员 · 主持调解"),
    yes/no and choices in words."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append(str(item))
            continue
        parts = []
        for f in spec.fields or ():
            value = item.get(f.name)
            if value in (None, "", []):
                continue
            shown = display(value, f, lang, tz)
            parts.append(f"{f.label.get(lang)}{'：' if lang.startswith('zh') else ': '}{shown}"
                         if f.type == "boolean" else shown)
        out.append(" · ".join(parts) or "—")
    return out


# ---------------------------------------------------------------- who
def role_titles(engine: Engine, lang: str) -> dict[str, str]:
    """Every role named by a loaded workflow, with its title (the first workflow's wins)."""
    out: dict[str, str] = {}
    for loaded in engine.workflows():
        for name, role in loaded.workflow.roles.items():
            out.setdefault(name, role.title.get(lang))
    return out


def who_line(actor: Actor, titles: Mapping[str, str], lang: str) -> str:
    """"马书记 · 召集人、人民调解委员会、社区党组织书记" for the header (role titles without
    their parenthesised notes, so the line fits)."""
    name = actor.name or tr("nobody", lang)
    roles = sep(lang).join(_short(titles.get(r, r)) for r in sorted(actor.roles)) or tr("no_roles", lang)
    return f"{name} · {roles}"


def _short(title: str) -> str:
    import re

    return re.sub(r"\s*[（(][^）)]*[）)]", "", title).strip() or title


def month_start(now: datetime, tz: Any) -> datetime:
    """The first moment of ``now``'s month in the deployment's time zone, as UTC."""
    here = now.astimezone(tz)
    return here.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


# ---------------------------------------------------------------- the cases list
@dataclass(frozen=True)
class CaseRow:
    """One line of the cases table, already in the user's language."""

    id: int
    number: str
    subject: str
    procedure: str
    step: str
    tier: str
    who: str
    due: str
    overdue: bool
    closed: bool


@dataclass(frozen=True)
class CasesPage:
    rows: list[CaseRow]
    total: int
    offset: int
    limit: int

    @property
    def first(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)


def end_of_day(now: datetime, tz: Any) -> datetime:
    """The last moment of ``now``'s day where the deployment is, as UTC."""
    here = now.astimezone(tz) if tz is not None else now
    last = here.replace(hour=23, minute=59, second=59, microsecond=999999)
    return last.astimezone(timezone.utc)


def case_filter(tab: str, actor: Actor, now: datetime, search: str = "", *,
                limit: int | None = None, offset: int = 0, tz: Any = None) -> CaseFilter:
    """The engine filter behind one tab of the cases screen (plus the search box). "today":
    open cases due before the day ends (the overdue ones first, as everywhere)."""
    from yishi.engine.types import CaseFilter

    text = search.strip() or None
    if tab == "today":
        return CaseFilter(open=True, overdue_at=end_of_day(now, tz), search=text, limit=limit,
                          offset=offset)
    if tab == "mine":
        return CaseFilter(open=True, roles=tuple(sorted(actor.roles)), search=text, limit=limit,
                          offset=offset)
    if tab == "overdue":
        return CaseFilter(open=True, overdue_at=now, search=text, limit=limit, offset=offset)
    if tab == "closed":
        return CaseFilter(open=False, search=text, limit=limit, offset=offset)
    return CaseFilter(open=True, search=text, limit=limit, offset=offset)


def case_tier(case: Case) -> int | None:
    """The tier a grid event is at: the tier state it is handled in (``tier_3``), else the
    highest tier that recorded a resolution (its ``resolved_tier`` field); None for other cases."""
    if case.workflow_id != GRID:
        return None
    if case.state.startswith("tier_") and case.state[5:].isdigit():
        return int(case.state[5:])
    found = [v.get(TIER_FIELD) for v in case.data.values() if isinstance(v, dict)]
    tiers = [int(t) for t in found if isinstance(t, (int, float)) and not isinstance(t, bool)]
    return max(tiers) if tiers else None


def case_row(engine: Engine, case: Case, now: datetime, lang: str) -> CaseRow:
    wf = engine.definition_of(case)
    state = wf.states.get(case.state)
    who = sep(lang).join(_short(wf.roles[r].title.get(lang)) if r in wf.roles else r for r in case.act_roles)
    if not case.is_open:
        due, overdue = local(case.closed_at, engine.tz)[:10], False  # the column says 办结 on that tab
    elif case.due_at is not None:
        due, overdue = relative(case.due_at, now, lang), case.due_at <= now
    else:
        due, overdue = "—", False
    tier = case_tier(case)
    return CaseRow(id=case.id, number=f"#{case.id}", subject=case.subject,
                   procedure=wf.title.get(lang), step=state.title.get(lang) if state else case.state,
                   tier=tr("tier", lang, n=tier) if tier is not None else "", who=who or "—",
                   due=due, overdue=overdue, closed=not case.is_open)


def load_cases(engine: Engine, tab: str, actor: Actor, now: datetime, lang: str, *,
               search: str = "", offset: int = 0, limit: int = 50) -> CasesPage:
    """One page of a tab, most urgent first: ``limit`` rows from ``offset`` and the total count.

    Only the page is read from the database, so 100,000 cases open as fast as 100.
    """
    filt = case_filter(tab, actor, now, search, limit=limit, offset=offset, tz=engine.tz)
    total = engine.count(filt, actor=actor)  # only the cases of the actor's units
    if offset >= total and total:
        offset = max(0, (total - 1) // limit * limit)
        filt = case_filter(tab, actor, now, search, limit=limit, offset=offset, tz=engine.tz)
    rows = [case_row(engine, c, now, lang) for c in engine.cases(filt, actor=actor)]
    return CasesPage(rows=rows, total=total, offset=offset, limit=limit)


@dataclass(frozen=True)
class Counters:
    """The counters above the cases table.

    ``community`` is the share resolved within the community, defined as: of the grid events
    closed after the reporter's evaluation (state ``closed``), those whose resolution was
    recorded at tier 1–3 (grid member, grid leader, secretary's clinic) out of all of them;
    events dismissed or handed over to another procedure count in neither. None when there
    are none.
    """

    open: int
    overdue: int
    resolved_month: int
    community: tuple[int, int] | None
    failed_notes: int = 0  # notifications given up on (``yishi outbox list --failed``)
    today: int = 0  # due before today ends, not overdue yet

    def share(self) -> str:
        if not self.community or not self.community[1]:
            return "—"
        within, total = self.community
        return f"{round(100 * within / total)}%"


def load_counters(engine: Engine, now: datetime, actor: Actor | None = None) -> Counters:
    """Open, overdue, resolved since the start of this month, resolved within the community
    (of the actor's units, when given)."""
    from yishi.engine.types import CaseFilter

    scope = engine.scope(actor) if actor is not None else None
    open_ = engine.count(CaseFilter(open=True, units=scope))
    overdue = engine.count(CaseFilter(open=True, overdue_at=now, units=scope))
    today = engine.count(CaseFilter(open=True, overdue_at=end_of_day(now, engine.tz), units=scope)) - overdue
    month = engine.count(CaseFilter(open=False, closed_since=month_start(now, engine.tz), units=scope))
    community: tuple[int, int] | None = None
    if any(w.workflow.id == GRID for w in engine.workflows()):
        from yishi.stats.figures import community_share

        community = community_share(engine, GRID, scope)  # the month summary, not JSON
    from yishi.delivery import failed_count

    return Counters(open=open_, overdue=overdue, resolved_month=month, community=community,
                    failed_notes=failed_count(engine), today=today)


# ---------------------------------------------------------------- one case
@dataclass(frozen=True)
class FieldView:
    """One form field, with the value recorded so far."""

    name: str
    label: str
    type: str
    required: bool
    spec: FormField
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)
    help: str = ""
    items: tuple[FieldView, ...] = ()  # the fields of one item, for type list
    value: Any = None
    readonly: bool = False  # recorded by the procedure itself (a ``set`` action): shown, not typed
    shown: str = "—"  # the value for people (local times, choice labels)


@dataclass(frozen=True)
class ActionView:
    """One step the actor may take (or is refused, with the reasons).

    ``ready``: the step can be tried now: the rules pass, or the only thing missing is the
    step's own fields (a reason), which are asked for when it is chosen.
    """

    trigger: str
    title: str
    dest: str
    enabled: bool
    ready: bool
    reasons: tuple[str, ...]
    confirm: bool
    final: bool
    require_form: bool
    form: tuple[FieldView, ...]
    rules: tuple[str, ...] = ()  # the rule behind each reason (form, equals, quorum, ...)


@dataclass(frozen=True)
class StepView:
    title: str
    status: str  # done | current | ahead


@dataclass(frozen=True)
class EventView:
    seq: int
    when: str
    who: str
    role: str
    what: str
    move: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineView:
    due: str
    countdown: str
    what: str
    status: str
    pending: bool
    overdue: bool


@dataclass(frozen=True)
class LinkView:
    case_id: int
    text: str
    at: str


@dataclass(frozen=True)
class CaseView:
    """Everything the case screen shows, in the user's language."""

    id: int
    rev: int
    state: str
    state_title: str
    subject: str
    procedure: str
    is_open: bool
    head: str
    meta: str
    due: str
    overdue: bool
    steps: tuple[StepView, ...]
    form: tuple[FieldView, ...]
    actions: tuple[ActionView, ...]
    act_roles: str
    timeline: tuple[EventView, ...]
    deadlines: tuple[DeadlineView, ...]
    links: tuple[LinkView, ...]
    titles: Mapping[str, str] = field(default_factory=dict)  # state name → title
    case: Any = None  # the engine's Case as loaded: the steps are re-checked against it as the user types
    last_seq: int = 0  # the last event seen: what others did since is told after a conflict


def field_view(spec: FormField, lang: str, value: Any = None, tz: Any = None) -> FieldView:
    return FieldView(
        name=spec.name, label=spec.label.get(lang), type=spec.type, required=spec.required, spec=spec,
        choices=tuple((c.label.get(lang), c.value) for c in spec.choices or ()),
        help=spec.help.get(lang) if spec.help else "",
        items=tuple(field_view(f, lang) for f in spec.fields or ()), value=value,
        readonly=spec.readonly, shown=display(value, spec, lang, tz))


def main_path(wf: Workflow, state: str, seen: Iterable[str]) -> list[str]:
    """The states ahead of ``state`` along the procedure's main path: each step takes the first
    transition (in the file's order) to a state not yet passed, preferring the steps that need
    the current form filled in (going forward) over those that do not (reject, send back)."""
    passed = set(seen) | {state}
    path: list[str] = []
    current = state
    while not wf.states[current].final:
        moves = [t for t in wf.transitions_from(current) if t.dest not in passed]
        if not moves:
            break
        current = min(moves, key=lambda t: not t.require_form).dest  # stable: file order within
        path.append(current)
        passed.add(current)
    return path


def stepper(wf: Workflow, case: Case, visited: list[str], lang: str) -> list[StepView]:
    """Done, current and ahead steps: the states the case passed (loops cut back), then ahead."""
    path: list[str] = []
    for state in visited:
        if state in path:
            del path[path.index(state):]
        path.append(state)
    if not path or path[-1] != case.state:
        path.append(case.state)
    done = path[:-1]
    ahead = main_path(wf, case.state, path) if case.is_open else []
    title = lambda s: wf.states[s].title.get(lang) if s in wf.states else s
    return ([StepView(title(s), "done") for s in done]
            + [StepView(title(case.state), "done" if not case.is_open else "current")]
            + [StepView(title(s), "ahead") for s in ahead])


def _event_view(engine: Engine, wf: Workflow, ev: Any, lang: str) -> EventView:
    st = lambda s: wf.states[s].title.get(lang) if s in wf.states else (s or "")
    roles = {r: wf.roles[r].title.get(lang) for r in wf.roles}
    titles = {t.trigger: t.title.get(lang) for t in wf.transitions}
    data = dict(ev.data or {})
    if ev.kind == "start":
        what = tr("ev.start", lang)
        linked = data.pop("_linked_from", None)
        if isinstance(linked, dict):
            what += " · " + tr("ev.link_from", lang, id=linked.get("case"))
    elif ev.kind == "fire":
        what = tr("ev.fire", lang, title=titles.get(ev.trigger or "", ev.trigger or ""))
    elif ev.kind == "timer":
        what = tr("ev.timer", lang, title=titles.get(ev.trigger or "", ev.trigger or ""))
    elif ev.kind == "remind":
        who = sep(lang).join([roles.get(r, r) for r in data.get("remind", [])] + list(data.get("people", [])))
        what = tr("ev.remind", lang, who=who)
    elif ev.kind == "urge":
        who = sep(lang).join(roles.get(r, r) for r in data.pop("urged", []))
        what = tr("ev.urge", lang, who=who) + (f"：{data.pop('note')}" if data.get("note") else "")
        data.pop("note", None)
    elif ev.kind == "record":
        what = tr("ev.record", lang)
    elif ev.kind == "link":
        started = data.get("_started") or {}
        what = tr("ev.link_to", lang, id=started.get("case", "?") if isinstance(started, dict) else "?")
    else:
        what = ev.kind
    move = tr("ev.move", lang, src=st(ev.source), dest=st(ev.dest)) \
        if ev.source and ev.dest and ev.source != ev.dest else ""
    specs: dict[str, FormField] = {}
    if ev.source in wf.states:
        specs.update({f.name: f for f in wf.states[ev.source].form})
    if ev.dest in wf.states and ev.kind == "start":
        specs.update({f.name: f for f in wf.states[ev.dest].form})
    for t in wf.transitions:
        if t.trigger == ev.trigger:
            specs.update({f.name: f for f in t.form})
    colon = "：" if lang.startswith("zh") else ": "
    details = []
    for name, value in data.items():
        if name.startswith("_") or name in ("remind", "people", "item") or value in (None, "", []):
            continue
        spec = specs.get(name)
        label = spec.label.get(lang) if spec else name
        if spec is not None and spec.type == "list" and isinstance(value, list):
            details.append(f"{label}{colon}")  # each item on its own line: who, what, by when
            details.extend(f"  {n}. {line}" for n, line in enumerate(item_lines(value, spec, lang, engine.tz), 1))
            continue
        details.append(f"{label}{colon}{display(value, spec, lang, engine.tz)}")
    who = tr("system", lang) if ev.actor == "system" else ev.actor
    role = roles.get(ev.role, "") if ev.role and ev.role != "system" else ""
    return EventView(seq=ev.seq, when=local(ev.at, engine.tz), who=who, role=role, what=what,
                     move=move, details=tuple(details))


def _deadline_view(engine: Engine, wf: Workflow, timer: Any, now: datetime, lang: str) -> DeadlineView:
    roles = {r: wf.roles[r].title.get(lang) for r in wf.roles}
    if timer.kind == "fire":
        title = next((t.title.get(lang) for t in wf.transitions if t.trigger == timer.target), timer.target)
        what = tr("dl.fire", lang, title=title)
    else:
        who = [roles.get(r, r) for r in timer.target.split(",") if r] + list(timer.detail.get("people", []))
        what = tr("dl.remind", lang, who=sep(lang).join(who))
    if "item" in timer.detail:
        what += f" · {tr('dl.item', lang, n=int(timer.detail['item']) + 1)}"
    state = wf.states.get(timer.state)
    if state is not None:
        what = f"{state.title.get(lang)} · {what}"
    pending = timer.status == "pending"
    if pending:
        year = timer.due_at.astimezone(engine.tz).year
        if not engine.calendar.is_published(year):  # working days in that year are estimated
            what += " · " + tr("dl.estimated", lang, year=year)
    return DeadlineView(due=local(timer.due_at, engine.tz),
                        countdown=relative(timer.due_at, now, lang) if pending else "",
                        what=what, status=tr(f"dl.status.{timer.status}", lang), pending=pending,
                        overdue=pending and timer.due_at <= now)


def _recorded(case: Case, spec: FormField) -> Any:
    """The value the current step recorded. A read-only field (set by the procedure, maybe while
    leaving an earlier step) and a list carried forward (the action items a meeting agreed, now
    followed up) show the latest value recorded anywhere in the case, as the rules read them."""
    here = case.data.get(case.state, {})
    if spec.name in here or not (spec.readonly or spec.type == "list"):
        return here.get(spec.name)
    found = [v[spec.name] for v in case.data.values() if isinstance(v, dict) and spec.name in v]
    return found[-1] if found else None


def action_views(engine: Engine, case: Case, actor: Actor, lang: str,
                 typed: Mapping[str, Any] | None = None) -> tuple[ActionView, ...]:
    """The steps the actor may take from the case's current state, checked by the engine against
    the recorded data plus what is ``typed`` but not saved. Steps of other roles are left out:
    only the actor's own actions are offered."""
    from yishi.engine.reasons import automatic_triggers, waits_for_own_fields

    wf = engine.definition_of(case)
    automatic = automatic_triggers(wf)
    out = []
    for item in engine.available(case, actor, dict(typed) if typed else None):
        refusals = item.refusals
        if any(v.rule == "role" for v in refusals) or item.trigger in automatic:
            continue  # other roles' steps, and the steps timers take (system steps)
        dest = wf.states.get(item.dest)
        ready = waits_for_own_fields(wf, case, item, typed)
        out.append(ActionView(
            trigger=item.trigger, title=item.title.get(lang),
            dest=dest.title.get(lang) if dest else item.dest, enabled=item.enabled, ready=ready,
            reasons=tuple(v.reason(lang) for v in refusals), confirm=item.confirm,
            final=bool(dest and dest.final), require_form=item.require_form,
            form=tuple(field_view(f, lang, None, engine.tz) for f in item.form),
            rules=tuple(v.rule for v in refusals)))
    return tuple(out)


def load_case(engine: Engine, case_id: int, actor: Actor, now: datetime, lang: str,
              typed: Mapping[str, Any] | None = None) -> CaseView:
    """The case screen's view model; the steps are checked with ``typed`` (unsaved input) too.

    Raises ``NotFoundError`` or ``StorageError``.
    """
    from yishi.errors import YishiError

    case = engine.case(case_id, actor)
    wf = engine.definition_of(case)
    state = wf.states[case.state]
    events = engine.history(case_id)
    visited = [e.dest for e in events if e.dest and e.kind in ("start", "fire", "timer")]
    form = tuple(field_view(f, lang, _recorded(case, f), engine.tz) for f in state.form) if case.is_open else ()
    actions = action_views(engine, case, actor, lang, typed) if case.is_open else ()
    procedure = wf.title.get(lang)
    if case.is_open:
        meta = tr("case_meta", lang, procedure=procedure, step=state.title.get(lang), rev=case.rev)
        due = relative(case.due_at, now, lang) if case.due_at else ""
        overdue = case.due_at is not None and case.due_at <= now
    else:
        meta = tr("case_closed", lang, procedure=procedure, step=state.title.get(lang),
                  at=local(case.closed_at, engine.tz))
        due, overdue = "", False
    act_roles = sep(lang).join(wf.roles[r].title.get(lang) if r in wf.roles else r for r in case.act_roles)
    timers = engine.timers(case_id)
    links = []
    for link in engine.links(case_id):
        other_id = link.to_case if link.from_case == case_id else link.from_case
        try:
            other = engine.case(other_id)
            other_wf = engine.definition_of(other)
            subject, proc = other.subject, other_wf.title.get(lang)
        except YishiError:  # a linked case that cannot be read is shown by its number only
            subject, proc = "", ""
        key = "link_to" if link.from_case == case_id else "link_from"
        links.append(LinkView(case_id=other_id, text=tr(key, lang, id=other_id, subject=subject, procedure=proc),
                              at=tr("link_at", lang, at=local(link.at, engine.tz), actor=link.actor)))
    return CaseView(
        id=case.id, rev=case.rev, state=case.state, state_title=state.title.get(lang),
        subject=case.subject, procedure=procedure, is_open=case.is_open,
        head=tr("case_head", lang, id=case.id, subject=case.subject), meta=meta, due=due,
        overdue=overdue, steps=tuple(stepper(wf, case, visited, lang)), form=form,
        actions=tuple(actions), act_roles=act_roles,
        timeline=tuple(_event_view(engine, wf, e, lang) for e in reversed(events)),
        deadlines=tuple(_deadline_view(engine, wf, t, now, lang) for t in timers
                        if t.status != "cancelled"),
        links=tuple(links), titles={n: s.title.get(lang) for n, s in wf.states.items()}, case=case,
        last_seq=max((e.seq for e in events), default=0))


# ---------------------------------------------------------------- several people at once
@dataclass(frozen=True)
class Conflict:
    """What others did to a case since the user loaded it, and their values beside the user's."""

    changes: tuple[str, ...]  # "李委员（党组织书记）· 保存记录", "系统 · 到期自动：逾期自动上报"
    rows: tuple[tuple[str, str, str], ...]  # (field label, theirs, yours) where they differ
    state_title: str


def conflict(engine: Engine, case_id: int, since_seq: int, typed: Mapping[str, Any], lang: str) -> Conflict:
    """Who changed case ``case_id`` after event ``since_seq`` and how, in words (titles, not
    ids), and each field of the current step where their value and what ``typed`` differ."""
    case = engine.case(case_id)
    wf = engine.definition_of(case)
    changes = []
    for ev in engine.history(case_id):
        if ev.seq <= since_seq:
            continue
        view = _event_view(engine, wf, ev, lang)
        who = f"{view.who}（{view.role}）" if view.role and lang.startswith("zh") else \
            (f"{view.who} ({view.role})" if view.role else view.who)
        changes.append(" · ".join(x for x in (view.when, who, view.what, view.move) if x))
    rows = []
    state = wf.states[case.state]
    for spec in state.form:
        if spec.readonly or spec.name not in typed:
            continue
        theirs = _recorded(case, spec)
        mine = typed[spec.name]
        if mine in (None, "", []) or str(mine) == str(theirs if theirs is not None else ""):
            continue
        rows.append((spec.label.get(lang), display(theirs, spec, lang, engine.tz), display(mine, spec, lang, engine.tz)))
    return Conflict(changes=tuple(changes), rows=tuple(rows), state_title=state.title.get(lang))


# ---------------------------------------------------------------- forms
def check_field(spec: FormField, raw: Any, lang: str) -> str:
    """The engine's message for one typed value ('' when it fits), checked as the user leaves
    the field; params in bounds are left to the full check when the step is taken."""
    from yishi.engine.forms import coerce_form

    if raw in (None, "", []):
        return ""
    _clean, errors = coerce_form([spec], {spec.name: raw}, _no_params)
    if spec.name in errors:
        zh, en = errors[spec.name]
        return zh if lang.startswith("zh") else en
    return ""


def missing_required(fields: Iterable[FieldView], typed: Mapping[str, Any]) -> list[FieldView]:
    """The required fields with nothing typed (the engine's rule, asked before a case is started)."""
    from yishi.engine.forms import missing_required as missing

    fields = list(fields)
    names = {f.name for f in missing([f.spec for f in fields], {k: v for k, v in typed.items() if v != ""})}
    return [f for f in fields if f.name in names]


def _no_params(value: Any) -> Any:
    return None if isinstance(value, str) and value.startswith("$") else value


def submission(fields: Iterable[FieldView], typed: Mapping[str, Any]) -> dict[str, Any]:
    """What to send for a form: every typed value; a field cleared that had a value sends ''."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.readonly:
            continue
        if f.name in typed:
            value = typed[f.name]
            if value in (None, "", []) and f.value in (None, "", []):
                continue
            out[f.name] = value
    return out


def form_errors(errors: Mapping[str, tuple[str, str]], lang: str) -> dict[str, str]:
    """``FormError.errors`` in one language."""
    return {name: (zh if lang.startswith("zh") else en) for name, (zh, en) in errors.items()}


# ---------------------------------------------------------------- procedures
@dataclass(frozen=True)
class ProcedureView:
    id: str
    version: int
    title: str
    description: str
    may_start: bool
    start_form: tuple[FieldView, ...]


def procedures(engine: Engine, actor: Actor, lang: str) -> list[ProcedureView]:
    """The loaded workflows, each with whether the actor may start it and its first form."""
    out = []
    for loaded in engine.workflows():
        wf = loaded.workflow
        may = not wf.start_roles or bool(actor.roles & set(wf.start_roles))
        first = wf.states[wf.initial_state()]
        out.append(ProcedureView(id=wf.id, version=wf.version, title=wf.title.get(lang),
                                 description=wf.description.get(lang), may_start=may,
                                 start_form=tuple(field_view(f, lang) for f in first.form)))
    return out


def procedure_lines(engine: Engine, workflow_id: str, lang: str) -> list[tuple[str, str]]:
    """A workflow drawn as text: (kind, line) with kind in title, text, state, final, transition,
    timer, param, role; the screen styles each kind."""
    wf = engine.workflow(workflow_id).workflow
    st = lambda s: wf.states[s].title.get(lang) if s in wf.states else s
    roles = {r: wf.roles[r].title.get(lang) for r in wf.roles}
    out: list[tuple[str, str]] = [
        ("title", f"{wf.title.get(lang)}  ({wf.id}, {tr('proc_version', lang, v=wf.version)})"),
        ("text", wf.description.get(lang)), ("text", "")]
    if wf.roles:
        out.append(("heading", tr("proc_roles", lang)))
        for name, title in roles.items():
            out.append(("role", f"  {title}  ({name})"))
    if wf.params:
        out.append(("heading", tr("proc_params", lang)))
        for name, param in wf.params.items():
            out.append(("param", f"  ${name} = {param.default}  {param.title.get(lang)}"))
    out.append(("heading", tr("proc_states", lang)))
    initial = wf.initial_state()
    for name, state in wf.states.items():
        mark = "◆" if name == initial else ("■" if state.final else "●")
        tag = f" [{tr('proc_initial', lang)}]" if name == initial else \
            (f" [{tr('proc_final', lang)}]" if state.final else "")
        out.append(("final" if state.final else "state", f"{mark} {state.title.get(lang)}  ({name}){tag}"))
        for timer in state.timers:
            what = tr("proc_fire", lang, trigger=timer.fire) if timer.fire else \
                tr("proc_remind", lang, who=sep(lang).join(
                    [roles.get(r, r) for r in timer.remind or []] + list(timer.remind_people or [])))
            line = tr("proc_timers", lang, after=timer.after, what=what) if timer.after else \
                tr("proc_timer_at", lang, at=(f"{timer.each}[].{timer.at}" if timer.each else timer.at), what=what)
            out.append(("timer", f"  ⏱ {line}"))
        moves = wf.transitions_from(name)
        for i, t in enumerate(moves):
            branch = "└─" if i == len(moves) - 1 else "├─"
            by = tr("proc_by", lang, roles=sep(lang).join(roles.get(r, r) for r in t.roles)) if t.roles else ""
            guards = tr("proc_guards", lang, guards=", ".join(g.name for g in t.guards)) if t.guards else ""
            extra = "  ".join(x for x in (by, guards) if x)
            out.append(("transition", f"  {branch} {t.title.get(lang)} ─▶ {st(t.dest)}"
                        + (f"   {extra}" if extra else "")))
    return out
