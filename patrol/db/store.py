"""Writing what a patrol saw: listings, snapshots, rule hits and leads, a batch at a time.

Every write is an upsert by natural key inside one transaction per batch, and a batch is
the only writer of its marketplaces while it runs (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL:
a transaction-scoped advisory lock per marketplace), so several patrol processes can write
to one database at once and each listing, lead and event is written exactly once; the
unique indexes (and ``ON CONFLICT DO NOTHING``) stay as the last guard:

- a listing is keyed by marketplace + listing id;
- a listing's ``content_hash`` (its fields, not the page bytes) decides: unchanged → only
  ``last_seen_at`` moves; new or changed → a new snapshot with its verdict and rule hits;
- leads follow (:mod:`patrol.db.leadwriter`): one open lead per flagged listing, re-flags,
  relistings linked to the old lead, reopening of a closed lead whose listing is back;
- a ``ListingGone`` marks the listing gone and closes a ``notice_sent`` lead (takedown
  verified).

:meth:`ListingStore.mark_unseen_gone` implements the end-of-patrol rule documented there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from patrol.db.batch import (
    SeenListing,
    StoreCounts,
    chunks,
    content_hash,
    insert_for,
    snapshot_data,
    where_in,
)
from patrol.db.bulk import insert_many
from patrol.db.engine import Database
from patrol.db.leadwriter import LeadWriter
from patrol.db.models import (
    Base,
    ListingRow,
    ListingSnapshot,
    Marketplace,
    RuleHitRow,
    Shop,
    utcnow,
)
from patrol.items import Listing, ListingGone

__all__ = ["ListingStore", "StoreCounts", "content_hash"]

logger = logging.getLogger(__name__)

_LOCK_CLASS = 0x7061  # PostgreSQL advisory lock class of the store's writer lock ("pa")


class ListingStore:
    """Stores batches of items for one patrol run (or for a benchmark, or a test)."""

    def __init__(self, db: Database, *, run_id: int | None = None, actor: str = "patrol"):
        self.db = db
        self.leads = LeadWriter(db.dialect, actor=actor, run_id=run_id)
        self.totals = StoreCounts()
        self._marketplaces: dict[str, int] = {}
        self._shops: dict[tuple[int, str], int] = {}

    @property
    def run_id(self) -> int | None:
        """The ``patrol_runs`` row listings, snapshots and lead events point at."""
        return self.leads.run_id

    @run_id.setter
    def run_id(self, value: int | None) -> None:
        self.leads.run_id = value

    # -- helpers ---------------------------------------------------------------------

    def _insert(self, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
        return insert_for(self.db.dialect, model)

    def _in(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        return where_in(self.db.dialect, column, values)

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
            for chunk in chunks(shop_ids):
                rows = session.execute(
                    select(Shop.shop_id, Shop.id).where(
                        Shop.marketplace_id == marketplace_id, self._in(Shop.shop_id, chunk)
                    )
                )
                for shop_id, pk in rows:
                    self._shops[(marketplace_id, shop_id)] = pk

    def _listing_values(self, seen: SeenListing, now: datetime) -> dict[str, Any]:
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
        }

    def _seen_values(self, now: datetime) -> dict[str, Any]:
        """What every listing this batch saw gets: seen now, by this run, active."""
        return {
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
            SeenListing.of(item, self._marketplace_id(session, item.marketplace))
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
        kept = [s for s in batch if s.kind == "kept"]
        if changed:
            session.execute(
                update(ListingRow),
                [
                    {"id": s.pk, **self._listing_values(s, now), **self._seen_values(now)}
                    for s in changed
                ],
            )
        if unchanged:
            self._touch_unchanged(session, unchanged, now)
        if kept:
            self._mark_seen(session, [s.pk for s in kept], now)
        counts.listings_new += sum(1 for s in batch if s.kind == "new")
        counts.listings_changed += len(changed)
        counts.listings_unchanged += len(unchanged)
        counts.listings_kept += len(kept)

        self._store_snapshots(session, [s for s in batch if s.kind in ("new", "changed")], now)
        back = [s for s in batch if s.was_gone]
        if back:  # first, so a listing that is back (changed or not) reopens its lead
            self.leads.reopen_relisted(session, back, now, counts)
        # a kept listing's verdict is of half a page: its lead stays as it was
        self.leads.store_leads(session, [s for s in batch if s.kind != "kept"], now, counts)

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

    def _insert_new_listings(self, session: Session, new: list[SeenListing], now: datetime) -> None:
        insert_many(
            session,
            ListingRow,
            [
                {
                    **self._listing_values(s, now),
                    "marketplace_id": s.marketplace_id,
                    "listing_id": s.listing.listing_id,
                }
                for s in new
            ],
            constants={**self._seen_values(now), "first_seen_at": now},
            conflict=("marketplace_id", "listing_id"),
            known_new=True,  # under the writer lock, after _load_existing found none
        )
        # one SELECT for the new ids: much faster than RETURNING row by row
        self._load_ids(session, {(s.marketplace_id, s.listing.listing_id): s for s in new})

    def _load_ids(self, session: Session, by_key: dict[tuple[int, str], SeenListing]) -> None:
        by_marketplace: dict[int, list[str]] = {}
        for marketplace_id, listing_id in by_key:
            by_marketplace.setdefault(marketplace_id, []).append(listing_id)
        for marketplace_id, listing_ids in by_marketplace.items():
            for chunk in chunks(listing_ids):
                rows = session.execute(
                    select(ListingRow.listing_id, ListingRow.id).where(
                        ListingRow.marketplace_id == marketplace_id,
                        self._in(ListingRow.listing_id, chunk),
                    )
                )
                for listing_id, pk in rows:
                    by_key[(marketplace_id, listing_id)].pk = pk

    def _mark_seen(self, session: Session, pks: list[int | None], now: datetime) -> None:
        """Seen now, by this run, active: one set-based UPDATE per chunk."""
        for chunk in chunks(pks, 1000):
            session.execute(
                update(ListingRow)
                .where(self._in(ListingRow.id, chunk))
                .values(**self._seen_values(now))
                .execution_options(synchronize_session=False)
            )

    def _touch_unchanged(
        self, session: Session, unchanged: list[SeenListing], now: datetime
    ) -> None:
        """Most of a patrol: one set-based UPDATE per chunk marks them seen; only the few
        whose URL or verdict moved get a row of their own."""
        self._mark_seen(session, [s.pk for s in unchanged], now)
        moved = [
            {"id": s.pk, "url": s.listing.url, "score": verdict.score, "flagged": verdict.flagged}
            for s in unchanged
            if (verdict := s.listing.verdict) is not None
            and (s.previous_url != s.listing.url or s.previous_score != verdict.score)
        ]
        moved += [
            {"id": s.pk, "url": s.listing.url}
            for s in unchanged
            if s.listing.verdict is None and s.previous_url != s.listing.url
        ]
        for values in moved:
            session.execute(
                update(ListingRow).where(ListingRow.id == values.pop("id")).values(values)
            )

    def _load_existing(self, session: Session, by_key: dict[tuple[int, str], SeenListing]) -> None:
        by_marketplace: dict[int, list[str]] = {}
        for marketplace_id, listing_id in by_key:
            by_marketplace.setdefault(marketplace_id, []).append(listing_id)
        for marketplace_id, listing_ids in by_marketplace.items():
            for chunk in chunks(listing_ids):
                self._load_existing_chunk(session, by_key, marketplace_id, chunk)

    def _load_existing_chunk(
        self,
        session: Session,
        by_key: dict[tuple[int, str], SeenListing],
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
                ListingRow.url,
            ).where(
                ListingRow.marketplace_id == marketplace_id,
                self._in(ListingRow.listing_id, listing_ids),
            )
        )
        for market, listing_id, pk, stored_hash, score, status, url in rows:
            seen = by_key[(market, listing_id)]
            seen.pk = pk
            if stored_hash == seen.hash:
                seen.kind = "unchanged"
            elif seen.listing.missing_fields:  # half a page must not overwrite the whole one
                seen.kind = "kept"
            else:
                seen.kind = "changed"
            seen.previous_score = score
            seen.was_gone = status == "gone"
            seen.previous_url = url

    def _snapshot_row(self, s: SeenListing, now: datetime) -> dict[str, Any]:
        verdict = s.listing.verdict
        return {
            "listing_pk": s.pk,
            "captured_at": s.listing.fetched_at or now,
            "content_hash": s.hash,
            "data": snapshot_data(s.listing),
            "body_sha256": s.listing.body_sha256,
            "evidence_path": s.listing.evidence_path,
            "score": verdict.score if verdict is not None else None,
            "flagged": bool(verdict is not None and verdict.flagged),
        }

    def _store_snapshots(self, session: Session, batch: list[SeenListing], now: datetime) -> None:
        """Snapshots of new/changed listings; the rule hits of their verdicts beside them."""
        with_hits = [s for s in batch if s.listing.verdict and s.listing.verdict.hits]
        plain = [s for s in batch if not (s.listing.verdict and s.listing.verdict.hits)]
        run = {"run_id": self.run_id}
        if plain:  # most listings: no ids needed back
            insert_many(
                session, ListingSnapshot, [self._snapshot_row(s, now) for s in plain], constants=run
            )
        if not with_hits:
            return
        insert_many(
            session, ListingSnapshot, [self._snapshot_row(s, now) for s in with_hits], constants=run
        )
        ids: dict[int, int] = {}
        for chunk in chunks([s.pk for s in with_hits]):
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
            insert_many(session, RuleHitRow, hits)

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
                logger.info(
                    "gone listing %s/%s was never stored", item.marketplace, item.listing_id
                )
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
            counts.leads_closed += self.leads.close_verified(
                session,
                [pk],
                item.checked_at,
                f"takedown verified: {item.url} answered {status_text}",
            )

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
            for chunk in chunks(pks):
                session.execute(
                    update(ListingRow)
                    .where(self._in(ListingRow.id, chunk))
                    .values(status="gone", gone_at=now)
                )
            counts.listings_gone = len(pks)
            counts.leads_closed = self.leads.close_verified(
                session,
                pks,
                now,
                f"takedown verified: not found by complete patrol of {marketplace}"
                + (f" (run #{self.run_id})" if self.run_id else ""),
            )
        self.totals.add(counts)
        return counts
