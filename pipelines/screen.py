"""Screen every listing against the rulebook and attach the verdict to the item.

The rulebook is compiled once per patrol together with what the database knows
(trademarks, patents, authorised sellers, repeat-offender shops) and is immutable
afterwards; ``screen()`` is pure, so this pipeline only has it called and counts
``patrol/flagged``. A listing the engine fails on keeps ``verdict = None`` and is counted
in ``patrol/screen_errors`` — one bad listing never stops a patrol.

In a running crawl on a machine with more than one core the rulebook also goes to a child
process (:mod:`patrol.screening.process`), and once the child has loaded it the crawl's
thread only hands listings over: screening is the largest share of a patrol's own CPU
time, and in the crawl's process it would share one core with everything else under the
GIL. The child is started first, so it loads its rulebook while this process loads its
own: a broken rulebook stops the patrol before it starts, and the copy here screens
should the child be lost. The crawl waits for the child in ``open_spider`` (the two
loads overlap, so that costs little more than one): had it started at once, the child's
start-up would take the second core from the crawl and the fixture or real site for the
first second or so, and the listings of that second would be screened in the crawl's
thread. Without the wait (a test calling ``process_item`` directly) listings are screened
here until the child is ready; a patrol over before that just stops it.
``PATROL_SCREEN_PROCESS`` (on by default when there is more than one core) switches the
child on or off. Should the child go away mid-patrol (or stall), the pipeline loads the
rulebook itself and screens the listings that were waiting and all later ones in the
crawl's process (``patrol/screen_process_lost``), so no listing goes unscreened; a listing
whose fields cannot be pickled for the child is screened here too. Without a running event
loop screening is always done in the caller's process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from patrol.childproc import loop_running, usable_cores
from patrol.errors import PatrolError
from patrol.items import Listing
from patrol.screening.process import (
    ListingNotPicklable,
    ScreeningProcess,
    ScreeningProcessLost,
    load_screening,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from patrol.screening import Rulebook, Verdict

__all__ = ["ScreenConfig", "ScreenPipeline"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenConfig:
    rules: Path | None  # PATROL_RULES, else the project's rules/
    database_url: str | None  # PATROL_DATABASE_URL setting, else the environment
    enabled: bool = True
    in_child_process: bool = True  # PATROL_SCREEN_PROCESS

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ScreenConfig:
        rules = settings.get("PATROL_RULES")
        return cls(
            rules=Path(rules) if rules else None,
            database_url=settings.get("PATROL_DATABASE_URL") or None,
            enabled=settings.getbool("PATROL_SCREEN_ENABLED", True),
            in_child_process=settings.getbool("PATROL_SCREEN_PROCESS", usable_cores() > 1),
        )


class ScreenPipeline:
    def __init__(self, crawler: Crawler, config: ScreenConfig, rulebook: Rulebook) -> None:
        self.crawler = crawler
        self.config = config
        #: screens here until the child is ready, and again should it be lost
        self.rulebook: Rulebook | None = rulebook
        self.version = rulebook.version  # the patrol's rulebook; the child's must be the same
        self.child: ScreeningProcess | None = None
        self._launch: asyncio.Task[ScreeningProcess] | None = None
        self._closing: set[asyncio.Task[None]] = set()  # children let go of mid-patrol

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScreenPipeline:
        config = ScreenConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("PATROL_SCREEN_ENABLED is off")
        starting = _start_child(config) if config.in_child_process and loop_running() else None
        try:
            rulebook = _load(config)  # a broken rulebook stops the patrol here
        except BaseException:
            if starting is not None:
                starting.cancel()  # and its child with it
            raise
        pipeline = cls(crawler, config, rulebook)
        if starting is not None:
            pipeline._launch = starting
            starting.add_done_callback(pipeline._adopt_child)
        return pipeline

    async def open_spider(self) -> None:
        """Begin the crawl once the child is ready (or has failed): see the module's doc."""
        if self._launch is not None:
            await asyncio.wait([self._launch])  # adopted (or not) by then: see below

    def _adopt_child(self, starting: asyncio.Task[ScreeningProcess]) -> None:
        """Take the child on once it is ready (called back before ``open_spider`` resumes)."""
        if starting.cancelled():
            return
        exc = starting.exception()
        if isinstance(exc, PatrolError | ScreeningProcessLost):
            logger.warning("screening in the crawl's process: no child process (%s)", exc)
            return
        if exc is not None:  # a bug: said in full, and the patrol goes on screening here
            logger.error("screening in the crawl's process: no child process", exc_info=exc)
            return
        child = starting.result()
        if child.info.version != self.version:
            logger.warning(
                "screening in the crawl's process: the child loaded rulebook %s, not %s"
                " (the rules or registries changed meanwhile)",
                child.info.version,
                self.version,
            )
            self._let_go(child)
            return
        self.child = child
        self.rulebook = None  # the child's from now on; loaded again only if it is lost
        logger.info("screening in process %d from now on", child.pid)

    async def close_spider(self) -> None:
        if self._launch is not None and not self._launch.done():
            self._launch.cancel()  # a short patrol: done before its child was ready
        self._launch = None
        if self.child is not None:
            self._let_go(self.child)
            self.child = None
        for closed in await asyncio.gather(*self._closing, return_exceptions=True):
            if isinstance(closed, Exception):
                logger.error("closing the screening process failed", exc_info=closed)

    def _let_go(self, child: ScreeningProcess) -> None:
        """Close ``child`` while the crawl goes on (``close_spider`` waits for it)."""
        closing = asyncio.get_running_loop().create_task(child.aclose())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        stats = self.crawler.stats
        assert stats is not None
        try:
            item.verdict = await self._screen(item)
        except Exception:
            logger.exception("screening failed for %s", item.url)
            stats.inc_value("patrol/screen_errors")
            return item
        if item.verdict.flagged:
            stats.inc_value("patrol/flagged")
        return item

    async def _screen(self, listing: Listing) -> Verdict:
        from patrol.screening import screen

        if self.child is not None:
            try:
                return await self.child.screen(listing)
            except ScreeningProcessLost as exc:
                self._lose_child(exc)
            except ListingNotPicklable as exc:
                logger.warning("listing screened in the crawl's process: %s", exc)
        if self.rulebook is None:  # the first listing back from a lost child loads it
            self.rulebook = _load(self.config)
            if self.rulebook.version != self.version:
                logger.warning(
                    "the rules or registries changed during the patrol: rulebook %s from now"
                    " on, %s before",
                    self.rulebook.version,
                    self.version,
                )
        return screen(listing, self.rulebook)

    def _lose_child(self, exc: ScreeningProcessLost) -> None:
        if self.child is None:
            return
        logger.error("%s; screening in the crawl's process from now on", exc)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("patrol/screen_process_lost")
        self._let_go(self.child)
        self.child = None


def _start_child(config: ScreenConfig) -> asyncio.Task[ScreeningProcess] | None:
    try:
        return ScreeningProcess.start(config.rules, config.database_url)
    except (OSError, ScreeningProcessLost) as exc:
        logger.warning("screening in the crawl's process: no child process (%s)", exc)
        return None


def _load(config: ScreenConfig) -> Rulebook:
    rulebook, info = load_screening(config.rules, config.database_url)
    for warning in info.warnings:
        logger.warning("%s", warning)
    logger.info("%s", info.describe())
    return rulebook
