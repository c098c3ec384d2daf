"""The ``patrol`` command line (Click).

Each command group lives in its own module; heavy imports (Scrapy, SQLAlchemy, the
screening engine) happen inside the commands so that ``patrol --help`` stays instant.
User errors are raised as :class:`patrol.errors.PatrolError`: one line, exit status 2.
Every plain-text option and argument must be UTF-8 (see :class:`patrol.cli._common.Text`),
so bytes the database cannot store are refused as a usage error naming the option; and
no text or path option may be given as an empty string, nor a number option as NaN or
infinity (see :func:`patrol.cli._common.no_empty_options` and ``finite_numbers``).
"""

from __future__ import annotations

import click

from patrol import __version__
from patrol.cli import (
    bench,
    cases,
    crawl,
    db,
    demo,
    export,
    leads,
    marketplaces,
    registry,
    replay,
    report,
    rules,
    runs,
    schedule,
    web,
    worker,
)
from patrol.cli._common import finite_numbers, no_empty_options, text_only_utf8

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patrol")
def cli() -> None:
    """Listing Patrol: automated patrols of marketplaces for counterfeit listings."""


cli.add_command(marketplaces.group)
cli.add_command(rules.group)
cli.add_command(db.group)
cli.add_command(registry.group)
cli.add_command(bench.group)
cli.add_command(crawl.crawl_command)
cli.add_command(demo.demo_command)
cli.add_command(leads.group)
cli.add_command(cases.group)
cli.add_command(export.group)
cli.add_command(report.group)
cli.add_command(schedule.group)
cli.add_command(runs.runs_command)
cli.add_command(worker.worker_command)
cli.add_command(web.web_command)
cli.add_command(web.users_group)
rules.group.add_command(replay.replay_command)
text_only_utf8(cli)
no_empty_options(cli)
finite_numbers(cli)


def main() -> None:
    cli(prog_name="patrol")
