"""No DEBUG records per page and item unless the patrol logs at DEBUG."""

from __future__ import annotations

import logging

import pytest
from scrapy import Spider
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from patrol.crawl.logformatter import PatrolLogFormatter
from spiders.marketplace import MarketplaceSpider


@pytest.mark.parametrize(
    ("level", "logged"),
    [("DEBUG", True), ("debug", True), (logging.DEBUG, True), ("INFO", False), ("WARNING", False)],
)
def test_crawled_and_scraped_only_at_debug(level: str | int, logged: bool) -> None:
    crawler = get_crawler(Spider, settings_dict={"LOG_LEVEL": level})
    formatter = PatrolLogFormatter.from_crawler(crawler)
    spider = Spider.from_crawler(crawler, name="s")
    request = Request("http://127.0.0.1:1/item/1.html")
    response = Response(request.url, request=request)
    assert (formatter.crawled(request, response, spider) is not None) is logged
    assert (formatter.scraped({"a": 1}, response, spider) is not None) is logged
    dropped = formatter.dropped({"a": 1}, Exception("bad"), response, spider)
    assert dropped is not None  # what may be worth saying is still said


def test_the_marketplace_spider_uses_it() -> None:
    settings = Settings()
    MarketplaceSpider.update_settings(settings)
    assert settings["LOG_FORMATTER"] == "patrol.crawl.logformatter.PatrolLogFormatter"
