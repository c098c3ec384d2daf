"""`patrol runs`: past patrol runs, with a warning on runs that look wrong.

Which runs are marked, and why, is decided in :mod:`patrol.runhealth` (the console's
patrol-health page marks the same ones).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from patrol.cli._common import LIMIT, format_when, parse_date, session_scope

__all__ = ["runs_command"]


@click.command(name="runs")
@click.option("--site", help="Only runs of this site.")
@click.option("--since", help="Only runs started on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=LIMIT, default=50, show_default=True)
def runs_command(site: str | None, since: str | None, limit: int) -> None:
    """List past patrol runs, newest first, marking blocked, failed and shrunken runs."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from sqlalchemy import select

    from patrol.db.models import PatrolRun
    from patrol.runhealth import run_kind, run_seconds, run_stat, run_warnings

    start = None
    if since:
        day = parse_date(since, "--since date")
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    with session_scope() as session:
        statement = select(PatrolRun)
        if site:
            statement = statement.where(PatrolRun.site == site)
        # one run before --since, so the first listed run has something to compare with
        runs = list(session.scalars(statement.order_by(PatrolRun.started_at, PatrolRun.id)))
    warnings = run_warnings(runs)
    shown = [run for run in runs if start is None or run.started_at >= start][::-1][:limit]
    table = Table(title=f"{len(shown)} run(s)", title_justify="left")
    columns = ("id", "site", "kind", "started (UTC)", "duration", "status", "pages", "listings",
               "new", "changed", "gone", "flags", "errors", "blocks", "warning")  # fmt: skip
    for header in columns:
        table.add_column(header, justify="right" if header in columns[6:14] else "left")
    for run in shown:
        seconds = run_seconds(run)
        duration = f"{seconds:.0f}s" if seconds is not None else "…"
        warning = warnings.get(run.id)
        style = "red" if warning else ""
        table.add_row(
            str(run.id),
            escape(run.site),
            run_kind(run),
            format_when(run.started_at),
            duration,
            run.status,
            str(run.pages),
            str(run.listings),
            str(run_stat(run, "listings_new")),
            str(run_stat(run, "listings_changed")),
            str(run_stat(run, "listings_gone")),
            str(run_stat(run, "flagged")),
            str(run.errors),
            str(run_stat(run, "blocked_pages")),
            f"⚠ {escape(warning)}" if warning else "",
            style=style,
        )
    Console(highlight=False).print(table)
