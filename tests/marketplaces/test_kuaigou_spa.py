"""kuaigou's data exists only after JavaScript runs: absent from HTML, present in Chromium."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from patrol.marketplaces.server import FixtureServers

from .conftest import fetch

CHROMIUM = os.environ.get("PATROL_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _some_listing(fx: FixtureServers) -> dict[str, object]:
    feed = json.loads(fetch(fx.base_url("kuaigou") + "/api/feed?cat=all&page=1").body)
    item = feed["items"][2]
    return json.loads(fetch(fx.base_url("kuaigou") + f"/api/item/{item['id']}").body)


def test_plain_fetch_has_no_listing_data(fx: FixtureServers) -> None:
    listing = _some_listing(fx)
    page = fetch(fx.base_url("kuaigou") + str(listing["url"]))
    assert page.status == 200
    text = page.text()
    assert '<div id="app">' in text and "/static/app.js" in text
    for value in (
        listing["title"],
        listing["price"],
        listing["description"],
        listing["shop"]["name"],
    ):  # type: ignore[index]
        assert str(value) not in text
    home = fetch(fx.base_url("kuaigou") + "/").text()
    assert "kg-card" not in home and str(listing["id"]) not in home


def test_static_files_are_self_contained(fx: FixtureServers) -> None:
    js = fetch(fx.base_url("kuaigou") + "/static/app.js")
    assert js.status == 200 and "javascript" in js.headers["Content-Type"]
    assert b"http://" not in js.body and b"https://" not in js.body
    shell = fetch(fx.base_url("kuaigou") + "/").body
    assert b"https://" not in shell and b"//cdn" not in shell


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.mark.browser
def test_chromium_renders_the_listing(fx: FixtureServers, browser) -> None:  # type: ignore[no-untyped-def]
    listing = _some_listing(fx)
    page = browser.new_page()
    try:
        page.goto(fx.base_url("kuaigou") + str(listing["url"]))
        page.wait_for_selector(".kg-detail, .kg-gone, .kg-notfound, #captcha")
        assert page.inner_text(".kg-title") == listing["title"]
        assert page.get_attribute(".kg-price", "data-price") == listing["price"]
        assert page.get_attribute(".kg-price", "data-currency") == "CNY"
        assert page.inner_text(".kg-shop-name") == listing["shop"]["name"]  # type: ignore[index]
        assert page.inner_text(".kg-category") == listing["category"]
        assert page.get_attribute("body", "data-state") == "ready"
    finally:
        page.close()


@pytest.mark.browser
def test_chromium_grid_loads_more(fx: FixtureServers, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(fx.base_url("kuaigou") + "/")
        page.wait_for_selector(".kg-card")
        first = page.locator(".kg-card").count()
        page.click("#kg-load-more")
        page.wait_for_function(f"document.querySelectorAll('.kg-card').length > {first}")
        ids = page.eval_on_selector_all(".kg-card", "els => els.map(e => e.dataset.id)")
        expected: list[str] = []
        cursor: int | None = 0
        while cursor is not None and len(expected) < len(ids):
            feed = json.loads(
                fetch(f"{fx.base_url('kuaigou')}/api/feed?cat=all&cursor={cursor}&limit=20").body
            )
            expected += [item["id"] for item in feed["items"]]
            cursor = feed["next_cursor"]
        # scrolling may have loaded a further batch on its own: compare what is there
        assert len(ids) > first and ids == expected[: len(ids)]
        assert page.get_attribute("a.kg-next", "href") == "?page=2"
    finally:
        page.close()
