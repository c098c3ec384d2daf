"""scrapy-playwright's download handler: robots.txt for what a page asks for, and safe for
a browser that dies mid-patrol.

**robots.txt.** Scrapy's robots middleware sees the page requests a patrol makes, but not
what the page then asks for itself: the browser fetches a SPA's ``/api/…`` calls (routed
through scrapy-playwright, not through the downloader middlewares). So the handler's abort
predicate asks the robots middleware about each of them too — on the hosts this handler
has fetched pages from, whose robots.txt the patrol obeys already — and aborts what that
robots.txt disallows, as Scrapy would (``robotstxt/forbidden``, and
``patrol/browser_robots_forbidden`` for the browser's share; scrapy-playwright counts them
in ``playwright/request_count/aborted`` too). The page's own navigation is not asked again
(Scrapy's middleware has passed it); where the site redirects it, that host is patrolled
from then on. Resources from other hosts (a
CDN's scripts) are left to the browser: their robots.txt is not the patrolled site's.

**A browser that dies.**
scrapy-playwright relaunches a browser that disconnected
(``PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER``), but one request can still wait for ever:

1. a request takes a page slot of the context and asks it for a new page
   (``BrowserContext.new_page()``, sent with no timeout);
2. the browser dies before that page is attached: the driver then closes the pages and the
   context it knows and disposes of them, but it never answers that ``newPage`` call (calls
   *on* a page or a context are rejected with ``TargetClosedError`` when it closes; a page
   still being made belongs to neither yet);
3. Scrapy's ``DOWNLOAD_TIMEOUT`` is enforced by the HTTP download handlers, not by this
   one, so nothing ever ends the download: the engine never goes idle and the patrol
   hangs, with every other listing done.

Nothing a request, a middleware or a page callback can do reaches that call, which is why
this small subclass exists. It remembers the page creations in flight and, when the
browser disconnects, cancels them and raises ``TargetClosedError`` in their place: the
error scrapy-playwright already retries by making the page again (in the relaunched
browser), and after that Scrapy's retry middleware. The page slot such a creation held
belongs to the dead context, which scrapy-playwright drops with its semaphore, so nothing
is leaked. Context creation (which may launch the browser and takes the
``PLAYWRIGHT_MAX_CONTEXTS`` slot) is shielded from that cancellation: abandoning it half
way would leak the only context slot and hang every later request instead.

**A page's slot is given back once.** scrapy-playwright gives a page's slot of
``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` back on the page's "crash" event and again on its
"close" event, and a crashed page is still closed: each renderer that crashed would let
one more page open at once for the rest of the patrol, and a 24-hour patrol's bound on
open pages (and on the browser's memory) would wear away. It also gives it back to
whichever context has the name by then, one relaunched after the browser died included.
Here a page gives its slot back once, to the context it was made in.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy_playwright.handler import (
    BrowserContextWrapper,
    ScrapyPlaywrightDownloadHandler,
    TargetClosedError,  # Playwright's (its class is not public), as scrapy-playwright retries it
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["PatrolPlaywrightHandler"]

logger = logging.getLogger(__name__)


class PatrolPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """``ScrapyPlaywrightDownloadHandler`` that applies robots.txt to a page's own requests
    and whose page creation cannot outlive its browser."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._crawler = crawler
        self._pages_in_creation: set[asyncio.Future[Page]] = set()
        # PLAYWRIGHT_ABORT_REQUEST's predicate, asked first
        self._abort_resource: Callable[[BrowserRequest], bool | Awaitable[bool]] | None
        self._abort_resource = getattr(self, "abort_request", None)  # None: a stand-in base
        self.abort_request = self._abort_browser_request
        self._page_hosts: set[str] = set()  # netlocs of the pages navigated to here
        self._robots: RobotsTxtMiddleware | None = None
        self._robots_looked_up = False

    async def _abort_browser_request(self, request: BrowserRequest) -> bool:
        """Whether the browser must not make ``request``: what ``PLAYWRIGHT_ABORT_REQUEST``
        says (heavy resources), then what the site's robots.txt says."""
        if self._abort_resource is not None:
            verdict = self._abort_resource(request)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if verdict:
                return True
        netloc = urlsplit(request.url).netloc
        if request.is_navigation_request() and request.frame.parent_frame is None:
            # the page itself (Scrapy's robots middleware passed it), or where the site
            # redirected it: that host's robots.txt now applies to what the page asks for
            self._page_hosts.add(netloc)
            return False
        if netloc not in self._page_hosts:
            return False  # another host's resource: not the patrolled site's robots.txt
        return await self._robots_forbid(request.url)

    async def _robots_forbid(self, url: str) -> bool:
        robots = self._robots_middleware()
        if robots is None:
            return False
        try:
            await robots.process_request(Request(url))
        except IgnoreRequest:
            self.stats.inc_value("patrol/browser_robots_forbidden")
            return True
        except Exception:  # never leave the page's request hanging; never let it go unasked
            self.stats.inc_value("patrol/browser_robots_errors")
            logger.exception("could not check %s against robots.txt: not sent", url)
            return True
        return False

    def _robots_middleware(self) -> RobotsTxtMiddleware | None:
        """The crawl's robots middleware (None when ``ROBOTSTXT_OBEY`` is off)."""
        if not self._robots_looked_up and self._crawler.engine is not None:
            self._robots_looked_up = True
            # Scrapy has no public way to a downloader middleware; this is its engine's list
            middlewares = self._crawler.engine.downloader.middleware.middlewares
            found = [mw for mw in middlewares if isinstance(mw, RobotsTxtMiddleware)]
            self._robots = found[0] if found else None
        return self._robots

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        """scrapy-playwright's page creation, given up if the browser disconnects first.

        Given up, it raises ``TargetClosedError``: scrapy-playwright then makes the page
        again, in the relaunched browser.
        """
        creation = asyncio.ensure_future(super()._create_page(request, spider))
        self._pages_in_creation.add(creation)
        try:
            return await creation
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not creation.cancelled() or (current is not None and current.cancelling()):
                raise  # the download itself was cancelled (the patrol is stopping)
            self.stats.inc_value("patrol/browser_page_creations_abandoned")
            logger.info("browser disconnected while a page for %s was being made", request.url)
            raise TargetClosedError("the browser disconnected as the page was made") from None
        finally:
            self._pages_in_creation.discard(creation)

    async def _create_browser_context(
        self, name: str, context_kwargs: dict | None, spider: Spider | None = None
    ) -> BrowserContextWrapper:
        """scrapy-playwright's context creation, run to its end even if its caller gives up.

        It may be launching the browser, and it holds the ``PLAYWRIGHT_MAX_CONTEXTS`` slot
        that only the new context's "close" event gives back.
        """
        context = super()._create_browser_context(name, context_kwargs, spider)
        return await asyncio.shield(context)

    def _make_close_page_callback(self, context_name: str) -> Callable[[], None]:
        """The page's "close" and "crash" handler: its slot back once, to its own context.

        scrapy-playwright makes it just after the page, so the context under that name now
        is the page's.
        """
        context = self.context_wrappers.get(context_name)
        given_back = False

        def give_back_the_slot() -> None:
            nonlocal given_back
            if given_back or context is None:
                return
            given_back = True
            if self.context_wrappers.get(context_name) is context:
                context.semaphore.release()

        return give_back_the_slot

    async def _browser_disconnected_callback(self) -> None:
        """Give up the page creations in flight, then let scrapy-playwright drop the browser.

        Their context died with the browser; the next page relaunches it.
        """
        for creation in self._pages_in_creation:
            creation.cancel()
        await super()._browser_disconnected_callback()
