"""kuaigou (快购): a single-page JavaScript app over a JSON API.

Every page URL answers the same HTML shell; the grid, "load more"/infinite scroll and the
listing detail are rendered in the browser from ``/api/...``. A crawler that fetches
``/item/<id>`` without running JavaScript sees no listing data at all, which is the point.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from aiohttp import web

from patrol.marketplaces.population import FixtureListing
from patrol.marketplaces.sites import SiteState
from patrol.marketplaces.sites._common import (
    esc,
    image_handler,
    live_listings,
    page_count,
    price_text,
    robots_route,
    search_listings,
)

__all__ = ["block_response", "error_response", "routes"]

PER_PAGE = 20
MAX_LIMIT = 50
SEARCH_SCAN = 200
ROBOTS = """User-agent: *
Disallow: /cart
Disallow: /api/internal/
Disallow: /account/
"""


def _shell_html(inner: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>快购 - 好物快购</title><link rel="stylesheet" href="/static/app.css"></head>'
        '<body data-state="loading"><header class="kg-header"><a class="kg-logo" href="/">快购'
        '</a><form action="/search" method="get"><input name="q" placeholder="搜索商品">'
        '<button type="submit">搜索</button></form><a href="/cart">购物车</a>'
        '<a href="/account/">我的</a></header><nav class="kg-nav" id="kg-nav"></nav>'
        f'<div id="app">{inner}<noscript>请启用 JavaScript 以使用快购。</noscript>'
        '<div class="kg-loading">加载中…</div></div>'
        '<script src="/static/app.js"></script></body></html>'
    )


_SHELL = _shell_html().encode("utf-8")
_STATIC = {
    "app.js": ("kuaigou.js", "application/javascript"),
    "app.css": ("kuaigou.css", "text/css"),
}


def _static_bytes(name: str) -> bytes:
    return resources.files("patrol.marketplaces").joinpath("static", name).read_bytes()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return max(0, int(request.query.get(name, str(default))))
    except ValueError:
        return default


def _card(item: FixtureListing, hour: float) -> dict[str, Any]:
    return {
        "id": item.listing_id,
        "title": item.title,
        "price": price_text(item.price_at(hour)),
        "currency": item.currency,
        "shop_id": item.shop.id,
        "shop_name": item.shop.name,
        "url": item.url_path,
        "image": item.image_paths[0],
    }


def _cursor(request: web.Request, step: int) -> int:
    if "cursor" in request.query:
        return _int(request, "cursor", 0)
    return (max(1, _int(request, "page", 1)) - 1) * step


async def _shell(request: web.Request) -> web.Response:
    return web.Response(body=_SHELL, content_type="text/html", charset="utf-8")


async def _static(request: web.Request) -> web.Response:
    entry = _STATIC.get(request.match_info["name"])
    if entry is None:
        raise web.HTTPNotFound()
    filename, content_type = entry
    return web.Response(
        body=_static_bytes(filename),
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "max-age=3600"},
    )


async def _feed(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    world = state.world
    slug = request.query.get("cat", "all")
    if not world.has_category(slug):
        return _json({"error": "unknown_category"}, 404)
    limit = min(max(1, _int(request, "limit", PER_PAGE)), MAX_LIMIT)
    slots = world.category_slots(slug)
    cursor = _cursor(request, PER_PAGE)
    hour = state.hour
    items = live_listings(world, slots[cursor : cursor + limit], hour)
    following = cursor + limit
    return _json(
        {
            "items": [_card(i, hour) for i in items],
            "cursor": cursor,
            "next_cursor": following if following < len(slots) else None,
            "page": cursor // PER_PAGE + 1,
            "pages": page_count(len(slots), PER_PAGE),
        }
    )


async def _search(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    world = state.world
    cursor = _cursor(request, SEARCH_SCAN)
    page = cursor // SEARCH_SCAN + 1
    hour = state.hour
    items = search_listings(world, request.query.get("q", ""), page, SEARCH_SCAN, hour)
    following = page * SEARCH_SCAN
    return _json(
        {
            "items": [_card(i, hour) for i in items],
            "cursor": (page - 1) * SEARCH_SCAN,
            "next_cursor": following if following < world.listings else None,
            "page": page,
            "pages": page_count(world.listings, SEARCH_SCAN),
        }
    )


async def _categories(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    return _json([{"slug": c.slug, "name": c.zh} for c in state.world.categories])


async def _item(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    item = state.world.by_id(request.match_info["id"])
    hour = state.hour
    if item is None:
        return _json({"error": "not_found"}, 404)
    if not item.live_at(hour):
        return _json({"error": "gone"}, 410)
    shop = item.shop
    return _json(
        {
            "id": item.listing_id,
            "title": item.title,
            "price": price_text(item.price_at(hour)),
            "currency": item.currency,
            "brand": item.brand,
            "category": item.category,
            "description": item.description,
            "patents": list(item.patent_numbers),
            "images": list(item.image_paths),
            "shop": {
                "id": shop.id,
                "name": shop.name,
                "official": shop.official,
                "url": f"/shop/{shop.id}",
            },
            "url": item.url_path,
        }
    )


async def _shop(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    shop = state.world.shops.by_id.get(request.match_info["id"])
    if shop is None:
        return _json({"error": "not_found"}, 404)
    return _json(
        {
            "id": shop.id,
            "name": shop.name,
            "official": shop.official,
            "kind": shop.kind_label_zh,
            "rating": shop.rating,
            "opened": shop.opened.isoformat(),
        }
    )


async def _refuse(request: web.Request) -> web.Response:
    if request.path.startswith("/api/"):
        return _json({"error": "forbidden"}, 403)
    return web.Response(text="请先登录", status=403, content_type="text/plain", charset="utf-8")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", _shell),
        robots_route(ROBOTS),
        web.get("/c/{slug}", _shell),
        web.get("/search", _shell),
        web.get("/item/{id}", _shell),
        web.get("/shop/{id}", _shell),
        web.get("/static/{name}", _static),
        web.get("/img/{name}", image_handler),
        web.get("/favicon.ico", image_handler),
        web.get("/api/feed", _feed),
        web.get("/api/search", _search),
        web.get("/api/categories", _categories),
        web.get("/api/item/{id}", _item),
        web.get("/api/shop/{id}", _shop),
        web.get("/api/internal/{tail:.*}", _refuse),
        web.get("/cart", _refuse),
        web.get("/account/{tail:.*}", _refuse),
    ]


def error_response(state: SiteState, status: int) -> web.Response:
    # The fault middleware does not know whether the request was for the API; both
    # forms carry the status, and the SPA only looks at the status code.
    return web.Response(
        text=json.dumps(
            {
                "error": {429: "rate_limited", 503: "unavailable"}.get(status, "server_error"),
                "status": status,
            }
        ),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def block_response(state: SiteState, request: web.Request) -> web.Response:
    if request.path.startswith("/api/"):
        return _json({"error": "captcha", "captcha": True, "verify_url": "/account/verify"})
    inner = (
        '<div id="captcha" class="captcha kg-captcha"><h1>安全验证</h1>'
        f"<p>{esc('访问过于频繁，请完成滑块验证后继续。')}</p></div>"
    )
    return web.Response(
        body=_shell_html(inner)
        .replace('<script src="/static/app.js"></script>', "")
        .encode("utf-8"),
        content_type="text/html",
        charset="utf-8",
    )
