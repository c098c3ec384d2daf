"""Throw-away services for the distributed benchmarks: a database, Redis keys, a server.

``patrol bench distributed`` and ``patrol bench soak`` run real patrols against real
services on 127.0.0.1 and leave nothing behind: a PostgreSQL database created for the run
and dropped after it, a Redis key prefix whose keys are deleted, and fixture marketplaces
served each in its own process (``patrol marketplaces serve``) so that the server never
shares a process — or a GIL — with what it measures, and its CPU load can be read.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from patrol.errors import PatrolError

__all__ = [
    "DEFAULT_PG_ADMIN",
    "ServedSite",
    "redis_prefix",
    "served_site",
    "temporary_database",
]

DEFAULT_PG_ADMIN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


@contextlib.contextmanager
def temporary_database(admin_dsn: str = DEFAULT_PG_ADMIN) -> Iterator[str]:
    """A new, migrated PostgreSQL database (its SQLAlchemy URL), dropped afterwards."""
    import psycopg

    from patrol.db import upgrade_database

    name = f"patrol_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise PatrolError(f"cannot reach PostgreSQL ({admin_dsn}): {exc}") from None
    with admin:
        info = admin.info
        url = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{name}"
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade_database(url)
        yield url
    finally:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A fresh key prefix on the Redis at ``url``; its keys are deleted afterwards."""
    import redis

    from patrol.distributed.config import redis_params

    server = redis.Redis.from_url(url, **redis_params())
    try:
        server.ping()
    except redis.RedisError as exc:
        raise PatrolError(f"cannot reach Redis at {url}: {exc}") from None
    prefix = f"patrolbench-{uuid.uuid4().hex[:8]}"
    try:
        yield prefix
    finally:
        keys = list(server.scan_iter(f"{prefix}:*"))
        if keys:
            server.delete(*keys)
        server.close()


@dataclass
class ServedSite:
    site: str
    base_url: str
    process: subprocess.Popen[str]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def rss_mb(self) -> float:
        import psutil

        return float(psutil.Process(self.process.pid).memory_info().rss) / 2**20


@contextlib.contextmanager
def served_site(site: str, **options: Any) -> Iterator[ServedSite]:
    """``patrol marketplaces serve --site SITE --port 0 …`` in its own process."""
    argv = [sys.executable, "-m", "patrol", "marketplaces", "serve", "--site", site]
    argv += ["--port", "0"]
    for name, value in options.items():
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        base_url = None
        while base_url is None:
            line = process.stdout.readline()
            if not line or time.monotonic() > deadline:
                raise PatrolError(f"the fixture marketplace {site} did not start")
            name, _, url = line.strip().partition(" ")
            if name == site:
                base_url = url.strip()
        # keep reading what it prints, so that it never blocks on a full pipe
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield ServedSite(site, base_url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
