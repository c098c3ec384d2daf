"""The 24-hour patrol schedule: which site runs when, each run in its own process.

:mod:`patrol.schedule.config` reads and validates ``schedule.yaml``;
:mod:`patrol.schedule.clock` is the (optionally simulated, faster) clock;
:mod:`patrol.schedule.runner` starts runs as subprocesses, never two of one site at once,
coalesces missed runs and records crashed ones.
"""

from patrol.schedule.config import Job, QuietHours, ScheduleConfig, load_schedule

__all__ = ["Job", "QuietHours", "ScheduleConfig", "load_schedule"]
