"""Takedown follow-up: which listing URLs each patrol must look at again.

A lead in ``notice_sent`` waits for the marketplace to take the listing down. Every patrol
of that marketplace requests these URLs; the spider yields a ``ListingGone`` when the
marketplace says the listing is gone (the store then closes the lead with the time it was
verified gone) or a ``Listing`` when it is still (or again) there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import Lead, ListingRow, Marketplace

__all__ = ["listings_to_recheck"]


def listings_to_recheck(session: Session, marketplace: str) -> list[tuple[str, str]]:
    """(listing_id, url) of the listings of ``marketplace`` whose lead is ``notice_sent``."""
    rows = session.execute(
        select(ListingRow.listing_id, ListingRow.url)
        .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
        .join(Lead, Lead.listing_pk == ListingRow.id)
        .where(Marketplace.code == marketplace, Lead.status == "notice_sent")
        .order_by(ListingRow.listing_id)
        .distinct()
    )
    return [(listing_id, url) for listing_id, url in rows]
