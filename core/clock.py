"""Moved to ``yishi.time.clock``; this name keeps working for plugins and older code."""

from yishi.time.clock import Clock, FixedClock, SystemClock, as_utc  # noqa: F401

__all__ = ["Clock", "FixedClock", "SystemClock", "as_utc"]
