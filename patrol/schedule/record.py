"""What the schedule reads from and writes to ``patrol_runs``.

A crawl records its own run (:class:`patrol.db.runs.PatrolRunRecorder`); the scheduler
steps in only when a run's process failed: a row left ``running`` becomes ``failed``, and a
process that died before it could record anything gets a ``failed`` row of its own, with
the end of its log as the reason — so ``patrol runs`` shows every crash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from patrol.db import open_database
from patrol.db.models import PatrolRun, utcnow
from patrol.schedule.runner import RunRecord

__all__ = ["RECHECK_SPIDER", "last_started_runs", "record_failed_run"]

RECHECK_SPIDER = "listing_urls"  # the spider `patrol leads recheck` runs


def record_failed_run(record: RunRecord, log_tail: str) -> bool:
    """Make sure ``patrol_runs`` shows ``record`` as failed; True if this wrote a row."""
    database = open_database()
    try:
        with database.sessions.begin() as session:
            row = session.scalars(
                select(PatrolRun)
                .where(
                    PatrolRun.site == record.site,
                    PatrolRun.started_at >= record.real_started,  # started by this process
                    PatrolRun.spider.not_like("schedule:%"),
                )
                .order_by(PatrolRun.id.desc())
            ).first()
            reason = f"exit status {record.returncode}"
            if row is not None and row.status != "running":
                return False  # the crawl recorded how it ended (blocked, shutdown, …)
            if row is None:
                row = PatrolRun(
                    site=record.site,
                    spider=f"schedule:{record.kind}",
                    started_at=record.real_started,
                    stats={},
                )
                session.add(row)
            row.status = "failed"
            row.finished_at = record.real_ended or utcnow()
            row.finish_reason = reason
            row.errors = (row.errors or 0) + 1
            row.stats = {
                **(row.stats or {}),
                "schedule/error": log_tail,
                "schedule/log": str(record.log),
            }
        return True
    finally:
        database.dispose()


def last_started_runs() -> dict[tuple[str, str], datetime]:
    """(site, "patrol" | "recheck") → when its last run started, from ``patrol_runs``."""
    database = open_database()
    try:
        with database.sessions() as session:
            rows = session.execute(
                select(PatrolRun.site, PatrolRun.spider, func.max(PatrolRun.started_at)).group_by(
                    PatrolRun.site, PatrolRun.spider
                )
            ).all()
    finally:
        database.dispose()
    latest: dict[tuple[str, str], datetime] = {}
    for site, spider, started in rows:
        kind = "recheck" if spider in (RECHECK_SPIDER, "schedule:recheck") else "patrol"
        key = (site, kind)
        if started is not None and (key not in latest or started > latest[key]):
            latest[key] = started
    return latest
