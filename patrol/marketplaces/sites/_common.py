"""Helpers the three sites share: paging over slots, search, prices, images, robots.

The two server-rendered sites also share the shape of their pages: a fixed frame (head,
header, category links, footer) around each page's title and body, assembled once per
category order rather than per request, and a pager whose logic is common while its
markup is each site's own.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from aiohttp import web

from patrol.marketplaces.population import FixtureListing, World

__all__ = [
    "PIXEL",
    "PageFrame",
    "Pager",
    "esc",
    "image_handler",
    "live_listings",
    "page_count",
    "page_number",
    "price_text",
    "robots_route",
    "search_listings",
]

# A 1x1 GIF: the fixture images are placeholders, patrols do not download images.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def esc(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True, slots=True)
class PageFrame:
    """A site's page around its (escaped) title and its body."""

    before_title: str
    before_body: str
    after_body: str

    def html(self, title: str, body: str) -> str:
        return f"{self.before_title}{esc(title)}{self.before_body}{body}{self.after_body}"


@dataclass(frozen=True, slots=True)
class Pager:
    """Result-page links: previous, a window of page numbers either side, next.

    The link templates are the site's markup, filled in with ``{href}`` (and ``{n}``
    for a page number).
    """

    param: str
    window: int
    prev: str
    page: str
    current: str
    next: str

    def links(self, base: str, page: int, pages: int) -> str:
        sep = "&" if "?" in base else "?"
        href = f"{base}{sep}{self.param}="
        links = []
        if page > 1:
            links.append(self.prev.format(href=f"{href}{page - 1}"))
        for n in range(max(1, page - self.window), min(pages, page + self.window) + 1):
            template = self.current if n == page else self.page
            links.append(template.format(href=f"{href}{n}", n=n))
        if page < pages:
            links.append(self.next.format(href=f"{href}{page + 1}"))
        return "".join(links)


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


def robots_route(text: str) -> web.RouteDef:
    """``GET /robots.txt`` answering ``text``."""

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    return web.get("/robots.txt", robots)
