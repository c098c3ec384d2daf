"""The Listing item: the one thing every spider yields.

It is a plain dataclass (Scrapy handles dataclass items through itemadapter), so the
screening engine, the pipelines, the CLI and the tests share one definition. Unknown or
missing fields are ``None`` (or empty lists), never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patrol.screening.verdict import Verdict

__all__ = ["Listing", "ListingGone", "PageCapture"]


@dataclass(slots=True)
class PageCapture:
    """What the evidence pipeline needs of the response a listing was read from.

    It travels with the item from the spider to the evidence pipeline and is dropped after
    that, so the raw body is never kept in memory longer than one item's trip.
    """

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    screenshot: bytes | None = None  # PNG, for browser-rendered pages
    # sha256 hex digest of ``body``, when whoever made the capture has it already (the
    # spider hashes every page): evidence is named by it and need not hash again
    sha256: str | None = None
    # the browser page still showing this response (a Playwright ``Page``), so that only
    # flagged listings pay for a screenshot; the evidence pipeline takes it and closes it
    page: Any = field(default=None, repr=False)


@dataclass(slots=True)
class Listing:
    """One marketplace listing as a patrol saw it."""

    marketplace: str
    listing_id: str  # the marketplace's own id
    url: str
    title: str | None = None
    price: Decimal | None = None
    currency: str | None = None  # ISO 4217
    brand: str | None = None  # as the seller declares it
    category: str | None = None  # as the marketplace shows it
    description: str | None = None
    shop_id: str | None = None
    shop_name: str | None = None
    shop_url: str | None = None
    shop_official: bool | None = None  # the marketplace's "official store" badge, if shown
    image_urls: list[str] = field(default_factory=list)
    patent_numbers: list[str] = field(default_factory=list)  # as printed
    attributes: dict[str, str] = field(default_factory=dict)  # site-specific extras
    fetched_at: datetime | None = None  # UTC
    body_sha256: str | None = None
    evidence_path: str | None = None
    # the profile's required fields the page lacked (cut off or malformed): the store keeps
    # a known listing as it was rather than overwrite it with what is left
    missing_fields: tuple[str, ...] = field(default=(), compare=False)
    capture: PageCapture | None = field(default=None, repr=False, compare=False)
    verdict: Verdict | None = field(default=None, compare=False)  # set by ScreenPipeline


@dataclass(slots=True)
class ListingGone:
    """A listing a patrol looked for and did not find (404/410, or "item removed" page).

    Spiders yield it when they re-check a known listing URL (takedown follow-up) and the
    marketplace says the listing no longer exists; the store pipeline marks it gone.
    """

    marketplace: str
    listing_id: str
    url: str
    checked_at: datetime  # UTC
    http_status: int | None = None
