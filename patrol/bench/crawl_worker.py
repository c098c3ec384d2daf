"""One crawl of ``patrol bench crawl``, run in its own process (the reactor cannot restart).

``python -m patrol.bench.crawl_worker MODE SITE BASE_URL`` runs one crawl and prints its
stats as one JSON line. The modes:

* ``full`` — the patrol as ``patrol crawl`` runs it: spider, all pipelines, database.
* ``bare`` — a spider that walks the same pages (same link patterns, same politeness
  settings) and does nothing else: no extraction, no items, no pipelines.
* ``rendered`` — the full patrol with the project's browser settings (resources aborted,
  one context, a screenshot only of flagged listings).
* ``naive`` — the same patrol with a naive browser setup: a new browser context for every
  page (closed after it), every resource (images, fonts, media) loaded, and a screenshot
  of every listing page.
"""

from __future__ import annotations

import itertools
import json
import resource
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy_playwright.page import PageMethod

from patrol.items import Listing
from spiders.marketplace import MarketplaceSpider

__all__ = ["BareSpider", "NaiveBrowserSpider", "main"]


class BareSpider(MarketplaceSpider):
    """Fetches what the patrol fetches and nothing more: the baseline for ``full``.

    It walks the site as the patrol does — the same link extractor, one request per
    listing id, listings queued ahead of result pages (the patrol's priorities) — so that
    both crawls keep the same number of requests in flight and the ratio measures only
    what the patrol does with each page. (Walking result pages first would keep the
    queue fuller than the patrol's and measure a different crawl.) It counts the result
    pages it reads, as the patrol does, so it ends ``finished`` rather than unreachable.
    """

    name = "bench-bare"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.profile.start_urls:
            yield Request(self.profile.absolute(url), callback=self.walk)

    def walk(self, response: Response) -> Iterator[Request]:
        self.crawler.stats.inc_value("patrol/index_pages")
        if not isinstance(response, TextResponse):
            return
        for link in self.links.extract_links(response):
            if not self._on_site(link.url):
                continue
            listing_id = self.profile.listing_id(link.url)
            if listing_id is not None:
                if listing_id not in self.listings_requested:
                    self.listings_requested.add(listing_id)
                    yield Request(link.url, callback=self.ignore, priority=self.listing_priority)
            elif any(p.search(link.url) for p in self.profile.follow):
                yield Request(link.url, callback=self.walk)

    def ignore(self, response: Response) -> None:
        return None


class NaiveBrowserSpider(MarketplaceSpider):
    """The patrol spider with one fresh browser context per page: the baseline for rendering."""

    name = "bench-naive"
    _contexts = itertools.count()

    def _index_request(self, url: str) -> Request:
        return self._naive(super()._index_request(url))

    def _listing_request(self, url: str, listing_id: str, recheck: bool = False) -> Request:
        request = super()._listing_request(url, listing_id, recheck)
        # the naive way to keep evidence: a screenshot of every listing page
        request.meta["playwright_page_methods"].append(
            PageMethod("screenshot", full_page=True, type="png")
        )
        return self._naive(request)

    def _naive(self, request: Request) -> Request:
        request.meta["playwright_context"] = f"page-{next(self._contexts)}"
        request.meta["playwright_include_page"] = True
        request.callback = self._closing(request.callback)
        return request

    def _closing(self, callback: Any) -> Any:
        async def run(response: Response) -> AsyncIterator[Any]:
            page = response.meta["playwright_page"]
            try:
                for result in callback(response) or ():
                    if isinstance(result, Listing) and result.capture is not None:
                        result.capture.page = None  # closed below, with its context
                    yield result
            finally:
                await page.close()
                await page.context.close()

        return run


def _settings(mode: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"LOG_LEVEL": "WARNING", "PATROL_RECHECK_NOTICES": False}
    if mode == "bare":
        settings["ITEM_PIPELINES"] = {}
    if mode == "naive":
        # command-line priority: wins over what the profile sets for the spider
        settings["PLAYWRIGHT_ABORT_REQUEST"] = None
        settings["PLAYWRIGHT_MAX_CONTEXTS"] = 0
    return settings


class _CpuClock:
    """CPU time of the crawl's thread and of its whole process while the spider is open.

    The reactor's thread runs the spider, the middlewares and the pipelines (those of a
    listing page read in the crawl's process); wall time on a shared machine also counts
    what other processes took, CPU time does not. What the helper processes took (the
    listing process reads most listing pages of a plain patrol) is told apart.
    """

    def __init__(self) -> None:
        self._opened: tuple[float, float] | None = None
        self.thread_seconds = 0.0
        self.process_seconds = 0.0

    def spider_opened(self) -> None:
        self._opened = (time.thread_time(), time.process_time())

    def spider_closed(self) -> None:
        if self._opened is not None:
            self.thread_seconds = time.thread_time() - self._opened[0]
            self.process_seconds = time.process_time() - self._opened[1]

    @staticmethod
    def children_seconds() -> float:
        """CPU time of the crawl's helper processes (listing, screening), once reaped."""
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    mode, site, base_url = argv
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from patrol.crawl.runner import PatrolSummary, patrol_settings

    spider_class: type[scrapy.Spider] = {
        "full": MarketplaceSpider,
        "bare": BareSpider,
        "rendered": MarketplaceSpider,
        "naive": NaiveBrowserSpider,
    }[mode]
    overrides = {**_settings(mode), "PATROL_SITE": site, "PATROL_BASE_URL": base_url}
    process = AsyncCrawlerProcess(patrol_settings(overrides))
    crawler = process.create_crawler(spider_class)
    clock = _CpuClock()
    crawler.signals.connect(clock.spider_opened, signal=signals.spider_opened)
    crawler.signals.connect(clock.spider_closed, signal=signals.spider_closed)
    process.crawl(crawler)
    process.start()
    assert crawler.stats is not None
    summary = PatrolSummary.from_stats(site, crawler.stats.get_stats())
    print(
        json.dumps(
            {
                "mode": mode,
                "status": summary.status,
                "pages": summary.pages,
                "listings": summary.listings,
                "rendered_pages": summary.rendered_pages,
                "seconds": summary.seconds,
                "errors": summary.errors,
                "crawl_thread_cpu_s": round(clock.thread_seconds, 3),
                "process_cpu_s": round(clock.process_seconds, 3),
                "helper_cpu_s": round(clock.children_seconds(), 3),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
