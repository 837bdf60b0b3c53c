"""What guards and actions see and return: contexts, registered specs, reason helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Protocol

from pydantic import BaseModel

from yishi.definition.models import FormField, Text, Workflow, parse_fraction
from yishi.durations import parse_duration
from yishi.engine.types import Actor, Case, Verdict
from yishi.errors import PluginFailure, YishiError


class RuleContext:
    """The case as a guard or action sees it while a step is being decided.

    ``submitted`` is the data given with the step; ``field(name)`` looks a value up in it,
    then in the current state's saved form, then ``state.field`` or any earlier state.
    """

    def __init__(self, *, workflow: Workflow, case: Case, submitted: Mapping[str, Any],
                 actor: Actor, now: datetime, params: Mapping[str, Any], calendar: Any = None) -> None:
        self.workflow = workflow
        self.calendar = calendar  # the case's WorkCalendar (yishi.time.calendar); None: China's default
        self.case = case
        self.submitted = dict(submitted)
        self.actor = actor
        self.now = now
        self.params = params

    @property
    def state(self) -> str:
        """The id of the case's current state (the step being left)."""
        return self.case.state

    def field(self, name: str) -> Any:
        """The value of form field ``name``: what is being submitted with this step first, then
        the current state's saved form, then any earlier state's (``state.field`` names one
        state's); None when no form holds it."""
        if name in self.submitted:
            return self.submitted[name]
        data = self.case.data
        here = data.get(self.case.state, {})
        if name in here:
            return here[name]
        if "." in name:
            state, _, key = name.partition(".")
            return data.get(state, {}).get(key)
        for values in data.values():
            if name in values:
                return values[name]
        return None

    def param(self, name: str) -> Any:
        """The workflow param ``name`` (without ``$``) as in force for this case: the YAML's
        default, overridden by the deployment's ``[params]``. Raises ``KeyError`` for a name the
        workflow does not declare (the validator catches ``$names`` in YAML arguments first)."""
        return self.params[name]

    def resolve(self, value: Any) -> Any:
        """A ``$param`` → its value; anything else as given."""
        if isinstance(value, str) and value.startswith("$"):
            return self.param(value[1:])
        return value

    def value(self, operand: Any) -> float | int | None:
        """A number, a ``$param`` or a field's number; None when the field is not filled yet."""
        value = self.resolve(operand)
        if isinstance(value, str):
            value = self.field(value)
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, Fraction):
            return float(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if number.is_integer() else number

    def fraction(self, arg: Any) -> Fraction:
        """A ``FractionArg`` (``2/3``, ``0.5``, ``1`` or a ``$param`` holding one) as a
        ``Fraction``. Raises ``ValueError`` for text that is not a fraction."""
        return parse_fraction(self.resolve(arg))

    def duration(self, arg: Any) -> timedelta:
        """A ``DurationArg`` (``7d``, ``36h``, ``P7D`` or a ``$param`` holding one) as a
        ``timedelta``. Raises ``ValueError`` for text that is not a fixed duration (a span in
        months or working days has no fixed length: use ``deadline``)."""
        value = self.resolve(arg)
        if isinstance(value, timedelta):
            return value
        return parse_duration(value)

    def span(self, arg: Any) -> Any:
        """A ``DurationArg`` as a ``timedelta`` or a calendar ``Span`` (``1mo``, ``3wd``, ``1wh``)."""
        from yishi.time.durations import parse_span

        return parse_span(self.resolve(arg))

    def deadline(self, start: datetime, arg: Any) -> datetime:
        """The moment a ``DurationArg`` after ``start``, on the case's working calendar
        (calendar months end at the end of the corresponding day, Civil Code arts. 201–203)."""
        from yishi.time.durations import add_duration

        return add_duration(start, self.span(arg), calendar=self.calendar)

    def moment(self, name: str) -> datetime | None:
        """The date or time in field ``name`` as an aware UTC moment (a date: the start of that day
        in the case's time zone); None when the field is empty or not a date."""
        from yishi.time.calendar import field_moment

        return field_moment(self.field(name), self.calendar)

    def label(self, name: str) -> Text:
        """The form label of field ``name`` (its name when no form declares it)."""
        spec = self.form_field(name)
        return spec.label if spec is not None else Text(zh=name, en=name)

    def form_field(self, name: str) -> FormField | None:
        """The form field ``name`` (or ``state.name``) is declared by, if any."""
        key = name.rpartition(".")[2]
        for state in self.workflow.states.values():
            for f in state.form:
                if f.name == key:
                    return f
        for t in self.workflow.transitions:
            for f in t.form:
                if f.name == key:
                    return f
        return None


class ActionContext(RuleContext):
    """A guard's context plus what an action may do: set fields and queue notifications."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.updates: dict[str, Any] = {}
        self.entered: dict[str, Any] = {}  # recorded in the state being entered (after a fresh start)
        self.notifications: list[dict[str, Any]] = []
        self.spawns: list[dict[str, Any]] = []

    def set(self, name: str, value: Any, *, into: str = "source") -> None:
        """Record ``value`` in field ``name`` of the current state's data, or with
        ``into="dest"`` in the record of the state the step enters (after a re-entry empties it)."""
        (self.entered if into == "dest" else self.updates)[name] = value

    def field(self, name: str) -> Any:
        """As a guard sees it, plus what earlier actions of this step have set."""
        if name in self.entered:
            return self.entered[name]
        if name in self.updates:
            return self.updates[name]
        return super().field(name)

    def notify(self, *, roles: list[str] | None = None, people: list[str] | None = None,
               kind: str = "notice", message: Text | None = None, **extra: Any) -> None:
        """Queue a notification (written to the outbox in the step's transaction)."""
        self.notifications.append({
            "kind": kind,
            "recipients": {"roles": list(roles or []), "people": list(people or [])},
            "message": message.model_dump() if message else None,
            **extra,
        })


    def start_case(self, workflow_id: str, data: Mapping[str, Any] | None = None, *,
                   kind: str = "handover") -> None:
        """Start a case of ``workflow_id`` in the same transaction, linked both ways to this one.

        ``data`` fills the new case's first form; the new case's id is recorded in this step's
        event (``_started``) and its start event (``_linked_from``).
        """
        self.spawns.append({"workflow": workflow_id, "data": dict(data or {}), "kind": kind})


GuardFunc = Callable[[RuleContext, Any], Verdict]
"""A guard: ``func(ctx, args) -> Verdict`` (``args`` is an instance of the registered model)."""
ActionFunc = Callable[[ActionContext, Any], None]
"""An action: ``func(ctx, args) -> None``; it changes the case through ``ctx.set`` and friends."""


class RegisterGuard(Protocol):
    """The ``register`` callback that ``yishi_register_guards`` receives."""

    def __call__(self, name: str, func: GuardFunc, args: type[BaseModel] | None = None,
                 description: Text | None = None) -> None:
        """Register ``func`` under ``name`` (the name YAML uses). ``args`` is the pydantic model
        of its YAML arguments (annotate with ``Operand``, ``FieldName``, ``FractionArg`` or
        ``DurationArg`` so the validator checks them; ``FieldName[int]`` checks the field's type
        too); ``description`` is shown by ``yishi plugins``. Raises ``PluginError`` when the name
        is taken, or when ``args`` declares ``FieldName[X]`` of an ``X`` no form field holds."""


class RegisterAction(Protocol):
    """The ``register`` callback that ``yishi_register_actions`` receives."""

    def __call__(self, name: str, func: ActionFunc, args: type[BaseModel] | None = None,
                 description: Text | None = None) -> None:
        """Register ``func`` under ``name``; as ``RegisterGuard``. Raises ``PluginError``."""


class Notifier(Protocol):
    """A notifier channel. ``deliver`` sends one notification or raises, and the outbox retries
    it later (see ``docs/notifications.md``); ``accepts(recipients)``, if the channel defines
    it, says whether it has an address for them (a notification it does not accept is not
    written for it)."""

    def deliver(self, note: Any) -> None:
        """Send ``note`` (a ``yishi.engine.types.Notification``)."""


class RegisterNotifier(Protocol):
    """The ``register`` callback that ``yishi_register_notifiers`` receives."""

    def __call__(self, name: str, notifier: Notifier) -> None:
        """Register a channel under ``name``. Raises ``PluginError`` when the name is taken."""


@dataclass(frozen=True)
class GuardSpec:
    """A guard registered by a plugin: the name YAML uses, the callable and its argument model."""

    name: str
    func: GuardFunc
    args: type[BaseModel] | None = None
    description: Text | None = None
    plugin: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """An action registered by a plugin: runs inside the step's transaction after guards pass."""

    name: str
    func: ActionFunc
    args: type[BaseModel] | None = None
    description: Text | None = None
    plugin: str = ""


def run_guard(spec: GuardSpec, ctx: RuleContext, raw_args: Any) -> Verdict:
    """Call a registered guard. Raises ``PluginFailure`` (naming the plugin, the guard and the
    case) when the guard raises or returns something other than a ``Verdict``."""
    try:
        verdict = spec.func(ctx, spec.args.model_validate(raw_args) if spec.args else raw_args)
    except YishiError:
        raise
    except Exception as exc:  # noqa: BLE001 - the plugin boundary: any fault becomes a clear error
        raise PluginFailure(kind="guard", rule=spec.name, plugin=spec.plugin, case_id=ctx.case.id,
                            what=f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(verdict, Verdict):
        raise PluginFailure(kind="guard", rule=spec.name, plugin=spec.plugin, case_id=ctx.case.id,
                            what=f"it returned {type(verdict).__name__}, not a Verdict")
    return verdict


def run_action(spec: ActionSpec, ctx: ActionContext, raw_args: Any) -> None:
    """Call a registered action. Raises ``PluginFailure`` when it raises."""
    try:
        spec.func(ctx, spec.args.model_validate(raw_args) if spec.args else raw_args)
    except YishiError:
        raise
    except Exception as exc:  # noqa: BLE001 - the plugin boundary
        raise PluginFailure(kind="action", rule=spec.name, plugin=spec.plugin, case_id=ctx.case.id,
                            what=f"{type(exc).__name__}: {exc}") from exc


@dataclass
class Registry:
    """Everything the plugins registered, by name."""

    guards: dict[str, GuardSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    notifiers: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)  # name → yishi.documents.DocumentKind


# ---------------------------------------------------------------- reason text helpers
_ZH_DIGITS = "零一二三四五六七八九十"


def zh_fraction(value: Fraction) -> str:
    """``2/3`` → 三分之二, ``1/2`` → 半数."""
    if value == Fraction(1, 2):
        return "半数"
    if value.denominator <= 10 and value.numerator <= 10:
        return f"{_ZH_DIGITS[value.denominator]}分之{_ZH_DIGITS[value.numerator]}"
    return f"{float(value):.0%}"


def en_fraction(value: Fraction) -> str:
    if value == Fraction(1, 2):
        return "half"
    return f"{value.numerator}/{value.denominator}"


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
