"""Scrapy settings for Listing Patrol (``scrapy.cfg`` points here).

Patrol-specific settings live under the ``PATROL_*`` namespace and are read once, in each
component's ``from_crawler``, into a small typed config object.
"""

BOT_NAME = "listing-patrol"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ROBOTSTXT_OBEY = True
USER_AGENT = "ListingPatrol/0.1 (+https://github.com/listing-patrol/listing-patrol; IP-infringement patrol bot)"
FEED_EXPORT_ENCODING = "utf-8"
