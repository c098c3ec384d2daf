"""The showcase patrol behind ``patrol demo``.

It runs the whole system the way a user would, on the embedded SQLite database: the
schema is migrated, the fixture world's trademark and patent registry is imported, the
three fixture marketplaces are served on loopback, and each site is patrolled at two
simulated hours, each patrol in its own process as the scheduler does it. Between the two
rounds a demo officer sends takedown notices for the strongest leads, so the second round
shows follow-up at work: listings that came down close their leads, relisted ones reopen.
Running it again changes nothing that is already stored: listings and leads are upserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.config import var_dir
from patrol.errors import PatrolError

__all__ = ["DemoConfig", "DemoResult", "run_demo"]

DEMO_ACTOR = "demo-officer"


@dataclass(frozen=True)
class DemoConfig:
    sites: tuple[str, ...] = ("taoji", "kuaigou", "bazaar")
    seed: int = 2026
    listings: int = 200  # per site
    hours: tuple[float, ...] = (9.0, 21.0)
    notices: int = 10  # takedown notices the demo officer sends after the first round

    def __post_init__(self) -> None:
        if self.listings < 1:
            raise PatrolError(f"--listings must be at least 1, got {self.listings}")
        if not self.hours or any(not 0 <= hour < 24 for hour in self.hours):
            raise PatrolError("simulated hours must lie in [0, 24)")


@dataclass
class DemoResult:
    patrols: list[dict[str, Any]] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, key: str) -> int:
        return sum(int(patrol.get(key, 0) or 0) for patrol in self.patrols)


def run_demo(config: DemoConfig, echo: Callable[[str], None]) -> DemoResult:
    """Set up the database and registries, serve the fixtures and patrol them."""
    from patrol.db import open_database, upgrade_database
    from patrol.marketplaces import serve_marketplaces, write_registry_csv
    from patrol.registry.importer import import_files

    started = time.monotonic()
    upgrade_database()
    database = open_database()
    registry_dir = var_dir() / "fixture-registry"
    imported = import_files(database, write_registry_csv(registry_dir, seed=config.seed))
    echo(f"registry: {sum(len(r.records) for r in imported)} fixture records imported")

    result = DemoResult()
    with serve_marketplaces(
        sites=config.sites, seed=config.seed, listings=config.listings, hour=config.hours[0]
    ) as fixtures:
        for round_number, hour in enumerate(config.hours):
            fixtures.clock.set_hour(hour)
            echo(f"simulated hour {hour:04.1f}: patrolling {', '.join(config.sites)}")
            for site in config.sites:
                summary = _patrol_in_subprocess(site, fixtures.base_url(site))
                summary["hour"] = hour
                result.patrols.append(summary)
                echo("  " + _summary_line(summary))
            if round_number == 0 and config.notices:
                sent = _send_notices(database, config.notices)
                echo(f"demo officer sent {sent} takedown notices")
    result.reports = write_weekly_report(database)
    database.dispose()
    result.seconds = time.monotonic() - started
    return result


def _patrol_in_subprocess(site: str, base_url: str) -> dict[str, Any]:
    """One patrol, one OS process: ``patrol crawl SITE --json``."""
    command = [sys.executable, "-m", "patrol", "crawl", site, "--base-url", base_url, "--json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode not in (0, 1) or not lines:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise PatrolError(f"patrol of {site} failed (exit {completed.returncode}): {detail}")
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def _summary_line(summary: dict[str, Any]) -> str:
    return (
        f"{summary['site']:<8} {summary['status']:<9} {summary['pages']:>5} pages"
        f" {summary['listings']:>5} listings ({summary['new']} new, {summary['changed']}"
        f" changed, {summary['gone']} gone) {summary['flagged']:>4} flagged"
        f" {summary['leads_new']:>4} new leads {summary['seconds']:6.1f}s"
    )


def _send_notices(database: Any, count: int) -> int:
    """Take the strongest new leads to ``notice_sent``, as an officer would.

    Each lead is triaged, assigned with a deadline and confirmed; the leads of one shop are
    grouped into that shop's case, and the case of the strongest lead becomes a key case
    with a responsible officer and a deadline, so the weekly report has cases to show.
    """
    from datetime import timedelta

    from sqlalchemy import select

    from patrol.db.models import Lead, utcnow
    from patrol.leads.cases import case_for_shop, mark_key_case
    from patrol.leads.workflow import assign, transition

    deadline = utcnow() + timedelta(days=7)
    with database.sessions.begin() as session:
        leads = session.scalars(
            select(Lead).where(Lead.status == "new").order_by(Lead.score.desc()).limit(count)
        ).all()
        for lead in leads:
            transition(session, lead, "triaged", actor=DEMO_ACTOR, reason="demo triage")
            assign(session, lead, DEMO_ACTOR, deadline=deadline, actor=DEMO_ACTOR)
            transition(session, lead, "confirmed", actor=DEMO_ACTOR, reason="counterfeit")
            transition(session, lead, "notice_sent", actor=DEMO_ACTOR, reason="notice sent")
        for number, lead in enumerate(leads):
            listing = lead.listing
            if listing.shop is None:
                continue
            case = case_for_shop(
                session, listing.marketplace.code, listing.shop.shop_id, actor=DEMO_ACTOR
            )
            if number == 0 and not case.key_case:
                mark_key_case(
                    session, case, officer="Officer Li", deadline=deadline, actor=DEMO_ACTOR
                )
    return len(leads)


def write_weekly_report(database: Any) -> list[Path]:
    """This week's report tables, as XLSX and HTML, under ``var/reports/``."""
    from patrol.db.models import utcnow
    from patrol.reports.periods import week_period
    from patrol.reports.render import build_report, write_report

    now = utcnow()
    period = week_period(today=now.date())
    folder = var_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with database.sessions() as session:
        for lang, fmt in (("en", "xlsx"), ("zh", "html")):
            report = build_report(session, period, lang, now)
            path = folder / f"weekly-{period.label}-{lang}.{fmt}"
            write_report(report, path, fmt)
            written.append(path)
    return written


@dataclass(frozen=True)
class LeadRow:
    lead_id: int
    score: float
    status: str
    marketplace: str
    shop: str
    title: str
    rule_ids: tuple[str, ...]


def top_leads(limit: int = 15) -> list[LeadRow]:
    """The highest-scoring leads, for the table the demo prints."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from patrol.db import open_database
    from patrol.db.models import Lead, ListingRow

    database = open_database()
    try:
        with database.sessions() as session:
            leads = session.scalars(
                select(Lead)
                .options(
                    joinedload(Lead.listing).joinedload(ListingRow.marketplace),
                    joinedload(Lead.listing).joinedload(ListingRow.shop),
                )
                .order_by(Lead.score.desc(), Lead.id)
                .limit(limit)
            ).all()
            return [
                LeadRow(
                    lead_id=lead.id,
                    score=lead.score,
                    status=lead.status,
                    marketplace=lead.listing.marketplace.code,
                    shop=lead.listing.shop.shop_id if lead.listing.shop else "",
                    title=lead.listing.title or "",
                    rule_ids=tuple(sorted({hit.get("rule_id", "?") for hit in lead.reasons})),
                )
                for lead in leads
            ]
    finally:
        database.dispose()
