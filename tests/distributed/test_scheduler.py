"""The scheduler's leases: released once what they produced is stored, and not before."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request

from patrol.distributed.frontier import Frontier, FrontierKeys
from patrol.distributed.scheduler import PatrolScheduler
from tests.distributed.conftest import REDIS_DB_URL

pytestmark = pytest.mark.redis


def _scheduler(frontier: Frontier, leased: dict[Request, bytes]) -> PatrolScheduler:
    scheduler = PatrolScheduler.__new__(PatrolScheduler)
    scheduler.patrol = SimpleNamespace(frontier=frontier)  # type: ignore[assignment]
    scheduler.queue = SimpleNamespace(leased=leased)  # type: ignore[assignment]
    return scheduler


def test_a_request_leased_twice_keeps_its_lease_until_both_are_done(redis_prefix: str) -> None:
    server: Any = redis.Redis.from_url(REDIS_DB_URL)
    keys = FrontierKeys(redis_prefix, "taoji", "p1")
    worker = Frontier(server, keys, "stalled", worker_timeout=0.3)
    other = Frontier(server, keys, "other", worker_timeout=0.3)
    worker.beat()
    server.zadd(keys.requests, {b"req": 0})
    assert worker.lease_next() == b"req"
    first = Request("http://127.0.0.1/item/1")
    # the worker stalls past the timeout; its lease is re-queued and it leases it again
    time.sleep(0.5)
    other.beat()
    assert other.requeue_dead() == 1
    worker.beat()
    assert worker.lease_next() == b"req"
    second = Request("http://127.0.0.1/item/1")
    scheduler = _scheduler(worker, {first: b"req", second: b"req"})

    scheduler.release([first])  # the first copy is stored; the second is still in flight
    assert server.hgetall(keys.leases("stalled")) == {b"req": b"0"}
    scheduler.release([second])
    assert server.hgetall(keys.leases("stalled")) == {}
    assert scheduler.queue.leased == {}
    server.close()
