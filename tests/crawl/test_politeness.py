"""Politeness: robots.txt is obeyed, only the profile's site is fetched, the bot says who
it is, and ``Retry-After`` is read the way servers write it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from patrol.crawl.middlewares import parse_retry_after
from patrol.crawl.profile import sites_dir
from patrol.marketplaces import serve_marketplaces
from tests.spiders.patrolrun import PatrolHome


def test_robots_txt_is_obeyed(home: PatrolHome, tmp_path: Path) -> None:
    # a profile that would follow ad redirects (/go/, disallowed) and other sites' links
    profile = (sites_dir() / "taoji.yaml").read_text(encoding="utf-8")
    profile = profile.replace(
        "  - '/list\\?page=\\d+$'", "  - '/list\\?page=\\d+$'\n  - '/go/'\n  - '/cart'"
    )
    assert "/go/" in profile
    path = tmp_path / "taoji.yaml"
    path.write_text(profile, encoding="utf-8")
    with serve_marketplaces(sites=("taoji", "bazaar"), seed=1, listings=80, hour=10.0) as fx:
        result = home.patrol(str(path), fx.base_url("taoji"))
        bazaar_requests = fx.requests("bazaar")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stats["robotstxt/forbidden"] > 0
    assert result.stats["robotstxt/request_count"] == 1
    assert not bazaar_requests  # nothing fetched outside the profile's host and port
    assert result.summary["listings"] > 0


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert parse_retry_after(b"3") == 3.0
    assert parse_retry_after(" 120 ") == 120.0
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later.encode(), now=now) == 30.0
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after(b"soon") is None
    assert parse_retry_after(None) is None
