"""The worker side of a distributed patrol: joining, heartbeat, drain, a lost Redis.

:class:`DistributedPatrol` (a Scrapy extension, enabled by
:class:`patrol.distributed.addon.DistributedPatrolAddon` when ``PATROL_REDIS_URL`` is set)
joins the worker to a patrol's :class:`~patrol.distributed.frontier.Frontier` and keeps it
there: a heartbeat every ``PATROL_HEARTBEAT`` seconds (which also re-queues the leases of
dead workers and releases this worker's finished leases), and a ``spider_idle`` handler
that keeps an idle worker open until the *shared* frontier is drained — scrapy-redis's own
``SCHEDULER_IDLE_BEFORE_CLOSE`` blocks the reactor in ``BRPOP`` and only sees the queue,
not the requests other workers still have in flight, which may yet add more.

:class:`SeedOnceMiddleware` lets exactly one worker of a patrol yield the spider's
``start()`` requests (Scrapy 2.13's ``process_start`` hook): the others join with nothing
and take requests from the shared queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

import redis
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider

from patrol.distributed.config import DistributedConfig, hide_password, redis_params
from patrol.distributed.frontier import Frontier
from patrol.errors import PatrolError

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.task import LoopingCall

    from patrol.distributed.scheduler import PatrolScheduler

__all__ = ["REDIS_LOST", "DistributedPatrol", "SeedOnceMiddleware"]

logger = logging.getLogger(__name__)

REDIS_LOST = "redis_unavailable"  # the close reason of a worker that lost Redis
_IDLE_POLL_SECONDS = 0.25


class _Store(Protocol):
    def has_unstored_items(self) -> bool: ...

    def flush_when_idle(self) -> None: ...


class DistributedPatrol:
    """One worker's membership of a distributed patrol."""

    def __init__(self, crawler: Crawler, config: DistributedConfig, frontier: Frontier) -> None:
        self.crawler = crawler
        self.config = config
        self.frontier = frontier
        self.scheduler: PatrolScheduler | None = None  # set by the scheduler
        self.store: _Store | None = None  # set by the store pipeline
        self.redis_lost = False
        self.seeder = False
        self.left = False
        self.finaliser = False  # the last worker out of a drained patrol
        self._heartbeat: LoopingCall | None = None
        self._poll: LoopingCall | None = None
        self._closing: asyncio.Future[None] | None = None
        self._reseeding: asyncio.Future[None] | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedPatrol:
        config = DistributedConfig.from_settings(crawler.settings)
        spider = crawler.spider
        profile = getattr(spider, "profile", None)
        site = str(getattr(profile, "name", None) or getattr(spider, "name", "spider"))
        server = redis.Redis.from_url(config.redis_url, **redis_params())
        try:
            frontier = Frontier.join(
                server, config.prefix, site, config.patrol_id,
                worker_timeout=config.worker_timeout,
            )  # fmt: skip
        except redis.RedisError as exc:
            raise PatrolError(
                f"cannot reach Redis at {hide_password(config.redis_url)} (PATROL_REDIS_URL): {exc}"
            ) from None
        logger.info(
            "worker %s joined patrol %s of %s", frontier.worker_id, frontier.keys.patrol_id, site
        )
        return cls(crawler, config, frontier)

    @classmethod
    def of(cls, crawler: Crawler) -> DistributedPatrol:
        """The crawler's instance of this extension (the scheduler and pipelines need it)."""
        for extension in getattr(crawler.extensions, "middlewares", ()):
            if isinstance(extension, cls):
                return extension
        raise PatrolError(
            "the distributed scheduler needs the DistributedPatrol extension: "
            "enable it with PATROL_REDIS_URL (patrol.distributed.addon.DistributedPatrolAddon)"
        )

    @property
    def patrol_id(self) -> str:
        return self.frontier.keys.patrol_id

    # -- signals ---------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet.task import LoopingCall

        if self.crawler.stats is not None:
            self.crawler.stats.set_value("patrol/patrol_id", self.patrol_id)
            self.crawler.stats.set_value("patrol/worker_id", self.frontier.worker_id)
            self.crawler.stats.set_value("patrol/workers", 1)  # summed over the patrol
        self._heartbeat = LoopingCall(self.heartbeat)
        self._heartbeat.start(self.config.heartbeat, now=True)
        # an idle worker asks the queue for work this often (other workers may add some)
        self._poll = LoopingCall(self._wake_engine)
        self._poll.start(_IDLE_POLL_SECONDS, now=False)
        try:
            self.frontier.mark_ready()
        except redis.RedisError as exc:
            self.redis_failed(exc)

    def heartbeat(self) -> None:
        """Beat, re-queue dead workers' leases, release finished ones, wake the engine."""
        if self.redis_lost:
            return
        try:
            if not self.frontier.beat():
                self._taken_for_dead()
            self.frontier.requeue_dead()
            if self.store is None or not self.store.has_unstored_items():
                self.release_completed()
        except redis.RedisError as exc:
            self.redis_failed(exc)
            return
        self._wake_engine()

    def _taken_for_dead(self) -> None:
        # nothing is lost (the re-queued requests are fetched again), but the patrol does
        # work twice: the heartbeat timeout is too short for this machine's stalls
        logger.warning(
            "worker %s of patrol %s missed its heartbeat for over %g s and was taken for "
            "dead: its in-flight requests were re-queued and will be fetched twice "
            "(raise PATROL_WORKER_TIMEOUT if this repeats)",
            self.frontier.worker_id,
            self.patrol_id,
            self.config.worker_timeout,
        )
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("patrol/taken_for_dead")

    def release_completed(self) -> None:
        """Release the leases of requests that are done and whose output is stored.

        Callers guarantee the second half: the store pipeline after a successful flush,
        the heartbeat only while the store's buffer is empty.
        """
        scheduler = self.scheduler
        if scheduler is not None and not self.redis_lost:
            scheduler.release(scheduler.completed_leases())

    def spider_idle(self, spider: Spider) -> None:
        """Close only when the shared frontier is drained, not when this worker is idle."""
        if self.redis_lost:
            raise CloseSpider(REDIS_LOST)
        if self.store is not None and self.store.has_unstored_items():
            self.store.flush_when_idle()  # releases the leases whose output it stored
        else:
            self.release_completed()
        try:
            state = self.frontier.state()
        except redis.RedisError as exc:
            self.redis_failed(exc)
            raise CloseSpider(REDIS_LOST) from None
        if state.drained:
            logger.info("patrol %s: frontier drained, worker leaving", self.patrol_id)
            return
        if not state.seeded and self._reseeding is None and self.frontier.claim_seeding():
            self._reseeding = asyncio.ensure_future(self._reseed(spider))
        raise DontCloseSpider

    async def _reseed(self, spider: Spider) -> None:
        """Seed the patrol in place of a seeding worker that died before it finished.

        The start requests go through the scheduler like any request, so the dupefilter
        drops those the dead worker had already queued.
        """
        logger.warning("patrol %s: its seeding worker died; seeding again", self.patrol_id)
        self.seeder = True
        engine = self.crawler.engine
        assert engine is not None
        async for item_or_request in spider.start():
            if isinstance(item_or_request, Request):
                engine.crawl(item_or_request)
        try:
            self.frontier.seeding_done()
        except redis.RedisError as exc:
            self.redis_failed(exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for call in (self._heartbeat, self._poll):
            if call is not None and call.running:
                call.stop()
        self.leave(reason)

    def leave(self, reason: str) -> bool:
        """Leave the patrol (once); True if this worker is the one to finalise it.

        The worker's integer stats join the patrol's totals and any lease it still holds
        goes back in the queue. The finaliser is the worker that finished with the
        frontier drained and no other worker alive (claimed in Redis, so exactly one).
        """
        if self.left:
            return self.finaliser
        self.left = True
        if self.redis_lost:
            return False
        try:
            if self.store is None or not self.store.has_unstored_items():
                self.release_completed()
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            self.frontier.add_stats(stats)
            requeued = self.frontier.leave()
            if requeued:
                logger.info(
                    "patrol %s: %d unfinished request(s) handed back", self.patrol_id, requeued
                )
            self.finaliser = (
                reason == "finished"
                and self.frontier.state().drained
                and self.frontier.others_alive() == 0
                and self.frontier.claim("final")
            )
        except redis.RedisError as exc:
            self.redis_failed(exc)
            return False
        if self.finaliser:
            logger.info("patrol %s complete: this worker finalises it", self.patrol_id)
            self._record_patrol_seconds()
        return self.finaliser

    def _record_patrol_seconds(self) -> None:
        """The patrol's duration from seeding to drained (stat ``patrol/patrol_seconds``)."""
        try:
            seeded_at = self.frontier.meta("seeded_at")
            seconds = self.frontier.now() - float(seeded_at) if seeded_at else None
        except (redis.RedisError, ValueError):
            return
        if seconds is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value("patrol/patrol_seconds", round(seconds, 3))

    def add_stats(self, stats: dict[str, int]) -> None:
        """Add stats this worker counted after it left (the finaliser's gone counts)."""
        if self.crawler.stats is not None:
            for key, value in stats.items():
                self.crawler.stats.inc_value(key, value)
        if not self.redis_lost:
            try:
                self.frontier.add_stats(stats)
            except redis.RedisError as exc:
                self.redis_failed(exc)

    def engine_stopped(self) -> None:
        """The finaliser drops the patrol's frontier (its totals stay a day for reports)."""
        if not self.finaliser or self.redis_lost:
            return
        try:
            self.frontier.retire()
        except redis.RedisError as exc:
            logger.warning("patrol %s: could not retire its Redis keys: %s", self.patrol_id, exc)

    # -- a lost Redis ----------------------------------------------------------------

    def redis_failed(self, exc: Exception) -> None:
        """Stop this worker with one clear error; its leases wait in Redis for a restart."""
        if self.redis_lost:
            return
        self.redis_lost = True
        logger.error(
            "lost Redis at %s (%s): stopping this worker of patrol %s; its unfinished "
            "requests stay leased in Redis and are fetched again when a worker serves the "
            "patrol once Redis is back",
            hide_password(self.config.redis_url),
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            self.patrol_id,
        )
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("patrol/redis_lost", 1)
        engine = self.crawler.engine
        if engine is not None and engine.running:
            self._closing = asyncio.ensure_future(engine.close_spider_async(reason=REDIS_LOST))

    def _wake_engine(self) -> None:
        """Ask the engine for requests now instead of at its next 5-second heartbeat.

        Scrapy has no public call for this; scrapy-redis's spiders use ``engine.crawl()``
        from ``spider_idle``, which would push the request back into the queue here.
        """
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()


class SeedOnceMiddleware:
    """Spider middleware: only the worker that claims seeding yields ``start()``."""

    def __init__(self, patrol: DistributedPatrol) -> None:
        self.patrol = patrol

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnceMiddleware:
        return cls(DistributedPatrol.of(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier = self.patrol.frontier
        if not frontier.claim_seeding():
            logger.info(
                "patrol %s is seeded by another worker: taking requests from the queue",
                self.patrol.patrol_id,
            )
            return
        self.patrol.seeder = True
        await self._wait_for_workers()
        frontier.set_meta_once("seeded_at", repr(frontier.now()))
        async for item_or_request in start:
            yield item_or_request
        frontier.seeding_done()
        logger.info("patrol %s seeded by worker %s", self.patrol.patrol_id, frontier.worker_id)

    async def _wait_for_workers(self) -> None:
        """Hold the start requests until ``PATROL_MIN_WORKERS`` workers are ready."""
        config = self.patrol.config
        deadline = time.monotonic() + config.run_wait
        while (ready := self.patrol.frontier.ready_workers()) < config.min_workers:
            if time.monotonic() > deadline:
                logger.warning(
                    "patrol %s starts with %d of %d workers ready",
                    self.patrol.patrol_id,
                    ready,
                    config.min_workers,
                )
                return
            await asyncio.sleep(0.1)
