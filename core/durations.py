"""Moved to ``yishi.time.durations``; this name keeps working for plugins and older code."""

from yishi.time.durations import *  # noqa: F401,F403
from yishi.time.durations import HINT, format_duration, parse_duration  # noqa: F401
