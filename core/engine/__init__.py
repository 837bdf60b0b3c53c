"""The runtime: one cached Machine per workflow version; cases are rows."""

from yishi.engine.engine import Engine, TickResult, VerifyReport, default_url
from yishi.engine.types import (
    SYSTEM, Actor, Available, Case, CaseFilter, Event, FireResult, Notification, TimerRow, Verdict,
)

__all__ = [
    "SYSTEM", "Actor", "Available", "Case", "CaseFilter", "Engine", "Event", "FireResult",
    "Notification", "TickResult", "TimerRow", "Verdict", "VerifyReport", "default_url",
]
