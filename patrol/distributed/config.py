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

Each value is checked here, once, before any worker starts: a Redis URL that redis-py
cannot read (a port out of range, a bad ``?db=``) and a number that is not a finite
number are one line naming the setting, with any password in the URL hidden, rather
than a ValueError from deep inside redis-py, Scrapy or Twisted.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from patrol.errors import PatrolError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["DistributedConfig", "check_redis_url", "hide_password", "redis_params", "redis_url"]

#: the longest heartbeat, worker timeout and run wait, in seconds: a day (Twisted's and
#: the threads' timers refuse much larger ones)
MAX_SECONDS = 86400.0
_SCHEMES = ("redis://", "rediss://", "unix://")
_QUERY_PASSWORD = re.compile(r"(?i)(\bpassword=)[^&#]*")
_NOT_A_PORT = re.compile(r"^(\w+://[^/?#]*:)(?![0-9]*(?:[/?#]|$))[^/?#]*")


def redis_url(settings: BaseSettings | None = None) -> str | None:
    """``PATROL_REDIS_URL`` from the settings, else from the environment."""
    url = settings.get("PATROL_REDIS_URL") if settings is not None else None
    return str(url or os.environ.get("PATROL_REDIS_URL") or "").strip() or None


def hide_password(url: str) -> str:
    """``url`` for messages: whatever precedes the host's ``@`` and any ``password=`` hidden."""
    head, at, tail = url.rpartition("@")
    if at:
        scheme, sep, _ = head.partition("://")
        url = f"{scheme}://***@{tail}" if sep else f"***@{tail}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _bad_host(url: str) -> str | None:
    """What is wrong with the host or port of ``url``, or None."""
    from urllib.parse import urlsplit

    try:
        _ = urlsplit(url).port  # raises for a port out of range or not a number
    except ValueError as exc:  # its message quotes what stands where the port is
        return str(exc) if "IPv6" in str(exc) else "the port must be a number from 0 to 65535"
    return None


def check_redis_url(url: str) -> str:
    """``url`` if redis-py can connect by it; else a :class:`PatrolError` naming
    PATROL_REDIS_URL (the password hidden)."""
    from redis.connection import parse_url

    shown = hide_password(url)
    if not url.startswith(_SCHEMES):
        raise PatrolError(f"PATROL_REDIS_URL must be a redis:// URL, not {shown!r}")
    why = _bad_host(url)
    if why is not None:
        if "@" not in url and "port" in why:  # not a number: a password without its host?
            shown = _NOT_A_PORT.sub(r"\1***", shown)
        raise PatrolError(f"PATROL_REDIS_URL {shown!r} is not a Redis URL: {why}")
    try:
        parse_url(url)
    except (ValueError, TypeError) as exc:
        why = hide_password(str(exc)).rstrip(".")
        raise PatrolError(f"PATROL_REDIS_URL {shown!r} is not a Redis URL: {why}") from None
    return url


def _seconds(settings: BaseSettings, name: str, default: float) -> float:
    """A setting of seconds: a finite number from 0 to :data:`MAX_SECONDS`."""
    raw = settings.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
        raise PatrolError(
            f"{name} must be a number of seconds from 0 to {MAX_SECONDS:g}, not {raw!r}"
        )
    return value


def _whole(settings: BaseSettings, name: str, default: int) -> int:
    """A setting that is a whole number."""
    raw = settings.get(name, default)
    try:
        return int(str(raw).strip())
    except ValueError:
        raise PatrolError(f"{name} must be a whole number, not {raw!r}") from None


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
        check_redis_url(url)
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
            heartbeat=_seconds(settings, "PATROL_HEARTBEAT", 2.0),
            worker_timeout=_seconds(settings, "PATROL_WORKER_TIMEOUT", 15.0),
            run_wait=_seconds(settings, "PATROL_RUN_WAIT", 60.0),
            min_workers=_whole(settings, "PATROL_MIN_WORKERS", 1),
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
