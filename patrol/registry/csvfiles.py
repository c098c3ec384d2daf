"""Reading the registry CSV files (formats in ``patrol/registry/README.md``).

UTF-8 (a BOM is tolerated), one header row, ISO dates. A file whose header lacks a
required column is reported as a whole; otherwise each row is read on its own: a row with
a bad date, class, number or enumerated value, a row that is not UTF-8 (a GBK file, say),
or a row repeating an earlier row's key is reported with its line number and the rest of
the file is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from patrol.registry.problems import FileResult, ParsedRecord, parse_iso_date
from patrol.registry.records import AuthorisedSeller, PatentRecord, TrademarkRecord

__all__ = ["COLUMNS", "csv_kind", "parse_csv"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "trademarks": (
        "office",
        "mark",
        "application_number",
        "application_date",
        "registration_number",
        "registration_date",
        "status",
        "nice_classes",
        "goods",
        "holder",
    ),
    "patents": ("number", "kind", "title", "holder", "filing_date", "status", "expiry"),
    "sellers": ("marketplace", "shop_id", "brand_id", "kind"),
}
_REQUIRED = {
    "trademarks": ("office", "mark"),
    "patents": ("number",),
    "sellers": ("marketplace", "shop_id", "brand_id"),
}
PATENT_KINDS = ("invention", "utility_model", "design")
PATENT_STATUSES = ("in_force", "expired", "lapsed", "revoked")
SELLER_KINDS = ("official", "authorised")


def _header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8-sig", errors="replace")
    return [name.strip().lower() for name in next(csv.reader([first]), [])]


def csv_kind(path: Path) -> str | None:
    """Which registry a CSV holds, told by its header (None if none matches)."""
    header = set(_header(path))
    if {"number", "kind"} <= header and "shop_id" not in header:
        return "patents"
    if {"shop_id", "brand_id"} <= header:
        return "sellers"
    if {"office", "mark"} & header:
        return "trademarks"
    return None


def _value(row: dict[str, str | None], name: str) -> str | None:
    value = row.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _classes(text: str | None) -> tuple[str, ...]:
    classes = []
    for part in (text or "").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 45:
            raise ValueError(f"Nice class {part!r} is not a number from 1 to 45")
        classes.append(f"{int(part):03d}")
    return tuple(sorted(set(classes)))


def _choice(value: str | None, choices: tuple[str, ...], name: str) -> str | None:
    if value is None:
        return None
    folded = value.lower().replace(" ", "_").replace("-", "_")
    if folded not in choices:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(choices)}")
    return folded


def _trademark(row: dict[str, str | None]) -> tuple[TrademarkRecord, tuple[str, ...]]:
    office = (_value(row, "office") or "").upper()
    application = _value(row, "application_number")
    registration = _value(row, "registration_number")
    if not (application or registration):
        raise ValueError("needs an application_number or a registration_number")
    record = TrademarkRecord(
        office=office,
        mark=_value(row, "mark"),
        application_number=application,
        registration_number=registration,
        application_date=parse_iso_date(_value(row, "application_date")),
        registration_date=parse_iso_date(_value(row, "registration_date")),
        status=(_value(row, "status") or "").lower() or None,
        nice_classes=_classes(_value(row, "nice_classes")),
        goods=_value(row, "goods"),
        holder=_value(row, "holder"),
    )
    return record, (office, application or f"R{registration}")


def _patent(row: dict[str, str | None]) -> tuple[PatentRecord, tuple[str, ...]]:
    from patrol.screening.patents import canonical_patent_number

    raw = _value(row, "number") or ""
    number = canonical_patent_number(raw)
    if number is None:
        raise ValueError(f"{raw!r} is not a patent number this system can read")
    record = PatentRecord(
        number=number,
        kind=_choice(_value(row, "kind"), PATENT_KINDS, "kind"),
        title=_value(row, "title"),
        holder=_value(row, "holder"),
        filing_date=parse_iso_date(_value(row, "filing_date")),
        status=_choice(_value(row, "status"), PATENT_STATUSES, "status"),
        expiry=parse_iso_date(_value(row, "expiry")),
    )
    return record, (number,)


def _seller(row: dict[str, str | None]) -> tuple[AuthorisedSeller, tuple[str, ...]]:
    record = AuthorisedSeller(
        marketplace=_value(row, "marketplace") or "",
        shop_id=_value(row, "shop_id") or "",
        brand_id=_value(row, "brand_id") or "",
        kind=_choice(_value(row, "kind"), SELLER_KINDS, "kind") or "authorised",
    )
    return record, (record.marketplace, record.shop_id, record.brand_id)


_READERS: dict[str, Callable[[dict[str, str | None]], tuple[object, tuple[str, ...]]]] = {
    "trademarks": _trademark,
    "patents": _patent,
    "sellers": _seller,
}


def parse_csv(path: Path, kind: str) -> FileResult:
    """Every readable row of a registry CSV of ``kind``, and a problem for each other row."""
    result = FileResult(path=path, kind=kind)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problem("", f"cannot read: {exc.strerror or exc}")
        return result
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS[kind] if name not in header]
    if missing:
        result.problem(
            "line 1",
            f"missing column(s) {', '.join(missing)} for a {kind} file "
            f"(expected: {','.join(COLUMNS[kind])})",
        )
        return result
    reader.fieldnames = header
    seen: dict[tuple[str, ...], int] = {}
    read = _READERS[kind]
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.problem(f"line {reader.line_num}", f"not CSV: {exc}")
            break
        start, line = line + 1, reader.line_num
        where = f"line {start}"
        values = [v for v in row.values() if isinstance(v, str)]
        if not any(v.strip() for v in values):
            continue
        if any("\udc80" <= ch <= "\udcff" for v in values for ch in v):
            result.problem(where, "not UTF-8 text (a GBK/Latin-1 file? save it as UTF-8)")
            continue
        absent = [name for name in _REQUIRED[kind] if not _value(row, name)]
        if absent:
            result.problem(where, f"empty required field(s): {', '.join(absent)}")
            continue
        try:
            record, key = read(row)
        except ValueError as exc:
            result.problem(where, str(exc))
            continue
        if key in seen:
            result.problem(where, f"duplicate of line {seen[key]} (same key {'/'.join(key)})")
            continue
        seen[key] = start
        result.records.append(ParsedRecord(record, where))  # type: ignore[arg-type]
    return result
