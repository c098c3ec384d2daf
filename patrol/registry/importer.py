"""Importing registry files into the database: re-imports update, never duplicate.

Each file is imported in its own transaction. Records are upserted by natural key —
trademarks by office + application number (``R`` + registration number when there is
none), patents by canonical number, authorised sellers by marketplace + shop + brand. With
``strict`` a file with any problem is not imported at all (all-or-nothing per file);
otherwise its readable records are imported and each problem reported.

One file's failure is that file's problem, never the end of the import: a file that cannot
be read, a record the database could not store (a value longer than its column, a NUL
character PostgreSQL refuses) and a transaction the database refused are each reported
with the file, and the next file is imported all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from patrol.db.engine import Database, database_error
from patrol.db.models import AuthorisedSellerRow, PatentRow, TrademarkRow, utcnow
from patrol.registry.csvfiles import csv_kind, parse_csv
from patrol.registry.problems import FileResult, ParsedRecord
from patrol.registry.records import AuthorisedSeller, PatentRecord, TrademarkRecord
from patrol.registry.st66 import parse_st66

__all__ = ["KINDS", "import_files", "read_file", "trademark_key"]

KINDS = ("auto", "st66", "trademarks", "patents", "sellers")


def trademark_key(record: TrademarkRecord) -> str:
    if record.application_number:
        return record.application_number
    if record.registration_number:
        return f"R{record.registration_number}"
    return f"M{record.mark or ''}"


def read_file(path: Path, kind: str = "auto") -> FileResult:
    """Parse one file (its kind told by extension and CSV header when ``auto``)."""
    try:
        return _read_file(path, kind)
    except OSError as exc:  # a file that lists but cannot be read: EIO, EACCES, …
        result = FileResult(path=path, kind=kind)
        result.problem("", f"cannot read: {exc.strerror or exc}")
        return result


def _read_file(path: Path, kind: str) -> FileResult:
    if not path.exists():
        result = FileResult(path=path, kind=kind)
        result.problem("", "no such file")
        return result
    if not path.is_file():
        result = FileResult(path=path, kind=kind)
        result.problem("", "not a regular file (a folder, a pipe or a device?)")
        return result
    if kind == "auto":
        kind = "st66" if path.suffix.lower() == ".xml" else csv_kind(path) or ""
        if not kind:
            result = FileResult(path=path, kind="unknown")
            result.problem(
                "",
                "cannot tell what this file holds: expected ST.66 XML (*.xml) or a CSV "
                "with a trademarks, patents or authorised sellers header",
            )
            return result
    return parse_st66(path) if kind == "st66" else parse_csv(path, kind)


def _mark_normalised(mark: str | None) -> str | None:
    if not mark:
        return None
    from patrol.screening.normalise import normalise_text

    return normalise_text(mark) or None


def _upsert(
    session: Session, model: type[Any], where: dict[str, Any], values: dict[str, Any]
) -> str:
    row = session.scalars(select(model).filter_by(**where)).one_or_none()
    if row is None:
        session.add(model(**where, **values, imported_at=utcnow()))
        return "inserted"
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.imported_at = utcnow()
        return "updated"
    return "unchanged"


Row = tuple[type[Any], dict[str, Any], dict[str, Any]]  # model, natural key, other values


def _row(parsed: ParsedRecord, source: str) -> Row:
    """The table, the natural key and the values one record is stored as."""
    record = parsed.record
    if isinstance(record, TrademarkRecord):
        return (
            TrademarkRow,
            {"office": record.office, "record_key": trademark_key(record)},
            {
                "mark": record.mark,
                "mark_normalised": _mark_normalised(record.mark),
                "application_number": record.application_number,
                "registration_number": record.registration_number,
                "application_date": record.application_date,
                "registration_date": record.registration_date,
                "status": record.status,
                "status_detail": parsed.status_detail,
                "nice_classes": ";".join(record.nice_classes),
                "goods": record.goods,
                "holder": record.holder,
                "source": source,
            },
        )
    if isinstance(record, PatentRecord):
        return (
            PatentRow,
            {"number": record.number},
            {
                "kind": record.kind,
                "title": record.title,
                "holder": record.holder,
                "filing_date": record.filing_date,
                "status": record.status,
                "expiry": record.expiry,
                "source": source,
            },
        )
    if isinstance(record, AuthorisedSeller):
        return (
            AuthorisedSellerRow,
            {
                "marketplace": record.marketplace,
                "shop_id": record.shop_id,
                "brand_id": record.brand_id,
            },
            {"kind": record.kind, "source": source},
        )
    raise TypeError(type(record))  # pragma: no cover - FileResult only holds the three kinds


def _unstorable(row: Row) -> str | None:
    """Why the database would refuse ``row`` (too long for a column, a NUL), or None."""
    model, key, values = row
    for name, value in {**key, **values}.items():
        if name == "source" or not isinstance(value, str):
            continue
        if "\x00" in value:
            return f"{name} holds a NUL character, which the database cannot store"
        column_type = model.__table__.c[name].type
        length = column_type.length if isinstance(column_type, String) else None
        if length is not None and len(value) > length:
            return f"{name} is {len(value)} characters long, at most {length} fit"
    return None


def _rows(result: FileResult) -> list[Row]:
    """The rows of the file's records; a record the database could not store is a problem."""
    rows = []
    for parsed in result.records:
        row = _row(parsed, str(result.path))
        why = _unstorable(row)
        if why is None:
            rows.append(row)
        else:
            result.problem(parsed.where, f"not imported: {why}")
    return rows


def _store(session: Session, result: FileResult, rows: list[Row]) -> None:
    for model, key, values in rows:
        outcome = _upsert(session, model, key, values)
        setattr(result, outcome, getattr(result, outcome) + 1)
        session.flush()


def _refused(database: Database, exc: SQLAlchemyError) -> str:
    """One line for a transaction the database refused (locked, unreachable, bad value)."""
    if isinstance(exc, OperationalError):
        return database_error(database.url, exc).message
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"the database refused it: {detail}"


def import_files(
    database: Database, paths: Sequence[Path], *, kind: str = "auto", strict: bool = False
) -> list[FileResult]:
    """Import each file in its own transaction; returns one :class:`FileResult` per file.

    A file that fails (cannot be read, is refused by the database) is reported in its
    result and the next file is imported all the same.
    """
    results = []
    for path in paths:
        result = read_file(Path(path), kind)
        rows = _rows(result)
        if strict and result.problems:
            result.skipped_strict = True
        elif rows:
            try:
                with database.sessions.begin() as session:
                    _store(session, result, rows)
            except SQLAlchemyError as exc:  # rolled back: nothing of this file is stored
                result.inserted = result.updated = result.unchanged = 0
                result.problem("", f"NOT imported: {_refused(database, exc)}")
                result.refused = True
        results.append(result)
    return results
