"""A patrol whose listing process is killed part-way (its own process: the reactor cannot
restart). Prints the crawl's stats as one JSON line.

usage: python -m tests.crawl.listing_process_crawl BASE_URL KILL_AFTER
"""

from __future__ import annotations

import json
import sys

from scrapy.crawler import AsyncCrawlerProcess

from patrol.crawl.runner import patrol_settings
from tests.crawl.listing_process_spiders import KillsListingProcessSpider


def main(base_url: str, kill_after: int) -> None:
    settings = patrol_settings(
        {
            "PATROL_SITE": "taoji",
            "PATROL_BASE_URL": base_url,
            "PATROL_LISTING_PROCESS": True,
            "PATROL_STORE_BATCH_SIZE": 10,  # the child answers often: some pages stored there
            "LOG_LEVEL": "INFO",
        }
    )
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(KillsListingProcessSpider)
    process.crawl(crawler, kill_after=kill_after)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps(stats, default=str))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
