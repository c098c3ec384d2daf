"""The Scrapy add-on that turns a patrol into a distributed one when Redis is configured.

Listed in ``ADDONS`` of ``patrol.settings``, it does nothing unless ``PATROL_REDIS_URL``
is set (as a setting, ``-s``, Scrapyd's ``setting=`` or the environment). Then, for
``patrol crawl``, ``patrol worker``, ``scrapy crawl`` and Scrapyd alike, it switches to
scrapy-redis's scheduler and dupefilter (with leases: :mod:`patrol.distributed.scheduler`)
and swaps in the distributed store pipeline and run recorder.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["DistributedPatrolAddon"]


class DistributedPatrolAddon:
    """Distributed mode for patrols (the ``marketplace`` spider) when Redis is configured.

    Other spiders of the project (the takedown recheck's ``listing_urls``, benchmark
    spiders) fetch a known, small set of URLs and keep running in one process.
    """

    #: the spiders whose crawls are patrols that workers can share
    spiders = frozenset({"marketplace"})

    def __init__(self, spider_name: str | None = None) -> None:
        self.spider_name = spider_name

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedPatrolAddon:
        return cls(getattr(crawler.spidercls, "name", None))

    def update_settings(self, settings: BaseSettings) -> None:
        from patrol.distributed.config import redis_params, redis_url

        url = redis_url(settings)
        if url is None or self.spider_name not in self.spiders:
            return
        from patrol.db.runs import PatrolRunRecorder
        from patrol.distributed.extension import DistributedPatrol, SeedOnceMiddleware
        from patrol.distributed.recorder import SharedRunRecorder
        from patrol.distributed.scheduler import PatrolScheduler
        from patrol.distributed.store import LeasedStorePipeline
        from pipelines.store import StorePipeline

        for name, value in {
            "PATROL_REDIS_URL": url,
            "PATROL_DISTRIBUTED": True,
            "SCHEDULER": PatrolScheduler,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": url,
            "REDIS_PARAMS": redis_params(),
        }.items():
            settings.set(name, value, priority="addon")
        settings.set_in_component_priority_dict("EXTENSIONS", DistributedPatrol, 100)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SeedOnceMiddleware, 20)
        for name, old, new in (
            ("ITEM_PIPELINES", StorePipeline, LeasedStorePipeline),
            ("EXTENSIONS", PatrolRunRecorder, SharedRunRecorder),
        ):
            with contextlib.suppress(KeyError):  # switched off here: nothing to replace
                settings.replace_in_component_priority_dict(name, old, new)
