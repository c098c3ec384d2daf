"""The schedule's clock: real time, or simulated time running ``speed`` times faster.

A simulated day lets a test (or a demo) watch a whole 24-hour schedule — intervals,
quiet hours, coalesced runs — in seconds; the runs themselves still take real time, which
is exactly what makes overlaps and missed slots happen as they would in production.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["ScheduleClock"]


class ScheduleClock:
    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.start = start or datetime.now(UTC)
        self.speed = speed
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._real_start) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def real_seconds(self, span: timedelta) -> float:
        """How long ``span`` of schedule time lasts in real seconds."""
        return max(span.total_seconds() / self.speed, 0.0)
