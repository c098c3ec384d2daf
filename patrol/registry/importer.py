"""Importing registry files into the database: re-imports update, never duplicate.

Each file is imported in its own transaction. Records are upserted by natural key —
trademarks by office + application number (``R`` + registration number when there is
none), patents by canonical number, authorised sellers by marketplace + shop + brand. With
``strict`` a file with any problem is not imported at all (all-or-nothing per file);
otherwise its readable records are imported and each problem reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.engine import Database
from patrol.db.models import AuthorisedSellerRow, PatentRow, TrademarkRow, utcnow
from patrol.registry.csvfiles import csv_kind, parse_csv
from patrol.registry.problems import FileResult
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
    if kind == "auto":
        if path.suffix.lower() == ".xml":
            kind = "st66"
        elif path.is_file():
            kind = csv_kind(path) or ""
        if not kind:
            result = FileResult(path=path, kind="unknown")
            result.problem(
                "",
                "cannot tell what this file holds: expected ST.66 XML (*.xml) or a CSV "
                "with a trademarks, patents or authorised sellers header",
            )
            return result
    if not path.is_file():
        result = FileResult(path=path, kind=kind)
        result.problem("", "no such file")
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


def _store(session: Session, result: FileResult) -> None:
    source = str(result.path)
    for parsed in result.records:
        record = parsed.record
        if isinstance(record, TrademarkRecord):
            outcome = _upsert(
                session,
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
        elif isinstance(record, PatentRecord):
            outcome = _upsert(
                session,
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
        elif isinstance(record, AuthorisedSeller):
            outcome = _upsert(
                session,
                AuthorisedSellerRow,
                {
                    "marketplace": record.marketplace,
                    "shop_id": record.shop_id,
                    "brand_id": record.brand_id,
                },
                {"kind": record.kind, "source": source},
            )
        else:  # pragma: no cover - FileResult only holds the three kinds
            raise TypeError(type(record))
        setattr(result, outcome, getattr(result, outcome) + 1)
        session.flush()


def import_files(
    database: Database, paths: Sequence[Path], *, kind: str = "auto", strict: bool = False
) -> list[FileResult]:
    """Import each file in its own transaction; returns one :class:`FileResult` per file."""
    results = []
    for path in paths:
        result = read_file(Path(path), kind)
        if strict and result.problems:
            result.skipped_strict = True
        elif result.records:
            with database.sessions.begin() as session:
                _store(session, result)
        results.append(result)
    return results
