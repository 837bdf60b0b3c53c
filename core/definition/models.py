"""Pydantic models of a workflow definition: pure data, no runtime imports."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from yishi.time.durations import parse_duration, parse_span  # noqa: F401

IDENT = r"^[a-z_][a-z0-9_]*$"
Ident = Annotated[str, Field(pattern=IDENT)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _plain_text(value: Any) -> str | None:
    """A YAML scalar that can only mean text (``2024``, ``1.5``) as text; None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


class Text(_Model):
    """A bilingual text. YAML may give a plain string (or number), used for both languages."""

    zh: str
    en: str

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, value: Any) -> Any:
        plain = _plain_text(value)
        if plain is not None:
            return {"zh": plain, "en": plain}
        return value

    def get(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


FieldType = Literal[
    "text", "longtext", "integer", "number", "boolean", "date", "datetime",
    "choice", "multichoice", "person", "list",
]


class Choice(_Model):
    """One allowed value of a ``choice`` field with its label."""

    value: str
    label: Text

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, value: Any) -> Any:
        plain = _plain_text(value)
        if plain is not None:
            return {"value": plain, "label": plain}
        if isinstance(value, dict) and isinstance(value.get("value"), (int, float)) \
                and not isinstance(value.get("value"), bool):
            return {**value, "value": str(value["value"])}
        return value


class FormField(_Model):
    """One field of a step's form. ``type: list`` repeats the nested ``fields`` as items.

    ``readonly`` fields are recorded by the procedure itself (a ``set`` action), never typed
    in: a deadline it computed, the tier that resolved an event, how often it was extended.
    """

    name: Ident
    label: Text
    type: FieldType = "text"
    required: bool = False
    readonly: bool = False
    choices: list[Choice] | None = None
    min: float | str | None = Field(default=None, description=(
        "the smallest value (a list: the fewest items): a number, a $param or another field's name"))
    max: float | str | None = Field(default=None, description=(
        "the largest value (a list: the most items): a number, a $param or another field's name, "
        "e.g. 'max: representatives' on the number present"))
    unique: Ident | None = Field(default=None, description=(
        "a list field: no two items may have the same value of this item field (e.g. 'unique: name')"))
    not_before: str | None = Field(default=None, description=(
        "a date or datetime field: not earlier than 'now', 'opened' (the case), 'entered' (this "
        "step) or another date field ('meeting_date', 'state.field')"))
    not_after: str | None = Field(default=None, description=(
        "a date or datetime field: not later than 'now' (no minutes of a meeting not held yet), "
        "'opened', 'entered' or another date field"))
    help: Text | None = None
    fields: list[FormField] | None = None

    @model_validator(mode="after")
    def _check_kind(self) -> FormField:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"field {self.name!r} of type {self.type!r} has no choices; "
                             "add 'choices: [a, b]' (or '- {value: a, label: …}' items)")
        if self.type != "list" and self.fields:
            raise ValueError(f"field {self.name!r} of type {self.type!r} has nested 'fields'; "
                             "only fields of type 'list' take them: remove 'fields' or set 'type: list'")
        if self.type == "list" and not self.fields:
            raise ValueError(f"field {self.name!r} of type 'list' has no item fields; "
                             "add 'fields:' with the form of one item")
        return self


ParamType = Literal["integer", "number", "fraction", "duration", "text", "table"]
ItemType = Literal["integer", "number", "fraction", "duration", "text"]


class Param(_Model):
    """A locally tunable value (a quorum, a notice period), referenced as ``$name``.

    ``type: table`` is a mapping from a field's values to values of type ``of``, e.g. time
    limits by event category: ``{type: table, of: duration, default: {exposed_rubbish: 1d}}``.
    """

    type: ParamType
    of: ItemType | None = None
    default: int | float | str | dict[str, int | float | str]
    title: Text
    description: Text | None = None

    @field_validator("default")
    @classmethod
    def _check_default(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if kind is not None:  # a bad 'type' is reported on its own
            try:
                coerce_param(kind, value, info.data.get("of"))
            except ValueError as exc:
                what, _, how = str(exc).partition("; ")
                raise ValueError(f"{what}, but the param is of type {kind!r}; "
                                 f"{how or _PARAM_EXAMPLES[kind]}") from None
        return value


_PARAM_EXAMPLES = {
    "integer": "write a whole number, e.g. 3",
    "number": "write a number, e.g. 0.5",
    "fraction": "write e.g. '2/3', '1/2' or 0.5",
    "duration": "write e.g. '7d', '36h', '1mo' (calendar months), '3wd' (working days) or '1wh' (working hours)",
    "text": "write text",
    "table": "write entries as {key: value}, and say their type with 'of: duration'",
}


def coerce_param(kind: str, value: Any, of: str | None = None) -> Any:
    """Return ``value`` as the Python value of a param of type ``kind`` (a table: of type ``of``
    for each entry); raise ValueError."""
    if kind == "table":
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a table; write entries as {{key: value}}, e.g. {{exposed_rubbish: 1d}}")
        if of is None:
            raise ValueError("a table needs the type of its entries; add 'of: duration' (or integer, number, "
                             "fraction, text)")
        out = {}
        for key, item in value.items():
            try:
                out[str(key)] = coerce_param(of, item)
            except ValueError as exc:
                raise ValueError(f"entry {key!r}: {exc}") from None
        return out
    if isinstance(value, dict):
        raise ValueError(f"{value!r} is a table; write a single value, or make the param 'type: table'")
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not a whole number; write e.g. 3")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number; write e.g. 0.5")
        return value
    if kind == "fraction":
        return parse_fraction(value)
    if kind == "duration":
        return parse_span(value)  # a timedelta, or a Span in months / working days / hours
    return str(value)


_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_fraction(value: Any) -> Fraction:
    """Return a fraction between 0 and 1 from ``2/3``, ``0.5`` or ``1``.

    Raises ``ValueError`` ("what is wrong; how to fix it") for anything else.
    """
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a fraction; write e.g. '2/3', '1/2' or 0.5")
        result = Fraction(value).limit_denominator(1000)
    else:
        match = _FRACTION.match(str(value))
        if not match or int(match.group(2)) == 0:
            raise ValueError(f"{value!r} is not a fraction; write e.g. '2/3', '1/2' or 0.5")
        result = Fraction(int(match.group(1)), int(match.group(2)))
    if not 0 <= result <= 1:
        raise ValueError(f"{value!r} is not between 0 and 1; write a share such as '2/3' or 0.5")
    return result


class Role(_Model):
    """A role that may take steps, e.g. the community secretary."""

    title: Text
    description: Text | None = None


class Call(_Model):
    """A named guard or action with its parameters: ``{quorum: {present: attended}}`` in YAML."""

    name: Ident
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value, "args": {}}
        if isinstance(value, dict) and "name" not in value:
            if len(value) != 1:
                names = ", ".join(repr(k) for k in value)
                raise ValueError(
                    f"one list item names {len(value)} guards or actions ({names}); "
                    "write each as its own '- name: {arg: value}' item"
                )
            ((name, args),) = value.items()
            return {"name": name, "args": args if args is not None else {}}
        return value


class Timer(_Model):
    """A deadline of a state.

    Due ``after`` a duration from entering the state, or ``at`` the date in a field; with
    ``each`` (a list field) one timer per item, at the item's own date field. When due it
    reminds roles (``remind``) and/or the people named in fields (``remind_people``), or fires
    a trigger (``fire``). ``when`` (a guard, checked on entering the state) decides whether the
    timer is set at all; ``unless`` names a field that, once filled, skips the reminder
    (e.g. an action item's ``done``).
    """

    after: str | None = None
    from_: Ident | None = Field(default=None, alias="from")
    at: Ident | None = None
    each: Ident | None = None
    when: Call | None = None
    remind: list[Ident] | None = None
    remind_people: list[Ident] | None = None
    fire: Ident | None = None
    unless: Ident | None = None
    message: Text | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _check_after(cls, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"{value!r} is not a duration; write e.g. '7d', '36h' or 'P7D'")
            value = f"{int(value)}s"
        value = str(value)
        if not value.startswith("$"):
            parse_span(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Timer:
        if (self.after is None) == (self.at is None):
            raise ValueError("a timer needs exactly one of 'after' and 'at'; "
                             "write 'after: 7d' (from entering the state) or 'at: <date field>'")
        if self.from_ is not None and self.after is None:
            raise ValueError("'from' names the date field that 'after' counts from; "
                             "write e.g. 'after: 10d' with 'from: notice_date'")
        if self.each is not None and self.at is None:
            raise ValueError("a timer with 'each' needs 'at'; "
                             "name the date field of each item, e.g. 'at: due'")
        reminds = self.remind is not None or self.remind_people is not None
        if reminds and self.fire is not None:
            raise ValueError("the timer has both 'remind' and 'fire'; "
                             "keep one, and use a second timer for the other")
        if not reminds and self.fire is None:
            raise ValueError("the timer does nothing; "
                             "add 'remind: [roles]' to remind people or 'fire: trigger' to take a step")
        if self.fire is not None and self.each is not None:
            raise ValueError("a timer with 'each' can only remind; "
                             "use 'remind' or 'remind_people' instead of 'fire'")
        return self


class Check(_Model):
    """A check across the fields of a step's form: ``{sum: [votes_for, votes_against,
    abstentions], at_most: attended}`` — the parts cannot add up to more than the whole."""

    sum: list[str] = Field(min_length=1, description="fields whose values are added up")
    at_most: float | str | None = Field(default=None, description="a number, a $param or a field")
    at_least: float | str | None = Field(default=None, description="a number, a $param or a field")
    message: Text | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Check:
        if self.at_most is None and self.at_least is None:
            raise ValueError("the check has no bound; add 'at_most: <field, number or $param>' "
                             "or 'at_least: …'")
        return self


class State(_Model):
    """One step of the procedure, with the form recorded while the case is in it."""

    title: Text
    description: Text | None = None
    initial: bool = False
    final: bool = False
    form: list[FormField] = Field(default_factory=list)
    timers: list[Timer] = Field(default_factory=list)
    #: the documents that belong to this state (notices, minutes, agreements: yishi.documents)
    documents: list[Ident] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list, description=(
        "checks across the form's fields, e.g. votes cast at most the number present"))
    keep_on_reentry: bool = Field(default=False, description=(
        "entering this state again (from another state) keeps its earlier record; by default "
        "its form starts empty and the earlier record stays in the history"))


class Transition(_Model):
    """A step from one or several ``source`` states to ``dest``, taken by ``trigger``."""

    trigger: Ident
    source: list[Ident]
    dest: Ident
    title: Text
    roles: list[Ident] = Field(default_factory=list)
    guards: list[Call] = Field(default_factory=list)
    actions: list[Call] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list)
    require_form: bool = True
    confirm: bool = False

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):  # pydantic reports only ValueError as a validation error
            raise ValueError(f"{value!r} is not a state name; "  # noqa: TRY004
                             "write a state name, or a list of them as [a, b]")
        return value


class Schedule(_Model):
    """Start a case of this workflow on a calendar: ``every`` week, month, quarter or year, on
    ``day`` (of the period's first month; of the week, 1 = Monday) at ``at`` (local time), with
    the first step's ``data`` ("{period}" in a text becomes e.g. 2026年第1季度). Exactly one
    case per period, however many workers tick (``yishi.time.schedules``); with ``units`` (kinds
    of organisation unit: community, grid, street …, or 社区, 村, 网格 …) one per unit of those kinds, in that unit (none while
    the organisation has no such unit)."""

    id: Ident
    every: Literal["week", "month", "quarter", "year"]
    day: int = Field(default=1, ge=1, le=28)
    at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    data: dict[str, Any] = Field(default_factory=dict)
    units: list[str] = Field(default_factory=list)
    title: Text | None = None


class Workflow(_Model):
    """A whole procedure: the unit that is loaded, validated, versioned and run."""

    id: Ident
    version: int = Field(ge=1)
    title: Text
    description: Text
    subject: Ident | None = None
    start_roles: list[Ident] = Field(default_factory=list)
    params: dict[Ident, Param] = Field(default_factory=dict)
    roles: dict[Ident, Role]
    initial: Ident | None = None
    states: dict[Ident, State]
    transitions: list[Transition]
    schedules: list[Schedule] = Field(default_factory=list)

    _from_state: dict[str, list[Transition]] = PrivateAttr(default_factory=dict)

    # ---- conveniences for the runtime and the front ends (derived, never stored) ----
    def initial_state(self) -> str:
        if self.initial is not None:
            return self.initial
        return next(name for name, state in self.states.items() if state.initial)

    def transitions_from(self, state: str) -> list[Transition]:
        """The transitions whose sources include ``state``, in definition order (cached)."""
        cache = self.__pydantic_private__["_from_state"]  # not self._from_state: pydantic's __getattr__, 2 µs
        found = cache.get(state)
        if found is None:
            found = cache[state] = [t for t in self.transitions if state in t.source]
        return found

    def param_value(self, name: str, overrides: dict[str, Any] | None = None) -> Any:
        param = self.params[name]
        raw = (overrides or {}).get(name, param.default)
        return coerce_param(param.type, raw, param.of)
