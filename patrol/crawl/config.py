"""The patrol's crawl settings, read once into a typed object.

``patrol crawl`` sets these from its options; ``scrapy crawl marketplace -a site=NAME``
takes the same values as spider arguments (``site``, ``base_url``, ``job_dir``), which win
over the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patrol.errors import PatrolError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["CrawlConfig"]


@dataclass(frozen=True)
class CrawlConfig:
    """Which site to patrol, where, and how."""

    site: str
    base_url: str | None = None  # overrides the profile's base URL
    job_dir: Path | None = None  # resumable patrol: the journal lives here
    recheck_notices: bool = True  # re-request listings whose lead is in notice_sent

    @classmethod
    def from_settings(
        cls,
        settings: BaseSettings,
        site: str | None = None,
        base_url: str | None = None,
        job_dir: str | None = None,
    ) -> CrawlConfig:
        site = site or settings.get("PATROL_SITE")
        if not site:
            raise PatrolError("no site to patrol: pass -a site=NAME or set PATROL_SITE")
        job = job_dir or settings.get("PATROL_JOB_DIR")
        return cls(
            site=site,
            base_url=base_url or settings.get("PATROL_BASE_URL") or None,
            job_dir=Path(job).resolve() if job else None,
            recheck_notices=settings.getbool("PATROL_RECHECK_NOTICES", True),
        )
