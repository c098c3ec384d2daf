"""replay"""

from __future__ import annotations

import click


@click.command(name="replay")
def replay_command() -> None:
    """TODO"""
