"""Takedown follow-up: a listing whose notice was sent is re-checked every patrol, even when
no result page links it any more, and its lead closes once the marketplace says it is gone."""

from __future__ import annotations

from sqlalchemy import select

from patrol.db import open_database
from patrol.db.models import Lead, ListingRow
from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

SEED = 3
LISTINGS = 200


def _send_notices(home: PatrolHome, listing_ids: set[str]) -> None:
    database = open_database(home.database_url)
    try:
        with database.sessions.begin() as session:
            leads = session.scalars(
                select(Lead)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .where(ListingRow.listing_id.in_(listing_ids))
            ).all()
            assert leads, "the first patrol opened leads for these listings"
            for lead in leads:
                lead.status = "notice_sent"  # test set-up: the officer sent the notice
    finally:
        database.dispose()


def _lead_status(home: PatrolHome) -> dict[str, str]:
    database = open_database(home.database_url)
    try:
        with database.sessions() as session:
            rows = session.execute(
                select(ListingRow.listing_id, Lead.status).join(
                    Lead, Lead.listing_pk == ListingRow.id
                )
            )
            return {listing_id: status for listing_id, status in rows}
    finally:
        database.dispose()


def test_notice_sent_listing_is_rechecked_until_gone(home: PatrolHome) -> None:
    morning = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=6.0)}
    evening = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=20.0)}
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=6.0) as fx:
        first = home.patrol("taoji", fx.base_url("taoji"))
        assert first.returncode == 0, first.stderr[-3000:]
        with_leads = set(_lead_status(home))
        taken_down = sorted(with_leads & (morning - evening))[:2]
        still_up = sorted(with_leads & evening)[:1]
        assert taken_down and still_up
        _send_notices(home, {*taken_down, *still_up})

        fx.clock.set_hour(20.0)
        second = home.patrol("taoji", fx.base_url("taoji"))

    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stats["patrol/rechecks"] == 3
    # the vanished listings were asked for directly and answered "gone"
    assert set(taken_down) <= second.gone_ids
    status = _lead_status(home)
    assert all(status[i] == "closed" for i in taken_down)
    assert status[still_up[0]] == "notice_sent"  # still online: the notice stays open
