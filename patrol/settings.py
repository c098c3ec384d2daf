"""Scrapy settings for Listing Patrol (``scrapy.cfg`` points here).

Patrol-specific settings live under the ``PATROL_*`` namespace and are read once, in each
component's ``from_crawler``, into a small typed config object. Per-site politeness
(concurrency, delay) and the browser switch come from the site profile and are applied by
the spider (``spiders/marketplace.py``) before the crawler freezes its settings.
"""

from __future__ import annotations

BOT_NAME = "listing-patrol"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "patrol.scrapy_commands"  # `scrapy crawl` checks a patrol's arguments first
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# -- politeness ---------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
USER_AGENT = (
    "ListingPatrol/0.1 (+https://github.com/listing-patrol/listing-patrol;"
    " IP-infringement patrol bot)"
)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5  # the profile's delay replaces it
AUTOTHROTTLE_MAX_DELAY = 30.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4  # the profile's concurrency replaces it
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
# Scrapy starts this many tasks for what each response's callback yields, however little
# that is: a result page yields a few dozen requests, a listing page one item. At
# Scrapy's 100, making and reaping those tasks was a fifth of a patrol's own CPU time
# (and of the bare bench spider's); 16 still screens and stores a page's items side by side.
CONCURRENT_ITEMS = 16

# -- faults -------------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # 429 is handled with Retry-After
PATROL_RETRY_BACKOFF_BASE = 0.5
PATROL_RETRY_BACKOFF_MAX = 30.0
PATROL_RETRY_AFTER_MAX = 120.0
PATROL_RETRY_AFTER_DEFAULT = 5.0
PATROL_THROTTLED_RETRY_TIMES = 8
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "patrol.crawl.middlewares.BackoffRetryMiddleware": 550,
    "patrol.crawl.middlewares.BlockPageMiddleware": 560,
}

# No listening sockets in a patrol process: neither the telnet console nor Scrapy's
# remote-control HTTP server (it executes code sent to it).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# -- the patrol ---------------------------------------------------------------------------
EXTENSIONS = {
    "patrol.db.runs.PatrolRunRecorder": 500,
}
# Distributed patrols (scrapy-redis + leases) when PATROL_REDIS_URL is set; else a no-op.
ADDONS = {
    "patrol.distributed.addon.DistributedPatrolAddon": 0,
}
# A plain patrol's listing pages are read, screened and stored by these same pipelines in
# a process of their own (pipelines/listing_process.py); the rest come through here.
ITEM_PIPELINES = {
    "pipelines.listing_process.ListingProcessPipeline": 50,
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.normalise.NormalisePipeline": 200,
    "pipelines.screen.ScreenPipeline": 300,
    "pipelines.evidence.EvidencePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}
