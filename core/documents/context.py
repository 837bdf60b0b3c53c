"""What a document template sees: the case's record, turned into display values.

Every template gets the same context (a plugin's template too):

- ``case``: ``id``, ``subject``, ``workflow`` (title), ``state`` (title), ``opened_at``,
  ``closed_at``, ``opened_by`` (display text, local time);
- ``org``: the issuing body (``[documents] org`` in the config file, else a default per procedure);
- ``d``: the recorded forms as display values, ``d.<state>.<field>`` (choice labels, 是/否,
  ``2026年11月9日``; lists are lists of such dicts); a field not recorded is ``""``;
- ``raw``: the same forms as stored (numbers stay numbers);
- ``label(state, field)``: a field's label; ``params``: the workflow's params as display text;
- ``events``: every event (``seq``, ``at``, ``actor``, ``role``, ``kind``, ``step``, ``from_state``,
  ``to_state``, ``data``); ``entered(state)``: when the case last entered a state;
- ``meetings``: the meetings recorded (four discussions); ``sessions``: the mediation sessions;
  ``tiers``: a grid event's path through the tiers; ``item``: the meeting or session this
  document is for (documents with items);
- ``record``: the last event (``seq``, ``hash``) the document was made from; ``now``: when;
- ``lang``, ``_(zh, en)``: the language and a chooser for bilingual wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from yishi.definition.models import FormField, Workflow
from yishi.durations import parse_duration
from yishi.engine.types import Case, Event

#: states of 四议两公开 that are meetings, in procedural order
MEETING_STATES = ("committees_discussion", "party_members_review", "representatives_meeting",
                  "villagers_meeting")

DEFAULT_ORG = {
    "four_discussions_two_disclosures": {"zh": "村（居）民委员会", "en": "Villagers' (residents') committee"},
    "bench_meeting": {"zh": "社区党委", "en": "Community Party committee"},
    "people_mediation": {"zh": "人民调解委员会", "en": "People's mediation committee"},
    "grid_escalation": {"zh": "社区网格化服务管理中心", "en": "Community grid management centre"},
}


def zh_date(value: date | datetime | None, lang: str = "zh", *, time: bool = False) -> str:
    """``2026年11月9日`` (or ``2026-11-09``), with ``19:00`` when ``time``."""
    if value is None:
        return ""
    clock = f" {value:%H:%M}" if time and isinstance(value, datetime) else ""
    if lang == "en":
        return f"{value:%Y-%m-%d}{clock}"
    return f"{value.year}年{value.month}月{value.day}日{clock}"


def zh_duration(text: Any, lang: str = "zh") -> str:
    """``7d`` → ``7 天`` / ``7 days``; other durations in days and hours."""
    try:
        delta = parse_duration(text)
    except (ValueError, TypeError):
        return str(text)
    days, hours = delta.days, delta.seconds // 3600
    if lang == "en":
        return " ".join(p for p in (f"{days} days" if days else "", f"{hours} hours" if hours else "")) or "0"
    return "".join(p for p in (f"{days} 天" if days else "", f"{hours} 小时" if hours else "")) or "0"


@dataclass
class Display:
    """Turns stored values into what a reader of the printed document expects."""

    workflow: Workflow
    tz: ZoneInfo
    lang: str

    def field_spec(self, state: str | None, name: str) -> FormField | None:
        wf = self.workflow
        forms = [wf.states[state].form] if state in wf.states else []
        forms += [s.form for s in wf.states.values()] + [t.form for t in wf.transitions]
        return next((f for form in forms for f in form if f.name == name), None)

    def value(self, spec: FormField | None, value: Any) -> Any:
        if value is None or value == "":
            return ""
        kind = spec.type if spec is not None else ""
        if kind in ("choice", "multichoice") and spec is not None and spec.choices:
            labels = {c.value: c.label.get(self.lang) for c in spec.choices}
            if isinstance(value, list):
                return "、".join(labels.get(v, str(v)) for v in value) if self.lang == "zh" \
                    else ", ".join(labels.get(v, str(v)) for v in value)
            return labels.get(value, str(value))
        if kind == "boolean" or isinstance(value, bool):
            return ("是" if value else "否") if self.lang == "zh" else ("yes" if value else "no")
        if kind == "date":
            try:
                return zh_date(date.fromisoformat(str(value)[:10]), self.lang)
            except ValueError:
                return str(value)
        if kind == "datetime":
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                return str(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(self.tz)
            return zh_date(moment, self.lang, time=True)
        if kind == "list" and isinstance(value, list) and spec is not None:
            sub = {f.name: f for f in spec.fields or []}
            return [{k: self.value(sub.get(k), v) for k, v in item.items()} if isinstance(item, dict)
                    else item for item in value]
        return value

    def form(self, state: str | None, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.value(self.field_spec(state, k), v) for k, v in values.items() if not k.startswith("_")}

    def local(self, moment: datetime | None, *, time: bool = True) -> str:
        return zh_date(moment.astimezone(self.tz) if moment else None, self.lang, time=time)


class _Blank(dict):
    """A form's display values where a field that was not recorded reads as ``""``."""

    def __missing__(self, key: str) -> str:
        return ""

    def __getattr__(self, key: str) -> Any:
        return self[key]


def build_context(case: Case, workflow: Workflow, events: list[Event], *, params: Mapping[str, Any],
                  tz: ZoneInfo, lang: str, now: datetime, org: str | None = None) -> dict[str, Any]:
    """The context every document template is rendered with (see the module docstring)."""
    show = Display(workflow, tz, lang)
    wf = workflow

    def title(kind: str, name: str | None) -> str:
        if kind == "state" and name in wf.states:
            return wf.states[name].title.get(lang)
        if kind == "role" and name in wf.roles:
            return wf.roles[name].title.get(lang)
        return name or ""

    def step_title(event: Event) -> str:
        if event.kind == "start":
            return "立案登记" if lang == "zh" else "opened"
        if event.kind == "remind":
            return "到期提醒" if lang == "zh" else "reminder"
        if event.kind == "record":
            return "保存记录" if lang == "zh" else "recorded"
        found = next((t.title.get(lang) for t in wf.transitions
                      if t.trigger == event.trigger and event.source in t.source), None)
        return found or event.trigger or event.kind

    d = _Blank({name: _Blank(show.form(name, values)) for name, values in case.data.items()})
    for name in wf.states:
        d.setdefault(name, _Blank())
    event_rows = [{
        "seq": e.seq, "at": show.local(e.at), "at_utc": e.at.isoformat(), "actor": e.actor,
        "role": title("role", e.role), "kind": e.kind, "step": step_title(e), "trigger": e.trigger,
        "from_state": title("state", e.source), "to_state": title("state", e.dest),
        "source": e.source, "dest": e.dest,
        "data": _Blank(show.form(e.source, e.data)),
    } for e in events]

    def entered(state: str) -> str:
        found = [e for e in events if e.dest == state and e.source != state]
        return show.local(found[-1].at, time=False) if found else ""

    def entered_at(state: str) -> datetime | None:
        found = [e for e in events if e.dest == state and e.source != state]
        return found[-1].at.astimezone(tz) if found else None

    meetings = [{"key": s, "state": s, "title": title("state", s), **d[s]}
                for s in MEETING_STATES if s in case.data and s in wf.states]
    sessions = [{"key": str(n), "number": n, "seq": e.seq, "by": e.actor,
                 **show.form("mediating", {k: v for k, v in e.data.items() if k in
                                           ("session_date", "present", "record")})}
                for n, e in enumerate((e for e in events if e.trigger == "hold_session"), start=1)]
    tiers = []
    for e in events:
        if e.dest and e.dest.startswith("tier_") and e.dest != e.source:
            reason = e.data.get("escalation_reason") or e.data.get("reopen_reason") or ""
            if e.kind == "timer":
                reason = reason or ("处置时限届满，自动上报" if lang == "zh" else "time limit passed: escalated automatically")
            tiers.append({"tier": e.dest.removeprefix("tier_"), "title": title("state", e.dest),
                          "at": show.local(e.at), "by": e.actor if e.kind != "timer" else
                          ("系统" if lang == "zh" else "system"), "how": step_title(e),
                          "reason": show.value(None, reason), "measures": "", "handler": ""})
        if e.trigger == "resolve" and tiers:
            tiers[-1]["measures"] = e.data.get("measures", "") or case.data.get(e.source or "", {}).get("measures", "")
            tiers[-1]["handler"] = e.data.get("handler", "") or e.actor
            tiers[-1]["resolved_at"] = show.local(e.at)
    last = events[-1] if events else None
    org_name = org or DEFAULT_ORG.get(wf.id, {}).get(lang) or wf.title.get(lang)
    shown_params = {}
    for name, p in wf.params.items():
        value = params.get(name, p.default)
        shown_params[name] = zh_duration(value, lang) if p.type == "duration" else str(value)

    def until(state: str, param: str) -> str:
        start = entered_at(state)
        if start is None or param not in params:
            return ""
        try:
            return zh_date((start + parse_duration(params[param])).date(), lang)
        except (ValueError, TypeError):
            return ""

    return {
        "case": {"id": case.id, "subject": case.subject, "workflow": wf.title.get(lang),
                 "workflow_id": wf.id, "state": title("state", case.state),
                 "opened_at": show.local(case.opened_at), "opened_on": show.local(case.opened_at, time=False),
                 "closed_at": show.local(case.closed_at), "opened_by": case.opened_by,
                 "is_open": case.is_open},
        "org": org_name, "d": d, "raw": case.data, "params": shown_params,
        "label": lambda state, field: (show.field_spec(state, field).label.get(lang)  # type: ignore[union-attr]
                                       if show.field_spec(state, field) else field),
        "events": event_rows, "entered": entered, "until": until, "meetings": meetings,
        "sessions": sessions, "tiers": tiers,
        "record": {"seq": last.seq if last else 0, "hash": last.hash if last else ""},
        "now": zh_date(now.astimezone(tz), lang), "now_time": zh_date(now.astimezone(tz), lang, time=True),
        "lang": lang, "_": (lambda zh, en: zh if lang == "zh" else en),
        "item": None,
    }


def items_of(context: Mapping[str, Any], source: str | None) -> list[dict[str, Any]]:
    """The items (meetings, sessions) a document with ``items`` is made once for."""
    return list(context.get(source, [])) if source else []


__all__ = ["DEFAULT_ORG", "MEETING_STATES", "build_context", "items_of", "zh_date", "zh_duration"]
