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

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import opencc
from confusable_homoglyphs import categories as _homoglyph_categories
from confusable_homoglyphs import confusables as _confusables
from pypinyin import Style, lazy_pinyin, pinyin

__all__ = [
    "KEY_CACHE_CHARS",
    "MAX_FIELD_CHARS",
    "CharNote",
    "NormalisedText",
    "View",
    "compact",
    "compact_key",
    "is_han",
    "is_latin_word_char",
    "normalise",
    "normalise_text",
    "phrase_key",
    "pinyin_of",
    "readings_of",
    "words",
]

MAX_FIELD_CHARS = 20_000
"""Longer fields are cut before screening, so a huge description costs a bounded time."""

_WHITESPACE = " "
_SEPARATOR = "-"
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
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


class NormalisedText:
    """A normalised string whose characters each know the original character they came from.

    ``starts[i]`` is the index in ``original`` of the character that ``text[i]`` came
    from; ``notes`` holds, for the few characters that were disguised or folded beyond
    case, how (a sparse mapping, empty for plain text).
    """

    __slots__ = ("notes", "original", "starts", "text")

    def __init__(
        self, original: str, text: str, starts: Sequence[int], notes: dict[int, CharNote]
    ) -> None:
        self.original = original
        self.text = text
        self.starts = starts
        self.notes = notes

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` that ``text[start:end]`` covers."""
        if not self.text or end <= start:
            return (0, 0)
        return (self.starts[start], self.starts[end - 1] + 1)

    def original_text(self, start: int, end: int) -> str:
        a, b = self.original_span(start, end)
        return self.original[a:b]

    def notes_between(self, start: int, end: int) -> list[CharNote]:
        seen: list[CharNote] = []
        if self.notes:
            for index in range(start, end):
                note = self.notes.get(index)
                if note is not None and note not in seen:
                    seen.append(note)
        return seen


class View:
    """The base text with separators dropped (compact) or collapsed (words).

    Only ``text`` is built eagerly (with C-speed string operations); the map from a
    view position back to the base text is built the first time a match needs it, so
    a listing that matches nothing never pays for it.
    """

    __slots__ = ("_positions", "base", "kind", "text")

    def __init__(self, base: NormalisedText, kind: str) -> None:
        self.base = base
        self.kind = kind
        self._positions: list[int] | None = None
        if not base.text:
            self.text = ""
        elif kind == "compact":
            # two C passes; translate() would raise and swallow a LookupError for every
            # character its two-entry mapping lacks
            self.text = base.text.replace(_WHITESPACE, "").replace(_SEPARATOR, "")
        else:
            text = base.text
            if "-" in text or "  " in text:
                text = _SEPARATOR_RUN.sub(" ", text)
            text = text.strip(" ")
            self.text = _HAN_GAP.sub("", text) if " " in text and not text.isascii() else text

    @property
    def original(self) -> str:
        return self.base.original

    @property
    def positions(self) -> list[int]:
        """The base index of each character of ``text``."""
        if self._positions is None:
            self._positions = _positions(self.base.text, self.text, self.kind)
        return self._positions

    def base_span(self, start: int, end: int) -> tuple[int, int]:
        positions = self.positions
        return (positions[start], positions[end - 1] + 1)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start or not self.text:
            return (0, 0)
        return self.base.original_span(*self.base_span(start, end))

    def original_text(self, start: int, end: int) -> str:
        a, b = self.original_span(start, end)
        return self.original[a:b]


def _positions(base: str, text: str, kind: str) -> list[int]:
    if kind == "compact":
        return [i for i, ch in enumerate(base) if ch not in _SEPARATORS]
    out: list[int] = []
    previous = ""
    for run in _WORD_RUN.finditer(base):
        start = run.start()
        if out and not (is_han(previous) and is_han(base[start])):
            out.append(out[-1] + 1)  # the separator after the previous run
        out.extend(range(start, run.end()))
        previous = base[run.end() - 1]
    return out


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


_EXTRA_HOMOGLYPHS = {"κ": "k", "ε": "e", "τ": "t", "ρ": "p", "υ": "u", "η": "n", "χ": "x", "ω": "w"}


@lru_cache(maxsize=1)
def _homoglyph_table() -> dict[str, tuple[str, str]]:
    """Look-alike letters of other scripts → (ASCII letter, script name).

    A capital maps to the capital it looks like (Greek Ι → I, not l), a small letter to
    the small letter, from the Unicode confusables data.
    """
    table: dict[str, tuple[str, str]] = {}
    for char, entries in _confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        if not unicodedata.category(char).startswith("L"):
            continue
        script = _homoglyph_categories.alias(char)
        if script not in _HOMOGLYPH_SCRIPTS:
            continue
        targets = [
            entry["c"]
            for entry in entries
            if len(entry["c"]) == 1 and entry["c"].isascii() and entry["c"].isalpha()
        ]
        if not targets:
            continue
        same_case = [t for t in targets if t.isupper() == char.isupper()]
        table[char] = ((same_case or targets)[0].lower(), script.title())
    for char, letter in _EXTRA_HOMOGLYPHS.items():
        table.setdefault(char, (letter, "Greek"))
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


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each character on first sight.

    Characters whose fold is one character with nothing to explain go in the table;
    the others are recorded in :data:`_COMPLEX` so that :func:`normalise` can take its
    per-character path only for text that holds one.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) == 1 and folded[0][1] is None:
            self[code] = folded[0][0]
            return folded[0][0]
        _COMPLEX.add(chr(code))
        self[code] = chr(code)
        return chr(code)


_COMPLEX: set[str] = set()
_TABLE = _FoldTable()
_SEPARATORS = frozenset((_WHITESPACE, _SEPARATOR))
_SEPARATOR_RUN = re.compile(r"[ \-]+")
_WORD_RUN = re.compile(r"[^ \-]+")
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN_GAP = re.compile(f"(?<=[{_HAN_CLASS}]) (?=[{_HAN_CLASS}])")
_LEET_NEAR_LETTER = re.compile(r"[a-z]-*[0134578@$]|[0134578@$]-*[a-z]")


def normalise(text: str | None, *, leet: bool = True) -> NormalisedText:
    """Normalise ``text`` (NFKC, case fold, accents, t2s, homoglyphs, leet) with spans.

    Separators (spaces, punctuation, symbols, control and zero-width characters) stay in
    the text as ``" "`` (whitespace) or ``"-"`` (anything else), so callers can see where
    words break; :class:`View` drops or collapses them. Text past :data:`MAX_FIELD_CHARS`
    is cut.
    """
    original = (text or "")[:MAX_FIELD_CHARS]
    folded = original.translate(_TABLE)
    notes: dict[int, CharNote] = {}
    if _COMPLEX.isdisjoint(original):
        starts: Sequence[int] = range(len(original))
    else:
        chars: list[str] = []
        starts = []
        for index, char in enumerate(original):
            for piece, note in _fold_char(char):
                if note is not None:
                    notes[len(chars)] = note
                chars.append(piece)
                starts.append(index)
        folded = "".join(chars)
    if leet and _LEET_NEAR_LETTER.search(folded):
        folded = _fold_leet(folded, notes)
    return NormalisedText(original, folded, starts, notes)


def _fold_leet(text: str, notes: dict[int, CharNote]) -> str:
    """Digits for letters (N1KE, Ch4nel, Adida5, Ray-8an) inside Latin words, in place.

    A digit is read as a letter only when letters surround it, or when it is a single
    digit at a word's edge next to at least three letters: ``iPhone15`` and ``RB3025``
    keep their digits. Hyphens and dots are looked through (they split names, as in
    ``Ray-8an`` and ``SK-I1``); spaces are not.
    """
    chars = list(text)
    n = len(chars)

    def neighbour(i: int, step: int) -> int:
        j = i + step
        while 0 <= j < n and chars[j] == _SEPARATOR:
            j += step
        return j

    def is_letter(j: int) -> bool:
        return 0 <= j < n and chars[j].isascii() and chars[j].isalpha()

    def is_digit(j: int) -> bool:
        return 0 <= j < n and chars[j].isdigit()

    for i, char in enumerate(chars):
        if char not in _LEET:
            continue
        before, after = neighbour(i, -1), neighbour(i, 1)
        inside = is_letter(before) and is_letter(after)  # Ray-8an: through the hyphen
        letter_before, letter_after = is_letter(i - 1), is_letter(i + 1)
        edge = False
        if (
            not inside
            and (letter_before or letter_after)
            and not (is_digit(i - 1) or is_digit(i + 1))
        ):
            j, step = (i - 1, -1) if letter_before else (i + 1, 1)
            letters = 0
            while is_letter(j):
                letters += 1
                j = neighbour(j, step)
            edge = letters >= 3 and char not in "$@"
        if char in "$@" and (letter_before or letter_after):
            inside = True
        if inside or edge:
            letter = _LEET[char]
            chars[i] = letter
            notes[i] = CharNote("leet", char, letter)
    return "".join(chars)


def normalise_text(text: str | None) -> str:
    """The normalised form of ``text`` as a plain string, separators collapsed to spaces.

    This is the form the registry search compares marks in, so that "ＮＩＫＥ", "Nіke"
    and "nike" meet: ``normalise_text("Ｇｕсｃｉ  Bags") == "gucci bags"``.
    """
    return phrase_key(text)


def compact(base: NormalisedText) -> View:
    """The view without separators (where ``N-I-K-E`` and ``古 驰`` become names again)."""
    return View(base, "compact")


def words(base: NormalisedText) -> View:
    """The view with separator runs as one space, none between two Chinese characters."""
    return View(base, "words")


KEY_CACHE_CHARS = 256
"""Keys of texts up to this long are remembered: shop names, categories, the words around
a brand name recur on listing after listing, a long description rarely does."""


def compact_key(text: str) -> str:
    """The key a name is indexed under in the compact view (``"N-I-K-E"`` → ``"nike"``)."""
    if len(text) > KEY_CACHE_CHARS:
        return compact(normalise(text)).text
    return _compact_key(text)


def phrase_key(text: str | None) -> str:
    """The key a phrase is indexed under in the words view (``"1：1"`` → ``"1 1"``)."""
    if text is not None and len(text) > KEY_CACHE_CHARS:
        return words(normalise(text)).text
    return _phrase_key(text)


@lru_cache(maxsize=32_768)
def _compact_key(text: str) -> str:
    return compact(normalise(text)).text


@lru_cache(maxsize=32_768)
def _phrase_key(text: str | None) -> str:
    return words(normalise(text)).text


@lru_cache(maxsize=65_536)
def pinyin_of(char: str) -> str:
    """Toneless pinyin of one Chinese character (``耐`` → ``nai``)."""
    syllables = lazy_pinyin(char)
    return syllables[0] if syllables else char


@lru_cache(maxsize=65_536)
def readings_of(char: str) -> tuple[str, ...]:
    """Every toneless reading of a Chinese character, the usual one first (乐 → le, yue)."""
    readings = [pinyin_of(char)]
    for reading in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
        if reading not in readings:
            readings.append(reading)
    return tuple(readings)
