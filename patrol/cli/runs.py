"""`patrol runs`: past patrol runs, with a warning on runs that look wrong.

A run is marked when it was blocked or failed, or when it found far fewer listings than
the previous run of the same site and kind (less than half): the usual signs that a site
changed its layout, started blocking, or the patrol broke.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from patrol.cli._common import format_when, parse_date, session_scope

if TYPE_CHECKING:
    from patrol.db.models import PatrolRun

__all__ = ["run_warnings", "runs_command"]

#: a run with fewer than this share of the previous run's listings is marked
DROP_RATIO = 0.5


def _kind(run: PatrolRun) -> str:
    return "recheck" if run.spider in ("listing_urls", "schedule:recheck") else "patrol"


def run_warnings(runs: list[PatrolRun]) -> dict[int, str]:
    """Run id → why it is marked; ``runs`` in any order, compared per site and kind."""
    warnings: dict[int, str] = {}
    previous: dict[tuple[str, str], PatrolRun] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        key = (run.site, _kind(run))
        if run.status in ("blocked", "failed"):
            warnings[run.id] = run.status
        elif run.status != "running":
            before = previous.get(key)
            if (
                before is not None
                and before.listings
                and run.listings < before.listings * DROP_RATIO
            ):
                warnings[run.id] = f"{run.listings} listings, previous run {before.listings}"
        if run.status not in ("running", "failed"):
            previous[key] = run
    return warnings


def _stat(run: PatrolRun, key: str) -> int:
    value = (run.stats or {}).get(f"patrol/{key}", 0)
    return int(value) if isinstance(value, int | float) else 0


@click.command(name="runs")
@click.option("--site", help="Only runs of this site.")
@click.option("--since", help="Only runs started on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def runs_command(site: str | None, since: str | None, limit: int) -> None:
    """List past patrol runs, newest first, marking blocked, failed and shrunken runs."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from sqlalchemy import select

    from patrol.db.models import PatrolRun

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
        duration = (
            f"{(run.finished_at - run.started_at).total_seconds():.0f}s" if run.finished_at else "…"
        )
        warning = warnings.get(run.id)
        style = "red" if warning else ""
        table.add_row(
            str(run.id),
            escape(run.site),
            _kind(run),
            format_when(run.started_at),
            duration,
            run.status,
            str(run.pages),
            str(run.listings),
            str(_stat(run, "listings_new")),
            str(_stat(run, "listings_changed")),
            str(_stat(run, "listings_gone")),
            str(_stat(run, "flagged")),
            str(run.errors),
            str(_stat(run, "blocked_pages")),
            f"⚠ {escape(warning)}" if warning else "",
            style=style,
        )
    Console(highlight=False).print(table)
