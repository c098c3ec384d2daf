"""The store pipeline of a distributed patrol: leases released only once stored, gone once.

:class:`LeasedStorePipeline` is :class:`pipelines.store.StorePipeline` with two changes
for a patrol that several workers share:

- after each successful flush it releases the leases of the requests that were finished
  before the flush began — their listings were in the batch just committed — so a worker
  killed at any moment leaves every request whose output is not in the database leased in
  Redis, to be fetched again (the database's natural keys absorb the repeat);
- marking unseen listings gone needs the union of what *all* workers saw, so only the
  patrol's finaliser (the last worker out of a drained frontier, see
  :meth:`patrol.distributed.extension.DistributedPatrol.leave`) does it, once, counting
  from when the patrol (not this worker) started.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

import redis
from sqlalchemy.exc import SQLAlchemyError

from patrol.distributed.extension import DistributedPatrol
from pipelines.store import StoreConfig, StorePipeline

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from patrol.db.store import ListingStore

__all__ = ["LeasedStorePipeline"]

logger = logging.getLogger(__name__)

_INCOMPLETE_STATS = ("patrol/blocked_requests", "patrol/resume_skipped", "patrol/store_errors")


class LeasedStorePipeline(StorePipeline):
    # A flush releases leases: it must return once its batch is committed, not when a
    # background thread has been handed it, or a worker killed in between loses the batch.
    writes_in_background = False

    def __init__(self, crawler: Crawler, store_config: StoreConfig, store: ListingStore) -> None:
        super().__init__(crawler, store_config, store)
        self.patrol = DistributedPatrol.of(crawler)
        self.patrol.store = self
        self.spilled = False

    def has_unstored_items(self) -> bool:
        """Items not in the database: buffered, or saved to ``var/unstored`` at close."""
        return bool(self.buffer) or self.spilled

    def flush_when_idle(self) -> None:
        """Flush an idle worker's buffer, at most once a second (a database that is down
        is retried, not hammered; until then the leases stay held)."""
        if time.monotonic() - self._last_flush >= 1.0:
            self.flush()

    def _spill(self) -> None:
        # these items are in a file, not the database: their requests stay leased and
        # are handed back to the patrol when this worker leaves
        self.spilled = True
        super()._spill()

    def flush(self) -> bool:
        scheduler = self.patrol.scheduler
        finished = scheduler.completed_leases() if scheduler is not None else []
        stored = super().flush()
        if stored and scheduler is not None and not (self.spilled or self.patrol.redis_lost):
            try:
                scheduler.release(finished)
            except redis.RedisError as exc:
                self.patrol.redis_failed(exc)
        return stored

    def _mark_unseen_gone(self, reason: str) -> None:
        patrol = self.patrol
        if not (self.config.mark_gone and patrol.finaliser):
            return
        try:
            totals = patrol.frontier.total_stats()
        except redis.RedisError as exc:
            patrol.redis_failed(exc)
            return
        incomplete = [key for key in _INCOMPLETE_STATS if totals.get(key)]
        if incomplete:
            logger.info(
                "patrol %s not complete (%s): no listing marked gone",
                patrol.patrol_id,
                ", ".join(incomplete),
            )
            return
        since = self._patrol_started_at()
        if since is None:
            return
        site = patrol.frontier.keys.site
        for marketplace in sorted(self.marketplaces | {site}):
            try:
                counts = self.store.mark_unseen_gone(
                    marketplace, since=since, min_coverage=self.config.gone_min_coverage
                )
            except SQLAlchemyError:
                logger.exception("could not mark unseen listings of %s gone", marketplace)
                continue
            patrol.add_stats(
                {
                    f"patrol/{key}": value
                    for key in ("listings_gone", "leads_closed")
                    if (value := getattr(counts, key))
                }
            )

    def _patrol_started_at(self) -> datetime | None:
        """When the patrol's first worker started (recorded in Redis), else this one."""
        text = self.patrol.frontier.meta("started_at")
        if text:
            return datetime.fromisoformat(text)
        return self.started_at

    def open_spider(self) -> None:
        super().open_spider()
        if self.started_at is not None:
            self.patrol.frontier.set_meta_once("started_at", self.started_at.isoformat())
