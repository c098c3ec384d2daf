"""Starting the workers of a distributed patrol on this machine.

``patrol crawl SITE --workers N`` starts a patrol (or resumes the site's unfinished one
whose workers all died) and runs N workers for it, each ``patrol worker SITE --patrol ID``
in its own process: the Twisted reactor runs once per process, and a process per worker
uses every core. Workers on other machines join with ``patrol worker SITE``. The summary
adds up the workers' own summaries; the run record in the database is the patrol's one row.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from patrol.crawl.runner import PatrolSummary
from patrol.errors import PatrolError

__all__ = [
    "distributed_patrol",
    "parse_overrides",
    "prepare_patrol",
    "run_workers",
    "summary_dict",
]

logger = logging.getLogger(__name__)


def distributed_patrol(
    site: str,
    workers: int,
    base_url: str | None,
    job_dir: Path | None,
    settings: dict[str, str],
) -> PatrolSummary | None:
    """``patrol crawl``'s distributed path; None when the patrol is not distributed."""
    from patrol.crawl.runner import run_patrol
    from patrol.distributed.config import redis_url

    if redis_url() is None and not settings.get("PATROL_REDIS_URL"):
        if workers > 1:
            raise PatrolError(
                f"--workers {workers} needs PATROL_REDIS_URL: the Redis server the workers "
                "share their frontier through"
            )
        return None
    if job_dir is not None:
        raise PatrolError(
            "--job-dir is for a patrol in one process; a distributed patrol's frontier in "
            "Redis already survives a worker's death"
        )
    patrol_id, resumed = prepare_patrol(site, settings)
    if resumed:
        logger.warning("resuming the unfinished patrol %s of %s", patrol_id, site)
    if workers == 1:
        return run_patrol(
            site, base_url=base_url, settings={**settings, "PATROL_PATROL_ID": patrol_id}
        )
    log_level = settings.get("LOG_LEVEL", "WARNING")
    return run_workers(
        site, workers, patrol_id, base_url=base_url, log_level=log_level, settings=settings
    )


def prepare_patrol(site: str, settings: dict[str, Any]) -> tuple[str, bool]:
    """The patrol id the workers serve, and whether it resumes an unfinished patrol.

    Raises :class:`PatrolError` if Redis cannot be reached or a patrol of the site is
    already being served (add workers to it with ``patrol worker SITE`` instead).
    """
    import redis

    from patrol.crawl.runner import patrol_settings
    from patrol.distributed.config import DistributedConfig, hide_password, redis_params
    from patrol.distributed.frontier import Frontier, FrontierKeys, new_patrol_id

    config = DistributedConfig.from_settings(patrol_settings(settings))
    server = redis.Redis.from_url(config.redis_url, **redis_params())
    current_key = FrontierKeys.current(config.prefix, site)
    try:
        patrol_id = config.patrol_id or Frontier.current_patrol(server, config.prefix, site)
        if patrol_id is None:
            patrol_id = new_patrol_id()
            server.set(current_key, patrol_id)
            return patrol_id, False
        frontier = Frontier(
            server, FrontierKeys(config.prefix, site, patrol_id), "launcher",
            worker_timeout=config.worker_timeout,
        )  # fmt: skip
        alive = frontier.others_alive()
        if alive and config.patrol_id is None:
            raise PatrolError(
                f"a patrol of {site} is in progress (patrol {patrol_id}, {alive} live "
                f"worker(s)): add workers with `patrol worker {site}`"
            )
        if frontier.meta("final") is not None:  # finished: a new patrol
            patrol_id = new_patrol_id()
            server.set(current_key, patrol_id)
            return patrol_id, False
        server.set(current_key, patrol_id)
        return patrol_id, frontier.meta("seed_owner") is not None
    except redis.RedisError as exc:
        raise PatrolError(
            f"cannot reach Redis at {hide_password(config.redis_url)} (PATROL_REDIS_URL): {exc}"
        ) from None
    finally:
        server.close()


def run_workers(
    site: str,
    workers: int,
    patrol_id: str,
    *,
    base_url: str | None,
    log_level: str,
    settings: dict[str, str],
    env: dict[str, str] | None = None,
) -> PatrolSummary:
    """Run ``workers`` worker processes for patrol ``patrol_id``; their summed summary."""
    argv = [sys.executable, "-m", "patrol", "worker", site, "--patrol", patrol_id, "--json"]
    argv += ["--log-level", log_level]
    if base_url:
        argv += ["--base-url", base_url]
    for name, value in {"PATROL_MIN_WORKERS": str(workers), **settings}.items():
        if name != "LOG_LEVEL":
            argv += ["-s", f"{name}={value}"]
    processes = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env or dict(os.environ))
        for _ in range(workers)
    ]
    results = []
    try:
        for process in processes:
            out, _ = process.communicate()
            results.append((process.returncode, _last_json(out)))
    except BaseException:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        raise
    return _combined(site, patrol_id, results)


def _last_json(out: str) -> dict[str, Any] | None:
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                return None
    return None


def _combined(
    site: str, patrol_id: str, results: list[tuple[int, dict[str, Any] | None]]
) -> PatrolSummary:
    """One summary for the patrol: the workers' integer stats added up; its duration is
    the finaliser's ``patrol/patrol_seconds`` (seeded to drained), else the longest
    worker's crawl."""
    totals: Counter[str] = Counter()
    statuses = []
    elapsed, patrol_seconds = 0.0, 0.0
    for returncode, summary in results:
        if summary is None:
            statuses.append(f"worker exit {returncode}")
            continue
        statuses.append(str(summary.get("status")))
        worker_stats = summary.get("stats") or {}
        elapsed = max(elapsed, float(summary.get("seconds") or 0.0))
        patrol_seconds = max(patrol_seconds, float(worker_stats.get("patrol/patrol_seconds", 0)))
        for key, value in worker_stats.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] += value
    # pages per worker, in the order they were started
    pages = [str(int((summary or {}).get("pages") or 0)) for _, summary in results]
    failed = [status for status in statuses if status != "finished"]
    stats: dict[str, Any] = dict(totals)
    stats.update(
        finish_reason=failed[0] if failed else "finished",
        elapsed_time_seconds=patrol_seconds or elapsed,
        **{"patrol/patrol_id": patrol_id, "patrol/worker_pages": ",".join(pages)},
    )
    return PatrolSummary.from_stats(site, stats)


def parse_overrides(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` options as a settings dict (a malformed one is a PatrolError)."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise PatrolError(f"--set expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    return settings


def summary_dict(summary: PatrolSummary) -> dict[str, Any]:
    """The summary as ``patrol crawl --json`` prints it."""
    data = {key: value for key, value in summary.__dict__.items() if key != "stats"}
    data["stats"] = {
        key: value if isinstance(value, int | float | str | bool) else str(value)
        for key, value in summary.stats.items()
    }
    return data
