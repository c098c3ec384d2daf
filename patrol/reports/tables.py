"""The two report tables, read from the leads database for one period.

(a) *Violating shops handled*: every lead event in the period that moved a lead to
``confirmed``, ``notice_sent`` or ``closed`` (or reopened a relisted one) is an action
on a shop; one row per platform, shop and action, with the kinds of violation of the
leads involved, the last date of that action and the number of listings.

(b) *Case progress*: every case opened before the period ended that was still open, or
changed, during it; its leads' statuses make its progress.

Totals are counted from the same rows, so what a report says adds up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from patrol.db.models import Case, Lead, LeadEvent, ListingRow
from patrol.exports.tables import Column, Kind, Table
from patrol.reports.labels import text
from patrol.reports.periods import Period

__all__ = [
    "HANDLED_STATUSES",
    "CaseRow",
    "ShopAction",
    "case_progress",
    "case_table",
    "shop_table",
    "shops_handled",
    "violation_type",
]

HANDLED_STATUSES = ("confirmed", "notice_sent", "closed")
_ACTION_ORDER = {"confirmed": 0, "notice_sent": 1, "closed": 2, "reopened": 3}


@dataclass
class ShopAction:
    """One row of table (a)."""

    platform: str
    shop: str
    shop_url: str | None
    action: str  # confirmed | notice_sent | closed | reopened
    date: date
    lead_ids: set[int] = field(default_factory=set)
    hits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CaseRow:
    """One row of table (b)."""

    case: Case
    platforms: list[str]
    statuses: Counter[str]
    overdue: bool


def violation_type(hits: Iterable[dict[str, Any]], lang: str) -> str:
    """What kind of violation the hits show: trademark (which brands), false patent, …"""
    brands: list[str] = []
    patent = False
    for hit in hits:
        registry = hit.get("registry") or {}
        if registry.get("kind") == "patent" or hit.get("field") == "patent":
            patent = True
        elif hit.get("brand_id") and hit["brand_id"] not in brands:
            brands.append(str(hit["brand_id"]))
    kinds = []
    if brands:
        kinds.append(text("violation_trademark", lang, brands=", ".join(sorted(brands))))
    if patent:
        kinds.append(text("violation_patent", lang))
    return "; ".join(kinds) or text("violation_other", lang)


def shops_handled(session: Session, period: Period) -> list[ShopAction]:
    """Table (a): actions on shops in ``period``, by platform, shop and action."""
    events = session.execute(
        select(LeadEvent.lead_id, LeadEvent.at, LeadEvent.action, LeadEvent.to_status)
        .where(LeadEvent.at >= period.start, LeadEvent.at < period.end)
        .where(LeadEvent.to_status.in_(HANDLED_STATUSES))
        .order_by(LeadEvent.at, LeadEvent.id)
    ).all()
    lead_ids = sorted({lead_id for lead_id, *_ in events})
    leads: dict[int, Lead] = {}
    for start in range(0, len(lead_ids), 500):
        for lead in session.scalars(
            select(Lead)
            .where(Lead.id.in_(lead_ids[start : start + 500]))
            .options(
                selectinload(Lead.listing).selectinload(ListingRow.marketplace),
                selectinload(Lead.listing).selectinload(ListingRow.shop),
            )
        ):
            leads[lead.id] = lead
    rows: dict[tuple[str, str, str], ShopAction] = {}
    for lead_id, at, action, to_status in events:
        lead = leads[lead_id]
        listing = lead.listing
        shop = listing.shop
        kind = "reopened" if action == "reopened" else str(to_status)
        shop_name = (shop.name or shop.shop_id) if shop else "?"
        key = (listing.marketplace.code, shop.shop_id if shop else "?", kind)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ShopAction(
                listing.marketplace.code, shop_name, shop.url if shop else None, kind, at.date()
            )
        row.date = max(row.date, at.date())
        if lead_id not in row.lead_ids:
            row.lead_ids.add(lead_id)
            row.hits.extend(lead.reasons or [])
    return sorted(rows.values(), key=lambda r: (r.platform, r.shop, _ACTION_ORDER.get(r.action, 9)))


def case_progress(session: Session, period: Period, now: datetime) -> list[CaseRow]:
    """Table (b): cases opened before the period ended, open or changed during it."""
    cases = session.scalars(
        select(Case)
        .where(Case.created_at < period.end)
        .where(or_(Case.status == "open", and_(Case.updated_at >= period.start)))
        .options(
            selectinload(Case.leads).selectinload(Lead.listing).selectinload(ListingRow.marketplace)
        )
        .order_by(Case.key_case.desc(), Case.deadline.is_(None), Case.deadline, Case.id)
    )
    moment = min(now, period.end)
    rows = []
    for case in cases:
        platforms = sorted({lead.listing.marketplace.code for lead in case.leads})
        statuses = Counter(lead.status for lead in case.leads)
        overdue = case.status == "open" and case.deadline is not None and case.deadline < moment
        rows.append(CaseRow(case, platforms, statuses, overdue))
    return rows


def _progress(row: CaseRow, lang: str) -> str:
    total = sum(row.statuses.values())
    if not total:
        return text("progress_none", lang)
    done = row.statuses["closed"] + row.statuses["dismissed"]
    parts = [text("progress_done", lang, done=done, total=total)]
    for status in ("notice_sent", "confirmed", "assigned", "triaged", "new"):
        if row.statuses[status]:
            parts.append(f"{text('status_' + status, lang)} {row.statuses[status]}")
    return "; ".join(parts)


def case_state(row: CaseRow, lang: str) -> str:
    if row.overdue:
        return text("case_overdue", lang)
    return text("case_closed" if row.case.status == "closed" else "case_open", lang)


def _column(key: str, lang: str, kind: Kind = "text") -> Column:
    """A report column whose header is the label of the same key."""
    return Column(key, text(key, lang), kind)


def shop_table(actions: list[ShopAction], lang: str) -> Table:
    columns = [
        _column("platform", lang),
        _column("shop", lang),
        _column("shop_url", lang),
        _column("violation", lang),
        _column("action", lang),
        _column("date", lang, "date"),
        _column("listings", lang, "int"),
    ]
    rows: list[list[Any]] = [
        [
            a.platform,
            a.shop,
            a.shop_url,
            violation_type(a.hits, lang),
            text("action_" + a.action, lang),
            a.date,
            len(a.lead_ids),
        ]
        for a in actions
    ]
    per_action = Counter[str]()
    for a in actions:
        per_action[a.action] += len(a.lead_ids)
    totals: list[tuple[str, Any]] = [
        (text("total_shops", lang), len({(a.platform, a.shop) for a in actions})),
        (text("total_listings", lang), len({i for a in actions for i in a.lead_ids})),
    ]
    totals += [
        (text("action_" + action, lang), per_action[action])
        for action in _ACTION_ORDER
        if per_action[action]
    ]
    return Table(
        name=text("shops_sheet", lang),
        title=text("shops_title", lang),
        columns=columns,
        rows=rows,
        totals=totals,
    )


def case_table(cases: list[CaseRow], lang: str) -> Table:
    columns = [
        _column("case", lang),
        _column("platform", lang),
        _column("opened", lang, "date"),
        _column("officer", lang),
        _column("deadline", lang, "date"),
        _column("status", lang),
        _column("progress", lang),
        _column("leads", lang, "int"),
        _column("key_case", lang),
    ]
    rows: list[list[Any]] = [
        [
            f"#{row.case.id} {row.case.title}",
            ", ".join(row.platforms),
            row.case.created_at.date(),
            row.case.officer,
            row.case.deadline.date() if row.case.deadline else None,
            case_state(row, lang),
            _progress(row, lang),
            sum(row.statuses.values()),
            text("yes" if row.case.key_case else "no", lang),
        ]
        for row in cases
    ]
    totals: list[tuple[str, Any]] = [
        (text("total_cases", lang), len(cases)),
        (text("total_key_cases", lang), sum(1 for row in cases if row.case.key_case)),
        (text("total_overdue", lang), sum(1 for row in cases if row.overdue)),
        (text("total_case_leads", lang), sum(sum(row.statuses.values()) for row in cases)),
        (text("total_case_closed", lang), sum(row.statuses["closed"] for row in cases)),
    ]
    return Table(
        name=text("cases_sheet", lang),
        title=text("cases_title", lang),
        columns=columns,
        rows=rows,
        totals=totals,
    )
