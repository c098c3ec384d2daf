"""The ground truth says what the pages show, and the population is what the brief asks."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from decimal import Decimal

from patrol.marketplaces import fixture_listings, fixture_registry, ground_truth
from patrol.marketplaces.catalogue import brands
from patrol.marketplaces.patents import cn_check_digit
from patrol.marketplaces.server import FixtureServers

from .conftest import LISTINGS, SEED, fetch

FIELDS = {
    "id",
    "title",
    "price",
    "currency",
    "category",
    "description",
    "shop",
    "marketplace",
    "brand",
    "expect",
    "target_brand",
    "note",
}


def _one(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text, re.S)
    return html.unescape(found.group(1)) if found else None


def test_taoji_pages_show_the_truth(fx: FixtureServers) -> None:
    hour = fx.clock.hour
    rows = list(ground_truth("taoji", SEED, LISTINGS, hour=hour))
    base = fx.base_url("taoji")
    for row in rows[::15]:
        text = fetch(f"{base}/item/{row['id']}.html").body.decode("gbk")
        assert _one(r'<h1 class="tj-title">(.*?)</h1>', text) == row["title"]
        assert _one(r'<span class="tj-price-value">(.*?)</span>', text) == row["price"]
        assert _one(r'<td class="tj-category">(.*?)</td>', text) == row["category"]
        assert _one(r'<td class="tj-brand">(.*?)</td>', text) == row["brand"]
        assert _one(r'<div class="tj-desc">(.*?)</div>', text) == row["description"]
        assert f'href="/shop/{row["shop"]}.html"' in text


def test_taoji_list_pages_hold_exactly_the_live_listings(fx: FixtureServers) -> None:
    hour = fx.clock.hour
    truth = {row["id"]: row for row in ground_truth("taoji", SEED, LISTINGS, hour=hour)}
    base = fx.base_url("taoji")
    seen: dict[str, str] = {}
    page = 1
    while True:
        text = fetch(f"{base}/list?page={page}").body.decode("gbk")
        for listing_id, title in re.findall(
            r'<li class="tj-card" data-id="(\d+)">.*?<span class="tj-card-title">(.*?)</span>', text
        ):
            seen[listing_id] = html.unescape(title)
        if 'class="tj-page tj-next"' not in text:
            break
        page += 1
    assert seen == {k: v["title"] for k, v in truth.items()}


def test_bazaar_and_kuaigou_show_the_truth(fx: FixtureServers) -> None:
    hour = fx.clock.hour
    bz = fx.base_url("bazaar")
    for row in list(ground_truth("bazaar", SEED, LISTINGS, hour=hour))[::20]:
        text = fetch(f"{bz}/itm/{row['id']}").text()
        assert _one(r'<h1 class="bz-title" itemprop="name">(.*?)</h1>', text) == row["title"]
        assert (
            _one(r'class="bz-price-value" itemprop="price" content="(.*?)"', text) == row["price"]
        )
        assert _one(r'<dd class="bz-category">(.*?)</dd>', text) == row["category"]
        assert row["currency"] == "USD" and 'content="USD"' in text
        assert f'href="/usr/{row["shop"]}"' in text
    kg = fx.base_url("kuaigou")
    for row in list(ground_truth("kuaigou", SEED, LISTINGS, hour=hour))[::20]:
        data = json.loads(fetch(f"{kg}/api/item/{row['id']}").body)
        assert (data["title"], data["price"], data["category"]) == (
            row["title"],
            row["price"],
            row["category"],
        )
        assert (data["shop"]["id"], data["brand"], data["description"]) == (
            row["shop"],
            row["brand"],
            row["description"],
        )


def test_rows_have_the_corpus_format() -> None:
    for site, currency in (("taoji", "CNY"), ("kuaigou", "CNY"), ("bazaar", "USD")):
        for row in ground_truth(site, 2, 200):
            assert set(row) == FIELDS
            assert row["expect"] in ("flag", "clear") and row["title"]
            assert row["currency"] == currency and row["marketplace"] == site
            assert Decimal(row["price"]) > 0
            assert " — " in row["note"]


def test_population_mix() -> None:
    for site in ("taoji", "kuaigou", "bazaar"):
        listings = list(fixture_listings(site, 5, 4000))
        share = sum(item.expect == "flag" for item in listings) / len(listings)
        assert 0.25 <= share <= 0.35, (site, share)
        kinds = Counter(item.kind for item in listings)
        expected = {
            "genuine_official",
            "genuine_authorised",
            "genuine_reseller",
            "generic",
            "compatible_accessory",
            "homonym",
            "replica_slang",
            "misspelt",
            "lookalike",
            "split",
            "price_below_floor",
            "same_style",
            "false_patent",
        }
        if site != "bazaar":
            expected |= {"pinyin", "homophone", "traditional"}
        assert expected <= set(kinds), expected - set(kinds)
        assert any("relisted, was" in item.note for item in listings)
        english = sum(bool(re.fullmatch(r"[\x00-\x7f]+", item.title)) for item in listings)
        if site != "bazaar":
            assert 0.05 < english / len(listings) < 0.4


def test_brands_are_covered() -> None:
    assert len(brands()) >= 50
    names = {b.en for b in brands()}
    for required in (
        "Nike",
        "Adidas",
        "Apple",
        "Louis Vuitton",
        "Hermès",
        "Rolex",
        "SK-II",
        "Kweichow Moutai",
        "Canada Goose",
        "The North Face",
        "Estée Lauder",
    ):
        assert required in names
    targeted = Counter(
        (item.target_brand, item.expect) for item in fixture_listings("taoji", 5, 20000)
    )
    flagged = {brand for brand, expect in targeted if expect == "flag"}
    cleared = {brand for brand, expect in targeted if expect == "clear"}
    assert len(flagged & cleared) >= 50


def test_counterfeit_prices_sit_below_the_floor_and_genuine_above() -> None:
    by_id = {b.id: b for b in brands()}
    for item in fixture_listings("taoji", 5, 3000):
        if item.kind in ("price_below_floor",):
            assert item.base_price < by_id[item.target_brand].floor("CNY") * Decimal("0.6")
        if item.kind.startswith("genuine"):
            assert item.price_at(23.9) >= by_id[item.target_brand].floor("CNY")


def test_false_patent_marks_are_false_and_genuine_ones_hold() -> None:
    registry = {p.number: p for p in fixture_registry(5).patents}

    def canonical(printed: str) -> str:
        if printed[:2] in ("ZL", "CN"):
            return "CN" + re.sub(r"[^0-9X.]", "", printed)
        return "US" + re.sub(r"[^0-9]", "", printed)

    seen = Counter()
    for item in fixture_listings("bazaar", 5, 6000):
        for printed in item.patent_numbers:
            number = canonical(printed)
            record = registry.get(number)
            if item.kind == "false_patent":
                how = item.note.split(" — ")[1].split(":")[0]
                seen[how] += 1
                if how == "wrong check digit":
                    body = number[2:14]
                    assert number[-1] != cn_check_digit(body)
                elif how == "unknown patent":
                    assert record is None
                elif how == "expired patent":
                    assert record is not None and record.status == "expired"
                else:
                    assert record is not None and record.status == "in_force"
                    assert item.brand and item.brand.split("/")[-1] not in (record.holder or "")
            else:
                assert record is not None and record.status == "in_force", (printed, item.note)
    assert set(seen) == {
        "wrong check digit",
        "unknown patent",
        "expired patent",
        "held by another holder",
    }


def test_cn_check_digit() -> None:
    assert cn_check_digit("201710601862") == "3"  # a published example
    assert cn_check_digit("88201465") == "X"  # old 8-digit style, ZL88201465.X
