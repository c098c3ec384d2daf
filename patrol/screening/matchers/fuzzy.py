"""Misspelt brand names ("Nkie", "Addidas", "Louis Vuiton") found without scanning all brands.

Comparing every word of a listing with every alias costs brands × words; with 10,000
brands that is far too slow. Instead every Latin alias is indexed under its deletion
neighbourhood (all strings reachable by deleting up to *d* letters, as SymSpell does,
over the first seven letters): two strings within edit distance *d* share a member of
their neighbourhoods, so one dictionary look-up per deletion of a listing word finds the
few candidates (and a cache remembers the answer for words seen before), and
rapidfuzz's optimal-string-alignment distance (which counts a swap of two neighbours as
one edit) confirms them. The allowed distance grows with the name's length: short names
are only matched with two neighbouring letters swapped ("Nkie", never "Nice" or "Mike"),
names of 5-7 letters allow one edit, longer names two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from patrol.screening.normalise import View

__all__ = ["FuzzyIndex", "FuzzyMatch", "allowed_distance"]

_MAX_WORDS = 3  # "louis vuiton" is two words; names of up to three words are tried
_PREFIX = 7  # only the first letters are indexed (SymSpell's prefix trick); all are compared
_JOIN_PREFIX = 3  # words are joined only when they start like a multi-word name


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    brand: int
    key: str  # the alias key it resembles
    alias: str
    start: int  # in the words view
    end: int
    distance: int


_SWAP_ONLY = 4  # names this long (or shorter, down to 4) only match with a swap


def allowed_distance(length: int, min_length: int, max_distance: int) -> int:
    """Edits allowed for a name of ``length`` letters (0: never fuzzy)."""
    if length < min(min_length, _SWAP_ONLY):
        return 0
    return min(max_distance, 1 if length < 8 else 2)


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` of its letters."""
    level = {word}
    out = {word}
    for _ in range(depth):
        level = {w[:i] + w[i + 1 :] for w in level for i in range(len(w))}
        out |= level
    return out


class FuzzyIndex:
    """Deletion-neighbourhood index of Latin alias keys."""

    def __init__(
        self,
        aliases: Sequence[tuple[int, str, str]],
        *,
        min_length: int = 5,
        max_distance: int = 2,
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        """``aliases``: (brand index, compact key, alias as written) of Latin names."""
        self.min_length = min_length
        self.max_distance = max_distance
        self.ignore = ignore
        self._keys: dict[str, list[tuple[int, str]]] = {}
        self._index: dict[str, tuple[str, ...]] = {}
        self._prefixes: set[str] = set()  # first letters of multi-word names
        self._longest = 0  # longest run of joined words worth trying
        index: dict[str, set[str]] = {}
        for brand, key, alias in aliases:
            if not key.isascii() or not key.isalpha():
                continue
            depth = allowed_distance(len(key), min_length, max_distance)
            if depth == 0:
                continue
            self._keys.setdefault(key, []).append((brand, alias))
            if len(alias.split()) > 1:
                self._prefixes.add(key[:_JOIN_PREFIX])
                self._longest = max(self._longest, len(key) + max_distance)
            for deletion in _deletions(key[:_PREFIX], depth):
                index.setdefault(deletion, set()).add(key)
        self._index = {deletion: tuple(keys) for deletion, keys in index.items()}
        lengths = {len(key) for key in self._keys}
        self._lengths = frozenset(
            n + d for n in lengths for d in range(-max_distance, max_distance + 1)
        )
        self._lookup = lru_cache(maxsize=200_000)(self._candidates)

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, words: View, exact_keys: frozenset[str]) -> Iterator[FuzzyMatch]:
        """Words (or runs of up to three words) of ``words`` that resemble an alias."""
        if not self._keys:
            return
        tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(words.text)]
        for i, (token, start, end) in enumerate(tokens):
            joined = token
            for j in range(i, min(i + _MAX_WORDS, len(tokens))):
                if j > i:
                    if joined[:_JOIN_PREFIX] not in self._prefixes:
                        break
                    joined += tokens[j][0]
                    end = tokens[j][2]
                    if len(joined) > self._longest:
                        break
                if len(joined) not in self._lengths or joined in exact_keys:
                    continue
                if joined in self.ignore:
                    continue
                for key, distance in self._lookup(joined):
                    for brand, alias in self._keys[key]:
                        yield FuzzyMatch(brand, key, alias, start, end, distance)

    def _candidates(self, word: str) -> tuple[tuple[str, int], ...]:
        depth = 2 if len(word) >= 6 and self.max_distance >= 2 else 1
        seen: set[str] = set()
        found: list[tuple[str, int]] = []
        for deletion in _deletions(word[:_PREFIX], depth):
            for key in self._index.get(deletion, ()):
                if key in seen or key == word:
                    continue
                seen.add(key)
                limit = allowed_distance(len(key), self.min_length, self.max_distance)
                if abs(len(key) - len(word)) > limit or (key[0] != word[0] and limit < 2):
                    continue
                if len(key) < self.min_length and sorted(key) != sorted(word):
                    continue  # a short name: only a swap of two letters counts
                distance = OSA.distance(word, key, score_cutoff=limit)
                if distance <= limit:
                    found.append((key, distance))
        return tuple(found)


_WORD = re.compile(r"[a-z]+")
