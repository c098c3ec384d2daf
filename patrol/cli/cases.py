"""`patrol cases`: group leads into cases, and run key cases with an officer and deadline.

A case gathers the leads of one shop (``create --shop``) or any chosen leads (``create
--title`` then ``add``); a key case has a responsible officer and a deadline, and its
leads carry the key-case flag. ``list --key`` shows key cases, overdue ones first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from patrol.cli._common import ID, actor_option, format_when, parse_due, session_scope

if TYPE_CHECKING:
    from patrol.db.models import Case

__all__ = ["group"]


@click.group(name="cases")
def group() -> None:
    """Cases and key cases: group leads, name an officer and a deadline."""


@group.command(name="list")
@click.option("--key", "key_only", is_flag=True, help="Only key cases.")
@click.option("--all", "show_all", is_flag=True, help="Closed cases too.")
def list_command(key_only: bool, show_all: bool) -> None:
    """List cases: overdue first, then by deadline, then newest."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from patrol.db.models import Case, Lead, ListingRow, utcnow

    now = utcnow()
    with session_scope() as session:
        statement = select(Case).options(
            selectinload(Case.leads).selectinload(Lead.listing).selectinload(ListingRow.marketplace)
        )
        if key_only:
            statement = statement.where(Case.key_case.is_(True))
        if not show_all:
            statement = statement.where(Case.status == "open")
        cases = list(session.scalars(statement))
        cases.sort(key=lambda c: (c.deadline is None, c.deadline or now, -c.id))
        table = Table(title=f"{len(cases)} case(s)", title_justify="left")
        for header in ("id", "title", "key", "officer", "deadline", "status", "leads", "open"):
            table.add_column(header)
        for case in cases:
            overdue = case.status == "open" and case.deadline is not None and case.deadline < now
            deadline = format_when(case.deadline)
            open_leads = sum(1 for lead in case.leads if lead.is_open)
            table.add_row(
                str(case.id),
                escape(case.title),
                "★" if case.key_case else "",
                escape(case.officer or ""),
                f"[red]{deadline} overdue[/red]" if overdue else deadline,
                case.status,
                str(len(case.leads)),
                str(open_leads),
            )
    Console(highlight=False).print(table)


@group.command(name="show")
@click.argument("case_id", type=ID)
def show_command(case_id: int) -> None:
    """Show a case and its leads."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    with session_scope() as session:
        case = _get_case(session, case_id)
        console.print(
            f"[bold]Case #{case.id}[/bold] {escape(case.title)} — {case.status}"
            f"{', key case' if case.key_case else ''}"
        )
        console.print(
            f"  officer {escape(case.officer or '-')}, deadline {format_when(case.deadline) or '-'}"
            f", opened {format_when(case.created_at)}"
        )
        table = Table(box=None)
        for header in ("lead", "status", "score", "site", "title", "assignee"):
            table.add_column(header)
        for lead in sorted(case.leads, key=lambda lead: lead.id):
            table.add_row(
                str(lead.id),
                lead.status,
                f"{lead.score:.2f}",
                lead.listing.marketplace.code,
                escape((lead.listing.title or "")[:60]),
                escape(lead.assignee or ""),
            )
        console.print(table)


def _get_case(session: object, case_id: int) -> Case:
    from sqlalchemy.orm import Session

    from patrol.db.models import Case
    from patrol.errors import PatrolError

    assert isinstance(session, Session)
    case = session.get(Case, case_id)
    if case is None:
        raise PatrolError(f"no case #{case_id}")
    return case


@group.command(name="create")
@click.option("--shop", help="Open (or reuse) the case of this shop: SITE:SHOP_ID.")
@click.option("--title", help="The case's title (for a case not tied to one shop).")
@click.option("--network", help="A seller-network label for the case.")
@actor_option
def create_command(shop: str | None, title: str | None, network: str | None, actor: str) -> None:
    """Open a case: of one shop (with all its open leads), or with a title."""
    from patrol.db.models import Case
    from patrol.errors import PatrolError
    from patrol.leads.cases import case_for_shop

    if bool(shop) == bool(title):
        raise PatrolError("give either --shop SITE:SHOP_ID or --title TEXT")
    with session_scope(write=True) as session:
        if shop:
            site, sep, shop_id = shop.partition(":")
            if not sep or not site or not shop_id:
                raise PatrolError(f"--shop expects SITE:SHOP_ID, got {shop!r}")
            case = case_for_shop(session, site, shop_id, actor=actor)
            if network:
                case.network = network
        else:
            assert title is not None
            case = Case(title=title, network=network)
            session.add(case)
        session.flush()
        case_id, count = case.id, len(case.leads)
    click.echo(f"case #{case_id} open with {count} lead(s)")


@group.command(name="add")
@click.argument("case_id", type=ID)
@click.argument("lead_ids", type=ID, nargs=-1, required=True)
@click.option("--reason", help="Why these leads belong to the case.")
@actor_option
def add_command(case_id: int, lead_ids: tuple[int, ...], reason: str | None, actor: str) -> None:
    """Add leads to a case."""
    from patrol.leads.cases import add_leads_to_case
    from patrol.leads.workflow import get_lead

    with session_scope(write=True) as session:
        case = _get_case(session, case_id)
        leads = [get_lead(session, lead_id) for lead_id in lead_ids]
        moved = add_leads_to_case(session, case, leads, actor=actor, reason=reason)
    click.echo(f"case #{case_id}: {moved} lead(s) added")


@group.command(name="key")
@click.argument("case_id", type=ID)
@click.option("--officer", required=True, help="The responsible officer.")
@click.option("--due", required=True, help="Deadline: YYYY-MM-DD (end of day, UTC).")
@click.option("--reason", help="Why it is a key case.")
@actor_option
def key_command(case_id: int, officer: str, due: str, reason: str | None, actor: str) -> None:
    """Make a case a key case, with a responsible officer and a deadline."""
    from patrol.leads.cases import mark_key_case

    deadline = parse_due(due)
    with session_scope(write=True) as session:
        case = _get_case(session, case_id)
        mark_key_case(session, case, officer=officer, deadline=deadline, actor=actor, reason=reason)
    click.echo(f"case #{case_id} is a key case: {officer}, due {format_when(deadline)} UTC")
