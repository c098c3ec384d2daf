"""The rulebook as plain data: brands, rules and category classes, as the YAML says them.

These are what the loader validates and what the compiler turns into a
:class:`~patrol.screening.rulebook.Rulebook`. Each keeps the file and line it came from,
so every later complaint (lint, a failing example) can point a person at the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "BRAND_KEYS",
    "BRAND_SLOT",
    "RULE_KINDS",
    "VARIANTS",
    "BrandSpec",
    "CategorySpec",
    "MarkSpec",
    "Origin",
    "RuleSpec",
    "ShopSpec",
]

BRAND_SLOT = "{brand}"
"""In a phrase, stands for any brand name the listing mentions ("{brand} style")."""

VARIANTS = ("homoglyph", "leet", "split", "pinyin", "homophone", "traditional", "fuzzy")
"""Ways a brand name is disguised; each is a ``brand_variant`` rule's ``variant``."""

RULE_KINDS: dict[str, frozenset[str]] = {
    # kind → the keys a rule of that kind may have besides the common ones
    "brand_mention": frozenset(),
    "brand_variant": frozenset({"variant", "min_length", "max_distance"}),
    "phrases": frozenset({"phrases", "patterns", "fields", "requires_brand"}),
    "exclusion": frozenset({"phrases", "patterns", "fields", "categories", "unless"}),
    "price_floor": frozenset({"below"}),
    "trademark_class": frozenset(),
    "homonym": frozenset(),
    "authorised_shop": frozenset(),
    "official_claim": frozenset({"phrases"}),
    "declared_brand": frozenset({"phrases"}),
    "patent": frozenset({"problem"}),
    "repeat_offender": frozenset(),
}
COMMON_RULE_KEYS = frozenset({"id", "kind", "description", "weight", "false_positives"})
BRAND_KEYS = frozenset(
    {
        "id",
        "names",
        "aliases",
        "holder",
        "trademarks",
        "nice_classes",
        "price_floor",
        "class_floors",
        "official_shops",
        "homonyms",
        "not_fuzzy",
        "description",
        "false_positives",
    }
)
FIELDS = ("title", "description", "brand", "shop", "category")
PATENT_PROBLEMS = ("invalid", "unknown", "expired", "other_holder")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rulebook entry is written: file and 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class MarkSpec:
    """A registered trademark the brand rests on (details come from the registry)."""

    mark: str
    office: str | None = None
    number: str | None = None
    nice_classes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShopSpec:
    marketplace: str | None  # None: the shop id or name counts on every marketplace
    shop: str  # shop id or exact shop name
    kind: str = "official"


@dataclass(frozen=True, slots=True)
class BrandSpec:
    id: str
    origin: Origin
    names: dict[str, str]  # language → name ("en", "zh")
    aliases: tuple[str, ...] = ()
    holder: str | None = None
    trademarks: tuple[MarkSpec, ...] = ()
    nice_classes: tuple[str, ...] = ()
    price_floor: dict[str, Decimal] = field(default_factory=dict)
    class_floors: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # class → floors
    official_shops: tuple[ShopSpec, ...] = ()
    homonym_categories: tuple[str, ...] = ()
    homonym_phrases: tuple[str, ...] = ()
    not_fuzzy: tuple[str, ...] = ()
    description: str = ""
    false_positives: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return self.names.get("en") or self.names.get("zh") or self.id

    def all_names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for name in (*self.names.values(), *self.aliases):
            seen.setdefault(name, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    kind: str
    origin: Origin
    weight: float
    description: str = ""
    false_positives: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    fields: tuple[str, ...] = ("title", "description")
    categories: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()  # exclusion: rule ids that override it
    requires_brand: bool = True
    variant: str | None = None
    min_length: int = 5
    max_distance: int = 2
    below: float = 1.0
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """Marketplace category words that name goods of some Nice classes."""

    id: str
    origin: Origin
    nice_classes: tuple[str, ...]
    words: tuple[str, ...]
