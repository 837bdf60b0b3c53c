"""The clock the engine reads "now" from: UTC, timezone-aware, injectable."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Anything with a ``now()`` returning an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The system clock (freezegun controls it in tests)."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stays where it is set; ``set`` and ``advance`` move it."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, delta) -> None:  # noqa: ANN001 - timedelta
        self._at = self._at + delta


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; naive input is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
