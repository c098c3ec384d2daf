"""scrapy-redis's scheduler with leases: a request is not lost when its worker dies.

scrapy-redis (``scrapy_redis.scheduler.Scheduler``) shares the request queue and the
dupefilter between workers, but its queues pop destructively: a worker killed mid-patrol
takes its in-flight requests with it. Through scrapy-redis's own extension points — a queue
class (``SCHEDULER_QUEUE_CLASS``) and a ``Scheduler`` subclass — :class:`LeasingQueue`
moves each popped request into the worker's lease hash in one Lua script
(:meth:`patrol.distributed.frontier.Frontier.lease_next`), and :class:`PatrolScheduler`
remembers which :class:`~scrapy.Request` came from which lease. A lease is released only
once the request is out of the downloader and the scraper *and* what it produced is stored
(the store pipeline asks, after each flush); a dead worker's leases are re-queued.

Every Redis call here turns a lost Redis into one clear error and a clean stop of the
worker (``patrol.distributed.extension.DistributedPatrol.redis_failed``), not a traceback
per request and not a hang.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import redis
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from patrol.distributed.extension import DistributedPatrol

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

__all__ = ["LeasingQueue", "PatrolScheduler"]

logger = logging.getLogger(__name__)


class LeasingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` leases the request to this worker."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.patrol = DistributedPatrol.of(spider.crawler)
        self.leased: dict[Request, bytes] = {}

    def encode(self, request: Request) -> bytes:
        """The request as this queue stores it (scrapy-redis's serializer)."""
        return bytes(self._encode_request(request))

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.patrol.frontier.lease_next()
        if data is None:
            return None
        request: Request = self._decode_request(data)
        self.leased[request] = data
        return request


class PatrolScheduler(Scheduler):
    """The shared frontier of a distributed patrol (keys from the patrol's frontier)."""

    queue: LeasingQueue

    def __init__(self, patrol: DistributedPatrol, crawler: Crawler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.patrol = patrol
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PatrolScheduler:
        patrol = DistributedPatrol.of(crawler)
        frontier = patrol.frontier
        settings = crawler.settings
        dupefilter = RFPDupeFilter(
            frontier.redis, key=frontier.keys.dupefilter, debug=settings.getbool("DUPEFILTER_DEBUG")
        )
        scheduler = cls(
            patrol,
            crawler,
            server=frontier.redis,
            persist=True,  # workers come and go; the patrol's last worker retires the keys
            queue_key=frontier.keys.requests,
            dupefilter=dupefilter,
            dupefilter_key=frontier.keys.dupefilter,
        )
        scheduler.stats = crawler.stats
        patrol.scheduler = scheduler
        return scheduler

    # -- the scheduler interface, with a lost Redis handled -------------------------

    def open(self, spider: Spider) -> None:
        # scrapy-redis's open() with the queue class fixed and Spider.log() (deprecated
        # since Scrapy 2.13) replaced by this module's logger
        self.spider = spider
        self.queue = LeasingQueue(self.server, spider, self.queue_key, self.serializer)
        queued = len(self.queue)
        if queued:
            logger.info("joined patrol %s: %d requests queued", self.patrol.patrol_id, queued)

    # scrapy-redis 0.9.1 passes ``spider=`` to the stats collector, which Scrapy 2.13+
    # deprecates; these two are its methods without that argument (and enqueueing made
    # one atomic step).

    def enqueue_request(self, request: Request) -> bool:
        # scrapy-redis marks the fingerprint seen, then pushes: two calls, between which
        # a killed worker would leave the request seen by all and queued nowhere
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = self.patrol.frontier.enqueue(
                self.queue.encode(request), -request.priority, fingerprint
            )
        except redis.RedisError as exc:
            self.patrol.redis_failed(exc)
            return False
        if not queued:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.patrol.redis_lost:
            return None
        try:
            request = self.queue.pop()
        except redis.RedisError as exc:
            self.patrol.redis_failed(exc)
            return None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.patrol.redis_lost:
            return False
        try:
            return bool(super().has_pending_requests())
        except redis.RedisError as exc:
            self.patrol.redis_failed(exc)
            return False

    def __len__(self) -> int:
        try:
            return len(self.queue)
        except redis.RedisError:
            return 0

    # -- leases ---------------------------------------------------------------------

    def completed_leases(self) -> list[Request]:
        """Leased requests that are neither downloading nor being scraped any more."""
        engine = self.crawler.engine
        if engine is None or not hasattr(self, "queue"):
            return []
        busy: set[Request] = set(engine.downloader.active)
        slot = engine.scraper.slot
        if slot is not None:
            busy.update(slot.active)
            busy.update(request for _, request, _ in slot.queue)
        return [request for request in self.queue.leased if request not in busy]

    def release(self, requests: list[Request]) -> None:
        """Release the leases of ``requests`` (their output is stored).

        A lease is the encoded request, so a request this worker holds twice — re-queued
        while it was taken for dead, and leased again — is one lease: it is released
        when the last of the two is done, not when the first is.
        """
        if not requests:
            return
        leased = self.queue.leased
        done = {leased.pop(request) for request in requests}
        self.patrol.frontier.release(list(done.difference(leased.values())))

    @property
    def leases_held(self) -> int:
        return len(self.queue.leased) if hasattr(self, "queue") else 0
