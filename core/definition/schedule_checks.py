"""Checks of a workflow's ``schedules:`` at load: each starts a case with its ``data`` as the first
step's form (``yishi.time.schedules``), so a name that is not a field of that form, or a value
that field cannot hold, would otherwise surface only as a log line when the period falls due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from yishi.definition.models import FormField, Workflow
from yishi.org.model import KIND_WORDS, KINDS

Add = Callable[..., None]

_TEXT = ("text", "longtext", "person", "place")


def _wrong_value(spec: FormField, value: Any) -> str:
    """Why ``value`` cannot be ``spec``'s value ("" if it can); "{period}" stands for the period."""
    t = spec.type
    if t in _TEXT:
        return "" if isinstance(value, str) else "a text"
    if t == "integer":
        return "" if isinstance(value, int) and not isinstance(value, bool) else "a whole number"
    if t == "number":
        return "" if isinstance(value, int | float) and not isinstance(value, bool) else "a number"
    if t == "boolean":
        return "" if isinstance(value, bool) else "true or false"
    if t == "choice":
        values = [str(c.value) for c in spec.choices or ()]
        return "" if str(value) in values else "one of " + ", ".join(repr(v) for v in values)
    if t == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "a date such as 2026-12-01"
        return ""
    return ""  # lists, files and the like: the engine's own form check decides


def check_schedules(w: Workflow, initial: str | None, add: Add, did_you_mean: Callable[[str, Any], str]) -> None:
    """``add(path, message, hint, code=...)`` each problem of ``w.schedules``; ``did_you_mean`` is
    the validator's own suggestion."""
    seen: set[str] = set()
    form = {f.name: f for f in w.states[initial].form} if initial in w.states else None
    for j, schedule in enumerate(w.schedules):
        path = ("schedules", j)
        if schedule.id in seen:
            add((*path, "id"), f"schedule {schedule.id!r} is declared twice", "give each schedule its own id",
                code="duplicate_schedule")
        seen.add(schedule.id)
        for k, kind in enumerate(schedule.units):
            if kind.strip().lower() not in KIND_WORDS and kind.strip() not in KIND_WORDS:
                add((*path, "units", k), f"schedule {schedule.id!r}: unknown kind of unit {kind!r}",
                    f"{did_you_mean(kind, KINDS)}use one of " + ", ".join(repr(n) for n in KINDS), code="schedule_units")
        if form is None:
            continue  # no first step: reported elsewhere
        for name, value in schedule.data.items():
            spec = form.get(name)
            if spec is None:
                add((*path, "data", name), f"schedule {schedule.id!r}: {name!r} is not a field of the first "
                                           f"step's form ({initial!r})",
                    f"{did_you_mean(name, form)}use one of " + ", ".join(repr(n) for n in form) if form
                    else "add the field to the first step's form", key=True, code="schedule_data")
                continue
            wrong = _wrong_value(spec, value)
            if wrong:
                add((*path, "data", name), f"schedule {schedule.id!r}: {name!r} is a field of type {spec.type!r}; "
                                           f"{value!r} cannot be its value",
                    f"write {wrong}", code="schedule_data")
