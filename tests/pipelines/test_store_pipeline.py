"""The store pipeline: batches by size and on close, a locked database keeps the batch, and
what cannot be stored at all is saved to var/unstored/ rather than lost."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from patrol.db import Database, open_database, upgrade_database
from patrol.db.models import ListingRow
from pipelines.store import StoreConfig, StorePipeline
from tests.db.fixtures import make_listing


def _pipeline(url: str, **settings: object) -> StorePipeline:
    crawler = get_crawler(settings_dict={"PATROL_DATABASE_URL": url, **settings})
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def _stored(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(ListingRow)) or 0


def test_batches_are_flushed_by_size_and_on_close(db: Database) -> None:
    pipeline = _pipeline(db.url, PATROL_STORE_BATCH_SIZE=3, PATROL_STORE_FLUSH_INTERVAL=3600)
    for n in range(4):
        pipeline.process_item(make_listing(str(n), score=0.9 if n == 0 else 0.1))
    assert _stored(db) == 3  # one full batch written, one item still buffered
    pipeline.close_spider()
    assert _stored(db) == 4
    stats = pipeline.crawler.stats.get_stats()  # type: ignore[union-attr]
    assert (stats["patrol/listings_new"], stats["patrol/leads_new"]) == (4, 1)


def test_batches_are_flushed_by_time(db: Database) -> None:
    pipeline = _pipeline(db.url, PATROL_STORE_BATCH_SIZE=1000, PATROL_STORE_FLUSH_INTERVAL=0.05)
    pipeline.process_item(make_listing("1"))
    assert _stored(db) == 0
    time.sleep(0.1)
    pipeline.process_item(make_listing("2"))  # the interval has passed: both written
    assert _stored(db) == 2
    pipeline.close_spider()


def test_a_locked_database_keeps_the_batch_and_spills_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.setenv("PATROL_SQLITE_BUSY_TIMEOUT", "0.1")
    path = tmp_path / "var" / "patrol.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    pipeline = _pipeline(url, PATROL_STORE_BATCH_SIZE=2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    pipeline.process_item(make_listing("1"))
    pipeline.process_item(make_listing("2"))  # the flush fails: both kept
    assert len(pipeline.buffer) == 2
    holder.execute("ROLLBACK")
    pipeline.process_item(make_listing("3"))  # the next flush writes all three
    assert pipeline.buffer == []

    holder.execute("BEGIN EXCLUSIVE")
    pipeline.process_item(make_listing("4"))
    pipeline.close_spider()  # still locked: saved to a file, not lost
    holder.execute("ROLLBACK")
    holder.close()
    (spilled,) = (tmp_path / "var" / "unstored").glob("*.jsonl")
    lines = [json.loads(line) for line in spilled.read_text(encoding="utf-8").splitlines()]
    assert [(line["type"], line["listing_id"]) for line in lines] == [("Listing", "4")]
    assert lines[0]["price"] == "19.90"
    stats = pipeline.crawler.stats.get_stats()  # type: ignore[union-attr]
    assert stats["patrol/listings_new"] == 3 and stats["patrol/store_errors"] == 3


def _in_background(pipeline: StorePipeline) -> StorePipeline:
    """The writer a running crawl gets (open_spider starts it only under a reactor)."""
    pipeline._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-store")
    return pipeline


def test_a_crawl_writes_batches_in_the_background_and_counts_them(db: Database) -> None:
    pipeline = _in_background(
        _pipeline(db.url, PATROL_STORE_BATCH_SIZE=3, PATROL_STORE_FLUSH_INTERVAL=3600)
    )
    for n in range(7):
        pipeline.process_item(make_listing(str(n), score=0.9 if n == 0 else 0.1))
    assert len(pipeline.buffer) == 1  # two batches handed to the writer, one after the other
    pipeline.close_spider()  # waits for them, then writes the last item
    assert _stored(db) == 7
    stats = pipeline.crawler.stats.get_stats()  # type: ignore[union-attr]
    assert (stats["patrol/listings_new"], stats["patrol/leads_new"]) == (7, 1)


def test_a_background_batch_the_database_refuses_is_kept_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.setenv("PATROL_SQLITE_BUSY_TIMEOUT", "0.1")
    path = tmp_path / "var" / "patrol.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    pipeline = _in_background(_pipeline(url, PATROL_STORE_BATCH_SIZE=2))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    pipeline.process_item(make_listing("1"))
    pipeline.process_item(make_listing("2"))  # handed over; the write will fail
    assert pipeline._writing is not None
    assert not pipeline._settle(wait=True)  # its outcome: refused, and kept
    assert [item.listing_id for item in pipeline.buffer] == ["1", "2"]
    holder.execute("ROLLBACK")
    holder.close()
    pipeline.process_item(make_listing("3"))  # the next flush writes all three
    pipeline.close_spider()
    database = open_database(url)
    try:
        assert _stored(database) == 3
    finally:
        database.dispose()
    stats = pipeline.crawler.stats.get_stats()  # type: ignore[union-attr]
    assert stats["patrol/listings_new"] == 3 and stats["patrol/store_errors"] == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PATROL_STORE_BATCH_SIZE": 0}, "PATROL_STORE_BATCH_SIZE must be ≥ 1"),
        ({"PATROL_GONE_MIN_COVERAGE": 2}, "PATROL_GONE_MIN_COVERAGE must be within 0..1"),
    ],
)
def test_bad_settings_are_rejected(settings: dict[str, object], message: str) -> None:
    crawler = get_crawler(settings_dict=settings)
    with pytest.raises(ValueError, match=message):
        StoreConfig.from_settings(crawler.settings)
