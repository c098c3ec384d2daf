"""Cases: the leads of one shop (or one seller network) handled together.

A case collects open leads so one officer can act on a seller rather than on single
listings; a *key case* gets its own responsible officer and deadline, and its leads carry
the key-case flag (logged on each lead). Repeat offenders — shops with confirmed leads —
come from :func:`patrol.db.snapshot.repeat_offenders`, which screening reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import OPEN_LEAD_STATUSES, Case, Lead, ListingRow, Marketplace, Shop, utcnow
from patrol.db.snapshot import repeat_offenders
from patrol.errors import PatrolError
from patrol.leads.workflow import record_event

__all__ = [
    "add_leads_to_case",
    "case_for_network",
    "case_for_shop",
    "mark_key_case",
    "overdue_cases",
    "repeat_offenders",
]


def _find_shop(session: Session, marketplace: str, shop_id: str) -> Shop:
    shop = session.scalars(
        select(Shop)
        .join(Marketplace, Marketplace.id == Shop.marketplace_id)
        .where(Marketplace.code == marketplace, Shop.shop_id == shop_id)
    ).one_or_none()
    if shop is None:
        raise PatrolError(f"no shop {shop_id!r} on marketplace {marketplace!r}")
    return shop


def add_leads_to_case(
    session: Session, case: Case, leads: list[Lead], *, actor: str, reason: str | None = None
) -> int:
    """Attach leads to ``case`` (logged on each lead); returns how many moved."""
    if case.id is None:
        session.flush()
    moved = 0
    for lead in leads:
        if lead.case_id == case.id:
            continue
        previous = lead.case_id
        lead.case_id = case.id
        lead.key_case = lead.key_case or case.key_case
        lead.updated_at = utcnow()
        record_event(
            session,
            lead,
            "case",
            actor=actor,
            reason=reason or f"grouped into case #{case.id}",
            data={"case_id": case.id, "previous_case_id": previous},
        )
        moved += 1
    return moved


def _open_leads_of(session: Session, shops: list[Shop]) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .join(ListingRow, ListingRow.id == Lead.listing_pk)
            .where(
                ListingRow.shop_pk.in_([shop.id for shop in shops]),
                Lead.status.in_(OPEN_LEAD_STATUSES),
            )
            .order_by(Lead.id)
        )
    )


def case_for_shop(session: Session, marketplace: str, shop_id: str, *, actor: str) -> Case:
    """The open case of a shop (created if needed), holding all its open leads."""
    shop = _find_shop(session, marketplace, shop_id)
    case = session.scalars(
        select(Case).where(Case.shop_pk == shop.id, Case.status == "open").order_by(Case.id)
    ).first()
    if case is None:
        case = Case(title=f"{marketplace} shop {shop.name or shop_id}", shop_pk=shop.id)
        session.add(case)
        session.flush()
    leads = _open_leads_of(session, [shop])
    add_leads_to_case(session, case, leads, actor=actor, reason=f"leads of shop {shop_id}")
    return case


def case_for_network(
    session: Session, network: str, shops: list[tuple[str, str]], *, actor: str
) -> Case:
    """The open case of a seller network — several shops, as (marketplace, shop_id) — with
    all their open leads (created if needed, found again by its ``network`` label)."""
    if not network.strip():
        raise PatrolError("a seller network needs a name")
    found = [_find_shop(session, marketplace, shop_id) for marketplace, shop_id in shops]
    case = session.scalars(
        select(Case).where(Case.network == network, Case.status == "open").order_by(Case.id)
    ).first()
    if case is None:
        case = Case(title=f"seller network {network}", network=network)
        session.add(case)
        session.flush()
    names = ", ".join(f"{m}/{s}" for m, s in shops)
    add_leads_to_case(
        session,
        case,
        _open_leads_of(session, found),
        actor=actor,
        reason=f"network {network}: {names}",
    )
    return case


def mark_key_case(
    session: Session,
    case: Case,
    *,
    officer: str,
    deadline: datetime,
    actor: str,
    reason: str | None = None,
) -> None:
    """Make ``case`` a key case with a responsible officer and deadline."""
    if not officer.strip():
        raise PatrolError(f"case #{case.id}: a key case needs a responsible officer")
    case.key_case = True
    case.officer = officer
    case.deadline = deadline
    case.updated_at = utcnow()
    for lead in case.leads:
        lead.key_case = True
        record_event(
            session,
            lead,
            "key_case",
            actor=actor,
            reason=reason or f"case #{case.id} is a key case",
            data={"case_id": case.id, "officer": officer, "deadline": deadline.isoformat()},
        )


def overdue_cases(session: Session, now: datetime | None = None) -> list[Case]:
    """Open cases past their deadline, most overdue first."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.status == "open", Case.deadline.is_not(None))
            .where(Case.deadline < (now or utcnow()))
            .order_by(Case.deadline, Case.id)
        )
    )
