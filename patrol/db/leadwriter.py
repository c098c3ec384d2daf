"""Leads from patrols: created, re-flagged, linked to relistings, closed, reopened.

Runs inside the store's batch transaction, under its writer lock (see
:meth:`patrol.db.store.ListingStore.store`), so "does this listing have an open lead?" and
"create it" cannot be split by another patrol; the partial unique index
``uq_leads_open_listing`` stays as the last guard.

- A flagged listing that is new or changed, or whose score moved, gets its open lead
  created (event ``flagged``) or updated with the new score and reasons (``reflagged``).
  An unchanged listing whose lead was dismissed or closed gets no new lead.
- A new listing with the same title+description or the same pictures as a listing whose
  lead reached ``notice_sent``/``closed`` (or whose listing is gone) is a relisting: it
  gets a lead linked to the old one, even if screening no longer flags it.
- A gone listing seen again reopens its closed lead, flagged ``relisted``.
- A ``notice_sent`` lead whose listing is verified gone is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from patrol.db.batch import SeenListing, StoreCounts, chunks, event_row, where_in
from patrol.db.bulk import insert_many
from patrol.db.models import OPEN_LEAD_SQL, OPEN_LEAD_STATUSES, Lead, LeadEvent, ListingRow
from patrol.leads.workflow import reopen_relisted, verify_gone

__all__ = ["LeadWriter", "Relinks"]

#: listing pk → (old lead id, what is the same: "title and description" | "images", score)
Relinks = dict[int, tuple[int, str, float]]


class LeadWriter:
    def __init__(self, dialect: str, *, actor: str, run_id: int | None = None) -> None:
        self.dialect = dialect
        self.actor = actor
        self.run_id = run_id

    def _in(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        return where_in(self.dialect, column, values)

    # -- flagged listings ----------------------------------------------------------

    def store_leads(
        self, session: Session, batch: list[SeenListing], now: datetime, counts: StoreCounts
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
        for chunk in chunks([s.pk for s in candidates]):
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
        if to_create:
            self._create_leads(session, to_create, relinks, now, counts)
        self._reflag(
            session, [s for s in candidates if s.pk in open_leads], open_leads, now, counts
        )

    def _reflag(
        self,
        session: Session,
        batch: list[SeenListing],
        open_leads: dict[int, tuple[int, float]],
        now: datetime,
        counts: StoreCounts,
    ) -> None:
        events = []
        for s in batch:
            verdict = s.listing.verdict
            if verdict is None or s.pk is None:
                continue
            lead_id, old_score = open_leads[s.pk]
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
                event_row(
                    lead_id,
                    "reflagged",
                    self.actor,
                    now,
                    reason=f"flagged again ({s.kind} listing), score {old_score} → {verdict.score}",
                    data={"rules": verdict.rule_ids, "run_id": self.run_id},
                )
            )
        if events:
            insert_many(session, LeadEvent, events)
            counts.leads_updated += len(events)

    def _create_leads(
        self,
        session: Session,
        batch: list[SeenListing],
        relinks: Relinks,
        now: datetime,
        counts: StoreCounts,
    ) -> None:
        rows = []
        for s in batch:
            verdict = s.listing.verdict
            old = relinks.get(s.pk or 0)
            rows.append(
                {
                    "listing_pk": s.pk,
                    "marketplace_id": s.marketplace_id,
                    "score": verdict.score if verdict is not None else old[2] if old else 0.0,
                    "reasons": [h.to_dict() for h in verdict.hits] if verdict else [],
                    "evidence_path": s.listing.evidence_path,
                    "relisted": old is not None,
                    "relisted_from_lead_id": old[0] if old else None,
                }
            )
        insert_many(
            session,
            Lead,
            rows,
            constants={"status": "new", "key_case": False, "created_at": now, "updated_at": now},
            conflict=("listing_pk",),
            conflict_where=OPEN_LEAD_SQL,  # the partial unique index's own predicate
            known_new=True,  # under the writer lock, these listings have no open lead
        )
        by_pk = {s.pk: s for s in batch}
        events = []
        for chunk in chunks(list(by_pk)):
            # under the writer lock, the open leads of these listings are the ones just made
            found = session.execute(
                select(Lead.id, Lead.listing_pk).where(
                    self._in(Lead.listing_pk, chunk), Lead.status.in_(OPEN_LEAD_STATUSES)
                )
            )
            for lead_id, listing_pk in found:
                verdict = by_pk[listing_pk].listing.verdict
                old = relinks.get(listing_pk)
                reason = f"flagged by patrol, score {verdict.score}" if verdict else "relisting"
                if old is not None:
                    reason += f"; relisting of lead #{old[0]} (same {old[1]})"
                events.append(
                    event_row(
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
            insert_many(session, LeadEvent, events)
        counts.leads_new += len(events)

    def _find_relistings(self, session: Session, new: list[SeenListing]) -> Relinks:
        by_content: dict[str, list[SeenListing]] = {}
        by_images: dict[str, list[SeenListing]] = {}
        for s in new:
            if s.content_fp is not None:
                by_content.setdefault(s.content_fp, []).append(s)
            if s.image_fp is not None:
                by_images.setdefault(s.image_fp, []).append(s)
        if not by_content and not by_images:
            return {}
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
        links: Relinks = {}
        for lead_id, score, old_pk, marketplace_id, content, images in rows:
            for kind, matches in (
                ("title and description", by_content.get(content or "", [])),
                ("images", by_images.get(images or "", [])),
            ):
                for s in matches:
                    if s.pk and s.pk != old_pk and s.marketplace_id == marketplace_id:
                        links.setdefault(s.pk, (lead_id, kind, score))
        return links

    # -- takedown follow-up --------------------------------------------------------

    def reopen_relisted(
        self, session: Session, back: list[SeenListing], now: datetime, counts: StoreCounts
    ) -> None:
        """Gone listings seen again: reopen each one's latest closed lead (if none is open)."""
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
            reason = "listing is back after it was verified gone"
            if reopen_relisted(session, lead, seen_at=now, reason=reason, actor=self.actor):
                counts.leads_reopened += 1

    def close_verified(
        self, session: Session, listing_pks: Sequence[int], gone_at: datetime, reason: str
    ) -> int:
        """Close the ``notice_sent`` leads of listings verified gone; returns how many."""
        closed = 0
        for chunk in chunks(list(listing_pks)):
            leads = session.scalars(
                select(Lead)
                .where(self._in(Lead.listing_pk, chunk), Lead.status == "notice_sent")
                .with_for_update()
            ).all()
            for lead in leads:
                if verify_gone(session, lead, gone_at=gone_at, reason=reason, actor=self.actor):
                    closed += 1
        return closed
