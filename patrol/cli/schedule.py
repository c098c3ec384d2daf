"""`patrol schedule`: run the 24-hour patrol schedule, or show what runs next."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from patrol.cli._common import Number

__all__ = ["group"]


def _default_config() -> Path:
    from patrol import config

    local = config.home() / "schedule.yaml"
    return local if local.is_file() else config.PROJECT_ROOT / "schedule.yaml"


#: the schedule clock, a ``--for`` (at most a century) and the jobs' next runs all stay
#: well within year 9999, the last a datetime can hold
_LAST_START_YEAR = 9000

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The schedule file (default: schedule.yaml in PATROL_HOME, else the project's).",
)


@click.group(name="schedule")
def group() -> None:
    """The 24-hour patrol schedule: each site on its interval, plus takedown rechecks."""


@group.command(name="run")
@_config_option
@click.option("--for", "duration", help="Stop after this much schedule time (e.g. 24h).")
@click.option(
    "--speed",
    type=Number(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Run the schedule clock this many times faster than real time (simulation).",
)
@click.option("--start", "start_at", help="Schedule clock start, ISO time (UTC; default now).")
@click.option("--json", "as_json", is_flag=True, help="At the end, print the runs as JSON.")
def run_command(
    config_path: Path | None,
    duration: str | None,
    speed: float,
    start_at: str | None,
    as_json: bool,
) -> None:
    """Run the schedule until --for has passed, or until SIGINT/SIGTERM.

    Each run is its own process (`patrol crawl SITE`, `patrol leads recheck`), never two
    of one site at once; slots missed while a site is busy are coalesced into one run; a
    run that fails is recorded as failed in `patrol runs` and the schedule goes on.
    """
    from rich.console import Console
    from rich.markup import escape

    from patrol import config
    from patrol.cli._common import parse_duration
    from patrol.db import open_database
    from patrol.errors import PatrolError
    from patrol.schedule import load_schedule
    from patrol.schedule.clock import ScheduleClock
    from patrol.schedule.record import last_started_runs, record_failed_run
    from patrol.schedule.runner import RunRecord, ScheduleRunner

    schedule = load_schedule(config_path or _default_config())
    span = parse_duration(duration, "--for") if duration else None
    start = None
    if start_at:
        try:
            start = datetime.fromisoformat(start_at)
        except ValueError:
            raise PatrolError(f"bad --start {start_at!r}: expected YYYY-MM-DDTHH:MM") from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        try:
            year = start.astimezone(UTC).year
        except OverflowError:
            year = 1  # 0001-01-01 with a positive offset: before year 1 in UTC
        if not 1 < year <= _LAST_START_YEAR:
            raise PatrolError(
                f"bad --start {start_at!r}: the year must be from 2 to {_LAST_START_YEAR}"
            )
    open_database().dispose()  # no database: say so now, not at the first failure
    simulated = speed != 1.0 or start is not None
    clock = ScheduleClock(start, speed)
    console = Console(stderr=as_json, highlight=False)

    def on_event(kind: str, record: RunRecord | None, message: str) -> None:
        style = {"start": "cyan", "end": "green", "quiet": "dim"}[kind]
        if kind == "end" and record is not None and record.returncode:
            style = "red"
        text = escape(message)
        console.print(f"[dim]{clock.now():%m-%d %H:%M}[/dim] [{style}]{text}[/{style}]")

    runner = ScheduleRunner(
        schedule,
        clock,
        log_dir=config.var_dir() / "logs" / "schedule",
        record_failure=record_failed_run,
        on_event=on_event,
        last_started=None if simulated else last_started_runs(),
    )
    runner.install_signal_handlers()
    until = clock.start + span if span else None
    console.print(
        f"schedule {schedule.source}: {len(schedule.jobs)} job(s) for "
        f"{', '.join(schedule.sites)}"
        + (f", speed ×{speed:g}" if speed != 1.0 else "")
        + (f", for {duration}" if duration else "")
    )
    records = runner.run(until)
    _print_summary(console, runner.summary(), runner.stop_reason)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "stopped": runner.stop_reason,
                    "runs": [record.to_dict() for record in records],
                    "jobs": runner.summary(),
                },
                ensure_ascii=False,
            )
        )


def _print_summary(console: object, rows: list[dict[str, object]], reason: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    assert isinstance(console, Console)
    table = Table(title=f"schedule stopped ({reason or 'done'})", title_justify="left")
    for header in ("site", "kind", "runs", "failed", "coalesced", "quiet skips"):
        table.add_column(header)
    for row in rows:
        table.add_row(
            str(row["site"]),
            str(row["kind"]),
            str(row["runs"]),
            str(row["failed"]),
            str(row["coalesced"]),
            str(row["quiet_skips"]),
        )
    console.print(table)


@group.command(name="show")
@_config_option
def show_command(config_path: Path | None) -> None:
    """List the schedule's jobs and when each runs next (from the last recorded runs)."""
    from rich.console import Console
    from rich.table import Table

    from patrol.cli._common import format_when
    from patrol.db.models import utcnow
    from patrol.schedule import load_schedule
    from patrol.schedule.record import last_started_runs
    from patrol.schedule.runner import first_due

    schedule = load_schedule(config_path or _default_config())
    last = last_started_runs()
    now = utcnow()
    rows = []
    for job in schedule.jobs:
        previous = last.get((job.site, job.kind))
        due = first_due(job, now, previous)
        quiet_end = job.quiet_until(due)
        rows.append((quiet_end or due, job, previous))
    table = Table(title=f"schedule {schedule.source}", title_justify="left")
    for header in ("next run (UTC)", "site", "kind", "every", "quiet hours", "last run", "command"):
        table.add_column(header)
    for due, job, previous in sorted(rows, key=lambda row: row[0]):
        table.add_row(
            "now" if due <= now else format_when(due),
            job.site,
            job.kind,
            _interval(job.every.total_seconds()),
            str(job.quiet or ""),
            format_when(previous) or "never",
            " ".join(job.argv),
        )
    Console(highlight=False).print(table)


def _interval(seconds: float) -> str:
    seconds = int(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)
