"""The download handler's page creation when the browser dies (no browser needed).

scrapy-playwright's own methods are replaced by stand-ins that behave as they do against a
browser that was killed while a page was being made: ``new_page()`` never answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler, TargetClosedError

from patrol.crawl.browser_handler import PatrolPlaywrightHandler


class _Browser:
    """What the stand-ins need to know of scrapy-playwright's state."""

    def __init__(self) -> None:
        self.answer = asyncio.Event()  # set: new_page() answers; never set: it hangs
        self.disconnected = 0
        self.contexts_made = 0


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> _Browser:
    browser = _Browser()

    def init(self: Any, crawler: Any) -> None:  # no reactor, no Playwright
        self.stats = crawler.stats

    async def create_page(self: Any, request: Request, spider: Any) -> str:
        await browser.answer.wait()
        return "page"

    async def create_context(self: Any, name: str, kwargs: Any, spider: Any = None) -> str:
        await asyncio.sleep(0.05)
        browser.contexts_made += 1
        return "context"

    async def disconnected(self: Any) -> None:
        browser.disconnected += 1

    handler = ScrapyPlaywrightDownloadHandler
    monkeypatch.setattr(handler, "__init__", init)
    monkeypatch.setattr(handler, "_create_page", create_page)
    monkeypatch.setattr(handler, "_create_browser_context", create_context)
    monkeypatch.setattr(handler, "_browser_disconnected_callback", disconnected)
    return browser


def _handler() -> PatrolPlaywrightHandler:
    crawler = get_crawler()
    crawler.stats.open_spider()
    return PatrolPlaywrightHandler(crawler)


def test_a_page_being_made_when_the_browser_dies_fails_as_target_closed(
    stand_ins: _Browser,
) -> None:
    async def scenario() -> None:
        handler = _handler()
        creation = asyncio.ensure_future(handler._create_page(Request("http://x/1"), None))
        await asyncio.sleep(0.01)
        assert not creation.done()  # new_page() does not answer...
        await handler._browser_disconnected_callback()  # ...and the browser is gone
        # the error scrapy-playwright retries by making the page in the relaunched browser
        with pytest.raises(TargetClosedError):
            await asyncio.wait_for(creation, timeout=5)
        assert stand_ins.disconnected == 1  # scrapy-playwright's own clean-up still ran
        assert handler.stats.get_value("patrol/browser_page_creations_abandoned") == 1
        assert not handler._pages_in_creation

    asyncio.run(scenario())


def test_pages_made_after_the_relaunch_are_not_touched(stand_ins: _Browser) -> None:
    async def scenario() -> None:
        handler = _handler()
        await handler._browser_disconnected_callback()
        stand_ins.answer.set()
        assert await handler._create_page(Request("http://x/1"), None) == "page"
        assert handler.stats.get_value("patrol/browser_page_creations_abandoned") is None

    asyncio.run(scenario())


def test_a_download_cancelled_from_outside_stays_cancelled(stand_ins: _Browser) -> None:
    async def scenario() -> None:
        handler = _handler()
        creation = asyncio.ensure_future(handler._create_page(Request("http://x/1"), None))
        await asyncio.sleep(0.01)
        creation.cancel()  # the patrol is stopping: not a browser error to retry
        with pytest.raises(asyncio.CancelledError):
            await creation
        assert not handler._pages_in_creation

    asyncio.run(scenario())


def test_context_creation_is_not_abandoned_half_way(stand_ins: _Browser) -> None:
    async def scenario() -> None:
        handler = _handler()
        making = asyncio.ensure_future(handler._create_browser_context("default", None))
        await asyncio.sleep(0.01)
        making.cancel()
        with pytest.raises(asyncio.CancelledError):
            await making
        await asyncio.sleep(0.1)
        # scrapy-playwright finished it: the context (and its slot) is accounted for
        assert stand_ins.contexts_made == 1

    asyncio.run(scenario())
