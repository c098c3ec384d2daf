"""`patrol rules`: The rulebook: lint, explain, test and replay detection rules."""

from __future__ import annotations

import click


@click.group(name="rules")
def group() -> None:
    """The rulebook: lint, explain, test and replay detection rules."""
