"""`patrol demo`: the fixture marketplaces, a full patrol, and the leads it found."""

from __future__ import annotations

import click

from patrol.errors import PatrolError


@click.command(name="demo")
def demo_command() -> None:
    """Serve the fixture marketplaces, patrol them and print the leads found."""
    raise PatrolError("patrol demo is not built yet")
