"""Options and helpers shared by the lead, case, export, report and schedule commands.

Kept here so every command spells an option the same way (``--actor``, ``--due``,
``--site``) and reports a bad value with the same one-line :class:`PatrolError`.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from patrol.dates import parse_date, parse_due
from patrol.errors import PatrolError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "actor_option",
    "default_actor",
    "format_when",
    "lead_filter_options",
    "parse_date",
    "parse_due",
    "parse_duration",
    "session_scope",
]

F = TypeVar("F", bound=Callable[..., Any])

_LEAD_FILTER_PARAMS = (
    "statuses",
    "site",
    "shop",
    "assignee",
    "overdue",
    "min_score",
    "case_id",
    "limit",
)
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def default_actor() -> str:
    """Who is at the terminal: ``$USER``, else the login name, else ``cli``."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = None
    return name or "cli"


def actor_option(function: F) -> F:
    return click.option(
        "--actor",
        default=default_actor,
        show_default="$USER or cli",
        help="Who makes this change (recorded in the lead's history).",
    )(function)


def patrol_run_options(function: F) -> F:
    """``--log-level``, ``-s NAME=VALUE`` and ``--json``, as ``patrol crawl`` and ``patrol worker``
    take them."""
    for option in reversed(
        (
            click.option(
                "--log-level",
                type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
                default="WARNING",
                show_default=True,
            ),
            click.option(
                "-s",
                "--set",
                "overrides",
                multiple=True,
                metavar="NAME=VALUE",
                help="A Scrapy setting for this run (repeatable), as `scrapy crawl -s`.",
            ),
            click.option(
                "--json", "as_json", is_flag=True, help="Print the summary as one JSON object."
            ),
        )
    ):
        function = option(function)
    return function


def lead_filter_options(*, default_limit: int | None = None) -> Callable[[F], F]:
    """The filters of ``patrol leads list`` (also taken by ``patrol export leads``).

    The command receives them as one ``lead_filter: LeadFilter`` argument.
    """
    from patrol.leads.workflow import LEAD_STATUSES

    options = [
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(LEAD_STATUSES),
            help="Only leads in this status (repeatable).",
        ),
        click.option("--site", help="Only leads of this marketplace (e.g. taoji)."),
        click.option("--shop", help="Only leads of this shop (shop id or name)."),
        click.option("--assignee", help="Only leads assigned to this person."),
        click.option("--overdue", is_flag=True, help="Only open leads past their deadline."),
        click.option("--min-score", type=float, help="Only leads scoring at least this."),
        click.option("--case", "case_id", type=int, help="Only leads of this case."),
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            default=default_limit,
            show_default=default_limit is not None,
            help="At most this many leads.",
        ),
    ]

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def command(**kwargs: Any) -> Any:
            from patrol.leads.query import LeadFilter

            filters = {name: kwargs.pop(name) for name in _LEAD_FILTER_PARAMS}
            return function(lead_filter=LeadFilter(**filters), **kwargs)

        decorated: Any = command
        for option in reversed(options):
            decorated = option(decorated)
        return cast(F, decorated)

    return decorate


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """``90s``, ``30m``, ``2h``, ``1h30m``, ``1d``: a positive duration."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise PatrolError(f"bad {what} {text!r}: use e.g. 90s, 30m, 2h, 1h30m, 1d")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise PatrolError(f"bad {what} {text!r}: it must be longer than zero")
    return value


def format_when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """A session of the configured database; with ``write`` it commits on success."""
    from patrol.db import open_database

    database = open_database()
    try:
        if write:
            with database.sessions.begin() as session:
                yield session
        else:
            with database.sessions() as session:
                yield session
    finally:
        database.dispose()
