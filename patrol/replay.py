"""Rule replay: re-screen stored listings with a changed rulebook, without crawling.

Tuning a rule should show its effect before it touches a single lead, so replay first
makes a :class:`ReplayPlan` — which listings would get a new lead, which open leads would
no longer flag, which would change score — and writes only when asked
(:func:`apply_replay`), through the lead workflow with actor ``replay``:

- a new lead for a listing that now flags and has no lead (a listing a person once
  dismissed is left alone: that decision stands until its content changes);
- an open lead that no longer flags is dismissed if nobody has worked on it yet (``new``,
  ``triaged``); further on (assigned, confirmed, notice sent) a person is acting on it, so
  it keeps its status and gets an ``unflagged`` event for its officer to decide;
- an open lead that still flags with another score gets the new score and reasons.

Listings are rebuilt from the ``listings`` table (the latest state of each), so replay
screens exactly what the last patrol saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from patrol.db.models import OPEN_LEAD_STATUSES, Lead, ListingRow, utcnow
from patrol.items import Listing
from patrol.leads.workflow import record_event, transition

if TYPE_CHECKING:
    from patrol.screening import Rulebook, Verdict

__all__ = ["ReplayChange", "ReplayPlan", "apply_replay", "listing_from_row", "plan_replay"]

ACTOR = "replay"
#: open leads nobody has worked on yet: replay may dismiss them
UNWORKED_STATUSES = ("new", "triaged")


@dataclass(frozen=True)
class ReplayChange:
    listing_pk: int
    marketplace: str
    listing_id: str
    title: str | None
    old_score: float | None
    verdict: Verdict
    lead_id: int | None = None
    lead_status: str | None = None

    @property
    def action(self) -> str:
        """What ``--apply`` does to an open lead that no longer flags."""
        return "dismiss" if self.lead_status in UNWORKED_STATUSES else "note"


@dataclass
class ReplayPlan:
    rulebook_version: str
    threshold: float
    screened: int = 0
    create: list[ReplayChange] = field(default_factory=list)
    unflag: list[ReplayChange] = field(default_factory=list)
    rescore: list[ReplayChange] = field(default_factory=list)
    kept_dismissed: int = 0
    scores: dict[int, tuple[float, bool]] = field(default_factory=dict)  # changed listings


def listing_from_row(row: ListingRow) -> Listing:
    shop = row.shop
    return Listing(
        marketplace=row.marketplace.code,
        listing_id=row.listing_id,
        url=row.url,
        title=row.title,
        price=row.price,
        currency=row.currency,
        brand=row.brand,
        category=row.category,
        description=row.description,
        shop_id=shop.shop_id if shop else None,
        shop_name=shop.name if shop else None,
        shop_url=shop.url if shop else None,
        shop_official=shop.official if shop else None,
        image_urls=list(row.image_urls or []),
        patent_numbers=list(row.patent_numbers or []),
        attributes=dict(row.attributes or {}),
        fetched_at=row.last_seen_at,
        body_sha256=row.body_sha256,
        evidence_path=row.evidence_path,
    )


def _rows(session: Session, since: datetime | None) -> Iterator[ListingRow]:
    statement = (
        select(ListingRow)
        .where(ListingRow.status == "active")
        .options(selectinload(ListingRow.marketplace), selectinload(ListingRow.shop))
        .order_by(ListingRow.id)
        .execution_options(yield_per=500)
    )
    if since is not None:
        statement = statement.where(ListingRow.last_seen_at >= since)
    yield from session.scalars(statement)


def count_listings(session: Session, since: datetime | None) -> int:
    from sqlalchemy import func

    statement = select(func.count()).select_from(ListingRow).where(ListingRow.status == "active")
    if since is not None:
        statement = statement.where(ListingRow.last_seen_at >= since)
    return int(session.scalar(statement) or 0)


def plan_replay(
    session: Session,
    rulebook: Rulebook,
    *,
    since: datetime | None = None,
    advance: Callable[[int], None] | None = None,
) -> ReplayPlan:
    """Screen every active listing (seen since ``since``) and say what would change."""
    from patrol.screening import screen

    plan = ReplayPlan(rulebook.version, rulebook.threshold)
    leads: dict[int, list[tuple[int, str, float]]] = {}
    for lead_id, listing_pk, status, score in session.execute(
        select(Lead.id, Lead.listing_pk, Lead.status, Lead.score).order_by(Lead.id)
    ):
        leads.setdefault(listing_pk, []).append((lead_id, status, score))
    for row in _rows(session, since):
        verdict = screen(listing_from_row(row), rulebook)
        plan.screened += 1
        if advance is not None:
            advance(1)
        if row.score != verdict.score or row.flagged != verdict.flagged:
            plan.scores[row.id] = (verdict.score, verdict.flagged)
        mine = leads.get(row.id, [])
        open_lead = next((lead for lead in mine if lead[1] in OPEN_LEAD_STATUSES), None)
        change = ReplayChange(
            row.id,
            row.marketplace.code,
            row.listing_id,
            row.title,
            row.score,
            verdict,
            open_lead[0] if open_lead else None,
            open_lead[1] if open_lead else None,
        )
        if open_lead is None:
            if verdict.flagged:
                if any(status == "dismissed" for _, status, _ in mine):
                    plan.kept_dismissed += 1
                else:
                    plan.create.append(change)
        elif not verdict.flagged:
            plan.unflag.append(change)
        elif abs(open_lead[2] - verdict.score) > 1e-9:
            plan.rescore.append(change)
    return plan


def apply_replay(session: Session, plan: ReplayPlan) -> dict[str, int]:
    """Write ``plan`` through the lead workflow (actor ``replay``); the caller commits."""
    now = utcnow()
    version = plan.rulebook_version
    counts = {"created": 0, "dismissed": 0, "noted": 0, "rescored": 0}
    for change in plan.create:
        verdict = change.verdict
        listing = session.execute(
            select(ListingRow.marketplace_id, ListingRow.evidence_path).where(
                ListingRow.id == change.listing_pk
            )
        ).one()
        lead = Lead(
            listing_pk=change.listing_pk,
            marketplace_id=listing.marketplace_id,
            status="new",
            score=verdict.score,
            reasons=[hit.to_dict() for hit in verdict.hits],
            rulebook_version=version,
            evidence_path=listing.evidence_path,
            created_at=now,
            updated_at=now,
        )
        session.add(lead)
        session.flush()
        record_event(
            session,
            lead,
            "flagged",
            actor=ACTOR,
            to_status="new",
            reason=f"flagged by rule replay (rulebook {version}), score {verdict.score:.2f}",
            at=now,
            data={"rules": verdict.rule_ids, "rulebook_version": version},
        )
        counts["created"] += 1
    for change in plan.unflag + plan.rescore:
        assert change.lead_id is not None
        lead = session.get_one(Lead, change.lead_id)
        verdict = change.verdict
        data = {"score": verdict.score, "rules": verdict.rule_ids, "rulebook_version": version}
        if change in plan.rescore:
            old = lead.score
            lead.score = verdict.score
            lead.reasons = [hit.to_dict() for hit in verdict.hits]
            lead.rulebook_version = version
            lead.updated_at = now
            reason = f"rescored by rule replay: {old:.2f} → {verdict.score:.2f}"
            record_event(session, lead, "rescored", actor=ACTOR, reason=reason, at=now, data=data)
            counts["rescored"] += 1
        elif change.action == "dismiss":
            reason = (
                f"no longer flags under rulebook {version} "
                f"(score {verdict.score:.2f} < {plan.threshold:.2f}; rule replay)"
            )
            transition(session, lead, "dismissed", actor=ACTOR, reason=reason, at=now)
            counts["dismissed"] += 1
        else:
            reason = (
                f"no longer flags under rulebook {version} (score {verdict.score:.2f}); "
                f"left {lead.status} for its officer to decide"
            )
            record_event(session, lead, "unflagged", actor=ACTOR, reason=reason, at=now, data=data)
            counts["noted"] += 1
    for pk, (score, flagged) in plan.scores.items():
        session.execute(
            update(ListingRow).where(ListingRow.id == pk).values(score=score, flagged=flagged)
        )
    return counts
