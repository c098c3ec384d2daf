"""Cases: the list (what needs attention first), one case's page, and a supervisor's moves.

Every move goes through :mod:`patrol.leads.cases`, exactly as ``patrol cases`` does —
opening a shop's case gathers its open leads, a key case gets a responsible officer and a
deadline (read by :func:`patrol.dates.parse_due`, as ``--due`` is) and its leads carry the
flag, each change logged on each lead. Moves need the supervisor role; :func:`view`
refuses anyone else (403), by form or by hand-crafted POST, and any POST without its CSRF
token.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.responses import Response
from starlette.routing import Route

from patrol.dates import parse_due
from patrol.db.accounts import User
from patrol.db.models import Case, Lead, LeadEvent, ListingRow, Shop, utcnow
from patrol.errors import PatrolError
from patrol.leads.caselist import count_cases, lead_counts, list_cases, shops_to_case
from patrol.leads.cases import add_leads_to_case, case_for_shop, mark_key_case
from patrol.leads.workflow import LEAD_STATUSES, get_lead
from patrol.web.console import Visit, view
from patrol.web.queue import MAX_PAGE

__all__ = ["HISTORY_LIMIT", "ROUTES"]

#: events shown on a case page (newest first)
HISTORY_LIMIT = 200


def _flag(visit: Visit, name: str) -> bool:
    return visit.request.query_params.get(name, "") in ("1", "on", "yes", "true")


def _page(visit: Visit) -> int:
    text = visit.request.query_params.get("page", "1")
    return min(max(1, int(text)), MAX_PAGE) if text.isdigit() else 1


@view("officer")
def case_list(visit: Visit) -> Response:
    now = utcnow()
    key_only, closed = _flag(visit, "key"), _flag(visit, "all")
    size = visit.console.config.page_size
    page = _page(visit)
    total = count_cases(visit.db, now, key_only=key_only, closed=closed)
    rows = list_cases(
        visit.db, now, key_only=key_only, closed=closed, limit=size, offset=(page - 1) * size
    )
    return visit.render(
        "cases.html",
        nav="cases",
        rows=rows,
        statuses=LEAD_STATUSES,
        key_only=key_only,
        closed=closed,
        page=page,
        pages=max(1, -(-total // size)),
        total=total,
        supervisor=visit.can("supervisor"),
    )


@view("supervisor")
def case_new(visit: Visit) -> Response:
    """The forms that open a case: kept off the list, since finding the shops whose open
    leads are in no case reads every open lead."""
    return visit.render("case_new.html", nav="cases", shops=shops_to_case(visit.db))


@view("officer")
def case_page(visit: Visit) -> Response:
    case = visit.db.get(Case, int(visit.params["case_id"]))
    if case is None:
        return visit.render("error.html", status=404, nav="cases", message="There is no such case.")
    leads = list(
        visit.db.scalars(
            select(Lead)
            .where(Lead.case_id == case.id)
            .options(
                selectinload(Lead.listing).selectinload(ListingRow.marketplace),
                selectinload(Lead.listing).selectinload(ListingRow.shop),
            )
            .order_by(Lead.id)
        )
    )
    events = list(
        visit.db.scalars(
            select(LeadEvent)
            .where(LeadEvent.lead_id.in_([lead.id for lead in leads]))
            .order_by(LeadEvent.at.desc(), LeadEvent.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )
    supervisor = visit.can("supervisor")
    officers = (
        list(visit.db.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)))
        if supervisor
        else []
    )
    now = utcnow()
    return visit.render(
        "case.html",
        nav="cases",
        case=case,
        shop=case.shop,
        leads=leads,
        counts=lead_counts(visit.db, [case.id])[case.id],
        statuses=LEAD_STATUSES,
        overdue=case.status == "open" and case.deadline is not None and case.deadline < now,
        events=events,
        supervisor=supervisor,
        officers=officers,
        history_limit=HISTORY_LIMIT,
    )


@view("supervisor")
def case_create(visit: Visit) -> Response:
    """A shop's case (``patrol cases create --shop``) or a titled one (``--title``)."""
    shop_text, title = visit.field("shop"), visit.field("title")
    try:
        if bool(shop_text) == bool(title):
            raise PatrolError("Choose a shop, or give a title for a case not tied to one shop.")
        if shop_text:
            shop = visit.db.get(Shop, int(shop_text)) if shop_text.isdigit() else None
            if shop is None:
                raise PatrolError("There is no such shop.")
            case = case_for_shop(
                visit.db, shop.marketplace.code, shop.shop_id, actor=visit.user.name
            )
        else:
            case = Case(title=title[:500])
            visit.db.add(case)
            visit.db.flush()
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect("/cases/new", exc.message, error=True)
    return visit.redirect(
        f"/cases/{case.id}", f"Case #{case.id} is open with {len(case.leads)} lead(s)."
    )


@view("supervisor")
def case_key(visit: Visit) -> Response:
    """Make the case a key case: a responsible officer (an active account) and a deadline."""
    case_id = int(visit.params["case_id"])
    case = visit.db.get(Case, case_id)
    if case is None:
        return visit.redirect("/cases", "There is no such case.", error=True)
    try:
        officer = visit.db.scalars(
            select(User).where(User.name == visit.field("officer"), User.active.is_(True))
        ).one_or_none()
        if officer is None:
            raise PatrolError("Choose the responsible officer among the active accounts.")
        deadline = parse_due(visit.field("due"))
        mark_key_case(
            visit.db,
            case,
            officer=officer.full_name or officer.name,
            deadline=deadline,
            actor=visit.user.name,
            reason=visit.field("reason") or None,
        )
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect(f"/cases/{case_id}", exc.message, error=True)
    return visit.redirect(
        f"/cases/{case_id}",
        f"Case #{case_id} is a key case: {case.officer}, due {deadline:%Y-%m-%d %H:%M} UTC.",
    )


@view("supervisor")
def case_add_leads(visit: Visit) -> Response:
    """Add leads by id (``patrol cases add``): a list like ``12, 15 17`` or repeated fields."""
    case_id = int(visit.params["case_id"])
    case = visit.db.get(Case, case_id)
    if case is None:
        return visit.redirect("/cases", "There is no such case.", error=True)
    words = [w for text in visit.fields("lead") for w in text.replace(",", " ").split()]
    try:
        if not words:
            raise PatrolError("Give the number of at least one lead.")
        bad = [w for w in words if not w.lstrip("#").isdigit()]
        if bad:
            raise PatrolError(f"Not a lead number: {bad[0][:40]}")
        ids = sorted({int(w.lstrip("#")) for w in words})
        leads = [get_lead(visit.db, lead_id) for lead_id in ids]
        moved = add_leads_to_case(
            visit.db, case, leads, actor=visit.user.name, reason=visit.field("reason") or None
        )
    except PatrolError as exc:
        visit.db.rollback()
        return visit.redirect(f"/cases/{case_id}", exc.message, error=True)
    return visit.redirect(f"/cases/{case_id}", f"Case #{case_id}: {moved} lead(s) added.")


ROUTES = [
    Route("/cases", case_list),
    Route("/cases", case_create, methods=["POST"]),
    Route("/cases/new", case_new),
    Route("/cases/{case_id:id}", case_page),
    Route("/cases/{case_id:id}/key", case_key, methods=["POST"]),
    Route("/cases/{case_id:id}/leads", case_add_leads, methods=["POST"]),
]
