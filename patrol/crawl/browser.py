"""Chromium for pages that need JavaScript, through scrapy-playwright.

Only profiles with ``browser:`` switch the Playwright download handler on, and only their
requests carry ``meta["playwright"]``, so static sites never start a browser. The browser
runs headless with background services off. Images, fonts and media are never fetched
(they are evidence of nothing a patrol reads): Blink's images are switched off, so a page
does not even ask for them, and whatever heavy resource is still asked for is aborted.
Not asking matters because every request a page makes is a round trip through the
crawler (scrapy-playwright routes them all): it saved about a quarter of the CPU per
rendered page. Pages are closed by scrapy-playwright after each response, except listing
pages, kept open until the evidence pipeline has decided whether it needs a screenshot;
one shared context with a bounded number of pages keeps memory flat; a browser that dies
is relaunched on the next request (by scrapy-playwright; :mod:`patrol.crawl.browser_handler`
sees that a request whose page was being made as the browser died does not wait for that
page for ever).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest
    from scrapy.statscollectors import StatsCollector

    from patrol.crawl.profile import BrowserRule

__all__ = [
    "BLOCKED_RESOURCE_TYPES",
    "CHROMIUM_ARGS",
    "NO_IMAGES_ARG",
    "abort_heavy_resources",
    "close_page",
    "close_page_soon",
    "find_chromium",
    "full_page_screenshot",
    "index_page_methods",
    "listing_page_methods",
    "playwright_settings",
]

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
# for patrols only: <img> and CSS images are not even requested (their URLs are still read)
NO_IMAGES_ARG = "--blink-settings=imagesEnabled=false"
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})
logger = logging.getLogger(__name__)

_COMMON_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)


def find_chromium() -> str | None:
    """``PATROL_CHROMIUM``, else a system Chromium, else None (Playwright's own browser)."""
    configured = os.environ.get("PATROL_CHROMIUM")
    if configured:
        return configured
    for candidate in _COMMON_PATHS:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def abort_heavy_resources(request: BrowserRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: drop images, fonts and media before they are fetched."""
    return request.resource_type in BLOCKED_RESOURCE_TYPES


def playwright_settings(
    max_pages: int, timeout_ms: int, scheme: str | None = None
) -> dict[str, Any]:
    """Scrapy settings that switch scrapy-playwright on for requests that ask for it.

    The http and https handlers are two instances, and each starts its own Playwright
    driver (a Node.js process of 100+ MB) when the engine starts, so only the ``scheme``
    the site is patrolled on gets one (both without it); the other keeps Scrapy's own
    handler. No startup contexts either: each would launch a browser at start; created
    lazily, only the handler in use starts one.
    """
    launch: dict[str, Any] = {"headless": True, "args": [*CHROMIUM_ARGS, NO_IMAGES_ARG]}
    executable = find_chromium()
    if executable:
        launch["executable_path"] = executable
    from scrapy.settings.default_settings import RETRY_EXCEPTIONS

    handler = "patrol.crawl.browser_handler.PatrolPlaywrightHandler"
    return {
        # a navigation timeout or a browser that died mid-page is retried like a dropped
        # connection
        "RETRY_EXCEPTIONS": [*RETRY_EXCEPTIONS, "playwright.async_api.Error"],
        "DOWNLOAD_HANDLERS": dict.fromkeys([scheme] if scheme else ["http", "https"], handler),
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_ABORT_REQUEST": "patrol.crawl.browser.abort_heavy_resources",
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
    }


def index_page_methods(rule: BrowserRule) -> list[Any]:
    """Page methods for a result page: wait for the grid, then load every page of it."""
    from scrapy_playwright.page import PageMethod

    methods = []
    if rule.wait_for_index:
        methods.append(
            PageMethod("wait_for_selector", rule.wait_for_index, timeout=rule.timeout_ms)
        )
    if rule.load_more or rule.scroll:
        methods.append(PageMethod(_load_everything, rule))
    return methods


def listing_page_methods(rule: BrowserRule) -> list[Any]:
    """Page methods for a detail page: wait for its data.

    No screenshot here: with ``screenshot: true`` the page is kept open
    (``playwright_include_page``) and travels with the listing, and the evidence pipeline
    takes the screenshot only if screening flagged the listing, then closes the page.
    """
    from scrapy_playwright.page import PageMethod

    if not rule.wait_for_listing:
        return []
    return [PageMethod("wait_for_selector", rule.wait_for_listing, timeout=rule.timeout_ms)]


async def full_page_screenshot(page: Page) -> bytes:
    """The evidence screenshot: the whole page as a PNG."""
    return await page.screenshot(full_page=True, type="png", animations="disabled")


async def close_page(page: Page | None, stats: StatsCollector | None = None) -> None:
    """Close a page kept open for evidence (at most once; a dead browser is no error)."""
    if page is None or page.is_closed():
        return
    try:
        # a page of a browser that died may never answer: don't wait for it for ever
        await asyncio.wait_for(page.close(), timeout=10)
    except Exception as exc:  # the browser may have died meanwhile: nothing left to close
        logger.debug("page already gone: %s", exc)
    if stats is not None:
        stats.inc_value("patrol/browser_pages_closed")


def close_page_soon(page: Page | None, stats: StatsCollector | None = None) -> None:
    """Schedule :func:`close_page` from synchronous code (a callback, a signal handler)."""
    if page is None or page.is_closed():
        return
    task = asyncio.ensure_future(close_page(page, stats))
    _closing.add(task)  # keep a reference until it is done
    task.add_done_callback(_closing.discard)


_closing: set[asyncio.Future[None]] = set()


_SETTLED = "sel => { const b = document.querySelector(sel); return !b || !b.disabled; }"
_GREW = "h => document.body.scrollHeight > h"


async def _load_everything(page: Page, rule: BrowserRule) -> int:
    """Click "load more" / scroll until the page stops growing; returns the rounds done.

    An app disables its button while a batch loads (its own infinite scroll may start a
    load too) and removes it at the end of the feed, so each round first waits until the
    button is usable again or gone: clicking a button that is about to vanish would wait
    out the whole timeout. A scroll round ends when the page grew, or after a short wait
    in which nothing more came: the end of the feed.
    """
    from playwright.async_api import TimeoutError as BrowserTimeout

    rounds = 0
    while rounds < rule.max_load_more:
        if rule.load_more:
            await page.wait_for_function(_SETTLED, arg=rule.load_more, timeout=rule.timeout_ms)
            button = page.locator(rule.load_more).first
            if await button.count() == 0 or not await button.is_visible():
                break
            try:
                await button.click(timeout=min(rule.timeout_ms, 5000))
            except BrowserTimeout:
                if await button.count() == 0:
                    break  # the feed ended (the app removed its button) as we clicked
                raise
        else:
            height = await page.evaluate("document.body.scrollHeight")
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            try:
                await page.wait_for_function(_GREW, arg=height, timeout=min(rule.timeout_ms, 3000))
            except BrowserTimeout:
                break  # nothing more came: the end of the feed
        rounds += 1
    return rounds
