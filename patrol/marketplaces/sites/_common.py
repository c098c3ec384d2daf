"""Helpers the three sites share: paging over slots, search, prices, images, robots."""

from __future__ import annotations

import base64
from decimal import Decimal
from html import escape

from aiohttp import web

from patrol.marketplaces.population import FixtureListing, World

__all__ = [
    "PIXEL",
    "esc",
    "image_handler",
    "live_listings",
    "page_count",
    "page_number",
    "price_text",
    "search_listings",
    "text_response",
]

# A 1x1 GIF: the fixture images are placeholders, patrols do not download images.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def price_text(price: Decimal) -> str:
    return f"{price:.2f}"


def page_number(request: web.Request, name: str = "page") -> int:
    """The 1-based page number in the query; garbage or < 1 reads as page 1."""
    try:
        return max(1, int(request.query.get(name, "1")))
    except ValueError:
        return 1


def page_count(total_slots: int, per_page: int) -> int:
    return max(1, -(-total_slots // per_page))


def live_listings(world: World, slots: range, hour: float) -> list[FixtureListing]:
    out = []
    for index in slots:
        listing = world.live(index, hour)
        if listing is not None:
            out.append(listing)
    return out


def search_listings(
    world: World, query: str, page: int, scan: int, hour: float
) -> list[FixtureListing]:
    """Live listings whose title contains ``query`` among the page's ``scan`` slots."""
    needle = query.casefold().strip()
    start = (page - 1) * scan
    slots = range(start, min(start + scan, world.listings))
    if not needle:
        return []
    return [item for item in live_listings(world, slots, hour) if needle in item.title.casefold()]


async def image_handler(request: web.Request) -> web.Response:
    return web.Response(
        body=PIXEL, content_type="image/gif", headers={"Cache-Control": "max-age=86400"}
    )


def text_response(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain", charset="utf-8")
