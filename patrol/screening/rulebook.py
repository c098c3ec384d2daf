"""The compiled rulebook: read once, indexed once, then shared read-only by every screen.

:func:`load_rulebook` reads a rulebook folder (see :mod:`patrol.screening.loader`),
merges what the registry knows (trademark records and their Nice classes, authorised
sellers, patents, repeat-offender shops) and builds the automata and indexes that make
screening a listing cost the same with 50 brands or 10,000. A :class:`Rulebook` never
changes after it is built, so one instance serves every thread of a patrol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from patrol.registry.records import PatentRecord, RegistrySnapshot, TrademarkRecord
from patrol.screening.loader import RulebookError, RulebookSource, read_rulebook
from patrol.screening.matchers.brands import BrandIndex
from patrol.screening.matchers.fuzzy import FuzzyIndex
from patrol.screening.matchers.keywords import KeywordIndex, compile_pattern
from patrol.screening.normalise import compact_key, normalise_text, phrase_key
from patrol.screening.schema import BRAND_SLOT, BrandSpec, RuleSpec
from patrol.screening.verdict import RegistryRef

__all__ = ["Brand", "Rulebook", "build_rulebook", "load_rulebook"]


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand as screening sees it: the rulebook's entry plus the registry's records."""

    spec: BrandSpec
    nice_classes: frozenset[str]
    marks: tuple[RegistryRef, ...]
    shops: frozenset[tuple[str | None, str]]  # (marketplace or None, shop id or name key)
    holder_key: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.display_name

    def floor_for(self, currency: str, classes: frozenset[str]) -> Decimal | None:
        """The lowest believable price of the brand's goods of ``classes`` in ``currency``.

        A class with its own floor uses it; with no class known, the lowest of all the
        brand's floors applies, so an unknown category never raises the bar.
        """
        by_class = [
            floors[currency]
            for nice, floors in self.spec.class_floors.items()
            if nice in classes and currency in floors
        ]
        if by_class:
            return min(by_class)
        base = self.spec.price_floor.get(currency)
        if classes or base is None:
            return base
        others = [f[currency] for f in self.spec.class_floors.values() if currency in f]
        return min([base, *others])

    def mark_for(self, classes: frozenset[str]) -> RegistryRef | None:
        """The registered mark that covers ``classes`` best (any mark if none is known)."""
        for mark in self.marks:
            if classes & set(mark.nice_classes):
                return mark
        return self.marks[0] if self.marks else None

    def sells_through(
        self, marketplace: str | None, shop_id: str | None, shop_name: str | None
    ) -> bool:
        keys = {compact_key(value) for value in (shop_id, shop_name) if value}
        return any(
            key in keys and (where is None or where == marketplace) for where, key in self.shops
        )


@dataclass(frozen=True, slots=True)
class Rulebook:
    """Everything :func:`~patrol.screening.engine.screen` needs, compiled and immutable."""

    threshold: float
    version: str
    root: str
    files: tuple[str, ...]
    brands: tuple[Brand, ...]
    rules: Mapping[str, RuleSpec]
    brand_index: BrandIndex
    fuzzy_index: FuzzyIndex
    phrase_index: KeywordIndex[str]  # phrases rules → rule id
    brand_phrases: tuple[
        tuple[str, str, str], ...
    ]  # (rule id, key before, key after) of "{brand} x"
    patterns: tuple[tuple[str, object], ...]  # (rule id, compiled RE2)
    exclusion_index: KeywordIndex[str]  # exclusion phrases → rule id
    exclusion_patterns: tuple[tuple[str, object], ...]
    category_index: KeywordIndex[
        tuple[str, str]
    ]  # ("class", "025") | ("homonym", brand) | ("exclusion", rule)
    homonym_index: KeywordIndex[int]  # homonym phrase → brand index
    claim_index: KeywordIndex[str]  # official_claim / declared_brand phrases → rule id
    patents: Mapping[str, PatentRecord] = field(default_factory=dict)
    repeat_offenders: frozenset[tuple[str, str]] = frozenset()
    brand_names: tuple[str, ...] = ()
    by_kind: Mapping[str, tuple[RuleSpec, ...]] = field(default_factory=dict)
    by_variant: Mapping[str, RuleSpec] = field(default_factory=dict)

    def rules_of(self, kind: str) -> tuple[RuleSpec, ...]:
        return self.by_kind.get(kind, ())

    def rule_for_variant(self, variant: str) -> RuleSpec | None:
        return self.by_variant.get(variant)


def _mark_ref(record: TrademarkRecord) -> RegistryRef:
    return RegistryRef(
        kind="trademark",
        number=record.registration_number or record.application_number or "",
        office=record.office,
        text=record.mark,
        nice_classes=record.nice_classes,
        status=record.status,
        holder=record.holder,
    )


def _brand(
    spec: BrandSpec,
    registry_marks: Mapping[str, list[TrademarkRecord]],
    sellers: Mapping[str, set[tuple[str | None, str]]],
) -> Brand:
    marks: list[RegistryRef] = []
    classes = set(spec.nice_classes)
    for mark in spec.trademarks:
        classes.update(mark.nice_classes)
    names = {compact_key(name) for name in (*spec.all_names(), *(m.mark for m in spec.trademarks))}
    for key in sorted(names):
        for record in registry_marks.get(key, ()):
            if record.status and record.status.lower() in ("expired", "cancelled", "refused"):
                continue
            marks.append(_mark_ref(record))
            classes.update(record.nice_classes)
    for mark in spec.trademarks:
        if not any(m.text and compact_key(m.text) == compact_key(mark.mark) for m in marks):
            marks.append(
                RegistryRef(
                    kind="trademark",
                    number=mark.number or "",
                    office=mark.office,
                    text=mark.mark,
                    nice_classes=mark.nice_classes,
                    holder=spec.holder,
                )
            )
    shops = {(shop.marketplace, compact_key(shop.shop)) for shop in spec.official_shops}
    shops.update(sellers.get(spec.id, set()))
    return Brand(
        spec=spec,
        nice_classes=frozenset(classes),
        marks=tuple(marks),
        shops=frozenset(shops),
        holder_key=normalise_text(spec.holder),
    )


def build_rulebook(source: RulebookSource, registry: RegistrySnapshot | None = None) -> Rulebook:
    """Compile a validated :class:`RulebookSource` (and registry knowledge) into a rulebook."""
    if source.problems:
        first = source.problems[0]
        more = (
            f" (and {len(source.problems) - 1} more problems)" if len(source.problems) > 1 else ""
        )
        raise RulebookError(f"{first}{more}")
    registry = registry or RegistrySnapshot()
    registry_marks: dict[str, list[TrademarkRecord]] = {}
    for record in registry.trademarks:
        if record.mark:
            registry_marks.setdefault(compact_key(record.mark), []).append(record)
    sellers: dict[str, set[tuple[str | None, str]]] = {}
    for seller in registry.authorised_sellers:
        sellers.setdefault(seller.brand_id, set()).add(
            (seller.marketplace, compact_key(seller.shop_id))
        )
    brands = tuple(_brand(spec, registry_marks, sellers) for spec in source.brands)
    rules = {rule.id: rule for rule in source.rules}
    fuzzy_rule = next(
        (r for r in source.rules if r.kind == "brand_variant" and r.variant == "fuzzy"), None
    )
    brand_index = BrandIndex([brand.spec.all_names() for brand in brands])
    ignore = frozenset(compact_key(word) for brand in brands for word in brand.spec.not_fuzzy)
    fuzzy_index = FuzzyIndex(
        [(e.brand, e.key, e.alias) for e in brand_index.entries if e.source == "name"]
        if fuzzy_rule is not None
        else [],
        min_length=fuzzy_rule.min_length if fuzzy_rule else 5,
        max_distance=fuzzy_rule.max_distance if fuzzy_rule else 2,
        ignore=ignore,
    )
    categories: list[tuple[str, tuple[str, str]]] = []
    for category in source.categories:
        for word in category.words:
            categories.extend((word, ("class", nice)) for nice in category.nice_classes)
    for index, brand in enumerate(brands):
        categories.extend((word, ("homonym", str(index))) for word in brand.spec.homonym_categories)
    exclusions = [r for r in source.rules if r.kind == "exclusion"]
    for rule in exclusions:
        categories.extend((word, ("exclusion", rule.id)) for word in rule.categories)
    phrase_rules = [r for r in source.rules if r.kind == "phrases"]
    claim_rules = [r for r in source.rules if r.kind in ("official_claim", "declared_brand")]
    try:
        patterns = tuple((r.id, compile_pattern(p)) for r in phrase_rules for p in r.patterns)
        exclusion_patterns = tuple(
            (r.id, compile_pattern(p)) for r in exclusions for p in r.patterns
        )
    except Exception as exc:  # pragma: no cover - the loader has checked every pattern
        raise RulebookError(f"{source.root}: bad pattern: {exc}") from exc
    return Rulebook(
        threshold=source.threshold,
        version=hashlib.sha256(source.content).hexdigest()[:16],
        root=str(source.root),
        files=tuple(str(path) for path in source.files),
        brands=brands,
        rules=MappingProxyType(rules),
        brand_index=brand_index,
        fuzzy_index=fuzzy_index,
        phrase_index=KeywordIndex(
            (p, r.id) for r in phrase_rules for p in r.phrases if BRAND_SLOT not in p
        ),
        brand_phrases=tuple(
            (r.id, phrase_key(before), phrase_key(after))
            for r in phrase_rules
            for p in r.phrases
            if BRAND_SLOT in p
            for before, after in [p.split(BRAND_SLOT, 1)]
        ),
        patterns=patterns,
        exclusion_index=KeywordIndex((p, r.id) for r in exclusions for p in r.phrases),
        exclusion_patterns=exclusion_patterns,
        category_index=KeywordIndex(categories),
        homonym_index=KeywordIndex(
            (phrase, index) for index, b in enumerate(brands) for phrase in b.spec.homonym_phrases
        ),
        claim_index=KeywordIndex((p, r.id) for r in claim_rules for p in r.phrases),
        patents=MappingProxyType({record.number: record for record in registry.patents}),
        repeat_offenders=frozenset(registry.repeat_offenders),
        brand_names=tuple(brand.name for brand in brands),
        by_kind=MappingProxyType(
            {
                kind: tuple(r for r in source.rules if r.kind == kind)
                for kind in {r.kind for r in source.rules}
            }
        ),
        by_variant=MappingProxyType(
            {r.variant: r for r in source.rules if r.kind == "brand_variant" and r.variant}
        ),
    )


def load_rulebook(path: Path | None = None, registry: RegistrySnapshot | None = None) -> Rulebook:
    """Read, validate and compile the rulebook at ``path`` (default: the configured one).

    Raises :class:`~patrol.screening.loader.RulebookError` naming file, line and rule id.
    """
    from patrol.config import default_rules_dir

    root = Path(path) if path is not None else default_rules_dir()
    return build_rulebook(read_rulebook(root), registry)
