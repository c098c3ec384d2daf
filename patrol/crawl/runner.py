"""Running one patrol in this process, and the summary printed after it.

One OS process runs one patrol (the Twisted reactor cannot restart, and a fresh process
caps browser memory), so :func:`run_patrol` may be called once per process; the scheduler
and the benchmarks start ``patrol crawl`` as a subprocess for each run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.crawl.profile import SiteProfile, load_profile
from patrol.errors import PatrolError

__all__ = ["PatrolSummary", "patrol_settings", "run_patrol"]


@dataclass(frozen=True)
class PatrolSummary:
    """What a patrol did, read from the crawl stats."""

    site: str
    status: str  # "finished", "blocked", "shutdown", ...
    pages: int
    listings: int
    new: int
    changed: int
    unchanged: int
    kept: int  # known listings whose page came incomplete, left as stored
    gone: int
    flagged: int
    leads_new: int
    errors: int
    blocked_pages: int
    validation_warnings: int
    rendered_pages: int
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_stats(cls, site: str, stats: dict[str, Any]) -> PatrolSummary:
        def count(key: str) -> int:
            return int(stats.get(key, 0) or 0)

        return cls(
            site=site,
            status=str(stats.get("finish_reason", "unknown")),
            pages=count("response_received_count"),
            listings=count("patrol/listings"),
            new=count("patrol/listings_new"),
            changed=count("patrol/listings_changed"),
            unchanged=count("patrol/listings_unchanged"),
            kept=count("patrol/listings_kept"),
            gone=count("patrol/listings_gone"),
            flagged=count("patrol/flagged"),
            leads_new=count("patrol/leads_new"),
            errors=count("log_count/ERROR") + count("spider_exceptions/count"),
            blocked_pages=count("patrol/blocked_pages"),
            validation_warnings=count("patrol/validation_warnings"),
            rendered_pages=count("playwright/page_count"),
            seconds=float(stats.get("elapsed_time_seconds", 0.0) or 0.0),
            stats=stats,
        )

    def line(self) -> str:
        """The one-line summary ``patrol crawl`` prints."""
        return (
            f"patrol {self.site}: {self.status} — {self.pages} pages"
            f" ({self.rendered_pages} rendered), {self.listings} listings"
            f" ({self.new} new, {self.changed} changed, {self.unchanged} unchanged,"
            + (f" {self.kept} kept as stored (incomplete page)," if self.kept else "")
            + f" {self.gone} gone), {self.flagged} flagged, {self.leads_new} new leads,"
            f" {self.errors} errors, {self.blocked_pages} blocked pages,"
            f" {self.validation_warnings} validation warnings, {self.seconds:.1f}s"
        )


def patrol_settings(overrides: dict[str, Any] | None = None) -> Any:
    """The project's Scrapy settings (``patrol.settings``) with ``overrides`` on top."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("patrol.settings", priority="project")
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return settings


def run_patrol(
    site: str,
    *,
    base_url: str | None = None,
    job_dir: Path | None = None,
    settings: dict[str, Any] | None = None,
) -> PatrolSummary:
    """Patrol ``site`` once, in this process; return the summary of the crawl stats."""
    profile: SiteProfile = load_profile(site, base_url=base_url)  # errors before any crawl
    from scrapy.crawler import AsyncCrawlerProcess

    from spiders.marketplace import MarketplaceSpider

    overrides: dict[str, Any] = {"PATROL_SITE": site, **(settings or {})}
    if base_url:
        overrides["PATROL_BASE_URL"] = profile.base_url
    if job_dir is not None:
        overrides["PATROL_JOB_DIR"] = str(job_dir)
    scrapy_settings = patrol_settings(overrides)
    _check_database(scrapy_settings)
    process = AsyncCrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(MarketplaceSpider)
    task = process.crawl(crawler)
    process.start()
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise PatrolError(f"patrol of {profile.name} could not run: {task.exception()}")
    assert crawler.stats is not None
    return PatrolSummary.from_stats(profile.name, crawler.stats.get_stats())


def _check_database(settings: Any) -> None:
    """Fail with one line before crawling if the store pipeline cannot open its database."""
    pipelines = settings.getdict("ITEM_PIPELINES")
    if not any(path.endswith("StorePipeline") for path in pipelines):
        return
    if not settings.getbool("PATROL_STORE_ENABLED", True):
        return
    from patrol.db import open_database

    open_database(settings.get("PATROL_DATABASE_URL") or None).dispose()
