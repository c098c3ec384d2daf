"""Misspelt brand names ("Nkie", "Addidas", "Louis Vuiton") found without scanning all brands.

Comparing every word of a listing with every alias costs brands × words; with 10,000
brands that is far too slow. Instead every Latin alias is indexed under its deletion
neighbourhood (all strings reachable by deleting up to *d* letters, as SymSpell does):
two strings within edit distance *d* share a member of their neighbourhoods, so one
dictionary look-up per deletion of a listing word finds the few candidates, and
rapidfuzz's optimal-string-alignment distance (which counts a swap of two neighbours as
one edit) confirms them. The allowed distance grows with the name's length: short names
are only matched with two neighbouring letters swapped ("Nkie", never "Nice" or "Mike"),
names of 5-7 letters allow one edit, longer names two.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz.distance import OSA

from patrol.screening.normalise import NormalisedText

__all__ = ["FuzzyIndex", "FuzzyMatch", "allowed_distance"]

_MAX_WORDS = 3  # "louis vuiton" is two words; names of up to three words are tried


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
    out = {word}
    for d in range(1, depth + 1):
        for positions in combinations(range(len(word)), d):
            out.add("".join(ch for i, ch in enumerate(word) if i not in positions))
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
        self._index: dict[str, set[str]] = {}
        for brand, key, alias in aliases:
            if not key.isascii() or not key.isalpha():
                continue
            depth = allowed_distance(len(key), min_length, max_distance)
            if depth == 0:
                continue
            self._keys.setdefault(key, []).append((brand, alias))
            for deletion in _deletions(key, depth):
                self._index.setdefault(deletion, set()).add(key)

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, words: NormalisedText, exact_keys: set[str]) -> Iterator[FuzzyMatch]:
        """Words (or runs of up to three words) of ``words`` that resemble an alias."""
        if not self._keys:
            return
        tokens = _tokens(words.text)
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, min(i + _MAX_WORDS, len(tokens))):
                joined += tokens[j][0]
                if not joined.isalpha() or len(joined) < self.min_length - 1:
                    continue
                if joined in exact_keys or joined in self.ignore or len(joined) > 24:
                    continue
                for key, distance in self._candidates(joined):
                    for brand, alias in self._keys[key]:
                        yield FuzzyMatch(brand, key, alias, tokens[i][1], tokens[j][2], distance)

    def _candidates(self, word: str) -> Iterator[tuple[str, int]]:
        depth = 2 if len(word) >= 7 and self.max_distance >= 2 else 1
        seen: set[str] = set()
        for deletion in _deletions(word, depth):
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
                    yield key, distance


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """ASCII-letter words of a words view, with their spans."""
    tokens: list[tuple[str, int, int]] = []
    start = -1
    for index, char in enumerate(text + " "):
        word_char = char.isascii() and char.isalpha()
        if word_char and start < 0:
            start = index
        elif not word_char and start >= 0:
            tokens.append((text[start:index], start, index))
            start = -1
    return tokens
