"""Who sells what: brand mentions set aside or counted, prices, shops and patent marks.

A mention is set aside — with a zero-weight hit that says why — when the category is a
homonym of the brand, lies outside every Nice class its marks are registered in, an
exclusion applies, or the shop is one of the brand's authorised sellers. What is left
becomes mention (or disguise) hits resting on the registered mark, and the context
signals: a price under the brand's floor for that class, a shop calling itself official
without being so, an unbranded declaration, a repeat offender, a bad patent mark.
"""

from __future__ import annotations

from collections.abc import Iterable

from patrol.screening.matchers.brands import BrandMatch
from patrol.screening.matchers.patent_claims import check_patents, owner_tokens, patent_claims
from patrol.screening.normalise import phrase_key
from patrol.screening.prepared import PreparedListing
from patrol.screening.rulebook import Brand, Rulebook
from patrol.screening.schema import RuleSpec
from patrol.screening.verdict import Hit

__all__ = [
    "homonym_notes",
    "mention_hits",
    "patent_hits",
    "price_hits",
    "set_aside",
    "shop_hits",
]


def set_aside(
    prepared: PreparedListing,
    rulebook: Rulebook,
    mentions: list[BrandMatch],
    homonym_brands: dict[int, str],
    exclusions: dict[str, Hit],
) -> tuple[list[BrandMatch], list[Hit]]:
    """Split mentions into those about the brand and notes on the ones set aside."""
    listing = prepared.listing
    notes: list[Hit] = []
    active: list[BrandMatch] = []
    reasons: dict[int, Hit | None] = {}
    class_rule = next(iter(rulebook.rules_of("trademark_class")), None)
    homonym_rule = next(iter(rulebook.rules_of("homonym")), None)
    shop_rule = next(iter(rulebook.rules_of("authorised_shop")), None)
    shop_brands = {m.brand for m in rulebook.brand_index.find(prepared.shop, rulebook.brand_names)}
    for index in sorted({m.brand for m in mentions}):
        brand = rulebook.brands[index]
        reason: Hit | None = None
        if homonym_rule is not None and index in homonym_brands:
            reason = _note(
                homonym_rule,
                brand,
                "category",
                homonym_brands[index],
                f"category {listing.category!r} is a homonym of {brand.name}",
            )
        elif (
            class_rule is not None
            and prepared.classes
            and brand.nice_classes
            and not prepared.classes & brand.nice_classes
        ):
            reason = _note(
                class_rule,
                brand,
                "category",
                listing.category or "",
                f"category {listing.category!r} (class {', '.join(sorted(prepared.classes))}) "
                f"is outside {brand.name}'s classes {', '.join(sorted(brand.nice_classes))}",
            )
        elif shop_rule is not None and (
            brand.sells_through(listing.marketplace, listing.shop_id, listing.shop_name)
            or (listing.shop_official is True and index in shop_brands)
        ):
            reason = _note(
                shop_rule,
                brand,
                "shop",
                listing.shop_name or listing.shop_id or "",
                f"{listing.shop_name or listing.shop_id} sells {brand.name} with authority",
            )
        reasons[index] = reason
        if reason is not None:
            notes.append(reason)
    excluded = bool(exclusions)
    if excluded:
        notes.extend(exclusions.values())
    for mention in mentions:
        if reasons.get(mention.brand) is None and not excluded:
            active.append(mention)
    return active, notes


def homonym_notes(rulebook: Rulebook, phrases: dict[int, str]) -> Iterable[Hit]:
    rule = next(iter(rulebook.rules_of("homonym")), None)
    if rule is None:
        return
    for index, phrase in phrases.items():
        brand = rulebook.brands[index]
        yield _note(rule, brand, "title", phrase, f"{phrase!r} is a homonym of {brand.name}")


def _note(rule: RuleSpec, brand: Brand, field_name: str, text: str, why: str) -> Hit:
    return Hit(
        rule.id,
        0.0,
        field_name,
        text,
        phrase_key(text),
        "set aside",
        brand_id=brand.id,
        explanation=why,
    )


def mention_hits(
    prepared: PreparedListing, rulebook: Rulebook, active: list[BrandMatch]
) -> Iterable[Hit]:
    mention_rule = next(iter(rulebook.rules_of("brand_mention")), None)
    seen: set[tuple[str, str, str]] = set()
    for match in active:
        brand = rulebook.brands[match.brand]
        variant_rules = [
            r for r in (rulebook.rule_for_variant(v) for v in match.variants) if r is not None
        ]
        rule = max(variant_rules, key=lambda r: r.weight) if variant_rules else mention_rule
        if rule is None:
            continue
        key = (rule.id, brand.id, match.field)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(
            rule_id=rule.id,
            weight=rule.weight,
            field=match.field,
            text=match.text,
            normalised=match.normalised,
            variant_path=match.path,
            span=match.span,
            brand_id=brand.id,
            registry=brand.mark_for(prepared.classes),
            explanation=rule.description,
        )


def price_hits(
    prepared: PreparedListing, rulebook: Rulebook, active: list[BrandMatch]
) -> Iterable[Hit]:
    listing = prepared.listing
    if listing.price is None or not listing.currency:
        return
    for rule in rulebook.rules_of("price_floor"):
        for index in sorted({m.brand for m in active if m.field in ("title", "brand")}):
            brand = rulebook.brands[index]
            floor = brand.floor_for(listing.currency.upper(), prepared.classes)
            if floor is None or not listing.price < floor * type(floor)(str(rule.below)):
                continue
            text = f"{listing.price} {listing.currency}"
            yield Hit(
                rule.id,
                rule.weight,
                "price",
                text,
                text,
                f"price: {text} < {brand.name} floor {floor} {listing.currency.upper()}",
                brand_id=brand.id,
                explanation=rule.description,
            )
            break


def shop_hits(
    prepared: PreparedListing, rulebook: Rulebook, active: list[BrandMatch]
) -> Iterable[Hit]:
    listing = prepared.listing
    if listing.shop_id and (listing.marketplace, listing.shop_id) in rulebook.repeat_offenders:
        for rule in rulebook.rules_of("repeat_offender"):
            yield Hit(
                rule.id,
                rule.weight,
                "shop",
                listing.shop_id,
                listing.shop_id,
                "shop: repeat offender",
                explanation=rule.description,
            )
    claims = [m for m in rulebook.claim_index.find(prepared.shop.words.text)]
    for rule in rulebook.rules_of("official_claim"):
        if listing.shop_official is True or not any(m.value == rule.id for m in claims):
            continue
        for match in rulebook.brand_index.find(prepared.shop, rulebook.brand_names):
            brand = rulebook.brands[match.brand]
            if brand.sells_through(listing.marketplace, listing.shop_id, listing.shop_name):
                continue
            yield Hit(
                rule.id,
                rule.weight,
                "shop",
                listing.shop_name or "",
                match.normalised,
                f"shop claims to be {brand.name}'s own store",
                span=match.span,
                brand_id=brand.id,
                explanation=rule.description,
            )
            break
    declared = prepared.fields["brand"].words.text
    title_brands = {m.brand for m in active if m.field == "title"}
    if declared and title_brands:
        for claim in rulebook.claim_index.find(declared):
            rule = rulebook.rules[claim.value]
            if rule.kind == "declared_brand":
                yield Hit(
                    rule.id,
                    rule.weight,
                    "brand",
                    listing.brand or "",
                    claim.key,
                    f"declared brand {listing.brand!r} hides the brand in the title",
                    explanation=rule.description,
                )
                break


def patent_hits(
    prepared: PreparedListing, rulebook: Rulebook, mentions: list[BrandMatch]
) -> Iterable[Hit]:
    rules = {rule.problem: rule for rule in rulebook.rules_of("patent")}
    if not rules:
        return
    listing = prepared.listing
    claims = list(patent_claims(listing.patent_numbers, listing.title, listing.description))
    if not claims:
        return
    named = [rulebook.brands[i] for i in {m.brand for m in mentions}]
    owners = owner_tokens(
        listing.brand, listing.shop_name, *(b.spec.holder for b in named), *(b.name for b in named)
    )
    seen_on = listing.fetched_at.date() if listing.fetched_at else None
    for finding in check_patents(claims, rulebook.patents, owners, seen_on):
        rule = rules.get(finding.problem)
        if rule is None:
            continue
        yield Hit(
            rule.id,
            rule.weight,
            finding.field,
            finding.number.text,
            finding.number.canonical,
            f"patent: {finding.number.text}→{finding.number.canonical}",
            span=finding.number.span,
            registry=finding.registry,
            explanation=finding.explanation,
        )
