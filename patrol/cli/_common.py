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

from patrol.config import LARGEST_ID
from patrol.dates import parse_date, parse_due
from patrol.errors import PatrolError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "ID",
    "LIMIT",
    "Text",
    "actor_option",
    "default_actor",
    "format_when",
    "lead_filter_options",
    "parse_date",
    "parse_due",
    "parse_duration",
    "session_scope",
    "text_only_utf8",
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

#: a lead, case or run id as typed: 1 … the largest id a row can have
ID = click.IntRange(1, LARGEST_ID)
#: ``--limit``: at most as many rows as there can be ids
LIMIT = click.IntRange(1, LARGEST_ID)
#: the longest ``--for``: a century (a schedule clock must stay within year 9999)
MAX_DURATION = timedelta(days=36525)


class Text(click.ParamType):
    """Plain text that the database can store: UTF-8.

    On Linux an argument that is not valid UTF-8 arrives with its bytes smuggled in as
    lone surrogates; the drivers refuse to encode those, deep inside a query. Refused
    here instead, with click's usage error naming the option.
    """

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        value = click.STRING.convert(value, param, ctx)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(f"{value!r} is not valid UTF-8 text", param, ctx)
        return value


def text_only_utf8(command: click.Command) -> None:
    """Make every plain-text option and argument of ``command`` (and its subcommands) a
    :class:`Text`; paths (``click.Path``) are left alone, as a file name may be any bytes."""
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = Text()
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            text_only_utf8(subcommand)


def default_actor() -> str:
    """Who is at the terminal: ``$USER``, else the login name, else ``cli``."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = None
    if name:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise PatrolError(
                f"your user name {name!r} ($USER) is not valid UTF-8: give --actor NAME"
            ) from None
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
        click.option("--case", "case_id", type=ID, help="Only leads of this case."),
        click.option(
            "--limit",
            type=LIMIT,
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
    try:
        value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        value = MAX_DURATION * 2  # past any datetime: refused just below
    if value <= timedelta(0):
        raise PatrolError(f"bad {what} {text!r}: it must be longer than zero")
    if value > MAX_DURATION:
        raise PatrolError(f"bad {what} {text!r}: at most {MAX_DURATION.days}d")
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
