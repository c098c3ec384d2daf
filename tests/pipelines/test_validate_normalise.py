"""Validate drops what cannot be a listing (counted by reason); normalise tidies fields
without touching what screening must see; screen attaches a verdict."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from patrol.items import Listing, ListingGone
from pipelines.normalise import NormalisePipeline, parse_price
from pipelines.screen import ScreenPipeline
from pipelines.validate import ValidatePipeline


def _listing(**fields: Any) -> Listing:
    return Listing(**{"marketplace": "m", "listing_id": "1", "url": "http://127.0.0.1/1", **fields})


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"a": 1}, "not_a_listing"),
        (_listing(marketplace=""), "marketplace"),
        (_listing(listing_id="  "), "listing_id"),
        (_listing(listing_id="x" * 201), "listing_id"),
        (_listing(url="javascript:alert(1)"), "url"),
        (_listing(url="http://"), "url"),
        (ListingGone("m", "1", "ftp://x/1", datetime.now(UTC)), "url"),
    ],
)
def test_validate_drops_and_counts(item: Any, reason: str) -> None:
    crawler = get_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=f"invalid {reason}"):
        pipeline.process_item(item)
    assert crawler.stats.get_value(f"patrol/invalid/{reason}") == 1  # type: ignore[union-attr]


def test_validate_keeps_a_listing_without_title_but_warns() -> None:
    crawler = get_crawler()
    item = _listing(title=None)
    assert ValidatePipeline.from_crawler(crawler).process_item(item) is item
    assert crawler.stats.get_value("patrol/validation_warnings") == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "price", "currency"),
    [
        ("¥1,299.00", Decimal("1299.00"), "CNY"),
        ("￥ 59", Decimal("59"), "CNY"),
        ("US$ 12.50", Decimal("12.50"), "USD"),
        ("1.299,95 €", Decimal("1299.95"), "EUR"),
        ("12,50 EUR", Decimal("12.50"), "EUR"),
        ("价格 88 元", Decimal("88"), "CNY"),
        ("call for price", None, None),
        ("-5", Decimal("5"), None),
    ],
)
def test_parse_price(text: str, price: Decimal | None, currency: str | None) -> None:
    assert parse_price(text) == (price, currency)


def test_normalise_tidies_fields_but_keeps_evasion_characters() -> None:
    crawler = get_crawler(settings_dict={"PATROL_DEFAULT_CURRENCY": "CNY"})
    # zero-width space and Cyrillic А stay; BEL and a C1 CSI (a terminal's escape) go
    title = "  N\u200bIKE   Аir\tMax \x07\x9b31m "
    item = _listing(
        title=title,
        price="¥ 1,299",  # type: ignore[arg-type]
        description="line one\r\nline two  ",
        image_urls=[" http://i/1.jpg", "http://i/1.jpg", ""],
        patent_numbers=[" ZL201510123456.7 ", ""],
        currency="rmb",
    )
    NormalisePipeline.from_crawler(crawler).process_item(item)
    assert item.title == "N\u200bIKE Аir Max 31m"
    assert (item.price, item.currency) == (Decimal("1299"), "CNY")
    assert item.description == "line one\nline two"
    assert item.image_urls == ["http://i/1.jpg"]
    assert item.patent_numbers == ["ZL201510123456.7"]

    odd = _listing(price="free!", currency="dollars")  # type: ignore[arg-type]
    NormalisePipeline.from_crawler(crawler).process_item(odd)
    assert (odd.price, odd.currency) == (None, None)
    assert crawler.stats.get_value("patrol/validation_warnings") == 2  # type: ignore[union-attr]


def test_bad_default_currency_is_rejected() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        NormalisePipeline.from_crawler(get_crawler(settings_dict={"PATROL_DEFAULT_CURRENCY": "$"}))


def test_screen_pipeline_attaches_a_verdict(db_url: str) -> None:
    crawler = get_crawler(settings_dict={"PATROL_DATABASE_URL": db_url})
    pipeline = ScreenPipeline.from_crawler(crawler)
    flagged = asyncio.run(pipeline.process_item(_listing(title="NIKE Air Max 高仿 1:1 复刻")))
    clear = asyncio.run(pipeline.process_item(_listing(listing_id="2", title="Plain cotton socks")))
    assert flagged.verdict is not None and flagged.verdict.flagged
    assert clear.verdict is not None and not clear.verdict.flagged
    assert crawler.stats.get_value("patrol/flagged") == 1  # type: ignore[union-attr]
