"""The simulated day: listings come and go, prices move, relists come back as new ids."""

from __future__ import annotations

import json
import time

from patrol.marketplaces import SimClock, fixture_listings, ground_truth, serve_marketplaces

from .conftest import fetch


def _feed_ids(base: str) -> set[str]:
    ids: set[str] = set()
    cursor: int | None = 0
    while cursor is not None:
        data = json.loads(fetch(f"{base}/api/feed?cat=all&cursor={cursor}&limit=50").body)
        ids |= {item["id"] for item in data["items"]}
        cursor = data["next_cursor"]
    return ids


def test_the_clock_moves_listings_in_and_out() -> None:
    with serve_marketplaces(sites=("kuaigou", "taoji"), seed=4, listings=400, hour=3.0) as fx:
        base = fx.base_url("kuaigou")
        early = _feed_ids(base)
        assert early == {row["id"] for row in ground_truth("kuaigou", 4, 400, hour=3.0)}
        fx.clock.set_hour(21.0)
        late = _feed_ids(base)
        assert late == {row["id"] for row in ground_truth("kuaigou", 4, 400, hour=21.0)}
        assert early - late and late - early  # some went, some came

        gone = next(
            item
            for item in fixture_listings("taoji", 4, 400)
            if item.live_at(3.0) and not item.live_at(21.0)
        )
        taoji = fx.base_url("taoji")
        page = fetch(f"{taoji}{gone.url_path}")
        assert page.status == 410 and "该商品已下架" in page.body.decode("gbk")
        fx.clock.set_hour(3.0)
        assert fetch(f"{taoji}{gone.url_path}").status == 200


def test_relisted_goods_come_back_under_a_new_id() -> None:
    relisted = [item for item in fixture_listings("bazaar", 4, 3000) if item.generation == 1]
    assert relisted
    item = relisted[0]
    original = next(
        i
        for i in fixture_listings("bazaar", 4, 3000)
        if i.index == item.index and i.generation == 0
    )
    assert item.listing_id != original.listing_id
    assert item.title == original.title and item.shop.repeat_offender
    before, after = original.windows[0][1] - 0.25, item.windows[0][0]
    with serve_marketplaces(sites=("bazaar",), seed=4, listings=3000, hour=before) as fx:
        base = fx.base_url("bazaar")
        assert fetch(f"{base}/itm/{original.listing_id}").status == 200
        assert fetch(f"{base}/itm/{item.listing_id}").status != 200
        fx.clock.set_hour(after)
        assert fetch(f"{base}/itm/{original.listing_id}").status == 410
        assert fetch(f"{base}/itm/{item.listing_id}").status == 200


def test_prices_change_during_the_day() -> None:
    changing = next(
        item
        for item in fixture_listings("taoji", 4, 2000)
        if item.price_change and item.live_at(0.0) and item.live_at(23.5)
    )
    hour, new_price = changing.price_change or (0.0, None)
    with serve_marketplaces(sites=("taoji",), seed=4, listings=2000, hour=hour - 0.5) as fx:
        url = fx.base_url("taoji") + changing.url_path
        assert f">{changing.base_price:.2f}<" in fetch(url).body.decode("gbk")
        fx.clock.set_hour(hour)
        assert f">{new_price:.2f}<" in fetch(url).body.decode("gbk")


def test_clock_speed_and_wraparound() -> None:
    clock = SimClock(hour=23.99, speed=3600.0)  # one simulated hour per real second
    time.sleep(0.2)
    assert clock.hour < 12.0  # wrapped past midnight (even on a slow, busy machine)
    clock.set_hour(6.0)
    assert 6.0 <= clock.hour < 18.0
    still = SimClock(hour=5.0)
    time.sleep(0.05)
    assert still.hour == 5.0
