"""Text normalisation for screening, with every character mapped back to the original.

Counterfeit sellers spell brand names so that a plain keyword filter misses them:
full-width letters (ＮＩＫＥ), look-alike letters from other scripts (Guсci with a Cyrillic
с), digits for letters (N1KE), traditional characters (愛馬仕), separators inside a name
(N-I-K-E, 古 驰) and homophones (耐客 for 耐克). Matching is done on a normalised form of
the text, but a person must see the words *as the listing shows them*, so every
normalised character keeps the span of original characters it came from, and a note of
the folding that produced it (which is how a hit explains its variant path).

The module is pure and its caches are process-wide, so one normaliser serves every
thread. :func:`normalise_text` is also what the registry search uses, so a mark typed by
a person and a mark in a listing meet in the same form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from confusable_homoglyphs import categories as _homoglyph_categories
from confusable_homoglyphs import confusables as _confusables
from pypinyin import lazy_pinyin

__all__ = [
    "MAX_FIELD_CHARS",
    "CharNote",
    "NormalisedText",
    "compact",
    "compact_key",
    "is_han",
    "is_latin_word_char",
    "normalise",
    "normalise_text",
    "phrase_key",
    "pinyin_of",
    "words",
]

MAX_FIELD_CHARS = 20_000
"""Longer fields are cut before screening, so a huge description costs a bounded time."""

_WHITESPACE = " "
_SEPARATOR = "-"
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_HOMOGLYPH_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC", "LATIN"})
_T2S = opencc.OpenCC("t2s")


@dataclass(frozen=True, slots=True)
class CharNote:
    """How one normalised character came from the original, for explanations."""

    kind: str  # "width", "homoglyph", "leet", "traditional", "accent"
    original: str
    folded: str
    detail: str = ""  # e.g. the script of a homoglyph ("Cyrillic")

    def describe(self) -> str:
        prefix = f"{self.detail} " if self.detail else ""
        return f"{self.kind}: {prefix}{self.original}→{self.folded}"


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A normalised string whose characters each know their span in the original.

    ``starts[i]:ends[i]`` is the original span of ``text[i]``; ``notes[i]`` says how it
    was folded (``None`` for plain case folding or no change).
    """

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    notes: tuple[CharNote | None, ...]
    positions: tuple[int, ...] = ()  # index of each character in the view it came from

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` that the normalised ``text[start:end]`` covers."""
        if not self.text or end <= start:
            return (0, 0)
        return (self.starts[start], self.ends[end - 1])

    def original_text(self, start: int, end: int) -> str:
        a, b = self.original_span(start, end)
        return self.original[a:b]

    def notes_between(self, start: int, end: int) -> list[CharNote]:
        seen: list[CharNote] = []
        for note in self.notes[start:end]:
            if note is not None and note not in seen:
                seen.append(note)
        return seen

    def subset(self, keep: list[int], text: str | None = None) -> NormalisedText:
        """A view made of the characters at ``keep`` (optionally with replaced text)."""
        return NormalisedText(
            original=self.original,
            text=text if text is not None else "".join(self.text[i] for i in keep),
            starts=tuple(self.starts[i] for i in keep),
            ends=tuple(self.ends[i] for i in keep),
            notes=tuple(self.notes[i] for i in keep),
            positions=tuple(keep),
        )


def is_han(char: str) -> bool:
    """A CJK ideograph (the scripts whose names carry no word boundaries)."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def is_latin_word_char(char: str) -> bool:
    """A character that continues a Latin-script word (so ``Diorama`` is not ``Dior``)."""
    return char.isascii() and char.isalnum()


@lru_cache(maxsize=1)
def _homoglyph_table() -> dict[str, tuple[str, str]]:
    """Look-alike letters of other scripts → (ASCII letter, script name)."""
    table: dict[str, tuple[str, str]] = {}
    for char, entries in _confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        if not unicodedata.category(char).startswith("L"):
            continue
        script = _homoglyph_categories.alias(char)
        if script not in _HOMOGLYPH_SCRIPTS:
            continue
        for entry in entries:
            target = entry["c"]
            if len(target) == 1 and target.isascii() and target.isalpha():
                table[char] = (target.lower(), script.title())
                break
    return table


def _is_separator(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PZSC" and char not in "$@"


@lru_cache(maxsize=65_536)
def _fold_char(char: str) -> tuple[tuple[str, CharNote | None], ...]:
    """Fold one original character into zero or more normalised characters."""
    if char.isascii():
        if char.isalnum() or char in "$@":
            return ((char.lower(), None),)
        return ((_WHITESPACE if char.isspace() else _SEPARATOR, None),)
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):  # controls, zero-width, unassigned
        return ((_SEPARATOR, None),)
    homoglyph = _homoglyph_table().get(char)
    if homoglyph is not None and not unicodedata.normalize("NFKC", char).isascii():
        letter, script = homoglyph
        return ((letter, CharNote("homoglyph", char, letter, script)),)
    width = unicodedata.normalize("NFKC", char)
    out: list[tuple[str, CharNote | None]] = []
    for piece in width:
        note: CharNote | None = None
        if width != char and piece.isascii():
            note = CharNote("width", char, piece.lower())
        folded = piece.casefold()
        stripped = "".join(
            c for c in unicodedata.normalize("NFD", folded) if unicodedata.category(c) != "Mn"
        )
        if stripped and stripped != folded:
            folded = stripped
            note = note or CharNote("accent", char, folded)
        for sub in folded:
            if is_han(sub):
                simple = _T2S.convert(sub)
                if len(simple) == 1 and simple != sub:
                    out.append((simple, CharNote("traditional", char, simple)))
                    continue
            if _is_separator(sub):
                out.append((_WHITESPACE if sub.isspace() else _SEPARATOR, None))
                continue
            glyph = _homoglyph_table().get(sub)
            if glyph is not None:
                out.append((glyph[0], CharNote("homoglyph", char, glyph[0], glyph[1])))
                continue
            out.append((sub, note))
    return tuple(out)


def normalise(text: str | None, *, leet: bool = True) -> NormalisedText:
    """Normalise ``text`` (NFKC, case fold, accents, t2s, homoglyphs, leet) with spans.

    Separators (spaces, punctuation, symbols, control and zero-width characters) stay in
    the text as ``" "`` (whitespace) or ``"-"`` (anything else), so callers can see where
    words break; :meth:`compact` views drop them. Text past :data:`MAX_FIELD_CHARS` is cut.
    """
    original = (text or "")[:MAX_FIELD_CHARS]
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    notes: list[CharNote | None] = []
    for index, char in enumerate(original):
        for folded, note in _fold_char(char):
            chars.append(folded)
            starts.append(index)
            ends.append(index + 1)
            notes.append(note)
    if leet:
        _fold_leet(chars, notes)
    return NormalisedText(original, "".join(chars), tuple(starts), tuple(ends), tuple(notes))


def _fold_leet(chars: list[str], notes: list[CharNote | None]) -> None:
    """Digits for letters (N1KE, Ch4nel, Adida5) inside Latin words, in place.

    A digit is read as a letter only when letters surround it, or when it is a single
    digit at a word's edge next to at least three letters: ``iPhone15`` and ``RB3025``
    keep their digits.
    """
    n = len(chars)
    for i, char in enumerate(chars):
        if char not in _LEET:
            continue
        before = chars[i - 1] if i > 0 else " "
        after = chars[i + 1] if i + 1 < n else " "
        letter_before = before.isascii() and before.isalpha()
        letter_after = after.isascii() and after.isalpha()
        inside = letter_before and letter_after
        edge = False
        if (
            not inside
            and (letter_before or letter_after)
            and not (before.isdigit() or after.isdigit())
        ):
            j = i - 1 if letter_before else i + 1
            step = -1 if letter_before else 1
            letters = 0
            while 0 <= j < n and chars[j].isascii() and chars[j].isalpha():
                letters += 1
                j += step
            edge = letters >= 3 and char not in "$@"
        if char in "$@" and (letter_before or letter_after):
            inside = True
        if inside or edge:
            letter = _LEET[char]
            chars[i] = letter
            notes[i] = CharNote("leet", char, letter)


def normalise_text(text: str | None) -> str:
    """The normalised form of ``text`` as a plain string, separators collapsed to spaces.

    This is the form the registry search compares marks in, so that "ＮＩＫＥ", "Nіke"
    and "nike" meet: ``normalise_text("Ｇｕсｃｉ  Bags") == "gucci bags"``.
    """
    return phrase_key(text)


def _collapse(view: NormalisedText, *, drop_all: bool) -> NormalisedText:
    keep: list[int] = []
    out: list[str] = []
    text = view.text
    n = len(text)
    for i, char in enumerate(text):
        if char in (_WHITESPACE, _SEPARATOR):
            if drop_all or not out or out[-1] == " ":
                continue
            j = i + 1
            while j < n and text[j] in (_WHITESPACE, _SEPARATOR):
                j += 1
            if j >= n or (is_han(out[-1]) and is_han(text[j])):
                continue
            keep.append(i)
            out.append(" ")
            continue
        keep.append(i)
        out.append(char)
    return view.subset(keep, "".join(out))


def compact(view: NormalisedText) -> NormalisedText:
    """The view without separators (where ``N-I-K-E`` and ``古 驰`` become names again)."""
    return _collapse(view, drop_all=True)


def words(view: NormalisedText) -> NormalisedText:
    """The view with separator runs as one space, none between two Chinese characters."""
    return _collapse(view, drop_all=False)


def compact_key(text: str) -> str:
    """The key a name is indexed under in the compact view (``"N-I-K-E"`` → ``"nike"``)."""
    return compact(normalise(text)).text


def phrase_key(text: str | None) -> str:
    """The key a phrase is indexed under in the words view (``"1：1"`` → ``"1 1"``)."""
    return words(normalise(text)).text


@lru_cache(maxsize=65_536)
def pinyin_of(char: str) -> str:
    """Toneless pinyin of one Chinese character (``耐`` → ``nai``)."""
    syllables = lazy_pinyin(char)
    return syllables[0] if syllables else char
