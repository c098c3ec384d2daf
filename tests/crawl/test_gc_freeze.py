"""The marketplace spider leaves start-up's objects out of the crawl's garbage collections."""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler

from patrol.crawl.runner import patrol_settings
from spiders.marketplace import MarketplaceSpider


def test_start_up_is_frozen_while_the_spider_is_open() -> None:
    settings = patrol_settings({"PATROL_SITE": "taoji", "PATROL_RECHECK_NOTICES": False})
    settings.pop("TWISTED_REACTOR", None)  # no crawl here: any installed reactor will do
    crawler = Crawler(MarketplaceSpider, settings)
    spider = MarketplaceSpider.from_crawler(crawler)
    gc.unfreeze()
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        assert gc.get_freeze_count() > 0
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
        assert gc.get_freeze_count() == 0  # collectable again: the process may crawl again
    finally:
        gc.unfreeze()
