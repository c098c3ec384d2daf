"""The fixture world's catalogue: categories, brands, unbranded goods, homonyms.

The data lives in ``data/*.yaml`` so that it reads as data; this module turns it into typed,
immutable objects once (lazily, then cached) and derives the evasive spellings that are
mechanical (look-alike letters, split names) so the hand-written lists only hold what needs a human
(misspellings, homophones). Pinyin and traditional forms were produced once with pypinyin
and OpenCC and are stored in the YAML, so loading the catalogue stays fast.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "USD_RATE",
    "Brand",
    "Category",
    "Compatible",
    "GenericGood",
    "Homonym",
    "Maker",
    "Product",
    "brand",
    "brands",
    "categories",
    "category",
    "compatibles",
    "generic_goods",
    "homonyms",
    "makers",
    "patent_categories",
    "to_usd",
]

_DATA = Path(__file__).resolve().parent / "data"

USD_RATE = Decimal("7.1")  # CNY per USD in the fixture world

# Latin letter -> look-alike replacements (digits, Cyrillic, Greek).
_LOOKALIKE: dict[str, tuple[str, ...]] = {
    "a": ("\u0430", "4"),
    "c": ("\u0441",),
    "e": ("\u0435", "3"),
    "i": ("1", "l", "\u0456"),
    "l": ("1", "I"),
    "o": ("0", "\u043e"),
    "p": ("\u0440",),
    "s": ("5", "\u0455"),
    "y": ("\u0443",),
    "A": ("\u0410", "4"),
    "B": ("\u0412", "8"),
    "C": ("\u0421",),
    "E": ("\u0415", "3"),
    "H": ("\u041d",),
    "I": ("1", "l", "\u0399"),
    "K": ("\u041a",),
    "M": ("\u041c",),
    "N": ("\u039d",),
    "O": ("0", "\u041e"),
    "P": ("\u0420",),
    "S": ("5",),
    "T": ("\u0422",),
    "X": ("\u0425",),
}


def to_usd(cny: Decimal) -> Decimal:
    """A CNY amount as the USD price a bazaar seller would ask (ending in .99 above $20)."""
    usd = (cny / USD_RATE).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if usd >= 20:
        usd = usd.quantize(Decimal("1"), ROUND_HALF_UP) - Decimal("0.01")
    return max(usd, Decimal("0.99"))


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    zh: str
    en: str
    nice: str


@dataclass(frozen=True, slots=True)
class Product:
    category: str
    zh: str
    en: str
    low: Decimal  # CNY
    high: Decimal


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    en: str
    zh: str
    holder: str
    nice: tuple[str, ...]
    products: tuple[Product, ...]
    aliases: tuple[str, ...]
    misspelt: tuple[str, ...]
    homophone: tuple[str, ...]
    pinyin: tuple[str, ...]
    traditional: str | None
    lookalike: tuple[str, ...]
    split_en: tuple[str, ...]
    split_zh: tuple[str, ...]
    has_patents: bool

    @property
    def min_low(self) -> Decimal:
        return min(p.low for p in self.products)

    def floor(self, currency: str) -> Decimal:
        """60% of the cheapest genuine price: below this a price is not believable."""
        cny = (self.min_low * Decimal("0.6")).quantize(Decimal("0.01"))
        return cny if currency == "CNY" else (cny / USD_RATE).quantize(Decimal("0.01"))

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(p.category for p in self.products)

    @property
    def has_chinese_name(self) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in self.zh)


@dataclass(frozen=True, slots=True)
class GenericGood:
    category: str
    zh: str
    en: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class Homonym:
    category: str
    brand_id: str
    zh: str
    en: str
    low: Decimal
    high: Decimal
    what: str


@dataclass(frozen=True, slots=True)
class Compatible:
    category: str
    brand_id: str
    zh: str
    en: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class Maker:
    en: str
    zh: str
    holder: str


def _load(name: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (_DATA / name).open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def _hides_name(variant: str, plain: tuple[str, ...]) -> bool:
    """True when no plain spelling of the brand survives intact inside ``variant``."""
    for name in plain:
        if re.search(rf"(?<![^\W\d_]){re.escape(name)}(?![^\W\d_])", variant, re.IGNORECASE):
            return False
    return True


def _lookalikes(name: str, plain: tuple[str, ...]) -> tuple[str, ...]:
    """Every one-letter look-alike substitution of ``name`` (and of its upper case)."""
    out: list[str] = []
    for form in dict.fromkeys((name, name.upper())):
        for pos, ch in enumerate(form):
            for sub in _LOOKALIKE.get(ch, ()):
                out.append(form[:pos] + sub + form[pos + 1 :])
    return tuple(v for v in dict.fromkeys(out) if _hides_name(v, plain))


def _splits_en(name: str, plain: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for word in name.split():
        if not word.isalpha() or not 3 <= len(word) <= 8:
            continue
        for sep in ("-", " ", ".", "*", "_"):
            split = sep.join(word.upper() if sep != " " else word)
            out.append(name.replace(word, split, 1))
    return tuple(v for v in dict.fromkeys(out) if _hides_name(v, plain))


def _splits_zh(name: str) -> tuple[str, ...]:
    if len(name) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return ()
    return tuple(sep.join(name) for sep in (" ", "-", "·", "*", "/", "_"))


def _pinyin(syllables: list[str]) -> tuple[str, ...]:
    joined = "".join(syllables)
    return (joined, joined.capitalize(), joined.upper(), " ".join(syllables))


def _brand(raw: dict[str, Any]) -> Brand:
    zh = str(raw["zh"])
    en = str(raw["en"])
    pinyin = _pinyin([str(s) for s in raw["pinyin"]]) if raw.get("pinyin") else ()
    aliases = tuple(str(a) for a in raw.get("aliases", ()))
    plain = (en, *aliases)
    return Brand(
        id=raw["id"],
        en=en,
        zh=zh,
        holder=raw["holder"],
        nice=tuple(raw["nice"]),
        products=tuple(
            Product(c, str(z), str(e), Decimal(lo), Decimal(hi))
            for c, z, e, lo, hi in raw["products"]
        ),
        aliases=aliases,
        misspelt=tuple(v for v in raw.get("misspelt") or () if _hides_name(v, plain)),
        homophone=tuple(raw.get("homophone") or ()),
        pinyin=pinyin,
        traditional=raw.get("traditional"),
        lookalike=_lookalikes(en, plain),
        split_en=_splits_en(en, plain),
        split_zh=_splits_zh(zh),
        has_patents=bool(raw.get("patents", False)),
    )


@functools.cache
def categories() -> tuple[Category, ...]:
    return tuple(Category(**row) for row in _load("categories.yaml"))


@functools.cache
def _categories_by_slug() -> dict[str, Category]:
    return {c.slug: c for c in categories()}


def category(slug: str) -> Category:
    return _categories_by_slug()[slug]


@functools.cache
def brands() -> tuple[Brand, ...]:
    return tuple(_brand(raw) for raw in _load("brands.yaml"))


@functools.cache
def _brands_by_id() -> dict[str, Brand]:
    return {b.id: b for b in brands()}


def brand(brand_id: str) -> Brand:
    return _brands_by_id()[brand_id]


@functools.cache
def _goods() -> dict[str, Any]:
    data: dict[str, Any] = _load("goods.yaml")
    return data


@functools.cache
def generic_goods() -> dict[str, tuple[GenericGood, ...]]:
    return {
        cat: tuple(GenericGood(cat, z, e, Decimal(lo), Decimal(hi)) for z, e, lo, hi in rows)
        for cat, rows in _goods()["generic"].items()
    }


@functools.cache
def homonyms() -> tuple[Homonym, ...]:
    return tuple(
        Homonym(c, b, z, e, Decimal(lo), Decimal(hi), w)
        for c, b, z, e, lo, hi, w in _goods()["homonyms"]
    )


@functools.cache
def compatibles() -> tuple[Compatible, ...]:
    return tuple(
        Compatible(c, b, z, e, Decimal(lo), Decimal(hi))
        for c, b, z, e, lo, hi in _goods()["compatible"]
    )


@functools.cache
def makers() -> tuple[Maker, ...]:
    return tuple(Maker(e, z, h) for e, z, h in _goods()["makers"])


@functools.cache
def patent_categories() -> frozenset[str]:
    return frozenset(_goods()["patent_categories"])
