"""`patrol registry`: The trademark and patent registries: import and search.

``import`` takes many files at once (a folder of ST.66 downloads, say), so each file's
failure is reported with its name and the others are imported; the exit status says at
the end whether anything was left out, and how much.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patrol.cli._common import Number
from patrol.errors import PatrolError

if TYPE_CHECKING:
    from patrol.registry.problems import FileResult

__all__ = ["group"]


@click.group(name="registry")
def group() -> None:
    """The trademark and patent registries: import and search."""


@group.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["auto", "st66", "trademarks", "patents", "sellers"]),
    default="auto",
    show_default=True,
    help="What the files hold (auto: ST.66 for *.xml, else told by the CSV header).",
)
@click.option("--strict", is_flag=True, help="Import a file only if all of it can be read.")
def import_command(files: tuple[Path, ...], kind: str, strict: bool) -> None:
    """Import ST.66 XML trademark files and trademark/patent/seller CSV files.

    Re-importing updates records in place. Each unreadable record is reported with its
    file and line; the rest is imported (with --strict, nothing from such a file). A file
    that fails as a whole is reported and the other files are imported; the exit status
    is 2 if any file or record could not be imported.
    """
    from patrol.db import open_database
    from patrol.db.engine import database_errors
    from patrol.registry.importer import import_files

    database = open_database()
    try:
        with database_errors(database.url):
            results = import_files(database, list(files), kind=kind, strict=strict)
    finally:
        database.dispose()
    for result in results:
        for problem in result.problems:
            click.echo(f"problem: {problem}", err=True)
        click.echo(_file_line(result))
    failed = sum(result.failed for result in results)
    records = sum(len(result.problems) for result in results if not result.failed)
    parts = []
    if failed:
        parts.append(f"{failed} of {len(results)} file(s) could not be imported")
    if records:
        others = " in the other files" if failed else ""
        parts.append(f"{records} record(s){others} could not be imported")
    if parts:
        raise PatrolError(f"{', and '.join(parts)} (see the problems above)")


def _file_line(result: FileResult) -> str:
    """What happened to one file, on one line."""
    problems = f"{len(result.problems)} problem(s)"
    if result.skipped_strict:
        return f"{result.path}: NOT imported (--strict: {problems})"
    if result.failed:
        return f"{result.path}: NOT imported ({problems})"
    return (
        f"{result.path}: {result.kind}: {result.inserted} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {problems}"
    )


@group.command(name="search")
@click.argument("text")
@click.option("--class", "nice_class", help="Only marks covering this Nice class (e.g. 9 or 009).")
@click.option("--min-score", type=Number(0, 100), default=80.0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def search_command(
    text: str, nice_class: str | None, min_score: float, limit: int, as_json: bool
) -> None:
    """Find marks by normalised and fuzzy text, and patents by number in any spelling."""
    from patrol.db import open_database
    from patrol.db.engine import database_errors
    from patrol.registry.search import search_patents, search_trademarks

    if nice_class is not None and not (nice_class.isdigit() and 1 <= int(nice_class) <= 45):
        raise PatrolError(f"--class {nice_class!r}: a Nice class is a number from 1 to 45")
    database = open_database()
    try:
        with database_errors(database.url), database.read_sessions() as session:
            marks = search_trademarks(
                session, text, nice_class=nice_class, min_score=min_score, limit=limit
            )
            patents = search_patents(session, text)
    finally:
        database.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "trademarks": [
                        {
                            "score": round(m.score, 1),
                            "mark": m.record.mark,
                            "office": m.record.office,
                            "application_number": m.record.application_number,
                            "registration_number": m.record.registration_number,
                            "registration_date": str(m.record.registration_date or "") or None,
                            "status": m.record.status,
                            "nice_classes": list(m.record.nice_classes),
                            "holder": m.record.holder,
                        }
                        for m in marks
                    ],
                    "patents": [
                        {
                            "number": p.record.number,
                            "query": p.query,
                            "kind": p.record.kind,
                            "title": p.record.title,
                            "holder": p.record.holder,
                            "status": p.record.status,
                            "expiry": str(p.record.expiry or "") or None,
                        }
                        for p in patents
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    for m in marks:
        r = m.record
        click.echo(
            f"{m.score:5.1f}  {r.mark}  [{r.office}] reg. {r.registration_number or '-'} "
            f"(appl. {r.application_number or '-'}), classes {', '.join(r.nice_classes) or '-'}, "
            f"{r.status or 'status unknown'}, holder {r.holder or '-'}"
        )
    for p in patents:
        patent = p.record
        click.echo(
            f"patent {patent.number} ({p.query}): {patent.title or '-'}, {patent.kind or '-'}, "
            f"{patent.status or 'status unknown'}, expiry {patent.expiry or '-'}, "
            f"holder {patent.holder or '-'}"
        )
    if not marks and not patents:
        click.echo(f"nothing found for {text!r}")
