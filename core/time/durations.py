"""Parse and format durations: fixed spans written as ``7d``, ``36h``, ``90m``, ``1d12h`` or ISO 8601
``P7D``, and spans in the units the rules use, which need a calendar: calendar months ``1mo``
(ISO ``P1M``), working days ``3wd`` and working hours ``1wh`` (see ``yishi.time.calendar``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

HINT = "write e.g. '7d', '36h', '90m', '1d12h' or 'P7D'"
_SHORT = re.compile(r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_ISO = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Return the ``timedelta`` that ``text`` spells.

    Accepts ``7d``, ``36h``, ``90m``, ``45s``, ``2w``, combinations such as ``1d12h``,
    ISO 8601 durations such as ``P7D`` or ``PT36H``, and a bare number of seconds.

    Raises ``ValueError`` ("what is wrong; how to fix it") when the text is not a duration,
    is negative or is too long to represent.
    """
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration; {HINT}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ValueError(f"{text!r} is not a duration; {HINT}")
        if text < 0:
            raise ValueError(f"{text!r} is a negative duration; write 0 or more, e.g. '7d'")
        return _delta(text, seconds=text)
    raw = str(text).strip()
    for pattern in (_SHORT, _ISO):
        match = pattern.match(raw if pattern is _SHORT else raw.upper())
        if match and any(match.groupdict().values()):
            parts = {k: int(v or 0) for k, v in match.groupdict().items()}
            return _delta(text, weeks=parts["w"], days=parts["d"], hours=parts["h"],
                          minutes=parts["m"], seconds=parts["s"])
    raise ValueError(f"{text!r} is not a duration; {HINT}")


def _delta(text: object, **parts: float) -> timedelta:
    try:
        return timedelta(**parts)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration; "
                         "write at most a few years, e.g. '365d'") from None


def format_duration(delta: timedelta) -> str:
    """Return the short form of ``delta`` (``7d``, ``1d12h``, ``90m`` → ``1h30m``)."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + "".join(out)


_SPAN = re.compile(r"^(?P<n>\d+)\s*(?P<unit>mo|wd|wh|cd)$")
_ISO_MONTHS = re.compile(r"^P(?P<n>\d+)M$")
SPAN_HINT = ("write e.g. '7d', '36h', '1mo' (calendar months), '3wd' (working days), '1wh' (working hours) "
             "or '0cd' (to the end of the same day)")
SPAN_HINT_ZH = "例如 '7d'、'36h'、'1mo'（自然月）、'3wd'（工作日）、'1wh'（工作小时）或 '0cd'（当日24时前）"
_UNITS = {"mo": ("个月", "month"), "wd": ("个工作日", "working day"), "wh": ("个工作小时", "working hour"),
          "cd": ("日（至当日24时）", "day (to 24:00)")}


@dataclass(frozen=True)
class Span:
    """A span in calendar months (``mo``), working days (``wd``), working hours (``wh``) or whole
    days ending at 24:00 (``cd``; ``0cd`` is "the same day", Civil Code art. 201: the starting day
    is not counted): how long it lasts depends on where it starts, so it is added with
    ``add_duration``."""

    amount: int
    unit: str  # mo | wd | wh | cd

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def zh(self) -> str:
        if self.unit == "cd" and self.amount == 0:
            return "当日（24时前）"
        return f"{self.amount}{_UNITS[self.unit][0]}"

    def en(self) -> str:
        if self.unit == "cd" and self.amount == 0:
            return "the same day (by 24:00)"
        word = _UNITS[self.unit][1]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


def parse_span(text: str | int | float | timedelta | Span) -> timedelta | Span:
    """A fixed duration (``timedelta``, as ``parse_duration``) or a calendar ``Span``
    (``1mo``, ``P1M``, ``3wd``, ``1wh``). Raises ``ValueError`` naming what is accepted."""
    if isinstance(text, (Span, timedelta)):
        return text
    if isinstance(text, str):
        raw = text.strip()
        match = _SPAN.match(raw.lower()) or _ISO_MONTHS.match(raw.upper())
        if match:
            unit = match.groupdict().get("unit") or "mo"
            amount = int(match["n"])
            if amount > 10000:
                raise ValueError(f"{text!r} is too long a duration; write at most a few years")
            return Span(amount, unit)
    try:
        return parse_duration(text)
    except ValueError as exc:
        if "negative" in str(exc) or "too long" in str(exc):
            raise
        raise ValueError(f"{text!r} is not a duration; {SPAN_HINT}") from None


def add_duration(start: datetime, value: str | int | float | timedelta | Span, *, calendar: Any = None) -> datetime:
    """The moment ``value`` after ``start``: a fixed span is simply added; a month ends at the
    end of the corresponding day (Civil Code arts. 201–203), working days and hours count on
    ``calendar`` (a ``WorkCalendar``; default: China's, in Asia/Shanghai)."""
    span = parse_span(value)
    if isinstance(span, timedelta):
        return start + span
    if calendar is None:
        from yishi.time.calendar import WorkCalendar

        calendar = WorkCalendar()
    if span.unit == "mo":
        return calendar.add_months(start, span.amount)
    if span.unit == "wd":
        return calendar.add_working_days(start, span.amount)
    if span.unit == "cd":
        return calendar.end_of_day_after(start, span.amount)
    return calendar.add_working_hours(start, span.amount)


def describe(value: timedelta | Span | str, lang: str = "en") -> str:
    """``3wd`` → 3个工作日 / 3 working days; a fixed span in its short form (``7d``)."""
    span = parse_span(value)
    if isinstance(span, Span):
        return span.zh() if lang.startswith("zh") else span.en()
    return format_duration(span)
