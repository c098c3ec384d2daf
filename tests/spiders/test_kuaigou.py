"""The JavaScript marketplace: crawled through Chromium, and only through it."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from patrol.crawl.profile import sites_dir
from patrol.marketplaces import FaultConfig, ground_truth, serve_marketplaces
from tests.spiders.patrolrun import PatrolHome

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEED = 7
LISTINGS = 40
HOUR = 10.0


def test_spa_patrol_renders_every_live_listing(home: PatrolHome) -> None:
    truth = {t["id"]: t for t in ground_truth("kuaigou", SEED, LISTINGS, hour=HOUR)}
    with serve_marketplaces(sites=("kuaigou",), seed=SEED, listings=LISTINGS, hour=HOUR) as fx:
        result = home.patrol("kuaigou", fx.base_url("kuaigou"), timeout=240)
        disallowed = fx.disallowed("kuaigou")
    assert result.returncode == 0, result.stderr[-3000:]
    found = {item["listing_id"]: item for item in result.items if "title" in item}
    assert set(found) == set(truth)
    for listing_id, expected in truth.items():
        item = found[listing_id]
        assert item["title"] == expected["title"]
        assert Decimal(str(item["price"])) == Decimal(expected["price"])
        assert item["brand"] == expected["brand"]
        assert item["shop_id"] == expected["shop"]

    stats = result.stats
    # every page went through the browser...
    assert stats["patrol/rendered_listing_pages"] == len(truth)
    assert stats["playwright/page_count"] >= len(truth) + 1
    # ...which never downloaded an image, a font or a medium (images are not even asked
    # for), and closed every page
    assert stats.get("playwright/request_count/resource_type/image", 0) == 0
    assert not any(
        stats.get(f"playwright/response_count/resource_type/{kind}")
        for kind in ("image", "font", "media")
    )
    # result pages closed by scrapy-playwright, listing pages once the evidence was decided
    closed = stats["playwright/page_count/closed"] + stats["patrol/browser_pages_closed"]
    assert closed == stats["playwright/page_count"]
    # only flagged listings cost a screenshot
    assert stats["patrol/evidence_stored"] == stats["patrol/flagged"] < len(truth)
    assert stats["playwright/page_count/max_concurrent"] <= 4  # the profile's concurrency
    # every detail page asks for the site's view counter, which robots.txt disallows: the
    # browser was not let send it (the server saw none), and each was counted
    assert disallowed == []
    assert stats["patrol/browser_robots_forbidden"] >= len(truth)
    assert stats["robotstxt/forbidden"] == stats["patrol/browser_robots_forbidden"]

    # evidence of flagged listings: the rendered page (not the empty shell) and a screenshot
    flagged = [i for i in result.items if i.get("evidence_path")]
    assert flagged, "some fixture listings are counterfeit"
    evidence = home.root / "var" / "evidence"
    for item in flagged:
        body = gzip.decompress((evidence / item["evidence_path"]).read_bytes())
        digest = hashlib.sha256(body).hexdigest()
        assert digest == item["body_sha256"] and item["evidence_path"].endswith(digest + ".html.gz")
        assert item["title"] in body.decode("utf-8")
        sidecar_path = evidence / item["evidence_path"].replace(".html.gz", ".json")
        sidecar = json.loads(sidecar_path.read_text())
        png = (evidence / sidecar["screenshot"]).read_bytes()
        assert png.startswith(b"\x89PNG")
        assert hashlib.sha256(png).hexdigest() == sidecar["screenshot_sha256"]


def test_spa_faults_are_retried_until_the_data_loads(home: PatrolHome) -> None:
    truth = {t["id"] for t in ground_truth("kuaigou", SEED, 30, hour=HOUR)}
    # faults on the app's data calls, which it shows as its error view; on every path, how
    # many land on a data call would depend on the order the browser's requests arrive in
    faults = FaultConfig(
        error_rate=0.1, rate_limit=0.1, retry_after=1, drop_rate=0.05, path_prefix="/api/item/"
    )
    with serve_marketplaces(
        sites=("kuaigou",), seed=SEED, listings=30, hour=HOUR, faults=faults
    ) as fx:
        result = home.patrol("kuaigou", fx.base_url("kuaigou"), "-s", "RETRY_TIMES=8", timeout=240)
        counts = fx.fault_counts("kuaigou")
    failed = sum(counts.get(fault, 0) for fault in ("error500", "error503", "ratelimit"))
    assert failed >= 4  # about a fifth of 30+ data calls
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.listing_ids == truth
    # each error view ("加载失败") was recognised and its page fetched again; a dropped
    # data call leaves the page unready, which the browser's wait ends
    assert result.stats["patrol/error_pages"] == failed
    assert result.stats["retry/reason_count/error_page"] == failed


def test_browser_that_dies_is_restarted(home: PatrolHome) -> None:
    import psutil

    truth = {t["id"] for t in ground_truth("kuaigou", SEED, LISTINGS, hour=HOUR)}
    job = home.root / "job"
    with serve_marketplaces(sites=("kuaigou",), seed=SEED, listings=LISTINGS, hour=HOUR) as fx:
        argv, feed = home.command("kuaigou", fx.base_url("kuaigou"), "--job-dir", str(job))
        proc = subprocess.Popen(
            argv, env=home.env, cwd=home.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        done = job / "done-listings.txt"
        deadline = time.monotonic() + 120
        while not done.exists() or done.read_text().count("\n") < 5:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        browsers = _browser_processes(psutil.Process(proc.pid))
        assert browsers, "the patrol runs a browser"
        for browser in browsers:
            with contextlib.suppress(psutil.NoSuchProcess):
                browser.kill()
        out, err = proc.communicate(timeout=240)
    result = home.result(proc.returncode, out.decode(), err.decode(), feed)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stats["playwright/browser_count"] == 2  # relaunched once
    assert result.listing_ids == truth  # pages lost with the browser were fetched again


def _browser_processes(patrol: Any) -> list[Any]:
    """The browsers a patrol runs: the Chromium processes Playwright's driver started.

    Chromium's own children (zygotes, renderers, one forked but not yet exec'ed and so
    still looking like the browser, one that just exited) have a Chromium parent.
    """
    import psutil

    found = []
    for process in patrol.children(recursive=True):
        try:
            parent = process.parent()
            if "chrom" in process.name().lower() and "chrom" not in parent.name().lower():
                found.append(process)
        except (psutil.Error, AttributeError):  # gone meanwhile (no parent left: None)
            continue
    return found


def test_load_more_profile_reads_the_whole_feed(home: PatrolHome, tmp_path: Path) -> None:
    # the same site patrolled through its "load more" button instead of its pages
    profile = (sites_dir() / "kuaigou.yaml").read_text(encoding="utf-8")
    profile = profile.replace("start_urls: ['/?page=1']", "start_urls: ['/']")
    profile = profile.replace("  - '/\\?page=\\d+$'", "  - '^$'")
    profile = profile.replace(
        "  screenshot: true", "  screenshot: false\n  load_more: '#kg-load-more'"
    )
    assert "load_more" in profile and "'^$'" in profile
    path = tmp_path / "kuaigou.yaml"
    path.write_text(profile, encoding="utf-8")
    truth = {t["id"] for t in ground_truth("kuaigou", SEED, 45, hour=HOUR)}
    with serve_marketplaces(sites=("kuaigou",), seed=SEED, listings=45, hour=HOUR) as fx:
        result = home.patrol(str(path), fx.base_url("kuaigou"), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stats["patrol/index_pages"] == 1  # one page, grown by clicking
    assert result.listing_ids == truth
