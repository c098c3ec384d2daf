"""What past patrol runs say about the patrol: warnings and per-day figures per site.

``patrol runs`` and the console's patrol-health page read the same rows and must mark the
same runs, so the rules live here, beside neither: a run is marked when it was blocked or
failed, or when it found far fewer listings than the previous run of the same site and kind
(less than half) — the usual signs that a site changed its layout, started blocking, or
the patrol broke.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import PatrolRun

__all__ = [
    "DROP_RATIO",
    "DayFigures",
    "daily_figures",
    "run_kind",
    "run_seconds",
    "run_stat",
    "run_warnings",
    "runs_since",
]

#: a run with fewer than this share of the previous run's listings is marked
DROP_RATIO = 0.5
_RECHECK_SPIDERS = ("listing_urls", "schedule:recheck")


def run_kind(run: PatrolRun) -> str:
    """``recheck`` (a follow-up of known listing URLs) or ``patrol`` (a site walk)."""
    return "recheck" if run.spider in _RECHECK_SPIDERS else "patrol"


def run_stat(run: PatrolRun, key: str) -> int:
    """The crawl stat ``patrol/<key>`` of ``run`` (0 when absent or not a number)."""
    value = (run.stats or {}).get(f"patrol/{key}", 0)
    return int(value) if isinstance(value, int | float) else 0


def run_seconds(run: PatrolRun) -> float | None:
    """How long the run took; ``None`` while it runs."""
    if run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


def run_warnings(runs: Iterable[PatrolRun]) -> dict[int, str]:
    """Run id → why it is marked; ``runs`` in any order, compared per site and kind."""
    warnings: dict[int, str] = {}
    previous: dict[tuple[str, str], PatrolRun] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        key = (run.site, run_kind(run))
        if run.status in ("blocked", "failed"):
            warnings[run.id] = run.status
        elif run.status != "running":
            before = previous.get(key)
            if (
                before is not None
                and before.listings
                and run.listings < before.listings * DROP_RATIO
            ):
                warnings[run.id] = f"{run.listings} listings, previous run {before.listings}"
        if run.status not in ("running", "failed"):
            previous[key] = run
    return warnings


def runs_since(session: Session, start: datetime, site: str | None = None) -> list[PatrolRun]:
    """Runs started at or after ``start``, oldest first, preceded by the run each
    (site, kind) would be compared with — so :func:`run_warnings` marks the first run of
    the window as it would in the full history, without reading all of it."""
    statement = select(PatrolRun).where(PatrolRun.started_at >= start)
    if site is not None:
        statement = statement.where(PatrolRun.site == site)
    window = list(session.scalars(statement.order_by(PatrolRun.started_at, PatrolRun.id)))
    earlier: list[PatrolRun] = []
    for run_site, kind in sorted({(run.site, run_kind(run)) for run in window}):
        spiders = PatrolRun.spider.in_(_RECHECK_SPIDERS)
        before = session.scalars(
            select(PatrolRun)
            .where(PatrolRun.site == run_site, PatrolRun.started_at < start)
            .where(PatrolRun.status.not_in(("running", "failed")))
            .where(spiders if kind == "recheck" else ~spiders | PatrolRun.spider.is_(None))
            .order_by(PatrolRun.started_at.desc(), PatrolRun.id.desc())
            .limit(1)
        ).first()
        if before is not None:
            earlier.append(before)
    return earlier + window


@dataclass
class DayFigures:
    """What the runs of one site started on one day (UTC) add up to."""

    runs: int = 0
    listings: int = 0
    flagged: int = 0
    leads_new: int = 0
    errors: int = 0
    blocks: int = 0
    seconds: float = 0.0
    warnings: int = 0


def daily_figures(
    runs: Iterable[PatrolRun], days: Sequence[date], warnings: Mapping[int, str]
) -> dict[str, list[DayFigures]]:
    """Site → one :class:`DayFigures` per day of ``days`` (runs on other days are left out)."""
    index = {day: number for number, day in enumerate(days)}
    figures: dict[str, list[DayFigures]] = {}
    for run in runs:
        number = index.get(run.started_at.astimezone(UTC).date())
        if number is None:
            continue
        day = figures.setdefault(run.site, [DayFigures() for _ in days])[number]
        day.runs += 1
        day.listings += run.listings
        day.flagged += run_stat(run, "flagged")
        day.leads_new += run_stat(run, "leads_new")
        day.errors += run.errors
        day.blocks += run_stat(run, "blocked_pages")
        day.seconds += run_seconds(run) or 0.0
        day.warnings += run.id in warnings
    return dict(sorted(figures.items()))
