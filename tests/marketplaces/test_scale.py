"""A million listings cost nothing up front: slots are made when a page needs them."""

from __future__ import annotations

import json

from patrol.marketplaces import serve_marketplaces
from patrol.marketplaces.population import World

from .conftest import fetch


def test_a_million_listings_are_generated_lazily() -> None:
    world = World("taoji", 9, 1_000_000)
    assert world.slot.cache_info().currsize == 0  # type: ignore[attr-defined]
    last = world.slot(999_999)
    assert last and world.by_id(last[0].listing_id) == last[0]
    assert world.slot.cache_info().currsize == 1  # type: ignore[attr-defined]
    assert world.by_id(world.ids.encode(2_000_000)) is None  # beyond the last slot
    for index in range(0, 1_000_000, 20):
        world.slot(index)
    info = world.slot.cache_info()  # type: ignore[attr-defined]
    assert info.maxsize is not None and info.currsize <= info.maxsize < 100_000


def test_a_million_listing_server_serves_its_last_pages() -> None:
    with serve_marketplaces(sites=("taoji", "kuaigou"), seed=9, listings=1_000_000) as fx:
        taoji = fx.base_url("taoji")
        first = fetch(taoji + "/list").body.decode("gbk")
        assert '<span class="tj-total-pages">25000</span>' in first
        last = fetch(taoji + "/list?page=25000").body.decode("gbk")
        assert 'class="tj-card"' in last and 'class="tj-page tj-next"' not in last
        feed = json.loads(fetch(fx.base_url("kuaigou") + "/api/feed?cat=all&page=50000").body)
        assert feed["pages"] == 50000 and feed["next_cursor"] is None and feed["items"]
        assert fx.world("taoji").slot.cache_info().currsize < 200  # type: ignore[attr-defined]
