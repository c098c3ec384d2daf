"""What an import reports: records read, problems found (each naming file and line/path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from patrol.registry.records import AuthorisedSeller, PatentRecord, TrademarkRecord

__all__ = ["FileResult", "ImportProblem", "ParsedRecord", "parse_iso_date"]

Record = TrademarkRecord | PatentRecord | AuthorisedSeller


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One record (or a whole file) that could not be read."""

    path: Path
    where: str  # "line 12", "/Transaction/…/TradeMark[2]", or "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.path}{':' + self.where if self.where else ''}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    record: Record
    where: str  # as in ImportProblem
    status_detail: str | None = None  # a trademark status in the office's own words


@dataclass(slots=True)
class FileResult:
    """One file's import: what was read, what was written, what was wrong."""

    path: Path
    kind: str  # "st66", "trademarks", "patents", "sellers"
    records: list[ParsedRecord] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_strict: bool = False
    refused: bool = False  # the database refused the file's transaction

    def problem(self, where: str, message: str) -> None:
        self.problems.append(ImportProblem(self.path, where, message))

    @property
    def failed(self) -> bool:
        """Nothing of the file was imported, for a problem (an empty file has one)."""
        stored = self.inserted + self.updated + self.unchanged
        return self.skipped_strict or self.refused or (bool(self.problems) and not stored)


def parse_iso_date(text: str | None) -> date | None:
    """``YYYY-MM-DD`` (an XML timezone suffix such as ``-04:00`` is ignored); empty → None.

    Raises ``ValueError`` naming the text when it is not a date.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
