"""The runtime: one cached Machine per workflow version; cases are rows.

Names are imported lazily, so ``yishi.engine.types`` can be used by plugins and by the
storage layer without importing the whole engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_FROM_ENGINE = ("Engine", "TickResult", "VerifyReport", "default_url")
_FROM_TYPES = ("SYSTEM", "Actor", "Available", "Case", "CaseFilter", "Event", "FireResult", "Link",
               "Notification", "TimerRow", "Verdict")

__all__ = [
    "Engine", "TickResult", "VerifyReport", "default_url",
    "SYSTEM", "Actor", "Available", "Case", "CaseFilter", "Event", "FireResult", "Link",
    "Notification", "TimerRow", "Verdict",
]

if TYPE_CHECKING:
    from yishi.engine.engine import Engine, TickResult, VerifyReport, default_url
    from yishi.engine.types import (
        SYSTEM, Actor, Available, Case, CaseFilter, Event, FireResult, Link, Notification,
        TimerRow, Verdict,
    )


def __getattr__(name: str) -> Any:
    if name in _FROM_ENGINE:
        return getattr(import_module("yishi.engine.engine"), name)
    if name in _FROM_TYPES:
        return getattr(import_module("yishi.engine.types"), name)
    raise AttributeError(f"module 'yishi.engine' has no attribute {name!r}")
