"""Finding leads by what people ask for at the terminal: status, site, shop, officer, …

``patrol leads list`` and ``patrol export leads`` take the same filters, so both read
them through :class:`LeadFilter` and :func:`find_leads`, which loads each lead with its
listing, shop and marketplace in one query; the console's queue builds on the same
statement (:mod:`patrol.web.queue`), so a filter means the same thing everywhere.

A brand or rule filter asks what the lead's verdict says *now*: a hit of its listing's
latest snapshot (:func:`current_hit`). Older snapshots keep their rule hits as evidence
of what the listing once was, and a listing edited so that it no longer names a brand
must not still be found under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from patrol.db.models import (
    OPEN_LEAD_STATUSES,
    Lead,
    ListingRow,
    ListingSnapshot,
    Marketplace,
    RuleHitRow,
    Shop,
    utcnow,
)
from patrol.leads.workflow import LEAD_STATUSES

__all__ = ["LeadFilter", "current_hit", "find_leads", "lead_source", "status_in"]


@dataclass(frozen=True)
class LeadFilter:
    statuses: Sequence[str] = ()
    site: str | None = None  # marketplace code
    shop: str | None = None  # shop id or shop name
    assignee: str | None = None
    overdue: bool = False
    min_score: float | None = None
    case_id: int | None = None
    brand: str | None = None  # a brand id a hit of the current verdict names
    rule: str | None = None  # a rule id of a hit of the current verdict
    limit: int | None = None

    def statement(self, now: datetime | None = None) -> Select[Any]:
        statement = (
            select(Lead)
            .join(ListingRow, ListingRow.id == Lead.listing_pk)
            .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
            .outerjoin(Shop, Shop.id == ListingRow.shop_pk)
            .options(
                contains_eager(Lead.listing).contains_eager(ListingRow.marketplace),
                contains_eager(Lead.listing).contains_eager(ListingRow.shop),
            )
        )
        if self.statuses:
            statement = statement.where(status_in(self.statuses))
        if self.site:
            statement = statement.where(Marketplace.code == self.site)
        if self.shop:
            statement = statement.where(or_(Shop.shop_id == self.shop, Shop.name == self.shop))
        if self.assignee:
            statement = statement.where(Lead.assignee == self.assignee)
        if self.overdue:
            statement = statement.where(
                Lead.status.in_(OPEN_LEAD_STATUSES),
                Lead.deadline.is_not(None),
                Lead.deadline < (now or utcnow()),
            )
        if self.min_score is not None:
            statement = statement.where(Lead.score >= self.min_score)
        if self.case_id is not None:
            statement = statement.where(Lead.case_id == self.case_id)
        if self.brand:
            statement = statement.where(current_hit(RuleHitRow.brand_id == self.brand))
        if self.rule:
            statement = statement.where(current_hit(RuleHitRow.rule_id == self.rule))
        return statement


def current_hit(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether the lead's listing has a hit meeting ``condition`` in its latest snapshot.

    The snapshot a patrol writes last is the listing as it is now, with the verdict the
    lead carries; its id is the largest of the listing's (ids only grow, and the store's
    writer lock orders a listing's snapshots). Both lookups are index seeks per lead:
    ``rule_hits (listing_pk, brand_id)`` (or ``(listing_pk)``) for the hit, and
    ``listing_snapshots (listing_pk)`` for the newest snapshot.
    """
    latest = (
        select(func.max(ListingSnapshot.id))
        .where(ListingSnapshot.listing_pk == RuleHitRow.listing_pk)
        .correlate(RuleHitRow)
        .scalar_subquery()
    )
    return exists().where(
        RuleHitRow.listing_pk == Lead.listing_pk,
        condition,
        RuleHitRow.snapshot_id == latest,
    )


def status_in(statuses: Sequence[str], *, written: bool = False) -> ColumnElement[bool]:
    """``leads.status IN (…)``; ``written``: with the statuses written into the SQL, when
    every one is a workflow word (anything else stays a bound parameter).

    A statement with no parameter left is planned once as a prepared statement, and a
    written-out list lets PostgreSQL's plan use the open-leads partial index; but a plan
    made once for a statement that still has parameters (a score, a site) is made blind
    to them and can be far worse, so only a caller with no other parameter asks for it.
    """
    values = list(statuses)
    literal = written and set(values) <= set(LEAD_STATUSES)
    return Lead.status.in_(bindparam("statuses", values, expanding=True, literal_execute=literal))


def find_leads(
    session: Session, lead_filter: LeadFilter, *, order: str = "id", with_events: bool = False
) -> list[Lead]:
    """The leads matching ``lead_filter``: by id, or ``"urgency"`` (overdue, then score)."""
    statement = lead_filter.statement()
    if order == "urgency":
        statement = statement.order_by(
            Lead.deadline.is_(None), Lead.deadline, Lead.score.desc(), Lead.id
        )
    else:
        statement = statement.order_by(Lead.id)
    if with_events:
        statement = statement.options(selectinload(Lead.events))
    if lead_filter.limit:
        statement = statement.limit(lead_filter.limit)
    return list(session.scalars(statement).unique())


def lead_source(lead: Lead) -> str:
    """Where a lead came from: ``patrol``, or the source of the tip that filed it."""
    first = lead.events[0] if lead.events else None
    if first is not None and first.action == "reported":
        return str(first.data.get("source") or "tip")
    return "patrol"
