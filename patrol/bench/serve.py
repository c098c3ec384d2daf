"""`patrol bench serve`."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="serve")
def bench_serve() -> None:
    """Not built yet."""
    raise PatrolError("patrol bench serve is not built yet")
