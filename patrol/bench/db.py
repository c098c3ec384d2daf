"""`patrol bench db`."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="db")
def bench_db() -> None:
    """Not built yet."""
    raise PatrolError("patrol bench db is not built yet")
