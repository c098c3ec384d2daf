"""Screening: a pure, explainable ``screen(listing, rulebook) -> Verdict``.

The rulebook (``rules/*.yaml``) is read and compiled once by :func:`load_rulebook`
(automata, candidate indexes, registry knowledge) and then shared read-only; every
verdict names the rules that fired, the text they matched and how a brand name was
disguised. :func:`normalise_text` and :func:`parse_patent_numbers` are the same
normalisation and patent-number parsing the registry search uses, so a person searching
the registry and the engine screening a listing see text and numbers alike.
"""

from __future__ import annotations

from patrol.screening.engine import screen
from patrol.screening.loader import RulebookError
from patrol.screening.normalise import normalise_text
from patrol.screening.patents import PatentNumber, canonical_patent_number, parse_patent_numbers
from patrol.screening.rulebook import Brand, Rulebook, load_rulebook
from patrol.screening.verdict import Hit, RegistryRef, Verdict

__all__ = [
    "Brand",
    "Hit",
    "PatentNumber",
    "RegistryRef",
    "Rulebook",
    "RulebookError",
    "Verdict",
    "canonical_patent_number",
    "load_rulebook",
    "normalise_text",
    "parse_patent_numbers",
    "screen",
]
