"""The leads queue over HTTP: filters, sorts and pages agree with the database; bulk actions.

Each expected answer is worked out here in Python from every lead in the database, not
with the console's own query, so a wrong ``WHERE`` or ``ORDER BY`` cannot agree with
itself. Runs on SQLite and PostgreSQL (``console`` is parametrised by ``db_url``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from patrol.db import Database
from patrol.db.models import OPEN_LEAD_STATUSES, Lead, LeadEvent, ListingRow
from patrol.db.store import ListingStore
from patrol.screening.verdict import Verdict
from patrol.web.config import WebConfig
from tests.db.fixtures import make_listing, make_verdict
from tests.web.leadworld import LeadWorld, build_world, lead_ids_of, page, status_of
from tests.web.server import ConsoleServer, console_server, csrf_of, sign_in

_PAGER = re.compile(r'<a href="([^"]+)" rel="next">')


@dataclass(frozen=True)
class Row:
    id: int
    status: str
    site: str
    score: float
    brands: frozenset[str]
    rules: frozenset[str]
    assignee: str | None
    deadline: datetime | None
    created_at: datetime
    updated_at: datetime


@pytest.fixture
def world(db: Database, console: ConsoleServer) -> LeadWorld:
    return build_world(db)


def rows(db: Database) -> list[Row]:
    with db.sessions() as session:
        leads = session.scalars(
            select(Lead).options(joinedload(Lead.listing).joinedload(ListingRow.marketplace))
        )
        return [
            Row(
                id=lead.id,
                status=lead.status,
                site=lead.listing.marketplace.code,
                score=lead.score,
                brands=frozenset(h["brand_id"] for h in lead.reasons if h.get("brand_id")),
                rules=frozenset(h["rule_id"] for h in lead.reasons),
                assignee=lead.assignee,
                deadline=lead.deadline,
                created_at=lead.created_at,
                updated_at=lead.updated_at,
            )
            for lead in leads
        ]


_FAR = datetime.max.replace(tzinfo=UTC)
_SORT_KEYS: dict[str, Any] = {
    "urgency": lambda r: (r.deadline is None, r.deadline or _FAR, -r.score, r.id),
    "score": lambda r: (-r.score, -r.id),
    "newest": lambda r: (-r.created_at.timestamp(), -r.id),
    "updated": lambda r: (-r.updated_at.timestamp(), -r.id),
}


def expected(db: Database, params: dict[str, Any], mine: tuple[str, ...] = ()) -> list[int]:
    """The queue for ``params`` worked out in Python, as officer ``mine`` would see it."""
    now = datetime.now(UTC)
    statuses = params.get("status") or list(OPEN_LEAD_STATUSES)
    found = [r for r in rows(db) if r.status in statuses]
    if "site" in params:
        found = [r for r in found if r.site == params["site"]]
    if "brand" in params:
        found = [r for r in found if params["brand"] in r.brands]
    if "rule" in params:
        found = [r for r in found if params["rule"] in r.rules]
    if "min_score" in params:
        found = [r for r in found if r.score >= float(params["min_score"])]
    assignee = params.get("assignee")
    if assignee == "mine":
        found = [r for r in found if r.assignee in mine]
    elif assignee == "none":
        found = [r for r in found if r.assignee is None]
    elif assignee:
        found = [r for r in found if r.assignee == assignee]
    if params.get("overdue"):
        found = [
            r
            for r in found
            if r.status in OPEN_LEAD_STATUSES and r.deadline is not None and r.deadline < now
        ]
    return [r.id for r in sorted(found, key=_SORT_KEYS[params.get("sort", "urgency")])]


QUERIES = [
    {},
    {"status": ["assigned", "confirmed"]},
    {"status": ["dismissed"]},
    {"site": "bazaar"},
    {"brand": "adidas"},
    {"rule": "brand.nike", "sort": "score"},
    {"min_score": "0.8"},
    {"assignee": "mine"},
    {"assignee": "none", "sort": "newest"},
    {"assignee": "Officer Zhao"},
    {"overdue": "1"},
    {"sort": "score"},
    {"sort": "newest"},
    {"sort": "updated"},
    {"site": "taoji", "min_score": "0.7", "sort": "score", "status": ["new", "assigned"]},
    {"brand": "nobrand"},
]


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: urlencode(p, doseq=True) or "default")
def test_filters_and_sorts_match_the_database(
    console: ConsoleServer, db: Database, world: LeadWorld, params: dict[str, Any]
) -> None:
    with console.client() as client:
        sign_in(client, "li")
        answer = page(client, "/leads?" + urlencode(params, doseq=True))
    want = expected(db, params, mine=("Officer Li", "li"))
    assert lead_ids_of(answer.text) == want
    assert f"{len(want)} lead(s) · page 1 of 1" in answer.text


def test_brand_and_rule_filters_follow_what_the_listing_says_now(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    """A listing edited so it no longer hits nike is not under nike any more, though its
    first snapshot's nike hits stay stored as evidence."""
    to_adidas = make_listing("t1", marketplace="taoji", title="Adidas Samba", shop_id="s1")
    to_adidas.verdict = make_verdict(0.9, brand="adidas")
    to_clean = make_listing("t6", marketplace="taoji", title="Plain shoes", shop_id="s1")
    to_clean.verdict = Verdict(score=0.0, flagged=False, threshold=0.6)
    ListingStore(db).store([to_adidas, to_clean])
    with console.client() as client:
        sign_in(client, "li")

        def queue(**params: str) -> list[int]:
            return lead_ids_of(page(client, "/leads?" + urlencode(params)).text)

        for params in ({"brand": "nike"}, {"rule": "brand.nike"}):
            ids = queue(**params)
            assert world["t1"] not in ids and world["t6"] not in ids, params
            assert world["t2"] in ids  # not edited: still nike
        for params in ({"brand": "adidas"}, {"rule": "brand.adidas"}):
            ids = queue(**params)
            assert world["t1"] in ids and world["t6"] not in ids, params
            assert set(ids) == {world["t1"], world["a1"], world["a2"]}
        assert world["t6"] in queue()  # its lead is still open: only the filters changed


def test_the_default_queue_is_every_open_lead_most_urgent_first(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    with console.client() as client:
        sign_in(client, "zhao")
        ids = lead_ids_of(page(client, "/leads").text)
    assert world["b3"] not in ids  # dismissed
    assert ids[0] == world["t3"]  # overdue
    assert 'class="overdue"' in page_for(console, "zhao", "/leads").text


def page_for(console: ConsoleServer, name: str, url: str) -> Any:
    with console.client() as client:
        sign_in(client, name)
        return page(client, url)


@pytest.fixture
def small_pages(db_url: str, accounts: dict[str, str]) -> Iterator[ConsoleServer]:
    with console_server(WebConfig.from_env(database_url=db_url, page_size=3)) as server:
        yield server


def test_paging_walks_every_lead_once_and_keeps_the_filters(
    small_pages: ConsoleServer, db: Database
) -> None:
    build_world(db)
    params = {"site": "taoji", "sort": "score"}
    want = expected(db, params)
    pages = -(-len(want) // 3)
    seen: list[int] = []
    with small_pages.client() as client:
        sign_in(client, "li")
        url: str | None = "/leads?" + urlencode(params)
        number = 0
        while url:
            number += 1
            answer = page(client, url)
            assert f"{len(want)} lead(s) · page {number} of {pages}" in answer.text
            seen += lead_ids_of(answer.text)
            found = _PAGER.search(answer.text)
            url = html.unescape(found.group(1)) if found else None
            if url:
                assert "site=taoji" in url and "sort=score" in url
        assert number == pages
        # a page past the end shows the last page, not an empty one
        last = page(client, "/leads?" + urlencode({**params, "page": 99}))
        assert lead_ids_of(last.text) == want[(pages - 1) * 3 :]
    assert seen == want


def test_hostile_titles_are_escaped_in_the_queue(console: ConsoleServer, world: LeadWorld) -> None:
    text = page_for(console, "li", "/leads").text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert '"><img src=x onerror=alert(1)>' not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def bulk(console: ConsoleServer, name: str, data: dict[str, Any]) -> Any:
    with console.client() as client:
        sign_in(client, name)
        token = csrf_of(page(client, "/leads").text)
        return client.post("/leads/bulk", data={"csrf_token": token, **data})


def events_of(db: Database, lead_id: int) -> list[LeadEvent]:
    with db.sessions() as session:
        return list(
            session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by("id"))
        )


def test_bulk_assign_by_a_supervisor(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    chosen = [world["t1"], world["t2"], world["b3"]]  # new, triaged, dismissed
    answer = bulk(
        console,
        "wang",
        {"action": "assign", "lead": chosen, "assignee": "zhao", "due": "2099-01-31"},
    )
    assert answer.status_code == 303
    flash = answer.headers["set-cookie"]
    assert "2%20lead%28s%29%20assigned%20to%20Officer%20Zhao" in flash
    assert f"lead%20%23{world['b3']}%20is%20dismissed" in flash  # named, not done
    for lead_id in chosen[:2]:
        assert status_of(db, lead_id) == "assigned"
        last = events_of(db, lead_id)[-1]
        assert (last.action, last.actor, last.to_status) == ("assigned", "wang", "assigned")
        assert last.data["assignee"] == "Officer Zhao"
        assert last.data["deadline"].startswith("2099-01-31T23:59:59")
    # the new lead was triaged on the way, and that is in its history too
    assert [e.to_status for e in events_of(db, world["t1"])][-2:] == ["triaged", "assigned"]
    assert status_of(db, world["b3"]) == "dismissed"


def test_bulk_dismiss_needs_a_reason(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    chosen = [world["t1"], world["t4"]]
    before = len(expected(db, {}))
    assert f"{before} lead(s) · page 1" in page_for(console, "wang", "/leads").text
    refused = bulk(console, "wang", {"action": "dismiss", "lead": chosen, "dismiss_reason": " "})
    assert refused.status_code == 303 and "needs%20a%20reason" in refused.headers["set-cookie"]
    assert [status_of(db, i) for i in chosen] == ["new", "assigned"]
    done = bulk(
        console, "wang", {"action": "dismiss", "lead": chosen, "dismiss_reason": "official store"}
    )
    assert "2%20lead%28s%29%20dismissed" in done.headers["set-cookie"]
    for lead_id in chosen:
        assert status_of(db, lead_id) == "dismissed"
        last = events_of(db, lead_id)[-1]
        assert (last.actor, last.to_status, last.reason) == ("wang", "dismissed", "official store")
    # the queue's count is not one remembered from before the change
    assert f"{before - 2} lead(s) · page 1" in page_for(console, "wang", "/leads").text


def test_officers_cannot_use_bulk_actions(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    text = page_for(console, "li", "/leads").text
    assert 'name="lead"' not in text  # no checkboxes for officers
    answer = bulk(
        console, "li", {"action": "dismiss", "lead": [world["t1"]], "dismiss_reason": "mine now"}
    )
    assert answer.status_code == 403
    assert status_of(db, world["t1"]) == "new"


def test_bulk_without_csrf_token_changes_nothing(
    console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    with console.client() as client:
        sign_in(client, "wang")
        data = {"action": "dismiss", "lead": [world["t1"]], "dismiss_reason": "forged"}
        assert client.post("/leads/bulk", data=data).status_code == 403
        assert client.post("/leads/bulk", data={**data, "csrf_token": "x" * 43}).status_code == 403
    assert status_of(db, world["t1"]) == "new"
    assert [e.action for e in events_of(db, world["t1"])] == ["flagged"]
