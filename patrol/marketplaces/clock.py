"""A simulated 24-hour clock shared by a marketplace's request handlers.

Patrols are about time: listings appear and vanish over a day. The clock can stand still
at an hour (``--hour``), run ``speed`` times faster than real time (``--speed``), and be
set by tests; every reading is ``0 <= hour < 24``.
"""

from __future__ import annotations

import threading
import time

__all__ = ["SimClock"]


class SimClock:
    """Simulated hour of day; thread-safe, since tests set it from another thread."""

    def __init__(self, hour: float = 12.0, speed: float | None = None) -> None:
        if not 0 <= hour < 24:
            raise ValueError(f"the hour must be in [0, 24), not {hour}")
        if speed is not None and speed < 0:
            raise ValueError(f"the clock speed must be 0 or more, not {speed}")
        self._lock = threading.Lock()
        self._speed = speed or 0.0
        self._anchor_hour = float(hour)
        self._anchor_time = time.monotonic()

    @property
    def hour(self) -> float:
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_time) * self._speed / 3600.0
            return (self._anchor_hour + elapsed) % 24.0

    @property
    def speed(self) -> float:
        return self._speed

    def set_hour(self, hour: float) -> None:
        if not 0 <= hour < 24:
            raise ValueError(f"the hour must be in [0, 24), not {hour}")
        with self._lock:
            self._anchor_hour = float(hour)
            self._anchor_time = time.monotonic()

    def set_speed(self, speed: float | None) -> None:
        current = self.hour
        with self._lock:
            self._speed = speed or 0.0
            self._anchor_hour = current
            self._anchor_time = time.monotonic()
