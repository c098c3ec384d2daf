"""One real Scrapy patrol (its own process: the reactor cannot restart) for pipeline tests.

A tiny spider reads ``/index`` of a local test server and every ``/item/<id>`` it links,
then all five stages run as in production except evidence (validate, normalise, screen,
store) with the run recorder. Prints the crawl stats as JSON.

usage: python -m tests.pipelines.crawl_process SERVER_URL DATABASE_URL [blocked]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from patrol.items import Listing


class TestShopSpider(scrapy.Spider):
    name = "testshop"

    def __init__(self, server: str, blocked: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.server = server
        self.blocked = blocked
        self.start_urls = [f"{server}/index"]

    def parse(self, response: Response) -> Iterator[Any]:
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse_item)

    def parse_item(self, response: Response) -> Iterator[Any]:
        if self.blocked:
            raise CloseSpider("blocked")
        yield Listing(
            marketplace="testshop",
            listing_id=response.url.rsplit("/", 1)[1],
            url=response.url,
            title=response.css("h1::text").get(),
            price=response.css(".price::text").get(),  # type: ignore[arg-type]
            shop_id=response.css(".shop::text").get(),
            description=response.css(".desc::text").get(),
        )


def main(server: str, database_url: str, blocked: bool) -> None:
    process = CrawlerProcess(
        settings={
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "ROBOTSTXT_OBEY": False,
            "LOG_LEVEL": "INFO",
            "PATROL_DATABASE_URL": database_url,
            "ITEM_PIPELINES": {
                "pipelines.validate.ValidatePipeline": 100,
                "pipelines.normalise.NormalisePipeline": 200,
                "pipelines.screen.ScreenPipeline": 300,
                "pipelines.store.StorePipeline": 500,
            },
            "EXTENSIONS": {"patrol.db.runs.PatrolRunRecorder": 500},
        }
    )
    crawler = process.create_crawler(TestShopSpider)
    process.crawl(crawler, server=server, blocked=blocked)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        json.dumps(
            {k: v for k, v in stats.items() if k.startswith(("patrol/", "finish"))}, default=str
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "blocked")
