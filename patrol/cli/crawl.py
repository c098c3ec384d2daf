"""`patrol crawl SITE`: run one patrol of one marketplace, in this process."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="WARNING",
    show_default=True,
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy setting for this patrol (repeatable), as `scrapy crawl -s`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
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
    from patrol.errors import PatrolError

    load_profile(site, base_url=base_url)  # a bad site, profile or URL: one line, exit 2
    settings: dict[str, str] = {"LOG_LEVEL": log_level.upper()}
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise PatrolError(f"--set expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    from patrol.distributed.launch import distributed_patrol

    summary = distributed_patrol(site, workers, base_url, job_dir, settings) or run_patrol(
        site, base_url=base_url, job_dir=job_dir, settings=settings
    )
    if as_json:
        data = {k: v for k, v in summary.__dict__.items() if k != "stats"}
        data["stats"] = {
            key: value if isinstance(value, int | float | str | bool) else str(value)
            for key, value in summary.stats.items()
        }
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(summary.line())
    if summary.status != "finished":
        raise SystemExit(1)
