"""Incremental patrols over the simulated day: new, changed, unchanged and gone listings."""

from __future__ import annotations

from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

SEED = 3
LISTINGS = 200


def _truth(hour: float) -> dict[str, dict]:
    return {t["id"]: t for t in ground_truth("taoji", SEED, LISTINGS, hour=hour)}


def test_second_patrol_sees_what_changed(home: PatrolHome) -> None:
    morning, evening = _truth(6.0), _truth(20.0)
    vanished = set(morning) - set(evening)
    appeared = set(evening) - set(morning)
    both = set(morning) & set(evening)
    changed = {i for i in both if morning[i]["price"] != evening[i]["price"]}
    assert vanished and appeared and changed, "the fixture day moves listings"

    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=6.0) as fx:
        first = home.patrol("taoji", fx.base_url("taoji"))
        fx.clock.set_hour(20.0)
        second = home.patrol("taoji", fx.base_url("taoji"))
        third = home.patrol("taoji", fx.base_url("taoji"))

    for result in (first, second, third):
        assert result.returncode == 0, result.stderr[-3000:]
    assert first.stats["patrol/listings_new"] == len(morning)

    stats = second.stats
    assert second.listing_ids == set(evening)
    assert stats["patrol/listings_new"] == len(appeared)
    assert stats["patrol/listings_changed"] == len(changed)
    assert stats["patrol/listings_unchanged"] == len(both) - len(changed)
    assert stats["patrol/listings_gone"] == len(vanished)

    rows = {row.listing_id: row for row in home.listing_rows("taoji")}
    assert {i for i, r in rows.items() if r.status == "gone"} == vanished
    assert {i for i, r in rows.items() if r.status == "active"} == set(evening)

    # nothing moved between the second and third patrol: nothing re-stored
    assert third.stats.get("patrol/listings_new", 0) == 0
    assert third.stats.get("patrol/listings_changed", 0) == 0
    assert third.stats["patrol/listings_unchanged"] == len(evening)
