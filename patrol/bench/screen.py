"""`patrol bench screen`."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="screen")
def bench_screen() -> None:
    """Not built yet."""
    raise PatrolError("patrol bench screen is not built yet")
