"""Who may change a lead, and the console's few compound moves, on top of the workflow.

The workflow (:mod:`patrol.leads.workflow`) decides which status moves exist and logs
them; this module only adds the console's rules about people: an officer works the leads
assigned to them (by full name, as leads store it, or by login name), a supervisor any
lead; and assignment picks an active officer or supervisor account. Views call these for
single leads and for bulk actions alike, so both refuse the same things.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.accounts import User
from patrol.db.models import Lead
from patrol.errors import PatrolError
from patrol.leads.workflow import LEAD_STATUSES, TRANSITIONS, assign, transition
from patrol.web.accounts import has_role

__all__ = [
    "ASSIGNABLE_ROLES",
    "assign_lead",
    "find_assignee",
    "may_work",
    "moves_for",
]

#: accounts a lead can be assigned to
ASSIGNABLE_ROLES = ("officer", "supervisor")


def may_work(user: User, lead: Lead) -> bool:
    """Whether ``user`` may move ``lead``: a supervisor any, an officer only their own."""
    if has_role(user.role, "supervisor"):
        return True
    return lead.assignee is not None and lead.assignee in (user.full_name, user.name)


def moves_for(lead: Lead) -> list[str]:
    """The status moves a lead page offers, in workflow order.

    ``assigned`` is left out: it is reached by assigning (who and until when), not by a
    bare status move.
    """
    allowed = TRANSITIONS[lead.status] - {"assigned"}
    return [status for status in LEAD_STATUSES if status in allowed]


def find_assignee(session: Session, name: str) -> User:
    """The active officer or supervisor with this login name, or a one-line refusal."""
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None or not user.active or user.role not in ASSIGNABLE_ROLES:
        raise PatrolError(f"{name or 'nobody'} is not an active officer or supervisor account")
    return user


def assign_lead(
    session: Session,
    lead: Lead,
    officer: User,
    *,
    deadline: datetime | None,
    actor: str,
    reason: str | None = None,
) -> None:
    """Assign ``lead`` to ``officer``; a ``new`` lead is triaged first (both are logged).

    A supervisor who picks an officer for a new lead has looked at it, which is what
    triage means; asking for two clicks would only add a step that records nothing more.
    """
    if lead.status == "new":
        transition(session, lead, "triaged", actor=actor, reason="triaged on assignment")
    assign(session, lead, officer.full_name, deadline=deadline, actor=actor, reason=reason)
