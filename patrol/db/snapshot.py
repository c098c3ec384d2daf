"""Reading the registries out of the database for screening (once per patrol)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import (
    AuthorisedSellerRow,
    Lead,
    ListingRow,
    Marketplace,
    PatentRow,
    Shop,
    TrademarkRow,
)
from patrol.registry.records import (
    AuthorisedSeller,
    PatentRecord,
    RegistrySnapshot,
    TrademarkRecord,
)

__all__ = [
    "CONFIRMED_LEAD_STATUSES",
    "patent_record",
    "registry_snapshot",
    "repeat_offenders",
    "trademark_record",
]

#: A lead in one of these has been confirmed by a person (closed is only reached after a
#: notice, so it was confirmed too); its shop is a repeat offender.
CONFIRMED_LEAD_STATUSES = ("confirmed", "notice_sent", "closed")


def trademark_record(row: TrademarkRow) -> TrademarkRecord:
    return TrademarkRecord(
        office=row.office,
        mark=row.mark,
        application_number=row.application_number,
        registration_number=row.registration_number,
        application_date=row.application_date,
        registration_date=row.registration_date,
        status=row.status,
        nice_classes=tuple(c for c in row.nice_classes.split(";") if c),
        goods=row.goods,
        holder=row.holder,
    )


def patent_record(row: PatentRow) -> PatentRecord:
    return PatentRecord(
        number=row.number,
        kind=row.kind,
        title=row.title,
        holder=row.holder,
        filing_date=row.filing_date,
        status=row.status,
        expiry=row.expiry,
    )


def repeat_offenders(session: Session) -> frozenset[tuple[str, str]]:
    """(marketplace, shop_id) of every shop with at least one confirmed lead."""
    rows = session.execute(
        select(Marketplace.code, Shop.shop_id)
        .join(Shop, Shop.marketplace_id == Marketplace.id)
        .join(ListingRow, ListingRow.shop_pk == Shop.id)
        .join(Lead, Lead.listing_pk == ListingRow.id)
        .where(Lead.status.in_(CONFIRMED_LEAD_STATUSES))
        .distinct()
    )
    return frozenset((code, shop_id) for code, shop_id in rows)


def registry_snapshot(session: Session) -> RegistrySnapshot:
    """Trademarks, patents, authorised sellers and repeat-offender shops, as plain records."""
    trademarks = session.scalars(select(TrademarkRow).order_by(TrademarkRow.id))
    patents = session.scalars(select(PatentRow).order_by(PatentRow.id))
    sellers = session.scalars(select(AuthorisedSellerRow).order_by(AuthorisedSellerRow.id))
    return RegistrySnapshot(
        trademarks=tuple(trademark_record(row) for row in trademarks),
        patents=tuple(patent_record(row) for row in patents),
        authorised_sellers=tuple(
            AuthorisedSeller(
                marketplace=row.marketplace,
                shop_id=row.shop_id,
                brand_id=row.brand_id,
                kind=row.kind,
            )
            for row in sellers
        ),
        repeat_offenders=repeat_offenders(session),
    )
