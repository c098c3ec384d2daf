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
from itertools import accumulate

import ahocorasick

from patrol.screening.memo import BoundedMemo
from patrol.screening.normalise import (
    KEY_CACHE_CHARS,
    NormalisedText,
    View,
    compact,
    compact_key,
    is_han,
    is_latin_word_char,
    normalise,
    pinyin_of,
    readings_of,
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
    syllable_ends: frozenset[int] = frozenset()  # pinyin keys: where each syllable ends


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

    def pinyin_alternative(self) -> str | None:
        """The syllables with each character's alphabetically first reading, if different.

        Brand names are indexed under every reading of their characters; the text under
        its usual reading and, when it has characters with several, under their first
        one too, so 勒高 (lei or le gao) still meets 乐高 (le gao).
        """
        alternative = "|" + self.compact.text.translate(_FIRST_READING_TABLE)
        return alternative if alternative != self.pinyin() else None


class _PinyinTable(dict[int, str]):
    """``str.translate`` table: a Chinese character → ``"syllable|"``, anything else → ``"#|"``."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = sound_of(pinyin_of(char)) + "|" if is_han(char) else "#|"
        self[code] = value
        return value


_PINYIN_TABLE = _PinyinTable()


class _FirstReadingTable(dict[int, str]):
    """Like :class:`_PinyinTable`, with each character's alphabetically first reading."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = sound_of(min(readings_of(char))) + "|" if is_han(char) else "#|"
        self[code] = value
        return value


_FIRST_READING_TABLE = _FirstReadingTable()


def sound_of(syllable: str) -> str:
    """A syllable as many speakers say it: zh/ch/sh as z/c/s, -ang/-eng/-ing as -an/-en/-in
    (the "fuzzy pinyin" of Chinese input methods), so 雅丝兰黛 (si) meets 雅诗兰黛 (shi)."""
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    if syllable.endswith("ng") and syllable[-3:-2] in ("a", "e", "i"):
        syllable = syllable[:-1]
    return syllable


def _reading_combinations(name: str, limit: int = 32) -> list[tuple[str, ...]]:
    """Every way to read ``name`` (at most ``limit``), the usual reading first."""
    combos: list[tuple[str, ...]] = [()]
    for char in name:
        readings = dict.fromkeys(sound_of(reading) for reading in readings_of(char))
        combos = [(*combo, reading) for combo in combos for reading in readings][:limit]
    return combos


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


class _FindMemo:
    """What :meth:`BrandIndex.find` answered for (field, text, homophones), for one tuple
    of brand names (a match's variant path names the brand as that tuple spells it)."""

    __slots__ = ("found", "names")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.found: BoundedMemo[tuple[str, str, bool], tuple[BrandMatch, ...]] = BoundedMemo()


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
                    for syllables in _reading_combinations(key):
                        pinyin_table.setdefault("|" + "|".join(syllables) + "|", []).append(
                            (brand, key)
                        )
                    usual = [pinyin_of(ch) for ch in key]
                    spelled = "".join(usual)
                    if len(spelled) >= 5 and spelled not in keys:
                        keys.add(spelled)
                        ends = frozenset(accumulate(len(s) for s in usual))
                        self._add(table, AliasEntry(brand, alias, spelled, "pinyin", 0, True, ends))
        self._automaton = _automaton({key: tuple(ids) for key, ids in table.items()})
        self._pinyin = _automaton({k: (len(k), tuple(v)) for k, v in pinyin_table.items()})
        self._chinese_keys = {key for values in pinyin_table.values() for _brand, key in values}
        self.keys = frozenset(entry.key for entry in self.entries)
        self._memo = _FindMemo(())

    def _add(self, table: dict[str, list[int]], entry: AliasEntry) -> None:
        table.setdefault(_fold(entry.key), []).append(len(self.entries))
        self.entries.append(entry)

    def find(
        self, field: FieldText, brand_names: Sequence[str], *, homophones: bool = True
    ) -> list[BrandMatch]:
        """Every brand name in the field: plain, disguised or (optionally) homophone.

        The answer for a short text is remembered (:mod:`patrol.screening.memo`): the
        same shop name, declared brand or description comes back on many listings.
        """
        text = field.base.original
        if len(text) > KEY_CACHE_CHARS:
            return self._find(field, brand_names, homophones)
        memo = self._memo
        if memo.names is not brand_names:  # names spelt by another tuple: start afresh
            memo = self._memo = _FindMemo(brand_names)
        key = (field.name, text, homophones)
        found = memo.found.get(key)
        if found is None:
            found = memo.found.put(key, tuple(self._find(field, brand_names, homophones)))
        return list(found)

    def _find(
        self, field: FieldText, brand_names: Sequence[str], homophones: bool
    ) -> list[BrandMatch]:
        matches = list(self._find_names(field, brand_names))
        if homophones:
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
        if entry.syllable_ends and set(accumulate(len(p) for p in pieces)) <= entry.syllable_ends:
            pieces = ["".join(pieces)]  # "zhi bao" is pinyin written syllable by syllable
        variants: list[str] = []
        paths: list[str] = []
        original = base.original_text(base_start, base_end)
        if (
            entry.latin
            and len(entry.key) < _MIN_LOOKALIKE
            and (view.text[start:end] != entry.key or len(pieces) - 1 != entry.gaps)
        ):
            return None  # a short name only as written: "MAC" is not "M.A.C", "IV" not "LV"
        if len(pieces) - 1 > entry.gaps:
            if entry.latin and len(entry.key) <= 3:
                return None
            spaced_only = all(ch != "-" for ch in base.text[base_start:base_end])
            letters = sum(1 for p in pieces if len(p) == 1)
            if entry.latin and spaced_only and max(len(p) for p in pieces) > 2 and letters < 3:
                return None  # "can on" is two words, not "canon" spelt letter by letter
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

    def _find_homophones(
        self, field: FieldText, brand_names: Sequence[str]
    ) -> Iterator[BrandMatch]:
        if self._pinyin is None or not _HAN.search(field.compact.text):
            return
        view = field.compact
        seen: set[tuple[int, int]] = set()
        texts = [field.pinyin()]
        alternative = field.pinyin_alternative()
        if alternative is not None:
            texts.append(alternative)
        for text in texts:
            for end_index, (length, values) in self._pinyin.iter(text):
                start = end_index - length + 1
                first = text.count("|", 0, start + 1) - 1
                last = first + text.count("|", start, end_index + 1) - 2
                for brand, chinese in values:
                    if (brand, first) in seen:
                        continue
                    match = self._homophone(field, view, brand, chinese, first, last, brand_names)
                    if match is not None:
                        seen.add((brand, first))
                        yield match

    def _homophone(
        self,
        field: FieldText,
        view: View,
        brand: int,
        chinese: str,
        first: int,
        last: int,
        brand_names: Sequence[str],
    ) -> BrandMatch | None:
        written = view.text[first : last + 1]
        if written == chinese or written in self._chinese_keys:
            return None  # the real name (or another brand's), found by exact matching
        if not set(written) & set(chinese):
            return None  # sellers keep part of the name to be found (耐客); 质保 is a word
        syllables = "".join(pinyin_of(ch) for ch in written)
        base_start = view.positions[first]
        base_end = view.positions[last] + 1
        original = field.base.original_text(base_start, base_end)
        return BrandMatch(
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
    """Drop a match inside a longer one of the same brand ("jordan" in "air jordan"),
    and a disguised match that overlaps another brand's plain name (范思 in 范思哲)."""
    matches.sort(key=lambda m: (m.span[0], -(m.span[1] - m.span[0])))
    plain = [m for m in matches if not m.variants]
    kept: list[BrandMatch] = []
    for match in matches:
        if any(
            k.brand == match.brand and k.span[0] <= match.span[0] and match.span[1] <= k.span[1]
            for k in kept
        ):
            continue
        if match.variants and any(
            p.brand != match.brand
            and p.span[0] < match.span[1]
            and match.span[0] < p.span[1]
            and p.span[1] - p.span[0] >= match.span[1] - match.span[0]
            for p in plain
        ):
            continue
        kept.append(match)
    return kept
