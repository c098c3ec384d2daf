"""Patent numbers of the fixture world, with the real CNIPA check-digit rule.

A Chinese application number has 12 digits (8 before October 2003): the year, a type digit
(1 invention, 2 utility model, 3 design; 8/9 PCT national phase) and a serial number,
followed by a check character: the digits weighted 2,3,4,5,6,7,8,9,2,3,4,5 (from the left),
summed, modulo 11, with 10 written ``X``. A granted patent is printed ``ZL`` + that number.
Counterfeiters print numbers that fail this check, that no registry knows, that expired,
or that belong to someone else; the pool built here supplies all of those, deterministically.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date

from patrol.marketplaces import catalogue

__all__ = [
    "FIXTURE_TODAY",
    "FixturePatent",
    "cn_check_digit",
    "cn_number",
    "patent_pool",
    "print_patent",
]

FIXTURE_TODAY = date(2026, 11, 1)  # "today" for patent status in the fixture world
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_KIND_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}
_TERM_YEARS = {"invention": 20, "utility_model": 10, "design": 15}


def cn_check_digit(digits: str) -> str:
    """The CNIPA check character of an 8- or 12-digit application number."""
    if len(digits) not in (8, 12) or not digits.isdigit():
        raise ValueError(f"a CN application number has 8 or 12 digits, not {digits!r}")
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def cn_number(year: int, kind: str, serial: int) -> str:
    """The canonical form ``CN<12 digits>.<check>`` of a CN application."""
    digits = f"{year:04d}{_KIND_DIGIT[kind]}{serial:07d}"
    return f"CN{digits}.{cn_check_digit(digits)}"


@dataclass(frozen=True, slots=True)
class FixturePatent:
    number: str  # canonical: "CN201610123456.7" or "US10123456"
    kind: str
    title: str
    holder: str
    filing_date: date
    status: str  # in_force | expired
    expiry: date
    brand_id: str | None  # the brand (or None for a maker) that holds it
    maker: str | None  # the maker's English brand, for unbranded goods

    @property
    def office(self) -> str:
        return self.number[:2]


def print_patent(number: str, style: int) -> str:
    """A patent number the way a seller prints it (several common spellings)."""
    if number.startswith("US"):
        digits = number[2:]
        grouped = f"{int(digits):,}"
        return ("US Patent No. " + grouped, "US " + digits, "U.S. Pat. " + grouped)[style % 3]
    body = number[2:]  # 12 digits + "." + check
    digits, check = body[:12], body[13]
    forms = (
        f"ZL{digits}.{check}",
        f"ZL {digits}.{check}",
        f"CN{digits}.{check}",
        f"ZL {digits[:4]} {digits[4]} {digits[5:]}.{check}",
    )
    return forms[style % len(forms)]


_TITLES = {
    "invention": ("一种{item}及其控制方法", "A {en} and control method thereof"),
    "utility_model": ("一种{item}", "A {en}"),
    "design": ("{item}（外观设计）", "Design of a {en}"),
}


def _patent(
    rng: random.Random,
    *,
    kind: str,
    expired: bool,
    holder: str,
    brand_id: str | None,
    maker: str | None,
    office: str,
    item: tuple[str, str],
) -> FixturePatent:
    term = _TERM_YEARS[kind]
    if expired:
        year = rng.randint(FIXTURE_TODAY.year - term - 8, FIXTURE_TODAY.year - term - 1)
    else:
        year = rng.randint(max(2012, FIXTURE_TODAY.year - term + 1), 2024)
    filed = date(year, rng.randint(1, 12), rng.randint(1, 28))
    expiry = date(filed.year + term, filed.month, filed.day)
    if office == "US":
        low, high = (6_000_000, 7_600_000) if expired else (8_000_000, 11_999_999)
        number = f"US{rng.randint(low, high)}"
    else:
        number = cn_number(year, kind, rng.randint(100_000, 2_999_999))
    zh_title, en_title = _TITLES[kind]
    title = zh_title.format(item=item[0]) if office == "CN" else en_title.format(en=item[1])
    return FixturePatent(
        number=number,
        kind=kind,
        title=f"[fixture] {title}",
        holder=holder,
        filing_date=filed,
        status="expired" if expired else "in_force",
        expiry=expiry,
        brand_id=brand_id,
        maker=maker,
    )


_ITEMS = {
    "phones": ("移动终端", "mobile terminal"),
    "electronics": ("电子设备", "electronic device"),
    "cameras": ("成像装置", "imaging apparatus"),
    "audio": ("降噪耳机", "noise-cancelling headphone"),
    "games": ("游戏控制器", "game controller"),
    "phone-accessories": ("充电装置", "charging device"),
    "appliances": ("手持式电吹风", "handheld hair dryer"),
    "home": ("保温容器", "insulated container"),
    "lighters": ("防风打火机", "windproof lighter"),
    "toys": ("拼插积木", "toy building element"),
}


@functools.cache
def patent_pool(seed: int) -> tuple[FixturePatent, ...]:
    """Every patent of the fixture world for ``seed``: brands' and makers', CN and US."""
    rng = random.Random(f"patents:{seed}")
    pool: list[FixturePatent] = []
    owners: list[tuple[str, str | None, str | None, str]] = []
    for b in catalogue.brands():
        if b.has_patents:
            cat = sorted(b.categories)[0]
            owners.append((b.holder, b.id, None, cat))
    for m in catalogue.makers():
        owners.append((m.holder, None, m.en, rng.choice(sorted(catalogue.patent_categories()))))
    for holder, brand_id, maker, cat in owners:
        item = _ITEMS.get(cat, _ITEMS["electronics"])
        for office, count in (("CN", 4), ("US", 2)):
            for i in range(count):
                kind = ("invention", "utility_model", "design")[i % 3]
                pool.append(
                    _patent(
                        rng,
                        kind=kind,
                        expired=False,
                        holder=holder,
                        brand_id=brand_id,
                        maker=maker,
                        office=office,
                        item=item,
                    )
                )
            pool.append(
                _patent(
                    rng,
                    kind="utility_model",
                    expired=True,
                    holder=holder,
                    brand_id=brand_id,
                    maker=maker,
                    office=office,
                    item=item,
                )
            )
    return tuple(pool)
