"""The generic marketplace spider: one class, driven by a site profile.

``scrapy crawl marketplace -a site=taoji [-a base_url=URL] [-a job_dir=DIR]`` (or
``patrol crawl taoji``) patrols one site. The profile (``spiders/sites/NAME.yaml``) says
where to start, which links are result pages to read for more links and which are listings,
and how to read each field; this spider only walks the site and extracts. It reads every
result page it can reach, so a patrol sees the whole site and a listing that is not seen
can be called gone.

Requests for sites whose profile asks for a browser carry ``meta["playwright"]`` and are
rendered by Chromium (``patrol.crawl.browser``); other sites never start one.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from patrol.crawl.browser import (
    close_page_soon,
    index_page_methods,
    listing_page_methods,
    playwright_settings,
)
from patrol.crawl.config import CrawlConfig
from patrol.crawl.extract import extract_listing
from patrol.crawl.journal import PatrolJournal
from patrol.crawl.listing_pages import ListingPageTaker, ListingProcessConfig
from patrol.crawl.profile import SiteProfile, load_profile
from patrol.items import Listing, ListingGone, PageCapture

__all__ = ["MarketplaceSpider"]

logger = logging.getLogger(__name__)

UNREACHABLE_REASON = "unreachable"  # finish reason when not one result page was read
_CHARSET_DECLARED = re.compile(rb"<meta[^>]+charset", re.IGNORECASE)
_YOUNG_THRESHOLD = 10_000  # net new objects between collections of the youngest generation


class MarketplaceSpider(scrapy.Spider):
    """Patrols the marketplace named by ``site`` with its profile."""

    name = "marketplace"
    allowed_domains: list[str]
    # listings before further result pages: the queue stays one result page deep
    listing_priority = 10

    profile: SiteProfile
    config: CrawlConfig
    journal: PatrolJournal | None
    links: LinkExtractor
    listings_requested: set[str]  # ids: one fetch per listing, whatever its URL's query
    _gc_thresholds: tuple[int, int, int] | None = None  # the collector's, while the spider is open
    #: takes plain listing pages to read in a process of their own, while it is there
    #: (set by :class:`pipelines.listing_process.ListingProcessPipeline`)
    listing_process: ListingPageTaker | None = None

    @classmethod
    def read_patrol_arguments(
        cls, settings: BaseSettings, arguments: dict[str, Any]
    ) -> tuple[CrawlConfig, SiteProfile]:
        """Take ``site``, ``base_url`` and ``job_dir`` out of the spider's ``arguments``,
        load the site's profile and check the job folder's state; what is wrong is a
        :class:`PatrolError`. ``scrapy
        crawl`` calls it too, to say so before the crawl starts."""
        config = CrawlConfig.from_settings(
            settings,
            site=arguments.pop("site", None),
            base_url=arguments.pop("base_url", None),
            job_dir=arguments.pop("job_dir", None),
        )
        profile = load_profile(config.site, base_url=config.base_url)
        if config.job_dir is not None:
            PatrolJournal.check(config.job_dir, profile.name)  # not another site's folder
        return config, profile

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MarketplaceSpider:
        config, profile = cls.read_patrol_arguments(crawler.settings, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.profile = profile
        spider.allowed_domains = [profile.origin[0]]
        spider.links = LinkExtractor(unique=True, canonicalize=False)
        spider.listings_requested = set()
        spider.journal = None
        if config.job_dir is not None:
            spider.journal = PatrolJournal(config.job_dir, profile.name, profile.base_url)
            spider.journal.open()
        _apply_profile_settings(crawler, profile, config)
        if ListingProcessConfig.from_settings(crawler.settings, spider).enabled:
            # the listing process screens over there: no screening child of its own here
            crawler.settings.set("PATROL_SCREEN_PROCESS", False, priority="spider")
        crawler.signals.connect(spider._tune_collector, signal=signals.spider_opened)
        if profile.browser is not None or spider.journal is not None:
            # only a kept browser page or a journal gives these work; a receiver of a
            # signal costs every item a task, so a plain patrol connects none
            crawler.signals.connect(spider._item_done, signal=signals.item_scraped)
            crawler.signals.connect(spider._item_done, signal=signals.item_dropped)
            crawler.signals.connect(spider._item_failed, signal=signals.item_error)
        crawler.signals.connect(spider._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._spider_closed, signal=signals.spider_closed)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # no "Crawled"/"Scraped" DEBUG records for a handler to drop (patrol.crawl.logformatter)
        settings.set("LOG_FORMATTER", "patrol.crawl.logformatter.PatrolLogFormatter", "spider")

    # -- requests ---------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.journal is not None and self.journal.resumed:
            self.crawler.stats.set_value("patrol/resumed_listings_done", len(self.journal))
        for listing_id, url in self._notices_to_recheck():
            yield self._listing_request(url, listing_id, recheck=True)
        for url in self.profile.start_urls:
            yield self._index_request(self.profile.absolute(url))

    def _index_request(self, url: str) -> Request:
        meta: dict[str, Any] = {}
        if self.profile.browser is not None:
            meta.update(
                playwright=True, playwright_page_methods=index_page_methods(self.profile.browser)
            )
        return Request(url, callback=self.parse_index, meta=meta)

    def _listing_request(self, url: str, listing_id: str, recheck: bool = False) -> Request:
        self.listings_requested.add(listing_id)
        meta: dict[str, Any] = {
            "listing_id": listing_id,
            "recheck": recheck,
            "handle_httpstatus_list": list(self.profile.gone_status),
        }
        if self.profile.browser is not None:
            meta.update(
                playwright=True,
                playwright_page_methods=listing_page_methods(self.profile.browser),
                # kept open for the evidence screenshot, closed once the item is through
                playwright_include_page=self.profile.browser.screenshot,
            )
        # a recheck must happen even if the listing is also linked from a result page
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            meta=meta,
            priority=self.listing_priority,
            dont_filter=recheck,
        )

    def _notices_to_recheck(self) -> list[tuple[str, str]]:
        """Listings whose takedown notice was sent: fetched every patrol until gone."""
        if not self.config.recheck_notices:
            return []
        from patrol.db import open_database
        from patrol.errors import PatrolError
        from patrol.leads.followup import listings_to_recheck

        try:
            database = open_database(self.crawler.settings.get("PATROL_DATABASE_URL") or None)
        except PatrolError as exc:  # no database yet: no notice was ever sent
            logger.info("no takedown follow-ups checked: %s", exc.message)
            return []
        try:
            with database.sessions() as session:
                pairs = list(listings_to_recheck(session, self.profile.name))
        finally:
            database.dispose()
        rechecks = [(lid, url) for lid, url in pairs if self._on_site(url)]
        self.crawler.stats.set_value("patrol/rechecks", len(rechecks))
        return rechecks

    # -- callbacks --------------------------------------------------------------------

    def parse_index(self, response: Response) -> Iterator[Request]:
        """A result page: queue every listing and every further result page it links."""
        response = self._decoded(response)
        self.crawler.stats.inc_value("patrol/index_pages")
        if not isinstance(response, HtmlResponse):
            logger.warning("result page %s is not HTML: no links read", response.url)
            return
        for link in self.links.extract_links(response):
            url = link.url
            if not self._on_site(url):
                continue
            listing_id = self.profile.listing_id(url)
            if listing_id is not None:
                if listing_id in self.listings_requested:
                    continue
                if self.journal is not None and self.journal.is_done(url):
                    self.listings_requested.add(listing_id)
                    self.crawler.stats.inc_value("patrol/resume_skipped")
                    continue
                yield self._listing_request(url, listing_id)
            elif any(pattern.search(url) for pattern in self.profile.follow):
                yield self._index_request(url)

    def parse_listing(self, response: Response) -> Iterator[Listing | ListingGone]:
        """A detail page: the listing, or word that it is gone."""
        response = self._decoded(response)
        stats = self.crawler.stats
        stats.inc_value("patrol/listing_pages")
        listing_id: str = response.meta["listing_id"]
        page = response.meta.pop("playwright_page", None)
        now = datetime.now(UTC)
        if self._is_gone(response):
            close_page_soon(page, stats)
            stats.inc_value("patrol/gone_answers")
            yield ListingGone(
                marketplace=self.profile.name,
                listing_id=listing_id,
                url=response.request.url if response.request else response.url,
                checked_at=now,
                http_status=response.status,
            )
            return
        if not isinstance(response, HtmlResponse):
            close_page_soon(page, stats)
            stats.inc_value("patrol/validation_warnings")
            logger.warning("listing %s at %s is not an HTML page", listing_id, response.url)
            return
        taker = self.listing_process
        if page is None and taker is not None and taker.take(response, now):
            return  # read, screened and stored over there (pipelines.listing_process)
        yield self.read_listing(response, now, page)

    def read_listing(self, response: HtmlResponse, now: datetime, page: Any = None) -> Listing:
        """The listing a (not gone) detail page shows, with the page kept as evidence.

        ``parse_listing`` calls it, or the listing process does, on the same page rebuilt
        (:mod:`patrol.crawl.listing_child`). ``page`` is the browser page kept open.
        """
        stats = self.crawler.stats
        listing_id: str = response.meta["listing_id"]
        listing, missing = extract_listing(
            response.selector, self.profile, response.url, listing_id
        )
        if missing:
            listing.missing_fields = tuple(missing)
            stats.inc_value("patrol/incomplete_pages")
            if "title" not in missing:  # ValidatePipeline warns about a missing title
                stats.inc_value("patrol/validation_warnings")
            logger.warning(
                "listing %s at %s is incomplete (truncated or malformed?): no %s",
                listing_id,
                response.url,
                ", ".join(missing),
            )
        listing.fetched_at = now
        listing.body_sha256 = hashlib.sha256(response.body).hexdigest()
        listing.capture = PageCapture(
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
            fetched_at=now,
            screenshot=_screenshot(response),
            page=page,
            sha256=listing.body_sha256,
        )
        stats.inc_value("patrol/listings")
        if "playwright" in response.flags:
            stats.inc_value("patrol/rendered_listing_pages")
        return listing

    def listing_failed(self, failure: Failure) -> None:
        """A listing request that ended in an error: close its page, say what was lost."""
        request = failure.request  # type: ignore[attr-defined]
        close_page_soon(request.meta.get("playwright_page"), self.crawler.stats)
        if failure.check(IgnoreRequest):  # blocked, or robots.txt: counted where decided
            logger.info("listing %s not fetched: %s", request.url, failure.value)
            return
        self.crawler.stats.inc_value("patrol/listing_errors")
        logger.error("listing %s not fetched: %s", request.url, failure.getErrorMessage())

    # -- helpers ----------------------------------------------------------------------

    def _on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        try:
            origin = (parts.hostname or "", parts.port or default)
        except ValueError:
            return False
        return origin == self.profile.origin

    def _is_gone(self, response: Response) -> bool:
        if response.status in self.profile.gone_status:
            return True
        if not isinstance(response, TextResponse):
            return False
        if (
            self.profile.gone_css
            and isinstance(response, HtmlResponse)
            and response.css(self.profile.gone_css)
        ):
            return True
        if not self.profile.gone_markers:
            return False
        text = response.text
        return any(marker in text for marker in self.profile.gone_markers)

    def _decoded(self, response: Response) -> Response:
        """The response, decoded with the profile's encoding if the page declares none."""
        encoding = self.profile.encoding
        if (
            encoding is None
            or not isinstance(response, TextResponse)
            or b"charset" in (response.headers.get(b"Content-Type") or b"").lower()
            or _CHARSET_DECLARED.search(response.body[:4096])
        ):
            return response
        return response.replace(encoding=encoding)

    def _tune_collector(self, spider: scrapy.Spider) -> None:
        """Collect garbage for a crawl: start-up left out, young objects less often.

        Once the spider is open, the settings, the imported modules and the pipelines'
        state (the rulebook's automata and indexes, the registry snapshot) live as long as
        the process, yet each full collection would walk all of them again:
        ``gc.freeze()`` moves them to the permanent generation. What start-up left as
        garbage (a few hundred objects) stays with them.

        A crawl allocates in bursts (a page's tree, its item, the requests it yields) that
        mostly die by reference count moments later; with the default threshold of 700
        the youngest generation was collected some 650 times in a 1,300-page patrol, each
        time walking objects about to go anyway (0.4 s of collector time, 0.2 s for the
        bare bench spider). At :data:`_YOUNG_THRESHOLD` net new objects it runs some 15
        times, for 0.15 s (0.06 s); cyclic garbage waits a little longer, at most that
        many objects.

        Every spider of this class does this — the bench's bare spider too, so ``patrol
        bench crawl`` compares the patrol's own work. The collector is as it was once the
        spider closes (a process may run another crawl).
        """
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(_YOUNG_THRESHOLD, *self._gc_thresholds[1:])
        gc.freeze()

    def _restore_collector(self) -> None:
        thresholds = getattr(self, "_gc_thresholds", None)
        if thresholds is not None:
            gc.set_threshold(*thresholds)
            self._gc_thresholds = None
        gc.unfreeze()

    def _item_done(self, item: Any, **kwargs: Any) -> None:
        """After the pipelines (stored or dropped): note it, close a page left open."""
        if isinstance(item, Listing) and item.capture is not None:
            close_page_soon(item.capture.page, self.crawler.stats)
        if self.journal is not None and isinstance(item, Listing | ListingGone):
            self.journal.record(item.url)

    def _item_failed(self, item: Any, **kwargs: Any) -> None:
        if isinstance(item, Listing) and item.capture is not None:
            close_page_soon(item.capture.page, self.crawler.stats)

    def _spider_idle(self, spider: scrapy.Spider) -> None:
        """A patrol that could read none of its result pages did not patrol: say so."""
        if self.crawler.settings.getbool("PATROL_DISTRIBUTED"):
            return  # one worker of many: its patrol's finaliser judges (patrol.distributed)
        if not self.crawler.stats.get_value("patrol/index_pages"):
            logger.error("no result page of %s could be read", self.profile.base_url)
            raise CloseSpider(UNREACHABLE_REASON)

    def _spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        self._restore_collector()
        if self.journal is not None:
            self.journal.close(finished=reason == "finished")


def _apply_profile_settings(crawler: Crawler, profile: SiteProfile, config: CrawlConfig) -> None:
    """Per-site politeness and the browser switch, before the crawler freezes settings."""
    settings = crawler.settings
    values: dict[str, Any] = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": profile.concurrency,
        "CONCURRENT_REQUESTS": max(profile.concurrency, 1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(profile.concurrency),
        "DOWNLOAD_DELAY": profile.delay,
        "AUTOTHROTTLE_START_DELAY": profile.delay,
    }
    if profile.browser is not None:
        scheme = urlsplit(profile.base_url).scheme  # the site is patrolled on its origin only
        values.update(playwright_settings(profile.concurrency, profile.browser.timeout_ms, scheme))
    if config.job_dir is not None:
        # the journal notes a listing once the store pipeline has committed it, so a
        # resumable patrol commits item by item instead of in batches
        values["PATROL_STORE_BATCH_SIZE"] = 1
    for name, value in values.items():
        settings.set(name, value, priority="spider")


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1"): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


def _screenshot(response: Response) -> bytes | None:
    """A screenshot already taken by a ``screenshot`` page method (a subclass may add one)."""
    for method in response.meta.get("playwright_page_methods") or ():
        if getattr(method, "method", None) == "screenshot" and isinstance(method.result, bytes):
            return method.result
    return None
