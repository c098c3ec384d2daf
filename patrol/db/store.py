"""Writing what a patrol saw: listings, snapshots, rule hits and leads, a batch at a time.

Every write is an upsert by natural key inside one transaction per batch, so several patrol
processes can write to one database at once (SQLite serialises the batches with
``BEGIN IMMEDIATE``; PostgreSQL resolves races through the unique indexes):

- a listing is keyed by marketplace + listing id; ``INSERT … ON CONFLICT DO NOTHING``
  tells a new listing from one another process stored a moment ago (which is then compared
  like any existing listing);
- a listing's ``content_hash`` (its fields, not the page bytes) decides: unchanged → only
  ``last_seen_at`` moves; new or changed → a new snapshot with its verdict and rule hits;
- a flagged listing gets one open lead (the partial unique index ``uq_leads_open_listing``
  settles races); re-flagging with another score or other reasons updates the lead and
  logs ``reflagged``;
- a new listing with the same title+description or the same images as a listing whose
  lead reached ``notice_sent``/``closed`` is linked to that lead (a relisting);
- a ``ListingGone`` marks the listing gone and closes a ``notice_sent`` lead (takedown
  verified); a gone listing seen again reopens its closed lead as relisted.

:meth:`ListingStore.mark_unseen_gone` implements the end-of-patrol rule documented there.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, func, literal, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from patrol.db.engine import Database
from patrol.db.models import (
    OPEN_LEAD_SQL,
    OPEN_LEAD_STATUSES,
    Base,
    Lead,
    LeadEvent,
    ListingRow,
    ListingSnapshot,
    Marketplace,
    RuleHitRow,
    Shop,
    utcnow,
)
from patrol.items import Listing, ListingGone
from patrol.leads.workflow import reopen_relisted, verify_gone

__all__ = ["ListingStore", "StoreCounts", "content_hash"]

logger = logging.getLogger(__name__)

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
_SNAPSHOT_SKIP = frozenset({"capture", "verdict"})
_LOCK_CLASS = 0x7061  # PostgreSQL advisory lock class of the store's writer lock ("pa")


@dataclass(slots=True)
class StoreCounts:
    """What a batch (or a whole patrol) did; the pipeline turns it into ``patrol/*`` stats."""

    listings_new: int = 0
    listings_changed: int = 0
    listings_unchanged: int = 0
    listings_gone: int = 0
    leads_new: int = 0
    leads_updated: int = 0
    leads_closed: int = 0
    leads_reopened: int = 0

    def add(self, other: StoreCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


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


def _content_fingerprint(listing: Listing) -> str | None:
    if not listing.title:
        return None
    return _fingerprint([listing.title, listing.description or ""])


def _image_fingerprint(listing: Listing) -> str | None:
    if not listing.image_urls:
        return None
    # the same picture is often served with other query strings (sizes, tokens)
    urls = sorted({url.partition("#")[0].partition("?")[0] for url in listing.image_urls})
    return _fingerprint(urls)


_SNAPSHOT_FIELDS = tuple(f.name for f in fields(Listing) if f.name not in _SNAPSHOT_SKIP)


def _snapshot_data(listing: Listing) -> dict[str, Any]:
    """The listing as a JSON column value (the engine's serializer writes Decimal/datetime)."""
    data = {name: getattr(listing, name) for name in _SNAPSHOT_FIELDS}
    if listing.verdict is not None:  # also as rule_hits rows, for queries
        data["verdict"] = listing.verdict.to_dict()
    return data


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(slots=True)
class _Seen:
    """One listing of the batch and what the database knew of it."""

    listing: Listing
    marketplace_id: int
    hash: str
    content_fp: str | None = None
    image_fp: str | None = None
    pk: int | None = None
    kind: str = "new"  # new | changed | unchanged
    previous_score: float | None = None
    was_gone: bool = False


class ListingStore:
    """Stores batches of items for one patrol run (or for a benchmark, or a test)."""

    def __init__(self, db: Database, *, run_id: int | None = None, actor: str = "patrol"):
        self.db = db
        self.run_id = run_id
        self.actor = actor
        self.totals = StoreCounts()
        self._marketplaces: dict[str, int] = {}
        self._shops: dict[tuple[int, str], int] = {}

    # -- helpers ---------------------------------------------------------------------

    def _insert(self, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
        """A Core INSERT on the model's table (no ORM bulk machinery: many rows, fast)."""
        table = model.__table__
        if self.db.dialect == "postgresql":
            return postgresql.insert(table)  # type: ignore[arg-type]
        return sqlite.insert(table)  # type: ignore[arg-type]

    def _in(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        """``column IN values``; on PostgreSQL ``= ANY(:array)``, one parameter instead of
        hundreds (psycopg then parses and PostgreSQL plans a short, reusable statement)."""
        if self.db.dialect == "postgresql":
            return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
        return column.in_(values)

    def _marketplace_id(self, session: Session, code: str) -> int:
        if code not in self._marketplaces:
            session.execute(
                self._insert(Marketplace)
                .values(code=code, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["code"])
            )
            self._marketplaces[code] = session.scalars(
                select(Marketplace.id).where(Marketplace.code == code)
            ).one()
        return self._marketplaces[code]

    def _shop_ids(self, session: Session, listings: Sequence[tuple[int, Listing]]) -> None:
        missing: dict[tuple[int, str], Listing] = {}
        for marketplace_id, listing in listings:
            key = (marketplace_id, listing.shop_id or "")
            if listing.shop_id and key not in self._shops:
                missing[key] = listing
        if not missing:
            return
        now = utcnow()
        session.execute(
            self._insert(Shop).on_conflict_do_nothing(index_elements=["marketplace_id", "shop_id"]),
            [
                {
                    "marketplace_id": key[0],
                    "shop_id": key[1],
                    "name": listing.shop_name,
                    "url": listing.shop_url,
                    "official": listing.shop_official,
                    "first_seen_at": now,
                }
                for key, listing in sorted(missing.items(), key=lambda kv: kv[0])
            ],
        )
        by_marketplace: dict[int, list[str]] = {}
        for marketplace_id, shop_id in missing:
            by_marketplace.setdefault(marketplace_id, []).append(shop_id)
        for marketplace_id, shop_ids in by_marketplace.items():
            for chunk in _chunks(shop_ids):
                rows = session.execute(
                    select(Shop.shop_id, Shop.id).where(
                        Shop.marketplace_id == marketplace_id, self._in(Shop.shop_id, chunk)
                    )
                )
                for shop_id, pk in rows:
                    self._shops[(marketplace_id, shop_id)] = pk

    def _listing_values(self, seen: _Seen, now: datetime) -> dict[str, Any]:
        listing = seen.listing
        verdict = listing.verdict
        return {
            "url": listing.url,
            "shop_pk": self._shops.get((seen.marketplace_id, listing.shop_id or "")),
            "title": listing.title,
            "price": listing.price,
            "currency": listing.currency,
            "brand": listing.brand,
            "category": listing.category,
            "description": listing.description,
            "image_urls": list(listing.image_urls),
            "patent_numbers": list(listing.patent_numbers),
            "attributes": dict(listing.attributes),
            "body_sha256": listing.body_sha256,
            "evidence_path": listing.evidence_path,
            "content_hash": seen.hash,
            "content_fingerprint": seen.content_fp,
            "image_fingerprint": seen.image_fp,
            "score": verdict.score if verdict is not None else None,
            "flagged": bool(verdict is not None and verdict.flagged),
            "status": "active",
            "gone_at": None,
            "last_seen_at": now,
            "last_run_id": self.run_id,
        }

    # -- the batch -------------------------------------------------------------------

    def store(self, items: Sequence[Listing | ListingGone]) -> StoreCounts:
        """Write one batch in one transaction; returns (and accumulates) its counts."""
        counts = StoreCounts()
        latest: dict[tuple[str, str], Listing] = {}
        gone: list[ListingGone] = []
        for item in items:
            if isinstance(item, ListingGone):
                gone.append(item)
            else:
                latest[(item.marketplace, item.listing_id)] = item
        # one order for every writer, so concurrent batches lock rows without deadlocks
        ordered = [latest[key] for key in sorted(latest)]
        try:
            with self.db.sessions.begin() as session:
                if ordered:
                    self._store_listings(session, ordered, counts)
                if gone:
                    self._store_gone(session, gone, counts)
        except BaseException:
            # ids cached during a rolled-back transaction may not exist: forget them
            self._marketplaces.clear()
            self._shops.clear()
            raise
        self.totals.add(counts)
        return counts

    def _store_listings(
        self, session: Session, listings: list[Listing], counts: StoreCounts
    ) -> None:
        now = utcnow()
        batch = [
            _Seen(
                item,
                self._marketplace_id(session, item.marketplace),
                content_hash(item),
                _content_fingerprint(item),
                _image_fingerprint(item),
            )
            for item in listings
        ]
        self._shop_ids(session, [(s.marketplace_id, s.listing) for s in batch])
        self._lock_marketplaces(session, {s.marketplace_id for s in batch})
        by_key = {(s.marketplace_id, s.listing.listing_id): s for s in batch}
        self._load_existing(session, by_key)

        new = [s for s in batch if s.pk is None]
        if new:
            self._insert_new_listings(session, new, now)

        changed = [s for s in batch if s.kind == "changed"]
        unchanged = [s for s in batch if s.kind == "unchanged"]
        if changed:
            session.execute(
                update(ListingRow),
                [{"id": s.pk, **self._listing_values(s, now)} for s in changed],
            )
        if unchanged:
            session.execute(
                update(ListingRow),
                [
                    {
                        "id": s.pk,
                        "last_seen_at": now,
                        "last_run_id": self.run_id,
                        "status": "active",
                        "gone_at": None,
                        "url": s.listing.url,
                        **self._verdict_values(s.listing),
                    }
                    for s in unchanged
                ],
            )
        counts.listings_new += sum(1 for s in batch if s.kind == "new")
        counts.listings_changed += len(changed)
        counts.listings_unchanged += len(unchanged)

        self._store_snapshots(session, [s for s in batch if s.kind != "unchanged"], now)
        self._store_leads(session, batch, now, counts)
        back = [s for s in batch if s.was_gone]
        if back:
            self._reopen_relisted(session, back, now, counts)

    def _lock_marketplaces(self, session: Session, marketplace_ids: set[int]) -> None:
        """Make this transaction the only writer of these marketplaces until it ends.

        SQLite already has one writer at a time (``BEGIN IMMEDIATE``); on PostgreSQL a
        transaction-scoped advisory lock per marketplace (taken in id order, so never a
        deadlock) does the same. Between reading which listings exist and inserting the
        new ones no other patrol can slip in, so new/changed/unchanged, leads and events
        are exact; the unique indexes stay as the last guard.
        """
        if self.db.dialect != "postgresql":
            return
        for marketplace_id in sorted(marketplace_ids):
            session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, marketplace_id)))

    def _insert_new_listings(self, session: Session, new: list[_Seen], now: datetime) -> None:
        session.execute(
            self._insert(ListingRow).on_conflict_do_nothing(
                index_elements=["marketplace_id", "listing_id"]
            ),
            [
                {
                    **self._listing_values(s, now),
                    "marketplace_id": s.marketplace_id,
                    "listing_id": s.listing.listing_id,
                    "first_seen_at": now,
                }
                for s in new
            ],
        )
        # a plain executemany and one SELECT for the ids: much faster than RETURNING
        self._load_ids(session, {(s.marketplace_id, s.listing.listing_id): s for s in new})

    def _load_ids(self, session: Session, by_key: dict[tuple[int, str], _Seen]) -> None:
        by_marketplace: dict[int, list[str]] = {}
        for marketplace_id, listing_id in by_key:
            by_marketplace.setdefault(marketplace_id, []).append(listing_id)
        for marketplace_id, listing_ids in by_marketplace.items():
            for chunk in _chunks(listing_ids):
                rows = session.execute(
                    select(ListingRow.listing_id, ListingRow.id).where(
                        ListingRow.marketplace_id == marketplace_id,
                        self._in(ListingRow.listing_id, chunk),
                    )
                )
                for listing_id, pk in rows:
                    by_key[(marketplace_id, listing_id)].pk = pk

    @staticmethod
    def _verdict_values(listing: Listing) -> dict[str, Any]:
        verdict = listing.verdict
        if verdict is None:
            return {}
        return {"score": verdict.score, "flagged": verdict.flagged}

    def _load_existing(self, session: Session, by_key: dict[tuple[int, str], _Seen]) -> None:
        by_marketplace: dict[int, list[str]] = {}
        for marketplace_id, listing_id in by_key:
            by_marketplace.setdefault(marketplace_id, []).append(listing_id)
        for marketplace_id, listing_ids in by_marketplace.items():
            for chunk in _chunks(listing_ids):
                self._load_existing_chunk(session, by_key, marketplace_id, chunk)

    def _load_existing_chunk(
        self,
        session: Session,
        by_key: dict[tuple[int, str], _Seen],
        marketplace_id: int,
        listing_ids: Sequence[str],
    ) -> None:
        # the unique index (marketplace_id, listing_id) answers this
        rows = session.execute(
            select(
                ListingRow.marketplace_id,
                ListingRow.listing_id,
                ListingRow.id,
                ListingRow.content_hash,
                ListingRow.score,
                ListingRow.status,
            ).where(
                ListingRow.marketplace_id == marketplace_id,
                self._in(ListingRow.listing_id, listing_ids),
            )
        )
        for market, listing_id, pk, stored_hash, score, status in rows:
            seen = by_key[(market, listing_id)]
            seen.pk = pk
            seen.kind = "unchanged" if stored_hash == seen.hash else "changed"
            seen.previous_score = score
            seen.was_gone = status == "gone"

    def _snapshot_row(self, s: _Seen, now: datetime) -> dict[str, Any]:
        verdict = s.listing.verdict
        return {
            "listing_pk": s.pk,
            "run_id": self.run_id,
            "captured_at": s.listing.fetched_at or now,
            "content_hash": s.hash,
            "data": _snapshot_data(s.listing),
            "body_sha256": s.listing.body_sha256,
            "evidence_path": s.listing.evidence_path,
            "score": verdict.score if verdict is not None else None,
            "flagged": bool(verdict is not None and verdict.flagged),
        }

    def _store_snapshots(self, session: Session, batch: list[_Seen], now: datetime) -> None:
        """Snapshots of new/changed listings; the rule hits of their verdicts beside them."""
        with_hits = [s for s in batch if s.listing.verdict and s.listing.verdict.hits]
        plain = [s for s in batch if not (s.listing.verdict and s.listing.verdict.hits)]
        if plain:  # most listings: no ids needed back, the fastest executemany
            session.execute(
                self._insert(ListingSnapshot), [self._snapshot_row(s, now) for s in plain]
            )
        if not with_hits:
            return
        session.execute(
            self._insert(ListingSnapshot), [self._snapshot_row(s, now) for s in with_hits]
        )
        ids: dict[int, int] = {}
        for chunk in _chunks([s.pk for s in with_hits]):
            # the writer lock makes each listing's newest snapshot the one just written
            for listing_pk, snapshot_id in session.execute(
                select(ListingSnapshot.listing_pk, func.max(ListingSnapshot.id))
                .where(self._in(ListingSnapshot.listing_pk, chunk))
                .group_by(ListingSnapshot.listing_pk)
            ):
                ids[listing_pk] = snapshot_id
        hits = []
        for s in with_hits:
            snapshot_id = ids[s.pk]  # type: ignore[index]
            verdict = s.listing.verdict
            for hit in verdict.hits if verdict is not None else ():
                hits.append(
                    {
                        "snapshot_id": snapshot_id,
                        "listing_pk": s.pk,
                        "rule_id": hit.rule_id,
                        "weight": hit.weight,
                        "field": hit.field,
                        "text": hit.text,
                        "normalised": hit.normalised,
                        "variant_path": hit.variant_path,
                        "brand_id": hit.brand_id,
                        "registry_number": hit.registry.number if hit.registry else None,
                    }
                )
        if hits:
            session.execute(self._insert(RuleHitRow), hits)

    # -- leads -----------------------------------------------------------------------

    def _store_leads(
        self, session: Session, batch: list[_Seen], now: datetime, counts: StoreCounts
    ) -> None:
        relinks = self._find_relistings(session, [s for s in batch if s.kind == "new"])
        candidates = [
            s
            for s in batch
            if s.pk in relinks
            or (
                (verdict := s.listing.verdict) is not None
                and verdict.flagged
                and (s.kind != "unchanged" or s.previous_score != verdict.score)
            )
        ]
        if not candidates:
            return
        open_leads: dict[int, tuple[int, float]] = {}
        any_lead: set[int] = set()
        for chunk in _chunks([s.pk for s in candidates]):
            for lead_id, listing_pk, status, score in session.execute(
                select(Lead.id, Lead.listing_pk, Lead.status, Lead.score).where(
                    self._in(Lead.listing_pk, chunk)
                )
            ):
                any_lead.add(listing_pk)
                if status in OPEN_LEAD_STATUSES:
                    open_leads[listing_pk] = (lead_id, score)

        to_create = [
            s
            for s in candidates
            if s.pk not in open_leads and (s.kind != "unchanged" or s.pk not in any_lead)
        ]
        to_update = [s for s in candidates if s.pk in open_leads]
        if to_create:
            self._create_leads(session, to_create, relinks, now, counts)
        events = []
        for s in to_update:
            verdict = s.listing.verdict
            if verdict is None:
                continue
            lead_id, old_score = open_leads[s.pk]  # type: ignore[index]
            if s.kind == "unchanged" and old_score == verdict.score:
                continue
            session.execute(
                update(Lead)
                .where(Lead.id == lead_id)
                .values(
                    score=verdict.score,
                    reasons=[hit.to_dict() for hit in verdict.hits],
                    evidence_path=s.listing.evidence_path or Lead.evidence_path,
                    updated_at=now,
                )
            )
            events.append(
                _event(
                    lead_id,
                    "reflagged",
                    self.actor,
                    now,
                    reason=f"flagged again ({s.kind} listing), score {old_score} → {verdict.score}",
                    data={"rules": verdict.rule_ids, "run_id": self.run_id},
                )
            )
        if events:
            session.execute(self._insert(LeadEvent), events)
            counts.leads_updated += len(events)

    def _create_leads(
        self,
        session: Session,
        batch: list[_Seen],
        relinks: dict[int, tuple[int, str, float]],
        now: datetime,
        counts: StoreCounts,
    ) -> None:
        rows = []
        for s in batch:
            verdict = s.listing.verdict
            old = relinks.get(s.pk)  # type: ignore[arg-type]
            rows.append(
                {
                    "listing_pk": s.pk,
                    "status": "new",
                    "score": verdict.score if verdict is not None else old[2] if old else 0.0,
                    "reasons": [h.to_dict() for h in verdict.hits] if verdict else [],
                    "evidence_path": s.listing.evidence_path,
                    "relisted": old is not None,
                    "relisted_from_lead_id": old[0] if old else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        where = text(OPEN_LEAD_SQL)  # the partial unique index's own predicate
        session.execute(
            self._insert(Lead).on_conflict_do_nothing(
                index_elements=["listing_pk"], index_where=where
            ),
            rows,
        )
        created: list[tuple[int, int]] = []
        for chunk in _chunks([s.pk for s in batch]):
            # only listings without an open lead got one, under the writer lock: these
            found = session.execute(
                select(Lead.id, Lead.listing_pk).where(
                    self._in(Lead.listing_pk, chunk), Lead.status.in_(OPEN_LEAD_STATUSES)
                )
            )
            created.extend((lead_id, listing_pk) for lead_id, listing_pk in found)
        by_pk = {s.pk: s for s in batch}
        events = []
        for lead_id, listing_pk in created:
            s = by_pk[listing_pk]
            verdict = s.listing.verdict
            old = relinks.get(listing_pk)
            reason = f"flagged by patrol, score {verdict.score}" if verdict else "relisting"
            if old is not None:
                reason += f"; relisting of lead #{old[0]} (same {old[1]})"
            events.append(
                _event(
                    lead_id,
                    "flagged",
                    self.actor,
                    now,
                    to_status="new",
                    reason=reason,
                    data={
                        "rules": verdict.rule_ids if verdict else [],
                        "run_id": self.run_id,
                        "relisted_from_lead_id": old[0] if old else None,
                    },
                )
            )
        if events:
            session.execute(self._insert(LeadEvent), events)
        counts.leads_new += len(events)

    def _find_relistings(
        self, session: Session, new: list[_Seen]
    ) -> dict[int, tuple[int, str, float]]:
        """listing pk → (old lead id, "title and description" | "images", old score)."""
        by_content: dict[str, list[_Seen]] = {}
        by_images: dict[str, list[_Seen]] = {}
        for s in new:
            if s.content_fp is not None:
                by_content.setdefault(s.content_fp, []).append(s)
            if s.image_fp is not None:
                by_images.setdefault(s.image_fp, []).append(s)
        batch_pks = {s.pk for s in new}
        # first the cheap, indexed question: does any *other* listing look the same?
        twins = [
            pk
            for pk in session.scalars(
                select(ListingRow.id).where(
                    or_(
                        self._in(ListingRow.content_fingerprint, list(by_content)),
                        self._in(ListingRow.image_fingerprint, list(by_images)),
                    )
                )
            )
            if pk not in batch_pks
        ]
        if not twins:
            return {}
        rows = session.execute(
            select(
                Lead.id,
                Lead.score,
                ListingRow.id,
                ListingRow.marketplace_id,
                ListingRow.content_fingerprint,
                ListingRow.image_fingerprint,
            )
            .join(ListingRow, ListingRow.id == Lead.listing_pk)
            .where(
                self._in(ListingRow.id, twins[:1000]),
                or_(Lead.status.in_(("notice_sent", "closed")), ListingRow.status == "gone"),
                Lead.status != "dismissed",
            )
            .order_by(Lead.id)
        ).all()
        links: dict[int, tuple[int, str, float]] = {}
        for lead_id, score, old_pk, marketplace_id, content, images in rows:
            for kind, matches in (
                ("title and description", by_content.get(content or "", [])),
                ("images", by_images.get(images or "", [])),
            ):
                for s in matches:
                    if s.pk != old_pk and s.marketplace_id == marketplace_id and s.pk:
                        links.setdefault(s.pk, (lead_id, kind, score))
        return links

    def _reopen_relisted(
        self, session: Session, back: list[_Seen], now: datetime, counts: StoreCounts
    ) -> None:
        pks = [s.pk for s in back]
        open_pks = set(
            session.scalars(
                select(Lead.listing_pk).where(
                    self._in(Lead.listing_pk, pks), Lead.status.in_(OPEN_LEAD_STATUSES)
                )
            )
        )
        closed = session.scalars(
            select(Lead)
            .where(self._in(Lead.listing_pk, pks), Lead.status == "closed")
            .order_by(Lead.id.desc())
        ).all()
        done: set[int] = set()
        for lead in closed:
            if lead.listing_pk in open_pks or lead.listing_pk in done:
                continue
            done.add(lead.listing_pk)
            if reopen_relisted(
                session,
                lead,
                seen_at=now,
                reason="listing is back after it was verified gone",
                actor=self.actor,
            ):
                counts.leads_reopened += 1

    # -- gone ------------------------------------------------------------------------

    def _store_gone(self, session: Session, gone: list[ListingGone], counts: StoreCounts) -> None:
        self._lock_marketplaces(
            session, {self._marketplace_id(session, item.marketplace) for item in gone}
        )
        for item in gone:
            marketplace_id = self._marketplace_id(session, item.marketplace)
            row = session.execute(
                select(ListingRow.id, ListingRow.status).where(
                    ListingRow.marketplace_id == marketplace_id,
                    ListingRow.listing_id == item.listing_id,
                )
            ).one_or_none()
            if row is None:
                logger.info("gone listing %s/%s was never stored", *_key(item))
                continue
            pk, status = row
            if status != "gone":
                session.execute(
                    update(ListingRow)
                    .where(ListingRow.id == pk)
                    .values(status="gone", gone_at=item.checked_at)
                )
                counts.listings_gone += 1
            status_text = f"HTTP {item.http_status}" if item.http_status else "removed page"
            counts.leads_closed += self._close_verified(
                session,
                [pk],
                item.checked_at,
                f"takedown verified: {item.url} answered {status_text}",
            )

    def _close_verified(
        self, session: Session, listing_pks: Sequence[int], gone_at: datetime, reason: str
    ) -> int:
        closed = 0
        for chunk in _chunks(list(listing_pks)):
            leads = session.scalars(
                select(Lead)
                .where(self._in(Lead.listing_pk, chunk), Lead.status == "notice_sent")
                .with_for_update()
            ).all()
            for lead in leads:
                if verify_gone(session, lead, gone_at=gone_at, reason=reason, actor=self.actor):
                    closed += 1
        return closed

    def mark_unseen_gone(
        self, marketplace: str, *, since: datetime, min_coverage: float
    ) -> StoreCounts:
        """After a complete patrol of ``marketplace``: mark listings it did not see gone.

        The rule, so that a partial patrol never marks everything gone: only listings that
        were *active* and already known before the patrol started (``first_seen_at <
        since``) are expected; if the patrol saw less than ``min_coverage`` of those, it is
        treated as partial and nothing is marked. Otherwise each expected listing not seen
        since ``since`` becomes gone, and a ``notice_sent`` lead on it is closed (takedown
        verified). Callers decide what "complete" means (the store pipeline: finish reason
        ``finished`` and no blocked pages).
        """
        counts = StoreCounts()
        now = utcnow()
        with self.db.sessions.begin() as session:
            marketplace_id = self._marketplace_id(session, marketplace)
            self._lock_marketplaces(session, {marketplace_id})
            expected = and_(
                ListingRow.marketplace_id == marketplace_id,
                ListingRow.status == "active",
                ListingRow.first_seen_at < since,
            )
            total, seen = session.execute(
                select(
                    func.count(),
                    func.count().filter(ListingRow.last_seen_at >= since),
                ).where(expected)
            ).one()
            if total == 0:
                return counts
            coverage = seen / total
            if coverage < min_coverage:
                logger.warning(
                    "patrol of %s saw %d of %d known listings (%.0f%% < %.0f%%): treated as "
                    "partial, no listing marked gone",
                    marketplace,
                    seen,
                    total,
                    coverage * 100,
                    min_coverage * 100,
                )
                return counts
            pks = list(
                session.scalars(
                    select(ListingRow.id).where(expected, ListingRow.last_seen_at < since)
                )
            )
            for chunk in _chunks(pks):
                session.execute(
                    update(ListingRow)
                    .where(self._in(ListingRow.id, chunk))
                    .values(status="gone", gone_at=now)
                )
            counts.listings_gone = len(pks)
            counts.leads_closed = self._close_verified(
                session,
                pks,
                now,
                f"takedown verified: not found by complete patrol of {marketplace}"
                + (f" (run #{self.run_id})" if self.run_id else ""),
            )
        self.totals.add(counts)
        return counts


def _key(item: ListingGone) -> tuple[str, str]:
    return item.marketplace, item.listing_id


def _event(
    lead_id: int,
    action: str,
    actor: str,
    at: datetime,
    *,
    to_status: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
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
