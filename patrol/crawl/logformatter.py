"""Scrapy's log formatter, minus the records that the patrol's log level drops anyway.

Scrapy formats a DEBUG record for every page it fetches ("Crawled (200) …", with the
referer spelt out) and for every item it scrapes ("Scraped from …"), hands each to the
logging module (a record, a walk up the stack for the caller) and then its handler, set to
``LOG_LEVEL``, discards it. A patrol runs at INFO or above, so those two messages are never
seen; returning None for them is Scrapy's documented way to log nothing. At DEBUG every
message is logged as Scrapy logs it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.python.failure import Failure

__all__ = ["PatrolLogFormatter"]


class PatrolLogFormatter(LogFormatter):
    """No "Crawled" and "Scraped" records when ``LOG_LEVEL`` is above DEBUG."""

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PatrolLogFormatter:
        return cls(debug=_level(crawler.settings.get("LOG_LEVEL")) <= logging.DEBUG)

    # None is how a formatter says "log nothing" (Scrapy checks), wider than its stubs say
    def crawled(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider
    ) -> LogFormatterResult | None:
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(  # type: ignore[override]
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult | None:
        return super().scraped(item, response, spider) if self.debug else None


def _level(value: Any) -> int:
    """``LOG_LEVEL`` as a number (a name or a number); DEBUG if it is neither."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG
