"""The trademark and patent query: marks by normalised and fuzzy text, patents by number.

Marks are compared in the form screening uses (:func:`patrol.screening.normalise`:
full-width, homoglyphs, traditional characters and case folded), in two views: the words
view ("ultra book") and the compact view without separators ("ultrabook"), so spacing and
punctuation never hide a mark. A mark scores 100 when the views are equal, 90 when the
query is a whole word run of the mark, else rapidfuzz's weighted ratio; marks under
``min_score`` are left out. Patents are found by their canonical number, whatever the
spelling of the query (``ZL 2015 1 0123456.7``, ``CN201510123456.7``, ``US 9,876,543 B2``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol.db.models import PatentRow, TrademarkRow
from patrol.db.snapshot import patent_record, trademark_record
from patrol.registry.records import PatentRecord, TrademarkRecord

__all__ = ["PatentMatch", "TrademarkMatch", "search_patents", "search_trademarks"]


@dataclass(frozen=True, slots=True)
class TrademarkMatch:
    record: TrademarkRecord
    score: float
    status_detail: str | None = None


@dataclass(frozen=True, slots=True)
class PatentMatch:
    record: PatentRecord
    query: str  # the number as the query spelled it


def _views(text: str) -> tuple[str, str]:
    from patrol.screening.normalise import compact_key, phrase_key

    return phrase_key(text), compact_key(text)


def _score(query: tuple[str, str], mark: tuple[str, str]) -> float:
    q_words, q_compact = query
    m_words, m_compact = mark
    if not q_compact or not m_compact:
        return 0.0
    if q_compact == m_compact:
        return 100.0
    if f" {q_words} " in f" {m_words} ":
        return 90.0
    return max(fuzz.WRatio(q_words, m_words), fuzz.ratio(q_compact, m_compact))


def search_trademarks(
    session: Session,
    text: str,
    *,
    nice_class: str | None = None,
    min_score: float = 80.0,
    limit: int = 20,
) -> list[TrademarkMatch]:
    """Marks like ``text`` (best first), optionally only those covering ``nice_class``."""
    query = _views(text)
    wanted = f"{int(nice_class):03d}" if nice_class and nice_class.isdigit() else nice_class
    matches = []
    for row in session.scalars(select(TrademarkRow).where(TrademarkRow.mark.is_not(None))):
        if wanted and wanted not in row.nice_classes.split(";"):
            continue
        score = _score(query, _views(row.mark or ""))
        if score >= min_score:
            matches.append(TrademarkMatch(trademark_record(row), score, row.status_detail))
    matches.sort(key=lambda m: (-m.score, m.record.mark or "", m.record.office))
    return matches[:limit]


def search_patents(session: Session, text: str) -> list[PatentMatch]:
    """Patents whose number ``text`` spells, in any common spelling."""
    from patrol.screening.patents import parse_patent_numbers

    numbers = {n.canonical: n.text for n in parse_patent_numbers(text, listed=True)}
    if not numbers:
        return []
    rows = session.scalars(select(PatentRow).where(PatentRow.number.in_(list(numbers))))
    return [PatentMatch(patent_record(row), numbers[row.number]) for row in rows]
