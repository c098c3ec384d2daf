"""`patrol db`: The database: create and upgrade its schema."""

from __future__ import annotations

import click


@click.group(name="db")
def group() -> None:
    """The database: create and upgrade its schema."""
