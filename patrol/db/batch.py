"""What the store works with inside one batch: counts, the listings seen, and keys.

Shared by :mod:`patrol.db.store` (listings, snapshots) and :mod:`patrol.db.leadwriter`
(leads and their events).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, any_, literal
from sqlalchemy.dialects import postgresql, sqlite

from patrol.db.models import Base
from patrol.items import Listing

__all__ = [
    "SeenListing",
    "StoreCounts",
    "chunks",
    "content_fingerprint",
    "content_hash",
    "event_row",
    "image_fingerprint",
    "insert_for",
    "snapshot_data",
    "where_in",
]

_CONTENT_FIELDS = (
    "title",
    "price",
    "currency",
    "brand",
    "category",
    "description",
    "shop_id",
    "shop_name",
    "shop_official",
    "image_urls",
    "patent_numbers",
    "attributes",
)
_SNAPSHOT_FIELDS = tuple(
    f.name for f in fields(Listing) if f.name not in ("missing_fields", "capture", "verdict")
)


@dataclass(slots=True)
class StoreCounts:
    """What a batch (or a whole patrol) did; the pipeline turns it into ``patrol/*`` stats."""

    listings_new: int = 0
    listings_changed: int = 0
    listings_unchanged: int = 0
    listings_kept: int = 0  # known listings whose page came incomplete: stored as they were
    listings_gone: int = 0
    leads_new: int = 0
    leads_updated: int = 0
    leads_closed: int = 0
    leads_reopened: int = 0

    def add(self, other: StoreCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(slots=True)
class SeenListing:
    """One listing of the batch and what the database knew of it."""

    listing: Listing
    marketplace_id: int
    hash: str
    pk: int | None = None
    kind: str = "new"  # new | changed | unchanged | kept (known, its page incomplete)
    previous_score: float | None = None
    previous_url: str | None = None
    was_gone: bool = False
    _fingerprints: tuple[str | None, str | None] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, listing: Listing, marketplace_id: int) -> SeenListing:
        return cls(listing, marketplace_id, content_hash(listing))

    @property
    def content_fp(self) -> str | None:
        """:func:`content_fingerprint`, made on first use: only a new or changed listing
        is written with its fingerprints, and most of a patrol's listings are unchanged."""
        return self._both_fingerprints()[0]

    @property
    def image_fp(self) -> str | None:
        """:func:`image_fingerprint`, made on first use (see :attr:`content_fp`)."""
        return self._both_fingerprints()[1]

    def _both_fingerprints(self) -> tuple[str | None, str | None]:
        if self._fingerprints is None:
            self._fingerprints = (
                content_fingerprint(self.listing),
                image_fingerprint(self.listing),
            )
        return self._fingerprints


def content_hash(listing: Listing) -> str:
    """sha256 of the listing's content fields (not its URL, fetch time or page bytes).

    ``repr`` of plain values (str, Decimal, bool, lists, sorted dict items) is stable
    across runs and processes, and much cheaper than JSON for 100,000s of listings.
    """
    values = [getattr(listing, name) for name in _CONTENT_FIELDS]
    values[-1] = sorted(listing.attributes.items())
    return hashlib.sha256(repr(values).encode()).hexdigest()


def _fingerprint(parts: Iterable[str]) -> str | None:
    text = "\n".join(" ".join(part.casefold().split()) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest() if text.strip() else None


def content_fingerprint(listing: Listing) -> str | None:
    """What a relisting keeps when it changes its id: title and description, case-folded."""
    if not listing.title:
        return None
    return _fingerprint([listing.title, listing.description or ""])


def image_fingerprint(listing: Listing) -> str | None:
    """The set of picture URLs, without query strings (sizes, tokens) and fragments."""
    if not listing.image_urls:
        return None
    urls = sorted({url.partition("#")[0].partition("?")[0] for url in listing.image_urls})
    return _fingerprint(urls)


def snapshot_data(listing: Listing) -> dict[str, Any]:
    """The listing as a JSON column value (the engine's serializer writes Decimal/datetime)."""
    data = {name: getattr(listing, name) for name in _SNAPSHOT_FIELDS}
    if listing.verdict is not None:  # also as rule_hits rows, for queries
        data["verdict"] = listing.verdict.to_dict()
    return data


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def where_in(dialect: str, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY(:array)``: one parameter, not hundreds
    (psycopg then parses, and PostgreSQL plans, a short reusable statement)."""
    if dialect == "postgresql":
        return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(values)


def insert_for(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """A Core INSERT with ``on_conflict_do_nothing`` for the dialect in use."""
    table = model.__table__
    if dialect == "postgresql":
        return postgresql.insert(table)  # type: ignore[arg-type]
    return sqlite.insert(table)  # type: ignore[arg-type]


def event_row(
    lead_id: int,
    action: str,
    actor: str,
    at: datetime,
    *,
    to_status: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``lead_events`` row for :func:`patrol.db.bulk.insert_many`."""
    return {
        "lead_id": lead_id,
        "at": at,
        "actor": actor,
        "action": action,
        "from_status": None,
        "to_status": to_status,
        "reason": reason,
        "data": data or {},
    }
