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

In a running crawl the files are written by one background thread, so the crawl goes on
while the file system works (creating and renaming files costs the kernel far more than
the bytes do, and the GIL is free meanwhile): the item waits for its files, and only then
goes on to the store pipeline. So a listing is stored with an ``evidence_path`` only once
its files are in place, a resumable patrol journals it only after that, and the crawl
cannot end with a write still pending — a killed crawl loses the item with its files, and
a resumed patrol fetches the page again. Without a running event loop (a test calling
``process_item`` directly) the files are written in the caller's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import itertools
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patrol import config
from patrol.items import Listing, PageCapture

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

__all__ = [
    "EvidenceConfig",
    "EvidencePipeline",
    "EvidenceWriter",
    "evidence_files",
    "store_evidence",
]

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
    return EvidenceWriter(directory).store(capture)


class EvidenceWriter:
    """Writes captures under one evidence folder, with as few system calls as it can.

    The hash named by the capture (the spider's, of the same body) is used as it is. Folders
    made once are remembered, and a sidecar whose bytes would not change (the same page
    kept again) is not written again: on a journalling file system every file created or
    renamed costs the kernel more than the bytes in it, and on the writer thread each call
    is one more hand-over of the GIL. One writer is used by one thread at a time.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._root = os.fspath(directory)
        self._folders: set[str] = set()

    def store(self, capture: PageCapture) -> tuple[str, str]:
        """Write the capture; return (sha256 of the body, relative body path)."""
        sha256 = capture.sha256 or hashlib.sha256(capture.body).hexdigest()
        files = evidence_files(sha256, capture.screenshot is not None)
        body_path = os.path.join(self._root, files.body)
        known = os.path.exists(body_path)
        if known:
            self._folders.add(os.path.dirname(body_path))
        else:
            self._write(body_path, gzip.compress(capture.body, compresslevel=6, mtime=0))
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
            self._write(os.path.join(self._root, files.screenshot), capture.screenshot)
        data = json.dumps(sidecar, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        meta_path = os.path.join(self._root, files.meta)
        if not (known and _holds(meta_path, data)):
            self._write(meta_path, data)
        return sha256, files.body

    def _write(self, path: str, data: bytes) -> None:
        """:func:`_write_atomic`, making the folder first unless this writer made it (or
        found it) before; a folder removed since is made again."""
        folder = os.path.dirname(path)
        if folder in self._folders:
            try:
                _write_atomic(path, data)
                return
            except FileNotFoundError:
                self._folders.discard(folder)
        _make_folder(folder)
        _write_atomic(path, data)
        self._folders.add(folder)


class EvidencePipeline:
    """Stores evidence for flagged listings (order 400, after screening)."""

    def __init__(self, evidence: EvidenceConfig, stats: StatsCollector) -> None:
        self.evidence = evidence
        self.stats = stats
        self.writer = EvidenceWriter(evidence.directory)
        self._thread: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidencePipeline:
        assert crawler.stats is not None
        return cls(EvidenceConfig.from_settings(crawler.settings), crawler.stats)

    def open_spider(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # nothing to wait in (a non-asyncio reactor): files written inline
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patrol-evidence")

    def close_spider(self) -> None:
        # every item has been through process_item by now, so no write is pending
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

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
            if self._thread is not None:
                written = self._thread.submit(self.writer.store, capture)
                sha256, path = await asyncio.wrap_future(written)
            else:
                sha256, path = self.writer.store(capture)
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


def _holds(path: str, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data`` (False if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except OSError:
        return False


def _make_folder(folder: str) -> None:
    """``folder`` and any missing parents (one call when only the last one is missing)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_TMP_FLAGS |= getattr(os, "O_CLOEXEC", 0)
_tmp_numbers = itertools.count()


def _write_atomic(path: str, data: bytes) -> None:
    """``data`` at ``path`` via a temporary file in its folder (which must exist) and a rename.

    The temporary file is made as :func:`tempfile.mkstemp` makes one (exclusive, not
    following links, mode 0600), named by process and a counter rather than at random; a
    name left by a killed process of the same number is passed over.
    """
    folder = os.path.dirname(path)
    while True:
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(_tmp_numbers)}")
        try:
            fd = os.open(tmp, _TMP_FLAGS, 0o600)
            break
        except FileExistsError:
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
