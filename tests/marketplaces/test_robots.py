"""Each site publishes robots.txt rules that a polite crawler (Protego, as Scrapy) obeys."""

from __future__ import annotations

import pytest
from protego import Protego

from patrol.marketplaces.server import FixtureServers

from .conftest import fetch

UA = "ListingPatrol"
CASES = {
    "taoji": (
        ["/list", "/category/sneakers?page=2", "/item/600000000001.html", "/search?q=x"],
        ["/cart", "/member/login", "/go/ad?id=3", "/list?sort=price", "/search?q=x&sort=price"],
    ),
    "kuaigou": (
        ["/", "/item/kg00000001", "/api/feed?cat=all"],
        ["/cart", "/api/internal/stats", "/account/"],
    ),
    "bazaar": (
        ["/b/all?_pgn=2", "/itm/200000000001", "/usr/someone", "/sch?_nkw=nike"],
        ["/cart", "/myb/summary", "/bid/200000000001", "/go/promo"],
    ),
}


@pytest.mark.parametrize("site", sorted(CASES))
def test_robots_rules(fx: FixtureServers, site: str) -> None:
    base = fx.base_url(site)
    page = fetch(base + "/robots.txt")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/plain")
    rules = Protego.parse(page.text())
    allowed, disallowed = CASES[site]
    for path in allowed:
        assert rules.can_fetch(base + path, UA), path
    for path in disallowed:
        assert not rules.can_fetch(base + path, UA), path


def test_bad_bots_are_shut_out(fx: FixtureServers) -> None:
    rules = Protego.parse(fetch(fx.base_url("taoji") + "/robots.txt").text())
    assert not rules.can_fetch(fx.base_url("taoji") + "/list", "BadBot")


def test_disallowed_paths_answer_but_give_nothing(fx: FixtureServers) -> None:
    assert fetch(fx.base_url("taoji") + "/go/ad?id=1").status == 403
    assert fetch(fx.base_url("kuaigou") + "/api/internal/x").status == 403
    assert fetch(fx.base_url("bazaar") + "/cart").status == 403


def test_the_server_notes_every_fetch_its_robots_txt_disallows(fx: FixtureServers) -> None:
    before = fx.requests("kuaigou")
    fetch(fx.base_url("kuaigou") + "/api/internal/track?item=kg00000001")
    fetch(fx.base_url("kuaigou") + "/item/kg00000001")
    assert fx.disallowed("kuaigou")[-1:] == ["/api/internal/track?item=kg00000001"]
    assert fx.requests("kuaigou") == before + 1  # a refused path draws no fault
