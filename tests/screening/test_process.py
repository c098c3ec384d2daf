"""Screening in a child process: the same verdicts, a broken rulebook stops it, a lost
child is screened for by the crawl's process, and nothing of the page travels."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
from scrapy.utils.test import get_crawler

from patrol.items import Listing, PageCapture
from patrol.screening import Rulebook, RulebookError, screen
from patrol.screening.childlog import ChildLogRelay
from patrol.screening.process import RulebookInfo, ScreeningProcess, ScreeningProcessLost
from pipelines.screen import ScreenPipeline

from .conftest import RULES, make_listing

T = TypeVar("T")

TITLES = [
    "NIKE Air Max 高仿 1:1 复刻",
    "耐客 运动鞋 男",
    "N-I-K-E Air Max 气垫鞋",
    "Guсci Marmont 链条包",
    "Plain cotton socks",
    "Nike Air Max 90 男子气垫跑步鞋",
    "",
    "<script>alert(1)</script> 阿迪达斯 超A货",
]


async def _within(*awaitables: Awaitable[T]) -> list[T]:
    """All of them, or a failure (not a hung test) after 30 s."""
    return await asyncio.wait_for(asyncio.gather(*awaitables), timeout=30)


def _screening_children() -> list[psutil.Process]:
    children = psutil.Process().children(recursive=True)
    return [child for child in children if "screening.process" in " ".join(child.cmdline())]


def _listings(count: int) -> list[Listing]:
    return [
        make_listing(TITLES[n % len(TITLES)], str(9 + n * 37), listing_id=str(n))
        for n in range(count)
    ]


def test_the_child_gives_the_verdicts_screening_here_gives(rulebook: Rulebook) -> None:
    listings = _listings(150)  # more than one batch's worth, all screened at once

    async def screen_all() -> list[dict[str, object]]:
        child = await ScreeningProcess.launch(RULES, None)
        try:
            assert child.info.version == rulebook.version
            assert child.info.warnings  # no database here: said, not fatal
            verdicts = await _within(*(child.screen(listing) for listing in listings))
        finally:
            child.close()
        return [verdict.to_dict() for verdict in verdicts]

    got = asyncio.run(screen_all())
    assert got == [screen(listing, rulebook).to_dict() for listing in listings]
    assert sum(1 for verdict in got if verdict["flagged"]) >= 3


def test_the_page_and_its_capture_stay_in_the_crawl() -> None:
    unpicklable_page = lambda: None  # noqa: E731 -- a browser page does not pickle either
    capture = PageCapture(
        url="http://127.0.0.1/item/1",
        status=200,
        headers={},
        body=b"<html></html>",
        fetched_at=datetime.now(UTC),
        page=unpicklable_page,
    )
    listing = make_listing(TITLES[0], "99", capture=capture)

    async def screen_one() -> bool:
        child = await ScreeningProcess.launch(RULES, None)
        try:
            (verdict,) = await _within(child.screen(listing))
            return verdict.flagged
        finally:
            child.close()

    assert asyncio.run(screen_one())
    assert listing.capture is capture and capture.page is unpicklable_page


def test_a_broken_rulebook_stops_the_start_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "rulebook.yaml").write_text("schema: 1\nthreshold: [\n", "utf-8")

    async def start() -> None:
        await ScreeningProcess.launch(tmp_path, None)

    with pytest.raises(RulebookError, match=r"rulebook\.yaml:3"):
        asyncio.run(start())


def test_a_dead_child_fails_what_it_was_screening_and_what_comes_after() -> None:
    async def screen_after_kill() -> tuple[int | None, int]:
        child = await ScreeningProcess.launch(RULES, None)
        os.kill(child.pid, signal.SIGSTOP)  # so the batch is sent before it dies
        sent = asyncio.ensure_future(child.screen(_listings(1)[0]))
        await asyncio.sleep(0.2)
        os.kill(child.pid, signal.SIGKILL)
        lost = 0
        for attempt in (sent, child.screen(_listings(2)[1])):
            try:
                await asyncio.wait_for(attempt, timeout=20)
            except ScreeningProcessLost:
                lost += 1
        child.close()
        return child._proc.returncode, lost

    returncode, lost = asyncio.run(screen_after_kill())
    assert returncode == -signal.SIGKILL
    assert lost == 2


def test_a_stalled_child_is_given_up_and_killed() -> None:
    async def screen_stalled() -> int | None:
        child = await ScreeningProcess.launch(RULES, None, answer_timeout=0.5)
        os.kill(child.pid, signal.SIGSTOP)
        with pytest.raises(ScreeningProcessLost, match=r"no answer in 0\.5 s"):
            await asyncio.wait_for(child.screen(_listings(1)[0]), timeout=20)
        child.close()
        return child._proc.returncode

    assert asyncio.run(screen_stalled()) == -signal.SIGKILL


def test_a_listing_that_does_not_pickle_fails_alone(rulebook: Rulebook) -> None:
    odd, plain = _listings(2)
    odd.attributes = {"x": lambda: None}  # type: ignore[dict-item]

    async def screen_both() -> str:
        child = await ScreeningProcess.launch(RULES, None)
        try:
            with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
                await asyncio.wait_for(child.screen(odd), timeout=20)
            (verdict,) = await _within(child.screen(plain))
            return verdict.to_dict()["score"]
        finally:
            child.close()

    assert asyncio.run(screen_both()) == screen(plain, rulebook).score


def test_close_ends_the_child() -> None:
    async def start_and_close() -> int | None:
        child = await ScreeningProcess.launch(RULES, None)
        await _within(child.screen(_listings(1)[0]))
        child.close()
        return child._proc.poll()

    assert asyncio.run(start_and_close()) == 0


# A child with more to log on its way out than a pipe holds (some 350 kB).
_TALKATIVE_CHILD = """
import json, sys
sys.stdin.buffer.read()  # until the patrol closes the pipe
for n in range(3000):
    sys.stderr.write(json.dumps([20, f"record {n} " + "x" * 100]) + "\\n")
sys.stderr.write(json.dumps([30, "last words"]) + "\\n")
"""


def test_aclose_relays_what_the_child_says_on_its_way_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="patrol.screening.child")

    async def close() -> int | None:
        loop = asyncio.get_running_loop()
        proc = subprocess.Popen(
            [sys.executable, "-c", _TALKATIVE_CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stderr is not None
        info = RulebookInfo(version="v", threshold=0.5, trademarks=0, patents=0, repeat_offenders=0)
        child = ScreeningProcess(proc, loop, info, log_relay=ChildLogRelay(proc.stderr, loop))
        # well within the 5 s after which a lingering child is killed
        await asyncio.wait_for(child.aclose(), timeout=4)
        return proc.returncode

    assert asyncio.run(close()) == 0  # it left by itself: nobody had to kill it
    relayed = [r.getMessage() for r in caplog.records if r.name == "patrol.screening.child"]
    assert len(relayed) == 3001 and relayed[-1] == "last words"


def test_the_pipeline_screens_by_itself_once_its_child_is_lost(rulebook: Rulebook) -> None:
    crawler = get_crawler(settings_dict={"PATROL_RULES": str(RULES), "PATROL_SCREEN_PROCESS": True})
    listings = _listings(12)

    async def patrol() -> list[Listing]:
        pipeline = ScreenPipeline.from_crawler(crawler)
        assert pipeline.rulebook is not None  # screens here until its child is ready
        await asyncio.wait_for(pipeline.open_spider(), timeout=30)
        assert pipeline.child is not None and pipeline.rulebook is None
        (first,) = await _within(pipeline.process_item(listings[0]))
        os.kill(pipeline.child.pid, signal.SIGKILL)
        rest = await _within(*(pipeline.process_item(item) for item in listings[1:]))
        assert pipeline.child is None and pipeline.rulebook is not None
        await pipeline.close_spider()
        assert not _screening_children()  # the lost child was reaped, not left a zombie
        return [first, *rest]

    screened = asyncio.run(patrol())
    assert [item.verdict.to_dict() for item in screened] == [
        screen(item, rulebook).to_dict() for item in listings
    ]
    stats = crawler.stats
    assert stats is not None
    assert stats.get_value("patrol/screen_process_lost") == 1
    assert not stats.get_value("patrol/screen_errors")
    flagged = sum(1 for item in screened if item.verdict is not None and item.verdict.flagged)
    assert stats.get_value("patrol/flagged") == flagged


def test_the_child_loads_alongside_the_pipeline_and_the_crawl_waits_for_it(
    rulebook: Rulebook,
) -> None:
    crawler = get_crawler(settings_dict={"PATROL_RULES": str(RULES), "PATROL_SCREEN_PROCESS": True})
    listing = _listings(1)[0]

    async def patrol() -> tuple[int, Listing]:
        pipeline = ScreenPipeline.from_crawler(crawler)
        started = len(_screening_children())  # before the loop ran: started, not scheduled
        try:
            await asyncio.wait_for(pipeline.open_spider(), timeout=30)
            assert pipeline.child is not None and pipeline.rulebook is None
            (item,) = await _within(pipeline.process_item(listing))
            assert pipeline.child is not None  # screened there, not here
            return started, item
        finally:
            await pipeline.close_spider()

    started, item = asyncio.run(patrol())
    assert started == 1
    assert item.verdict is not None
    assert item.verdict.to_dict() == screen(listing, rulebook).to_dict()
    assert not _screening_children()


def test_a_broken_rulebook_stops_the_pipeline_and_the_child_it_started(tmp_path: Path) -> None:
    (tmp_path / "rulebook.yaml").write_text("schema: 1\nthreshold: [\n", "utf-8")
    crawler = get_crawler(
        settings_dict={"PATROL_RULES": str(tmp_path), "PATROL_SCREEN_PROCESS": True}
    )

    async def start() -> None:
        try:
            ScreenPipeline.from_crawler(crawler)
        finally:
            await asyncio.sleep(0.1)  # the cancelled start's clean-up runs in the loop

    with pytest.raises(RulebookError, match=r"rulebook\.yaml:3"):
        asyncio.run(start())
    assert not _screening_children()


def test_without_a_running_loop_the_pipeline_screens_in_process() -> None:
    crawler = get_crawler(settings_dict={"PATROL_RULES": str(RULES), "PATROL_SCREEN_PROCESS": True})
    pipeline = ScreenPipeline.from_crawler(crawler)
    assert pipeline.child is None and pipeline.rulebook is not None
    item = asyncio.run(pipeline.process_item(_listings(1)[0]))
    assert item.verdict is not None and item.verdict.flagged


def test_the_pipeline_screens_a_listing_that_does_not_pickle_itself(rulebook: Rulebook) -> None:
    crawler = get_crawler(settings_dict={"PATROL_RULES": str(RULES), "PATROL_SCREEN_PROCESS": True})
    odd = _listings(1)[0]
    odd.attributes = {"x": lambda: None}  # type: ignore[dict-item]

    async def patrol() -> Listing:
        pipeline = ScreenPipeline.from_crawler(crawler)
        await asyncio.wait_for(pipeline.open_spider(), timeout=30)
        try:
            (item,) = await _within(pipeline.process_item(odd))
            assert pipeline.child is not None  # one odd listing does not cost the child
            return item
        finally:
            await pipeline.close_spider()

    item = asyncio.run(patrol())
    assert item.verdict is not None and item.verdict.score == screen(odd, rulebook).score
    assert crawler.stats is not None and not crawler.stats.get_value("patrol/screen_errors")


def test_a_patrol_over_before_its_child_is_ready_screens_here_and_stops_it(
    rulebook: Rulebook,
) -> None:
    crawler = get_crawler(settings_dict={"PATROL_RULES": str(RULES), "PATROL_SCREEN_PROCESS": True})
    listings = _listings(3)

    async def short_patrol() -> tuple[list[Listing], bool]:
        pipeline = ScreenPipeline.from_crawler(crawler)
        screened = await _within(*(pipeline.process_item(item) for item in listings))
        assert pipeline.child is None  # still loading: these were screened here
        launch = pipeline._launch
        await pipeline.close_spider()
        await asyncio.sleep(0)
        assert launch is not None
        return screened, launch.cancelled()

    screened, cancelled = asyncio.run(short_patrol())
    assert cancelled
    assert [item.verdict.to_dict() for item in screened] == [
        screen(item, rulebook).to_dict() for item in listings
    ]
    assert not _screening_children()
