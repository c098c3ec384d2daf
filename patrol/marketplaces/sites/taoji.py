"""taoji (淘集): a Chinese marketplace, server-rendered, every page encoded in GBK.

Like many older Chinese sites it declares GBK both in the ``Content-Type`` header and in a
``<meta charset>`` tag, so a crawler that assumes UTF-8 reads garbage. Characters outside
GBK are written as numeric character references.
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

PER_PAGE = 40
SEARCH_SCAN = 200
ROBOTS = """User-agent: *
Disallow: /cart
Disallow: /member/
Disallow: /go/
Disallow: /*?sort=
Disallow: /*&sort=

User-agent: BadBot
Disallow: /
"""
_CSS = (
    "body{font:14px/1.5 sans-serif;margin:0;color:#333}.tj-topbar{background:#f5f5f5;"
    "padding:4px 12px;font-size:12px}.tj-header{display:flex;gap:24px;padding:12px}"
    ".tj-logo{font-size:28px;color:#ff5000;font-weight:bold;text-decoration:none}"
    ".tj-cats a{margin-right:10px}.tj-results{display:flex;flex-wrap:wrap;list-style:none;"
    "padding:0}.tj-card{width:220px;margin:8px;border:1px solid #eee;padding:8px}"
    ".tj-card-price,.tj-price-value{color:#ff5000;font-weight:bold}.tj-ad{background:#fffbe6}"
    ".tj-badge-official{background:#ff5000;color:#fff;padding:0 4px;border-radius:2px}"
)


_PAGER = Pager(
    param="page",
    window=3,
    prev='<a class="tj-page tj-prev" rel="prev" href="{href}">上一页</a>',
    page='<a class="tj-page" href="{href}">{n}</a>',
    current='<a class="tj-page tj-current" href="{href}">{n}</a>',
    next='<a class="tj-page tj-next" rel="next" href="{href}">下一页</a>',
)


@functools.lru_cache(maxsize=16)
def _frame(categories: tuple[Category, ...]) -> PageFrame:
    cats = "".join(
        f'<a class="tj-cat" href="/category/{c.slug}">{esc(c.zh)}</a>' for c in categories
    )
    return PageFrame(
        before_title='<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="gbk"><title>',
        before_body=(
            f" - 淘集网</title><style>{_CSS}</style></head><body>"
            '<div class="tj-topbar">亲，欢迎来淘集！<a href="/member/login">请登录</a> '
            '<a href="/member/register">免费注册</a> <a href="/cart">购物车</a> '
            '<a href="/member/orders">我的订单</a></div>'
            '<header class="tj-header"><a class="tj-logo" href="/">淘集</a>'
            '<form class="tj-search" action="/search" method="get"><input name="q" '
            'placeholder="搜索宝贝"><button type="submit">搜索</button></form></header>'
            f'<nav class="tj-cats"><a class="tj-cat" href="/list">全部宝贝</a>{cats}</nav>'
            '<main class="tj-main">'
        ),
        after_body=(
            '</main><footer class="tj-footer">关于淘集 | 帮助中心 | 规则中心 | '
            '<a href="/go/ipr">知识产权保护</a> | 廉正举报<br>© 2026 淘集网 (fixture data for '
            "Listing Patrol tests)</footer></body></html>"
        ),
    )


def _page(title: str, body: str, state: SiteState, status: int = 200) -> web.Response:
    html = _frame(state.world.categories).html(title, body)
    return web.Response(
        body=html.encode("gbk", errors="xmlcharrefreplace"),
        status=status,
        headers={"Content-Type": "text/html; charset=GBK"},
    )


def _ads(seed: int, page: int) -> str:
    n = (seed * 31 + page * 7) % 5
    slogans = (
        "爆款直降 限时秒杀",
        "新人专享 满99减20",
        "品牌特卖 低至5折",
        "淘集超市 次日达",
        "金币抵现 天天领",
    )
    return (
        f'<li class="tj-card tj-ad"><a href="/go/ad?id={page * 10 + n}">'
        f'<span class="tj-ad-label">广告</span> {slogans[n]}</a></li>'
    )


def _card(item: FixtureListing, hour: float) -> str:
    return (
        f'<li class="tj-card" data-id="{item.listing_id}">'
        f'<a class="tj-card-link" href="{item.url_path}"><img class="tj-card-img" '
        f'src="{item.image_paths[0]}" alt=""><span class="tj-card-title">{esc(item.title)}'
        f'</span></a><span class="tj-card-price">￥{price_text(item.price_at(hour))}</span>'
        f'<a class="tj-card-shop" href="{_shop_path(item.shop.id)}">'
        f"{esc(item.shop.name)}</a></li>"
    )


def _shop_path(shop_id: str) -> str:
    return f"/shop/{shop_id}.html"


def _results(
    state: SiteState, items: list[FixtureListing], page: int, pages: int, base: str, heading: str
) -> web.Response:
    hour = state.hour
    cards = [_card(item, hour) for item in items]
    if cards:
        cards.insert(min(3, len(cards)), _ads(state.world.seed, page))
        listing = f'<ul class="tj-results">{"".join(cards)}</ul>'
    else:
        listing = '<ul class="tj-results"></ul><div class="tj-empty">没有找到相关宝贝</div>'
    sep = "&" if "?" in base else "?"
    pager = (
        f'<div class="tj-pager">{_PAGER.links(base, page, pages)} 共'
        f'<span class="tj-total-pages">{pages}</span>页 '
        f'第<span class="tj-current-page">{page}</span>页</div>'
    )
    sort = f'<div class="tj-sort"><a href="{base}{sep}sort=price">价格</a></div>'
    body = f'<h2 class="tj-heading">{esc(heading)}</h2>{sort}{listing}{pager}'
    return _page(heading, body, state)


async def _home(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    items = live_listings(state.world, range(min(12, state.world.listings)), state.hour)
    return _results(state, items, 1, 1, "/list", "猜你喜欢")


async def _list(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    return _category_page(request, state, "all")


async def _category(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    slug = request.match_info["slug"]
    if not state.world.has_category(slug):
        return error_response(state, 404)
    return _category_page(request, state, slug)


def _category_page(request: web.Request, state: SiteState, slug: str) -> web.Response:
    world = state.world
    slots = world.category_slots(slug)
    page = page_number(request)
    pages = page_count(len(slots), PER_PAGE)
    chosen = slots[(page - 1) * PER_PAGE : page * PER_PAGE]
    items = live_listings(world, chosen, state.hour)
    heading = (
        "全部宝贝" if slug == "all" else next(c.zh for c in world.categories if c.slug == slug)
    )
    base = "/list" if slug == "all" else f"/category/{slug}"
    return _results(state, items, page, pages, base, heading)


async def _search(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    query = request.query.get("q", "")
    page = page_number(request)
    pages = page_count(state.world.listings, SEARCH_SCAN)
    items = search_listings(state.world, query, page, SEARCH_SCAN, state.hour)
    return _results(state, items, page, pages, f"/search?q={quote(query)}", f"搜索：{query}")


def _attrs(item: FixtureListing) -> str:
    rows = []
    if item.brand:
        rows.append(f'<tr><th>品牌</th><td class="tj-brand">{esc(item.brand)}</td></tr>')
    rows.append(f'<tr><th>类目</th><td class="tj-category">{esc(item.category)}</td></tr>')
    rows.append(f'<tr><th>商品编号</th><td class="tj-item-no">{item.listing_id}</td></tr>')
    return f'<table class="tj-attrs">{"".join(rows)}</table>'


async def _item(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    listing_id = request.match_info["id"]
    item = state.world.by_id(listing_id)
    hour = state.hour
    if item is None:
        return error_response(state, 404)
    if not item.live_at(hour):
        body = (
            '<div id="tj-gone" class="tj-gone"><h1>该商品已下架</h1>'
            '<p>您查看的宝贝不存在或已被卖家删除。</p><a href="/">返回首页</a></div>'
        )
        return _page("商品已下架", body, state, status=410)
    patents = "".join(f'<li class="tj-patent">{esc(p)}</li>' for p in item.patent_numbers)
    gallery = "".join(
        f'<li><img class="tj-img" src="{p}" alt="{esc(item.title[:20])}"></li>'
        for p in item.image_paths
    )
    badge = '<span class="tj-badge-official">官方旗舰店</span>' if item.shop.official else ""
    recs = live_listings(
        state.world, range(item.index + 1, min(item.index + 6, state.world.listings)), hour
    )
    rec_html = "".join(
        f'<li><a class="tj-rec-link" href="{r.url_path}">{esc(r.title)}</a></li>' for r in recs
    )
    body = (
        f'<div class="tj-breadcrumb"><a href="/">首页</a> &gt; <a href="/category/'
        f'{item.category_slug}">{esc(item.category)}</a></div>'
        f'<div id="tj-item" class="tj-item" data-id="{item.listing_id}">'
        f'<ul class="tj-gallery">{gallery}</ul>'
        f'<h1 class="tj-title">{esc(item.title)}</h1>'
        f'<div class="tj-price">价格 <span class="tj-price-currency">￥</span>'
        f'<span class="tj-price-value">{price_text(item.price_at(hour))}</span></div>'
        '<div class="tj-promo">满300减30 | 淘集会员专享 | 7天无理由退货</div>'
        f"{_attrs(item)}"
        f'<div class="tj-desc">{esc(item.description)}</div>'
        f'<ul class="tj-patents">{patents}</ul>'
        f'<div class="tj-shop-box"><a class="tj-shop-link" href="{_shop_path(item.shop.id)}">'
        f'<span class="tj-shop-name">{esc(item.shop.name)}</span></a>{badge}'
        f'<span class="tj-shop-rating">{item.shop.rating}</span></div>'
        '<div class="tj-actions"><a href="/cart?add=1">加入购物车</a> '
        '<a href="/cart?buy=1">立即购买</a></div></div>'
        f'<div class="tj-recommend"><h3>看了又看</h3><ul>{rec_html}</ul></div>'
    )
    return _page(item.title, body, state)


async def _shop(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    shop = state.world.shops.by_id.get(request.match_info["id"])
    if shop is None:
        return error_response(state, 404)
    badge = '<span class="tj-badge-official">官方旗舰店</span>' if shop.official else ""
    body = (
        f'<div id="tj-shop" class="tj-shop" data-shop-id="{esc(shop.id)}">'
        f'<h1 class="tj-shop-name">{esc(shop.name)}</h1>{badge}'
        f'<p>店铺类型：<span class="tj-shop-kind">{shop.kind_label_zh}</span></p>'
        f'<p>店铺评分：<span class="tj-shop-rating">{shop.rating}</span></p>'
        f'<p>开店时间：<span class="tj-shop-opened">{shop.opened.isoformat()}</span></p>'
        '<p class="tj-shop-notice">本店所有商品支持七天无理由退换。</p></div>'
    )
    return _page(shop.name, body, state)


async def _refuse(request: web.Request) -> web.Response:
    state = request.app[SiteState.KEY]
    return _page("请登录", '<div class="tj-login">请先登录淘集账号。</div>', state, status=403)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", _home),
        robots_route(ROBOTS),
        web.get("/list", _list),
        web.get("/category/{slug}", _category),
        web.get("/search", _search),
        web.get(r"/item/{id}.html", _item),
        web.get(r"/shop/{id}.html", _shop),
        web.get("/img/{name}", image_handler),
        web.get("/favicon.ico", image_handler),
        web.get("/cart", _refuse),
        web.get("/member/{tail:.*}", _refuse),
        web.get("/go/{tail:.*}", _refuse),
    ]


def error_response(state: SiteState, status: int) -> web.Response:
    messages: dict[int, tuple[str, str]] = {
        404: (
            "页面不存在",
            '<div id="tj-notfound" class="tj-notfound">'
            "<h1>很抱歉，您查看的页面找不到了！</h1></div>",
        ),
        429: ("访问过于频繁", '<div class="tj-error">访问过于频繁，请稍后再试。</div>'),
        500: ("服务器错误", '<div class="tj-error">系统繁忙，请稍后再试。(500)</div>'),
        503: ("服务暂不可用", '<div class="tj-error">服务暂不可用，请稍后再试。(503)</div>'),
    }
    title, body = messages.get(status, ("错误", '<div class="tj-error">出错了</div>'))
    return _page(title, body, state, status=status)


def block_response(state: SiteState, request: web.Request) -> web.Response:
    body = (
        '<div id="captcha" class="captcha tj-captcha"><h1>安全验证</h1>'
        "<p>亲，访问受限了：请拖动下方滑块完成验证。</p>"
        '<form action="/member/verify" method="post"><div class="slider">'
        '<span class="slider-handle">&gt;&gt;</span> 请按住滑块，拖动到最右边</div>'
        '<input type="hidden" name="token" value="fixture"></form></div>'
    )
    return _page("安全验证", body, state)
