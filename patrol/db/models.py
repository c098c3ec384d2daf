"""The Listing Patrol schema: SQLAlchemy 2 typed mappings (Alembic migrates it).

Tables, and why each exists:

- ``marketplaces`` — one row per patrolled site (``code`` is the ``Listing.marketplace``).
- ``shops`` — sellers, unique per marketplace (``marketplace_id`` + ``shop_id``); leads of
  one shop group into a case, and a shop with confirmed leads is a repeat offender.
- ``listings`` — the latest known state of each listing, unique per marketplace
  (``marketplace_id`` + ``listing_id``); ``content_hash`` decides whether a patrol saw a
  change, ``status`` is ``active`` or ``gone`` (with ``gone_at``), ``score``/``flagged`` are
  the last verdict. ``content_fingerprint``/``image_fingerprint`` find relistings.
- ``listing_snapshots`` — append-only: one row each time a listing was first seen or its
  content changed (the full listing as JSON, with its evidence path and verdict).
- ``rule_hits`` — the verdict's hits of each snapshot, one row per hit (queryable reasons).
- ``patrol_runs`` — one row per patrol run: site, start/finish, finish status (``finished``,
  ``blocked``, ``shutdown``, …), pages, errors and the ``patrol/*`` crawl stats.
- ``leads`` — one *open* lead per listing (a partial unique index enforces it): status,
  score, reasons (the verdict's hits as JSON), evidence, assignee + deadline, key-case flag,
  case, relisting links and takedown verification time.
- ``lead_events`` — the append-only audit trail of every lead change: who, when, from, to,
  why (rows are only ever inserted).
- ``cases`` — leads of one shop or seller network grouped together; a key case has its own
  responsible officer and deadline.
- ``trademarks``, ``patents``, ``authorised_sellers`` — the registries screening reads
  (see :mod:`patrol.registry`); natural keys are unique so re-imports update in place.

All timestamps are stored as UTC and come back timezone-aware (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "OPEN_LEAD_SQL",
    "OPEN_LEAD_STATUSES",
    "AuthorisedSellerRow",
    "Base",
    "Case",
    "Lead",
    "LeadEvent",
    "ListingRow",
    "ListingSnapshot",
    "Marketplace",
    "PatentRow",
    "PatrolRun",
    "RuleHitRow",
    "Shop",
    "TrademarkRow",
    "UTCDateTime",
    "utcnow",
]

#: Lead statuses in which a lead is still "open" (at most one open lead per listing).
OPEN_LEAD_STATUSES = ("new", "triaged", "assigned", "confirmed", "notice_sent")
OPEN_LEAD_SQL = "status IN ('new', 'triaged', 'assigned', 'confirmed', 'notice_sent')"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC, returned timezone-aware (same on SQLite and PG)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Marketplace(Base):
    __tablename__ = "marketplaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("marketplace_id", "shop_id", name="uq_shops_natural"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace_id: Mapped[int] = mapped_column(ForeignKey("marketplaces.id"))
    shop_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    official: Mapped[bool | None] = mapped_column(Boolean)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    marketplace: Mapped[Marketplace] = relationship()


class PatrolRun(Base):
    __tablename__ = "patrol_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    spider: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), default="running")
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    listings: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ListingRow(Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("marketplace_id", "listing_id", name="uq_listings_natural"),
        Index("ix_listings_market_status_seen", "marketplace_id", "status", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace_id: Mapped[int] = mapped_column(ForeignKey("marketplaces.id"))
    listing_id: Mapped[str] = mapped_column(String(200))
    shop_pk: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    brand: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    image_urls: Mapped[list[Any]] = mapped_column(default=list)
    patent_numbers: Mapped[list[Any]] = mapped_column(default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_path: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    content_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    image_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_runs.id"))
    gone_at: Mapped[datetime | None]

    marketplace: Mapped[Marketplace] = relationship()
    shop: Mapped[Shop | None] = relationship()


class ListingSnapshot(Base):
    __tablename__ = "listing_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_pk: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_runs.id"))
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_path: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class RuleHitRow(Base):
    __tablename__ = "rule_hits"
    # the console queue's brand filter: "has this listing a hit of this brand", off the index
    __table_args__ = (Index("ix_rule_hits_listing_brand", "listing_pk", "brand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("listing_snapshots.id"), index=True)
    listing_pk: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(200), index=True)
    weight: Mapped[float] = mapped_column(Float)
    field: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(Text)
    variant_path: Mapped[str] = mapped_column(Text)
    brand_id: Mapped[str | None] = mapped_column(String(200))
    registry_number: Mapped[str | None] = mapped_column(String(100))


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    shop_pk: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    network: Mapped[str | None] = mapped_column(String(200))  # a seller-network label
    key_case: Mapped[bool] = mapped_column(Boolean, default=False)
    officer: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    leads: Mapped[list[Lead]] = relationship(back_populates="case")
    shop: Mapped[Shop | None] = relationship()


#: the urgency order of the console queue, as index columns (patrol.web.queue.SORTS)
_URGENCY = (text("(deadline IS NULL)"), "deadline", text("score DESC"), "id")
#: what every queue index ends with: the listing (for its rule hits) and the site
_QUEUE_TAIL = ("listing_pk", "marketplace_id")


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index(
            "uq_leads_open_listing",
            "listing_pk",
            unique=True,
            sqlite_where=text(OPEN_LEAD_SQL),
            postgresql_where=text(OPEN_LEAD_SQL),
        ),
        Index("ix_leads_status_deadline", "status", "deadline"),
        # the console queue's sort orders (patrol.web.queue.SORTS): status, the order, then
        # what the queue's filters read off the index (the listing for its rule hits, the
        # site) — see migrations 0002_console_accounts and 0003_lead_marketplace
        Index("ix_leads_queue_urgency", "status", *_URGENCY, *_QUEUE_TAIL),
        Index("ix_leads_queue_score", "status", "score", "id", *_QUEUE_TAIL),
        Index("ix_leads_queue_newest", "status", "created_at", "id", *_QUEUE_TAIL),
        Index("ix_leads_queue_updated", "status", "updated_at", "id", *_QUEUE_TAIL),
        # ... and the default queue (open leads, by urgency), which PostgreSQL cannot read
        # in order off the status-first index when the status is one of five
        Index(
            "ix_leads_open_urgency",
            *_URGENCY,
            *_QUEUE_TAIL,
            sqlite_where=text(OPEN_LEAD_SQL),
            postgresql_where=text(OPEN_LEAD_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_pk: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    # the listing's, copied (it never changes): the queue's site filter reads it off an index
    marketplace_id: Mapped[int] = mapped_column(
        ForeignKey("marketplaces.id", name="fk_leads_marketplace_id")
    )
    status: Mapped[str] = mapped_column(String(20), default="new")
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # Verdict hits, as dicts
    rulebook_version: Mapped[str | None] = mapped_column(String(100))
    evidence_path: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(200), index=True)
    deadline: Mapped[datetime | None]
    key_case: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    relisted: Mapped[bool] = mapped_column(Boolean, default=False)
    relisted_from_lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    verified_gone_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    listing: Mapped[ListingRow] = relationship()
    case: Mapped[Case | None] = relationship(back_populates="leads")
    events: Mapped[list[LeadEvent]] = relationship(
        back_populates="lead", order_by="LeadEvent.id", viewonly=True
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class LeadEvent(Base):
    """One line of a lead's audit trail (insert-only)."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))  # flagged, status, assigned, reflagged, …
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    lead: Mapped[Lead] = relationship(back_populates="events")


class TrademarkRow(Base):
    __tablename__ = "trademarks"
    __table_args__ = (UniqueConstraint("office", "record_key", name="uq_trademarks_natural"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office: Mapped[str] = mapped_column(String(10))
    # application number if known, else "R" + registration number, else "M" + mark
    record_key: Mapped[str] = mapped_column(String(300))
    mark: Mapped[str | None] = mapped_column(Text)
    mark_normalised: Mapped[str | None] = mapped_column(Text, index=True)
    application_number: Mapped[str | None] = mapped_column(String(100))
    registration_number: Mapped[str | None] = mapped_column(String(100), index=True)
    application_date: Mapped[date | None] = mapped_column(Date)
    registration_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(50))
    status_detail: Mapped[str | None] = mapped_column(Text)
    nice_classes: Mapped[str] = mapped_column(String(300), default="")  # "009;042"
    goods: Mapped[str | None] = mapped_column(Text)
    holder: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class PatentRow(Base):
    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)  # canonical form
    kind: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    holder: Mapped[str | None] = mapped_column(Text)
    filing_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(20))
    expiry: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorisedSellerRow(Base):
    __tablename__ = "authorised_sellers"
    __table_args__ = (
        UniqueConstraint("marketplace", "shop_id", "brand_id", name="uq_authorised_natural"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(100))
    shop_id: Mapped[str] = mapped_column(String(200))
    brand_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="authorised")
    source: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
