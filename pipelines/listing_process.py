"""Hand a plain patrol's listing pages to a process of their own (see
:mod:`patrol.crawl.listing_process`), and take in what it stored.

This pipeline has no ``process_item``: listings it handles never pass through the crawl's
item path. It starts the child as the pipelines are built, so that the child loads its
rulebook while the crawl's process loads its own; waits for it in ``open_spider``; gives
the spider its :meth:`~patrol.crawl.listing_process.ListingProcess.take`; and, once the
spider is idle, lets the child finish and adds its counts to the crawl's stats — before
the spider closes, so that the run recorder, the store's mark-gone rule and the patrol's
summary see every listing. Pages the child will not store (it was lost, or was behind by
``max_pending`` pages) are read in the crawl's process and go through the crawl's own
pipelines.

Switched on by ``PATROL_LISTING_PROCESS`` (on by default with more than one core) and
off, whatever it says, where a page must be read in the crawl's process:

* a browser site — the evidence screenshot needs the live page;
* a resumable patrol (``job_dir``) and a distributed worker — their journal and leases
  note a request as done once its listing is committed, in the crawl's process;
* ``FEEDS`` set (``scrapy crawl -o``) — the feed exporter sees only items scraped here;
* no item pipelines at all (nothing to do over there).
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured

from patrol.childproc import loop_running
from patrol.crawl.listing_pages import (
    ListingPage,
    ListingProcessConfig,
    listings_stored,
    response_of,
)
from patrol.crawl.listing_process import ListingProcess, ListingProcessLost

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["ListingProcessPipeline"]

logger = logging.getLogger(__name__)


def _load_message(crawler: Crawler, spider: Any) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """What the child builds its spider and pipelines from."""
    settings: dict[str, Any] = {}
    for name, value in crawler.settings.copy_to_dict().items():
        try:
            pickle.dumps(value)
        except Exception:  # a class or a function as a setting: the child keeps its default
            continue
        settings[name] = value
    settings["ITEM_PIPELINES"] = {  # the same pipelines over there, but for this one
        path: order
        for path, order in crawler.settings.getdict("ITEM_PIPELINES").items()
        if _component(path) is not ListingProcessPipeline
    }
    spider_class = type(spider)
    arguments = {"site": spider.config.site, "base_url": spider.config.base_url}
    return settings, f"{spider_class.__module__}.{spider_class.__qualname__}", arguments


class ListingProcessPipeline:
    def __init__(self, crawler: Crawler, starting: asyncio.Task[ListingProcess]) -> None:
        self.crawler = crawler
        self.child: ListingProcess | None = None
        self._starting: asyncio.Task[ListingProcess] | None = starting
        self._in_process: set[asyncio.Task[None]] = set()  # pages read here after all
        crawler.signals.connect(self._finish_when_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ListingProcessPipeline:
        spider = crawler.spider
        config = ListingProcessConfig.from_settings(crawler.settings, spider)
        # not a warning (a browser site is read in the crawl's process as a rule): said
        # at INFO here, and NotConfigured without a message is not logged again by Scrapy
        if not config.enabled:
            logger.info("listing pages read in the crawl's process: %s", config.why_not)
            raise NotConfigured
        if not loop_running():
            logger.info("listing pages read in the crawl's process: no running event loop")
            raise NotConfigured
        pipeline: ListingProcessPipeline

        def on_report(stats: dict[str, Any], marketplaces: set[str]) -> None:
            pipeline._take_counts(stats, marketplaces)

        def on_lost(pages: list[ListingPage]) -> None:
            pipeline._read_here(pages)

        try:
            starting = ListingProcess.start(
                _load_message(crawler, spider), on_report=on_report, on_lost=on_lost
            )
        except (OSError, ListingProcessLost) as exc:
            logger.warning("listing pages read in the crawl's process: %s", exc)
            raise NotConfigured from exc
        pipeline = cls(crawler, starting)
        return pipeline

    async def open_spider(self) -> None:
        from patrol.db.runs import recorder_of

        starting, self._starting = self._starting, None
        if starting is None:
            return
        try:
            child = await starting
        except ListingProcessLost as exc:
            logger.warning("listing pages read in the crawl's process: %s", exc)
            return
        recorder = recorder_of(self.crawler)
        child.open(recorder.ensure_run() if recorder is not None else None)
        self.child = child
        self.crawler.spider.listing_process = child  # type: ignore[union-attr]
        logger.info("listing pages read in process %d", child.pid)

    def _finish_when_idle(self, spider: Spider) -> None:
        """The crawl is over: let the child store what it has, and count it, before the
        spider closes; wait for pages read here after all."""
        if self.child is not None:
            self._finish()
        if self._in_process:
            raise DontCloseSpider

    def _finish(self) -> None:
        child, self.child = self.child, None
        if child is None:
            return
        self.crawler.spider.listing_process = None  # type: ignore[union-attr]
        started = time.monotonic()
        child.finish()
        logger.info(
            "listing process %d done; the crawl waited %.2f s for its last pages",
            child.pid,
            time.monotonic() - started,
        )

    async def close_spider(self) -> None:
        if self._starting is not None:  # closed before it was open
            self._starting.cancel()
            self._starting = None
        if self.child is not None:  # closed before it was idle: cancelled, or shut down
            self._finish()
        if self._in_process:
            await asyncio.gather(*self._in_process, return_exceptions=True)

    def _take_counts(self, stats: dict[str, Any], marketplaces: set[str]) -> None:
        crawl_stats = self.crawler.stats
        crawl_stats.inc_value("patrol/listing_process_answers")
        for key, value in stats.items():
            crawl_stats.inc_value(key, value)
        if marketplaces:
            self.crawler.signals.send_catch_log(listings_stored, marketplaces=marketplaces)

    def _read_here(self, pages: list[ListingPage]) -> None:
        """Pages the child will not store: read them here, through the crawl's pipelines."""
        self.crawler.stats.inc_value("patrol/listing_process_returned", len(pages))
        spider: Any = self.crawler.spider
        loop = asyncio.get_running_loop()  # called back from the crawl's loop
        for page in pages:
            try:
                listing = spider.read_listing(spider._decoded(response_of(page)), page[6])
            except Exception:
                self.crawler.stats.inc_value("spider_exceptions/count")
                logger.exception("could not read listing page %s", page[2])
                continue
            task = loop.create_task(self._through_pipelines(listing))
            self._in_process.add(task)
            task.add_done_callback(self._in_process.discard)

    async def _through_pipelines(self, item: Any) -> None:
        stats = self.crawler.stats
        try:
            await self.crawler.engine.scraper.itemproc.process_item_async(item)
        except DropItem as exc:
            stats.inc_value("item_dropped_count")
            stats.inc_value(f"item_dropped_reasons_count/{type(exc).__name__}")
            logger.warning("Dropped: %s", exc)
        except Exception:
            logger.exception("Error processing %s", getattr(item, "url", item))
        else:
            stats.inc_value("item_scraped_count")


def _component(path: Any) -> Any:
    from scrapy.utils.misc import load_object

    try:
        return load_object(path)
    except (ImportError, NameError, ValueError, AttributeError):
        return None  # not ours: what it is, the child finds out as the crawl did
