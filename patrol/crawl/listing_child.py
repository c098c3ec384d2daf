"""The listing process's side (see :mod:`patrol.crawl.listing_process`).

It builds what a patrol builds for its listings — the patrol's spider class with the
patrol's arguments and settings, a stats collector, and the item pipelines of
``ITEM_PIPELINES`` through Scrapy's own :class:`~scrapy.pipelines.ItemPipelineManager` —
but no engine, downloader or extensions: it never fetches. For each page the parent sends
it rebuilds the response, has the spider read it (``_decoded`` and ``read_listing``, as
``parse_listing`` would) and runs the listing through the pipelines, counting as Scrapy's
scraper and core stats would (``item_scraped_count``, ``item_dropped_count``).

Its settings differ from the patrol's in three ways: it screens in its own process (no
screening child of its own), it starts no listing process, and it never marks listings
gone — that is the patrol's to decide at its end, from the whole crawl's stats. The store
here writes in this process's one thread (its pipelines see no running reactor), and a
frame is answered only once the store's buffer is empty: everything up to it committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import IO, Any

from patrol.childproc import read_frame, write_frame
from patrol.crawl.listing_pages import ListingPage, response_of
from patrol.screening.childlog import child_log_handler

__all__ = ["CHILD_SETTINGS", "serve"]

logger = logging.getLogger(__name__)

#: what the listing process's settings say whatever the patrol's do (see above)
CHILD_SETTINGS: dict[str, Any] = {
    "PATROL_SCREEN_PROCESS": False,
    "PATROL_LISTING_PROCESS": False,
    "PATROL_MARK_GONE": False,
    "PATROL_RECHECK_NOTICES": False,
}


class _ListingReader:
    """The spider and the pipelines, built from what the parent sent."""

    def __init__(self, settings: dict[str, Any], spider_class: str, arguments: dict[str, Any]):
        from scrapy.crawler import Crawler
        from scrapy.extension import ExtensionManager
        from scrapy.pipelines import ItemPipelineManager
        from scrapy.settings import Settings
        from scrapy.statscollectors import StatsCollector
        from scrapy.utils.misc import load_object

        from pipelines.store import StorePipeline

        values = Settings(settings)
        values.setdict(CHILD_SETTINGS, priority="cmdline")
        spidercls = load_object(spider_class)
        crawler = Crawler(spidercls, values)
        self.spider = spidercls.from_crawler(crawler, **arguments)
        crawler.spider = self.spider
        crawler.stats = StatsCollector(crawler)
        crawler.extensions = ExtensionManager(crawler=crawler)  # none: no run recorder here
        crawler.settings.freeze()
        self.crawler = crawler
        self.stats = crawler.stats
        self.pipelines = ItemPipelineManager.from_crawler(crawler)
        self.store: Any = next(
            (p for p in self.pipelines.middlewares if isinstance(p, StorePipeline)), None
        )

    async def open(self, run_id: int | None) -> None:
        await self.pipelines.open_spider_async()
        if self.store is not None:
            self.store.store.run_id = run_id

    async def read(self, pages: list[ListingPage]) -> None:
        from scrapy.exceptions import DropItem

        for page in pages:
            try:
                response = self.spider._decoded(response_of(page))
                listing = self.spider.read_listing(response, page[6])
            except Exception:
                self.stats.inc_value("spider_exceptions/count")
                logger.exception("could not read listing page %s", page[2])
                continue
            try:
                await self.pipelines.process_item_async(listing)
            except DropItem as exc:
                self.stats.inc_value("item_dropped_count")
                self.stats.inc_value(f"item_dropped_reasons_count/{type(exc).__name__}")
                logger.warning("Dropped: %s", exc)
            except Exception:
                logger.exception("Error processing %s", listing.url)
            else:
                self.stats.inc_value("item_scraped_count")

    def all_stored(self) -> bool:
        return self.store is None or not self.store.buffer

    def counted(self) -> dict[str, Any]:
        """The counters since the last call (then they start again from nothing)."""
        counts = {
            key: value
            for key, value in self.stats.get_stats().items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        self.stats.clear_stats()
        return counts

    async def close(self) -> set[str]:
        from scrapy import signals

        await self.pipelines.close_spider_async()
        self.crawler.signals.send_catch_log(
            signals.spider_closed, spider=self.spider, reason="finished"
        )
        return set(self.store.marketplaces) if self.store is not None else set()


def serve() -> None:
    """Build the reader the parent describes, then read what it sends until ``finish``."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything printed goes to stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the patrol's to handle; it closes us
    with contextlib.suppress(BrokenPipeError):  # the parent went away
        asyncio.run(_serve(sys.stdin.buffer, answers))
    os._exit(0)  # tearing down a compiled rulebook object by object takes a while


async def _serve(questions: IO[bytes], answers: IO[bytes]) -> None:
    request = read_frame(questions)
    if request is None:
        return
    _, settings, spider_class, arguments = request
    root = logging.getLogger()
    root.addHandler(child_log_handler(sys.stderr))  # one JSON line a record, for the parent
    root.setLevel(settings.get("LOG_LEVEL") or logging.DEBUG)
    try:
        reader = _ListingReader(settings, spider_class, arguments)
    except Exception as exc:  # said in full; the parent reads its pages itself
        logger.exception("the listing process could not start")
        write_frame(answers, ("failed", "error", f"{type(exc).__name__}: {exc}"))
        return
    write_frame(answers, ("ready", os.getpid()))
    seq = 0
    while (message := read_frame(questions)) is not None:
        kind = message[0]
        if kind == "open":
            await reader.open(message[1])
        elif kind == "pages":
            seq = message[1]
            await reader.read(message[2])
            if reader.all_stored():
                write_frame(answers, ("done", seq, reader.counted()))
        elif kind == "finish":
            marketplaces = await reader.close()
            write_frame(answers, ("finished", seq, reader.counted(), sorted(marketplaces)))
            return
