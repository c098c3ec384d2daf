"""`patrol worker SITE`: one more worker for a site's distributed patrol.

Run it on any machine that reaches the patrol's Redis (``PATROL_REDIS_URL``) and database
(``PATROL_DATABASE_URL``): it joins the site's patrol in progress — or starts one if there
is none — takes requests from the shared frontier until it is drained, and exits.
``patrol crawl SITE --workers N`` starts N of them on this machine.
"""

from __future__ import annotations

import json

import click

from patrol.cli._common import patrol_run_options

__all__ = ["worker_command"]


@click.command(name="worker")
@click.argument("site")
@click.option("--patrol", "patrol_id", help="Join this patrol id (default: the site's current).")
@click.option("--base-url", help="Patrol the site at this address instead of the profile's.")
@patrol_run_options
def worker_command(
    site: str,
    patrol_id: str | None,
    base_url: str | None,
    log_level: str,
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """Serve SITE's distributed patrol until its frontier is drained (needs PATROL_REDIS_URL).

    The exit status is 0 when the patrol was drained, 1 when this worker stopped early
    (Redis lost, blocked, shut down), 2 for a usage error.
    """
    from patrol.crawl.profile import load_profile
    from patrol.crawl.runner import patrol_settings, run_patrol
    from patrol.distributed.config import DistributedConfig, redis_url
    from patrol.distributed.launch import parse_overrides, summary_dict
    from patrol.errors import PatrolError

    load_profile(site, base_url=base_url)
    settings = parse_overrides(overrides)
    settings["LOG_LEVEL"] = log_level.upper()
    if redis_url() is None and not settings.get("PATROL_REDIS_URL"):
        raise PatrolError("patrol worker needs PATROL_REDIS_URL: the Redis the workers share")
    if patrol_id:
        settings["PATROL_PATROL_ID"] = patrol_id
    DistributedConfig.from_settings(patrol_settings(settings))  # bad values: one line, now
    summary = run_patrol(site, base_url=base_url, settings=settings)
    if as_json:
        click.echo(json.dumps(summary_dict(summary), ensure_ascii=False))
    else:
        click.echo(summary.line())
    if summary.status != "finished":
        raise SystemExit(1)
