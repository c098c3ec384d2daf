"""A patrol whose listing process is killed part-way (its own process: the reactor cannot
restart). Prints the crawl's stats as one JSON line.

usage: python -m tests.crawl.listing_process_crawl BASE_URL KILL_AFTER [DIE_AFTER]

KILL_AFTER pages the listing process is killed; DIE_AFTER pages, the patrol itself.
"""

from __future__ import annotations

import json
import sys

from scrapy.crawler import AsyncCrawlerProcess

from patrol.crawl.runner import patrol_settings
from tests.crawl.listing_process_spiders import KillsListingProcessSpider


def main(base_url: str, kill_after: int, die_after: int = 0) -> None:
    settings = patrol_settings(
        {
            "PATROL_SITE": "taoji",
            "PATROL_BASE_URL": base_url,
            "PATROL_LISTING_PROCESS": True,
            # the child answers often: some pages stored there (a patrol that dies keeps
            # the store's batch size, so that its own process would have stored none)
            "PATROL_STORE_BATCH_SIZE": 1000 if die_after else 10,
            "LOG_LEVEL": "INFO",
        }
    )
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(KillsListingProcessSpider)
    process.crawl(crawler, kill_after=kill_after, die_after=die_after)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps(stats, default=str))


if __name__ == "__main__":
    main(sys.argv[1], *(int(arg) for arg in sys.argv[2:4]))
