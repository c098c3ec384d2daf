"""Options and helpers shared by the lead, case, export, report and schedule commands.

Kept here so every command spells an option the same way (``--actor``, ``--due``,
``--site``) and reports a bad value with the same one-line :class:`PatrolError`.
Number options are :class:`Number` (NaN compares false with every bound, so a plain
``float`` or ``FloatRange`` lets ``--min-score nan`` through to filter out everything),
and an option given as an empty string is refused (:func:`no_empty_options`), where it
was silently the same as leaving the option out.
"""

from __future__ import annotations

import functools
import getpass
import math
import os
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
    "Number",
    "Text",
    "actor_option",
    "default_actor",
    "finite_numbers",
    "format_when",
    "lead_filter_options",
    "no_empty_options",
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
    "brand",
    "rule",
    "limit",
)

#: a lead, case or run id as typed: 1 … the largest id a row can have
ID = click.IntRange(1, LARGEST_ID)
#: ``--limit``: at most as many rows as there can be ids
LIMIT = click.IntRange(1, LARGEST_ID)
#: the longest ``--for``: a century (a schedule clock must stay within year 9999)
MAX_DURATION = timedelta(days=36525)


_EMPTY = "an empty value is not allowed: give a value, or leave the option out"


class Text(click.ParamType):
    """Plain text that the database can store: UTF-8; with ``empty=False``, not ``""``.

    On Linux an argument that is not valid UTF-8 arrives with its bytes smuggled in as
    lone surrogates; the drivers refuse to encode those, deep inside a query. Refused
    here instead, with click's usage error naming the option.
    """

    name = "text"

    def __init__(self, *, empty: bool = True) -> None:
        self.empty = empty

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        value = click.STRING.convert(value, param, ctx)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(f"{value!r} is not valid UTF-8 text", param, ctx)
        if not self.empty and value == "":
            self.fail(_EMPTY, param, ctx)
        return value


class FilledPath(click.Path):
    """A :class:`click.Path` that is not ``""`` (which would mean the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value == "":
            self.fail(_EMPTY, param, ctx)
        return super().convert(value, param, ctx)

    @classmethod
    def like(cls, path: click.Path) -> FilledPath:
        return cls(
            exists=path.exists,
            file_okay=path.file_okay,
            dir_okay=path.dir_okay,
            writable=path.writable,
            readable=path.readable,
            resolve_path=path.resolve_path,
            allow_dash=path.allow_dash,
            path_type=path.type,
            executable=path.executable,
        )


class Number(click.FloatRange):
    """A finite number (in a range, if given): ``nan``, ``inf`` and ``1e400`` are refused.

    NaN compares false with every bound, so ``click.FloatRange`` lets it through; and an
    infinite score, speed or hour means nothing to the code that receives it.
    """

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


def _all_params(command: click.Command) -> Iterator[click.Parameter]:
    """The parameters of ``command`` and of all its subcommands, at any depth."""
    yield from command.params
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            yield from _all_params(subcommand)


def text_only_utf8(command: click.Command) -> None:
    """Make every plain-text option and argument of ``command`` (and its subcommands) a
    :class:`Text`; paths (``click.Path``) are left alone, as a file name may be any bytes."""
    for param in _all_params(command):
        if type(param.type) is click.types.StringParamType:
            param.type = Text()


def finite_numbers(command: click.Command) -> None:
    """Make every ``float`` or ``FloatRange`` parameter of ``command`` (and its
    subcommands) a :class:`Number` of the same range, so that none takes NaN or infinity."""
    for param in _all_params(command):
        kind = param.type
        if isinstance(kind, Number):
            continue
        if isinstance(kind, click.FloatRange):
            param.type = Number(kind.min, kind.max, kind.min_open, kind.max_open, kind.clamp)
        elif isinstance(kind, click.types.FloatParamType):
            param.type = Number()


def no_empty_options(command: click.Command) -> None:
    """Refuse ``--option ""`` for every text and path option of ``command`` (and its
    subcommands) whose default is not itself empty: the commands read an empty value as
    "not given" (``--for ""`` ran the schedule forever, ``--rules ""`` read the current
    folder), so it is a usage error naming the option instead. Call after
    :func:`text_only_utf8`."""
    for param in _all_params(command):
        if not isinstance(param, click.Option) or param.is_flag or param.default == "":
            continue
        if isinstance(param.type, Text):
            param.type = Text(empty=False)
        elif type(param.type) is click.Path:
            param.type = FilledPath.like(param.type)


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
        click.option("--min-score", type=Number(), help="Only leads scoring at least this."),
        click.option("--case", "case_id", type=ID, help="Only leads of this case."),
        click.option(
            "--brand", help="Only leads whose current verdict has a hit on this brand id."
        ),
        click.option("--rule", help="Only leads whose current verdict has a hit of this rule id."),
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
    """``90s``, ``30m``, ``2h``, ``1h30m``, ``1d``: a positive duration of at most a century."""
    from patrol.schedule.config import interval_seconds

    seconds = interval_seconds(text)
    shown = repr(text) if len(text) <= 40 else repr(f"{text[:30]}…")
    if seconds is None:
        raise PatrolError(f"bad {what} {shown}: use e.g. 90s, 30m, 2h, 1h30m, 1d")
    if seconds <= 0:
        raise PatrolError(f"bad {what} {shown}: it must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise PatrolError(f"bad {what} {shown}: at most {MAX_DURATION.days}d")
    return timedelta(seconds=seconds)


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
