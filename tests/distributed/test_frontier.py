"""The frontier's Redis operations, each atomic: leases, dead workers, seeding, the end."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from patrol.distributed.frontier import Frontier, FrontierKeys
from tests.distributed.conftest import REDIS_DB_URL

pytestmark = pytest.mark.redis


@pytest.fixture
def server(redis_prefix: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_DB_URL)
    yield client
    client.close()


def _worker(server: redis.Redis, prefix: str, name: str, timeout: float = 15.0) -> Frontier:
    frontier = Frontier(server, FrontierKeys(prefix, "taoji", "p1"), name, worker_timeout=timeout)
    frontier.beat()
    return frontier


def test_a_popped_request_is_leased_until_released(server: redis.Redis, redis_prefix: str) -> None:
    worker = _worker(server, redis_prefix, "w1")
    server.zadd(worker.keys.requests, {b"low": 0, b"high": -10})
    worker.seeding_done()
    assert worker.lease_next() == b"high"  # the best priority first
    assert worker.state().queued == 1 and worker.state().leased == 1
    assert worker.lease_next() == b"low"
    assert worker.lease_next() is None
    state = worker.state()
    assert (state.queued, state.leased, state.drained) == (0, 2, False)
    worker.release([b"high", b"low"])
    assert worker.state().drained


def test_leases_of_a_dead_worker_go_back_to_the_queue(
    server: redis.Redis, redis_prefix: str
) -> None:
    dead = _worker(server, redis_prefix, "dead", timeout=0.3)
    alive = _worker(server, redis_prefix, "alive", timeout=0.3)
    server.zadd(dead.keys.requests, {b"a": -10, b"b": 0})
    assert dead.lease_next() == b"a"
    time.sleep(0.5)
    alive.beat()
    state = alive.state()
    assert state.requeued == 1 and state.queued == 2 and state.leased == 0
    assert server.zscore(alive.keys.requests, b"a") == -10  # its priority kept
    assert server.zrange(alive.keys.workers, 0, -1) == [b"alive"]


def test_one_seeder_and_a_takeover_only_if_it_died(server: redis.Redis, redis_prefix: str) -> None:
    first = _worker(server, redis_prefix, "first", timeout=0.3)
    second = _worker(server, redis_prefix, "second", timeout=0.3)
    assert first.claim_seeding() and not second.claim_seeding()
    assert not second.state().drained  # nothing queued, but not seeded yet
    time.sleep(0.5)
    second.beat()
    assert second.claim_seeding()  # the first stopped beating before it finished
    second.seeding_done()
    assert not first.claim_seeding()
    assert second.state().drained


def test_leaving_hands_back_leases_and_one_finaliser(
    server: redis.Redis, redis_prefix: str
) -> None:
    one = _worker(server, redis_prefix, "one")
    two = _worker(server, redis_prefix, "two")
    server.zadd(one.keys.requests, {b"x": 0})
    assert one.lease_next() == b"x"
    assert one.others_alive() == 1
    assert one.leave() == 1
    assert two.others_alive() == 0
    assert server.zrange(two.keys.requests, 0, -1) == [b"x"]
    one.add_stats({"pages": 3, "name": "skipped", "flag": True})
    two.add_stats({"pages": 4})
    assert two.total_stats() == {"pages": 7}
    assert [one.claim("final"), two.claim("final")] == [True, False]


def test_joining_follows_the_site_current_patrol(server: redis.Redis, redis_prefix: str) -> None:
    first = Frontier.join(server, redis_prefix, "taoji", None)
    second = Frontier.join(server, redis_prefix, "taoji", None)
    assert first.keys.patrol_id == second.keys.patrol_id
    assert first.worker_id != second.worker_id
    assert first.live_workers() == 2
    first.retire()
    assert Frontier.current_patrol(server, redis_prefix, "taoji") is None
    third = Frontier.join(server, redis_prefix, "taoji", None)
    assert third.keys.patrol_id != first.keys.patrol_id


def test_enqueueing_marks_seen_and_queues_in_one_step(
    server: redis.Redis, redis_prefix: str
) -> None:
    worker = _worker(server, redis_prefix, "w1")
    assert worker.enqueue(b"first", -5, "fp-1")
    assert not worker.enqueue(b"first again", 0, "fp-1")  # a duplicate: not queued
    assert worker.enqueue(b"unfiltered", 0, None) and worker.enqueue(b"unfiltered 2", 0, None)
    assert server.zrange(worker.keys.requests, 0, -1, withscores=True) == [
        (b"first", -5.0), (b"unfiltered", 0.0), (b"unfiltered 2", 0.0)
    ]  # fmt: skip
    assert server.smembers(worker.keys.dupefilter) == {b"fp-1"}


def test_a_stalled_worker_hears_it_was_taken_for_dead(
    server: redis.Redis, redis_prefix: str
) -> None:
    stalled = _worker(server, redis_prefix, "stalled", timeout=0.3)
    alive = _worker(server, redis_prefix, "alive", timeout=0.3)
    server.zadd(stalled.keys.requests, {b"a": 0})
    assert stalled.lease_next() == b"a"
    time.sleep(0.5)
    assert alive.beat()  # it was in the set all along
    assert alive.requeue_dead() == 1
    assert not stalled.beat()  # back in the set, told that it had been dropped
    assert stalled.beat()
    assert stalled.lease_next() == b"a"  # its old lease, queued again, leased again
