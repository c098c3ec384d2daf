"""Downloader middlewares for the faults real marketplaces throw at a patrol.

* :class:`BackoffRetryMiddleware` replaces Scrapy's ``RetryMiddleware``: the same retry
  decisions (5xx, timeouts, dropped connections, ``RETRY_TIMES``), but each retry waits an
  exponential backoff with jitter first, and a ``429`` waits what ``Retry-After`` asks
  (capped) before it is tried again, so a struggling site is given room instead of being
  hammered.
  An HTML page cut off in transit (no ``</html>``) is fetched again the same way; when
  it stays cut off the spider reads what it holds and warns.
* :class:`BlockPageMiddleware` recognises a block or captcha page (an HTTP 200 whose body
  carries one of the profile's ``block.markers``), counts it in ``patrol/blocked_pages``,
  retries it after a backoff, and when a page stays blocked — or too many blocks are seen —
  marks the patrol ``blocked`` so it never ends looking like a clean patrol that found
  nothing.

Waits are ``asyncio.sleep`` inside the middleware: the request holds its place in the
downloader while it waits, which is exactly the slowing down a throttled site asks for.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request as _scrapy_retry_request
from scrapy.exceptions import CloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response, TextResponse

from patrol.crawl.browser import close_page_soon

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from patrol.crawl.profile import SiteProfile

__all__ = [
    "BackoffRetryMiddleware",
    "BlockPageMiddleware",
    "RetryConfig",
    "is_truncated_html",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

BLOCKED_REASON = "blocked"


@dataclass(frozen=True)
class RetryConfig:
    """``PATROL_RETRY_*`` settings, read once."""

    backoff_base: float  # seconds before the first retry; doubles each time
    backoff_max: float
    retry_after_max: float  # never wait longer than this for one Retry-After
    retry_after_default: float  # a 429 without (a usable) Retry-After
    throttled_retry_times: int  # how often one request may be answered 429
    truncated_retry_times: int  # how often a cut-off HTML page is fetched again

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RetryConfig:
        config = cls(
            backoff_base=settings.getfloat("PATROL_RETRY_BACKOFF_BASE", 0.5),
            backoff_max=settings.getfloat("PATROL_RETRY_BACKOFF_MAX", 30.0),
            retry_after_max=settings.getfloat("PATROL_RETRY_AFTER_MAX", 120.0),
            retry_after_default=settings.getfloat("PATROL_RETRY_AFTER_DEFAULT", 5.0),
            throttled_retry_times=settings.getint("PATROL_THROTTLED_RETRY_TIMES", 8),
            truncated_retry_times=settings.getint("PATROL_TRUNCATED_RETRY_TIMES", 4),
        )
        if config.backoff_base < 0 or config.backoff_max < config.backoff_base:
            raise ValueError("PATROL_RETRY_BACKOFF_BASE must be >= 0 and <= ..._MAX")
        if config.retry_after_max < 0 or config.retry_after_default < 0:
            raise ValueError("PATROL_RETRY_AFTER_MAX/_DEFAULT must be >= 0")
        return config

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter for retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_truncated_html(response: Response) -> bool:
    """A 200 HTML page whose document never ends (``</html>`` missing): cut off in transit.

    Pages rendered by the browser are re-serialised by it and always complete.
    """
    if response.status != 200 or not isinstance(response, HtmlResponse):
        return False
    if "playwright" in response.flags:
        return False
    return b"</html" not in response.body[-2048:].lower()


def get_retry_request(request: Request, **kwargs: Any) -> Request | None:
    """Scrapy's ``get_retry_request`` for an answer we refuse, with a fresh browser page.

    A listing page kept open for evidence (``playwright_include_page``) travels in the
    request's meta; scrapy-playwright would navigate that same page again for the retry,
    and re-routing a page whose old requests are still in flight can hang, holding one of
    the bounded page slots for good. So the old page is closed and the retry opens a new
    one. (After a download *exception* scrapy-playwright already decides about its page:
    retries of exceptions use Scrapy's function as it is.)
    """
    retry = _scrapy_retry_request(request, **kwargs)
    spider = kwargs.get("spider")
    stats = spider.crawler.stats if spider is not None else None
    if retry is not None:
        close_page_soon(retry.meta.pop("playwright_page", None), stats)
    return retry


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy plus backoff, and ``Retry-After`` for 429 answers."""

    def __init__(self, settings: BaseSettings, crawler: Crawler) -> None:
        super().__init__(settings)
        self.crawler = crawler
        self.config = RetryConfig.from_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off")
        return cls(crawler.settings, crawler)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry"):
            return response
        if response.status == 429:
            return await self._after_throttle(request, response)
        if response.status in self.retry_http_codes:
            return await self._after_backoff(request, f"{response.status}") or response
        if is_truncated_html(response):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("patrol/truncated_pages")
            retry = await self._after_backoff(
                request, "truncated", self.config.truncated_retry_times
            )
            return retry or response  # out of retries: the spider reads what is there
        return response

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            return await self._after_backoff(request, exception, fresh_page=False)
        return None

    async def _after_backoff(
        self,
        request: Request,
        reason: str | Exception,
        max_retry_times: int | None = None,
        *,
        fresh_page: bool = True,
    ) -> Request | None:
        assert self.crawler.spider is not None
        retry_request = get_retry_request if fresh_page else _scrapy_retry_request
        retry = retry_request(
            request, spider=self.crawler.spider, reason=reason, max_retry_times=max_retry_times
        )
        if retry is not None:
            await asyncio.sleep(self.config.backoff(retry.meta["retry_times"]))
        return retry

    async def _after_throttle(self, request: Request, response: Response) -> Request | Response:
        assert self.crawler.spider is not None
        stats = self.crawler.stats
        assert stats is not None
        asked = parse_retry_after(response.headers.get(b"Retry-After"))
        wait = self.config.retry_after_default if asked is None else asked
        wait = min(wait, self.config.retry_after_max)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason="429",
            max_retry_times=self.config.throttled_retry_times,
        )
        if retry is None:
            return response
        stats.inc_value("patrol/throttled")
        stats.inc_value("patrol/throttled_wait_seconds", round(wait))
        logger.info("429 for %s: waiting %.1fs as Retry-After asks", request.url, wait)
        await asyncio.sleep(wait)
        return retry


def _shows(response: TextResponse, css: str | None, markers: tuple[str, ...]) -> bool:
    if css and isinstance(response, HtmlResponse) and response.css(css):
        return True
    return bool(markers) and any(marker in response.text for marker in markers)


class BlockPageMiddleware:
    """Recognise block/captcha pages by the profile's markers; retry, count, give up.

    Pages the profile marks as an ``error`` view (an app that could not load its data)
    are retried like a 5xx answer.
    """

    def __init__(self, crawler: Crawler, backoff: RetryConfig) -> None:
        self.crawler = crawler
        self.backoff = backoff
        self.profile: SiteProfile | None = None
        self.blocked_for_good = 0  # requests that were still blocked after their retries
        self._closing: asyncio.Future[None] | None = None
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockPageMiddleware:
        return cls(crawler, RetryConfig.from_settings(crawler.settings))

    def _spider_opened(self, spider: Any) -> None:
        self.profile = getattr(spider, "profile", None)

    def _spider_idle(self, spider: Any) -> None:
        if self.blocked_for_good:
            raise CloseSpider(BLOCKED_REASON)

    def is_block_page(self, response: TextResponse) -> bool:
        assert self.profile is not None
        return _shows(response, self.profile.block_css, self.profile.block_markers)

    def is_error_page(self, response: TextResponse) -> bool:
        assert self.profile is not None
        return _shows(response, self.profile.error_css, self.profile.error_markers)

    async def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if self.profile is None or not isinstance(response, TextResponse):
            return response
        if self.is_block_page(response):
            return await self._blocked(request, response)
        if self.is_error_page(response):
            return await self._failed(request, response)
        return response

    async def _failed(self, request: Request, response: Response) -> Request | Response:
        """A page that says it could not load its data (an app's error view): retry it."""
        stats = self.crawler.stats
        assert stats is not None and self.crawler.spider is not None
        stats.inc_value("patrol/error_pages")
        retry = get_retry_request(request, spider=self.crawler.spider, reason="error_page")
        if retry is None:
            return response  # the spider reads what is there, and warns
        await asyncio.sleep(self.backoff.backoff(retry.meta["retry_times"]))
        return retry

    async def _blocked(self, request: Request, response: Response) -> Request | Response:
        assert self.profile is not None
        stats = self.crawler.stats
        assert stats is not None and self.crawler.spider is not None
        blocked = stats.get_value("patrol/blocked_pages", 0) + 1
        stats.set_value("patrol/blocked_pages", blocked)
        logger.warning("block page at %s (%d so far)", response.url, blocked)
        if blocked >= self.profile.block_give_up_after:
            stats.inc_value("patrol/blocked_requests")
            await self._stop("too many block pages")
            raise IgnoreRequest(f"blocked: {response.url}")
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason="blocked",
            max_retry_times=self.profile.block_retries,
            stats_base_key="patrol/block_retry",
        )
        if retry is None:
            self.blocked_for_good += 1
            stats.inc_value("patrol/blocked_requests")
            raise IgnoreRequest(f"still blocked after retries: {response.url}")
        await asyncio.sleep(self.backoff.backoff(retry.meta["retry_times"]))
        return retry

    async def _stop(self, why: str) -> None:
        if self.blocked_for_good == 0:
            site = self.profile.name if self.profile else "?"
            logger.error("patrol of %s blocked: %s; stopping", site, why)
        self.blocked_for_good += 1
        engine = self.crawler.engine
        assert engine is not None
        # close_spider_async is idempotent; run it beside this request, not inside it
        self._closing = asyncio.ensure_future(engine.close_spider_async(reason=BLOCKED_REASON))
