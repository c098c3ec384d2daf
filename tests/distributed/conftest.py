"""Fixtures for distributed patrols: a fresh PostgreSQL database, a Redis key prefix.

Redis (127.0.0.1:6379) is shared with other test suites: every test gets its own key
prefix in database 11 and its keys are deleted afterwards. Each PostgreSQL database is
created for the test and dropped after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis

from tests.distributed.patrols import Cluster, create_pg_database, drop_pg_database

REDIS_DB_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"patroltest-{uuid.uuid4().hex[:10]}"
    yield prefix
    server = redis.Redis.from_url(REDIS_DB_URL)
    keys = list(server.scan_iter(f"{prefix}:*"))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        url = create_pg_database()
    except psycopg.OperationalError as exc:  # pragma: no cover - the machine's service
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is needed: {exc}")
    yield url
    drop_pg_database(url)


@pytest.fixture
def cluster(tmp_path, redis_prefix: str, pg_url: str) -> Cluster:  # type: ignore[no-untyped-def]
    return Cluster(tmp_path, pg_url, REDIS_DB_URL, redis_prefix)
