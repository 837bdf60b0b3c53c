"""The engine: start cases, list what an actor may do, fire steps, tick timers, verify the record."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import TYPE_CHECKING, Any

import pluggy

from yishi.time.clock import Clock, as_utc
from yishi.time.calendar import calendar_for, calendar_from_config
from yishi.time.mode import clock_for, read_mode, tick_moment
from yishi.time.schedules import check_settings, run_schedules
from yishi.definition.loader import Loaded
from yishi.definition.models import Transition, Workflow
from yishi.engine.chain import GENESIS, event_hash
from yishi.engine.constraints import check_form
from yishi.engine.forms import coerce_form, labels_of, missing_required
from yishi.engine.library import Library, collect_registry
from yishi.engine.machine import Compiled, Decision
from yishi.engine.reasons import merge
from yishi.engine.replay import fresh_timers, record_data, replans_on_record, step_data
from yishi.engine.stepdata import earlier_records
from yishi.engine.timers import plan_timers
from yishi.engine.authority import (
    address, authorise, case_unit, in_scope, role_verdict, sees, start_unit, visible_units, with_grant,
)
from yishi.engine.verify import Broken, VerifyReport, verify_record  # noqa: F401 - Broken re-exported
from yishi.engine.types import (
    SYSTEM, Actor, Available, Case, CaseFilter, Event, FireResult, Link, Notification, TimerRow,
    Verdict,
)
from yishi.errors import (
    ConflictError, FormError, NotFoundError, Problem, RefusedError, StorageError,
)
from yishi.plugin_manager import make_manager
from yishi.rules import ActionContext, RuleContext, run_action, run_guard
from yishi.stats import track
from yishi.org.params import for_unit  # on every step: imported once, not in the function

if TYPE_CHECKING:
    from yishi.org import Org
    from yishi.engine.anchor import Anchor
    from yishi.storage import Store, Tx


def default_url() -> str:
    """``YISHI_DB`` if set, else a SQLite file in the user data directory."""
    url = os.environ.get("YISHI_DB")
    if url:
        return url
    from platformdirs import user_data_path

    path = user_data_path("yishi", appauthor=False, ensure_exists=True) / "yishi.db"
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class TickResult:
    """What one due timer did: reminded, fired its trigger, or was refused by a rule."""

    timer: TimerRow
    outcome: str  # reminded | fired | refused | skipped | failed (stays pending: tried again)
    event: Event | None = None
    reason: str = ""  # English; reason_zh in Chinese
    reason_zh: str = ""


class Engine:
    """Runs cases of the loaded workflows on one store.

    Open one with ``Engine.open(url)``; close it with ``close()`` (or use ``with``).
    Every public method that changes a case is one transaction.
    """

    def __init__(self, store: Store, pm: pluggy.PluginManager, *, clock: Clock | None = None,
                 params: Mapping[str, Mapping[str, Any]] | None = None, tz: str | None = None,
                 calendar: Mapping[str, Any] | None = None,
                 schedules: Mapping[str, Any] | None = None) -> None:
        self.store = store
        self.tz = ZoneInfo(tz or os.environ.get("YISHI_TZ") or "Asia/Shanghai")
        self.calendar_settings = dict(calendar or {})  # the deployment's [calendar]: yishi.time.calendar
        self.calendar = calendar_from_config(self.calendar_settings, self.tz)
        self.schedule_settings = check_settings(schedules)  # the deployment's [schedules]
        self.pm = pm
        self._clock_injected = clock is not None
        self._mode = read_mode(store)  # real | simulation | sandbox: see yishi.time.mode
        self.clock: Clock = clock_for(self._mode, store, clock)
        self.registry = collect_registry(pm)
        self.library = Library(pm, self.registry, params)
        self._stored: set[str] = set()
        pm.hook.yishi_engine_opened(engine=self)

    @classmethod
    def open(cls, url: str | None = None, *, plugins: Iterable[Any] = (), clock: Clock | None = None,
             params: Mapping[str, Mapping[str, Any]] | None = None,
             entry_points: bool = True, tz: str | None = None,
             calendar: Mapping[str, Any] | None = None,
             schedules: Mapping[str, Any] | None = None) -> Engine:
        """Open an engine on ``url`` (default: ``default_url()``) with the built-in, installed
        and given ``plugins``. ``params`` overrides workflow params by workflow id; ``tz`` (default
        ``$YISHI_TZ``, else Asia/Shanghai) is the local time zone that date fields are read in.

        Raises ``StorageError`` when no plugin serves the URL or the database is unavailable.
        """
        pm = make_manager(plugins, entry_points=entry_points)
        url = url or default_url()
        store = pm.hook.yishi_storage(url=url)
        if store is None:
            raise StorageError(f"no storage plugin serves {url!r}; use sqlite:///path or postgresql+psycopg://…",
                               message_zh=f"没有存储插件支持 {url!r}")
        return cls(store, pm, clock=clock, params=params, tz=tz, calendar=calendar, schedules=schedules)

    @classmethod
    def open_configured(cls, url: str | None = None, **kwargs: Any) -> Engine:
        """``open`` with the deployment's settings from the config file: its ``db`` (when ``url``
        and ``$YISHI_DB`` are not given), ``[params]`` overrides and ``tz``. The CLI, the TUI
        and the worker open engines this way.

        Raises ``ConfigError`` for a broken config file, and what ``open`` raises.
        """
        from yishi.config import load_config

        cfg = load_config()
        kwargs.setdefault("params", cfg.params or None)
        kwargs.setdefault("tz", cfg.tz)
        kwargs.setdefault("calendar", cfg.calendar or None)
        kwargs.setdefault("schedules", cfg.schedules or None)
        return cls.open(url or os.environ.get("YISHI_DB") or cfg.db, **kwargs)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        return as_utc(self.clock.now())

    @property
    def org(self) -> Org:
        """The organisation: units, people, grants and the administration log."""
        from yishi.org import Org
        return Org(self)

    # ------------------------------------------------------------ time (yishi.time.mode)
    @property
    def mode(self) -> str:
        """``real``, ``simulation`` or ``sandbox`` (no mode stored)."""
        return self._mode

    def set_mode(self, mode: str, *, now: datetime | None = None) -> None:
        """Make the database ``real`` or a ``simulation`` whose clock starts at ``now``."""
        from yishi.time.mode import set_mode

        set_mode(self, mode, now=now)

    def advance(self, to: datetime) -> list[TickResult]:
        """Move a simulation's clock to ``to``, firing due timers in order, each at its due time."""
        from yishi.time.mode import advance

        return advance(self, to)

    def advance_by(self, delta: Any) -> list[TickResult]:
        """``advance`` by a ``timedelta`` or a duration text (``7d``, ``1mo``, ``3wd``)."""
        from yishi.time.mode import advance_by

        return advance_by(self, delta)

    def calendar_for(self, case: Case | None = None) -> Any:
        """The working calendar a case's periods count on: the deployment's, with the overrides
        of the case's organisation unit and the units above it."""
        return calendar_for(self, case)

    def group(self) -> Any:
        """``with engine.group():`` every step, start and tick inside the block (on this thread)
        is a savepoint of one database transaction, committed when the block ends: a simulation
        of many cases commits once instead of once a step. A step that fails is still undone
        alone; what is given up is durability (a crash loses the whole block), other
        connections wait for the block, and ``yishi_event_committed`` hears of each step when
        its savepoint is released. Raises ``RefusedError`` on a real database."""
        from yishi.org.mode import mode_of

        if mode_of(self) == "real":
            raise RefusedError("a real database commits every step: group() is for simulations and tests",
                               message_zh="正式数据库的每一步都须立即提交；成组提交仅用于模拟和测试")
        return self.store.group()

    def advance_to_next(self) -> list[TickResult]:
        """``advance`` to the next pending deadline (nothing when none is pending)."""
        from yishi.time.mode import advance_to_next

        return advance_to_next(self)

    # ------------------------------------------------------------ workflows
    def workflows(self) -> list[Loaded]:
        """The newest version of every workflow the plugins contribute."""
        return self.library.latest()

    def workflow(self, workflow_id: str, version: int | None = None) -> Loaded:
        """One workflow by id. Raises ``NotFoundError``."""
        return self.library.get(workflow_id, version)

    @property
    def workflow_problems(self) -> list[Problem]:
        self.library.latest()
        return list(self.library.problems)

    def definition_of(self, case: Case) -> Workflow:
        """The definition a case is pinned to."""
        return self._compiled(case).workflow

    # ------------------------------------------------------------ reading
    def case(self, case_id: int, actor: Actor | None = None) -> Case:
        """The case ``case_id`` (as ``actor`` may see it: outside their units it is not found).
        Raises ``NotFoundError``."""
        with self.store.read() as tx:
            return self._get(tx, case_id, actor=actor)

    def cases(self, filt: CaseFilter | None = None, actor: Actor | None = None) -> list[Case]:
        """Cases matching ``filt`` (and, given ``actor``, in their units), most urgent first."""
        with self.store.read() as tx:
            return tx.cases(in_scope(self, tx, filt or CaseFilter(), actor))

    def count(self, filt: CaseFilter | None = None, actor: Actor | None = None) -> int:
        with self.store.read() as tx:
            return tx.count_cases(in_scope(self, tx, filt or CaseFilter(), actor))

    def scope(self, actor: Actor) -> tuple[int, ...] | None:
        """The units whose cases ``actor`` may see now (None: no limit)."""
        with self.store.read() as tx:
            return visible_units(self, tx, actor, self.now())

    def acting(self, actor: Actor) -> Actor:
        """``actor`` with every role they hold now, anywhere (a header's "who am I")."""
        with self.store.read() as tx:
            return authorise(self, tx, actor, None, self.now())

    def count_by(self, filt: CaseFilter, field: str) -> dict[Any, int]:
        """How many cases matching ``filt`` (which names a ``workflow_id``) recorded each value of
        the form field ``field``, and under None those that did not. A case that recorded it in
        several states counts under the highest value (e.g. the tier a grid event was resolved
        at: tiers only rise). Values come back as int where they are whole numbers.

        Raises ``NotFoundError`` when the workflow is unknown.
        """
        wf = self.library.get(filt.workflow_id or "").workflow
        paths = [(name, field) for name, state in wf.states.items() if any(f.name == field for f in state.form)]
        out: dict[Any, int] = {}
        with self.store.read() as tx:
            rows = tx.count_values(filt, paths) if paths else [((), tx.count_cases(filt))]
        for values, n in rows:
            found = [_number_or_text(v) for v in values if v is not None]
            key = (max(found) if all(isinstance(v, int) for v in found) else found[-1]) if found else None
            out[key] = out.get(key, 0) + n
        return out

    def history(self, case_id: int, actor: Actor | None = None) -> list[Event]:
        """Every event of the case, oldest first. Raises ``NotFoundError``."""
        with self.store.read() as tx:
            self._get(tx, case_id, actor=actor)
            return list(tx.events(case_id))

    def earlier_records(self, case_id: int, state: str) -> list[dict[str, Any]]:
        """The records ``state`` had before the case entered it afresh, oldest first: to show
        as a reference or copy in on purpose. Raises ``NotFoundError``."""
        with self.store.read() as tx:
            case = self._get(tx, case_id)
            events = list(tx.events(case_id))
        return earlier_records(self.definition_of(case), events, state)

    def timers(self, case_id: int) -> list[TimerRow]:
        with self.store.read() as tx:
            return tx.timers(case_id)

    def notifications(self, *, case_id: int | None = None, status: str | None = None) -> list[Notification]:
        with self.store.read() as tx:
            return tx.notifications(case_id=case_id, status=status)

    def next_due(self) -> datetime | None:
        """When the next pending timer of any case is due."""
        with self.store.read() as tx:
            return tx.next_due()

    # ------------------------------------------------------------ deciding
    def available(self, case: Case | int, actor: Actor,
                  data: Mapping[str, Any] | None = None) -> list[Available]:
        """Every trigger from the case's current state: enabled or not, with every rule's verdict.

        ``data`` is what the user has typed into the current step's form but not saved: the
        rules see it as ``fire`` would (values that do not fit the form are left out), so a
        front end can say "needs 2/3 present: 12 of 20" while the attendance is being typed.
        """
        if isinstance(case, int):
            case = self.case(case)
        if not case.is_open:
            return []
        compiled = self._compiled(case)
        now = self.now()
        with self.store.read() as tx:
            actor = authorise(self, tx, actor, case.unit_id, now, case=case)
        submitted: dict[str, Any] = {}
        if data:
            wf = compiled.workflow
            form = list(wf.states[case.state].form) + [f for t in wf.transitions_from(case.state) for f in t.form]
            names = {f.name for f in form}
            submitted, _errors = coerce_form(form, {k: v for k, v in data.items() if k in names},
                                             _resolver(compiled.params))
        wf = compiled.workflow
        bad = self._constraints(compiled, case, list(wf.states[case.state].form),
                                {**case.data.get(case.state, {}), **submitted}, now)
        untrue = [Verdict("constraint", False, zh, en) for zh, en in bad.values()]
        groups: dict[str, list[tuple[Transition, list[Verdict]]]] = {}
        for t in compiled.workflow.transitions_from(case.state):
            verdicts = self._evaluate(compiled, case, t, actor, submitted, now, check_required=True)
            verdicts += untrue if t.require_form else []
            groups.setdefault(t.trigger, []).append((t, verdicts))
        out = []
        for trigger, options in groups.items():
            # several transitions may share a trigger (e.g. either of two quorums): the first
            # that passes is the one ``fire`` takes; if none passes, every refusal is shown
            passing = [(t, vs) for t, vs in options if all(v.ok for v in vs)]
            t, verdicts = passing[0] if passing else (options[0][0], merge([v for _, vs in options for v in vs]))
            out.append(Available(trigger=trigger, title=t.title, dest=t.dest, enabled=bool(passing),
                                 verdicts=tuple(verdicts),
                                 confirm=t.confirm or compiled.workflow.states[t.dest].final,
                                 form=tuple(t.form), require_form=t.require_form))
        return out

    def _evaluate(self, compiled: Compiled, case: Case, t: Transition, actor: Actor,
                  submitted: Mapping[str, Any], now: datetime, *, check_required: bool) -> list[Verdict]:
        wf = compiled.workflow
        verdicts: list[Verdict] = []
        if actor is not SYSTEM and t.roles and not (actor.roles & set(t.roles)):
            verdicts.append(role_verdict(wf, t.roles, actor))
        if check_required:
            values = {**case.data.get(case.state, {}), **submitted}
            missing = missing_required(wf.states[case.state].form, values) if t.require_form else []
            missing += missing_required(t.form, submitted)
            if missing:
                verdicts.append(Verdict("form", False,
                                        "尚未填写必填项：" + "、".join(f.label.zh for f in missing),
                                        "required fields not filled in: " + ", ".join(f.label.en for f in missing)))
        if t.guards:
            ctx = RuleContext(workflow=wf, case=case, submitted=submitted, actor=actor, now=now,
                              params=compiled.params, calendar=self.calendar_for(case))
            for call in t.guards:
                verdicts.append(run_guard(self.registry.guards[call.name], ctx, call.args))
        return verdicts

    # ------------------------------------------------------------ acting
    def start(self, workflow_id: str, actor: Actor, data: Mapping[str, Any] | None = None, *,
              version: int | None = None, link_from: int | None = None,
              link_kind: str = "handover", unit: Any = None) -> Case:
        """Open a new case of ``workflow_id`` with the first step's ``data``.

        ``link_from`` names a case this one continues (a hand-over): the link is recorded on
        both cases in the same transaction. ``unit`` is the organisation unit the case belongs
        to (a ``yishi.org.Unit``, its id or its name); a hand-over keeps its source's unit.

        Raises ``NotFoundError`` (no such workflow or linked case), ``RefusedError`` (the
        actor's roles may not start it; the linked case is closed, or none of the actor's roles
        may act on it now) or ``FormError`` (the data does not fit the first form).
        """
        now = self.now()
        with self.store.write() as tx:
            source = self._get(tx, link_from, for_update=True) if link_from is not None else None
            unit_id = case_unit(tx, unit, source)
            if source is not None:
                self._may_link(source, actor)
            case, event, notes = self._open_case(tx, workflow_id, version, actor, data or {}, now,
                                                 linked_from=source, link_kind=link_kind, unit_id=unit_id)
            extra: FireResult | None = None
            if source is not None:
                extra = self._note_link(tx, source, case, actor, now, link_kind)
        self._stored.add(case.workflow_sha256)
        self.pm.hook.yishi_event_committed(engine=self, case=case, event=event, notifications=notes)
        if extra is not None:
            self._committed(extra)
        return case

    def links(self, case_id: int) -> list[Link]:
        """The cases this one started or was started from, oldest first."""
        with self.store.read() as tx:
            return tx.links(case_id)

    def _open_case(self, tx: Tx, workflow_id: str, version: int | None, actor: Actor,
                   data: Mapping[str, Any], now: datetime, *, linked_from: Case | None = None,
                   link_kind: str = "handover", unit_id: int | None = None) -> tuple[Case, Event, list[Notification]]:
        loaded = self.library.get(workflow_id, version)
        compiled = self.library.compiled(loaded)
        wf = compiled.workflow
        if unit_id is None and linked_from is None:
            unit_id = start_unit(self, tx, actor, wf, unit_id, now)
        compiled = for_unit(self, compiled, unit_id if unit_id is not None else
                            (linked_from.unit_id if linked_from else None))
        actor = authorise(self, tx, actor, unit_id if unit_id is not None else
                          (linked_from.unit_id if linked_from else None), now)
        if wf.start_roles and actor is not SYSTEM and not (actor.roles & set(wf.start_roles)):
            verdict = role_verdict(wf, list(wf.start_roles), actor, start=True)
            raise RefusedError(verdict.reason_en, message_zh=verdict.reason_zh, verdicts=[verdict])
        initial = wf.initial_state()
        clean, errors = coerce_form(wf.states[initial].form, data, _resolver(compiled.params))
        draft = Case(id=0, workflow_id=wf.id, workflow_version=wf.version, workflow_sha256=loaded.sha256,
                     state=initial, subject="", data={}, opened_at=now, state_entered_at=now, updated_at=now)
        errors = errors or self._constraints(compiled, draft, list(wf.states[initial].form), clean, now)
        if errors:
            raise FormError(errors, labels=labels_of(wf.states[initial].form))
        subject = str(clean.get(wf.subject) or "") if wf.subject else ""
        case = Case(id=0, workflow_id=wf.id, workflow_version=wf.version,
                    workflow_sha256=loaded.sha256, state=initial, subject=subject or wf.title.zh,
                    data={initial: clean} if clean else {}, opened_at=now, state_entered_at=now,
                    updated_at=now, opened_by=actor.name,
                    act_roles=compiled.actors(initial),
                    unit_id=unit_id if unit_id is not None else (linked_from.unit_id if linked_from else None))
        track.started(wf, case)
        if loaded.sha256 not in self._stored:
            tx.put_definition(sha256=loaded.sha256, workflow_id=wf.id, version=wf.version,
                              text=loaded.text, file=loaded.file, at=now)
        timers = self._timers_for(compiled, case, now)
        case.due_at = min((t.due_at for t in timers), default=None)
        case.id = tx.insert_case(case)
        tx.set_actors(case.id, case.act_roles)
        tx.add_month_figures(track.received_row(case, self.tz))
        event_data = dict(clean)
        if case.unit_id is not None:
            event_data["_unit"] = case.unit_id
        if linked_from is not None:
            event_data["_linked_from"] = {"case": linked_from.id, "kind": link_kind,
                                          "workflow": linked_from.workflow_id}
            tx.add_link(Link(from_case=linked_from.id, to_case=case.id, kind=link_kind, at=now,
                             actor=actor.name))
        event = self._append(tx, case, now=now, kind="start", actor=actor, trigger=None,
                             source=None, dest=initial, data=event_data, verdicts=(),
                             allowed=list(wf.start_roles or wf.roles))
        tx.add_timers([replace(t, case_id=case.id) for t in timers])
        notes = self._notify(tx, compiled, case, event, "start", [
            {"kind": "start", "recipients": {"roles": list(compiled.actors(initial)), "people": []}}])
        tx.update_step(case, expected_rev=case.rev, data_changed=False)  # the new head, not the data
        return case, event, notes

    def _note_link(self, tx: Tx, source: Case, new: Case, actor: Actor, now: datetime,
                   kind: str) -> FireResult:
        """Record on ``source`` (without changing its state or rev) that it started ``new``."""
        event = self._append(tx, source, now=now, kind="link", actor=actor, trigger=None,
                             source=source.state, dest=source.state,
                             data={"_started": {"case": new.id, "kind": kind, "workflow": new.workflow_id}},
                             verdicts=())
        tx.update_step(source, expected_rev=source.rev, data_changed=False)  # the new head, not the data
        return FireResult(case=source, event=event)

    def fire(self, case_id: int, trigger: str, actor: Actor, data: Mapping[str, Any] | None = None,
             *, expected_rev: int | None = None) -> FireResult:
        """Take the step ``trigger`` on case ``case_id`` as ``actor``, submitting ``data``.

        ``data`` fills the current step's form (and the transition's own fields, e.g. a reason).
        Pass ``expected_rev`` (the ``rev`` the user saw) to refuse the step if the case changed.

        Raises ``NotFoundError``, ``ConflictError`` (the case changed meanwhile),
        ``FormError`` (data does not fit the form), ``RefusedError`` (a role, form or guard
        rule refused; ``verdicts`` say which and why). Nothing is written unless it succeeds.
        """
        with self.store.write() as tx:
            case = self._get(tx, case_id, for_update=True)
            if expected_rev is not None and case.rev != expected_rev:
                raise ConflictError(
                    f"case #{case_id} changed meanwhile (you saw revision {expected_rev}, it is now "
                    f"{case.rev}, at step {case.state!r}); nothing was saved — reload it and try again",
                    message_zh=f"案件 #{case_id} 已被他人更新（你看到的是第 {expected_rev} 版，现在是第 "
                               f"{case.rev} 版，处于“{case.state}”）；本次未保存，请刷新后重试")
            now = self.now()
            actor = authorise(self, tx, actor, case.unit_id, now, case=case)
            result = self._step(tx, case, trigger, actor, data or {}, now, kind="fire")
        self._committed(result)
        return result

    def record(self, case_id: int, actor: Actor, data: Mapping[str, Any], *,
               expected_rev: int | None = None) -> Case:
        """Save part of the current step's form without taking a step (a draft that others see).

        Raises like ``fire``; the actor must hold a role that may take a step from this state.
        """
        with self.store.write() as tx:
            case = self._get(tx, case_id, for_update=True)
            if expected_rev is not None and case.rev != expected_rev:
                raise ConflictError(f"case #{case_id} changed meanwhile; nothing was saved — reload it and try again",
                                    message_zh=f"案件 #{case_id} 已被他人更新；本次未保存，请刷新后重试")
            self._require_open(case)
            compiled = self._compiled(case)
            wf = compiled.workflow
            roles = {r for t in wf.transitions_from(case.state) for r in t.roles}
            actor = authorise(self, tx, actor, case.unit_id, self.now(), case=case)
            if roles and not (actor.roles & roles):
                verdict = (role_verdict(wf, sorted(roles), actor) if actor.person_id is not None else
                           Verdict("role", False, "你的角色不能在此步骤填写记录",
                                   "your roles may not record anything at this step"))
                raise RefusedError(verdict.reason_en, message_zh=verdict.reason_zh, verdicts=[verdict])
            clean, errors = coerce_form(wf.states[case.state].form, data, _resolver(compiled.params))
            now = self.now()
            errors = errors or self._constraints(compiled, case, list(wf.states[case.state].form),
                                                 {**case.data.get(case.state, {}), **clean}, now)
            if errors:
                raise FormError(errors, labels=labels_of(wf.states[case.state].form))
            before = case.rev
            case.data = record_data(case.data, case.state, clean)
            case.rev += 1
            case.updated_at = now
            self._replan(tx, compiled, case, now)
            event = self._append(tx, case, now=now, kind="record", actor=actor, trigger=None,
                                 source=case.state, dest=case.state, data=clean, verdicts=(),
                                 allowed=sorted(roles))
            if not tx.update_case(case, expected_rev=before):
                raise _conflict(case_id)
        self.pm.hook.yishi_event_committed(engine=self, case=case, event=event, notifications=[])
        return case

    def note(self, case_id: int, actor: Actor, kind: str, data: Mapping[str, Any]) -> Event:
        """Record beside the steps (``kind`` ``document``: a notice posted or an agreement signed,
        with its sha256; ``attachment``: evidence filed) in the case's hash chain, without
        changing its state. See ``yishi.engine.notes``. Raises ``NotFoundError``."""
        from yishi.engine.notes import append_note

        return append_note(self, case_id, actor, kind, data)

    def urge(self, case_id: int, actor: Actor, note: str = "") -> FireResult:
        """Urge (催办) those who hold an overdue case: an ``urge`` event, and a notification to
        the people holding the roles that may act now. See ``yishi.engine.urge``."""
        from yishi.engine.urge import urge
        return urge(self, case_id, actor, note)

    def tick(self, now: datetime | None = None, *, limit: int | None = None,
             at_due: bool = False) -> list[TickResult]:
        """Fire every timer due at ``now`` (default: the clock), earliest first, each exactly
        once, in batches (one transaction for up to a hundred timers; a timer whose step fails is
        undone alone and reported ``failed``, staying pending). Several engines may tick one
        database at once. With ``at_due`` each timer's step happens at its own due time (a
        simulation firing a span of time at once); else at ``now``. In a real database or a
        simulation, ``now`` may not be later than the present (``TimeError``)."""
        from yishi.engine.ticking import fire_due

        now = tick_moment(self, now)
        self.scheduled = run_schedules(self, now)  # cases that schedules started (yishi.time.schedules)
        return fire_due(self, now, limit=limit, at_due=at_due)

    # ------------------------------------------------------------ changing procedures under running cases
    def migrate(self, workflow_id: str, to_version: int, mapping: Mapping[str, str] | None = None, *,
                dry_run: bool = False, actor: Actor = SYSTEM) -> Any:
        """Check every open case of ``workflow_id`` against ``to_version`` (``mapping`` renames
        states) and, unless ``dry_run``, move each that fits, one transaction and one ``migrate``
        event each. Returns a ``MigrationReport`` (yishi.engine.migrate). Raises ``NotFoundError``."""
        from yishi.engine.migrate import migrate

        return migrate(self, workflow_id, to_version, mapping, dry_run=dry_run, actor=actor)

    def revert_migration(self, case_id: int, actor: Actor = SYSTEM) -> Event:
        """Undo the last migration of a case while nothing has happened to it since.
        Raises ``NotFoundError`` or ``RefusedError``."""
        from yishi.engine.migrate import revert

        return revert(self, case_id, actor)

    # ------------------------------------------------------------ integrity
    def verify(self, case_id: int | None = None, *, anchor: Anchor | None = None) -> VerifyReport:
        """Check the whole record (or one case): every hash chain; every case row, its form data
        and its pending timers replayed from its events and definition; the stored definitions
        against their sha256; rows that cannot be read; and, given ``anchor``, that each case's
        history still extends what the anchor signed. Raises ``NotFoundError`` for an unknown
        ``case_id``."""
        with self.store.read() as tx:
            return verify_record(tx, case_id=case_id, compiled_for=self._compiled_for,
                                 guards=self.registry.guards, tz=self.tz, anchor=anchor,
                                 calendar_for=self.calendar_for,
                                 for_unit=lambda compiled, unit: for_unit(self, compiled, unit))

    def anchor(self, key: Path, directory: Path) -> Path:
        """Sign the last event of every case with ``key`` into a new anchor file in ``directory``.
        Raises ``AnchorError`` when the key cannot be read."""
        from yishi.engine.anchor import make_anchor

        return make_anchor(self.heads(), key=key, database=self.database, now=self.now(), directory=directory)

    @property
    def database(self) -> str:
        """The database URL without its password: what anchors record."""
        return str(getattr(self.store, "safe_url", self.store.url))

    def heads(self) -> dict[int, tuple[int, str]]:
        """The last event (seq, hash) of every case: what ``yishi anchor`` signs."""
        with self.store.read() as tx:
            return tx.heads()

    # ------------------------------------------------------------ internals
    def _get(self, tx: Tx, case_id: int, *, for_update: bool = False, actor: Actor | None = None) -> Case:
        case = tx.get_case(case_id, for_update=for_update)
        if case is not None and actor is not None and not sees(self, tx, actor, case, self.now()):
            case = None
        if case is None:
            raise NotFoundError(f"no case #{case_id}", message_zh=f"没有案件 #{case_id}")
        return case

    def _compiled(self, case: Case) -> Compiled:
        """The case's compiled definition with its unit's params (yishi.org.params)."""
        return for_unit(self, self._definition(case), case.unit_id)

    def _definition(self, case: Case) -> Compiled:
        cached = self.library.cached(case.workflow_sha256)
        if cached is not None:
            return cached
        loaded = self.library.by_hash(case.workflow_sha256)
        if loaded is not None:
            return self.library.compiled(loaded)
        with self.store.read() as tx:
            stored = tx.get_definition(case.workflow_sha256)
        return self._compiled_for(case.workflow_sha256, *(stored or (None, "")))

    def _compiled_for(self, sha256: str, text: str | None, file: str) -> Compiled:
        """The definition with this hash: cached, a plugin's file, else the stored ``text``."""
        cached = self.library.cached(sha256)
        if cached is not None:
            return cached
        loaded = self.library.by_hash(sha256)
        if loaded is not None:
            return self.library.compiled(loaded)
        if text is None:
            raise StorageError(f"a case refers to a definition that is not stored ({sha256[:12]})",
                               message_zh=f"案件所用的流程定义未保存（{sha256[:12]}）")
        return self.library.compiled_from_text(sha256, text, file)

    def _may_link(self, source: Case, actor: Actor) -> None:
        """Starting a case from ``source`` writes on ``source``: it must be open, and the actor
        must hold a role that may act on it now."""
        self._require_open(source)
        compiled = self._compiled(source)
        roles = compiled.actors(source.state)
        if actor is SYSTEM or (actor.roles & set(roles)):
            return
        wf = compiled.workflow
        need_zh = "、".join(wf.roles[r].title.zh for r in roles if r in wf.roles) or "无"
        need_en = ", ".join(wf.roles[r].title.en for r in roles if r in wf.roles) or "nobody"
        mine = ", ".join(sorted(actor.roles)) or "none"
        verdict = Verdict("role", False,
                          f"只有{need_zh}可以从案件 #{source.id} 转出新案件（你的角色：{mine}）",
                          f"only {need_en} may start a case from case #{source.id} (your roles: {mine})")
        raise RefusedError(verdict.reason_en, message_zh=verdict.reason_zh, verdicts=[verdict])

    @staticmethod
    def _require_open(case: Case) -> None:
        if not case.is_open:
            raise RefusedError(f"case #{case.id} is closed", message_zh=f"案件 #{case.id} 已办结",
                               verdicts=[Verdict("closed", False, "案件已办结", "the case is closed")])

    def _step(self, tx: Tx, case: Case, trigger: str, actor: Actor, data: Mapping[str, Any],
              now: datetime, *, kind: str, timer: TimerRow | None = None) -> FireResult:
        self._require_open(case)
        compiled = self._compiled(case)
        wf = compiled.workflow
        candidates = [t for t in wf.transitions_from(case.state) if t.trigger == trigger]
        if not candidates:
            possible = ", ".join(sorted({t.trigger for t in wf.transitions_from(case.state)})) or "none"
            title = wf.states[case.state].title
            raise RefusedError(
                f"step {trigger!r} is not possible at {title.en!r}; possible steps: {possible}",
                message_zh=f"“{title.zh}”阶段不能执行 {trigger!r}；可执行：{possible}",
                verdicts=[Verdict("state", False, f"当前阶段（{title.zh}）不能执行此步骤",
                                  f"not possible at the current step ({title.en})")])
        form = list(wf.states[case.state].form) + [f for t in candidates for f in t.form]
        clean, errors = coerce_form(form, data, _resolver(compiled.params))
        errors = errors or self._constraints(compiled, case, form, {**case.data.get(case.state, {}), **clean}, now)
        if errors:
            raise FormError(errors, labels=labels_of(form))
        decision = Decision(lambda t: self._evaluate(compiled, case, t, actor, clean, now,
                                                     check_required=True))
        dest = compiled.decide(case.state, trigger, decision)
        if dest is None or decision.chosen is None:
            verdicts = list(merge(v for vs in decision.verdicts.values() for v in vs))
            refusals = [v for v in verdicts if not v.ok]
            raise RefusedError("refused: " + "; ".join(f"[{v.rule}] {v.reason_en}" for v in refusals),
                               message_zh="不能执行：" + "；".join(f"[{v.rule}] {v.reason_zh}" for v in refusals),
                               verdicts=verdicts)
        t = wf.transitions[decision.chosen]
        verdicts = decision.verdicts[decision.chosen]
        actx = ActionContext(workflow=wf, case=case, submitted=clean, actor=actor, now=now,
                             params=compiled.params, calendar=self.calendar_for(case) if t.actions else None)
        for call in t.actions:
            run_action(self.registry.actions[call.name], actx, call.args)
        source = case.state
        started: list[FireResult] = []
        for spawn in actx.spawns:
            new, new_event, new_notes = self._open_case(tx, spawn["workflow"], None, actor, spawn["data"],
                                                        now, linked_from=case, link_kind=spawn["kind"])
            started.append(FireResult(case=new, event=new_event, notifications=new_notes))
        case.data, data_changed = step_data(wf, case.data, source, dest, clean, actx.updates, actx.entered)
        before = case.rev
        late, actors = case.due_at is not None and now >= case.due_at, case.act_roles
        case.state = dest
        case.state_entered_at = now
        case.updated_at = now
        case.rev += 1
        case.act_roles = () if wf.states[dest].final else compiled.actors(dest)
        recorded = {k: v for k, v in clean.items() if any(f.name == k for f in wf.states[source].form)}
        track.stepped(wf, case, source=source, trigger=trigger, recorded={**recorded, **actx.updates}, late=late)
        if case.act_roles != actors:
            tx.set_actors(case.id, case.act_roles)
        if wf.states[dest].final:
            case.closed_at = now
            tx.add_month_figures(track.closed_row(case, self.tz))
        if case.due_at is not None:  # no deadline means no pending timer to cancel
            tx.cancel_timers(case.id)
        timers = [] if wf.states[dest].final else self._timers_for(compiled, case, now)
        if any(spec.at for spec in wf.states[dest].timers):  # a date-driven deadline never goes off twice
            timers = fresh_timers(timers, tx.timers(case.id))
        case.due_at = min((tm.due_at for tm in timers), default=None)
        event_data = dict(clean)
        if actx.updates:
            event_data["_set"] = actx.updates
        if actx.entered:
            event_data["_set_dest"] = actx.entered
        if timer is not None:
            event_data["_timer"] = {"id": timer.id, "due_at": timer.due_at.isoformat()}
        if started:
            event_data["_started"] = [{"case": r.case.id, "workflow": r.case.workflow_id} for r in started]
        event = self._append(tx, case, now=now, kind=kind, actor=actor, trigger=trigger, allowed=t.roles,
                             source=source, dest=dest, data=event_data, verdicts=tuple(verdicts))
        if not tx.update_step(case, expected_rev=before, data_changed=data_changed):
            raise _conflict(case.id)
        tx.add_timers(timers)
        wanted = [{"kind": "step", "recipients": {"roles": list(compiled.actors(dest)), "people": []}}]
        wanted += actx.notifications
        notes = self._notify(tx, compiled, case, event, kind, wanted)
        return FireResult(case=case, event=event, notifications=notes, started=started)

    def _constraints(self, compiled: Compiled, case: Case, form: list[Any], values: Mapping[str, Any],
                     now: datetime) -> dict[str, tuple[str, str]]:
        """Numbers and dates in ``values`` that cannot be true (yishi.engine.constraints)."""
        state = compiled.workflow.states[case.state]
        ctx = RuleContext(workflow=compiled.workflow, case=case, submitted=values, actor=SYSTEM, now=now,
                          params=compiled.params)
        return check_form(form, state.checks, values, ctx, self.tz)

    def _remind(self, tx: Tx, case: Case, timer: TimerRow, now: datetime) -> FireResult | None:
        """Send a due reminder (an event and notifications); None when ``unless`` says it is moot."""
        compiled = self._compiled(case)
        spec = compiled.workflow.states[timer.state].timers[timer.index]
        if spec.unless is not None:
            ctx = RuleContext(workflow=compiled.workflow, case=case, submitted={}, actor=SYSTEM,
                              now=now, params=compiled.params, calendar=self.calendar_for(case))
            scope: Any = ctx.field
            if spec.each is not None and "item" in timer.detail:
                items = ctx.field(spec.each) or []
                item = items[timer.detail["item"]] if timer.detail["item"] < len(items) else {}
                scope = item.get if isinstance(item, dict) else (lambda _n: None)
            if scope(spec.unless) not in (None, "", False, []):
                return None
        roles = [r for r in timer.target.split(",") if r]
        people = list(timer.detail.get("people", []))
        data: dict[str, Any] = {"_timer": {"id": timer.id, "due_at": timer.due_at.isoformat()},
                                "remind": roles}
        if people:
            data["people"] = people
        if "item" in timer.detail:
            data["item"] = timer.detail["item"]
        event = self._append(tx, case, now=now, kind="remind", actor=SYSTEM, trigger=None,
                             source=case.state, dest=case.state, data=data, verdicts=())
        tx.update_step(case, expected_rev=case.rev, data_changed=False)  # the new head, not the data
        message = spec.message.model_dump() if spec.message else None
        notes = self._notify(tx, compiled, case, event, "remind",
                             [{"kind": "remind", "recipients": {"roles": roles, "people": people},
                               "message": message, "item": timer.detail.get("item")}])
        return FireResult(case=case, event=event, notifications=notes)

    def _append(self, tx: Tx, case: Case, *, now: datetime, kind: str, actor: Actor,
                trigger: str | None, source: str | None, dest: str | None, data: dict[str, Any],
                verdicts: tuple[Verdict, ...], allowed: list[str] | None = None) -> Event:
        """Append the case's next event. The role recorded is the one that authorised the step:
        the first of the actor's roles among ``allowed`` (else the actor's first role)."""
        seq = case.last_seq + 1
        prev = case.last_hash or GENESIS
        authorising = [r for r in allowed if r in actor.roles] if allowed else []  # the workflow's order
        role = authorising[0] if authorising else actor.role
        data = with_grant(data, actor, role)
        digest = event_hash(case_id=case.id, seq=seq, at=now, kind=kind, actor=actor.name, role=role,
                            trigger=trigger, source=source, dest=dest, data=data, verdicts=verdicts,
                            prev_hash=prev)
        event = Event(case_id=case.id, seq=seq, at=now, kind=kind, actor=actor.name, role=role,
                      trigger=trigger, source=source, dest=dest, data=data, verdicts=verdicts,
                      prev_hash=prev, hash=digest)
        tx.append_event(event)
        case.last_seq = seq
        case.last_hash = digest
        return event

    def _timers_for(self, compiled: Compiled, case: Case, now: datetime) -> list[TimerRow]:
        return plan_timers(compiled, case, now, guards=self.registry.guards, tz=self.tz,
                           calendar=self.calendar_for(case))

    def _replan(self, tx: Tx, compiled: Compiled, case: Case, now: datetime) -> None:
        """After the current state's data changed: re-derive its data-driven timers."""
        if not replans_on_record(compiled.workflow, case.state):
            return
        existing = tx.timers(case.id)
        if case.due_at is not None:  # no deadline means no pending timer to cancel
            tx.cancel_timers(case.id)
        timers = fresh_timers(self._timers_for(compiled, case, now), existing)
        tx.add_timers(timers)
        case.due_at = min((t.due_at for t in timers), default=None)

    def _notify(self, tx: Tx, compiled: Compiled, case: Case, event: Event, kind: str,
                wanted: list[dict[str, Any]]) -> list[Notification]:
        channels = list(self.registry.notifiers)
        if not channels:
            return []
        wf = compiled.workflow
        base = {"workflow": wf.id, "workflow_title": compiled.title("workflow", wf.id),
                "case_id": case.id, "subject": case.subject, "event_seq": event.seq,
                "event_kind": event.kind, "trigger": event.trigger, "actor": event.actor,
                "at": event.at.isoformat(), "source": event.source, "dest": event.dest,
                "state_title": compiled.title("state", case.state),
                "trigger_title": compiled.title("trigger", event.trigger, event.source)}
        notes = []
        for item in wanted:
            if not (item["recipients"].get("roles") or item["recipients"].get("people")):
                continue
            item = {**item, "recipients": address(tx, case, item["recipients"], event.at)}
            payload = {**base, **{k: v for k, v in item.items() if k not in ("kind", "recipients")},
                       "role_titles": {r: compiled.title("role", r)
                                       for r in item["recipients"].get("roles", []) if r in wf.roles}}
            for channel in channels:
                accepts = getattr(self.registry.notifiers[channel], "accepts", None)
                if accepts is not None and not accepts(item["recipients"]):
                    continue  # e.g. no address is configured on this channel for these recipients
                notes.append(Notification(case_id=case.id, event_seq=event.seq, channel=channel,
                                          kind=item.get("kind", kind), recipients=item["recipients"],
                                          payload=payload, created_at=event.at))
        tx.add_notifications(notes)
        return notes

    def _committed(self, result: FireResult) -> None:
        if not self.pm.hook.yishi_event_committed.get_hookimpls():
            return  # nobody listens: skip pluggy's call machinery (a few µs a step)
        for new in result.started:
            self.pm.hook.yishi_event_committed(engine=self, case=new.case, event=new.event,
                                               notifications=new.notifications)
        self.pm.hook.yishi_event_committed(engine=self, case=result.case, event=result.event,
                                           notifications=result.notifications)


def _resolver(params: Mapping[str, Any]) -> Any:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return params[value[1:]]
        return value
    return resolve


def _number_or_text(value: Any) -> Any:
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text


def _conflict(case_id: int) -> ConflictError:
    return ConflictError(f"case #{case_id} changed meanwhile; nothing was saved — reload it and try again",
                         message_zh=f"案件 #{case_id} 已被他人更新；本次未保存，请刷新后重试")


__all__ = ["Engine", "TickResult", "VerifyReport", "default_url"]
