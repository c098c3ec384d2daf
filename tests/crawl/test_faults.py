"""Each fault a marketplace throws ends a patrol with the right stats and nothing lost."""

from __future__ import annotations

import pytest

from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

SEED = 11
LISTINGS = 80
HOUR = 9.0


def _truth(site: str = "taoji") -> set[str]:
    return {t["id"] for t in ground_truth(site, SEED, LISTINGS, hour=HOUR)}


@pytest.mark.parametrize(
    ("preset", "evidence_key"),
    [
        ("errors", "retry/reason_count/500"),
        ("ratelimit", "patrol/throttled"),
        ("drop", "retry/count"),
        ("truncate", "patrol/truncated_pages"),
        ("slow", "response_received_count"),
    ],
)
def test_recoverable_faults_lose_nothing(home: PatrolHome, preset: str, evidence_key: str) -> None:
    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults=preset
    ) as fx:
        result = home.patrol(
            "taoji",
            fx.base_url("taoji"),
            "-s",
            "RETRY_TIMES=8",
            "-s",
            "PATROL_TRUNCATED_RETRY_TIMES=8",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.summary["status"] == "finished"
    assert result.listing_ids == _truth()
    assert result.stats.get(evidence_key, 0) > 0
    assert result.summary["blocked_pages"] == 0
    if preset == "ratelimit":
        # each 429 waited (Retry-After: 1) before its retry
        assert result.stats["patrol/throttled_wait_seconds"] >= result.stats["patrol/throttled"]
    if preset == "truncate":
        # every cut-off page was fetched again until whole: nothing read from half a page
        assert result.stats.get("patrol/incomplete_pages", 0) == 0


def test_truncated_pages_yield_what_they_hold_with_a_warning(home: PatrolHome) -> None:
    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults="truncate"
    ) as fx:
        result = home.patrol("taoji", fx.base_url("taoji"), "-s", "PATROL_TRUNCATED_RETRY_TIMES=0")
    assert result.returncode == 0, result.stderr[-3000:]
    stats = result.stats
    assert stats["patrol/truncated_pages"] > 0
    assert stats["patrol/incomplete_pages"] > 0
    assert result.summary["validation_warnings"] > 0
    incomplete = [i for i in result.items if "title" in i and i["price"] is None]
    assert incomplete, "some listing pages were cut before their price"
    assert result.listing_ids <= _truth()
    stored = {row.listing_id for row in home.listing_rows("taoji")}
    assert {i["listing_id"] for i in incomplete} <= stored  # kept, not dropped
    # a patrol that may have missed listings does not call anything gone
    assert stats.get("patrol/listings_gone", 0) == 0


@pytest.mark.parametrize("preset", ["block", "blockafter"])
def test_blocked_patrol_ends_blocked(home: PatrolHome, preset: str) -> None:
    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults=preset
    ) as fx:
        result = home.patrol("taoji", fx.base_url("taoji"))
    assert result.returncode == 1
    assert result.summary["status"] == "blocked"
    assert result.summary["blocked_pages"] > 0
    assert result.stats["patrol/blocked_requests"] > 0
    assert result.listing_ids < _truth()  # it did not see everything...
    assert result.stats.get("patrol/listings_gone", 0) == 0  # ...so nothing is called gone
    if preset == "block":
        assert result.summary["listings"] == 0
        # it gave up instead of hammering a site that blocks it
        assert result.stats["patrol/blocked_pages"] <= 20


def test_unreachable_site_is_no_clean_patrol(home: PatrolHome) -> None:
    import socket

    with socket.socket() as probe:  # a free port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = home.patrol("taoji", f"http://127.0.0.1:{port}", "-s", "RETRY_TIMES=1")
    assert result.returncode == 1
    assert result.summary["status"] == "unreachable"
    assert result.summary["errors"] > 0 and result.summary["listings"] == 0


def test_an_incomplete_page_never_overwrites_a_stored_listing(home: PatrolHome) -> None:
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR) as fx:
        first = home.patrol("taoji", fx.base_url("taoji"))
    assert first.returncode == 0, first.stderr[-3000:]
    before = {row.listing_id: row for row in home.listing_rows("taoji")}
    assert all(row.title and row.price is not None for row in before.values())

    with serve_marketplaces(
        sites=("taoji",), seed=SEED, listings=LISTINGS, hour=HOUR, faults="truncate"
    ) as fx:  # the same listings, cut off this time, and not fetched again
        second = home.patrol("taoji", fx.base_url("taoji"), "-s", "PATROL_TRUNCATED_RETRY_TIMES=0")
    assert second.returncode == 0, second.stderr[-3000:]
    incomplete = {i["listing_id"] for i in second.items if not i["title"] or i["price"] is None}
    assert incomplete, "some listing pages were cut before their title or price"
    assert second.stats["patrol/listings_kept"] == len(incomplete)
    assert second.summary["kept"] == len(incomplete)
    assert all(i["missing_fields"] for i in second.items if i["listing_id"] in incomplete)
    after = {row.listing_id: row for row in home.listing_rows("taoji")}
    for listing_id in incomplete:
        was, now = before[listing_id], after[listing_id]
        assert (now.title, now.price, now.content_hash) == (was.title, was.price, was.content_hash)
        assert (now.score, now.flagged) == (was.score, was.flagged)
        assert now.last_seen_at > was.last_seen_at and now.status == "active"  # seen, not gone
