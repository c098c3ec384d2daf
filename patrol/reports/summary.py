"""The monthly report's written summary: counts and trends, top brands, shops and rules,
and the state of key cases — a few sentences a head of unit can read in a minute."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from patrol.db.models import Lead, LeadEvent, ListingRow
from patrol.reports.labels import text
from patrol.reports.periods import Period
from patrol.reports.tables import CaseRow, ShopAction, _progress, case_state

__all__ = ["monthly_summary"]


def _trend(now: int, before: int, lang: str) -> str:
    if now == before:
        return text("trend_same", lang)
    return text("trend_up" if now > before else "trend_down", lang, delta=abs(now - before))


def _count_events(session: Session, period: Period, to_status: str) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(LeadEvent.lead_id))).where(
                LeadEvent.at >= period.start,
                LeadEvent.at < period.end,
                LeadEvent.to_status == to_status,
            )
        )
        or 0
    )


def _new_leads(session: Session, period: Period) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.created_at >= period.start, Lead.created_at < period.end)
            .options(selectinload(Lead.listing).selectinload(ListingRow.shop))
        )
    )


def _top(counter: Counter[str], lang: str, n: int = 5) -> str:
    items = counter.most_common(n)
    return ", ".join(f"{name} ({count})" for name, count in items) or text("summary_none", lang)


def monthly_summary(
    session: Session,
    period: Period,
    previous_shops: list[ShopAction],
    shops: list[ShopAction],
    cases: list[CaseRow],
    lang: str,
) -> list[str]:
    """The summary paragraphs of the monthly report for ``period``."""
    previous = period.previous()
    new = _new_leads(session, period)
    new_before = int(
        session.scalar(
            select(func.count()).where(
                Lead.created_at >= previous.start, Lead.created_at < previous.end
            )
        )
        or 0
    )
    shop_count = len({(a.platform, a.shop) for a in shops})
    shops_before = len({(a.platform, a.shop) for a in previous_shops})
    down = _count_events(session, period, "closed")
    down_before = _count_events(session, previous, "closed")
    paragraphs = [
        text(
            "summary_counts",
            lang,
            new=len(new),
            new_trend=_trend(len(new), new_before, lang),
            previous=text("previous_month", lang),
            shops=shop_count,
            shops_trend=_trend(shop_count, shops_before, lang),
            taken_down=down,
            down_trend=_trend(down, down_before, lang),
            dismissed=_count_events(session, period, "dismissed"),
        )
    ]
    brands: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    shop_names: Counter[str] = Counter()
    for lead in new:
        hits = lead.reasons or []
        brands.update({str(h["brand_id"]) for h in hits if h.get("brand_id")})
        rules.update({str(h.get("rule_id")) for h in hits})
        shop = lead.listing.shop
        if shop is not None:
            shop_names[shop.name or shop.shop_id] += 1
    paragraphs.append(text("summary_top_brands", lang, items=_top(brands, lang)))
    paragraphs.append(text("summary_top_shops", lang, items=_top(shop_names, lang)))
    paragraphs.append(text("summary_top_rules", lang, items=_top(rules, lang)))
    key = [row for row in cases if row.case.key_case]
    if key:
        items = "; ".join(
            text(
                "key_case_item",
                lang,
                id=row.case.id,
                title=row.case.title,
                officer=row.case.officer or "?",
                deadline=_day(row.case.deadline),
                state=case_state(row, lang),
                progress=_progress(row, lang),
            )
            for row in key
        )
        paragraphs.append(text("summary_key_cases", lang, items=items))
    else:
        paragraphs.append(text("summary_no_key_cases", lang))
    return paragraphs


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "?"
