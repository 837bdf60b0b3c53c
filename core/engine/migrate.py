"""Move open cases onto another version of their workflow, checked first; and back again.

Cases stay pinned to the definition they started on. When local rules or a revised law change a
number or a step, ``migrate`` checks every open case of the workflow against the target version —
its state exists there (after ``mapping`` renames: ``{"old": "new"}``), its recorded data fits the
target's forms, its pending timers have a place — and, unless it is a dry run, moves each case
that passes in its own transaction with a ``migrate`` event (the old and new definition, state and
data), re-planning its timers from the moment it entered its state. ``revert`` undoes the last
migration of a case while nothing has happened to it since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yishi.definition.models import FormField, Workflow
from yishi.engine.forms import coerce_form
from yishi.engine.replay import fresh_timers
from yishi.engine.timers import plan_timers
from yishi.engine.types import SYSTEM, Actor, Case, CaseFilter, Event
from yishi.errors import NotFoundError, RefusedError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

Reason = tuple[str, str]  # (zh, en)


@dataclass
class CaseMigration:
    """What migrating one case would do (or did): from where to where, and what stands in the way."""

    case_id: int
    subject: str
    from_version: int
    state: str
    new_state: str
    problems: list[Reason] = field(default_factory=list)
    migrated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class MigrationReport:
    """Every open case of a workflow checked against a target version."""

    workflow_id: str
    to_version: int
    dry_run: bool
    cases: list[CaseMigration] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cases)

    @property
    def migrated(self) -> int:
        return sum(c.migrated for c in self.cases)


def _form_of(wf: Workflow, state: str) -> list[FormField]:
    return list(wf.states[state].form) if state in wf.states else []


def check_case(case: Case, old: Workflow, new: Workflow, mapping: Mapping[str, str],
               resolve: Any) -> CaseMigration:
    """The problems of moving ``case`` from ``old`` to ``new`` (empty when it can move)."""
    target = mapping.get(case.state, case.state)
    out = CaseMigration(case.id, case.subject, case.workflow_version, case.state, target)
    if target not in new.states:
        out.problems.append((f"当前阶段“{case.state}”在第 {new.version} 版中不存在（可用 --map {case.state}=新阶段）",
                             f"its step {case.state!r} does not exist in version {new.version} "
                             f"(map it: --map {case.state}=NEW)"))
        return out
    if new.states[target].final:
        out.problems.append((f"阶段“{target}”在第 {new.version} 版中是结束阶段，办理中的案件不能迁入",
                             f"step {target!r} is final in version {new.version}; an open case cannot move there"))
    for state, values in case.data.items():
        mapped = mapping.get(state, state)
        if mapped not in new.states:
            out.problems.append((f"“{state}”阶段的记录在第 {new.version} 版中无处存放（可用 --map）",
                                 f"the record of step {state!r} has no place in version {new.version} (use --map)"))
            continue
        form = {f.name: f for f in _form_of(new, mapped)}
        unknown = [k for k in values if k not in form]
        if unknown:
            names = ", ".join(unknown)
            out.problems.append((f"“{mapped}”阶段的表单没有已记录的字段：{names}",
                                 f"step {mapped!r} has no field for what was recorded: {names}"))
        typed = {k: v for k, v in values.items() if k in form and not form[k].readonly}
        _, errors = coerce_form(list(form.values()), typed, resolve)
        for name, (zh, en) in errors.items():
            label = form[name].label
            out.problems.append((f"“{mapped}”阶段已记录的{label.zh}不符合新表单：{zh}",
                                 f"the recorded {label.en} of step {mapped!r} does not fit the new form: {en}"))
    leaving = {t.trigger for t in new.transitions_from(target)}
    for timer in old.states[case.state].timers if case.state in old.states else []:
        if timer.fire and timer.fire not in leaving:
            out.problems.append((f"待触发的“{timer.fire}”在第 {new.version} 版的“{target}”阶段不存在",
                                 f"the pending timer's step {timer.fire!r} does not leave {target!r} "
                                 f"in version {new.version}"))
    return out


def migrate(engine: Engine, workflow_id: str, to_version: int, mapping: Mapping[str, str] | None = None,
            *, dry_run: bool = False, actor: Actor = SYSTEM) -> MigrationReport:
    """Check every open case of ``workflow_id`` against ``to_version``; unless ``dry_run``, move
    each case that passes, one transaction each. Cases already on the target are left alone.

    Raises ``NotFoundError`` when the workflow or version is not installed.
    """
    mapping = dict(mapping or {})
    loaded = engine.library.get(workflow_id, to_version)
    target = engine.library.compiled(loaded)
    report = MigrationReport(workflow_id, to_version, dry_run)
    for case in engine.cases(CaseFilter(workflow_id=workflow_id, open=True)):
        if case.workflow_sha256 == loaded.sha256:
            continue
        old = engine.definition_of(case)
        checked = check_case(case, old, target.workflow, mapping, _resolver(target.params))
        report.cases.append(checked)
        if dry_run or not checked.ok:
            continue
        now = engine.now()
        with engine.store.write() as tx:
            fresh = tx.get_case(case.id, for_update=True)
            if fresh is None or fresh.rev != case.rev:
                checked.problems.append(("案件在检查后已变动，未迁移；请重试", "the case changed after the check; "
                                         "not migrated — run it again"))
                continue
            tx.put_definition(sha256=loaded.sha256, workflow_id=workflow_id, version=to_version,
                              text=loaded.text, file=loaded.file, at=now)  # once per hash
            data = {mapping.get(s, s): dict(v) for s, v in fresh.data.items()}
            _move(engine, tx, fresh, target, version=to_version, sha256=loaded.sha256,
                  state=checked.new_state, data=data, actor=actor, now=now,
                  extra={"_map": mapping})
        checked.migrated = True
    return report


def revert(engine: Engine, case_id: int, actor: Actor = SYSTEM) -> Event:
    """Undo the last migration of case ``case_id``: back to its old definition, state and data.

    Raises ``NotFoundError`` (no such case), ``RefusedError`` (never migrated, or something
    happened to it after the migration: reverting would lose it).
    """
    events = engine.history(case_id)
    last = next((e for e in reversed(events) if e.kind == "migrate"), None)
    if last is None:
        raise RefusedError(f"case #{case_id} was never migrated", message_zh=f"案件 #{case_id} 未迁移过")
    later = [e for e in events if e.seq > last.seq and e.kind not in ("remind", "link")]
    if later:
        raise RefusedError(f"case #{case_id} moved on after its migration ({later[0].kind} at event "
                           f"{later[0].seq}); reverting would lose that",
                           message_zh=f"案件 #{case_id} 迁移后已有办理记录（第 {later[0].seq} 条），不能撤销迁移")
    before = last.data["_from"]
    with engine.store.write() as tx:
        case = tx.get_case(case_id, for_update=True)
        if case is None:
            raise NotFoundError(f"no case #{case_id}", message_zh=f"没有案件 #{case_id}")
        stored = tx.get_definition(before["sha256"])
        if stored is None:
            raise RefusedError("the old definition is not stored", message_zh="原流程定义未保存")
        compiled = engine.library.compiled_from_text(before["sha256"], stored[0], stored[1])
        event = _move(engine, tx, case, compiled, version=before["version"], sha256=before["sha256"],
                      state=before["state"], data=last.data["_data_before"], actor=actor, now=engine.now(),
                      extra={"_revert_of": last.seq})
    return event


def _move(engine: Engine, tx: Any, case: Case, compiled: Any, *, version: int, sha256: str, state: str,
          data: dict[str, dict[str, Any]], actor: Actor, now: datetime, extra: dict[str, Any]) -> Event:
    """Re-pin ``case`` and record it: one ``migrate`` event holding both sides."""
    expected = case.rev
    event_data = {"_from": {"version": case.workflow_version, "sha256": case.workflow_sha256, "state": case.state},
                  "_to": {"version": version, "sha256": sha256, "state": state},
                  "_data_before": case.data, "_data": data, **extra}
    case.workflow_version, case.workflow_sha256 = version, sha256
    source, case.state, case.data = case.state, state, data
    case.rev += 1
    case.updated_at = now
    actors, case.act_roles = case.act_roles, compiled.actors(state)
    # what already went off in this state does not go off again (the rule verify replays)
    existing = tx.timers(case.id)
    if case.due_at is not None:
        tx.cancel_timers(case.id)
    timers = fresh_timers(plan_timers(compiled, case, now, guards=engine.registry.guards, tz=engine.tz), existing)
    case.due_at = min((t.due_at for t in timers), default=None)
    event = engine._append(tx, case, now=now, kind="migrate", actor=actor, trigger=None,  # noqa: SLF001
                           source=source, dest=state, data=event_data, verdicts=())
    if not tx.update_case(case, expected_rev=expected):
        raise RefusedError(f"case #{case.id} changed meanwhile; nothing was migrated",
                           message_zh=f"案件 #{case.id} 已被他人更新；未迁移")
    if case.act_roles != actors:  # "my actions" reads case_actors: it follows the new step's roles
        tx.set_actors(case.id, case.act_roles)
    tx.add_timers(timers)
    return event


def _resolver(params: Mapping[str, Any]) -> Any:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return params[value[1:]]
        return value
    return resolve
