"""Dates people type: a day (``YYYY-MM-DD``) and a deadline, for the CLI and the console.

Kept outside :mod:`patrol.cli` so the web console reads a deadline exactly as
``patrol cases key --due`` does, with the same one-line :class:`PatrolError` for a bad one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from patrol.errors import PatrolError

__all__ = ["parse_date", "parse_due"]


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PatrolError(f"bad {what} {text!r}: expected YYYY-MM-DD") from None


def parse_due(text: str, now: datetime | None = None) -> datetime:
    """A deadline: ``YYYY-MM-DD`` (end of that day, UTC) or an ISO date and time.

    A deadline in the past is refused: it is almost always a typo. So is one that cannot
    be stored: deadlines are kept in UTC, and one late on 9999-12-31 with a negative offset
    falls in year 10000, which no datetime holds.
    """
    try:
        if len(text) == 10:
            due = datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
        else:
            due = datetime.fromisoformat(text)
            if due.tzinfo is None:
                due = due.replace(tzinfo=UTC)
    except ValueError:
        raise PatrolError(
            f"bad due date {text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    try:
        due.astimezone(UTC)
    except OverflowError:
        raise PatrolError(
            f"bad due date {text!r}: it must be before the year 10000 (UTC)"
        ) from None
    if due < (now or datetime.now(UTC)):
        raise PatrolError(f"due date {text} is in the past")
    return due
