"""The marketplace spider tunes the garbage collector for its crawl, and restores it."""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler

from patrol.crawl.runner import patrol_settings
from spiders.marketplace import MarketplaceSpider


def test_start_up_is_frozen_and_young_objects_collected_less_often_while_open() -> None:
    settings = patrol_settings({"PATROL_SITE": "taoji", "PATROL_RECHECK_NOTICES": False})
    settings.pop("TWISTED_REACTOR", None)  # no crawl here: any installed reactor will do
    crawler = Crawler(MarketplaceSpider, settings)
    spider = MarketplaceSpider.from_crawler(crawler)
    gc.unfreeze()
    before = gc.get_threshold()
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (10_000, *before[1:])
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
        # as it was: the process may crawl again, or go on with other work
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
