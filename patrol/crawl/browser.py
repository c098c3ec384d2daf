"""Chromium for pages that need JavaScript, through scrapy-playwright.

Only profiles with ``browser:`` switch the Playwright download handler on, and only their
requests carry ``meta["playwright"]``, so static sites never start a browser. The browser
runs headless with background services off; images, fonts and media are aborted before they
are fetched (they are evidence of nothing a patrol reads); pages are closed by
scrapy-playwright after each response; one shared context with a bounded number of pages
keeps memory flat; a browser that dies is relaunched on the next request.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest

    from patrol.crawl.profile import BrowserRule

__all__ = [
    "BLOCKED_RESOURCE_TYPES",
    "CHROMIUM_ARGS",
    "abort_heavy_resources",
    "find_chromium",
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
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})
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


def playwright_settings(max_pages: int, timeout_ms: int) -> dict[str, Any]:
    """Scrapy settings that switch scrapy-playwright on for requests that ask for it.

    No startup contexts: the http and https handlers are two instances, and each would
    launch its own browser at start; created lazily, only the scheme in use starts one.
    """
    launch: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_ARGS)}
    executable = find_chromium()
    if executable:
        launch["executable_path"] = executable
    from scrapy.settings.default_settings import RETRY_EXCEPTIONS

    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        # a navigation timeout or a browser that died mid-page is retried like a dropped
        # connection
        "RETRY_EXCEPTIONS": [*RETRY_EXCEPTIONS, "playwright.async_api.Error"],
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
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
    """Page methods for a detail page: wait for the data, then take the evidence screenshot."""
    from scrapy_playwright.page import PageMethod

    methods = []
    if rule.wait_for_listing:
        methods.append(
            PageMethod("wait_for_selector", rule.wait_for_listing, timeout=rule.timeout_ms)
        )
    if rule.screenshot:
        methods.append(PageMethod("screenshot", full_page=True, type="png", animations="disabled"))
    return methods


async def _load_everything(page: Page, rule: BrowserRule) -> int:
    """Click "load more" / scroll until the page stops growing; returns the rounds done."""
    rounds = 0
    last_height = -1
    while rounds < rule.max_load_more:
        if rule.load_more:
            button = page.locator(rule.load_more)
            if await button.count() == 0 or not await button.first.is_visible():
                break
            count_before = await page.evaluate("document.querySelectorAll('a[href]').length")
            await button.first.click(timeout=rule.timeout_ms)
            await page.wait_for_function(
                "n => document.querySelectorAll('a[href]').length > n"
                f" || !document.querySelector({rule.load_more!r})",
                arg=count_before,
                timeout=rule.timeout_ms,
            )
        else:
            height = await page.evaluate("document.body.scrollHeight")
            if height == last_height:
                break
            last_height = height
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await page.wait_for_timeout(150)
        rounds += 1
    return rounds
