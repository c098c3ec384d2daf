"""The settings of distributed patrols, read once into a typed object.

``PATROL_REDIS_URL`` (setting or environment variable) switches a patrol to distributed
mode; everything else has a default:

- ``PATROL_REDIS_PREFIX`` (setting or environment, default ``patrol``): the first part of
  every key name;
- ``PATROL_PATROL_ID``: the patrol to join (default: the site's patrol in progress, or a
  new one) — ``patrol crawl --workers N`` sets it for its N workers;
- ``PATROL_HEARTBEAT`` (2 s) and ``PATROL_WORKER_TIMEOUT`` (15 s): a worker whose heartbeat
  is older than the timeout is dead, and its in-flight requests are fetched again;
- ``PATROL_RUN_WAIT`` (60 s): how long a worker waits for the first one to create the
  patrol's run record;
- ``PATROL_MIN_WORKERS`` (1): the seeding worker waits (at most ``PATROL_RUN_WAIT``) until
  this many workers are ready, so that they start together — ``patrol crawl --workers N``
  sets it to N.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from patrol.errors import PatrolError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["DistributedConfig", "redis_params", "redis_url"]


def redis_url(settings: BaseSettings | None = None) -> str | None:
    """``PATROL_REDIS_URL`` from the settings, else from the environment."""
    url = settings.get("PATROL_REDIS_URL") if settings is not None else None
    return str(url or os.environ.get("PATROL_REDIS_URL") or "").strip() or None


def redis_params(timeout: float = 10.0) -> dict[str, Any]:
    """Client parameters: a lost Redis is an error within seconds, never a hang."""
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": min(timeout, 5.0),
        "retry_on_timeout": False,
        "health_check_interval": 0,
    }


@dataclass(frozen=True)
class DistributedConfig:
    redis_url: str
    prefix: str = "patrol"
    patrol_id: str | None = None
    heartbeat: float = 2.0
    worker_timeout: float = 15.0
    run_wait: float = 60.0
    min_workers: int = 1

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DistributedConfig:
        url = redis_url(settings)
        if url is None:
            raise NotConfigured("PATROL_REDIS_URL is not set: not a distributed patrol")
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise PatrolError(f"PATROL_REDIS_URL must be a redis:// URL, not {url!r}")
        if settings.get("PATROL_JOB_DIR"):
            raise PatrolError(
                "a distributed patrol needs no --job-dir: its frontier in Redis already "
                "survives a worker's death"
            )
        made = cls(
            redis_url=url,
            prefix=str(
                settings.get("PATROL_REDIS_PREFIX")
                or os.environ.get("PATROL_REDIS_PREFIX")
                or "patrol"
            ),
            patrol_id=str(settings.get("PATROL_PATROL_ID") or "").strip() or None,
            heartbeat=settings.getfloat("PATROL_HEARTBEAT", 2.0),
            worker_timeout=settings.getfloat("PATROL_WORKER_TIMEOUT", 15.0),
            run_wait=settings.getfloat("PATROL_RUN_WAIT", 60.0),
            min_workers=settings.getint("PATROL_MIN_WORKERS", 1),
        )
        if made.min_workers < 1:
            raise PatrolError(f"PATROL_MIN_WORKERS must be >= 1, not {made.min_workers}")
        if made.heartbeat <= 0:
            raise PatrolError(f"PATROL_HEARTBEAT must be > 0, not {made.heartbeat}")
        if made.worker_timeout < 2 * made.heartbeat:
            raise PatrolError(
                f"PATROL_WORKER_TIMEOUT ({made.worker_timeout}) must be at least twice "
                f"PATROL_HEARTBEAT ({made.heartbeat}), or live workers are declared dead"
            )
        if made.patrol_id is not None and not made.patrol_id.replace("-", "").isalnum():
            raise PatrolError(
                f"PATROL_PATROL_ID must be letters, digits and '-': {made.patrol_id!r}"
            )
        return made
