"""Drop what cannot be a listing, and say why in the crawl stats.

An item without a marketplace, a listing id or an http(s) URL cannot be stored or followed
up, so it is dropped and counted under ``patrol/invalid/<reason>``; a listing that can be
stored but lacks a title (nothing to screen) is kept and counted in
``patrol/validation_warnings``. Nothing here raises on odd data: every problem becomes a
stat and a log line naming the URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem, NotConfigured

from patrol.items import Listing, ListingGone

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["MAX_ID_CHARS", "ValidateConfig", "ValidatePipeline", "invalid_reason"]

logger = logging.getLogger(__name__)

MAX_ID_CHARS = 200  # the database's width for marketplace, listing and shop ids


@dataclass(frozen=True)
class ValidateConfig:
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ValidateConfig:
        return cls(enabled=settings.getbool("PATROL_VALIDATE_ENABLED", True))


def _bad_id(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS


def invalid_reason(item: Any) -> str | None:
    """Why ``item`` cannot be stored (a short stats key), or None when it can."""
    if not isinstance(item, Listing | ListingGone):
        return "not_a_listing"
    if _bad_id(item.marketplace):
        return "marketplace"
    if _bad_id(item.listing_id):
        return "listing_id"
    url = item.url if isinstance(item.url, str) else ""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "url"
    if isinstance(item, Listing) and item.shop_id is not None and _bad_id(item.shop_id):
        return "shop_id"
    return None


class ValidatePipeline:
    def __init__(self, crawler: Crawler, config: ValidateConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        config = ValidateConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("PATROL_VALIDATE_ENABLED is off")
        return cls(crawler, config)

    def process_item(self, item: Any) -> Any:
        stats = self.crawler.stats
        assert stats is not None
        reason = invalid_reason(item)
        if reason is not None:
            stats.inc_value(f"patrol/invalid/{reason}")
            where = getattr(item, "url", None) or type(item).__name__
            raise DropItem(f"invalid {reason}: {where!r}")
        if isinstance(item, Listing) and not (isinstance(item.title, str) and item.title.strip()):
            stats.inc_value("patrol/validation_warnings")
            logger.warning("listing without a title at %s: nothing to screen", item.url)
        return item
