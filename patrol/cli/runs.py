"""runs"""

from __future__ import annotations

import click


@click.command(name="runs")
def runs_command() -> None:
    """TODO"""
