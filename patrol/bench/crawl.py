"""`patrol bench crawl`."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="crawl")
def bench_crawl() -> None:
    """Not built yet."""
    raise PatrolError("patrol bench crawl is not built yet")
