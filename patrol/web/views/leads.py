"""The leads queue, a lead's page, and the moves made from them.

Every change goes through the workflow (:mod:`patrol.leads.workflow`) with the signed-in
user's login name as the actor, and answers with a redirect and a one-line message (POST,
redirect, GET), so reloading a page never repeats a move. Who may do what is decided in
:mod:`patrol.web.triage`, on the server, whatever the page offered: a hand-made POST gets
the same 403 as a button the page did not show.

Bulk actions change each lead on its own: a lead the workflow refuses (say, dismissing a
closed lead) is named in the message and left as it was, and the others are still done —
one stale row in a selection of fifty should not cost the supervisor the other forty-nine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from starlette.responses import Response
from starlette.routing import Route

from patrol.dates import parse_due
from patrol.db.models import Lead, ListingRow, utcnow
from patrol.errors import PatrolError
from patrol.leads.workflow import LEAD_STATUSES, get_lead, transition
from patrol.web.console import Visit, safe_next, view
from patrol.web.queue import MINE, SORTS, UNASSIGNED, QueueQuery, queue_page
from patrol.web.triage import (
    assign_lead,
    find_assignee,
    may_work,
    moves_for,
)
from patrol.web.views.evidence import lead_evidence

__all__ = ["ROUTES"]

_TEXT_FIELDS = ("title", "description", "brand", "category")
_BULK_REPORTED = 5  # refusals named in a bulk action's message; the rest are counted


@view("officer")
def lead_queue(visit: Visit) -> Response:
    query = QueueQuery.from_params(visit.request.query_params)
    page = queue_page(visit.db, query, user=visit.user, page_size=visit.console.config.page_size)
    choices = visit.console.choices.lists(visit.db)
    return visit.render(
        "leads.html",
        nav="leads",
        query=query,
        page=page,
        now=utcnow(),
        statuses=LEAD_STATUSES,
        sorts=list(SORTS),
        sites=choices.sites,
        officers=choices.assignees,
        mine=MINE,
        unassigned=UNASSIGNED,
        here=visit.request.url.path
        + (f"?{visit.request.url.query}" if visit.request.url.query else ""),
    )


@view("supervisor")
def bulk_action(visit: Visit) -> Response:
    back = safe_next(visit.field("next") or "/leads")
    action = visit.field("action")
    ids = list(dict.fromkeys(int(value) for value in visit.fields("lead") if value.isdigit()))
    if not ids:
        return visit.redirect(back, "Select at least one lead.", error=True)
    actor = visit.user.name
    change: Callable[[Lead], None]
    try:
        if action == "assign":
            officer = find_assignee(visit.db, visit.field("assignee"))
            deadline = _due(visit.field("due"))

            def change(lead: Lead) -> None:
                assign_lead(visit.db, lead, officer, deadline=deadline, actor=actor)

            done = f"assigned to {officer.full_name}"
        elif action == "dismiss":
            dismiss_reason = visit.field("dismiss_reason")
            if not dismiss_reason:
                raise PatrolError("Dismissing needs a reason (why these leads are no case).")

            def change(lead: Lead) -> None:
                transition(visit.db, lead, "dismissed", actor=actor, reason=dismiss_reason)

            done = "dismissed"
        else:
            raise PatrolError("Choose assign or dismiss.")
    except PatrolError as exc:
        return visit.redirect(back, exc.message, error=True)
    changed, refused = 0, []
    for lead_id in ids:
        try:
            change(get_lead(visit.db, lead_id))
            changed += 1
        except PatrolError as exc:  # checked before the lead is touched: nothing to undo
            refused.append(exc.message)
    message = f"{changed} lead(s) {done}."
    if refused:
        named = "; ".join(refused[:_BULK_REPORTED])
        more = len(refused) - _BULK_REPORTED
        message += f" Not changed: {named}" + (f" (and {more} more)" if more > 0 else "")
    return visit.redirect(back, message, error=bool(refused))


@view("officer")
def lead_page(visit: Visit) -> Response:
    lead = visit.db.scalars(
        select(Lead)
        .where(Lead.id == int(visit.params["lead_id"]))
        .options(
            joinedload(Lead.listing).joinedload(ListingRow.marketplace),
            joinedload(Lead.listing).joinedload(ListingRow.shop),
            joinedload(Lead.case),
            selectinload(Lead.events),
        )
    ).one_or_none()
    if lead is None:
        return visit.redirect("/leads", "There is no such lead.", error=True)
    shop_leads: list[tuple[int, str, float, str | None]] = []
    if lead.listing.shop_pk is not None:
        shop_leads = [
            (row.id, row.status, row.score, row.title)
            for row in visit.db.execute(
                select(Lead.id, Lead.status, Lead.score, ListingRow.title)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .where(ListingRow.shop_pk == lead.listing.shop_pk, Lead.id != lead.id)
                .order_by(Lead.id.desc())
                .limit(20)
            )
        ]
    supervisor = visit.can("supervisor")
    listing = lead.listing
    hits = [(hit, _field_text(listing, hit.get("field"))) for hit in lead.reasons]
    return visit.render(
        "lead.html",
        nav="leads",
        lead=lead,
        listing=listing,
        hits=hits,
        title_spans=[
            hit["span"] for hit, _ in hits if hit.get("field") == "title" and hit.get("span")
        ],
        now=utcnow(),
        evidence=lead_evidence(visit, lead),
        shop_leads=shop_leads,
        may_work=may_work(visit.user, lead),
        moves=moves_for(lead),
        supervisor=supervisor,
        officers=(
            visit.console.choices.lists(visit.db).assignees if supervisor and lead.is_open else ()
        ),
    )


@view("officer")
def move_lead(visit: Visit) -> Response:
    lead_id = int(visit.params["lead_id"])
    here = f"/leads/{lead_id}"
    try:
        lead = get_lead(visit.db, lead_id)
    except PatrolError:
        return visit.redirect("/leads", "There is no such lead.", error=True)
    if not may_work(visit.user, lead):
        return visit.forbidden(
            "Only the officer this lead is assigned to, or a supervisor, may move it."
        )
    to_status = visit.field("to")
    from_status = lead.status
    try:
        if to_status not in moves_for(lead):
            raise PatrolError(
                f"Lead #{lead_id} cannot go from {from_status} to {to_status or '?'} here."
            )
        transition(
            visit.db, lead, to_status, actor=visit.user.name, reason=visit.field("reason") or None
        )
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect(here, exc.message, error=True)
    return visit.redirect(here, f"Lead #{lead_id}: {from_status} → {to_status}.")


@view("supervisor")
def assign_one(visit: Visit) -> Response:
    lead_id = int(visit.params["lead_id"])
    here = f"/leads/{lead_id}"
    try:
        lead = get_lead(visit.db, lead_id)
        officer = find_assignee(visit.db, visit.field("assignee"))
        assign_lead(
            visit.db,
            lead,
            officer,
            deadline=_due(visit.field("due")),
            actor=visit.user.name,
            reason=visit.field("reason") or None,
        )
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect(here, exc.message, error=True)
    return visit.redirect(here, f"Lead #{lead_id} assigned to {officer.full_name}.")


def _field_text(listing: ListingRow, field: object) -> str | None:
    """The listing text a hit's span points into (None for price, shop, patent, …)."""
    if field in _TEXT_FIELDS:
        return str(getattr(listing, str(field)) or "")
    return None


def _due(text: str) -> datetime | None:
    return parse_due(text) if text else None


ROUTES = [
    Route("/leads", lead_queue),
    Route("/leads/bulk", bulk_action, methods=["POST"]),
    Route("/leads/{lead_id:id}", lead_page),
    Route("/leads/{lead_id:id}/move", move_lead, methods=["POST"]),
    Route("/leads/{lead_id:id}/assign", assign_one, methods=["POST"]),
]
