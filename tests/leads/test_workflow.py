"""The lead workflow: a lead's whole life in its event log, and what the workflow refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from patrol.db import Database, registry_snapshot
from patrol.db.models import Lead
from patrol.db.store import ListingStore
from patrol.errors import PatrolError
from patrol.items import ListingGone
from patrol.leads import workflow
from patrol.leads.cases import case_for_network, case_for_shop, mark_key_case, overdue_cases
from patrol.leads.followup import listings_to_recheck
from tests.db.fixtures import make_listing


def _lead(db: Database, listing_id: str = "1") -> int:
    with db.sessions() as session:
        return session.scalars(
            select(Lead.id).join(Lead.listing).where(Lead.listing.has(listing_id=listing_id))
        ).one()


def test_a_leads_whole_life_shows_in_its_event_log_in_order(db: Database) -> None:
    ListingStore(db).store([make_listing("1", score=0.9), make_listing("2", score=0.1)])
    lead_id = _lead(db)
    deadline = datetime(2026, 12, 5, 17, tzinfo=UTC)
    with db.sessions.begin() as session:
        lead = workflow.get_lead(session, lead_id)
        workflow.transition(session, lead, "triaged", actor="amy", reason="looks fake")
    with db.sessions.begin() as session:
        lead = workflow.get_lead(session, lead_id)
        workflow.assign(session, lead, "officer.li", deadline=deadline, actor="amy")
    with db.sessions.begin() as session:
        lead = workflow.get_lead(session, lead_id)
        workflow.transition(session, lead, "confirmed", actor="officer.li", reason="test buy")
        workflow.transition(session, lead, "notice_sent", actor="officer.li", reason="notice 7")
    with db.sessions() as session:
        assert listings_to_recheck(session, "shopmall") == [
            ("1", "http://127.0.0.1/shopmall/item/1")
        ]
        assert listings_to_recheck(session, "elsewhere") == []

    later = datetime.now(UTC) + timedelta(days=1)
    gone = ListingGone("shopmall", "1", "http://127.0.0.1/shopmall/item/1", later, 404)
    counts = ListingStore(db).store([gone])  # a later patrol's re-check
    assert counts.leads_closed == 1

    with db.sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert (lead.status, lead.verified_gone_at, lead.closed_at) == ("closed", later, later)
        assert (lead.assignee, lead.deadline) == ("officer.li", deadline)
        trail = [(e.action, e.from_status, e.to_status, e.actor) for e in lead.events]
        assert trail == [
            ("flagged", None, "new", "patrol"),
            ("status", "new", "triaged", "amy"),
            ("assigned", "triaged", "assigned", "amy"),
            ("status", "assigned", "confirmed", "officer.li"),
            ("status", "confirmed", "notice_sent", "officer.li"),
            ("status", "notice_sent", "closed", "patrol"),
        ]
        times = [e.at for e in lead.events]
        assert times == sorted(times)
        assert lead.events[2].data["deadline"] == deadline.isoformat()
        assert "HTTP 404" in (lead.events[-1].reason or "")
        assert listings_to_recheck(session, "shopmall") == []


def test_illegal_transitions_are_rejected_with_a_clear_message(db: Database) -> None:
    ListingStore(db).store([make_listing("1", score=0.9)])
    with db.sessions.begin() as session:
        lead = workflow.get_lead(session, _lead(db))
        with pytest.raises(workflow.TransitionError, match=r"cannot go from new to confirmed"):
            workflow.transition(session, lead, "confirmed", actor="amy")
        with pytest.raises(workflow.TransitionError, match=r"allowed: dismissed, triaged"):
            workflow.transition(session, lead, "closed", actor="amy")
        with pytest.raises(workflow.TransitionError, match=r"unknown lead status 'done'"):
            workflow.transition(session, lead, "done", actor="amy")
        with pytest.raises(workflow.TransitionError, match=r"needs a reason"):
            workflow.transition(session, lead, "dismissed", actor="amy", reason="  ")
        workflow.dismiss(session, lead, reason="genuine product, official store", actor="amy")
        with pytest.raises(workflow.TransitionError, match=r"the lead is finished"):
            workflow.transition(session, lead, "triaged", actor="amy")
    with db.sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.status, lead.dismiss_reason) == (
            "dismissed",
            "genuine product, official store",
        )
        assert [e.to_status for e in lead.events] == ["new", "dismissed"]


def test_overdue_cases_key_cases_and_repeat_offenders(db: Database) -> None:
    store = ListingStore(db)
    store.store(
        [
            make_listing("1", score=0.9, shop_id="bad-shop"),
            make_listing("2", score=0.8, shop_id="bad-shop"),
            make_listing("3", score=0.7, shop_id="other"),
        ]
    )
    now = datetime.now(UTC)
    with db.sessions.begin() as session:
        leads = session.scalars(select(Lead).order_by(Lead.id)).all()
        for lead, days in zip(leads, (-2, 3, -1), strict=True):
            workflow.transition(session, lead, "triaged", actor="amy")
            workflow.assign(session, lead, "li", deadline=now + timedelta(days=days), actor="amy")
        workflow.transition(session, leads[0], "confirmed", actor="li")
    with db.sessions.begin() as session:
        overdue = workflow.overdue_leads(session, now)
        assert [lead.listing.listing_id for lead in overdue] == ["1", "3"]
        case = case_for_shop(session, "shopmall", "bad-shop", actor="amy")
        mark_key_case(
            session, case, officer="chief.wang", deadline=now - timedelta(hours=1), actor="amy"
        )
        assert sorted(lead.listing.listing_id for lead in case.leads) == ["1", "2"]
        assert all(lead.key_case for lead in case.leads)
        assert overdue_cases(session, now) == [case]
    with db.sessions.begin() as session:
        network = case_for_network(
            session, "ring-7", [("shopmall", "bad-shop"), ("shopmall", "other")], actor="amy"
        )
        assert sorted(lead.listing.listing_id for lead in network.leads) == ["1", "2", "3"]
        again = case_for_network(session, "ring-7", [("shopmall", "other")], actor="amy")
        assert again.id == network.id
        with pytest.raises(PatrolError, match="no shop 'nope' on marketplace 'shopmall'"):
            case_for_network(session, "ring-8", [("shopmall", "nope")], actor="amy")
    with db.sessions() as session:
        snapshot = registry_snapshot(session)
        assert snapshot.repeat_offenders == frozenset({("shopmall", "bad-shop")})
        lead = session.scalars(select(Lead).order_by(Lead.id)).first()
        assert lead is not None
        assert [e.action for e in lead.events][-3:] == ["case", "key_case", "case"]
