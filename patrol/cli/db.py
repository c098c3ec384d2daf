"""`patrol db`: The database: create and upgrade its schema."""

from __future__ import annotations

import click


@click.group(name="db")
def group() -> None:
    """The database: create and upgrade its schema."""


@group.command(name="upgrade")
@click.option("--url", help="Database URL (default: PATROL_DATABASE_URL or var/patrol.db).")
def upgrade_command(url: str | None) -> None:
    """Create the schema, or apply the migrations it lacks (existing data is kept).

    The default database's var/ folder is made if missing; the folder of a SQLite file
    named by --url or PATROL_DATABASE_URL must exist (a typo is reported, not created).
    """
    import os

    from patrol.config import database_url
    from patrol.db import upgrade_database
    from patrol.db.engine import display_url

    given = url or os.environ.get("PATROL_DATABASE_URL")
    revision = upgrade_database(url, make_folder=not given)
    click.echo(f"database {display_url(url or database_url())} is at schema revision {revision}")


@group.command(name="status")
@click.option("--url", help="Database URL (default: PATROL_DATABASE_URL or var/patrol.db).")
def status_command(url: str | None) -> None:
    """Say which database is used and whether its schema is current; count its rows."""
    from sqlalchemy import func, select

    from patrol.db import open_database
    from patrol.db.engine import database_errors, display_url
    from patrol.db.models import Lead, ListingRow, PatentRow, PatrolRun, TrademarkRow

    database = open_database(url)
    try:
        with database_errors(database.url), database.read_sessions() as session:
            click.echo(f"database {display_url(database.url)}: schema current")
            for label, model in (
                ("listings", ListingRow),
                ("leads", Lead),
                ("patrol runs", PatrolRun),
                ("trademarks", TrademarkRow),
                ("patents", PatentRow),
            ):
                count = session.scalar(select(func.count()).select_from(model))
                click.echo(f"  {label}: {count}")
    finally:
        database.dispose()
