"""The leads queue as the console asks for it: filters from the URL, one page of leads.

:class:`QueueQuery` is what ``/leads?…`` means, read leniently (a value that makes no
sense is dropped, not a 500) and written back into links, so paging and sorting keep the
filters. :func:`queue_page` builds on :class:`patrol.leads.query.LeadFilter` — the same
filters as ``patrol leads list`` — and adds what only the console needs: "mine", the
brand and rule of a hit, the sort orders and paging.

It must stay fast with 100,000 leads, so a page is exactly two queries: the page itself
(leads joined with listing, shop and marketplace, so the template lazy-loads nothing)
and a count that joins only what its filters need. Every sort order has an index whose
key is that order (``0002_console_accounts``), so a page is read off an index and the
database stops after ``LIMIT`` rows instead of sorting every open lead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from patrol.db.accounts import User
from patrol.db.models import (
    OPEN_LEAD_STATUSES,
    Lead,
    ListingRow,
    Marketplace,
    RuleHitRow,
    utcnow,
)
from patrol.leads.query import LeadFilter
from patrol.leads.workflow import LEAD_STATUSES

__all__ = ["MINE", "SORTS", "UNASSIGNED", "QueuePage", "QueueQuery", "queue_page"]

#: the assignee filter value meaning "assigned to the signed-in user"
MINE = "mine"
#: ... and meaning "nobody"
UNASSIGNED = "none"

#: sort name → ORDER BY; each has a matching index on ``leads``.
SORTS: Mapping[str, tuple[Any, ...]] = {
    # deadlines first (the earliest, so the overdue, on top), then the highest score
    "urgency": (Lead.deadline.is_(None), Lead.deadline, Lead.score.desc(), Lead.id),
    "score": (Lead.score.desc(), Lead.id.desc()),
    "newest": (Lead.id.desc(),),
    "updated": (Lead.updated_at.desc(), Lead.id.desc()),
}


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters, sort and page; no status means every open status."""

    statuses: tuple[str, ...] = ()
    site: str = ""
    brand: str = ""
    rule: str = ""
    min_score: float | None = None
    assignee: str = ""  # a full name, MINE or UNASSIGNED
    overdue: bool = False
    sort: str = "urgency"
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> QueueQuery:
        """From a query string (Starlette ``QueryParams``): unknown values are ignored."""
        statuses = tuple(s for s in dict.fromkeys(params.getlist("status")) if s in LEAD_STATUSES)
        sort = params.get("sort", "urgency")
        return cls(
            statuses=statuses,
            site=_text(params.get("site")),
            brand=_text(params.get("brand")),
            rule=_text(params.get("rule")),
            min_score=_number(params.get("min_score")),
            assignee=_text(params.get("assignee")),
            overdue=params.get("overdue") in ("1", "on", "true"),
            sort=sort if sort in SORTS else "urgency",
            page=max(1, int(_number(params.get("page")) or 1)),
        )

    def params(self) -> list[tuple[str, str]]:
        """This query as query-string pairs (defaults left out)."""
        pairs = [("status", status) for status in self.statuses]
        for name in ("site", "brand", "rule", "assignee"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.min_score is not None:
            pairs.append(("min_score", f"{self.min_score:g}"))
        if self.overdue:
            pairs.append(("overdue", "1"))
        if self.sort != "urgency":
            pairs.append(("sort", self.sort))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def url(self, **changes: Any) -> str:
        """``/leads?…`` for this query with ``changes`` (a new filter goes back to page 1)."""
        changed = replace(self, **changes)
        if "page" not in changes:
            changed = replace(changed, page=1)
        query = urlencode(changed.params())
        return f"/leads?{query}" if query else "/leads"

    def lead_filter(self) -> LeadFilter:
        assignee = None if self.assignee in ("", MINE, UNASSIGNED) else self.assignee
        return LeadFilter(
            statuses=self.statuses or OPEN_LEAD_STATUSES,
            site=self.site or None,
            assignee=assignee,
            overdue=self.overdue,
            min_score=self.min_score,
        )

    def extra_conditions(self, user: User) -> list[ColumnElement[bool]]:
        """What :class:`LeadFilter` does not know: mine, unassigned, brand, rule."""
        conditions: list[ColumnElement[bool]] = []
        if self.assignee == MINE:
            conditions.append(or_(Lead.assignee == user.full_name, Lead.assignee == user.name))
        elif self.assignee == UNASSIGNED:
            conditions.append(Lead.assignee.is_(None))
        # a hit of any stored verdict of the lead's listing (rule_hits, indexed by listing)
        if self.brand:
            conditions.append(_hit_exists(RuleHitRow.brand_id == self.brand))
        if self.rule:
            conditions.append(_hit_exists(RuleHitRow.rule_id == self.rule))
        return conditions


@dataclass(frozen=True)
class QueuePage:
    leads: Sequence[Lead]
    total: int
    page: int
    pages: int
    page_size: int


def queue_page(
    session: Session,
    query: QueueQuery,
    *,
    user: User,
    page_size: int,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue and the number of leads matching it (two queries)."""
    now = now or utcnow()
    base = query.lead_filter().statement(now)
    extra = query.extra_conditions(user)
    page_statement = base.where(*extra) if extra else base
    where = page_statement.whereclause
    count: Select[Any] = select(func.count(Lead.id)).select_from(Lead)
    if query.site:  # the only filter that needs the listing's marketplace
        count = count.join(ListingRow, ListingRow.id == Lead.listing_pk).join(
            Marketplace, Marketplace.id == ListingRow.marketplace_id
        )
    if where is not None:
        count = count.where(where)
    total = int(session.scalar(count) or 0)
    pages = max(1, math.ceil(total / page_size))
    page = min(query.page, pages)
    leads = list(
        session.scalars(
            page_statement.order_by(*SORTS[query.sort])
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    return QueuePage(leads=leads, total=total, page=page, pages=pages, page_size=page_size)


def _hit_exists(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(RuleHitRow.listing_pk == Lead.listing_pk, condition)


def _text(value: str | None) -> str:
    return (value or "").strip()[:200]


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None
