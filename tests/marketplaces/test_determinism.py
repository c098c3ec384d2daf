"""Same seed, same bytes; another seed, another world."""

from __future__ import annotations

import json

from patrol.marketplaces import ground_truth, serve_marketplaces

from .conftest import fetch


def _pages(seed: int) -> dict[str, bytes]:
    with serve_marketplaces(seed=seed, listings=200, hour=9.5) as fx:
        taoji, kuaigou, bazaar = (fx.base_url(s) for s in ("taoji", "kuaigou", "bazaar"))
        first = fx.world("taoji").live(0, 9.5) or fx.world("taoji").live(1, 9.5)
        assert first is not None
        feed = fetch(f"{kuaigou}/api/feed?cat=all&page=1")
        kg_id = json.loads(feed.body)["items"][0]["id"]
        bz_listing = fx.world("bazaar").live(5, 9.5) or fx.world("bazaar").live(6, 9.5)
        assert bz_listing is not None
        return {
            "taoji list": fetch(f"{taoji}/list?page=2").body,
            "taoji item": fetch(f"{taoji}{first.url_path}").body,
            "taoji category": fetch(f"{taoji}/category/sneakers").body,
            "kuaigou feed": feed.body,
            "kuaigou item": fetch(f"{kuaigou}/api/item/{kg_id}").body,
            "bazaar browse": fetch(f"{bazaar}/b/all?_pgn=3").body,
            "bazaar item": fetch(f"{bazaar}{bz_listing.url_path}").body,
            "bazaar seller": fetch(f"{bazaar}/usr/{bz_listing.shop.id}").body,
        }


def test_same_seed_gives_byte_identical_pages() -> None:
    first, second = _pages(11), _pages(11)
    assert first.keys() == second.keys()
    for name in first:
        assert len(first[name]) > 500 or name.startswith("kuaigou"), name
        assert first[name] == second[name], f"{name} differs between two runs with one seed"


def test_another_seed_gives_another_world() -> None:
    first, other = _pages(11), _pages(12)
    differing = [name for name in first if first[name] != other[name]]
    assert len(differing) >= 6, differing
    assert list(ground_truth("taoji", 11, 50)) != list(ground_truth("taoji", 12, 50))


def test_ground_truth_is_deterministic() -> None:
    for site in ("taoji", "kuaigou", "bazaar"):
        once = list(ground_truth(site, 3, 400, hour=7.0))
        again = list(ground_truth(site, 3, 400, hour=7.0))
        assert once == again
