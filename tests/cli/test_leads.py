"""Leads at the terminal: list/show/assign/move/dismiss drive the workflow and its history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Lead, LeadEvent
from patrol.db.store import ListingStore
from tests.cli.invoke import Invoke
from tests.cli.seed import seed_world
from tests.db.fixtures import make_listing, make_verdict


def _events(db: Database, lead_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with db.sessions() as session:
        rows = session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
        )
        return [(e.actor, e.action, e.from_status, e.to_status) for e in rows]


def test_list_filters_and_show_explains(db: Database, patrol: Invoke) -> None:
    leads = seed_world(db)
    result = patrol("leads", "list", "--site", "bazaar")
    assert result.exit_code == 0, result.output
    assert "1 lead(s)" in result.output and "Listing 3" in result.output
    assert "Listing 1" not in result.output

    result = patrol("leads", "list", "--min-score", "0.85", "--site", "taoji", "--shop", "s1")
    assert "1 lead(s)" in result.output and "Listing 1" in result.output

    result = patrol("leads", "show", str(leads["1"]))
    assert result.exit_code == 0, result.output
    for expected in ("Lead #", "brand.nike", "exact: nike", "trademark US 123", "flagged", "s1"):
        assert expected in result.output


def test_list_filters_by_the_brand_and_rule_of_the_current_verdict(
    db: Database, patrol: Invoke
) -> None:
    seed_world(db)
    adidas = make_listing("5", marketplace="taoji", shop_id="s3")
    adidas.verdict = make_verdict(0.9, brand="adidas")
    ListingStore(db).store([adidas])
    for option, value in (("--brand", "adidas"), ("--rule", "brand.adidas")):
        result = patrol("leads", "list", option, value)
        assert result.exit_code == 0, result.output
        assert "1 lead(s)" in result.output and "Listing 5" in result.output
    result = patrol("leads", "list", "--brand", "nike", "--site", "taoji")
    assert "Listing 1" in result.output and "Listing 5" not in result.output
    assert "0 lead(s)" in patrol("leads", "list", "--rule", "brand.puma").output


def test_a_lead_moves_through_the_workflow_with_the_actor_recorded(
    db: Database, patrol: Invoke
) -> None:
    lead_id = seed_world(db)["1"]
    due = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    assert patrol("leads", "move", str(lead_id), "triaged", "--actor", "amy").exit_code == 0
    result = patrol("leads", "assign", str(lead_id), "--to", "officer.li", "--due", due)
    assert result.exit_code == 0, result.output
    assert "assigned" in result.output
    result = patrol(
        "leads", "move", str(lead_id), "confirmed", "--reason", "test buy", "--actor", "li"
    )
    assert result.exit_code == 0 and "assigned → confirmed" in result.output

    assert patrol("leads", "list", "--assignee", "officer.li").output.count("Listing 1") == 1
    trail = _events(db, lead_id)
    assert trail[1] == ("amy", "status", "new", "triaged")
    assert trail[2][1:] == ("assigned", "triaged", "assigned")
    assert trail[3] == ("li", "status", "assigned", "confirmed")
    with db.sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.deadline is not None
        assert lead.deadline.date().isoformat() == due


def test_overdue_filter_shows_only_overdue_leads(db: Database, patrol: Invoke) -> None:
    leads = seed_world(db)
    with db.sessions.begin() as session:
        lead = session.get(Lead, leads["2"])
        assert lead is not None
        lead.deadline = datetime.now(UTC) - timedelta(days=1)
    result = patrol("leads", "list", "--overdue")
    assert "1 lead(s)" in result.output and "⚠" in result.output


def test_dismiss_needs_a_reason_and_records_it(db: Database, patrol: Invoke) -> None:
    lead_id = seed_world(db)["3"]
    assert patrol("leads", "dismiss", str(lead_id)).exit_code == 2  # --reason is required
    result = patrol("leads", "dismiss", str(lead_id), "--reason", "genuine reseller")
    assert result.exit_code == 0, result.output
    with db.sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and (lead.status, lead.dismiss_reason) == (
            "dismissed",
            "genuine reseller",
        )


def test_bad_input_is_one_line_exit_2_and_changes_nothing(db: Database, patrol: Invoke) -> None:
    lead_id = seed_world(db)["1"]
    before = _events(db, lead_id)
    past = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    cases = [
        (("leads", "show", "9999"), "no lead #9999"),
        (("leads", "move", "9999", "triaged"), "no lead #9999"),
        (("leads", "move", str(lead_id), "closed"), "cannot go from new to closed"),
        (("leads", "move", str(lead_id), "flying"), "unknown lead status 'flying'"),
        (("leads", "assign", str(lead_id), "--to", "li", "--due", past), "in the past"),
        (("leads", "assign", str(lead_id), "--to", "li", "--due", "2026-13-45"), "bad due date"),
        (("leads", "assign", str(lead_id), "--to", "li"), "cannot go from new to assigned"),
    ]
    for args, message in cases:
        result = patrol(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], args
    assert _events(db, lead_id) == before
