"""Brand names in text: exact, disguised (look-alikes, leet, split, traditional), pinyin.

Every name and alias of every brand goes into one Aho-Corasick automaton keyed by its
*compact* form (normalised, separators removed), so one pass over a listing finds
"Nike", "ＮＩＫＥ", "N-I-K-E", "N1KE" and "Nіke" alike; the notes the normaliser left on
the matched characters then say which disguise was used. Latin names need word
boundaries in the normalised text (Pineapple, Diorama and Omega-3's neighbours are
checked). Chinese names are also indexed by their pinyin syllables, so a homophone
(耐客 for 耐克) meets the name, and the pinyin spelled out in Latin letters ("naike") is
one more alias.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import ahocorasick

from patrol.screening.normalise import (
    NormalisedText,
    View,
    compact,
    compact_key,
    is_han,
    is_latin_word_char,
    normalise,
    pinyin_of,
    words,
)

__all__ = ["AliasEntry", "BrandIndex", "BrandMatch", "FieldText"]

_SUSPICIOUS = ("homoglyph", "leet", "traditional")
_MIN_LOOKALIKE = 4  # shorter names never match with l for i ("IV" is not "LV")


def _fold(text: str) -> str:
    """Small l and i look alike in many fonts (and capital I is i once case-folded)."""
    return text.replace("l", "i")


@dataclass(frozen=True, slots=True)
class AliasEntry:
    brand: int  # index into the rulebook's brands
    alias: str  # as the rulebook writes it
    key: str  # compact key
    source: str  # "name" or "pinyin" (the Latin spelling of a Chinese name)
    gaps: int  # separator runs inside the alias itself ("louis vuitton" has one)
    latin: bool


@dataclass(frozen=True, slots=True)
class BrandMatch:
    brand: int
    field: str
    span: tuple[int, int]  # in the original field text
    text: str  # as the listing shows it
    normalised: str
    variants: tuple[str, ...]  # () for a plain mention
    path: str  # the variant path, for people
    alias: str


class FieldText:
    """One listing field, normalised once, with the views the matchers need."""

    __slots__ = ("_pinyin", "_words", "base", "compact", "name")

    def __init__(self, name: str, text: str | None) -> None:
        self.name = name
        self.base = normalise(text)
        self.compact = compact(self.base)
        self._pinyin: str | None = None
        self._words: View | None = None

    @property
    def words(self) -> View:
        """Separator runs as single spaces (where phrases and fuzzy words are looked for)."""
        if self._words is None:
            self._words = words(self.base)
        return self._words

    def pinyin(self) -> str:
        """``|nai|ke|#|…|``: the compact view's syllables (``#`` for anything not Chinese)."""
        if self._pinyin is None:
            self._pinyin = "|" + self.compact.text.translate(_PINYIN_TABLE)
        return self._pinyin


class _PinyinTable(dict[int, str]):
    """``str.translate`` table: a Chinese character → ``"syllable|"``, anything else → ``"#|"``."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = pinyin_of(char) + "|" if is_han(char) else "#|"
        self[code] = value
        return value


_PINYIN_TABLE = _PinyinTable()
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def _gaps(view: NormalisedText, start: int, end: int) -> list[str]:
    """The pieces between separators of ``view.text[start:end]``."""
    pieces: list[str] = []
    current: list[str] = []
    for char in view.text[start:end]:
        if char in " -":
            if current:
                pieces.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        pieces.append("".join(current))
    return pieces


class BrandIndex:
    """The compiled name automaton and the pinyin automaton of a rulebook's brands."""

    def __init__(self, names: Sequence[Sequence[str]]) -> None:
        """``names[i]`` are brand *i*'s names and aliases as the rulebook writes them."""
        self.entries: list[AliasEntry] = []
        table: dict[str, list[int]] = {}
        pinyin_table: dict[str, list[tuple[int, str]]] = {}
        for brand, aliases in enumerate(names):
            keys: set[str] = set()
            for alias in aliases:
                key = compact_key(alias)
                if not key or key in keys:
                    continue
                keys.add(key)
                gaps = max(0, len(_gaps(normalise(alias), 0, len(normalise(alias).text))) - 1)
                latin = any(is_latin_word_char(ch) for ch in key)
                self._add(table, AliasEntry(brand, alias, key, "name", gaps, latin))
            for alias in aliases:
                key = compact_key(alias)
                if len(key) >= 2 and all(is_han(ch) for ch in key):
                    syllables = [pinyin_of(ch) for ch in key]
                    pinyin_table.setdefault("|" + "|".join(syllables) + "|", []).append(
                        (brand, key)
                    )
                    spelled = "".join(syllables)
                    if len(spelled) >= 5 and spelled not in keys:
                        keys.add(spelled)
                        self._add(table, AliasEntry(brand, alias, spelled, "pinyin", 0, True))
        self._automaton = _automaton({key: tuple(ids) for key, ids in table.items()})
        self._pinyin = _automaton({k: (len(k), tuple(v)) for k, v in pinyin_table.items()})
        self._chinese_keys = {
            key for values in pinyin_table.values() for _brand, key in values
        }
        self.keys = frozenset(entry.key for entry in self.entries)

    def _add(self, table: dict[str, list[int]], entry: AliasEntry) -> None:
        table.setdefault(_fold(entry.key), []).append(len(self.entries))
        self.entries.append(entry)

    def find(self, field: FieldText, brand_names: Sequence[str]) -> list[BrandMatch]:
        """Every brand name in the field: plain, disguised or homophone."""
        matches = list(self._find_names(field, brand_names))
        matches.extend(self._find_homophones(field, brand_names))
        return _longest(matches)

    def _find_names(self, field: FieldText, brand_names: Sequence[str]) -> Iterator[BrandMatch]:
        if self._automaton is None or not field.compact.text:
            return
        view = field.compact
        base = field.base
        for end_index, ids in self._automaton.iter(_fold(view.text)):
            for entry_id in ids:
                entry = self.entries[entry_id]
                start = end_index + 1 - len(entry.key)
                match = self._check(field, view, base, entry, start, end_index + 1, brand_names)
                if match is not None:
                    yield match

    def _check(
        self,
        field: FieldText,
        view: View,
        base: NormalisedText,
        entry: AliasEntry,
        start: int,
        end: int,
        brand_names: Sequence[str],
    ) -> BrandMatch | None:
        base_start = view.positions[start]
        base_end = view.positions[end - 1] + 1
        if entry.latin:
            if base_start > 0 and _joined(entry.key[0], base.text[base_start - 1]):
                return None
            if base_end < len(base.text) and _joined(entry.key[-1], base.text[base_end]):
                return None
        pieces = _gaps(base, base_start, base_end)
        variants: list[str] = []
        paths: list[str] = []
        original = base.original_text(base_start, base_end)
        if view.text[start:end] != entry.key and len(entry.key) < _MIN_LOOKALIKE:
            return None
        if len(pieces) - 1 > entry.gaps:
            if entry.latin and len(entry.key) <= 3:
                return None
            spaced_only = all(ch != "-" for ch in base.text[base_start:base_end])
            if entry.latin and spaced_only and max(len(p) for p in pieces) > 2:
                return None  # "can on" is two words, not "canon" split apart
            variants.append("split")
            paths.append(f"split: {original}")
        for kind, path in _disguises(view, start, end, entry.key):
            if kind not in variants:
                variants.append(kind)
            if path not in paths:
                paths.append(path)
        if entry.source == "pinyin":
            variants.append("pinyin")
            paths.append(f"pinyin: {entry.key}→{entry.alias}")
        name = brand_names[entry.brand]
        if variants:
            path = "; ".join(paths) + f" → {name}"
        else:
            path = f"exact: {name}" if entry.key == compact_key(name) else f"alias: {entry.alias}"
        return BrandMatch(
            brand=entry.brand,
            field=field.name,
            span=base.original_span(base_start, base_end),
            text=original,
            normalised=entry.key,
            variants=tuple(variants),
            path=path,
            alias=entry.alias,
        )

    def _find_homophones(self, field: FieldText, brand_names: Sequence[str]) -> Iterator[BrandMatch]:
        if self._pinyin is None or not _HAN.search(field.compact.text):
            return
        text = field.pinyin()
        view = field.compact
        for end_index, (length, values) in self._pinyin.iter(text):
            start = end_index - length + 1
            first = text.count("|", 0, start + 1) - 1
            last = first + text.count("|", start, end_index + 1) - 2
            written = view.text[first : last + 1]
            for brand, chinese in values:
                if written == chinese or written in self._chinese_keys:
                    continue  # the real name (or another brand's), found by exact matching
                syllables = "".join(pinyin_of(ch) for ch in written)
                base_start = view.positions[first]
                base_end = view.positions[last] + 1
                original = field.base.original_text(base_start, base_end)
                yield BrandMatch(
                    brand=brand,
                    field=field.name,
                    span=field.base.original_span(base_start, base_end),
                    text=original,
                    normalised=chinese,
                    variants=("homophone",),
                    path=f"pinyin: {original}→{syllables}→{chinese} → {brand_names[brand]}",
                    alias=chinese,
                )


def _disguises(view: View, start: int, end: int, key: str) -> list[tuple[str, str]]:
    """How each character of ``view.text[start:end]`` was disguised to spell ``key``."""
    found: list[tuple[str, str]] = []
    traditional = False
    base = view.base
    positions = view.positions
    for offset, index in enumerate(positions[start:end]):
        begin = base.starts[index]
        written = base.original[begin : begin + 1]
        wanted = key[offset]
        note = base.notes.get(index)
        if note is not None and note.kind == "traditional":
            traditional = True
        elif note is not None and note.kind in ("homoglyph", "leet"):
            script = f"{note.detail} " if note.detail else ""
            found.append((note.kind, f"{note.kind}: {script}{written}→{wanted}"))
        elif note is None and written.casefold() != wanted:
            found.append(("homoglyph", f"homoglyph: {written}→{wanted}"))
    if traditional:
        original = view.original_text(start, end)
        found.append(("traditional", f"traditional: {original}→{key}"))
    return found


def _joined(edge: str, neighbour: str) -> bool:
    """Whether ``neighbour`` continues the word whose edge character is ``edge``.

    Letters join letters and digits join digits, so "iPhone15" still names the iPhone
    while "Pineapple" does not name Apple and "RB3025" is not "RB302".
    """
    if not (edge.isascii() and neighbour.isascii()):
        return False
    return (edge.isalpha() and neighbour.isalpha()) or (edge.isdigit() and neighbour.isdigit())


def _automaton(table: dict[str, object]) -> ahocorasick.Automaton | None:
    if not table:
        return None
    automaton = ahocorasick.Automaton()
    for key, values in table.items():
        automaton.add_word(key, values)
    automaton.make_automaton()
    return automaton


def _longest(matches: list[BrandMatch]) -> list[BrandMatch]:
    """Drop a match inside a longer one of the same brand ("jordan" in "air jordan")."""
    matches.sort(key=lambda m: (m.span[0], -(m.span[1] - m.span[0])))
    kept: list[BrandMatch] = []
    for match in matches:
        if any(
            k.brand == match.brand
            and k.field == match.field
            and k.span[0] <= match.span[0]
            and match.span[1] <= k.span[1]
            for k in kept
        ):
            continue
        kept.append(match)
    return kept
