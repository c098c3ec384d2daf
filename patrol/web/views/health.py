"""Patrol health: what the patrols of each site did over the last days, at a glance.

Per site and day (UTC): runs, listings seen, listings flagged and leads opened, errors,
blocked pages and time spent — drawn as inline SVG charts (:mod:`patrol.web.charts`) with
the same numbers in a table — and the runs ``patrol runs`` would mark (blocked, failed,
far fewer listings than the run before), decided by the same :mod:`patrol.runhealth`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from starlette.responses import Response
from starlette.routing import Route

from patrol.db.models import utcnow
from patrol.runhealth import (
    DayFigures,
    daily_figures,
    run_kind,
    run_seconds,
    run_stat,
    run_warnings,
    runs_since,
)
from patrol.web.charts import Chart, Series, make_chart
from patrol.web.console import Visit, view

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "ROUTES"]

DEFAULT_DAYS = 7
MAX_DAYS = 90
#: (figure, chart title, unit, kind): one chart per figure, one series per site
_CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("listings", "Listings seen", "listings", "bar"),
    ("leads_new", "Leads opened", "leads", "bar"),
    ("flagged", "Listings flagged", "listings", "bar"),
    ("errors", "Errors", "errors", "bar"),
    ("blocks", "Blocked pages", "pages", "bar"),
    ("minutes", "Time patrolling", "minutes", "line"),
)


def _days(visit: Visit) -> int | None:
    text = visit.request.query_params.get("days", str(DEFAULT_DAYS)).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        return None
    return int(text)


def _figure(day: DayFigures, name: str) -> float:
    return round(day.seconds / 60, 1) if name == "minutes" else float(getattr(day, name))


def _charts(days: list[date], figures: dict[str, list[DayFigures]]) -> list[Chart]:
    labels = [day.strftime("%m-%d") for day in days]
    return [
        make_chart(
            f"chart-{name}",
            title,
            labels,
            [
                Series(site, [_figure(d, name) for d in per_day])
                for site, per_day in figures.items()
            ],
            unit=unit,
            kind="line" if kind == "line" else "bar",
        )
        for name, title, unit, kind in _CHARTS
    ]


@view("officer")
def health_page(visit: Visit) -> Response:
    count = _days(visit)
    if count is None:
        return visit.render(
            "error.html",
            status=400,
            nav="health",
            message=f"days must be a whole number from 1 to {MAX_DAYS}.",
        )
    now = utcnow()
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=count - 1 - n) for n in range(count)]
    start = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC)
    runs = runs_since(visit.db, start)
    warnings = run_warnings(runs)
    shown = [run for run in runs if run.started_at >= start]
    figures = daily_figures(shown, days, warnings)
    return visit.render(
        "health.html",
        nav="health",
        count=count,
        choices=sorted({1, 7, 14, 30, MAX_DAYS, count}),
        days=days,
        figures=figures,
        charts=_charts(days, figures),
        runs=shown[::-1],
        warnings=warnings,
        kind=run_kind,
        seconds=run_seconds,
        stat=run_stat,
    )


ROUTES = [Route("/health", health_page)]
