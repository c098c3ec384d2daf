"""Listing pages read, screened and stored in a process of their own.

A plain patrol of a static site hands its listing pages to the listing process
(:mod:`patrol.crawl.listing_process`); what ends up in the database, in the evidence
folder and in the patrol's stats must be what the same patrol stores reading every page
in the crawl's process — and stay so when the child dies part-way.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest
from scrapy.settings import Settings
from sqlalchemy import select

from patrol.crawl.listing_pages import ListingProcessConfig
from patrol.db import open_database
from patrol.db.models import Lead, ListingRow, ListingSnapshot
from patrol.marketplaces import ground_truth, serve_marketplaces
from tests.crawl.listing_process_spiders import KillsListingProcessSpider
from tests.spiders.patrolrun import PatrolHome

SEED = 3
LISTINGS = 200
_COUNTS = (
    "patrol/listing_pages",
    "patrol/listings",
    "patrol/flagged",
    "patrol/evidence_stored",
    "patrol/listings_new",
    "patrol/listings_changed",
    "patrol/listings_unchanged",
    "patrol/listings_gone",
    "patrol/leads_new",
    "patrol/leads_updated",
    "item_scraped_count",
)


def _stored(home: PatrolHome) -> dict[str, tuple[Any, ...]]:
    """Each listing as stored: status, its snapshots' content, evidence and score, its lead."""
    database = open_database(home.database_url)
    try:
        with database.sessions() as session:
            stored: dict[str, list[Any]] = {}
            for row in session.scalars(select(ListingRow)):
                stored[row.listing_id] = [row.status, row.title]
            query = select(ListingRow.listing_id, ListingSnapshot).join(
                ListingSnapshot, ListingSnapshot.listing_pk == ListingRow.id
            )
            for listing_id, snap in session.execute(query.order_by(ListingSnapshot.id)):
                stored[listing_id].append(
                    (snap.content_hash, snap.body_sha256, snap.evidence_path, snap.score)
                )
            leads = select(ListingRow.listing_id, Lead.status, Lead.score).join(
                Lead, Lead.listing_pk == ListingRow.id
            )
            for listing_id, status, score in session.execute(leads):
                stored[listing_id].append(("lead", status, score))
        return {key: tuple(value) for key, value in stored.items()}
    finally:
        database.dispose()


def _patrol(home: PatrolHome, base_url: str, *, listing_process: bool) -> Any:
    switch = f"PATROL_LISTING_PROCESS={listing_process}"
    batches = "PATROL_STORE_BATCH_SIZE=25"  # the child answers as it goes, batch by batch
    result = home.patrol("taoji", base_url, "-s", switch, "-s", batches, feed=False)
    assert result.returncode == 0, result.stderr[-3000:]
    told = "listing pages read in process" in result.stderr
    assert told is listing_process, result.stderr[-3000:]
    return result


def test_listing_process_stores_what_the_crawls_process_does(tmp_path: Path) -> None:
    """Two patrols (morning, evening: new, changed, gone listings) either way: the same
    rows, snapshots, evidence and leads, and the same counts in the stats."""
    there, here = PatrolHome(tmp_path / "there"), PatrolHome(tmp_path / "here")
    by_child, in_crawl = [], []
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=6.0) as fx:
        for hour in (6.0, 20.0):  # the same pages either way: one server, one clock
            fx.clock.set_hour(hour)
            by_child.append(_patrol(there, fx.base_url("taoji"), listing_process=True))
            in_crawl.append(_patrol(here, fx.base_url("taoji"), listing_process=False))

    for child_run, crawl_run in zip(by_child, in_crawl, strict=True):
        assert {k: child_run.stats.get(k) for k in _COUNTS} == {
            k: crawl_run.stats.get(k) for k in _COUNTS
        }
    evening = by_child[1].stats
    morning_ids = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=6.0)}
    evening_ids = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=20.0)}
    assert evening["patrol/listings_gone"] == len(morning_ids - evening_ids) > 0
    assert by_child[0].stats["patrol/flagged"] > 0
    # an answer after each batch it stored (at a frame's end: 25 listings or more), and
    # one at the end; not only at the end
    assert by_child[0].stats["patrol/listing_process_answers"] >= len(morning_ids) // 48

    stored = _stored(there)
    assert stored == _stored(here)
    assert {i for i, row in stored.items() if row[0] == "gone"} == morning_ids - evening_ids
    evidence = sorted(p.name for p in (there.root / "var" / "evidence").rglob("*.gz"))
    assert evidence == sorted(p.name for p in (here.root / "var" / "evidence").rglob("*.gz"))
    assert len(evidence) >= by_child[0].stats["patrol/evidence_stored"] > 0


def test_pages_of_a_lost_listing_process_are_read_in_the_crawl(tmp_path: Path) -> None:
    """The child killed part-way: what it had not stored is read in the crawl's process;
    every listing is stored once and counted once."""
    home = PatrolHome(tmp_path)
    truth = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=6.0)}
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=6.0) as fx:
        crawl = ["-m", "tests.crawl.listing_process_crawl", fx.base_url("taoji"), "60"]
        proc = subprocess.run(
            [sys.executable, *crawl],
            env=home.env,
            cwd=home.root,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads(proc.stdout.splitlines()[-1])
    assert "listing process exited" in proc.stderr
    returned = stats["patrol/listing_process_returned"]
    assert 0 < returned < len(truth)  # the child had stored some before it died
    assert stats["finish_reason"] == "finished"
    assert stats["patrol/listings"] == len(truth)
    # the child answers right after each write: nothing it stored is stored again here
    assert stats["patrol/listings_new"] == len(truth)
    assert stats.get("patrol/listings_unchanged", 0) == 0
    rows = home.listing_rows("taoji")
    assert sorted(row.listing_id for row in rows) == sorted(truth)


def test_a_listing_process_outliving_its_patrol_stores_what_it_read(tmp_path: Path) -> None:
    """The patrol SIGKILLed after 60 pages, long before its store's first batch of 1,000:
    its listing process stores the pages it had been sent before it leaves."""
    home = PatrolHome(tmp_path)
    with serve_marketplaces(sites=("taoji",), seed=SEED, listings=LISTINGS, hour=6.0) as fx:
        crawl = ["-m", "tests.crawl.listing_process_crawl", fx.base_url("taoji"), "0", "60"]
        proc = subprocess.run(
            [sys.executable, *crawl],
            env=home.env,
            cwd=home.root,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
        child = psutil.Process(json.loads(proc.stdout.splitlines()[-1])["listing_process"])
        child.wait(timeout=60)
    stored = {row.listing_id for row in home.listing_rows("taoji")}
    truth = {t["id"] for t in ground_truth("taoji", SEED, LISTINGS, hour=6.0)}
    assert len(stored) >= 60 and stored <= truth


def _spider(**attributes: Any) -> Any:
    profile = SimpleNamespace(browser=None)
    values = {"profile": profile, "journal": None, **attributes}
    return _Spider(**values)


class _Spider(KillsListingProcessSpider):
    def __init__(self, **attributes: Any) -> None:  # no profile loading: only what it is
        self.__dict__.update(attributes)


_PIPELINES = {"ITEM_PIPELINES": {"pipelines.store.StorePipeline": 500}}


@pytest.mark.parametrize(
    ("settings", "spider", "why_not"),
    [
        ({"PATROL_LISTING_PROCESS": False}, {}, "PATROL_LISTING_PROCESS is off"),
        ({}, {"profile": SimpleNamespace(browser=object())}, "a browser site"),
        ({}, {"journal": object()}, "a resumable patrol"),
        ({"PATROL_DISTRIBUTED": True}, {}, "a distributed worker"),
        ({"FEEDS": {"items.jsonl": {"format": "jsonlines"}}}, {}, "FEEDS are set"),
        ({"ITEM_PIPELINES": {}}, {}, "no item pipelines"),
        ({}, {"profile": None}, "not a marketplace spider"),
    ],
)
def test_pages_stay_in_the_crawl_where_they_must(
    settings: dict[str, Any], spider: dict[str, Any], why_not: str
) -> None:
    config = ListingProcessConfig.from_settings(
        Settings({"PATROL_LISTING_PROCESS": True, **_PIPELINES, **settings}), _spider(**spider)
    )
    assert not config.enabled
    assert config.why_not == why_not


def test_a_plain_patrol_reads_its_listings_over_there() -> None:
    config = ListingProcessConfig.from_settings(
        Settings({"PATROL_LISTING_PROCESS": True, **_PIPELINES}), _spider()
    )
    assert config.enabled, config.why_not


def test_a_spider_the_child_cannot_import_keeps_its_pages() -> None:
    class Local(_Spider):
        pass

    config = ListingProcessConfig.from_settings(
        Settings({"PATROL_LISTING_PROCESS": True, **_PIPELINES}),
        Local(profile=SimpleNamespace(browser=None), journal=None),
    )
    assert not config.enabled
    assert "cannot be imported" in config.why_not
