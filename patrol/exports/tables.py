"""Tables of typed values, and writing them as CSV, XLSX or JSON.

Exports and reports both come down to a few tables of rows (text, numbers, dates), so
one small model and one writer per format serve both: CSV is UTF-8 (optionally with a BOM
so Excel guesses the encoding), one table per file or titled sections; XLSX has one sheet
per table with a bold, frozen header, widths fitted to the content, real numbers and
real dates (UTC, Excel has no time zones). Text cells are neutralised
(:mod:`patrol.exports.cells`) in both spreadsheet formats.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from patrol.exports.cells import neutralise
from patrol.exports.files import atomic_output

__all__ = ["Column", "Kind", "Table", "write_csv", "write_json", "write_xlsx"]

Kind = Literal["text", "number", "int", "datetime", "date", "bool"]

_NUMBER_FORMATS = {"datetime": "yyyy-mm-dd hh:mm:ss", "date": "yyyy-mm-dd", "number": "0.00##"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "text"


@dataclass
class Table:
    """One table: a sheet of an XLSX file, a section of a CSV file."""

    name: str  # sheet name (≤ 31 characters)
    title: str
    columns: Sequence[Column]
    rows: list[list[Any]] = field(default_factory=list)
    totals: list[tuple[str, Any]] = field(default_factory=list)  # (label, value)

    def records(self) -> list[dict[str, Any]]:
        keys = [column.key for column in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def _text(value: Any) -> str:
    """A value as CSV text (ISO dates, plain decimals, yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_cell(value: Any) -> str:
    """Text is neutralised; a number (even a negative one) stays a number."""
    return str(neutralise(value)) if isinstance(value, str) else _text(value)


def write_csv(
    path: Path, tables: Sequence[Table], *, bom: bool = False, preamble: Sequence[str] = ()
) -> None:
    """One table: header and rows. Several (or a ``preamble`` of lines): titled sections."""
    sections = len(tables) > 1 or bool(preamble) or any(table.totals for table in tables)
    encoding = "utf-8-sig" if bom else "utf-8"
    with (
        atomic_output(path) as temporary,
        temporary.open("w", encoding=encoding, newline="") as out,
    ):
        writer = csv.writer(out)
        for line in preamble:
            writer.writerow([neutralise(line)])
        for number, table in enumerate(tables):
            if sections:
                if number or preamble:
                    writer.writerow([])
                writer.writerow([neutralise(table.title)])
            writer.writerow([neutralise(column.header) for column in table.columns])
            for row in table.rows:
                writer.writerow([_csv_cell(value) for value in row])
            if table.totals:
                writer.writerow([])
                for label, value in table.totals:
                    writer.writerow([neutralise(label), _csv_cell(value)])


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(path: Path, data: Any) -> None:
    """``data`` as UTF-8 JSON, raw text kept as it is (JSON needs no formula escaping)."""
    with atomic_output(path) as temporary:
        temporary.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n",
            encoding="utf-8",
        )


def _cell(value: Any, kind: Kind) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal | date):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return neutralise(text)


def write_xlsx(
    path: Path,
    tables: Sequence[Table],
    *,
    summary: Sequence[str] = (),
    summary_name: str = "Summary",
) -> None:
    """One sheet per table (and a first sheet holding the ``summary`` paragraphs)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    bold = Font(bold=True)
    if summary:
        sheet = workbook.create_sheet(summary_name[:31])
        sheet.column_dimensions["A"].width = 110
        for number, paragraph in enumerate(summary, start=1):
            cell = sheet.cell(row=number, column=1, value=_cell(paragraph, "text"))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        for index, column in enumerate(table.columns, start=1):
            sheet.cell(row=1, column=index, value=_cell(column.header, "text")).font = bold
        widths = [len(column.header) + 2 for column in table.columns]
        for row_number, row in enumerate(table.rows, start=2):
            for index, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                cell = sheet.cell(row=row_number, column=index + 1, value=_cell(value, column.kind))
                if column.kind in _NUMBER_FORMATS and value is not None:
                    cell.number_format = _NUMBER_FORMATS[column.kind]
                shown = 19 if column.kind == "datetime" else len(_text(value))
                widths[index] = max(widths[index], shown + 2)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        if table.totals:
            row_number = len(table.rows) + 3
            for label, value in table.totals:
                sheet.cell(row=row_number, column=1, value=_cell(label, "text")).font = bold
                sheet.cell(row=row_number, column=2, value=_cell(value, "text"))
                row_number += 1
    with atomic_output(path) as temporary:
        workbook.save(temporary)
