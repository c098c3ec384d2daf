"""Evidence of a lead: the stored page (sandboxed) and its screenshot.

The stored page is a stranger's HTML, so it is served with a policy that turns it into an
inert document: ``sandbox`` (no script, an opaque origin, no forms, no pop-ups), nothing
loaded from anywhere (``default-src 'none'``; inline images and styles only), framed only
by the console. The lead page shows it in an ``<iframe sandbox>`` as well, and the
console's own ``frame-src 'self'`` stops the frame from navigating away.

Files are found only from the path the database stored for the lead: it must be the
``ab/cd/<sha256>.html.gz`` the evidence pipeline writes, and every file is then named from
that sha256 (:func:`pipelines.evidence.evidence_files`) and must resolve inside the
evidence folder. Nothing from the URL or the page names a file.
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from patrol.db.models import Lead
from patrol.web.console import Visit, error_page, view
from pipelines.evidence import evidence_files

__all__ = ["EVIDENCE_CSP", "ROUTES", "StoredEvidence", "stored_evidence"]

logger = logging.getLogger(__name__)

EVIDENCE_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)
_BODY_PATH = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.html\.gz")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)


@dataclass(frozen=True)
class StoredEvidence:
    """The files of one stored page; ``sidecar`` is {} when its JSON is missing or bad."""

    sha256: str
    body: Path
    screenshot: Path
    sidecar: dict[str, Any]

    @property
    def has_body(self) -> bool:
        return self.body.is_file()

    @property
    def has_screenshot(self) -> bool:
        return self.screenshot.is_file()

    @property
    def charset(self) -> str | None:
        """The charset the marketplace declared (``Content-Type``), if Python knows it."""
        headers = self.sidecar.get("headers") or {}
        content_type = next(
            (str(v) for k, v in headers.items() if str(k).lower() == "content-type"), ""
        )
        match = _CHARSET.search(content_type)
        if match is None:
            return None
        try:
            codecs.lookup(match.group(1))
        except LookupError:
            return None
        return match.group(1)


def stored_evidence(directory: Path, relative: str | None) -> StoredEvidence | None:
    """The evidence at a stored relative path, or None if that path is not one we write."""
    match = _BODY_PATH.fullmatch(relative or "")
    if match is None:
        return None
    first, second, sha256 = match.groups()
    if (first, second) != (sha256[:2], sha256[2:4]):
        return None
    root = directory.resolve()
    files = evidence_files(sha256, screenshot=True)
    paths = [(root / name).resolve() for name in (files.body, files.meta, files.screenshot or "")]
    if not all(path.is_relative_to(root) for path in paths):
        return None  # a symlink out of the evidence folder
    body, meta, screenshot = paths
    return StoredEvidence(sha256=sha256, body=body, screenshot=screenshot, sidecar=_sidecar(meta))


def lead_evidence(visit: Visit, lead: Lead) -> StoredEvidence | None:
    """The evidence of ``lead`` (its own, else its listing's latest)."""
    return stored_evidence(
        visit.console.config.evidence_dir, lead.evidence_path or lead.listing.evidence_path
    )


def _sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@view("officer")
def evidence_page(visit: Visit) -> Response:
    evidence = _find(visit)
    if evidence is None or not evidence.has_body:
        return _missing(visit, "The stored page of this lead is not in the evidence folder.")
    try:
        body = gzip.decompress(evidence.body.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        logger.error("evidence %s unreadable: %s", evidence.body, exc)
        return _missing(visit, "The stored page of this lead cannot be read.")
    charset = evidence.charset
    return Response(
        body,
        headers={
            "content-type": f"text/html; charset={charset}" if charset else "text/html",
            "content-security-policy": EVIDENCE_CSP,
            "x-frame-options": "SAMEORIGIN",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
    )


@view("officer")
def evidence_screenshot(visit: Visit) -> Response:
    evidence = _find(visit)
    if evidence is None or not evidence.has_screenshot:
        return _missing(visit, "This lead has no stored screenshot.")
    return Response(
        evidence.screenshot.read_bytes(),
        media_type="image/png",
        headers={"content-security-policy": EVIDENCE_CSP},
    )


def _find(visit: Visit) -> StoredEvidence | None:
    lead = visit.db.get(Lead, int(visit.params["lead_id"]))
    return lead_evidence(visit, lead) if lead is not None else None


def _missing(visit: Visit, message: str) -> Response:
    """A 404 page that the lead page's frame may show (so: the evidence policy)."""
    page = error_page(visit.console, visit.request, 404, message)
    page.headers["content-security-policy"] = EVIDENCE_CSP
    page.headers["x-frame-options"] = "SAMEORIGIN"
    return page


ROUTES = [
    Route("/leads/{lead_id:id}/evidence/page", evidence_page),
    Route("/leads/{lead_id:id}/evidence/screenshot", evidence_screenshot),
]
