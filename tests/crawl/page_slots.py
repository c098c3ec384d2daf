"""Page slots of the browser handler around a renderer crash, in real Chromium (its own
process: the handler needs the asyncio reactor installed).

With two pages per context: a page is made, its renderer crashed (``Page.crash``) and the
page closed; two pages are then made, and a third must wait for a slot. Prints, as JSON,
whether it did wait, and whether it was made once one of the two was closed.

usage: python -m tests.crawl.page_slots
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from scrapy import Spider
from scrapy.http import Request
from scrapy.utils.reactor import install_reactor

_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


async def crash_then_count_slots() -> dict[str, bool]:
    from scrapy.utils.test import get_crawler

    from patrol.crawl.browser import playwright_settings
    from patrol.crawl.browser_handler import PatrolPlaywrightHandler

    settings = {**playwright_settings(max_pages=2, timeout_ms=10_000), "TWISTED_REACTOR": _REACTOR}
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    handler = PatrolPlaywrightHandler.from_crawler(crawler)
    spider = Spider("slots")
    await handler._launch()
    try:

        def page_request() -> Request:
            return Request("about:blank", meta={"playwright": True})

        doomed = await handler._create_page(page_request(), spider)
        crashed = asyncio.Event()
        doomed.on("crash", lambda *_: crashed.set())
        session = await doomed.context.new_cdp_session(doomed)
        # the renderer goes before it can answer, if it ever does
        crashing = asyncio.ensure_future(session.send("Page.crash"))
        await asyncio.wait_for(crashed.wait(), timeout=20)
        crashing.cancel()
        with contextlib.suppress(BaseException):
            await crashing
        await doomed.close()

        pages = [await handler._create_page(page_request(), spider) for _ in range(2)]
        third = asyncio.ensure_future(handler._create_page(page_request(), spider))
        await asyncio.sleep(1.5)
        third_waited = not third.done()
        await pages[0].close()
        made = await asyncio.wait_for(third, timeout=20)
        return {"crashed": crashed.is_set(), "third_waited": third_waited, "third_made": bool(made)}
    finally:
        await handler._close()


def main() -> None:
    install_reactor(_REACTOR)
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    outcome: dict[str, object] = {}

    def run() -> None:
        done = Deferred.fromFuture(asyncio.ensure_future(crash_then_count_slots()))
        done.addCallback(outcome.update)
        done.addErrback(lambda failure: outcome.update(error=failure.getTraceback()))
        done.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(run)
    reactor.run()
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
