"""Report periods: an ISO week (``2026-W48``) or a calendar month (``2026-11``), in UTC.

A period is the half-open interval ``[start, end)`` of UTC instants, so an event at
Monday 00:00 belongs to the week it opens and never to two weeks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from patrol.errors import PatrolError

__all__ = ["Period", "month_period", "week_period"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    label: str  # "2026-W48", "2026-11"
    kind: str  # "week" | "month"
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def previous(self) -> Period:
        if self.kind == "week":
            year, week, _ = (self.start - timedelta(days=7)).isocalendar()
            return week_period(f"{year}-W{week:02d}")
        before = self.start - timedelta(days=1)
        return month_period(f"{before.year}-{before.month:02d}")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def week_period(text: str | None = None, today: date | None = None) -> Period:
    """The ISO week ``YYYY-Www`` (default: the current week)."""
    if text is None:
        year, week, _ = (today or datetime.now(UTC).date()).isocalendar()
        text = f"{year}-W{week:02d}"
    match = _WEEK.match(text.strip())
    if match is None:
        raise PatrolError(f"bad week {text!r}: expected YYYY-Www, e.g. 2026-W48")
    year, week = int(match[1]), int(match[2])
    _check_year(year, text)
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar()[1]
        raise PatrolError(f"no week {text}: {year} has weeks W01 to W{weeks:02d}") from None
    start = _midnight(monday)
    return Period(f"{year}-W{week:02d}", "week", start, start + timedelta(days=7))


def month_period(text: str | None = None, today: date | None = None) -> Period:
    """The calendar month ``YYYY-MM`` (default: the current month)."""
    if text is None:
        day = today or datetime.now(UTC).date()
        text = f"{day.year}-{day.month:02d}"
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise PatrolError(f"bad month {text!r}: expected YYYY-MM, e.g. 2026-11")
    year, month = int(match[1]), int(match[2])
    _check_year(year, text)
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return Period(f"{year}-{month:02d}", "month", start, end)


#: the years a report may be of: before the first patrol, or so far on that the period
#: after it cannot be written as a date (9999-W52), is a typing slip
_YEARS = range(1970, 3000)


def _check_year(year: int, text: str) -> None:
    if year not in _YEARS:
        raise PatrolError(f"no period {text}: the year must be {_YEARS[0]} to {_YEARS[-1]}")
