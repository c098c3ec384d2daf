"""bazaar: an English marketplace (UTF-8) with fixed-price and auction listings in USD.

Its URL scheme and markup follow the big auction sites: ``/b/<category>?_pgn=N`` to
browse, ``/sch?_nkw=`` to search, ``/itm/<id>`` for a listing and ``/usr/<seller>`` for a
seller with a feedback score. An auction's price is its current bid, which rises during
the day.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from aiohttp import web

from patrol.marketplaces.catalogue import Category
from patrol.marketplaces.population import FixtureListing
from patrol.marketplaces.sites import SiteState
from patrol.marketplaces.sites._common import (
    PageFrame,
    Pager,
    esc,
    image_handler,
    live_listings,
    page_count,
    page_number,
    price_text,
    robots_route,
    search_listings,
)

__all__ = ["block_response", "error_response", "routes"]

PER_PAGE = 48
SEARCH_SCAN = 240
ROBOTS = """User-agent: *
Disallow: /cart
Disallow: /myb/
Disallow: /bid/
Disallow: /go/
"""
_CSS = (
    "body{font:14px/1.4 Arial,sans-serif;margin:0}.bz-header{display:flex;gap:16px;"
    "padding:10px;border-bottom:1px solid #ddd}.bz-logo{font-size:26px;font-weight:bold;"
    "color:#0654ba;text-decoration:none}.bz-results{list-style:none;padding:0}"
    ".bz-item{display:flex;gap:12px;border-bottom:1px solid #eee;padding:8px}"
    ".bz-sponsored{background:#f7f7f7}.bz-item-price,.bz-price-value{font-weight:bold}"
    ".bz-official{background:#0654ba;color:#fff;padding:0 4px}"
)


_PAGER = Pager(
    param="_pgn",
    window=4,
    prev='<a class="bz-prev" rel="prev" href="{href}">Previous</a>',
    page='<a class="bz-page" href="{href}">{n}</a>',
    current='<a class="bz-page" href="{href}">{n}</a>',
    next='<a class="bz-next" rel="next" href="{href}">Next</a>',
)


@functools.lru_cache(maxsize=16)
def _frame(categories: tuple[Category, ...]) -> PageFrame:
    cats = "".join(
        f'<li><a class="bz-cat" href="/b/{c.slug}">{esc(c.en)}</a></li>' for c in categories
    )
    return PageFrame(
        before_title='<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>',
        before_body=(
            f" | bazaar</title><style>{_CSS}</style></head><body>"
            '<header class="bz-header"><a class="bz-logo" href="/">bazaar</a>'
            '<form class="bz-search" action="/sch" method="get"><input name="_nkw" '
            'placeholder="Search for anything"><button type="submit">Search</button></form>'
            '<a href="/myb/summary">My bazaar</a> <a href="/cart">Cart</a></header>'
            '<nav class="bz-nav"><ul><li><a class="bz-cat" href="/b/all">All</a></li>'
            f"{cats}</ul></nav>"
            '<main class="bz-main">'
        ),
        after_body=(
            '</main><footer class="bz-footer">About bazaar · Policies · '
            '<a href="/go/vero">Verified Rights Owner program</a> · Help<br>'
            "© 2026 bazaar (fixture data for Listing Patrol tests)</footer></body></html>"
        ),
    )


def _page(title: str, body: str, state: SiteState, status: int = 200) -> web.Response:
    html = _frame(state.world.categories).html(title, body)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def _time_left(item: FixtureListing, hour: float) -> str:
    days = (item.index * 7 + 3) % 7
    hours = int(24 - hour) % 24
    return f"{days}d {hours}h left"


def _row(item: FixtureListing, hour: float) -> str:
    fmt = "Auction" if item.auction else "Buy It Now"
    extra = f' <span class="bz-item-bids">{item.bids_at(hour)} bids</span>' if item.auction else ""
    return (
        f'<li class="bz-item" data-id="{item.listing_id}">'
        f'<img class="bz-item-img" src="{item.image_paths[0]}" alt="">'
        f'<div><a class="bz-item-link" href="{item.url_path}"><span class="bz-item-title">'
        f'{esc(item.title)}</span></a><br><span class="bz-item-price">'
        f'${price_text(item.price_at(hour))}</span> <span class="bz-item-format">{fmt}</span>'
        f'{extra} <span class="bz-item-seller">{esc(item.shop.id)} '
        f"({item.shop.feedback_score})</span></div></li>"
    )


def _sponsored(seed: int, page: int) -> str:
    n = (seed * 13 + page * 5) % 4
    ads = (
        "Save up to 60% on refurbished tech",
        "Free shipping on millions of items",
        "Deals of the day: shop now",
        "Sell your stuff: list for free",
    )
    return (
        f'<li class="bz-item bz-sponsored"><a href="/go/promo?id={page * 10 + n}">'
        f'<span class="bz-sponsored-label">Sponsored</span> {ads[n]}</a></li>'
    )


def _results(
    state: SiteState, items: list[FixtureListing], page: int, pages: int, base: str, heading: str
) -> web.Response:
    hour = state.hour
    rows = [_row(item, hour) for item in items]
    if rows:
        rows.insert(min(2, len(rows)), _sponsored(state.world.seed, page))
        listing = f'<ul class="bz-results">{"".join(rows)}</ul>'
    else:
        listing = '<ul class="bz-results"></ul><p class="bz-empty">No exact matches found</p>'
    pager = (
        f'<nav class="bz-pager">{_PAGER.links(base, page, pages)} Page {page} of '
        f'<span class="bz-total-pages">{pages}</span></nav>'
    )
    body = f'<h1 class="bz-heading">{esc(heading)}</h1>{listing}{pager}'
    return _page(heading, body, state)


async def _home(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    items = live_listings(state.world, range(min(10, state.world.listings)), state.hour)
    return _results(state, items, 1, 1, "/b/all", "Daily Deals")


async def _browse(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    world = state.world
    slug = request.match_info["slug"]
    if not world.has_category(slug):
        return error_response(state, 404)
    slots = world.category_slots(slug)
    page = page_number(request, "_pgn")
    pages = page_count(len(slots), PER_PAGE)
    items = live_listings(world, slots[(page - 1) * PER_PAGE : page * PER_PAGE], state.hour)
    heading = (
        "All listings" if slug == "all" else next(c.en for c in world.categories if c.slug == slug)
    )
    return _results(state, items, page, pages, f"/b/{slug}", heading)


async def _search(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    query = request.query.get("_nkw", "")
    page = page_number(request, "_pgn")
    pages = page_count(state.world.listings, SEARCH_SCAN)
    items = search_listings(state.world, query, page, SEARCH_SCAN, state.hour)
    return _results(state, items, page, pages, f"/sch?_nkw={quote(query)}", f"Results for {query}")


async def _item(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    item = state.world.by_id(request.match_info["id"])
    hour = state.hour
    if item is None:
        return error_response(state, 404)
    if not item.live_at(hour):
        body = (
            '<div id="bz-gone" class="bz-gone"><h1>This listing has been removed</h1>'
            "<p>The seller ended this listing or it is no longer available.</p></div>"
        )
        return _page("Listing removed", body, state, status=410)
    price = price_text(item.price_at(hour))
    if item.auction:
        fmt = (
            f'<span class="bz-format">Auction</span> <span class="bz-bids">'
            f'{item.bids_at(hour)} bids</span> <span class="bz-time-left">'
            f"{_time_left(item, hour)}</span>"
        )
        label = "Current bid"
    else:
        fmt = '<span class="bz-format">Buy It Now</span>'
        label = "Price"
    specifics = []
    if item.brand:
        specifics.append(f'<dt>Brand</dt><dd class="bz-brand">{esc(item.brand)}</dd>')
    specifics.append(f'<dt>Category</dt><dd class="bz-category">{esc(item.category)}</dd>')
    specifics.append('<dt>Condition</dt><dd class="bz-condition">New</dd>')
    patents = "".join(f'<li class="bz-patent">{esc(p)}</li>' for p in item.patent_numbers)
    images = "".join(f'<img class="bz-img" src="{p}" alt="">' for p in item.image_paths)
    shop = item.shop
    official = '<span class="bz-official">Official Brand Store</span>' if shop.official else ""
    body = (
        f'<div class="bz-breadcrumb"><a href="/b/{item.category_slug}">{esc(item.category)}'
        f'</a></div><div id="bz-item" class="bz-item-page" data-id="{item.listing_id}" '
        'itemscope itemtype="https://schema.org/Product">'
        f'<div class="bz-images">{images}</div>'
        f'<h1 class="bz-title" itemprop="name">{esc(item.title)}</h1>'
        f'<div class="bz-price" itemprop="offers" itemscope>{label}: US $<span '
        f'class="bz-price-value" itemprop="price" content="{price}">{price}</span>'
        '<meta itemprop="priceCurrency" content="USD"></div>'
        f'<div class="bz-sale">{fmt}</div>'
        f'<dl class="bz-specifics">{"".join(specifics)}</dl>'
        f'<div class="bz-desc">{esc(item.description)}</div>'
        f'<ul class="bz-patents">{patents}</ul>'
        f'<div class="bz-seller-box"><a class="bz-seller" href="/usr/{quote(shop.id)}">'
        f'<span class="bz-seller-name">{esc(shop.name)}</span></a> (<span '
        f'class="bz-feedback-score">{shop.feedback_score}</span>) <span '
        f'class="bz-feedback-pct">{shop.feedback_pct}</span>% positive {official}</div>'
        f'<div class="bz-actions"><a href="/bid/{item.listing_id}">Place bid</a> '
        f'<a href="/cart?add={item.listing_id}">Add to cart</a></div></div>'
        '<div class="bz-related"><h2>Similar sponsored items</h2><ul>'
        '<li><a href="/go/similar?1">See similar items</a></li></ul></div>'
    )
    return _page(item.title, body, state)


async def _user(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    shop = state.world.shops.by_id.get(request.match_info["name"])
    if shop is None:
        return error_response(state, 404)
    official = '<span class="bz-official">Official Brand Store</span>' if shop.official else ""
    body = (
        f'<div id="bz-user" class="bz-user" data-seller="{esc(shop.id)}">'
        f'<h1 class="bz-seller-name">{esc(shop.name)}</h1>{official}'
        f'<p>Feedback score: <span class="bz-feedback-score">{shop.feedback_score}</span></p>'
        f'<p><span class="bz-feedback-pct">{shop.feedback_pct}</span>% positive feedback</p>'
        f'<p>Member since <span class="bz-member-since">{shop.opened.isoformat()}</span></p>'
        "</div>"
    )
    return _page(shop.name, body, state)


async def _refuse(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    return _page(
        "Sign in", '<p class="bz-signin">Please sign in to continue.</p>', state, status=403
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", _home),
        robots_route(ROBOTS),
        web.get("/b/{slug}", _browse),
        web.get("/sch", _search),
        web.get("/itm/{id}", _item),
        web.get("/usr/{name}", _user),
        web.get("/img/{name}", image_handler),
        web.get("/favicon.ico", image_handler),
        web.get("/cart", _refuse),
        web.get("/myb/{tail:.*}", _refuse),
        web.get("/bid/{tail:.*}", _refuse),
        web.get("/go/{tail:.*}", _refuse),
    ]


def error_response(state: SiteState, status: int) -> web.Response:
    messages = {
        404: '<div id="bz-notfound" class="bz-notfound"><h1>We looked everywhere.'
        "</h1><p>Looks like this page is missing.</p></div>",
        429: '<div class="bz-error">Too many requests. Please slow down.</div>',
        500: '<div class="bz-error">Something went wrong on our end (500).</div>',
        503: '<div class="bz-error">Service temporarily unavailable (503).</div>',
    }
    return _page(
        "Error", messages.get(status, '<div class="bz-error">Error</div>'), state, status=status
    )


def block_response(state: SiteState, request: web.Request) -> web.Response:
    body = (
        '<div id="captcha" class="captcha bz-captcha"><h1>Please verify yourself to '
        "continue</h1><p>To keep bazaar safe, we need to make sure you're a human.</p>"
        '<form action="/myb/verify" method="post"><div class="g-captcha">'
        '<input type="checkbox" name="human"> I\'m not a robot</div></form></div>'
    )
    return _page("Security check", body, state)
