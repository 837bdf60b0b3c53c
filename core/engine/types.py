"""The engine's plain value types: actors, verdicts, cases, events, timers, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: Actor and CaseFilter load no pydantic models (the TUI's first frame)
    from yishi.definition.models import FormField, Text

SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a person's name and the roles they act in."""

    name: str
    roles: frozenset[str] = frozenset()
    # set by the engine when the roles come from grants (yishi.org): the person, and for each
    # role the grant that gives it there, (role, grant id, unit id, unit label)
    person_id: int | None = None
    grants: tuple[tuple[str, int, int, str], ...] = field(default=(), compare=False)
    where: str = field(default="", compare=False)  # the unit the roles were resolved for

    @classmethod
    def of(cls, name: str, *roles: str) -> Actor:
        return cls(name=name, roles=frozenset(roles))

    @property
    def role(self) -> str:
        """The role recorded on events: the first role in sorted order, or '' for none."""
        return sorted(self.roles)[0] if self.roles else ""


SYSTEM = Actor("system", frozenset({SYSTEM_ROLE}))


@dataclass(frozen=True)
class Verdict:
    """The answer of one rule (a role check, a form check or a guard) with its reason."""

    rule: str
    ok: bool
    reason_zh: str = ""
    reason_en: str = ""
    # structured facts a guard may add so reasons of alternative transitions can be merged
    # (see yishi.engine.reasons); not stored with the event
    detail: Any = field(default=None, compare=False, repr=False)

    def reason(self, lang: str = "en") -> str:
        return self.reason_zh if lang.startswith("zh") else self.reason_en

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "ok": self.ok, "zh": self.reason_zh, "en": self.reason_en}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Verdict:
        return cls(raw["rule"], raw["ok"], raw.get("zh", ""), raw.get("en", ""))


@dataclass(frozen=True)
class Available:
    """One trigger from the case's current state, as the actor sees it."""

    trigger: str
    title: Text
    dest: str
    enabled: bool
    verdicts: tuple[Verdict, ...]
    confirm: bool = False
    form: tuple[FormField, ...] = ()
    require_form: bool = True

    @property
    def refusals(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.ok)


@dataclass
class CaseFigures:
    """What the statistics count about a case, kept in indexed columns and updated in each
    step's own transaction (``yishi.stats.track``), so figures never scan the JSON data.

    ``tier``: the tier the case is at (its ``tier_N`` state, else the tier that last resolved
    it); ``resolved_tier``: the tier that recorded the resolution in force (None before one,
    and again after a reopen); ``deadlines_missed``: steps taken after the state's due time;
    ``reopened``: returns to a tier after a resolution; ``extended``: ``extend`` steps;
    ``evals_asked``/``evals_given``/``evals_satisfied``: evaluation steps entered, evaluations
    recorded, of which satisfied or basically satisfied.
    """

    tier: int | None = None
    resolved_tier: int | None = None
    deadlines_missed: int = 0
    reopened: int = 0
    extended: int = 0
    evals_asked: int = 0
    evals_given: int = 0
    evals_satisfied: int = 0


@dataclass
class Case:
    """One run of one workflow, as stored: the row, never a state-machine instance."""

    id: int
    workflow_id: str
    workflow_version: int
    workflow_sha256: str
    state: str
    subject: str
    data: dict[str, dict[str, Any]]
    opened_at: datetime
    state_entered_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    due_at: datetime | None = None
    act_roles: tuple[str, ...] = ()  # roles that may take a step from the current state
    rev: int = 1
    last_seq: int = 0
    last_hash: str = ""
    opened_by: str = ""
    unit_id: int | None = None  # the organisation unit the case belongs to (yishi.org)
    figures: CaseFigures = field(default_factory=CaseFigures)  # yishi.stats

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Event:
    """An append-only record of what happened to a case; hash-chained per case."""

    case_id: int
    seq: int
    at: datetime
    kind: str  # start | fire | record | timer | remind
    actor: str
    role: str
    trigger: str | None
    source: str | None
    dest: str | None
    data: dict[str, Any]
    verdicts: tuple[Verdict, ...]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class TimerRow:
    """A timer of a case's current state: due at ``due_at``, then reminds or fires."""

    id: int
    case_id: int
    state: str
    index: int
    due_at: datetime
    kind: str  # remind | fire
    target: str  # trigger, or comma-joined roles
    status: str = "pending"  # pending | fired | refused | skipped | cancelled
    result: str = ""
    detail: dict[str, Any] = field(default_factory=dict)  # item index, people to remind
    finished_at: datetime | None = None  # when it fired, was refused, skipped or cancelled


@dataclass(frozen=True)
class Notification:
    """An outbox row: a message for roles or people, delivered by one notifier channel."""

    case_id: int
    event_seq: int
    channel: str
    kind: str
    recipients: dict[str, Any]
    payload: dict[str, Any]
    id: int | None = None
    status: str = "pending"
    attempts: int = 0
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    error: str = ""
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Link:
    """One case started another: ``from_case`` handed the matter over to ``to_case``."""

    from_case: int
    to_case: int
    kind: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class CaseFilter:
    """Which cases ``Engine.cases`` returns."""

    open: bool | None = None
    overdue_at: datetime | None = None
    roles: tuple[str, ...] | None = None  # cases where any of these roles may act now
    workflow_id: str | None = None
    state: str | None = None
    search: str | None = None
    closed_since: datetime | None = None  # closed at or after this moment
    units: tuple[int, ...] | None = None  # only cases of these organisation units (a user's scope)
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class FireResult:
    """What one ``fire`` or timer did: the case after it and the event appended."""

    case: Case
    event: Event
    notifications: list[Notification] = field(default_factory=list)
    started: list[FireResult] = field(default_factory=list)  # cases this step started


@dataclass(frozen=True)
class Corrupt:
    """A stored row that cannot be read back (bad JSON, an unparseable time): which and why."""

    table: str  # cases | events | timers
    case_id: int
    key: int  # the event's seq, the timer's id, or the case id
    column: str
    error: str
