"""A lead's page over HTTP: what it shows, and who may move the lead (checked server-side).

Runs on SQLite and PostgreSQL. Moves are posted by hand, as a forged request would be,
so the refusals tested here do not depend on which buttons the page chose to show.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import LeadEvent
from tests.web.leadworld import LeadWorld, build_world, page, status_of
from tests.web.pages import signed_in
from tests.web.server import ConsoleServer, csrf_of


@pytest.fixture
def world(db: Database, console: ConsoleServer) -> LeadWorld:
    return build_world(db)


def post(client: httpx.Client, lead_id: int, action: str, **data: Any) -> httpx.Response:
    token = csrf_of(page(client, f"/leads/{lead_id}").text)
    return client.post(f"/leads/{lead_id}/{action}", data={"csrf_token": token, **data})


def flash_after(client: httpx.Client, answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text[:300]
    return page(client, answer.headers["location"]).text


def last_event(db: Database, lead_id: int) -> LeadEvent:
    with db.sessions() as session:
        return session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id.desc())
        ).first() or pytest.fail("no event")


def test_the_page_explains_the_lead(console: ConsoleServer, world: LeadWorld) -> None:
    with signed_in(console, "li") as client:
        text = page(client, f"/leads/{world['t1']}").text
    assert f"Lead #{world['t1']}" in text and "<dd>t1</dd>" in text
    assert "<mark>List</mark>ing t1" in text  # the hit's span [0, 4) of the title
    assert "brand.nike" in text and "exact: nike" in text  # rule and variant path
    assert "trademark US 123" in text and "classes 025" in text  # the registry record
    assert "http://127.0.0.1/taoji/item/t1" in text and 'rel="noopener noreferrer"' in text
    assert "Shop s1" in text and "description t1" in text
    # the shop's other leads link to their pages; the history has the flagging
    for other in ("t2", "t3", "t4", "t5", "t6"):
        assert f'href="/leads/{world[other]}"' in text
    assert "flagged" in text
    # no evidence was stored for this lead
    assert "No evidence was stored" in text and "<iframe" not in text


def test_hostile_titles_are_escaped_on_the_lead_page(
    console: ConsoleServer, world: LeadWorld
) -> None:
    with signed_in(console, "li") as client:
        script = page(client, f"/leads/{world['h0']}").text
        image = page(client, f"/leads/{world['h1']}").text
    for text in (script, image):
        assert "<script>alert" not in text and "<img src=x" not in text
    # the title, highlighted (the hit's span is [0, 4)), and in the shop's other leads
    assert "<mark>&lt;scr</mark>ipt&gt;alert(1)&lt;/script&gt; Nike" in script
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Nike" in image
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; Nike" in script
    # its evidence path is not one the pipeline writes (ab/cd/abab…): said so, nothing framed
    assert "is not one the patrol writes" in script and "<iframe" not in script


def test_an_officer_confirms_a_lead_assigned_to_them(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    with signed_in(console, "li") as client:
        for listing_id in ("t3", "b2"):  # by full name, and by login name
            lead_id = world[listing_id]
            answer = post(client, lead_id, "move", to="confirmed", reason="fake logo")
            assert answer.headers["location"] == f"/leads/{lead_id}"
            text = flash_after(client, answer)
            assert f"Lead #{lead_id}: assigned → confirmed." in text
            assert status_of(db, lead_id) == "confirmed"
            event = last_event(db, lead_id)
            assert (event.actor, event.from_status, event.to_status, event.reason) == (
                "li",
                "assigned",
                "confirmed",
                "fake logo",
            )


def test_an_officer_cannot_move_someone_elses_lead(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    with signed_in(console, "li") as client:
        text = page(client, f"/leads/{world['t4']}").text  # Officer Zhao's
        assert "Only the officer this lead is assigned to" in text
        assert 'action="/leads/' + str(world["t4"]) + '/move"' not in text
        for listing_id, to in (("t4", "confirmed"), ("t1", "triaged"), ("t4", "dismissed")):
            answer = post(client, world[listing_id], "move", to=to, reason="by hand")
            assert answer.status_code == 403
        assign = post(client, world["t3"], "assign", assignee="li", due="2099-01-01")
        assert assign.status_code == 403  # assigning is a supervisor's
    assert status_of(db, world["t4"]) == "assigned" and status_of(db, world["t1"]) == "new"
    assert last_event(db, world["t3"]).actor == "seed"


def test_moves_the_workflow_refuses_change_nothing(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    lead_id = world["t3"]
    with signed_in(console, "li") as client:
        for to in ("closed", "assigned", "nonsense"):
            text = flash_after(client, post(client, lead_id, "move", to=to))
            assert "cannot go from assigned to" in text
        text = flash_after(client, post(client, lead_id, "move", to="dismissed", reason=" "))
        assert "needs a reason" in text
        assert status_of(db, lead_id) == "assigned"
        answer = post(client, lead_id, "move", to="dismissed", reason="genuine goods")
        assert flash_after(client, answer) and status_of(db, lead_id) == "dismissed"
        assert "there are no more moves" in page(client, f"/leads/{lead_id}").text


def test_a_move_without_csrf_token_is_refused(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    with signed_in(console, "wang") as client:
        lead_id = world["t1"]
        refused = client.post(f"/leads/{lead_id}/move", data={"to": "triaged"})
        assert refused.status_code == 403 and "did not come from the console" in refused.text
        wrong = client.post(f"/leads/{lead_id}/move", data={"to": "triaged", "csrf_token": "no"})
        assert wrong.status_code == 403
    assert status_of(db, lead_id) == "new" and last_event(db, lead_id).action == "flagged"


def test_a_supervisor_assigns_and_moves_any_lead(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    lead_id = world["t1"]
    with signed_in(console, "wang") as client:
        text = page(client, f"/leads/{lead_id}").text
        assert 'action="/leads/' + str(lead_id) + '/assign"' in text
        assert '<option value="zhao"' in text and '<option value="admin"' not in text
        answer = post(client, lead_id, "assign", assignee="li", due="2099-03-01", reason="yours")
        assert f"Lead #{lead_id} assigned to Officer Li." in flash_after(client, answer)
        assert status_of(db, lead_id) == "assigned"
        event = last_event(db, lead_id)
        assert (event.action, event.actor, event.reason) == ("assigned", "wang", "yours")
        assert event.data["assignee"] == "Officer Li"
        bad = post(client, lead_id, "assign", assignee="admin")
        assert "not an active officer or supervisor" in flash_after(client, bad)
        past = post(client, lead_id, "assign", assignee="zhao", due="2001-01-01")
        assert "in the past" in flash_after(client, past)
        beyond = post(client, lead_id, "assign", assignee="zhao", due="9999-12-31T23:59-05:00")
        assert "before the year 10000" in flash_after(client, beyond)  # not a server error
        moved = post(client, world["t4"], "move", to="confirmed")  # Officer Zhao's lead
        assert "assigned → confirmed" in flash_after(client, moved)
    assert last_event(db, lead_id).data["assignee"] == "Officer Li"


def test_an_unknown_lead(console: ConsoleServer, world: LeadWorld) -> None:
    with signed_in(console, "li") as client:
        answer = client.get("/leads/999999")
        assert answer.status_code == 303 and answer.headers["location"] == "/leads"
        assert "There is no such lead." in page(client, "/leads").text
