"""A worker killed mid-patrol loses nothing; a lost Redis stops a worker with a clear error.

The kill is a real SIGKILL of a worker process that holds leased requests and unflushed
listings; the surviving worker must notice the death (heartbeat timeout), fetch the dead
worker's requests again and finish the patrol with every live listing stored once and every
flagged listing holding exactly one lead.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest
import redis

from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.distributed.patrols import Cluster, database_contents

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

SEED = 5
LISTINGS = 160
HOUR = 12.0
HEARTBEAT = ("-s", "PATROL_HEARTBEAT=0.5", "-s", "PATROL_WORKER_TIMEOUT=4")


def _leases(server: redis.Redis, prefix: str, pid: int) -> int:
    for key in server.scan_iter(f"{prefix}:taoji:*:leases:*:{pid}:*"):
        return int(server.hlen(key))
    return 0


def test_killed_worker_loses_nothing(cluster: Cluster) -> None:
    server = redis.Redis.from_url(cluster.redis_url)
    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults="slow"
    ) as fx:
        base = fx.base_url("taoji")
        argv = ("worker", "taoji", "--patrol", "killtest", "--base-url", base, *HEARTBEAT)
        victim = cluster.start(*argv)
        survivor = cluster.start(*argv)
        deadline = time.monotonic() + 120
        while not (fx.requests("taoji") >= 40 and _leases(server, cluster.prefix, victim.pid)):
            assert victim.poll() is None and time.monotonic() < deadline, "patrol ended too soon"
            time.sleep(0.05)
        leased = _leases(server, cluster.prefix, victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        _, err = survivor.communicate(timeout=240)
    server.close()

    assert leased > 0
    assert survivor.returncode == 0, err[-3000:]
    assert "of dead worker(s) re-queued" in err
    got = database_contents(cluster.database_url)
    live = {row["id"] for row in ground_truth("taoji", SEED, LISTINGS, hour=HOUR)}
    assert {listing_id for _, listing_id in got["listings"]} == live  # nothing lost
    flagged = {key for key, row in got["listings"].items() if row[4]}
    assert flagged and set(got["leads"]) == flagged  # every flagged listing has its lead
    assert all(len(leads) == 1 for leads in got["leads"].values())  # none twice
    assert [(site, status) for site, status, *_ in got["runs"]] == [("taoji", "finished")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_redis_is_one_clear_error(cluster: Cluster) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=20, hour=HOUR) as fx:
        started = time.monotonic()
        code, _, err = cluster.run(
            "crawl", "taoji", "--base-url", fx.base_url("taoji"), "--workers", "2",
            timeout=120, PATROL_REDIS_URL=f"{url}?password=secret",
        )  # fmt: skip
    assert code == 2
    assert f"Error: cannot reach Redis at {url}?password=***" in err
    assert "secret" not in err
    assert "Traceback" not in err
    assert time.monotonic() - started < 60


def test_redis_lost_mid_patrol_stops_the_worker(cluster: Cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        with serve_marketplaces(
            sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults="slow"
        ) as fx:
            worker = cluster.start(
                "worker", "taoji", "--base-url", fx.base_url("taoji"), PATROL_REDIS_URL=url
            )
            deadline = time.monotonic() + 120
            while fx.requests("taoji") < 20:
                assert worker.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            redis_server.send_signal(signal.SIGKILL)
            redis_server.wait(10)
            stopped = time.monotonic()
            out, err = worker.communicate(timeout=90)
        assert worker.returncode == 1, err[-3000:]
        assert time.monotonic() - stopped < 60
        assert f"lost Redis at {url}" in err
        assert '"status": "redis_unavailable"' in out
    finally:
        if redis_server.poll() is None:
            redis_server.kill()
            redis_server.wait(10)
