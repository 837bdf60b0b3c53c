"""How cases, events and available steps look in the CLI: rich tables and JSON shapes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from yishi.cli.output import console, display, jsonable, local, t, table
if TYPE_CHECKING:
    from yishi.definition.models import FormField, Workflow
    from yishi.engine.engine import Engine
    from yishi.engine.types import Available, Case, Event, Link


# ---------------------------------------------------------------- JSON shapes
def case_json(case: Case, wf: Workflow) -> dict[str, Any]:
    state = wf.states.get(case.state)
    return {**jsonable(case), "is_open": case.is_open,
            "workflow_title": wf.title.model_dump(),
            "state_title": state.title.model_dump() if state else None}


def event_json(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = jsonable(event)
    out["verdicts"] = [v.as_dict() for v in event.verdicts]
    return out


def available_json(item: Available, wf: Workflow) -> dict[str, Any]:
    dest = wf.states.get(item.dest)
    return {"trigger": item.trigger, "title": item.title.model_dump(), "dest": item.dest,
            "dest_title": dest.title.model_dump() if dest else None, "enabled": item.enabled,
            "confirm": item.confirm, "require_form": item.require_form,
            "form": [f.model_dump(mode="json") for f in item.form],
            "verdicts": [v.as_dict() for v in item.verdicts]}


# ---------------------------------------------------------------- helpers
def _state_title(wf: Workflow, name: str | None, lang: str) -> str:
    if name is None:
        return ""
    state = wf.states.get(name)
    return state.title.get(lang) if state else name


def _fields(wf: Workflow, state: str) -> dict[str, FormField]:
    found: dict[str, FormField] = {}
    if state in wf.states:
        found.update({f.name: f for f in wf.states[state].form})
    for tr in wf.transitions_from(state):
        found.update({f.name: f for f in tr.form if f.name not in found})
    return found


def _status(case: Case, now: datetime, lang: str) -> str:
    if not case.is_open:
        return t("closed", lang, at=local(case.closed_at, lang))
    if case.due_at is not None and case.due_at <= now:
        return t("overdue", lang)
    return t("open", lang)


# ---------------------------------------------------------------- cases
def print_case_list(engine: Engine, found: list[Case], total: int, lang: str) -> None:
    out = console()
    if not found:
        out.print(t("no_cases", lang))
        return
    now = engine.now()
    grid = table(lang, "h_id", "h_subject", "h_workflow", "h_state", "h_due", "h_status", "h_rev",
                 right=("h_id", "h_rev"))
    for case in found:
        wf = engine.definition_of(case)
        grid.add_row(f"#{case.id}", case.subject, wf.title.get(lang),
                      _state_title(wf, case.state, lang), local(case.due_at, lang),
                      _status(case, now, lang), str(case.rev))
    out.print(grid)
    if total > len(found):
        out.print(t("cases_shown", lang, shown=len(found), total=total), style="dim")


def print_case(case: Case, wf: Workflow, links: list[Link], now: datetime, lang: str) -> None:
    out = console()
    out.print(f"#{case.id} {case.subject}", style="bold", soft_wrap=True)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="dim")
    head.add_column()
    rows = [
        ("h_workflow", f"{wf.title.get(lang)} ({wf.id} v{case.workflow_version})"),
        ("h_state", f"{_state_title(wf, case.state, lang)} ({case.state})"),
        ("h_status", _status(case, now, lang)),
        ("h_rev", str(case.rev)),
        ("h_opened", local(case.opened_at, lang)),
        ("h_opened_by", case.opened_by or t("none", lang)),
        ("h_entered", local(case.state_entered_at, lang)),
        ("h_updated", local(case.updated_at, lang)),
        ("h_due", local(case.due_at, lang)),
    ]
    for link in links:
        if link.from_case == case.id:
            rows.append(("h_link", t("link_to", lang, id=link.to_case, kind=link.kind, at=local(link.at, lang))))
        else:
            rows.append(("h_link", t("link_from", lang, id=link.from_case, kind=link.kind,
                                     at=local(link.at, lang))))
    for key, value in rows:
        head.add_row(t(key, lang), value)
    out.print(head)
    if not any(case.data.values()):
        return
    data = table(lang, "h_step", "h_field", "h_value", title=t("h_data", lang), title_justify="left")
    for state, values in case.data.items():
        specs = _fields(wf, state)
        step = _state_title(wf, state, lang)
        for name, value in values.items():
            spec = specs.get(name)
            label = spec.label.get(lang) if spec else name
            data.add_row(step, label, display(value, spec, lang))
            step = ""
    out.print(data)


def timer_target(engine: Any, timer: Any, lang: str) -> str:
    """What a timer does, in words: the roles it reminds by title, the step it takes by title."""
    try:
        wf = engine.definition_of(engine.case(timer.case_id))
    except Exception:  # noqa: BLE001 - a case that cannot be read is named by the raw target
        return str(timer.target)
    if timer.kind == "fire":
        return next((t.title.get(lang) for t in wf.transitions if t.trigger == timer.target), timer.target)
    names = [wf.roles[r].title.get(lang) if r in wf.roles else r for r in str(timer.target).split(",") if r]
    people = list((getattr(timer, "detail", None) or {}).get("people", []))
    return ("、" if lang == "zh" else ", ").join(names + people)


def state_title(engine: Any, timer: Any, lang: str) -> str:
    """The title of the state a timer belongs to."""
    try:
        found = engine.definition_of(engine.case(timer.case_id)).states.get(timer.state)
    except Exception:  # noqa: BLE001 - named by its id when the case cannot be read
        found = None
    return found.title.get(lang) if found else str(timer.state)


def print_history(case: Case, wf: Workflow, events: list[Event], lang: str) -> None:
    """One block per event: a heading line, then the data submitted and each rule's verdict."""
    out = console()
    out.print(f"#{case.id} {case.subject}", style="bold", soft_wrap=True)
    for e in events:
        kind = t(f"kind_{e.kind}", lang) if f"kind_{e.kind}" in _KINDS else e.kind
        role = wf.roles[e.role].title.get(lang) if e.role in wf.roles else e.role
        head = [f"{e.seq:>3}", local(e.at, lang), f"{e.actor} ({role})" if role else e.actor, kind]
        if e.trigger:
            head.append(next((t.title.get(lang) for t in wf.transitions if t.trigger == e.trigger), e.trigger))
        if e.dest is not None:
            head.append((f"{_state_title(wf, e.source, lang)} → " if e.source and e.source != e.dest else "")
                        + _state_title(wf, e.dest, lang))
        out.print("  ".join(head), style="bold" if e.kind != "remind" else None, soft_wrap=True)
        specs = _fields(wf, (e.source if e.kind != "start" else e.dest) or "")
        sep = "：" if lang == "zh" else ": "
        auth = e.data.get("_auth")
        if isinstance(auth, dict) and auth.get("unit_name"):  # the grant that authorised the step
            out.print(f"      {'授权' if lang == 'zh' else 'grant'}{sep}#{auth.get('grant')} · "
                      f"{auth.get('unit_name')} · {_role_title(wf, auth.get('role', ''), lang)}", soft_wrap=True)
        for name, value in e.data.items():
            if name == "_auth":
                continue
            spec = specs.get(name)
            label = spec.label.get(lang) if spec else name
            shown = display(value, spec, lang) if spec else json.dumps(value, ensure_ascii=False)
            out.print(f"      {label}{sep}{shown}", soft_wrap=True)
        for v in e.verdicts:
            out.print(f"      {'✓' if v.ok else '✗'} [{v.rule}] {v.reason(lang)}",
                      style="green" if v.ok else "red", soft_wrap=True)


_KINDS = {"kind_start", "kind_fire", "kind_record", "kind_timer", "kind_remind", "kind_urge"}


def _role_title(wf: Workflow, role: str, lang: str) -> str:
    return wf.roles[role].title.get(lang) if role in wf.roles else role


def print_actions(case: Case, wf: Workflow, found: list[Available], lang: str) -> None:
    """One line per trigger (✓ possible, ✗ refused), each refusing rule's reason below it."""
    out = console()
    out.print(f"#{case.id} {case.subject} · {_state_title(wf, case.state, lang)} "
              f"({t('h_rev', lang)} {case.rev})", style="bold", soft_wrap=True)
    if not found:
        out.print(t("no_actions", lang))
        return
    for item in found:
        status = t("enabled" if item.enabled else "disabled", lang)
        if item.confirm:
            status += t("confirm_needed", lang)
        out.print(f"{'✓' if item.enabled else '✗'} {item.trigger}  {item.title.get(lang)} → "
                  f"{_state_title(wf, item.dest, lang)}  [{status}]",
                  style="green" if item.enabled else None, soft_wrap=True)
        for v in item.refusals:
            out.print(f"    [{v.rule}] {v.reason(lang)}", style="red", soft_wrap=True)
