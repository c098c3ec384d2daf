"""The evidence pipeline: flagged listings get their page stored by content hash."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from patrol.items import Listing, PageCapture
from patrol.screening.verdict import Verdict
from pipelines.evidence import EvidencePipeline

BODY = "<html><head><meta charset='gbk'></head><h1>耐克 运动鞋</h1></html>".encode("gbk")


def _listing(flagged: bool | None, screenshot: bytes | None = None) -> Listing:
    capture = PageCapture(
        url="http://127.0.0.1:1/item/1.html?x=../../etc/passwd",
        status=200,
        headers={"Content-Type": "text/html; charset=GBK", "Date": "Sat, 28 Nov 2026"},
        body=BODY,
        fetched_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
        screenshot=screenshot,
    )
    verdict = None if flagged is None else Verdict(score=0.9, flagged=flagged, threshold=0.5)
    return Listing(
        marketplace="taoji",
        listing_id="../../evil",
        url=capture.url,
        title="../../../tmp/evil =HYPERLINK()",
        capture=capture,
        verdict=verdict,
    )


def _run(pipeline: EvidencePipeline, item: Listing) -> Listing:
    return asyncio.run(pipeline.process_item(item))


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EvidencePipeline:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    crawler = get_crawler(settings_dict={"PATROL_EVIDENCE_DIR": str(tmp_path / "evidence")})
    return EvidencePipeline.from_crawler(crawler)


def test_flagged_listing_evidence_matches_its_hash(pipeline: EvidencePipeline) -> None:
    item = _run(pipeline, _listing(flagged=True, screenshot=b"\x89PNG fake"))
    digest = hashlib.sha256(BODY).hexdigest()
    assert item.capture is None
    assert item.body_sha256 == digest
    assert item.evidence_path == f"{digest[:2]}/{digest[2:4]}/{digest}.html.gz"
    root = pipeline.evidence.directory
    stored = gzip.decompress((root / item.evidence_path).read_bytes())
    assert stored == BODY and hashlib.sha256(stored).hexdigest() == digest
    sidecar = json.loads((root / f"{digest[:2]}/{digest[2:4]}/{digest}.json").read_text())
    assert sidecar["sha256"] == digest
    assert sidecar["url"].startswith("http://127.0.0.1:1/item/1.html")
    assert sidecar["fetched_at"] == "2026-11-28T10:00:00+00:00"
    assert sidecar["status"] == 200
    assert sidecar["headers"]["Content-Type"] == "text/html; charset=GBK"
    png = root / sidecar["screenshot"]
    assert png.read_bytes() == b"\x89PNG fake"
    assert sidecar["screenshot_sha256"] == hashlib.sha256(b"\x89PNG fake").hexdigest()
    # nothing but hash-named files under the evidence folder
    names = {p.name for p in root.rglob("*") if p.is_file()}
    assert names == {f"{digest}.html.gz", f"{digest}.json", f"{digest}.png"}
    assert pipeline.stats.get_value("patrol/evidence_stored") == 1


@pytest.mark.parametrize("flagged", [False, None])
def test_unflagged_listing_only_loses_its_capture(
    pipeline: EvidencePipeline, flagged: bool | None
) -> None:
    item = _run(pipeline, _listing(flagged=flagged))
    assert item.capture is None and item.evidence_path is None
    assert not pipeline.evidence.directory.exists()


def test_same_page_twice_is_one_file(pipeline: EvidencePipeline) -> None:
    first = _run(pipeline, _listing(flagged=True))
    second = _run(pipeline, _listing(flagged=True))
    assert first.evidence_path == second.evidence_path
    files = [p for p in pipeline.evidence.directory.rglob("*") if p.is_file()]
    assert len(files) == 2  # body + sidecar


def test_unwritable_folder_keeps_the_listing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file in the way")
    crawler = get_crawler(settings_dict={"PATROL_EVIDENCE_DIR": str(blocker)})
    pipeline = EvidencePipeline.from_crawler(crawler)
    item = _run(pipeline, _listing(flagged=True))
    assert item.evidence_path is None and item.capture is None
    assert pipeline.stats.get_value("patrol/evidence_errors") == 1


def test_a_sidecar_that_would_not_change_is_not_written_again(
    pipeline: EvidencePipeline,
) -> None:
    first = _run(pipeline, _listing(flagged=True))
    digest = first.body_sha256
    assert digest is not None
    sidecar = pipeline.evidence.directory / f"{digest[:2]}/{digest[2:4]}/{digest}.json"
    before = sidecar.stat()
    _run(pipeline, _listing(flagged=True))  # the same page, fetched at the same time
    assert sidecar.stat().st_ino == before.st_ino  # not replaced by a rename
    later = _listing(flagged=True)
    assert later.capture is not None
    later.capture.fetched_at = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    _run(pipeline, later)
    assert json.loads(sidecar.read_text())["fetched_at"] == "2026-11-29T10:00:00+00:00"


def test_the_spiders_hash_is_used_as_it_is(
    pipeline: EvidencePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _listing(flagged=True)
    assert item.capture is not None
    digest = item.capture.sha256 = hashlib.sha256(BODY).hexdigest()

    def no_hashing(*args: object) -> None:
        raise AssertionError("hashed again")

    monkeypatch.setattr("pipelines.evidence.hashlib.sha256", no_hashing)
    stored = _run(pipeline, item)
    assert stored.body_sha256 == digest
    assert (pipeline.evidence.directory / str(stored.evidence_path)).exists()


def test_a_folder_removed_during_the_patrol_is_made_again(pipeline: EvidencePipeline) -> None:
    import shutil

    first = _run(pipeline, _listing(flagged=True))
    shutil.rmtree(pipeline.evidence.directory)
    other = _listing(flagged=True)
    assert other.capture is not None
    other.capture.body = BODY + b"<!-- another page -->"
    second = _run(pipeline, other)
    again = _run(pipeline, _listing(flagged=True))
    root = pipeline.evidence.directory
    assert (root / str(second.evidence_path)).exists()
    assert again.evidence_path == first.evidence_path and (root / str(again.evidence_path)).exists()


def _pages(count: int) -> list[Listing]:
    items = []
    for number in range(count):
        item = _listing(flagged=number % 3 != 2)
        assert item.capture is not None
        item.capture.body = BODY + f"<!-- {number} -->".encode()
        items.append(item)
    return items


def test_in_a_crawl_files_are_written_off_the_crawl_thread_before_the_item_goes_on(
    pipeline: EvidencePipeline,
) -> None:
    import threading

    root = pipeline.evidence.directory
    writers: set[str] = set()
    store = pipeline.writer.store

    def store_noting_thread(capture: PageCapture) -> tuple[str, str]:
        writers.add(threading.current_thread().name)
        return store(capture)

    pipeline.writer.store = store_noting_thread  # type: ignore[method-assign]

    async def one(item: Listing) -> Listing:
        done = await pipeline.process_item(item)
        # what the store pipeline and the journal see next: the files are already there
        if done.evidence_path is not None:
            assert (root / done.evidence_path).is_file()
            assert (root / done.evidence_path.replace(".html.gz", ".json")).is_file()
        return done

    async def crawl() -> list[Listing]:
        pipeline.open_spider()
        try:
            return list(await asyncio.gather(*(one(item) for item in _pages(30))))
        finally:
            pipeline.close_spider()

    items = asyncio.run(crawl())
    assert writers and threading.current_thread().name not in writers
    assert all(name.startswith("patrol-evidence") for name in writers)
    flagged = [item for item in items if item.verdict is not None and item.verdict.flagged]
    assert len(flagged) == 20 and all(item.evidence_path for item in flagged)
    assert all(item.evidence_path is None for item in items if item not in flagged)
    assert len(list(root.rglob("*.html.gz"))) == 20
    assert pipeline.stats.get_value("patrol/evidence_stored") == 20
    assert pipeline._thread is None  # closed with the spider


def test_a_failed_background_write_keeps_the_listing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file in the way")
    crawler = get_crawler(settings_dict={"PATROL_EVIDENCE_DIR": str(blocker)})
    pipeline = EvidencePipeline.from_crawler(crawler)

    async def crawl() -> Listing:
        pipeline.open_spider()
        try:
            return await pipeline.process_item(_listing(flagged=True))
        finally:
            pipeline.close_spider()

    item = asyncio.run(crawl())
    assert item.evidence_path is None and item.capture is None
    assert pipeline.stats.get_value("patrol/evidence_errors") == 1


def test_files_are_made_private_and_a_left_over_temporary_name_is_passed_over(
    pipeline: EvidencePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools
    import os
    import stat

    root = pipeline.evidence.directory
    digest = hashlib.sha256(BODY).hexdigest()
    folder = root / digest[:2] / digest[2:4]
    folder.mkdir(parents=True)
    left_over = folder / f".tmp-{os.getpid()}-0"
    left_over.write_bytes(b"a killed patrol's half-written page")
    monkeypatch.setattr("pipelines.evidence._tmp_numbers", itertools.count())
    item = _run(pipeline, _listing(flagged=True))
    body = root / str(item.evidence_path)
    assert gzip.decompress(body.read_bytes()) == BODY
    assert left_over.read_bytes() == b"a killed patrol's half-written page"  # not ours
    assert stat.S_IMODE(body.stat().st_mode) == 0o600 & ~_umask()
    assert {p.name for p in folder.iterdir()} == {left_over.name, body.name, f"{digest}.json"}


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
