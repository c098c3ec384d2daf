"""Site profiles: the bundled ones load, and every mistake names its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from patrol.cli import cli
from patrol.crawl.profile import ProfileError, available_sites, load_profile

GOOD = """\
name: shopx
base_url: http://127.0.0.1:9999
currency: USD
encoding: gbk
start_urls: ['/search?page=1']
follow: ['/search\\?page=\\d+']
listing_url: '/item/(?P<id>\\d+)'
fields:
  title: h1::text
  price: {css: .price::text}
  image_urls: {css: 'img::attr(src)', many: true}
  shop_official: {css: .badge-official, exists: true}
  attributes.rating: .rating::text
gone:
  markers: [removed]
block:
  markers: [captcha]
"""


def _write(tmp_path: Path, text: str, name: str = "shopx") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_bundled_profiles_load() -> None:
    sites = available_sites()
    assert {"taoji", "kuaigou", "bazaar"} <= set(sites)
    for site in sites:
        profile = load_profile(site)
        assert profile.name == site
        assert profile.fields and profile.listing_url.pattern
    assert load_profile("kuaigou").needs_browser
    assert not load_profile("taoji").needs_browser
    assert not load_profile("bazaar").needs_browser


def test_good_profile_and_base_url_override(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    profile = load_profile("shopx", directory=tmp_path)
    assert profile.encoding == "gbk" and profile.currency == "USD"
    assert profile.listing_id("http://127.0.0.1:9999/item/42?ref=x") == "42"
    assert profile.listing_id("http://127.0.0.1:9999/shop/42") is None
    assert profile.origin == ("127.0.0.1", 9999)
    moved = profile.with_base_url("http://127.0.0.1:1234")
    assert moved.origin == ("127.0.0.1", 1234) and moved.absolute("/a") == "http://127.0.0.1:1234/a"


@pytest.mark.parametrize(
    ("replace", "by", "line", "words"),
    [
        ("  price: {css: .price::text}", "  price: {csss: .price::text}", 10, "unknown key 'csss'"),
        ("  title: h1::text", "  titel: h1::text", 9, "unknown field 'titel'"),
        ("listing_url: '/item/(?P<id>\\d+)'", "listing_url: '/item/(?P<id>\\d+'", 7, "regular"),
        ("currency: USD", "currency: dollars", 3, "ISO 4217"),
        ("encoding: gbk", "encoding: klingon", 4, "unknown encoding"),
        ("  price: {css: .price::text}", "  price: {css: '.price[[['}", 10, "bad selector"),
        (
            "  image_urls: {css: 'img::attr(src)', many: true}",
            "  image_urls: {css: img, many: false}",
            11,
            "many must be true",
        ),
        ("start_urls: ['/search?page=1']", "start_urls: ['/search?page=1'", 6, "not valid YAML"),
        ("base_url: http://127.0.0.1:9999", "base_url: ftp://x", 2, "bad base URL"),
        ("name: shopx", "name: Shop X", 1, "not a site name"),
    ],
)
def test_broken_profile_names_file_and_line(
    tmp_path: Path, replace: str, by: str, line: int, words: str
) -> None:
    assert replace in GOOD
    path = _write(tmp_path, GOOD.replace(replace, by))
    with pytest.raises(ProfileError) as caught:
        load_profile("shopx", directory=tmp_path)
    message = caught.value.message
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert "\n" not in message


def test_missing_required_key(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("listing_url: '/item/(?P<id>\\d+)'\n", ""))
    with pytest.raises(ProfileError, match="missing required key 'listing_url'"):
        load_profile("shopx", directory=tmp_path)


def test_unknown_site_lists_the_known_ones(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    with pytest.raises(ProfileError, match=r"unknown site 'nosuch' \(known sites: shopx\)"):
        load_profile("nosuch", directory=tmp_path)
    with pytest.raises(ProfileError, match="unknown site"):
        load_profile("../etc/passwd", directory=tmp_path)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["crawl", "nosuch"], "unknown site 'nosuch'"),
        (["crawl", "taoji", "--base-url", "not a url"], "bad base URL"),
        (["crawl", "taoji", "--base-url", "http://127.0.0.1:99999/"], "bad base URL"),
    ],
)
def test_cli_user_errors_are_one_line_exit_2(args: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_cli_broken_profile_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("  title: h1::text", "  title: [h1"))
    result = CliRunner().invoke(cli, ["crawl", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path}:")
