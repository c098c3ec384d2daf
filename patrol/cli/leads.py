"""`patrol leads`: triage leads at the terminal — list, show, assign, move, dismiss, add.

Every change goes through the workflow (:mod:`patrol.leads.workflow`), which decides what
is allowed and logs it in the lead's history with ``--actor``; its refusal is printed as
one line. ``add`` files a lead from a complaint or tip by fetching that one listing through
its site's profile (in a separate process, as every crawl is); ``recheck`` looks at the
listings of open leads again (the scheduler's takedown follow-up).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from patrol.cli._common import (
    ID,
    actor_option,
    format_when,
    lead_filter_options,
    parse_due,
    session_scope,
)

if TYPE_CHECKING:
    from patrol.db.models import Lead
    from patrol.leads.query import LeadFilter

__all__ = ["group"]


@click.group(name="leads")
def group() -> None:
    """Case leads: list, show, assign, move, dismiss, and add leads from tips."""


@group.command(name="list")
@lead_filter_options(default_limit=50)
def list_command(lead_filter: LeadFilter) -> None:
    """List leads, most urgent first (deadline, then score)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from patrol.db.models import utcnow
    from patrol.leads.query import find_leads

    now = utcnow()
    with session_scope() as session:
        leads = find_leads(session, lead_filter, order="urgency")
        table = Table(title=f"{len(leads)} lead(s)", title_justify="left")
        for header, least, most in (
            ("id", 4, None),
            ("status", 8, None),
            ("score", 5, None),
            ("site", 6, None),
            ("shop", 6, 18),
            ("title", 10, 40),
            ("assignee", 6, 16),
            ("deadline", 10, None),
        ):
            table.add_column(
                header,
                justify="right" if header in ("id", "score") else "left",
                no_wrap=most is None,
                min_width=least,
                max_width=most,
            )
        for lead in leads:
            listing = lead.listing
            overdue_now = lead.is_open and lead.deadline is not None and lead.deadline < now
            deadline = lead.deadline.strftime("%Y-%m-%d") if lead.deadline else ""
            table.add_row(
                f"{lead.id}{'★' if lead.key_case else ''}",
                lead.status,
                f"{lead.score:.2f}",
                listing.marketplace.code,
                escape(listing.shop.name or listing.shop.shop_id) if listing.shop else "",
                _short(listing.title or ""),
                escape(lead.assignee or ""),
                f"[red]⚠{deadline}[/red]" if overdue_now else deadline,
            )
    Console().print(table, markup=True, highlight=False)


def _short(text: str, width: int = 48) -> str:
    from rich.markup import escape

    text = " ".join(text.split())
    return escape(text if len(text) <= width else text[: width - 1] + "…")


@group.command(name="show")
@click.argument("lead_id", type=ID)
def show_command(lead_id: int) -> None:
    """Show a lead: its listing, why it flagged (hit by hit), evidence and history."""
    from rich.console import Console

    from patrol.leads.workflow import get_lead

    console = Console(highlight=False)
    with session_scope() as session:
        lead = get_lead(session, lead_id, for_update=False)
        _print_lead(console, lead)


def _print_lead(console: object, lead: Lead) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from patrol import config
    from patrol.leads.query import lead_source

    assert isinstance(console, Console)
    listing = lead.listing
    shop = listing.shop
    price = f"{listing.price} {listing.currency or ''}".strip() if listing.price else "?"
    console.print(
        f"[bold]Lead #{lead.id}[/bold] — {lead.status}, score {lead.score:.2f}"
        f"{', key case' if lead.key_case else ''}"
        f"{f', case #{lead.case_id}' if lead.case_id else ''}"
        f"{', relisted' if lead.relisted else ''} (source: {lead_source(lead)})"
    )
    console.print(
        f"  assignee {escape(lead.assignee or '-')}, deadline {format_when(lead.deadline) or '-'}"
    )
    console.print("[bold]Listing[/bold]")
    for label, value in (
        ("marketplace", listing.marketplace.code),
        ("listing id", listing.listing_id),
        ("url", listing.url),
        ("title", listing.title),
        ("price", price),
        ("brand", listing.brand),
        ("category", listing.category),
        ("shop", f"{shop.name or ''} ({shop.shop_id}) {shop.url or ''}" if shop else None),
        ("state", f"{listing.status}, last seen {format_when(listing.last_seen_at)}"),
    ):
        console.print(f"  {label:<12} {escape(str(value or '-'))}")
    console.print("[bold]Why it flagged[/bold]")
    if not lead.reasons:
        console.print("  (no rule fired: filed by hand)")
    for hit in lead.reasons:
        registry = hit.get("registry") or {}
        reg = ""
        if registry:
            classes = ",".join(registry.get("nice_classes") or [])
            reg = (
                f" — {registry.get('kind')} {registry.get('office') or ''} {registry.get('number')}"
                f"{f' (classes {classes})' if classes else ''}"
            )
        console.print(
            f"  • {escape(str(hit.get('rule_id')))} +{float(hit.get('weight', 0)):.2f} "
            f"in {escape(str(hit.get('field')))}: {escape(repr(hit.get('text')))} "
            f"via {escape(str(hit.get('variant_path')))}{escape(reg)}"
        )
        if hit.get("explanation"):
            console.print(f"      {escape(str(hit['explanation']))}")
    console.print("[bold]Evidence[/bold]")
    if lead.evidence_path:
        body = config.evidence_dir() / lead.evidence_path
        for path in (body, _sidecar(body, ".json"), _sidecar(body, ".png")):
            if path.exists() or path == body:
                state = "" if path.exists() else " (missing)"
                console.print(f"  {escape(str(path))}{state}")
    else:
        console.print("  none stored")
    console.print("[bold]History[/bold]")
    table = Table(show_header=True, box=None, pad_edge=False)
    for header in ("when", "who", "what", "from → to", "why"):
        table.add_column(header)
    for event in lead.events:
        move = f"{event.from_status or ''} → {event.to_status}" if event.to_status else ""
        table.add_row(
            format_when(event.at),
            escape(event.actor),
            event.action,
            move,
            escape(event.reason or ""),
        )
    console.print(table)


def _sidecar(body: Path, suffix: str) -> Path:
    return body.with_name(body.name.removesuffix(".html.gz") + suffix)


@group.command(name="assign")
@click.argument("lead_id", type=ID)
@click.option("--to", "assignee", required=True, help="The responsible officer.")
@click.option("--due", help="Deadline: YYYY-MM-DD (end of day, UTC) or YYYY-MM-DDTHH:MM.")
@click.option("--reason", help="Why (recorded in the history).")
@actor_option
def assign_command(
    lead_id: int, assignee: str, due: str | None, reason: str | None, actor: str
) -> None:
    """Give a lead a responsible officer and a deadline (a triaged lead becomes assigned)."""
    from patrol.leads.workflow import assign, get_lead

    deadline = parse_due(due) if due else None
    with session_scope(write=True) as session:
        lead = get_lead(session, lead_id)
        assign(session, lead, assignee, deadline=deadline, actor=actor, reason=reason)
        status = lead.status
    click.echo(
        f"lead #{lead_id} assigned to {assignee}"
        f"{f', due {format_when(deadline)} UTC' if deadline else ''} ({status})"
    )


@group.command(name="move")
@click.argument("lead_id", type=ID)
@click.argument("status")
@click.option("--reason", help="Why (required to dismiss; recorded in the history).")
@actor_option
def move_command(lead_id: int, status: str, reason: str | None, actor: str) -> None:
    """Move a lead to STATUS if the workflow allows it (new → triaged → assigned → …)."""
    from patrol.leads.workflow import get_lead, transition

    with session_scope(write=True) as session:
        lead = get_lead(session, lead_id)
        event = transition(session, lead, status, actor=actor, reason=reason)
        move = f"{event.from_status} → {event.to_status}"
    click.echo(f"lead #{lead_id}: {move}")


@group.command(name="dismiss")
@click.argument("lead_id", type=ID)
@click.option("--reason", required=True, help="Why it is no case (a false positive, …).")
@actor_option
def dismiss_command(lead_id: int, reason: str, actor: str) -> None:
    """Dismiss a lead as a false positive (a reason is required)."""
    from patrol.leads.workflow import dismiss, get_lead

    with session_scope(write=True) as session:
        lead = get_lead(session, lead_id)
        dismiss(session, lead, reason=reason, actor=actor)
    click.echo(f"lead #{lead_id} dismissed")


@group.command(name="add")
@click.option("--url", required=True, help="The listing's URL.")
@click.option(
    "--source",
    required=True,
    type=click.Choice(["complaint", "tip", "platform"]),
    help="Where the report came from.",
)
@click.option("--note", help="What the reporter said (recorded in the history).")
@click.option("--site", help="The site profile to fetch with (default: the one serving URL).")
@actor_option
def add_command(url: str, source: str, note: str | None, site: str | None, actor: str) -> None:
    """File a lead for one reported listing, whatever its score.

    The listing is fetched through its site's profile (in its own process), screened, its
    page kept as evidence, and a lead filed marked with its source. If the listing already
    has an open lead, the report is added to that lead's history.
    """
    import subprocess
    import sys

    from patrol.db import open_database
    from patrol.errors import PatrolError
    from patrol.leads.fetch import profile_for_url

    profile = profile_for_url(url, site)
    open_database().dispose()  # no database: say so before fetching anything
    argv = [
        sys.executable,
        "-m",
        "patrol",
        "leads",
        "fetch",
        profile.name,
        url,
        "--base-url",
        profile.base_url,
        "--file-lead",
        source,
        "--actor",
        actor,
    ]
    if note:
        argv += ["--note", note]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1].removeprefix("Error: ") if lines else f"exit status {done.returncode}"
        raise PatrolError(f"could not file a lead for {url}: {detail}")
    click.echo(done.stdout.rstrip())


@group.command(name="fetch", hidden=True)
@click.argument("site")
@click.argument("urls", nargs=-1, required=True)
@click.option("--base-url", help="Fetch from this address instead of the profile's.")
@click.option("--file-lead", "source", help="File a lead for the listing, from this source.")
@click.option("--note")
@actor_option
def fetch_command(
    site: str,
    urls: tuple[str, ...],
    base_url: str | None,
    source: str | None,
    note: str | None,
    actor: str,
) -> None:
    """Fetch listing URLs of SITE through its profile, in this process (used by `add`)."""
    from patrol.errors import PatrolError
    from patrol.leads.fetch import KEPT_EVIDENCE_STAT, fetch_listings, file_reported_lead

    summary = fetch_listings(
        site, urls, base_url=base_url, keep_evidence=source is not None, record_run=False
    )
    if source is None:
        click.echo(summary.line())
        return
    if summary.blocked_pages:
        raise PatrolError(f"{site} answered with a block page: the listing was not fetched")
    if summary.stats.get("patrol/gone_answers"):
        raise PatrolError(f"{urls[0]} is gone (the marketplace took it down): no lead filed")
    from patrol.crawl.profile import load_profile

    profile = load_profile(site, base_url=base_url)
    listing_id = profile.listing_id(urls[0])
    kept = summary.stats.get(KEPT_EVIDENCE_STAT) or {}
    page = kept.get(listing_id) if listing_id is not None else None
    if listing_id is None or page is None:
        raise PatrolError(
            f"{urls[0]} could not be read ({summary.errors} errors, status {summary.status})"
        )
    with session_scope(write=True) as session:
        lead, created = file_reported_lead(
            session,
            site=profile.name,
            listing_id=listing_id,
            url=urls[0],
            source=source,
            note=note,
            actor=actor,
            evidence_path=page["evidence_path"],
            verdict=page["verdict"],
        )
        session.flush()
        lead_id, score, flagged = lead.id, lead.score, bool(lead.reasons)
    state = "filed" if created else "already open; report added to its history"
    click.echo(
        f"lead #{lead_id} {state} ({source}), score {score:.2f}"
        f"{'' if flagged else ' (no rule fired)'}, evidence {page['evidence_path']}"
    )


@group.command(name="recheck")
@click.option("--site", required=True, help="The marketplace whose open leads to recheck.")
@click.option("--base-url", help="Fetch from this address instead of the profile's.")
def recheck_command(site: str, base_url: str | None) -> None:
    """Fetch the listings of open leads of SITE again (takedown follow-up), in this process.

    A listing the marketplace answers as gone is marked gone, and a lead whose takedown
    notice was sent is closed as verified. Exit status 1 if the site blocked the recheck.
    """
    from patrol.crawl.profile import load_profile
    from patrol.leads.fetch import fetch_listings, recheck_urls

    profile = load_profile(site, base_url=base_url)
    with session_scope() as session:
        urls = recheck_urls(session, profile.name)
    if not urls:
        click.echo(f"recheck {profile.name}: no open leads to look at")
        return
    summary = fetch_listings(profile.name, urls, base_url=base_url, record_run=True)
    click.echo(f"recheck of {len(urls)} open lead listing(s): " + summary.line())
    if summary.status != "finished":
        raise SystemExit(1)
