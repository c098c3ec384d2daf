"""Evidence for flagged listings: the page exactly as the patrol received it.

For a listing the screen pipeline flagged, this stores the raw response body
(gzip-compressed), a JSON sidecar with its sha256, URL, fetch time (UTC), HTTP status and
headers, and for a browser-rendered page a full-page PNG screenshot — taken here, from the
page the spider kept open, so only flagged listings pay for one; every such page is closed
here. Files are named by the
body's sha256 (``ab/cd/<sha256>.html.gz``), never by anything taken from the page, so
listing text cannot choose a path, and the same page stored twice is one file. The
listing's ``evidence_path`` (relative to the evidence folder) points at the body; the
capture is then dropped so the raw page does not travel further.

Items that are not flagged only lose their capture.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patrol import config
from patrol.items import Listing, PageCapture

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

__all__ = ["EvidenceConfig", "EvidencePipeline", "evidence_files", "store_evidence"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceConfig:
    """Where evidence goes (``PATROL_EVIDENCE_DIR``, else ``patrol.config.evidence_dir()``)."""

    directory: Path

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> EvidenceConfig:
        configured = settings.get("PATROL_EVIDENCE_DIR")
        return cls(directory=Path(configured).resolve() if configured else config.evidence_dir())


@dataclass(frozen=True)
class EvidenceFiles:
    """The files of one stored page, relative to the evidence folder."""

    body: str
    meta: str
    screenshot: str | None


def evidence_files(sha256: str, screenshot: bool) -> EvidenceFiles:
    """Relative paths for a body with this hash: ``ab/cd/<sha256>.html.gz`` and friends."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    stem = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
    return EvidenceFiles(
        body=f"{stem}.html.gz",
        meta=f"{stem}.json",
        screenshot=f"{stem}.png" if screenshot else None,
    )


def store_evidence(capture: PageCapture, directory: Path) -> tuple[str, str]:
    """Write the capture under ``directory``; return (sha256 of the body, relative body path)."""
    sha256 = hashlib.sha256(capture.body).hexdigest()
    files = evidence_files(sha256, capture.screenshot is not None)
    body_path = directory / files.body
    if not body_path.exists():
        _write_atomic(body_path, gzip.compress(capture.body, compresslevel=6, mtime=0))
    sidecar: dict[str, Any] = {
        "sha256": sha256,
        "url": capture.url,
        "fetched_at": capture.fetched_at.isoformat(),
        "status": capture.status,
        "headers": capture.headers,
        "body": files.body,
        "body_bytes": len(capture.body),
        "screenshot": files.screenshot,
    }
    if capture.screenshot is not None and files.screenshot is not None:
        sidecar["screenshot_sha256"] = hashlib.sha256(capture.screenshot).hexdigest()
        _write_atomic(directory / files.screenshot, capture.screenshot)
    _write_atomic(
        directory / files.meta,
        json.dumps(sidecar, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"),
    )
    return sha256, files.body


class EvidencePipeline:
    """Stores evidence for flagged listings (order 400, after screening)."""

    def __init__(self, evidence: EvidenceConfig, stats: StatsCollector) -> None:
        self.evidence = evidence
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidencePipeline:
        assert crawler.stats is not None
        return cls(EvidenceConfig.from_settings(crawler.settings), crawler.stats)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        capture, item.capture = item.capture, None
        if capture is None:
            return item
        if capture.page is not None:
            await self._screenshot_if_flagged(item, capture)
        if not _is_flagged(item):
            return item
        try:
            sha256, path = store_evidence(capture, self.evidence.directory)
        except OSError as exc:
            # the listing still goes on to be stored and leads still open; say why no file
            self.stats.inc_value("patrol/evidence_errors")
            logger.error("evidence for %s not stored: %s", item.url, exc)
            return item
        item.body_sha256 = sha256
        item.evidence_path = path
        self.stats.inc_value("patrol/evidence_stored")
        return item

    async def _screenshot_if_flagged(self, item: Listing, capture: PageCapture) -> None:
        """Screenshot the still-open browser page of a flagged listing; always close it."""
        from patrol.crawl.browser import close_page, full_page_screenshot

        try:
            if _is_flagged(item) and capture.screenshot is None:
                capture.screenshot = await full_page_screenshot(capture.page)
        except Exception as exc:  # a dead page: the body is still evidence
            self.stats.inc_value("patrol/evidence_errors")
            logger.error("no screenshot of %s: %s", item.url, exc)
        finally:
            await close_page(capture.page, self.stats)
            capture.page = None


def _is_flagged(listing: Listing) -> bool:
    """What the screen pipeline decided (``listing.verdict``); no verdict, not flagged."""
    return listing.verdict is not None and listing.verdict.flagged


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
