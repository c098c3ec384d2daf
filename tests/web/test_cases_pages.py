"""The cases list and page over HTTP, and the supervisor's case moves (real server, real DB)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from parsel import Selector
from sqlalchemy import func, select

from patrol.db import Database, open_database
from patrol.db.models import Case, Lead, LeadEvent, ListingRow, Shop, utcnow
from patrol.leads.cases import case_for_shop, mark_key_case
from tests.cli.seed import seed_world
from tests.web.pages import post_form, signed_in
from tests.web.server import ConsoleServer, csrf_of

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def world(console: ConsoleServer) -> Iterator[Database]:
    database = open_database(console.config.database_url)
    seed_world(database)
    yield database
    database.dispose()


def _make_cases(database: Database) -> dict[str, int]:
    """Cases of every kind the list orders: overdue, key, dated, plain, closed, hostile."""
    now = utcnow()
    with database.sessions.begin() as session:
        s1 = case_for_shop(session, "taoji", "s1", actor="test")
        s2 = case_for_shop(session, "bazaar", "s2", actor="test")
        evil = case_for_shop(session, "taoji", "evil-shop", actor="test")
        mark_key_case(
            session, s2, officer="Officer Zhao", deadline=now + timedelta(days=3), actor="t"
        )
        mark_key_case(
            session, evil, officer="Officer Li", deadline=now - timedelta(days=2), actor="t"
        )
        plain = Case(title=HOSTILE)
        dated = Case(title="dated", deadline=now + timedelta(days=1))
        closed = Case(title="closed one", status="closed")
        session.add_all([plain, dated, closed])
        session.flush()
        return {
            "s1": s1.id,
            "s2": s2.id,
            "evil": evil.id,
            "plain": plain.id,
            "dated": dated.id,
            "closed": closed.id,
        }


def _rows(html: str) -> list[Selector]:
    return Selector(text=html).css("table#cases tbody tr[data-case]")


def test_case_list_order_and_counts_equal_sql(console: ConsoleServer, world: Database) -> None:
    ids = _make_cases(world)
    with signed_in(console, "li") as client:
        page = client.get("/cases")
        everything = client.get("/cases?all=1")
        key_only = client.get("/cases?key=1")
    assert page.status_code == 200
    now = utcnow()
    with world.sessions() as session:
        cases = list(session.scalars(select(Case)))
        counts = Counter(
            (case_id, status)
            for case_id, status in session.execute(select(Lead.case_id, Lead.status))
        )

    def overdue(c: Case) -> bool:
        return c.status == "open" and c.deadline is not None and c.deadline < now

    def order(c: Case) -> tuple[object, ...]:
        far = datetime.max.replace(tzinfo=UTC)
        return (not overdue(c), not c.key_case, c.deadline is None, c.deadline or far, -c.id)

    expected = [c.id for c in sorted((c for c in cases if c.status == "open"), key=order)]
    shown = [int(row.attrib["data-case"]) for row in _rows(page.text)]
    assert shown == expected
    assert shown[0] == ids["evil"] and shown[1] == ids["s2"]  # overdue, then key case
    assert ids["closed"] not in shown
    assert [int(r.attrib["data-case"]) for r in _rows(everything.text)] == [
        c.id for c in sorted(cases, key=order)
    ]
    assert {int(r.attrib["data-case"]) for r in _rows(key_only.text)} == {ids["s2"], ids["evil"]}
    headers = Selector(text=page.text).css("table#cases thead th::text").getall()
    for row in _rows(page.text):
        case_id = int(row.attrib["data-case"])
        cells = dict(zip(headers, row.css("td"), strict=True))
        total = sum(n for (cid, _), n in counts.items() if cid == case_id)
        assert cells["Leads"].css("::text").get("").strip() == str(total)
        for status in ("new", "confirmed", "dismissed"):
            assert cells[status].css("::text").get("").strip() == str(
                counts[(case_id, status)] or ""
            )
    evil_row = _rows(page.text)[0]
    assert "overdue" in evil_row.attrib["class"] and "Officer Li" in evil_row.get()


def test_hostile_shop_names_and_titles_are_escaped(console: ConsoleServer, world: Database) -> None:
    ids = _make_cases(world)
    with signed_in(console, "wang") as client:
        pages = [client.get("/cases"), client.get(f"/cases/{ids['plain']}")]
        pages.append(client.get(f"/cases/{ids['evil']}"))
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x" in pages[1].text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Nike &amp; co" in pages[2].text
    assert "=cmd shop evil-shop" in pages[2].text  # shown as text, as it is


def test_case_page_shows_leads_and_history(console: ConsoleServer, world: Database) -> None:
    ids = _make_cases(world)
    with signed_in(console, "li") as client:
        page = client.get(f"/cases/{ids['s1']}")
        missing = client.get("/cases/999999")
    assert missing.status_code == 404
    html = Selector(text=page.text)
    with world.sessions() as session:
        lead_ids = list(
            session.scalars(select(Lead.id).where(Lead.case_id == ids["s1"]).order_by(Lead.id))
        )
        events = session.scalar(select(func.count()).where(LeadEvent.lead_id.in_(lead_ids)))
    assert [
        int(x) for x in html.css("#case-leads tr[data-lead]::attr(data-lead)").getall()
    ] == lead_ids
    assert all(f'href="/leads/{lead_id}"' in page.text for lead_id in lead_ids)
    assert len(html.css("#case-history tbody tr")) == events
    assert "grouped into case" in page.text or "leads of shop s1" in page.text
    assert not html.css("#key-case-form")  # an officer sees no supervisor forms


def test_supervisor_marks_a_key_case(console: ConsoleServer, world: Database) -> None:
    ids = _make_cases(world)
    case_id = ids["s1"]
    due = (utcnow() + timedelta(days=10)).date().isoformat()
    with signed_in(console, "wang") as client:
        page = Selector(text=client.get(f"/cases/{case_id}").text)
        officers = page.css("#key-case-form select[name=officer] option::attr(value)").getall()
        assert {"li", "zhao", "wang", "admin"} <= set(officers)
        done = post_form(
            client, f"/cases/{case_id}", f"/cases/{case_id}/key",
            {"officer": "zhao", "due": due, "reason": "many listings"},
        )  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}"
        after = client.get(f"/cases/{case_id}")
        assert "is a key case: Officer Zhao" in after.text
        assert Selector(text=after.text).css("#case-officer::text").get() == "Officer Zhao"
        past = post_form(
            client,
            f"/cases/{case_id}",
            f"/cases/{case_id}/key",
            {"officer": "li", "due": "2020-01-01"},
        )
        assert past.status_code == 303
        assert "in the past" in client.get(f"/cases/{case_id}").text
        beyond = post_form(
            client,
            f"/cases/{case_id}",
            f"/cases/{case_id}/key",
            {"officer": "li", "due": "9999-12-31T23:59-05:00"},
        )
        assert beyond.status_code == 303  # not a server error
        assert "before the year 10000" in client.get(f"/cases/{case_id}").text
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.key_case and case.officer == "Officer Zhao"
        assert case.deadline is not None and case.deadline.date().isoformat() == due
        assert case.leads and all(lead.key_case for lead in case.leads)
        logged = session.scalars(
            select(LeadEvent).where(LeadEvent.action == "key_case", LeadEvent.actor == "wang")
        ).all()
        assert {event.lead_id for event in logged} == {lead.id for lead in case.leads}
        assert all(event.reason == "many listings" for event in logged)


def test_case_moves_are_refused_to_officers_and_without_csrf(
    console: ConsoleServer, world: Database
) -> None:
    ids = _make_cases(world)
    case_id = ids["s1"]
    due = (utcnow() + timedelta(days=10)).date().isoformat()
    moves = [
        (f"/cases/{case_id}/key", {"officer": "li", "due": due}),
        (f"/cases/{case_id}/leads", {"lead": "1"}),
        ("/cases", {"title": "by hand"}),
    ]
    with signed_in(console, "li") as officer:
        assert officer.get("/cases/new").status_code == 403
        token = csrf_of(officer.get(f"/cases/{case_id}").text)
        for action, data in moves:
            refused = officer.post(action, data={**data, "csrf_token": token})
            assert refused.status_code == 403 and "supervisor role" in refused.text
    with signed_in(console, "wang") as supervisor:
        for action, data in moves:
            assert supervisor.post(action, data=data).status_code == 403
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and not case.key_case and case.officer is None
        assert session.scalar(select(func.count()).where(Case.title == "by hand")) == 0


def test_supervisor_opens_a_shop_case_and_adds_a_lead(
    console: ConsoleServer, world: Database
) -> None:
    with world.sessions() as session:
        s2 = session.scalars(select(Shop).where(Shop.shop_id == "s2")).one()
        expected = set(
            session.scalars(
                select(Lead.id)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .where(ListingRow.shop_pk == s2.id)
            )
        )
        other = session.scalars(
            select(Lead.id).join(ListingRow, ListingRow.id == Lead.listing_pk)
            .where(ListingRow.shop_pk != s2.id).order_by(Lead.id)
        ).first()  # fmt: skip
    with signed_in(console, "wang") as client:
        assert Selector(text=client.get("/cases").text).css("a#new-case::attr(href)").get() == (
            "/cases/new"
        )
        listing = Selector(text=client.get("/cases/new").text)
        assert str(s2.id) in listing.css("form select[name=shop] option::attr(value)").getall()
        refused = post_form(client, "/cases/new", "/cases", {"shop": "999999"})
        assert refused.headers["location"] == "/cases/new"
        assert "There is no such shop." in client.get("/cases/new").text
        opened = post_form(client, "/cases/new", "/cases", {"shop": str(s2.id)})
        assert opened.status_code == 303
        case_id = int(opened.headers["location"].rsplit("/", 1)[1])
        added = post_form(
            client, f"/cases/{case_id}", f"/cases/{case_id}/leads", {"lead": f"#{other}, 999999"}
        )
        assert "no lead #999999" in client.get(added.headers["location"]).text
        added = post_form(
            client, f"/cases/{case_id}", f"/cases/{case_id}/leads", {"lead": str(other)}
        )
        assert "1 lead(s) added" in client.get(added.headers["location"]).text
        bad = post_form(client, f"/cases/{case_id}", f"/cases/{case_id}/leads", {"lead": "x1"})
        assert "Not a lead number" in client.get(bad.headers["location"]).text
    with world.sessions() as session:
        in_case = set(session.scalars(select(Lead.id).where(Lead.case_id == case_id)))
    assert in_case == expected | {other}
