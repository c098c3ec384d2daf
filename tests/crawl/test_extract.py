"""Reading listings: links made absolute exactly as ``urljoin`` makes them."""

from __future__ import annotations

import random
from urllib.parse import urljoin

import pytest
from scrapy.http import HtmlResponse

from patrol.crawl.extract import _absolute, _origin, extract_listing
from patrol.crawl.profile import load_profile

BASES = [
    "http://127.0.0.1:8401/item/600088539152.html",
    "https://shop.example/a/b/c.html?x=1#top",
    "HTTP://Shop.Example:8080/dir/",
    "http://user:pw@host/x",
    "http://[::1]:8080/x/y",
    "ftp://host/x",
    "http:///nohost",
    "",
    " http://host/x\t",
]
LINKS = [
    "/img/165012d89349-1.jpg",
    "/shop/26080863.html",
    "/",
    "/a//b",
    "//other.example/img.jpg",
    "/a/./b",
    "/a/../b",
    "/a/..",
    "/a/.",
    "/.well-known/x",
    "/a;p=1",
    "/a?x=1",
    "/a#f",
    "/a%20b",
    "/ä",
    "/a b",
    "/a:b@c",
    "/a\\b",
    "relative/x.jpg",
    "../up.jpg",
    "?q=1",
    "#frag",
    "https://cdn.example/x.jpg",
    "javascript:alert(1)",
    "/a\tb",
]


@pytest.mark.parametrize("base", BASES)
def test_links_join_as_urljoin_joins_them(base: str) -> None:
    origin = _origin(base)
    for link in LINKS:
        assert _absolute(base, link, origin) == urljoin(base, link), (base, link)


def test_random_paths_join_as_urljoin_joins_them() -> None:
    rng = random.Random(7)
    alphabet = "ab/.:;?#%@!$&'()*+,=~_-\\ \t\u00e4"
    for _ in range(20_000):
        link = "/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        base = rng.choice(BASES)
        assert _absolute(base, link, _origin(base)) == urljoin(base, link), (base, link)


def test_fields_sharing_a_query_read_the_same_matches() -> None:
    profile = load_profile("taoji", base_url="http://127.0.0.1:8401")
    body = (
        '<html><body><h1 class="tj-title">耐克 运动鞋</h1>'
        '<span class="tj-price-value">¥1,299.00</span>'
        '<ul class="tj-gallery"><img class="tj-img" src="/img/a.jpg">'
        '<img class="tj-img" src="../b.jpg"><img class="tj-img" src="/img/a.jpg"></ul>'
        '<div class="tj-shop-box"><a class="tj-shop-link" href="/shop/ab_12.html">'
        '<span class="tj-shop-name">耐克 官方</span></a>'
        '<span class="tj-badge-official">官方</span></div></body></html>'
    ).encode()
    url = "http://127.0.0.1:8401/item/600088539152.html"
    response = HtmlResponse(url, body=body, encoding="utf-8")
    listing, missing = extract_listing(response.selector, profile, url, "600088539152")
    assert missing == []
    assert listing.title == "耐克 运动鞋"
    assert listing.image_urls == ["http://127.0.0.1:8401/img/a.jpg", "http://127.0.0.1:8401/b.jpg"]
    assert listing.shop_url == "http://127.0.0.1:8401/shop/ab_12.html"
    assert listing.shop_id == "ab_12"
    assert listing.shop_official is True
