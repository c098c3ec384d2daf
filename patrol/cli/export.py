"""`patrol export`: hand leads to investigators and platforms as CSV, JSON or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from patrol.cli._common import lead_filter_options, session_scope

if TYPE_CHECKING:
    from patrol.leads.query import LeadFilter

__all__ = ["group"]


@click.group(name="export")
def group() -> None:
    """Export leads for investigators and notice-and-takedown desks."""


@group.command(name="leads")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "xlsx"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output file (default: var/exports/leads-<time>.<format>).",
)
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (for Excel).")
@lead_filter_options()
def leads_command(
    fmt: str,
    out: Path | None,
    bom: bool,
    lead_filter: LeadFilter,
) -> None:
    """Export leads (filters as `patrol leads list`), ordered by lead id.

    Text cells that a spreadsheet could run as a formula (starting with =, +, -, @, tab
    or carriage return) are prefixed with a single quote in CSV and XLSX; JSON keeps the
    raw text. The file is written under a temporary name and renamed when complete.
    """
    from patrol import config
    from patrol.db.models import utcnow
    from patrol.exports.files import check_writable
    from patrol.exports.leads import export_leads, lead_records
    from patrol.leads.query import find_leads

    if out is None:
        folder = config.var_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"leads-{utcnow():%Y%m%dT%H%M%S}.{fmt}"
    out = check_writable(out)  # before reading anything
    with session_scope() as session:
        leads = find_leads(session, lead_filter, with_events=True)
        records = lead_records(session, leads)
    export_leads(records, out, fmt, bom=bom)
    click.echo(f"{len(records)} lead(s) written to {out}")
