"""Leads for the console's queue and lead-page tests, written as production writes them.

Listings go through the real :class:`ListingStore` (which opens the leads); assignments,
dismissals and deadlines go through the workflow. Evidence, when asked for, is written by
the evidence pipeline's own :func:`store_evidence`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Lead, ListingRow
from patrol.db.store import ListingStore
from patrol.items import PageCapture
from patrol.leads.workflow import assign, get_lead, transition
from pipelines.evidence import store_evidence
from tests.cli.seed import hostile_listing, make_verdict
from tests.db.fixtures import make_listing

__all__ = ["HOSTILE", "LeadWorld", "build_world", "lead_ids_of", "page", "status_of", "store_page"]

HOSTILE = ("<script>alert(1)</script> Nike", '"><img src=x onerror=alert(1)> Nike')
_ROW = re.compile(r'data-lead="(\d+)"')


@dataclass(frozen=True)
class LeadWorld:
    leads: dict[str, int]  # listing id → lead id

    def __getitem__(self, listing_id: str) -> int:
        return self.leads[listing_id]


def build_world(db: Database) -> LeadWorld:
    """Fourteen leads on two sites and three shops, in every open state and two closed.

    - ``t1``…``t6`` on taoji (shop ``s1``), ``b1``…``b4`` on bazaar (shop ``s2``); ``a*``
      flag ``adidas``, the rest ``nike``; scores spread so every sort order differs.
    - ``t2`` triaged; ``t3`` assigned to Officer Li (overdue); ``t4`` assigned to Officer
      Zhao (due in a week); ``b2`` assigned to ``li`` by login name; ``b3`` dismissed;
      ``t5`` confirmed (Officer Li, no deadline).
    - ``h0``/``h1`` carry hostile titles (taoji, shop ``evil-shop``).
    """
    items = []
    for n, score in enumerate((0.91, 0.72, 0.88, 0.65, 0.97, 0.61), start=1):
        items.append(make_listing(f"t{n}", marketplace="taoji", score=score, shop_id="s1"))
    for n, score in enumerate((0.83, 0.79, 0.69, 0.99), start=1):
        items.append(make_listing(f"b{n}", marketplace="bazaar", score=score, shop_id="s2"))
    for n, score in enumerate((0.75, 0.95), start=1):
        listing = make_listing(f"a{n}", marketplace="bazaar", score=score, shop_id="s3")
        listing.verdict = make_verdict(score, brand="adidas")
        items.append(listing)
    items += [hostile_listing(n, title) for n, title in enumerate(HOSTILE)]
    ListingStore(db).store(items)
    now = datetime.now(UTC)
    with db.sessions.begin() as session:
        ids = {
            listing_id: lead_id
            for listing_id, lead_id in session.execute(
                select(ListingRow.listing_id, Lead.id).join(Lead, Lead.listing_pk == ListingRow.id)
            )
        }

        def lead(listing_id: str) -> Lead:
            return get_lead(session, ids[listing_id])

        for listing_id in ("t2", "t3", "t4", "b2", "t5"):
            transition(session, lead(listing_id), "triaged", actor="seed")
        assign(session, lead("t3"), "Officer Li", deadline=now - timedelta(days=2), actor="seed")
        assign(session, lead("t4"), "Officer Zhao", deadline=now + timedelta(days=7), actor="seed")
        assign(session, lead("b2"), "li", deadline=now + timedelta(days=1), actor="seed")
        assign(session, lead("t5"), "Officer Li", deadline=None, actor="seed")
        transition(session, lead("t5"), "confirmed", actor="seed")
        transition(session, lead("b3"), "dismissed", actor="seed", reason="official shop")
    return LeadWorld(leads=ids)


def lead_ids_of(html: str) -> list[int]:
    """The lead ids of a queue page's rows, in page order."""
    return [int(found) for found in _ROW.findall(html)]


def store_page(
    db: Database,
    evidence_dir: Path,
    listing_id: str,
    body: bytes,
    *,
    title: str = "Nike evidence",
    headers: dict[str, str] | None = None,
    screenshot: bytes | None = None,
) -> int:
    """Store ``body`` as a flagged listing's evidence (as the pipeline does); its lead id."""
    capture = PageCapture(
        url=f"http://127.0.0.1/taoji/item/{listing_id}",
        status=200,
        headers=headers or {"Content-Type": "text/html; charset=utf-8"},
        body=body,
        fetched_at=datetime.now(UTC),
        screenshot=screenshot,
    )
    sha256, path = store_evidence(capture, evidence_dir)
    listing = make_listing(listing_id, marketplace="taoji", title=title, score=0.9)
    listing.body_sha256, listing.evidence_path = sha256, path
    ListingStore(db).store([listing])
    with db.sessions() as session:
        return int(
            session.scalars(
                select(Lead.id)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .where(ListingRow.listing_id == listing_id)
            ).one()
        )


def status_of(db: Database, lead_id: int) -> str:
    with db.sessions() as session:
        return get_lead(session, lead_id, for_update=False).status


def page(client: httpx.Client, url: str) -> httpx.Response:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:500])
    return answer
