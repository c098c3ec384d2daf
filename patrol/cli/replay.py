"""`patrol rules replay`: what a changed rulebook would do to stored listings and leads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patrol.cli._common import parse_date

if TYPE_CHECKING:
    from patrol.replay import ReplayChange

__all__ = ["replay_command"]

_SHOWN = 30


@click.command(name="replay")
@click.option(
    "--rules",
    type=click.Path(exists=True, path_type=Path),
    help="The rulebook to replay (default: PATROL_RULES or the project's rules/).",
)
@click.option("--since", help="Only listings seen on or after this date (YYYY-MM-DD).")
@click.option("--apply", "do_apply", is_flag=True, help="Write the changes (default: only show).")
def replay_command(rules: Path | None, since: str | None, do_apply: bool) -> None:
    """Re-screen stored listings with a rulebook and show which leads would change.

    Nothing is written without --apply. With it, new leads are filed, open leads nobody
    has worked on that no longer flag are dismissed, leads being worked on get a note,
    and changed scores are updated — all logged with actor `replay`.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from patrol.db import open_database, registry_snapshot
    from patrol.replay import apply_replay, count_listings, plan_replay
    from patrol.screening import load_rulebook

    start = None
    if since:
        day = parse_date(since, "--since date")
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    console = Console(highlight=False)
    database = open_database()
    try:
        with database.sessions() as session:
            rulebook = load_rulebook(rules, registry=registry_snapshot(session))
            total = count_listings(session, start)
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("screening", total=total)
                plan = plan_replay(
                    session,
                    rulebook,
                    since=start,
                    advance=lambda n: progress.advance(task, n),
                )
        console.print(
            f"rulebook {plan.rulebook_version} (threshold {plan.threshold:g}): "
            f"{plan.screened} listing(s) screened"
        )
        _print_changes(console, "would be filed as new leads", plan.create, show_lead=False)
        _print_changes(console, "open leads would no longer flag", plan.unflag, show_lead=True)
        console.print(
            f"{len(plan.rescore)} open lead(s) would change score; "
            f"{plan.kept_dismissed} flagged listing(s) stay dismissed"
        )
        if not do_apply:
            console.print("nothing written: run again with --apply to make it so")
            return
        with database.sessions.begin() as session:
            counts = apply_replay(session, plan)
        console.print(
            f"applied: {counts['created']} lead(s) filed, {counts['dismissed']} dismissed, "
            f"{counts['noted']} noted for their officer, {counts['rescored']} rescored"
        )
    finally:
        database.dispose()


def _print_changes(
    console: object, title: str, changes: list[ReplayChange], *, show_lead: bool
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    assert isinstance(console, Console)
    console.print(f"[bold]{len(changes)} {title}[/bold]")
    if not changes:
        return
    table = Table(box=None)
    headers = ["lead", "status", "action"] if show_lead else []
    for header in (*headers, "site", "listing", "score", "rules", "title"):
        table.add_column(header)
    for change in changes[:_SHOWN]:
        old = f"{change.old_score:.2f}" if change.old_score is not None else "-"
        lead = [str(change.lead_id), str(change.lead_status), change.action] if show_lead else []
        table.add_row(
            *lead,
            change.marketplace,
            escape(change.listing_id),
            f"{old} → {change.verdict.score:.2f}",
            escape(", ".join(change.verdict.rule_ids)),
            escape((change.title or "")[:50]),
        )
    console.print(table)
    if len(changes) > _SHOWN:
        console.print(f"… and {len(changes) - _SHOWN} more")
