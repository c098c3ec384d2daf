"""`patrol crawl SITE`: run one patrol of one marketplace, in this process."""

from __future__ import annotations

import json
from pathlib import Path

import click

from patrol.cli._common import patrol_run_options

__all__ = ["crawl_command"]


@click.command(name="crawl")
@click.argument("site")
@click.option("--base-url", help="Patrol the site at this address instead of the profile's.")
@click.option(
    "--job-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Make the patrol resumable: a patrol killed and started again with the same "
    "folder continues where it stopped.",
)
@patrol_run_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for this patrol, sharing its frontier in Redis (PATROL_REDIS_URL).",
)
def crawl_command(
    site: str,
    base_url: str | None,
    job_dir: Path | None,
    log_level: str,
    overrides: tuple[str, ...],
    as_json: bool,
    workers: int,
) -> None:
    """Run one patrol of SITE (a profile in spiders/sites/) and print a summary.

    The exit status is 0 for a patrol that finished, 1 for one that was blocked or stopped
    early, 2 for a usage error (unknown site, broken profile, bad base URL).
    """
    from patrol.crawl.profile import load_profile
    from patrol.crawl.runner import run_patrol
    from patrol.distributed.launch import distributed_patrol, parse_overrides, summary_dict

    load_profile(site, base_url=base_url)  # a bad site, profile or URL: one line, exit 2
    settings = parse_overrides(overrides)
    settings["LOG_LEVEL"] = log_level.upper()
    summary = distributed_patrol(site, workers, base_url, job_dir, settings) or run_patrol(
        site, base_url=base_url, job_dir=job_dir, settings=settings
    )
    if as_json:
        click.echo(json.dumps(summary_dict(summary), ensure_ascii=False))
    else:
        click.echo(summary.line())
    if summary.status != "finished":
        raise SystemExit(1)
