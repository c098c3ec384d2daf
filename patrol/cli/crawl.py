"""`patrol crawl SITE`: run one patrol of one marketplace."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="crawl")
@click.argument("site")
def crawl_command(site: str) -> None:
    """Run one patrol of SITE."""
    raise PatrolError("patrol crawl is not built yet")
