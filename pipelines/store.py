"""Persist listings, snapshots and leads in batches (see :mod:`patrol.db.store`).

Items are buffered and written in one transaction per batch: when the buffer reaches
``PATROL_STORE_BATCH_SIZE`` items, when ``PATROL_STORE_FLUSH_INTERVAL`` seconds have passed
since the last write, and when the spider closes — never a commit per item. If the
database is unavailable (locked past its busy timeout, unreachable), the batch stays in
memory and is tried again at the next flush; whatever still cannot be written at the end is
saved to ``var/unstored/*.jsonl`` and the path logged, so no listing is lost.

In a running crawl a batch is written by one background thread, so the crawl goes on while
the database works: SQLite and the driver release the GIL while they execute and while a
commit waits for the disk (``synchronous = FULL``). Batches are still written one at a
time and in order — a flush first waits for the batch before it — and the counts and any
error are taken in on the crawl's thread. A resumable patrol (batch size 1) writes in
the crawl's thread: its journal notes an item as done once this pipeline has returned it,
which must mean committed. So does a distributed worker (``writes_in_background`` False):
it gives a request's lease back after a flush, which must mean committed too.

At the end of a *complete* patrol (close reason ``finished``, no request left blocked, not
resumed from a journal), listings of each patrolled marketplace that this patrol did not
see are marked gone, under the coverage rule of
:meth:`patrol.db.store.ListingStore.mark_unseen_gone` (``PATROL_GONE_MIN_COVERAGE``,
default 0.8; ``PATROL_MARK_GONE = False`` switches it off). Stats: ``patrol/listings_new``,
``…_changed``, ``…_unchanged``, ``…_kept`` (a known listing whose page came without a
required field — cut off or malformed — is marked seen and otherwise left as stored, its
lead untouched: half a page never overwrites a whole one), ``…_gone``,
``patrol/leads_new``, ``patrol/leads_updated``.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from patrol import config
from patrol.crawl.listing_pages import listings_stored
from patrol.items import Listing, ListingGone

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.task import LoopingCall

    from patrol.db.store import ListingStore, StoreCounts

__all__ = ["StoreConfig", "StorePipeline"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    database_url: str | None
    batch_size: int = 1000
    flush_interval: float = 5.0
    mark_gone: bool = True
    gone_min_coverage: float = 0.8

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> StoreConfig:
        if not settings.getbool("PATROL_STORE_ENABLED", True):
            raise NotConfigured("PATROL_STORE_ENABLED is off")
        made = cls(
            database_url=settings.get("PATROL_DATABASE_URL") or None,
            batch_size=settings.getint("PATROL_STORE_BATCH_SIZE", 1000),
            flush_interval=settings.getfloat("PATROL_STORE_FLUSH_INTERVAL", 5.0),
            mark_gone=settings.getbool("PATROL_MARK_GONE", True),
            gone_min_coverage=settings.getfloat("PATROL_GONE_MIN_COVERAGE", 0.8),
        )
        if made.batch_size < 1:
            raise ValueError(f"PATROL_STORE_BATCH_SIZE must be ≥ 1, not {made.batch_size}")
        if made.flush_interval <= 0:
            raise ValueError(f"PATROL_STORE_FLUSH_INTERVAL must be > 0, not {made.flush_interval}")
        if not 0.0 <= made.gone_min_coverage <= 1.0:
            raise ValueError(
                f"PATROL_GONE_MIN_COVERAGE must be within 0..1, not {made.gone_min_coverage}"
            )
        return made


_STAT_KEYS = (
    "listings_new",
    "listings_changed",
    "listings_unchanged",
    "listings_kept",
    "listings_gone",
    "leads_new",
    "leads_updated",
    "leads_closed",
    "leads_reopened",
)


class StorePipeline:
    #: whether a running crawl may write its batches on a background thread (see above)
    writes_in_background: ClassVar[bool] = True

    def __init__(self, crawler: Crawler, store_config: StoreConfig, store: ListingStore) -> None:
        self.crawler = crawler
        self.config = store_config
        self.store = store
        self.buffer: list[Listing | ListingGone] = []
        self.marketplaces: set[str] = set()
        self.started_at: datetime | None = None
        self._last_flush = time.monotonic()
        self._timer: LoopingCall | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._writing: tuple[list[Listing | ListingGone], Future[StoreCounts]] | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.stored_elsewhere, signal=listings_stored)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        from patrol.db import open_database
        from patrol.db.store import ListingStore

        store_config = StoreConfig.from_settings(crawler.settings)
        database = open_database(store_config.database_url)
        return cls(crawler, store_config, ListingStore(database))

    def open_spider(self) -> None:
        from patrol.db.models import utcnow
        from patrol.db.runs import recorder_of

        recorder = recorder_of(self.crawler)
        if recorder is not None:
            self.store.run_id = recorder.ensure_run()
        self.started_at = utcnow()
        self._last_flush = time.monotonic()
        self._start_timer()
        running = self._timer is not None  # a crawl, not a replay or a test's direct call
        if running and self.config.batch_size > 1 and self.writes_in_background:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patrol-store")

    def _start_timer(self) -> None:
        from twisted.internet import reactor
        from twisted.internet.task import LoopingCall

        if not getattr(reactor, "running", False):
            return
        self._timer = LoopingCall(self._flush_if_due)
        self._timer.start(self.config.flush_interval, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Listing | ListingGone):
            self.marketplaces.add(item.marketplace)
            self.buffer.append(item)
            if self._writing is not None:
                self._settle(wait=False)
            if len(self.buffer) >= self.config.batch_size:
                self.flush()
            else:
                self._flush_if_due()
        return item

    def _flush_if_due(self) -> None:
        if self.buffer and time.monotonic() - self._last_flush >= self.config.flush_interval:
            self.flush()

    def flush(self) -> bool:
        """Write the buffered items; on a database error keep them for the next try.

        With the background writer the batch is handed over and True means "on its
        way"; its outcome is taken in by the next flush (or item) — see :meth:`_settle`.
        """
        self._last_flush = time.monotonic()
        if self._writing is not None and not self._settle(wait=True):
            return False  # the batch before failed: it is back in the buffer for next time
        if not self.buffer:
            return True
        batch, self.buffer = self.buffer, []
        if self._writer is not None:
            self._writing = (batch, self._writer.submit(self.store.store, batch))
            return True
        try:
            counts = self.store.store(batch)
        except SQLAlchemyError as exc:
            self._keep(batch, exc)
            return False
        self._count(counts)
        return True

    def _settle(self, *, wait: bool) -> bool:
        """Take in the background batch once written (or, with ``wait``, when it is).

        Its counts become stats; on a database error the batch goes back to the head of
        the buffer, as after a failed synchronous write. False only for that error.
        """
        if self._writing is None:
            return True
        batch, written = self._writing
        if not wait and not written.done():
            return True
        self._writing = None
        try:
            counts = written.result()
        except SQLAlchemyError as exc:
            self._keep(batch, exc)
            return False
        self._count(counts)
        return True

    def _keep(self, batch: list[Listing | ListingGone], exc: SQLAlchemyError) -> None:
        self.buffer = batch + self.buffer
        self._inc("patrol/store_errors")
        logger.error(
            "could not store %d items (kept for the next try): %s",
            len(batch),
            str(getattr(exc, "orig", exc)).splitlines()[0],
        )

    def _inc(self, key: str, value: int = 1) -> None:
        if self.crawler.stats is not None and value:
            self.crawler.stats.inc_value(key, value)

    def _count(self, counts: StoreCounts) -> None:
        for key in _STAT_KEYS:
            self._inc(f"patrol/{key}", getattr(counts, key))

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._settle(wait=True)
        if self._writer is not None:  # the last writes in this thread, to know their outcome
            self._writer.shutdown(wait=True)
            self._writer = None
        if not self.flush() and not self.flush():
            self._spill()

    def _spill(self) -> None:
        """Save what could not be stored as JSON Lines under ``var/unstored/``."""
        directory = config.var_dir() / "unstored"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"run-{self.store.run_id or 'none'}-{int(time.time())}.jsonl"
        with Path(path).open("w", encoding="utf-8") as handle:
            for item in self.buffer:
                data = {f.name: getattr(item, f.name) for f in fields(item)}
                data.pop("capture", None)
                verdict = data.pop("verdict", None)
                if verdict is not None:
                    data["verdict"] = verdict.to_dict()
                data["type"] = type(item).__name__
                handle.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
        logger.error("%d items could not be stored; saved to %s", len(self.buffer), path)
        self.buffer = []

    def stored_elsewhere(self, marketplaces: set[str]) -> None:
        """Listings of ``marketplaces`` this patrol stored in its listing process: they
        count for the mark-gone rule as if stored here."""
        self.marketplaces.update(marketplaces)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self.buffer and not self.flush() and not self.flush():
                self._spill()  # items that came after close_spider (pages read here late)
            self._mark_unseen_gone(reason)
        finally:
            self.store.db.dispose()

    def _mark_unseen_gone(self, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        complete = (
            reason == "finished"
            and not stats.get("patrol/blocked_requests")
            and not stats.get("patrol/resume_skipped")
            and not stats.get("patrol/store_errors")
        )
        if not self.config.mark_gone or self.started_at is None:
            return
        if not complete:
            logger.info("patrol not complete (%s): no listing marked gone", reason)
            return
        for marketplace in sorted(self.marketplaces):
            try:
                counts = self.store.mark_unseen_gone(
                    marketplace,
                    since=self.started_at,
                    min_coverage=self.config.gone_min_coverage,
                )
            except SQLAlchemyError:
                logger.exception("could not mark unseen listings of %s gone", marketplace)
                continue
            self._count(counts)
