"""`patrol marketplaces`: The fixture marketplaces: serve them, write their ground truth."""

from __future__ import annotations

import click


@click.group(name="marketplaces")
def group() -> None:
    """The fixture marketplaces: serve them, write their ground truth."""
