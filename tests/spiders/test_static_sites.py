"""Patrols of the server-rendered fixture sites (taoji in GBK, bazaar in English).

Each patrol must find every listing live at the simulated hour, with its fields exactly as
the ground truth has them, without ever starting a browser.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

SEED = 7
LISTINGS = 160
HOUR = 10.0


@pytest.mark.parametrize("site", ["taoji", "bazaar"])
def test_patrol_finds_every_live_listing(home: PatrolHome, site: str) -> None:
    truth = {t["id"]: t for t in ground_truth(site, SEED, LISTINGS, hour=HOUR)}
    with serve_marketplaces(sites=(site,), seed=SEED, listings=LISTINGS, hour=HOUR) as fx:
        result = home.patrol(site, fx.base_url(site))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.summary["status"] == "finished"

    found = {item["listing_id"]: item for item in result.items if "title" in item}
    assert set(found) == set(truth)
    assert result.summary["listings"] == len(truth)
    for listing_id, expected in truth.items():
        item = found[listing_id]
        assert item["title"] == expected["title"]
        assert Decimal(str(item["price"])) == Decimal(expected["price"])
        assert item["currency"] == expected["currency"]
        assert item["brand"] == expected["brand"]
        assert item["category"] == expected["category"]
        assert item["shop_id"] == expected["shop"]
        assert len(item["body_sha256"]) == 64
        assert "capture" not in item or item["capture"] is None

    # server-rendered: no browser was started, no request went through one
    assert result.summary["rendered_pages"] == 0
    assert not any(key.startswith("playwright/") for key in result.stats)
    # every live listing is in the database once, and the run is recorded
    rows = home.listing_rows(site)
    assert {row.listing_id for row in rows} == set(truth)
    assert result.stats.get("patrol/listings_new") == len(truth)


def test_gbk_text_arrives_intact(home: PatrolHome) -> None:
    truth = list(ground_truth("taoji", SEED, 120, hour=HOUR))
    chinese = [t for t in truth if any("\u4e00" <= ch <= "\u9fff" for ch in t["title"])]
    assert chinese, "the fixture has Chinese titles"
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=120, hour=HOUR) as fx:
        result = home.patrol("taoji", fx.base_url("taoji"))
    by_id = {item["listing_id"]: item for item in result.items if "title" in item}
    for expected in chinese:
        item = by_id[expected["id"]]
        assert item["title"] == expected["title"]
        assert item["description"] is not None
        assert "\ufffd" not in item["title"] + item["description"]
    stored = {row.listing_id: row.title for row in home.listing_rows("taoji")}
    assert all(stored[t["id"]] == t["title"] for t in chinese)


def test_bazaar_auction_fields(home: PatrolHome) -> None:
    with serve_marketplaces(sites=("bazaar",), seed=SEED, listings=120, hour=HOUR) as fx:
        result = home.patrol("bazaar", fx.base_url("bazaar"))
    listings = [item for item in result.items if "title" in item]
    formats = {item["attributes"].get("format") for item in listings}
    assert formats == {"Buy It Now", "Auction"}
    auctions = [item for item in listings if item["attributes"].get("format") == "Auction"]
    assert all(item["attributes"].get("bids", "").isdigit() for item in auctions)
    assert all(item["attributes"].get("feedback_score", "").isdigit() for item in listings)
