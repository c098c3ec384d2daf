"""Recording each patrol run in ``patrol_runs`` (a Scrapy extension).

One row per run: the site, when it started and finished, how it finished (the spider's
close reason: ``finished``, ``blocked``, ``shutdown``, …), pages fetched, errors, listings
and every ``patrol/*`` crawl stat. The row is created when the crawl starts (the store
pipeline asks for its id through :meth:`PatrolRunRecorder.ensure_run`, so listings and
snapshots point at their run) and completed when the engine stops, after the pipelines have
set their final stats.

Enable it with ``EXTENSIONS = {"patrol.db.runs.PatrolRunRecorder": 500}``;
``PATROL_RECORD_RUNS = False`` switches it off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from patrol.db.engine import Database, open_database
from patrol.db.models import PatrolRun, utcnow

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["PatrolRunRecorder", "RunRecorderConfig", "recorder_of", "run_status"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRecorderConfig:
    database_url: str | None
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RunRecorderConfig:
        return cls(
            database_url=settings.get("PATROL_DATABASE_URL") or None,
            enabled=settings.getbool("PATROL_RECORD_RUNS", True),
        )


def run_status(reason: str | None, stats: dict[str, Any]) -> str:
    """The finish status recorded for a run: the close reason, ``blocked`` if it was."""
    if reason == "blocked" or stats.get("patrol/blocked_requests"):
        return "blocked"
    return reason or "unknown"


def _json_safe(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in stats.items()
        if isinstance(value, int | float | str | bool | datetime)
    }


class PatrolRunRecorder:
    def __init__(self, crawler: Crawler, database: Database) -> None:
        self.crawler = crawler
        self.database = database
        self.run_id: int | None = None
        self.started_at: datetime | None = None
        self.reason: str | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PatrolRunRecorder:
        config = RunRecorderConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("PATROL_RECORD_RUNS is off")
        return cls(crawler, open_database(config.database_url))

    def _site(self) -> str:
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        return str(getattr(profile, "name", None) or getattr(spider, "name", "unknown"))

    def ensure_run(self) -> int:
        """The id of this crawl's ``patrol_runs`` row, created on first call."""
        if self.run_id is None:
            self.started_at = utcnow()
            with self.database.sessions.begin() as session:
                run = PatrolRun(
                    site=self._site(),
                    spider=getattr(self.crawler.spider, "name", None),
                    started_at=self.started_at,
                    status="running",
                    stats={},
                )
                session.add(run)
                session.flush()
                self.run_id = run.id
            logger.info("patrol run #%d of %s started", self.run_id, self._site())
        return self.run_id

    def spider_opened(self, spider: Spider) -> None:
        self.ensure_run()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.reason = reason

    def engine_stopped(self) -> None:
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        status = run_status(self.reason or stats.get("finish_reason"), stats)
        values = {
            "finished_at": utcnow(),
            "status": status,
            "finish_reason": self.reason or stats.get("finish_reason"),
            "pages": int(stats.get("response_received_count", 0)),
            "errors": int(stats.get("log_count/ERROR", 0)),  # spider exceptions log too
            "listings": int(stats.get("patrol/listings", 0)),
            "stats": _json_safe(stats),
        }
        try:
            with self.database.sessions.begin() as session:
                session.execute(update(PatrolRun).where(PatrolRun.id == self.run_id).values(values))
        except SQLAlchemyError:
            logger.exception("could not record the end of patrol run #%d", self.run_id)
        else:
            logger.info("patrol run #%d finished: %s", self.run_id, status)
        finally:
            self.database.dispose()


def recorder_of(crawler: Crawler) -> PatrolRunRecorder | None:
    """The crawl's run recorder, if the extension is enabled."""
    extensions = getattr(crawler, "extensions", None)
    for extension in getattr(extensions, "middlewares", ()):
        if isinstance(extension, PatrolRunRecorder):
            return extension
    return None
