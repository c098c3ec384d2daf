"""The lead workflow: allowed status transitions, each written to the lead's event log.

A lead moves ``new → triaged → assigned → confirmed → notice_sent → closed``; ``dismissed``
(a false positive, reason required) is possible from any open state, and ``closed`` is
reached when a later patrol verifies that the listing is gone. A listing that comes back
after its lead was closed reopens the lead (``closed → confirmed``, flagged ``relisted``).

Every change — status, assignment, re-flagging, linking — appends one :class:`LeadEvent`
(actor, time, from, to, reason) in the same transaction as the change itself, so the audit
trail can never disagree with the lead. Callers own the transaction: these functions only
add to the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import OPEN_LEAD_STATUSES, Lead, LeadEvent, utcnow
from patrol.errors import PatrolError

__all__ = [
    "LEAD_STATUSES",
    "TRANSITIONS",
    "TransitionError",
    "assign",
    "dismiss",
    "get_lead",
    "overdue_leads",
    "record_event",
    "reopen_relisted",
    "transition",
    "verify_gone",
]

LEAD_STATUSES = (*OPEN_LEAD_STATUSES, "closed", "dismissed")

#: status → the statuses it may move to.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "new": frozenset({"triaged", "dismissed"}),
    "triaged": frozenset({"assigned", "dismissed"}),
    "assigned": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"notice_sent", "dismissed"}),
    "notice_sent": frozenset({"closed", "dismissed"}),
    "closed": frozenset(),
    "dismissed": frozenset(),
}


class TransitionError(PatrolError):
    """A status change the workflow does not allow (or lacks what it needs)."""


def get_lead(session: Session, lead_id: int, *, for_update: bool = True) -> Lead:
    """The lead with this id, locked for the rest of the transaction (PostgreSQL)."""
    statement = select(Lead).where(Lead.id == lead_id)
    if for_update:
        statement = statement.with_for_update()
    lead = session.scalars(statement).one_or_none()
    if lead is None:
        raise PatrolError(f"no lead #{lead_id}")
    return lead


def record_event(
    session: Session,
    lead: Lead,
    action: str,
    *,
    actor: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> LeadEvent:
    """Append one line to the lead's audit trail."""
    if lead.id is None:
        session.flush()
    event = LeadEvent(
        lead_id=lead.id,
        at=at or utcnow(),
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    session.add(event)
    return event


def transition(
    session: Session,
    lead: Lead,
    to_status: str,
    *,
    actor: str,
    reason: str | None = None,
    at: datetime | None = None,
) -> LeadEvent:
    """Move ``lead`` to ``to_status`` if the workflow allows it, and log the move."""
    if to_status not in TRANSITIONS:
        raise TransitionError(
            f"unknown lead status {to_status!r} (known: {', '.join(LEAD_STATUSES)})"
        )
    allowed = TRANSITIONS[lead.status]
    if to_status not in allowed:
        options = ", ".join(sorted(allowed)) or "none: the lead is finished"
        raise TransitionError(
            f"lead #{lead.id} cannot go from {lead.status} to {to_status} (allowed: {options})"
        )
    if to_status == "dismissed" and not (reason and reason.strip()):
        raise TransitionError(f"dismissing lead #{lead.id} needs a reason (why it is no case)")
    if to_status == "assigned" and not lead.assignee:
        raise TransitionError(f"lead #{lead.id} needs an assignee: use assign()")
    when = at or utcnow()
    from_status = lead.status
    lead.status = to_status
    lead.updated_at = when
    if to_status == "dismissed":
        lead.dismiss_reason = reason
    if to_status in ("closed", "dismissed"):
        lead.closed_at = when
    return record_event(
        session,
        lead,
        "status",
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        at=when,
    )


def assign(
    session: Session,
    lead: Lead,
    assignee: str,
    *,
    deadline: datetime | None,
    actor: str,
    reason: str | None = None,
    at: datetime | None = None,
) -> LeadEvent:
    """Give the lead a responsible officer and a deadline.

    A triaged lead moves to ``assigned``; an open lead further on is re-assigned without
    changing its status. Both are logged.
    """
    if not assignee.strip():
        raise TransitionError(f"lead #{lead.id}: the assignee must be named")
    if not lead.is_open:
        raise TransitionError(f"lead #{lead.id} is {lead.status}: it cannot be assigned")
    if lead.status in ("new",):
        raise TransitionError(
            f"lead #{lead.id} cannot go from new to assigned (allowed: dismissed, triaged)"
        )
    when = at or utcnow()
    data = {
        "assignee": assignee,
        "previous_assignee": lead.assignee,
        "deadline": deadline.isoformat() if deadline else None,
    }
    lead.assignee = assignee
    lead.deadline = deadline
    lead.updated_at = when
    if lead.status == "triaged":
        from_status = lead.status
        lead.status = "assigned"
        return record_event(
            session,
            lead,
            "assigned",
            actor=actor,
            from_status=from_status,
            to_status="assigned",
            reason=reason,
            at=when,
            data=data,
        )
    return record_event(session, lead, "reassigned", actor=actor, reason=reason, at=when, data=data)


def dismiss(session: Session, lead: Lead, *, reason: str, actor: str) -> LeadEvent:
    return transition(session, lead, "dismissed", actor=actor, reason=reason)


def verify_gone(
    session: Session,
    lead: Lead,
    *,
    gone_at: datetime,
    reason: str,
    actor: str = "patrol",
) -> LeadEvent | None:
    """Close a ``notice_sent`` lead whose listing a patrol found gone (else do nothing)."""
    if lead.status != "notice_sent":
        return None
    lead.verified_gone_at = gone_at
    return transition(session, lead, "closed", actor=actor, reason=reason, at=gone_at)


def reopen_relisted(
    session: Session, lead: Lead, *, seen_at: datetime, reason: str, actor: str = "patrol"
) -> LeadEvent | None:
    """A closed lead's listing is back: reopen it as ``confirmed`` and flag it relisted."""
    if lead.status != "closed":
        return None
    lead.status = "confirmed"
    lead.relisted = True
    lead.closed_at = None
    lead.updated_at = seen_at
    return record_event(
        session,
        lead,
        "reopened",
        actor=actor,
        from_status="closed",
        to_status="confirmed",
        reason=reason,
        at=seen_at,
    )


def overdue_leads(session: Session, now: datetime | None = None) -> list[Lead]:
    """Open leads whose deadline has passed, most overdue first."""
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.status.in_(OPEN_LEAD_STATUSES))
            .where(Lead.deadline.is_not(None))
            .where(Lead.deadline < (now or utcnow()))
            .order_by(Lead.deadline, Lead.id)
        )
    )
