"""The listing store: upserts by natural key, snapshots on change, one open lead per listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from patrol.db import Database
from patrol.db.models import Lead, ListingRow, ListingSnapshot, RuleHitRow
from patrol.db.store import ListingStore
from patrol.items import ListingGone
from patrol.leads import workflow
from tests.db.fixtures import make_listing


def _count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_new_unchanged_changed(db: Database) -> None:
    store = ListingStore(db)
    counts = store.store([make_listing(str(i)) for i in range(5)])
    assert (counts.listings_new, counts.listings_changed, counts.listings_unchanged) == (5, 0, 0)

    counts = store.store([make_listing(str(i)) for i in range(5)])
    assert (counts.listings_new, counts.listings_changed, counts.listings_unchanged) == (0, 0, 5)
    assert _count(db, ListingSnapshot) == 5

    changed = make_listing("3", title="Listing 3, now cheaper")
    moved = make_listing("4")
    moved.url = "http://127.0.0.1/shopmall/item/4?from=search"  # same content, new URL
    counts = store.store([changed, moved])
    assert (counts.listings_changed, counts.listings_unchanged) == (1, 1)
    assert _count(db, ListingRow) == 5
    assert _count(db, ListingSnapshot) == 6
    with db.sessions() as session:
        row = session.scalars(select(ListingRow).where(ListingRow.listing_id == "3")).one()
        assert row.title == "Listing 3, now cheaper"
        assert row.shop is not None and row.shop.shop_id == "shop-1"
        url = session.scalars(select(ListingRow.url).where(ListingRow.listing_id == "4")).one()
        assert url.endswith("?from=search")


def test_same_listing_twice_in_one_batch_is_stored_once(db: Database) -> None:
    counts = ListingStore(db).store([make_listing("1"), make_listing("1", title="later")])
    assert counts.listings_new == 1
    with db.sessions() as session:
        assert session.scalars(select(ListingRow.title)).one() == "later"


def test_flagged_listing_gets_one_lead_and_reflagging_updates_it(db: Database) -> None:
    store = ListingStore(db)
    counts = store.store([make_listing("1", score=0.9), make_listing("2", score=0.1)])
    assert counts.leads_new == 1
    assert _count(db, RuleHitRow) == 2  # hits of both verdicts are kept with the snapshot

    counts = store.store([make_listing("1", score=0.9)])  # nothing new: no lead change
    assert (counts.leads_new, counts.leads_updated) == (0, 0)

    counts = store.store([make_listing("1", score=0.95)])  # same content, new score
    assert (counts.leads_new, counts.leads_updated) == (0, 1)
    with db.sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.score == 0.95 and lead.listing.score == 0.95
        assert lead.reasons[0]["rule_id"] == "brand.nike"
        assert [e.action for e in lead.events] == ["flagged", "reflagged"]


def test_listing_gone_closes_notice_sent_lead(db: Database) -> None:
    store = ListingStore(db)
    store.store([make_listing("1", score=0.9)])
    with db.sessions.begin() as session:
        lead = session.scalars(select(Lead)).one()
        for status in ("triaged",):
            workflow.transition(session, lead, status, actor="amy")
        workflow.assign(session, lead, "bob", deadline=None, actor="amy")
        workflow.transition(session, lead, "confirmed", actor="bob")
        workflow.transition(session, lead, "notice_sent", actor="bob")
    checked = datetime(2026, 11, 28, 12, tzinfo=UTC)
    counts = store.store(
        [ListingGone("shopmall", "1", "http://127.0.0.1/x", checked_at=checked, http_status=404)]
    )
    assert (counts.listings_gone, counts.leads_closed) == (1, 1)
    with db.sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.status == "closed"
        assert lead.verified_gone_at == checked
        assert "HTTP 404" in (lead.events[-1].reason or "")

    # the listing comes back under the same id, reworded and scored higher: the lead
    # reopens, flagged relisted, and takes the new score (no second lead)
    counts = store.store([make_listing("1", score=0.95, title="Listing 1 (back)")])
    assert (counts.leads_reopened, counts.leads_new, counts.leads_updated) == (1, 0, 1)
    with db.sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.status, lead.relisted, lead.score) == ("confirmed", True, 0.95)
        assert [e.action for e in lead.events][-2:] == ["reopened", "reflagged"]
        assert session.scalars(select(ListingRow.status)).one() == "active"


def test_relisting_under_new_id_is_linked_to_the_old_lead(db: Database) -> None:
    store = ListingStore(db)
    store.store([make_listing("1", score=0.9, title="NIKE Air", images=["http://i/a.jpg"])])
    with db.sessions.begin() as session:
        lead = session.scalars(select(Lead)).one()
        workflow.transition(session, lead, "triaged", actor="amy")
        workflow.assign(session, lead, "bob", deadline=None, actor="amy")
        workflow.transition(session, lead, "confirmed", actor="bob")
        workflow.transition(session, lead, "notice_sent", actor="bob")
        old_id = lead.id
    # same images, other title, and screening no longer flags it: still linked
    counts = store.store(
        [make_listing("99", score=0.2, title="N1KE Air", images=["http://i/a.jpg?x=1"])]
    )
    assert counts.leads_new == 1
    with db.sessions() as session:
        new = session.scalars(select(Lead).where(Lead.id != old_id)).one()
        assert new.relisted and new.relisted_from_lead_id == old_id
        assert "same images" in (new.events[0].reason or "")


def test_unseen_listings_marked_gone_only_after_a_complete_patrol(db: Database) -> None:
    store = ListingStore(db)
    store.store([make_listing(str(i), score=0.9 if i == 9 else None) for i in range(10)])
    with db.sessions.begin() as session:  # listing 9's lead waits for its takedown
        lead = session.scalars(select(Lead)).one()
        workflow.transition(session, lead, "triaged", actor="amy")
        workflow.assign(session, lead, "bob", deadline=None, actor="amy")
        workflow.transition(session, lead, "confirmed", actor="bob")
        workflow.transition(session, lead, "notice_sent", actor="bob")
    since = datetime.now(UTC) + timedelta(milliseconds=1)
    while datetime.now(UTC) <= since:
        pass
    store.store([make_listing(str(i)) for i in range(3)])  # a partial patrol: 3 of 10
    assert store.mark_unseen_gone("shopmall", since=since, min_coverage=0.8).listings_gone == 0
    store.store([make_listing(str(i)) for i in range(9)])  # 9 of 10 seen
    counts = store.mark_unseen_gone("shopmall", since=since, min_coverage=0.8)
    assert (counts.listings_gone, counts.leads_closed) == (1, 1)
    with db.sessions() as session:
        gone = session.scalars(select(ListingRow.listing_id).where(ListingRow.status == "gone"))
        assert list(gone) == ["9"]
        lead = session.scalars(select(Lead)).one()
        assert lead.status == "closed" and lead.verified_gone_at is not None
        assert "not found by complete patrol of shopmall" in (lead.events[-1].reason or "")


def test_stored_values_round_trip(db: Database) -> None:
    listing = make_listing("rt", score=0.9, images=["http://i/1.jpg", "http://i/2.jpg"])
    listing.attributes = {"颜色": "黑", "size": "42"}
    listing.patent_numbers = ["ZL201510123456.7"]
    ListingStore(db).store([listing])
    with db.sessions() as session:
        row = session.scalars(select(ListingRow)).one()
        assert (row.price, row.currency) == (listing.price, "CNY")
        assert row.image_urls == ["http://i/1.jpg", "http://i/2.jpg"]
        assert row.attributes == {"颜色": "黑", "size": "42"}
        assert row.patent_numbers == ["ZL201510123456.7"]
        assert row.first_seen_at.tzinfo is not None and row.status == "active"
        snapshot = session.scalars(select(ListingSnapshot)).one()
        assert snapshot.data["price"] == "19.90" and snapshot.data["title"] == "Listing rt"
        assert snapshot.data["verdict"]["hits"][0]["rule_id"] == "brand.nike"
        assert snapshot.captured_at == listing.fetched_at
        hit = session.scalars(select(RuleHitRow)).one()
        assert (hit.snapshot_id, hit.registry_number) == (snapshot.id, "123")
