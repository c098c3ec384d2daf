"""Building a report for a period and writing it as XLSX, CSV or HTML.

HTML goes through Jinja2 with autoescaping on, so shop names, titles and case titles —
text that sellers and users write — are always escaped; the spreadsheet formats
neutralise formulas (:mod:`patrol.exports.cells`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from patrol.exports.files import atomic_output
from patrol.exports.tables import Table, write_csv, write_xlsx
from patrol.reports.labels import text
from patrol.reports.periods import Period
from patrol.reports.summary import monthly_summary
from patrol.reports.tables import case_progress, case_table, shop_table, shops_handled

__all__ = ["FORMATS", "Report", "build_report", "cell_text", "write_report"]

FORMATS = ("xlsx", "csv", "html")


@dataclass
class Report:
    title: str
    period: Period
    lang: str
    tables: list[Table]
    summary: list[str]

    @property
    def period_text(self) -> str:
        return text(
            "period",
            self.lang,
            start=self.period.start.date().isoformat(),
            end=self.period.last_day.isoformat(),
        )


def build_report(session: Session, period: Period, lang: str, now: datetime) -> Report:
    """The weekly (or, for a month, monthly with summary) report of ``period``."""
    shops = shops_handled(session, period)
    cases = case_progress(session, period, now)
    summary: list[str] = []
    if period.kind == "month":
        previous = shops_handled(session, period.previous())
        summary = monthly_summary(session, period, previous, shops, cases, lang)
    title_key = "monthly_title" if period.kind == "month" else "weekly_title"
    return Report(
        title=text(title_key, lang, label=period.label),
        period=period,
        lang=lang,
        tables=[shop_table(shops, lang), case_table(cases, lang)],
        summary=summary,
    )


def cell_text(value: Any) -> str:
    """A table cell as text for a page: ISO dates, nothing for ``None``."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def render_html(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("patrol.reports", "templates"),
        autoescape=select_autoescape(["html"], default=True),
    )
    template = environment.get_template("report.html")
    return template.render(
        title=report.title,
        period=report.period_text,
        lang=report.lang,
        summary=report.summary,
        summary_title=text("summary_title", report.lang),
        tables=report.tables,
        show=cell_text,
        zip=zip,
    )


def write_report(report: Report, path: Path, fmt: str, *, bom: bool = False) -> None:
    if fmt == "xlsx":
        write_xlsx(
            path,
            report.tables,
            summary=[report.title, report.period_text, *report.summary],
            summary_name=text("summary_title", report.lang),
        )
    elif fmt == "csv":
        preamble = [report.title, report.period_text, *report.summary]
        write_csv(path, report.tables, bom=bom, preamble=preamble)
    elif fmt == "html":
        with atomic_output(path) as temporary:
            temporary.write_text(render_html(report), encoding="utf-8")
    else:
        raise ValueError(f"unknown report format {fmt!r}")
