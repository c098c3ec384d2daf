"""A small patrolled world for CLI tests: listings of two shops on two sites, with leads.

Built through the real store (:class:`patrol.db.store.ListingStore`), as a patrol would,
so leads, snapshots and events are what production writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Lead, ListingRow
from patrol.db.store import ListingStore
from patrol.items import Listing
from tests.db.fixtures import make_listing, make_verdict

HOSTILE_TITLES = (
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(1,2)",
    "-2+3 Nike shoes",
    "@cmd|' /C calc'!A0",
    "\tTabbed Nike",
    "\rCarriage Nike",
    "<script>alert('x')</script> Nike & co",
)


def hostile_listing(number: int, title: str, *, shop_id: str = "evil-shop") -> Listing:
    listing = make_listing(f"h{number}", marketplace="taoji", title=title, score=0.95)
    listing.shop_id = shop_id
    listing.shop_name = f"=cmd shop {shop_id}"
    listing.shop_url = f"http://127.0.0.1:8401/shop/{shop_id}.html"
    listing.price = Decimal("12.50")
    listing.brand = "Nike"
    listing.evidence_path = f"ab/cd/{'ab' * 32}.html.gz"
    listing.body_sha256 = "ab" * 32
    return listing


def seed_world(db: Database) -> dict[str, int]:
    """Store listings and return {listing_id: lead id} of the leads the store opened."""
    items = [
        make_listing("1", marketplace="taoji", score=0.9, shop_id="s1"),
        make_listing("2", marketplace="taoji", score=0.7, shop_id="s1"),
        make_listing("3", marketplace="bazaar", score=0.8, shop_id="s2"),
        make_listing("4", marketplace="bazaar", score=0.1, shop_id="s2"),  # not flagged
    ]
    items += [hostile_listing(n, title) for n, title in enumerate(HOSTILE_TITLES)]
    ListingStore(db).store(items)
    with db.sessions() as session:
        rows = session.execute(
            select(ListingRow.listing_id, Lead.id).join(Lead, Lead.listing_pk == ListingRow.id)
        )
        return {listing_id: lead_id for listing_id, lead_id in rows}


def when(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


__all__ = ["HOSTILE_TITLES", "hostile_listing", "make_verdict", "seed_world", "when"]
