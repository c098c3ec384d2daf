"""The shared state of one distributed patrol, in Redis.

scrapy-redis keeps the request queue (a sorted set, by priority) and the dupefilter (a set
of fingerprints); this module adds what a patrol needs around them, each operation one
atomic Lua script or command so that any number of workers can share the keys:

- **leases**: popping a request moves it, in the same script, into the popping worker's
  lease hash (``…:leases:<worker>``: encoded request → priority score). scrapy-redis pops
  destructively, so a worker killed with requests in flight would lose them; with leases
  they stay in Redis until the worker has *stored* what they produced, and a worker that
  stops beating its heart is declared dead and its leases go back into the queue.
- **enqueueing**: the dupefilter's fingerprint and the queue's entry are added in one
  script, so no moment exists in which a request counts as seen but is not queued (a worker
  killed there would lose it, and every worker would drop it as a duplicate).
- **workers**: a sorted set of worker id → last heartbeat (Redis server time, so the
  clocks of the machines do not matter). A worker that stalls past the timeout is taken
  for dead like a killed one; its next beat says so, and its in-flight requests are
  fetched again (twice, not lost).
- **meta**: who seeds the start requests (exactly one worker), whether seeding is done,
  the ``patrol_runs`` id every worker records into, and who finalised the patrol.
- **stats**: the integer crawl stats of every worker, summed, for the one run record.

A patrol is *drained* when seeding is done, the queue is empty and no live worker holds a
lease: nothing can add a request any more, so every worker may stop and the last one to
leave finalises the patrol (marks unseen listings gone, completes the run record).
Key names: ``<prefix>:<site>:<patrol id>:<part>``; ``<prefix>:<site>:current`` names the
site's patrol in progress, which ``patrol worker SITE`` joins.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

__all__ = ["Frontier", "FrontierKeys", "FrontierState", "new_patrol_id", "new_worker_id"]

logger = logging.getLogger(__name__)

# Queue a request unless its fingerprint is seen (both at once). KEYS: dupefilter, queue;
# ARGV: fingerprint ('' for a request that is never filtered), score, encoded request.
# Returns 1 if queued, 0 for a duplicate.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Pop the best (lowest score = highest priority) request and lease it to the worker.
_LEASE_NEXT = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HSET', KEYS[2], found[1], found[2])
return found[1]
"""

# Put the leases of workers whose heartbeat is older than ARGV[1] seconds back in the queue.
# KEYS: workers, queue; ARGV: timeout, lease key prefix. Returns requests re-queued.
_REQUEUE_DEAD = """
local now = redis.call('TIME')
local cutoff = tonumber(now[1]) + tonumber(now[2]) / 1e6 - tonumber(ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
local moved = 0
for _, worker in ipairs(dead) do
  local leases = redis.call('HGETALL', ARGV[2] .. worker)
  for i = 1, #leases, 2 do
    redis.call('ZADD', KEYS[2], leases[i + 1], leases[i])
    moved = moved + 1
  end
  redis.call('DEL', ARGV[2] .. worker)
  redis.call('ZREM', KEYS[1], worker)
end
return moved
"""

# A worker leaves: its remaining leases go back in the queue. KEYS: workers, queue, leases;
# ARGV: worker id. Returns requests re-queued.
_LEAVE = """
local leases = redis.call('HGETALL', KEYS[3])
for i = 1, #leases, 2 do
  redis.call('ZADD', KEYS[2], leases[i + 1], leases[i])
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
return #leases / 2
"""

# Heartbeat: KEYS[1] workers; ARGV[1] worker id. Redis time, not the worker's clock.
# Returns 1 if the worker was not in the set (new, or taken for dead and re-queued).
_BEAT = """
local now = redis.call('TIME')
return redis.call('ZADD', KEYS[1], tonumber(now[1]) + tonumber(now[2]) / 1e6, ARGV[1])
"""

# Live workers other than ARGV[2]: KEYS[1] workers; ARGV[1] timeout.
_OTHERS_ALIVE = """
local now = redis.call('TIME')
local cutoff = tonumber(now[1]) + tonumber(now[2]) / 1e6 - tonumber(ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], cutoff, '+inf')
local count = 0
for _, worker in ipairs(live) do
  if worker ~= ARGV[2] then count = count + 1 end
end
return count
"""

# Claim seeding: free, or held by a worker that is no longer alive (it died before it
# finished seeding). KEYS: meta, workers; ARGV: worker id, timeout.
_CLAIM_SEEDING = """
if redis.call('HGET', KEYS[1], 'seeded') then return 0 end
local owner = redis.call('HGET', KEYS[1], 'seed_owner')
if owner and owner ~= ARGV[1] then
  local beat = redis.call('ZSCORE', KEYS[2], owner)
  local now = redis.call('TIME')
  local cutoff = tonumber(now[1]) + tonumber(now[2]) / 1e6 - tonumber(ARGV[2])
  if beat and tonumber(beat) >= cutoff then return 0 end
end
redis.call('HSET', KEYS[1], 'seed_owner', ARGV[1])
return 1
"""


def _text(value: Any) -> str | None:
    """A Redis reply as text (the client returns bytes: requests are pickled)."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def new_patrol_id() -> str:
    return uuid.uuid4().hex[:12]


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class FrontierKeys:
    """The Redis key names of one patrol (``<prefix>:<site>:<patrol id>:…``)."""

    prefix: str
    site: str
    patrol_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.site}:{self.patrol_id}"

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:
        return f"{self.base}:workers"

    @property
    def lease_prefix(self) -> str:
        return f"{self.base}:leases:"

    @property
    def meta(self) -> str:
        return f"{self.base}:meta"

    @property
    def stats(self) -> str:
        return f"{self.base}:stats"

    def leases(self, worker_id: str) -> str:
        return self.lease_prefix + worker_id

    @staticmethod
    def current(prefix: str, site: str) -> str:
        return f"{prefix}:{site}:current"


@dataclass(frozen=True)
class FrontierState:
    """What the patrol's frontier holds right now."""

    queued: int
    leased: int
    seeded: bool
    requeued: int = 0  # leases of dead workers put back in the queue by this look

    @property
    def drained(self) -> bool:
        return self.seeded and self.queued == 0 and self.leased == 0


class Frontier:
    """One worker's handle on the shared state of one patrol."""

    def __init__(
        self,
        server: redis.Redis,
        keys: FrontierKeys,
        worker_id: str,
        *,
        worker_timeout: float = 15.0,
    ) -> None:
        self.redis = server
        self.keys = keys
        self.worker_id = worker_id
        self.worker_timeout = worker_timeout
        self._enqueue = server.register_script(_ENQUEUE)
        self._lease_next = server.register_script(_LEASE_NEXT)
        self._requeue_dead = server.register_script(_REQUEUE_DEAD)
        self._beat = server.register_script(_BEAT)
        self._leave = server.register_script(_LEAVE)
        self._others_alive = server.register_script(_OTHERS_ALIVE)
        self._claim_seeding = server.register_script(_CLAIM_SEEDING)

    # -- joining ---------------------------------------------------------------------

    @classmethod
    def join(
        cls,
        server: redis.Redis,
        prefix: str,
        site: str,
        patrol_id: str | None,
        *,
        worker_timeout: float = 15.0,
    ) -> Frontier:
        """This worker's handle on patrol ``patrol_id``, or on the site's current patrol
        (a new one if none is in progress); the patrol becomes the site's current one."""
        current_key = FrontierKeys.current(prefix, site)
        if patrol_id is None:
            candidate = new_patrol_id()
            server.set(current_key, candidate, nx=True)
            patrol_id = _text(server.get(current_key)) or candidate
        else:
            server.set(current_key, patrol_id)
        frontier = cls(
            server, FrontierKeys(prefix, site, patrol_id), new_worker_id(),
            worker_timeout=worker_timeout,
        )  # fmt: skip
        frontier.beat()
        return frontier

    @staticmethod
    def current_patrol(server: redis.Redis, prefix: str, site: str) -> str | None:
        return _text(server.get(FrontierKeys.current(prefix, site)))

    def live_workers(self) -> int:
        """Workers of this patrol whose heartbeat is recent (this one included)."""
        return int(self._others_alive(keys=[self.keys.workers], args=[self.worker_timeout, ""]))

    # -- heartbeat and leases --------------------------------------------------------

    def beat(self) -> bool:
        """Beat; False if this worker had been taken for dead (its leases re-queued)."""
        return not self._beat(keys=[self.keys.workers], args=[self.worker_id])

    def enqueue(self, encoded: bytes, score: float, fingerprint: str | None) -> bool:
        """Queue a request and mark its fingerprint seen, atomically; False if it was
        seen before (``fingerprint`` None: a request that is never filtered)."""
        return bool(
            self._enqueue(
                keys=[self.keys.dupefilter, self.keys.requests],
                args=[fingerprint or "", score, encoded],
            )
        )

    def lease_next(self) -> bytes | None:
        """Pop the next request (encoded) and lease it to this worker."""
        data = self._lease_next(keys=[self.keys.requests, self.keys.leases(self.worker_id)])
        return data if data else None

    def release(self, encoded: list[bytes]) -> None:
        """This worker is done with these requests: what they produced is stored."""
        if encoded:
            self.redis.hdel(self.keys.leases(self.worker_id), *encoded)

    def requeue_dead(self) -> int:
        """Give the leases of workers that stopped beating back to the queue."""
        moved = self._requeue_dead(
            keys=[self.keys.workers, self.keys.requests],
            args=[self.worker_timeout, self.keys.lease_prefix],
        )
        if moved:
            logger.warning(
                "patrol %s: %d in-flight request(s) of dead worker(s) re-queued",
                self.keys.patrol_id,
                moved,
            )
        return int(moved)

    def state(self) -> FrontierState:
        """Requeue dead workers' leases, then count queued and leased requests."""
        requeued = self.requeue_dead()
        workers = self.redis.zrange(self.keys.workers, 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(self.keys.requests)
        pipe.hget(self.keys.meta, "seeded")
        for worker in workers:
            pipe.hlen(self.keys.leases(_text(worker) or ""))
        queued, seeded, *leases = pipe.execute()
        return FrontierState(int(queued), sum(int(n) for n in leases), bool(seeded), requeued)

    # -- seeding and the run record --------------------------------------------------

    def claim_seeding(self) -> bool:
        """True for exactly one live worker: it yields the patrol's start requests."""
        return bool(
            self._claim_seeding(
                keys=[self.keys.meta, self.keys.workers],
                args=[self.worker_id, self.worker_timeout],
            )
        )

    def seeding_done(self) -> None:
        self.redis.hset(self.keys.meta, "seeded", "1")

    def mark_ready(self) -> int:
        """This worker is ready to fetch; returns how many workers of the patrol are."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(f"{self.keys.base}:ready", self.worker_id)
        pipe.scard(f"{self.keys.base}:ready")
        return int(pipe.execute()[1])

    def ready_workers(self) -> int:
        return int(self.redis.scard(f"{self.keys.base}:ready"))

    def now(self) -> float:
        """Redis server time in seconds: one clock for every machine of the patrol."""
        seconds, micros = self.redis.time()
        return float(seconds) + float(micros) / 1e6

    def claim(self, role: str) -> bool:
        """True for the first worker to claim ``role`` (``run``, ``final``) in this patrol."""
        return bool(self.redis.hsetnx(self.keys.meta, role, self.worker_id))

    def set_meta(self, values: Mapping[str, str | int | float]) -> None:
        self.redis.hset(self.keys.meta, mapping={k: v for k, v in values.items()})

    def set_meta_once(self, name: str, value: str) -> str:
        """Set ``name`` unless a worker already did; return the value that holds."""
        if self.redis.hsetnx(self.keys.meta, name, value):
            return value
        return self.meta(name) or value

    def meta(self, name: str) -> str | None:
        return _text(self.redis.hget(self.keys.meta, name))

    # -- leaving ---------------------------------------------------------------------

    def add_stats(self, stats: Mapping[str, Any]) -> None:
        """Add this worker's integer stats to the patrol's totals."""
        pipe = self.redis.pipeline(transaction=True)
        for key, value in stats.items():
            if isinstance(value, int) and not isinstance(value, bool) and value:
                pipe.hincrby(self.keys.stats, key, value)
        pipe.execute()

    def total_stats(self) -> dict[str, int]:
        return {_text(k) or "": int(v) for k, v in self.redis.hgetall(self.keys.stats).items()}

    def leave(self) -> int:
        """This worker stops serving the patrol; leases it still holds are re-queued."""
        keys = [self.keys.workers, self.keys.requests, self.keys.leases(self.worker_id)]
        return int(self._leave(keys=keys, args=[self.worker_id]))

    def others_alive(self) -> int:
        return int(
            self._others_alive(keys=[self.keys.workers], args=[self.worker_timeout, self.worker_id])
        )

    def retire(self, keep_seconds: int = 86_400) -> None:
        """After the patrol is finalised: drop the frontier, keep meta and stats a while."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(
            self.keys.requests, self.keys.dupefilter, self.keys.workers, f"{self.keys.base}:ready"
        )
        pipe.expire(self.keys.meta, keep_seconds)
        pipe.expire(self.keys.stats, keep_seconds)
        pipe.execute()
        current = FrontierKeys.current(self.keys.prefix, self.keys.site)
        # only if it still names this patrol (a new one may have started meanwhile)
        if _text(self.redis.get(current)) == self.keys.patrol_id:
            self.redis.delete(current)
