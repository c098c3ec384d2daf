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
here writes in this process's one thread (its pipelines see no running reactor), between
frames only, when its batch is full or its interval is up; a frame is answered right
after the write that committed it (and everything before it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import signal
import sys
import time
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
        self._last_commit = time.monotonic()
        if self.store is not None:
            # the store writes between frames only (commit_if_due), never part-way through
            # one, so that an answer covers whole frames: what it keeps, its limits say
            self._limits = self.store.config
            self.store.config = dataclasses.replace(
                self._limits, batch_size=sys.maxsize, flush_interval=math.inf
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

    def commit_if_due(self) -> bool:
        """Write the store's buffer if its batch is full or its interval is up, as the
        store would; True when nothing read is left unwritten."""
        if self.store is None:
            return True
        buffer = self.store.buffer
        if buffer and (
            len(buffer) >= self._limits.batch_size
            or time.monotonic() - self._last_commit >= self._limits.flush_interval
        ):
            self._last_commit = time.monotonic()
            self.store.flush()  # a database error keeps the batch for the next try
        return not self.store.buffer

    def marketplaces(self) -> list[str]:
        return sorted(self.store.marketplaces) if self.store is not None else []

    def counted(self) -> dict[str, Any]:
        """The counters since the last call (then they start again from nothing)."""
        counts = {
            key: value
            for key, value in self.stats.get_stats().items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        self.stats.clear_stats()
        return counts

    async def close(self) -> None:
        from scrapy import signals

        await self.pipelines.close_spider_async()
        self.crawler.signals.send_catch_log(
            signals.spider_closed, spider=self.spider, reason="finished"
        )


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
    opened = False
    while (message := read_frame(questions)) is not None:
        kind = message[0]
        if kind == "open":
            await reader.open(message[1])
            opened = True
        elif kind == "pages":
            seq = message[1]
            await reader.read(message[2])
            if reader.commit_if_due():
                write_frame(answers, ("done", seq, reader.counted(), reader.marketplaces()))
        elif kind == "finish":
            await reader.close()
            write_frame(answers, ("finished", seq, reader.counted(), reader.marketplaces()))
            return
    if opened:  # the patrol died (or gave up on us): store what was read all the same
        logger.warning("the patrol went away: storing the listings read so far")
        await reader.close()
