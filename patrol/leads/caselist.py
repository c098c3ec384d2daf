"""Reading cases for a list or a page: which come first, and how far their leads got.

The console's case list puts what needs a supervisor's eye on top — open cases past their
deadline (most overdue first), then key cases, then the rest, each by deadline, newest
without one last — and shows each case's leads counted by status. The order is one SQL
``ORDER BY`` so the list pages through the database rather than through memory, and the
counts are one ``GROUP BY`` for the whole page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from patrol.db.models import OPEN_LEAD_STATUSES, Case, Lead, ListingRow, Marketplace, Shop

__all__ = [
    "CaseSummary",
    "ShopWithLeads",
    "case_statement",
    "count_cases",
    "lead_counts",
    "list_cases",
    "overdue_clause",
    "shops_to_case",
]


@dataclass(frozen=True)
class CaseSummary:
    case: Case
    overdue: bool
    statuses: Counter[str]

    @property
    def leads(self) -> int:
        return sum(self.statuses.values())

    @property
    def open_leads(self) -> int:
        return sum(self.statuses[status] for status in OPEN_LEAD_STATUSES)


@dataclass(frozen=True)
class ShopWithLeads:
    """A shop whose open leads are in no case yet: a case waiting to be opened."""

    shop_pk: int
    marketplace: str
    shop_id: str
    name: str | None
    open_leads: int


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(Case.status == "open", Case.deadline.is_not(None), Case.deadline < now)


def case_statement(now: datetime, *, key_only: bool = False, closed: bool = False) -> Select[Any]:
    """Cases in list order: overdue first, then key cases, then by deadline, newest first."""
    statement = select(Case)
    if key_only:
        statement = statement.where(Case.key_case.is_(True))
    if not closed:
        statement = statement.where(Case.status == "open")
    return statement.order_by(
        case((overdue_clause(now), 0), else_=1),
        Case.key_case.desc(),
        Case.deadline.is_(None),
        Case.deadline,
        Case.id.desc(),
    )


def count_cases(session: Session, now: datetime, *, key_only: bool, closed: bool) -> int:
    statement = case_statement(now, key_only=key_only, closed=closed).order_by(None)
    return int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def lead_counts(session: Session, case_ids: Sequence[int]) -> dict[int, Counter[str]]:
    """Case id → its leads counted by status (every id present, even with no leads)."""
    counts: dict[int, Counter[str]] = {case_id: Counter() for case_id in case_ids}
    if case_ids:
        rows = session.execute(
            select(Lead.case_id, Lead.status, func.count())
            .where(Lead.case_id.in_(list(case_ids)))
            .group_by(Lead.case_id, Lead.status)
        )
        for case_id, status, count in rows:
            if case_id is not None:
                counts[case_id][status] = int(count)
    return counts


def list_cases(
    session: Session,
    now: datetime,
    *,
    key_only: bool = False,
    closed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseSummary]:
    """One page of cases in list order, with shop and marketplace loaded."""
    statement = (
        case_statement(now, key_only=key_only, closed=closed)
        .options(selectinload(Case.shop).selectinload(Shop.marketplace))
        .limit(limit)
        .offset(offset)
    )
    cases = list(session.scalars(statement))
    counts = lead_counts(session, [c.id for c in cases])
    return [
        CaseSummary(
            c,
            c.status == "open" and c.deadline is not None and c.deadline < now,
            counts[c.id],
        )
        for c in cases
    ]


def shops_to_case(session: Session, limit: int = 100) -> list[ShopWithLeads]:
    """Shops with open leads in no case, most such leads first.

    Counted per ``listings.shop_pk`` first and joined to shops only for the ``limit``
    shops shown: grouping by the shop's columns across every open lead would cost several
    times as much at 100,000 leads.
    """
    count = func.count().label("open_leads")
    top = (
        select(ListingRow.shop_pk, count)
        .join(Lead, Lead.listing_pk == ListingRow.id)
        .where(Lead.status.in_(OPEN_LEAD_STATUSES), Lead.case_id.is_(None))
        .where(ListingRow.shop_pk.is_not(None))
        .group_by(ListingRow.shop_pk)
        .order_by(count.desc(), ListingRow.shop_pk)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Shop.id, Marketplace.code, Shop.shop_id, Shop.name, top.c.open_leads)
        .join(top, top.c.shop_pk == Shop.id)
        .join(Marketplace, Marketplace.id == Shop.marketplace_id)
        .order_by(top.c.open_leads.desc(), Shop.id)
    )
    return [ShopWithLeads(pk, code, shop_id, name, int(n)) for pk, code, shop_id, name, n in rows]
