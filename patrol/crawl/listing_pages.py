"""What travels to the listing process, and when a patrol may send it there.

A page travels as it came (:data:`ListingPage`): the child rebuilds the response
(:func:`response_of`) and reads it with the same spider code. This module is light on
purpose: the spider and the store import it, the listing process's machinery
(:mod:`patrol.crawl.listing_process`) only the pipeline that starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from patrol.childproc import usable_cores

if TYPE_CHECKING:
    from scrapy.http import HtmlResponse
    from scrapy.settings import BaseSettings

__all__ = [
    "ListingPage",
    "ListingPageTaker",
    "ListingProcessConfig",
    "listings_stored",
    "page_of",
    "response_of",
]

#: (listing id, request URL, response URL, status, headers, body, fetched at)
ListingPage = tuple[str, str, str, int, list[tuple[bytes, list[bytes]]], bytes, datetime]


#: a signal, sent once the listing process has closed: ``marketplaces`` it stored listings of
listings_stored = object()


@dataclass(frozen=True)
class ListingProcessConfig:
    enabled: bool
    why_not: str = ""  # when not enabled

    @classmethod
    def from_settings(cls, settings: BaseSettings, spider: Any) -> ListingProcessConfig:
        """Whether ``spider``'s listing pages may be read in a process of their own."""
        if not settings.getbool("PATROL_LISTING_PROCESS", usable_cores() > 1):
            return cls(False, "PATROL_LISTING_PROCESS is off")
        profile = getattr(spider, "profile", None)
        if profile is None:
            return cls(False, "not a marketplace spider")
        if profile.browser is not None:
            return cls(False, "a browser site")
        if getattr(spider, "journal", None) is not None:
            return cls(False, "a resumable patrol")
        if settings.getbool("PATROL_DISTRIBUTED"):
            return cls(False, "a distributed worker")
        if settings.getdict("FEEDS"):
            return cls(False, "FEEDS are set")
        if not any(settings.getwithbase("ITEM_PIPELINES").values()):
            return cls(False, "no item pipelines")
        spider_class = type(spider)
        if spider_class.__module__ == "__main__" or "<locals>" in spider_class.__qualname__:
            return cls(False, f"{spider_class.__qualname__} cannot be imported by name")
        return cls(True)


class ListingPageTaker(Protocol):
    """What the spider hands a plain listing page to
    (:class:`patrol.crawl.listing_process.ListingProcess`)."""

    def take(self, response: HtmlResponse, fetched_at: datetime) -> bool:
        """True once the page is on its way; False: read it here."""
        ...


def page_of(response: HtmlResponse, fetched_at: datetime) -> ListingPage:
    """The page as it came, to travel: the child rebuilds the response from it."""
    request_url = response.request.url if response.request is not None else response.url
    return (
        response.meta["listing_id"],
        request_url,
        response.url,
        response.status,
        list(response.headers.items()),
        response.body,
        fetched_at,
    )


def response_of(page: ListingPage) -> HtmlResponse:
    """The response ``page`` came from, as the spider's callback saw it before decoding."""
    from scrapy.http import HtmlResponse, Request

    listing_id, request_url, url, status, headers, body, _ = page
    request = Request(request_url, meta={"listing_id": listing_id})
    return HtmlResponse(url, status=status, headers=dict(headers), body=body, request=request)
