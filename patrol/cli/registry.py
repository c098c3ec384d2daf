"""`patrol registry`: The trademark and patent registries: import and search."""

from __future__ import annotations

import click


@click.group(name="registry")
def group() -> None:
    """The trademark and patent registries: import and search."""
