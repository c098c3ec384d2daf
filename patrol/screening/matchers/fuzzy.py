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

from patrol.screening.normalise import View, phrase_key

__all__ = ["FuzzyIndex", "FuzzyMatch", "allowed_distance"]

_MAX_WORDS = 3  # "louis vuiton" is two words; names of up to three words are tried
_PREFIX = 7  # only the first letters are indexed (SymSpell's prefix trick); all are compared
_JOIN_PREFIX = 1  # words are joined only when they start like a multi-word name


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
            if len(phrase_key(alias).split()) > 1:
                self._prefixes.add(_fold(key)[:_JOIN_PREFIX])
                self._longest = max(self._longest, len(key) + max_distance)
            for deletion in _deletions(_fold(key)[:_PREFIX], depth):
                index.setdefault(deletion, set()).add(key)
        # sorted, not set order: candidates must not depend on the process's hash seed
        self._index = {deletion: tuple(sorted(keys)) for deletion, keys in index.items()}
        self._squeezed: dict[str, tuple[str, ...]] = {}
        for key in self._keys:
            squeezed = _squeeze(_fold(key))
            self._squeezed[squeezed] = (*self._squeezed.get(squeezed, ()), key)
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
                    word, word_start, word_end = tokens[j]
                    if (
                        word_start != end + 1  # only words next to each other
                        or len(word) < 2
                        or joined in exact_keys  # "Dyson V12" is Dyson, not "Dysonv"
                        or _fold(joined[:_JOIN_PREFIX]) not in self._prefixes
                    ):
                        break
                    joined += word
                    end = word_end
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
        depth = 1  # the index holds two deletions of long names: one more here is enough
        seen: set[str] = set()
        found: list[tuple[str, int]] = []
        folded = _fold(word)
        for key in self._squeezed.get(_squeeze(folded), ()):
            if key != word and len(word) - len(key) <= 2:  # letters doubled: Cannonn, Tifanny
                seen.add(key)
                found.append((key, int(OSA.distance(folded, _fold(key)))))
        for deletion in _deletions(folded[:_PREFIX], depth):
            for key in self._index.get(deletion, ()):
                if key in seen or key == word:
                    continue
                seen.add(key)
                limit = allowed_distance(len(key), self.min_length, self.max_distance)
                if abs(len(key) - len(word)) > limit or (_fold(key[0]) != folded[0] and limit < 2):
                    continue
                target = _fold(key)
                if len(key) < self.min_length and not _slip(folded, target):
                    continue  # a short name: only a swapped or a doubled letter counts
                distance = OSA.distance(folded, target, score_cutoff=limit)
                if distance <= limit:
                    found.append((key, distance))
        # the closest name first, ties by name: the first of two names claiming one word
        # wins it (see patrol.screening.engine._fuzzy), so the order is part of the verdict
        return tuple(sorted(found, key=lambda candidate: (candidate[1], candidate[0])))


_WORD = re.compile(r"[a-z]+")


def _fold(text: str) -> str:
    """Small l and i look alike; they count as one letter here as in exact matching."""
    return text.replace("l", "i")


def _squeeze(text: str) -> str:
    """Runs of one letter as one letter ("cannonn" → "canon")."""
    return _RUNS.sub(r"\1", text)


_RUNS = re.compile(r"(.)\1+")
_TWINS = ({"s", "z"}, {"i", "y"})


def _slip(word: str, key: str) -> bool:
    """Two neighbouring letters swapped (Nkie), a sound-alike letter (Vanz), or a letter
    added inside the name or doubled (Soney, Sonny, Vanss) — not one added at the end
    (Nikes is Nike)."""
    if len(word) == len(key):
        diffs = [i for i in range(len(word)) if word[i] != key[i]]
        if len(diffs) == 1:  # a sound-alike letter: Vanz, Boze, Nyke (never Nice for Nike)
            return {word[diffs[0]], key[diffs[0]]} in _TWINS
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and sorted(word) == sorted(key)
    if len(word) == len(key) + 1:
        return any(
            word[:i] + word[i + 1 :] == key and (i < len(word) - 1 or word[i] == word[i - 1])
            for i in range(1, len(word))
        )
    return False
