"""`patrol report`: the weekly and monthly tables (shops handled, case progress)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from patrol.cli._common import session_scope

__all__ = ["group"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group(name="report")
def group() -> None:
    """Weekly and monthly reports: violating shops handled, case progress."""


def _report_options(function: F) -> F:
    for option in reversed(
        [
            click.option(
                "--lang",
                type=click.Choice(["zh", "en"]),
                default="zh",
                show_default=True,
                help="Language of headers and labels.",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["xlsx", "csv", "html"]),
                default="xlsx",
                show_default=True,
            ),
            click.option(
                "--out",
                type=click.Path(path_type=Path),
                help="Output file (default: var/reports/<kind>-<period>-<lang>.<format>).",
            ),
            click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (for Excel)."),
        ]
    ):
        function = option(function)
    return function


def _write(
    kind: str, period_text: str | None, lang: str, fmt: str, out: Path | None, bom: bool
) -> None:
    from patrol import config
    from patrol.db.models import utcnow
    from patrol.exports.files import check_writable
    from patrol.reports.periods import month_period, week_period
    from patrol.reports.render import build_report, write_report

    period = week_period(period_text) if kind == "weekly" else month_period(period_text)
    if out is None:
        folder = config.var_dir() / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{kind}-{period.label}-{lang}.{fmt}"
    out = check_writable(out)
    with session_scope() as session:
        report = build_report(session, period, lang, utcnow())
    write_report(report, out, fmt, bom=bom)
    shops, cases = report.tables
    click.echo(
        f"{report.title}: {len(shops.rows)} shop action(s), {len(cases.rows)} case(s) → {out}"
    )


@group.command(name="weekly")
@click.option("--week", help="ISO week, e.g. 2026-W48 (default: this week).")
@_report_options
def weekly_command(week: str | None, lang: str, fmt: str, out: Path | None, bom: bool) -> None:
    """The weekly tables: (a) violating shops handled per platform, (b) case progress."""
    _write("weekly", week, lang, fmt, out, bom)


@group.command(name="monthly")
@click.option("--month", help="Month, e.g. 2026-11 (default: this month).")
@_report_options
def monthly_command(month: str | None, lang: str, fmt: str, out: Path | None, bom: bool) -> None:
    """The month's tables plus a short summary (trends, top brands/shops/rules, key cases)."""
    _write("monthly", month, lang, fmt, out, bom)
