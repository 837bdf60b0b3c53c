"""Time in yishi: the clock, durations (calendar months, working days), the database's mode
(real, simulation, sandbox) and a simulation's stored clock, schedules."""

from yishi.time.clock import Clock, FixedClock, SystemClock, as_utc
from yishi.time.mode import MODES, REAL, SANDBOX, SIMULATION, TimeError

__all__ = ["Clock", "FixedClock", "MODES", "REAL", "SANDBOX", "SIMULATION", "SystemClock", "TimeError", "as_utc"]
