"""Many phrases found in one pass: an Aho-Corasick automaton with Latin word boundaries.

Slang, "same style" phrases, genuine claims, exclusions, homonym phrases and category
words are all lists of phrases. One automaton per list finds every phrase in a single
pass over the text, whatever the number of phrases; a phrase that starts or ends with a
Latin letter only counts on a word boundary, so "fake" is not found in "fakeer" and
"omega" is not in "omegasonic" — Chinese has no spaces, so Chinese phrases need none.
User patterns run on RE2, which has no catastrophic backtracking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick
import re2

from patrol.screening.memo import BoundedMemo
from patrol.screening.normalise import KEY_CACHE_CHARS, View, is_latin_word_char, phrase_key

__all__ = ["KeywordIndex", "KeywordMatch", "compile_pattern"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeywordMatch(Generic[T]):
    start: int  # in the view's text
    end: int
    key: str
    value: T


def compile_pattern(pattern: str) -> re2._Regexp:
    """A case-insensitive RE2 pattern (linear time, no backreferences or lookaround)."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    return re2.compile(pattern, options=options)


class KeywordIndex(Generic[T]):
    """Phrases (indexed under :func:`phrase_key`) each carrying a value."""

    def __init__(self, entries: Iterable[tuple[str, T]], *, keyed: bool = False) -> None:
        table: dict[str, list[T]] = {}
        for phrase, value in entries:
            key = phrase if keyed else phrase_key(phrase)
            if key.strip():
                table.setdefault(key, []).append(value)
        self._size = len(table)
        self._memo: BoundedMemo[str, tuple[KeywordMatch[T], ...]] = BoundedMemo()
        self._automaton = ahocorasick.Automaton()
        for key, values in table.items():
            self._automaton.add_word(key, (key, tuple(values)))
        if self._size:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._size

    def find(self, text: str) -> Iterator[KeywordMatch[T]]:
        """Every phrase occurrence in ``text`` (a words or compact view), on boundaries.

        The answer for a short text is remembered (:mod:`patrol.screening.memo`).
        """
        if not self._size or not text:
            return iter(())
        if len(text) > KEY_CACHE_CHARS:
            return self._scan(text)
        found = self._memo.get(text)
        if found is None:
            found = self._memo.put(text, tuple(self._scan(text)))
        return iter(found)

    def _scan(self, text: str) -> Iterator[KeywordMatch[T]]:
        n = len(text)
        for end_index, (key, values) in self._automaton.iter(text):
            end = end_index + 1
            start = end - len(key)
            if is_latin_word_char(key[0]) and start > 0 and is_latin_word_char(text[start - 1]):
                continue
            if is_latin_word_char(key[-1]) and end < n and is_latin_word_char(text[end]):
                continue
            for value in values:
                yield KeywordMatch(start, end, key, value)

    def find_in(self, view: View) -> Iterator[KeywordMatch[T]]:
        return self.find(view.text)

    def contains(self, text: str) -> bool:
        return next(self.find(text), None) is not None
