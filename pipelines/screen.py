"""Screen every listing against the rulebook and attach the verdict to the item.

The rulebook is compiled once per patrol, in ``from_crawler``, together with what the
database knows (trademarks, patents, authorised sellers, repeat-offender shops), and is
immutable afterwards; ``screen()`` is pure, so this pipeline only calls it and counts
``patrol/flagged``. A listing the engine fails on keeps ``verdict = None`` and is counted
in ``patrol/screen_errors`` — one bad listing never stops a patrol.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from patrol.items import Listing
from patrol.registry.records import RegistrySnapshot

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from patrol.screening import Rulebook

__all__ = ["ScreenConfig", "ScreenPipeline", "load_registry"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenConfig:
    rules: Path | None  # PATROL_RULES, else the project's rules/
    database_url: str | None  # PATROL_DATABASE_URL setting, else the environment
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ScreenConfig:
        rules = settings.get("PATROL_RULES")
        return cls(
            rules=Path(rules) if rules else None,
            database_url=settings.get("PATROL_DATABASE_URL") or None,
            enabled=settings.getbool("PATROL_SCREEN_ENABLED", True),
        )


def load_registry(database_url: str | None) -> RegistrySnapshot:
    """The registry snapshot screening reads, or an empty one when there is no database."""
    from patrol.db import open_database, registry_snapshot
    from patrol.errors import PatrolError

    try:
        database = open_database(database_url)
    except PatrolError as exc:
        logger.warning("screening without registries: %s", exc.message)
        return RegistrySnapshot()
    try:
        with database.read_sessions() as session:
            return registry_snapshot(session)
    finally:
        database.dispose()


class ScreenPipeline:
    def __init__(self, crawler: Crawler, rulebook: Rulebook) -> None:
        self.crawler = crawler
        self.rulebook = rulebook

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScreenPipeline:
        from patrol.screening import load_rulebook

        config = ScreenConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("PATROL_SCREEN_ENABLED is off")
        registry = load_registry(config.database_url)
        rulebook = load_rulebook(config.rules, registry=registry)
        logger.info(
            "rulebook %s loaded (threshold %s; %d trademarks, %d patents, %d repeat offenders)",
            rulebook.version,
            rulebook.threshold,
            len(registry.trademarks),
            len(registry.patents),
            len(registry.repeat_offenders),
        )
        return cls(crawler, rulebook)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        from patrol.screening import screen

        stats = self.crawler.stats
        assert stats is not None
        try:
            item.verdict = screen(item, self.rulebook)
        except Exception:
            logger.exception("screening failed for %s", item.url)
            stats.inc_value("patrol/screen_errors")
            return item
        if item.verdict.flagged:
            stats.inc_value("patrol/flagged")
        return item
