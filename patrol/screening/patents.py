"""Patent numbers as sellers print them, parsed into canonical numbers and checked.

Listings claim patents to look genuine ("专利号 ZL 2015 1 0123456.7", "US Pat. No.
9,876,543", "EP 1 234 567 B1"); a made-up number often fails China's check digit or
uses a type digit that does not exist. One parser serves the screening engine (which
checks numbers against the registry) and the registry search (which finds a patent by
any common spelling), so both agree on what a number *is*.

Canonical forms: ``CN201510123456.7`` (12-digit application number and check digit),
``CN98123456.X`` (the 8-digit numbers used before October 2003), ``CN105123456``
(publication numbers, kind code dropped), ``US9876543``, ``USD789012``, ``USRE45678``,
``US20150123456`` (application publications), ``EP1234567``, ``WO2015123456``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PatentNumber", "canonical_patent_number", "cn_check_digit", "parse_patent_numbers"]

_CN_TYPES = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "invention",  # PCT application entering the national phase
    "9": "utility_model",  # PCT utility model entering the national phase
}
_CN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_US_KINDS = {"": "invention", "D": "design", "RE": "reissue", "PP": "plant"}
_SP = r"[\s\-]?"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cn",
        re.compile(
            r"(?<![A-Za-z0-9])(?P<prefix>ZL|CN|专利号?[:：]?)?\s*"
            r"(?P<digits>(?:19|20)\d{2}" + _SP + r"\d" + _SP + r"\d{3}" + _SP + r"\d{4})"
            r"(?:\s*[.．·]\s*(?P<check>[0-9X]))?(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "cn_old",
        re.compile(
            r"(?<![A-Za-z0-9])(?P<prefix>ZL|CN|专利号?[:：]?)?\s*"
            r"(?P<digits>\d{2}" + _SP + r"\d" + _SP + r"\d{5})"
            r"\s*[.．·]\s*(?P<check>[0-9X])(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "cn_pub",
        re.compile(
            r"(?<![A-Za-z0-9])CN\s*(?P<digits>\d{9})\s*(?P<code>[ABUSY]\d?)?(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "us_app",
        re.compile(r"(?<![A-Za-z0-9])US\s*(?P<year>20\d{2})\s*/\s*(?P<serial>\d{7})", re.I),
    ),
    (
        "us",
        re.compile(
            r"(?<![A-Za-z0-9])(?:U\.?S\.?\s*(?:Pat(?:ent)?\.?\s*(?:No\.?|Number)?)?"
            r"|Pat(?:ent)?\.?\s*(?:No\.?|Number))\s*(?P<kind>D|RE|PP)?\s*"
            r"(?P<digits>(?:\d{1,2},?)?\d{3},?\d{3})(?:\s*(?P<code>[AB][12]|[SE]\d?))?(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "ep",
        re.compile(
            r"(?<![A-Za-z0-9])EP\s*(?P<digits>\d\s?\d{3}\s?\d{3})(?:\s*(?P<code>[AB]\d))?(?![0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "wo",
        re.compile(r"(?<![A-Za-z0-9])WO\s*(?P<year>(?:19|20)\d{2})\s*/\s*(?P<serial>\d{6})", re.I),
    ),
)


_DIGITS = re.compile(r"\d{3}")
_MARKER = re.compile(
    r"(?<![A-Za-z])(?:ZL|CN|US|EP|WO)\s*[\dDRP]|U\.S|专利|\bpat(?:ent)?\b", re.IGNORECASE
)
# Full-width ASCII (Ｚ Ｌ ２ ０ …) and the ideographic full stop read as ASCII, one for one.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3002: ord(".")}


class _ReadAsAscii(dict[int, int]):
    """:data:`_FULL_WIDTH` for ``str.translate``, every other character as itself.

    ``translate`` with a plain mapping raises (and swallows) a ``LookupError`` for every
    character the mapping lacks — almost every character of a Chinese title — which cost
    more than the rest of the parse; a character seen once is in the table after that.
    """

    def __missing__(self, code: int) -> int:
        self[code] = code
        return code


_READ_AS_ASCII = _ReadAsAscii(_FULL_WIDTH)


@dataclass(frozen=True, slots=True)
class PatentNumber:
    """One patent number found in text."""

    canonical: str
    office: str  # "CN", "US", "EP", "WO"
    kind: str | None  # "invention", "utility_model", "design", "reissue", "plant", ...
    text: str  # as printed
    span: tuple[int, int]  # in the text it was found in
    problem: str | None = None  # why the number cannot be genuine, if it cannot

    @property
    def valid(self) -> bool:
        return self.problem is None


def cn_check_digit(digits: str) -> str:
    """The check digit of a Chinese application number (8 or 12 digits): 0-9 or X."""
    total = sum(int(d) * w for d, w in zip(digits, _CN_WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _cn(match: re.Match[str], *, old: bool, listed: bool) -> PatentNumber | None:
    if not match.group("prefix") and not listed:
        return None  # a bare 12-digit number in free text is not a patent claim
    digits = _digits(match.group("digits"))
    printed_check = (match.group("check") or "").upper()
    type_digit = digits[2] if old else digits[4]
    problem: str | None = None
    if type_digit not in _CN_TYPES:
        problem = f"type digit {type_digit} does not exist"
    expected = cn_check_digit(digits)
    if not printed_check:
        problem = problem or "check digit missing"
        printed_check = expected
    elif printed_check != expected:
        problem = problem or f"check digit {printed_check} is wrong (expected {expected})"
    return PatentNumber(
        canonical=f"CN{digits}.{printed_check}",
        office="CN",
        kind=_CN_TYPES.get(type_digit),
        text=match.group(0).strip(),
        span=(match.start(), match.end()),
        problem=problem,
    )


def _build(kind: str, match: re.Match[str], listed: bool) -> PatentNumber | None:
    span = (match.start(), match.end())
    text = match.group(0).strip()
    if kind in ("cn", "cn_old"):
        return _cn(match, old=kind == "cn_old", listed=listed)
    if kind == "cn_pub":
        return PatentNumber(f"CN{match.group('digits')}", "CN", None, text, span)
    if kind == "us_app":
        number = f"US{match.group('year')}{match.group('serial')}"
        return PatentNumber(number, "US", "application", text, span)
    if kind == "us":
        prefix = (match.group("kind") or "").upper()
        number = _digits(match.group("digits")).lstrip("0")
        return PatentNumber(f"US{prefix}{number}", "US", _US_KINDS[prefix], text, span)
    if kind == "ep":
        return PatentNumber(f"EP{_digits(match.group('digits'))}", "EP", "invention", text, span)
    number = f"WO{match.group('year')}{match.group('serial')}"
    return PatentNumber(number, "WO", "application", text, span)


def parse_patent_numbers(text: str | None, *, listed: bool = False) -> list[PatentNumber]:
    """Every patent number in ``text``, in order, each checked where a check exists.

    ``listed=True`` says the text is a patent-number field (so a bare Chinese
    application number without ``ZL``/``CN`` counts); in free text a prefix is required.
    Full-width digits and punctuation are read as ASCII; spans index the given text.
    """
    if not text:
        return []
    source = text[:20_000]
    # reading as ASCII turns digits into digits and nothing else into one, so a text
    # without three in a row has no number either way: most titles end here, unread
    if not _DIGITS.search(source):
        return []
    folded = source if source.isascii() else source.translate(_READ_AS_ASCII)
    if not (listed or _MARKER.search(folded)):
        return []
    found: list[PatentNumber] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            number = _build(kind, match, listed)
            if number is None:
                continue
            number = PatentNumber(
                number.canonical,
                number.office,
                number.kind,
                source[match.start() : match.end()].strip(),
                number.span,
                number.problem,
            )
            found.append(number)
            taken.append(number.span)
    return sorted(found, key=lambda number: number.span)


def canonical_patent_number(text: str) -> str | None:
    """The canonical form of the one patent number ``text`` spells, if it spells one."""
    numbers = parse_patent_numbers(text, listed=True)
    return numbers[0].canonical if numbers else None
