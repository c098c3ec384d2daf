"""Fetching chosen listing URLs through their site's profile: tips and takedown rechecks.

A lead that comes from a complaint or a tip names one listing URL; a takedown follow-up
names the listings of open leads. Both are patrols of a few known URLs rather than of a
whole site, so :class:`ListingUrlSpider` is the marketplace spider with another start:
it requests exactly those URLs, and everything after (screening, evidence, storing,
closing leads whose listing is gone) is the ordinary pipeline. Like every crawl it runs
in its own process (``patrol leads fetch`` / ``patrol leads recheck``).

A page fetched for a tip is kept as evidence whatever its score
(:class:`KeepEvidencePipeline`, ``PATROL_EVIDENCE_ALL``): the complaint is the reason to
keep it. Such a patrol never marks unseen listings gone (``PATROL_MARK_GONE`` off): it
did not look at them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import (
    OPEN_LEAD_STATUSES,
    Lead,
    ListingRow,
    ListingSnapshot,
    Marketplace,
    utcnow,
)
from patrol.errors import PatrolError
from patrol.leads.workflow import record_event

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from patrol.crawl.profile import SiteProfile
    from patrol.crawl.runner import PatrolSummary

__all__ = [
    "KEPT_EVIDENCE_STAT",
    "LEAD_SOURCES",
    "KeepEvidencePipeline",
    "fetch_listings",
    "file_reported_lead",
    "profile_for_url",
    "rebase_url",
    "recheck_urls",
]

logger = logging.getLogger(__name__)

LEAD_SOURCES = ("complaint", "tip", "platform")
#: crawl stat: {listing id: {"evidence_path", "verdict"}} of the pages KeepEvidencePipeline kept
KEPT_EVIDENCE_STAT = "patrol/kept_evidence"


def rebase_url(url: str, base_url: str) -> str:
    """``url`` moved onto the origin of ``base_url`` (same path and query)."""
    parts, base = urlsplit(url), urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))


def profile_for_url(url: str, site: str | None = None) -> SiteProfile:
    """The profile that serves ``url``: ``site`` if given, else the one whose base URL matches.

    With ``site``, a URL on another address is taken as that site served there (a test
    server, a mirror).
    """
    from patrol.crawl.profile import available_sites, check_base_url, load_profile

    try:
        check_base_url(url)
    except PatrolError:
        raise PatrolError(f"not a listing URL: {url!r} (expected http(s)://HOST/…)") from None
    if site is not None:
        profile = load_profile(site)
        if profile.origin != _origin(url):
            profile = profile.with_base_url(rebase_url("/", url))
    else:
        matches = [
            profile
            for profile in (load_profile(name) for name in available_sites())
            if profile.origin == _origin(url)
        ]
        if not matches:
            known = ", ".join(available_sites())
            raise PatrolError(
                f"no site profile serves {url} (known sites: {known}); name one with --site"
            )
        profile = matches[0]
    if profile.listing_id(url) is None:
        raise PatrolError(
            f"{url} is not a listing page of {profile.name} "
            f"(listing URLs match {profile.listing_url.pattern})"
        )
    return profile


class KeepEvidencePipeline:
    """Stores the page of every listing as evidence, flagged or not (order 350)."""

    def __init__(self, directory: Any, stats: Any) -> None:
        self.directory = directory
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KeepEvidencePipeline:
        from scrapy.exceptions import NotConfigured

        from pipelines.evidence import EvidenceConfig

        if not crawler.settings.getbool("PATROL_EVIDENCE_ALL", False):
            raise NotConfigured("PATROL_EVIDENCE_ALL is off")
        return cls(EvidenceConfig.from_settings(crawler.settings).directory, crawler.stats)

    def process_item(self, item: Any) -> Any:
        from patrol.items import Listing
        from pipelines.evidence import store_evidence

        if isinstance(item, Listing) and item.capture is not None:
            item.body_sha256, item.evidence_path = store_evidence(item.capture, self.directory)
            kept = self.stats.get_value(KEPT_EVIDENCE_STAT) or {}
            verdict = item.verdict.to_dict() if item.verdict is not None else None
            kept[item.listing_id] = {"evidence_path": item.evidence_path, "verdict": verdict}
            self.stats.set_value(KEPT_EVIDENCE_STAT, kept)
        return item


def _spider_class() -> type:
    from spiders.marketplace import MarketplaceSpider

    class ListingUrlSpider(MarketplaceSpider):
        """The marketplace spider, requesting only the listing URLs it is given."""

        name = "listing_urls"
        urls: Sequence[str] = ()

        async def start(self) -> AsyncIterator[Any]:
            for url in self.urls:
                address = rebase_url(url, self.profile.base_url)
                listing_id = self.profile.listing_id(address)
                if listing_id is None:
                    logger.warning("%s is not a listing URL of %s", url, self.profile.name)
                    continue
                yield self._listing_request(address, listing_id, recheck=True)

        def _spider_idle(self, spider: Any) -> None:
            """It reads listing pages only: no result page is not a sign of an unreachable site."""

    return ListingUrlSpider


def fetch_listings(
    site: str,
    urls: Sequence[str],
    *,
    base_url: str | None = None,
    keep_evidence: bool = False,
    record_run: bool = True,
    settings: dict[str, Any] | None = None,
) -> PatrolSummary:
    """Fetch ``urls`` of ``site`` in this process (once per process, like any crawl)."""
    from scrapy.crawler import AsyncCrawlerProcess

    from patrol.crawl.profile import load_profile
    from patrol.crawl.runner import PatrolSummary, patrol_settings
    from patrol.db import open_database

    profile = load_profile(site, base_url=base_url)
    overrides: dict[str, Any] = {
        "PATROL_SITE": profile.name,
        "PATROL_MARK_GONE": False,
        "PATROL_RECORD_RUNS": record_run,
        "PATROL_EVIDENCE_ALL": keep_evidence,
        "LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    if base_url:
        overrides["PATROL_BASE_URL"] = profile.base_url
    scrapy_settings = patrol_settings(overrides)
    pipelines = dict(scrapy_settings.getdict("ITEM_PIPELINES"))
    pipelines[f"{__name__}.KeepEvidencePipeline"] = 350
    scrapy_settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    open_database(scrapy_settings.get("PATROL_DATABASE_URL") or None).dispose()
    process = AsyncCrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(_spider_class())
    task = process.crawl(crawler, urls=list(urls))
    process.start()
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise PatrolError(f"fetch from {profile.name} could not run: {task.exception()}")
    assert crawler.stats is not None
    return PatrolSummary.from_stats(profile.name, crawler.stats.get_stats())


def recheck_urls(session: Session, site: str) -> list[str]:
    """Listing URLs of ``site`` that have an open lead (what a takedown follow-up checks)."""
    rows = session.scalars(
        select(ListingRow.url)
        .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
        .join(Lead, Lead.listing_pk == ListingRow.id)
        .where(Marketplace.code == site, Lead.status.in_(OPEN_LEAD_STATUSES))
        .order_by(ListingRow.id)
        .distinct()
    )
    return list(rows)


def file_reported_lead(
    session: Session,
    *,
    site: str,
    listing_id: str,
    url: str,
    source: str,
    note: str | None,
    actor: str,
    evidence_path: str | None = None,
    verdict: dict[str, Any] | None = None,
) -> tuple[Lead, bool]:
    """File a lead for a reported listing whatever its score; (lead, newly created).

    ``verdict`` (as :meth:`Verdict.to_dict`) is the screening of the page just fetched;
    without it the listing's latest snapshot is used. If the listing already has an open
    lead (the patrol flagged it, or someone reported it before), the report is added to
    that lead's history instead.
    """
    if source not in LEAD_SOURCES:
        raise PatrolError(f"unknown lead source {source!r} (known: {', '.join(LEAD_SOURCES)})")
    listing = session.scalars(
        select(ListingRow)
        .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
        .where(Marketplace.code == site, ListingRow.listing_id == listing_id)
    ).one_or_none()
    if listing is None:
        raise PatrolError(f"listing {listing_id} of {site} was not fetched: no lead filed")
    data = {"source": source, "note": note, "url": url}
    reason = f"reported by {source}" + (f": {note}" if note else "")
    lead = session.scalars(
        select(Lead).where(Lead.listing_pk == listing.id, Lead.status.in_(OPEN_LEAD_STATUSES))
    ).one_or_none()
    if lead is not None:
        if evidence_path:
            data["evidence_path"] = evidence_path
        record_event(session, lead, "reported", actor=actor, reason=reason, data=data)
        return lead, False
    if verdict is None:
        snapshot = session.scalars(
            select(ListingSnapshot)
            .where(ListingSnapshot.listing_pk == listing.id)
            .order_by(ListingSnapshot.id.desc())
            .limit(1)
        ).one_or_none()
        verdict = (snapshot.data.get("verdict") if snapshot else None) or {}
    now = utcnow()
    lead = Lead(
        listing_pk=listing.id,
        marketplace_id=listing.marketplace_id,
        status="new",
        score=float(verdict.get("score", listing.score or 0.0)),
        reasons=list(verdict.get("hits", [])),
        evidence_path=evidence_path or listing.evidence_path,
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    session.flush()
    record_event(
        session, lead, "reported", actor=actor, to_status="new", reason=reason, data=data, at=now
    )
    return lead, True
