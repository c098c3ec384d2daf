"""taoji speaks GBK, declared twice, like many older Chinese sites."""

from __future__ import annotations

import html
import re

import pytest

from patrol.marketplaces.server import FixtureServers

from .conftest import fetch


def _chinese_item(fx: FixtureServers) -> tuple[str, str, str]:
    world = fx.world("taoji")
    for index in range(world.listings):
        item = world.live(index, fx.clock.hour)
        if item and re.search(r"[\u4e00-\u9fff]", item.title):
            return item.url_path, item.title, item.category
    raise AssertionError("no Chinese title in the taoji sample")


def test_gbk_declared_in_header_and_meta(fx: FixtureServers) -> None:
    path, _, _ = _chinese_item(fx)
    page = fetch(fx.base_url("taoji") + path)
    assert page.status == 200
    assert page.headers["Content-Type"].lower().replace(" ", "") == "text/html;charset=gbk"
    assert b'<meta charset="gbk">' in page.body[:300]


def test_gbk_bytes_decode_to_the_listing_text(fx: FixtureServers) -> None:
    path, title, category = _chinese_item(fx)
    body = fetch(fx.base_url("taoji") + path).body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    shown = re.search(r'<h1 class="tj-title">(.*?)</h1>', text)
    assert shown is not None
    assert html.unescape(shown.group(1)) == title
    assert f'<td class="tj-category">{category}</td>' in text
    assert "该商品" not in text and "淘集" in text


def test_list_page_is_gbk_too(fx: FixtureServers) -> None:
    page = fetch(fx.base_url("taoji") + "/list")
    text = page.body.decode("gbk")
    assert "全部宝贝" in text and "下一页" in text
    assert "全部宝贝".encode("gbk") in page.body
    assert "全部宝贝".encode() not in page.body
