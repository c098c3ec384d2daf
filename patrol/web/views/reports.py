"""Reports (supervisors): the weekly tables of any ISO week, on the page and as files.

The page and the downloads are built by :func:`patrol.reports.render.build_report` and
written by :func:`patrol.reports.render.write_report`, as ``patrol report weekly`` does,
so a file downloaded here equals the file the CLI writes (formulas neutralised by the
spreadsheet writers). The week and language are validated before anything is read; the
download's file name is made from those validated values only, never from data.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, timedelta
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from patrol.db.models import utcnow
from patrol.errors import PatrolError
from patrol.reports.labels import LANGUAGES
from patrol.reports.periods import Period, week_period
from patrol.reports.render import build_report, cell_text, write_report
from patrol.web.console import Visit, view

__all__ = ["CONTENT_TYPES", "ROUTES", "default_week"]

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def default_week() -> Period:
    """The last full ISO week: the one a weekly report is usually sent for."""
    return week_period(None, today=(utcnow() - timedelta(days=7)).astimezone(UTC).date())


def _choice(visit: Visit) -> tuple[Period, str] | Response:
    """The validated ``week`` and ``lang`` query values, or a 400 page saying what is wrong."""
    query = visit.request.query_params
    lang = query.get("lang", "zh")
    try:
        if lang not in LANGUAGES:
            raise PatrolError(f"bad language {lang[:20]!r}: choose one of {', '.join(LANGUAGES)}")
        week = query.get("week", "").strip()
        period = week_period(week[:20]) if week else default_week()
    except PatrolError as exc:
        return visit.render("error.html", status=400, nav="reports", message=exc.message)
    return period, lang


@view("supervisor")
def report_page(visit: Visit) -> Response:
    choice = _choice(visit)
    if isinstance(choice, Response):
        return choice
    period, lang = choice
    report = build_report(visit.db, period, lang, utcnow())
    return visit.render(
        "reports.html",
        nav="reports",
        report=report,
        week=period.label,
        lang=lang,
        languages=LANGUAGES,
        previous=period.previous().label,
        following=week_period(None, today=period.end.date()).label,
        show=cell_text,
    )


def _download(visit: Visit, fmt: str) -> Response:
    choice = _choice(visit)
    if isinstance(choice, Response):
        return choice
    period, lang = choice
    report = build_report(visit.db, period, lang, utcnow())
    name = f"weekly-{period.label}-{lang}.{fmt}"  # validated parts only
    with tempfile.TemporaryDirectory(prefix="patrol-report-") as folder:
        path = Path(folder) / name
        write_report(report, path, fmt, bom=fmt == "csv")
        body = path.read_bytes()
    return Response(
        body,
        media_type=CONTENT_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@view("supervisor")
def report_xlsx(visit: Visit) -> Response:
    return _download(visit, "xlsx")


@view("supervisor")
def report_csv(visit: Visit) -> Response:
    return _download(visit, "csv")


ROUTES = [
    Route("/reports", report_page),
    Route("/reports/weekly.xlsx", report_xlsx),
    Route("/reports/weekly.csv", report_csv),
]
