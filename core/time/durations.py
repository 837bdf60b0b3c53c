"""Parse and format durations written as ``7d``, ``36h``, ``90m``, ``1d12h`` or ISO 8601 ``P7D``."""

from __future__ import annotations

import math
import re
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


def add_duration(start: datetime, text: str | int | float | timedelta, *, calendar: Any = None) -> datetime:
    """The moment ``text`` after ``start``."""
    return start + parse_duration(text)


def parse_span(text: str | int | float | timedelta) -> Any:
    """Check that ``text`` is a duration (fixed, or in calendar units); raises ``ValueError``."""
    return parse_duration(text)
