"""``screen(listing, rulebook) -> Verdict``: every matcher, the exclusions, the score.

The engine finds brand names first (in the title, the description and the declared
brand), then decides which of those mentions are really about the brand: a mention in a
category outside the brand's registered Nice classes, a homonym ("东北小米", "Omega-3"),
a compatible accessory ("case for iPhone") or a listing of the brand's own authorised
shop is set aside, with a zero-weight hit that says why. What is left, with slang,
"same style" phrases, genuine claims, prices under the brand's floor, false official
shops, bad patent marks and repeat-offender shops, adds up to the score. Each rule counts
once per listing (its strongest hit), so repeating a word does not pile up points, and a
plain mention alone stays well under the threshold.

``screen`` is pure: it reads the listing and the immutable rulebook, nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from patrol.items import Listing
from patrol.screening.matchers.brands import BrandMatch, FieldText
from patrol.screening.matchers.patent_claims import check_patents, owner_tokens, patent_claims
from patrol.screening.normalise import View, phrase_key
from patrol.screening.rulebook import Brand, Rulebook
from patrol.screening.schema import RuleSpec
from patrol.screening.verdict import Hit, Verdict

__all__ = ["screen"]

logger = logging.getLogger(__name__)

_BRAND_FIELDS = ("title", "description", "brand")
# Misspellings and homophones that matter name the goods; prose has too many near-words.
_FUZZY_FIELDS = ("title", "brand")


@dataclass(slots=True)
class _Listing:
    """A listing's fields prepared once for all matchers."""

    listing: Listing
    fields: dict[str, FieldText]
    shop: FieldText
    category: str
    classes: frozenset[str] = frozenset()
    hits: list[Hit] = field(default_factory=list)


def screen(listing: Listing, rulebook: Rulebook) -> Verdict:
    """Screen one listing; never raises on odd listings (a bug is logged and reported)."""
    try:
        hits = _screen(listing, rulebook)
    except Exception:  # a screening bug must not stop a patrol
        logger.exception("screening failed for %s %s", listing.marketplace, listing.listing_id)
        hits = [
            Hit("engine.error", 0.0, "title", "", "", "", explanation="screening failed; see log")
        ]
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.rule_id] = max(best.get(hit.rule_id, 0.0), hit.weight)
    score = round(sum(best.values()), 6)
    return Verdict(
        score=score,
        flagged=score >= rulebook.threshold,
        threshold=rulebook.threshold,
        hits=tuple(hits),
    )


def _clean(listing: Listing) -> Listing:
    """The listing with every field of the wrong type as missing (a spider bug or odd data)."""
    text_fields = ("title", "currency", "brand", "category", "description", "shop_id", "shop_name")
    changes: dict[str, object] = {
        name: None for name in text_fields if not isinstance(getattr(listing, name), str | None)
    }
    price = listing.price
    if price is not None and not (isinstance(price, Decimal) and price.is_finite()):
        try:
            price = Decimal(str(price))
        except ArithmeticError:
            price = None
        changes["price"] = price if price is not None and price.is_finite() else None
    if not isinstance(listing.patent_numbers, list) or not all(
        isinstance(p, str) for p in listing.patent_numbers
    ):
        numbers = listing.patent_numbers if isinstance(listing.patent_numbers, list) else []
        changes["patent_numbers"] = [p for p in numbers if isinstance(p, str)]
    return replace(listing, **changes) if changes else listing  # type: ignore[arg-type]


def _screen(listing: Listing, rulebook: Rulebook) -> list[Hit]:
    listing = _clean(listing)
    prepared = _Listing(
        listing=listing,
        fields={name: FieldText(name, getattr(listing, name)) for name in _BRAND_FIELDS},
        shop=FieldText("shop", listing.shop_name),
        category=phrase_key(listing.category),
    )
    classes: set[str] = set()
    homonym_brands: dict[int, str] = {}
    category_exclusions: dict[str, str] = {}
    for match in rulebook.category_index.find(prepared.category):
        tag, value = match.value
        if tag == "class":
            classes.add(value)
        elif tag == "homonym":
            homonym_brands.setdefault(int(value), match.key)
        else:
            category_exclusions.setdefault(value, match.key)
    prepared.classes = frozenset(classes)
    homonym_phrases: dict[int, str] = {}
    mentions = _brand_mentions(prepared, rulebook, homonym_phrases)
    phrases = list(_phrase_matches(prepared, rulebook))
    fired = {found[0].id for found in phrases}
    fired.update(hit.rule_id for hit in _brand_phrase_hits(prepared, rulebook, mentions))
    exclusions = _exclusions(prepared, rulebook, category_exclusions, fired) if mentions else {}
    active, notes = _set_aside(prepared, rulebook, mentions, homonym_brands, exclusions)
    notes.extend(_homonym_notes(rulebook, homonym_phrases))
    hits: list[Hit] = list(notes)
    hits.extend(_mention_hits(prepared, rulebook, active))
    brands_named = {m.brand for m in active}
    hits.extend(
        _text_hit(*found) for found in phrases if brands_named or not found[0].requires_brand
    )
    hits.extend(_brand_phrase_hits(prepared, rulebook, active))
    hits.extend(_price_hits(prepared, rulebook, active))
    hits.extend(_shop_hits(prepared, rulebook, active))
    hits.extend(_patent_hits(prepared, rulebook, mentions))
    return hits


def _brand_mentions(
    prepared: _Listing, rulebook: Rulebook, homonyms_seen: dict[int, str]
) -> list[BrandMatch]:
    """Brand names in the brand fields, minus brands that a homonym phrase explains.

    A homonym phrase anywhere in the listing ("美洲狮" beside "Puma", "apple cider")
    shows the name is used in its other sense, so all of that brand's mentions go;
    ``homonyms_seen`` receives those brands and the phrase.
    """
    names = rulebook.brand_names
    mentions: list[BrandMatch] = []
    for field_text in prepared.fields.values():
        found = rulebook.brand_index.find(
            field_text, names, homophones=field_text.name in _FUZZY_FIELDS
        )
        if field_text.name in _FUZZY_FIELDS:
            found.extend(_fuzzy(field_text, rulebook, found))
        mentions.extend(found)
    if mentions and len(rulebook.homonym_index):
        named = {m.brand for m in mentions}
        for field_text in prepared.fields.values():
            for match in rulebook.homonym_index.find(field_text.words.text):
                if match.value in named:
                    homonyms_seen.setdefault(match.value, match.key)
        mentions = [m for m in mentions if m.brand not in homonyms_seen]
    return mentions


def _fuzzy(field_text: FieldText, rulebook: Rulebook, exact: list[BrandMatch]) -> list[BrandMatch]:
    if not len(rulebook.fuzzy_index) or rulebook.rule_for_variant("fuzzy") is None:
        return []
    view = field_text.words
    found: list[BrandMatch] = []
    for match in rulebook.fuzzy_index.find(view, rulebook.brand_index.keys):
        span = view.original_span(match.start, match.end)
        if any(
            _overlaps(span, m.span)
            and (m.brand != match.brand or not (span[0] <= m.span[0] and m.span[1] <= span[1]))
            for m in (*exact, *found)
        ):
            continue  # a real name overlaps; a misspelt "Luis Vuitton" may hold "Vuitton"
        text = field_text.base.original[span[0] : span[1]]
        found.append(
            BrandMatch(
                brand=match.brand,
                field=field_text.name,
                span=span,
                text=text,
                normalised=view.text[match.start : match.end],
                variants=("fuzzy",),
                path=f"fuzzy: {text}→{match.alias} ({match.distance} edit"
                f"{'s' if match.distance > 1 else ''}) → {rulebook.brand_names[match.brand]}",
                alias=match.alias,
            )
        )
    return found


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _views(prepared: _Listing, rule: RuleSpec) -> Iterable[tuple[str, View]]:
    for name in rule.fields:
        if name in prepared.fields:
            yield name, prepared.fields[name].words
        elif name == "shop":
            yield name, prepared.shop.words


_PhraseMatch = tuple[RuleSpec, str, View, int, int, str]


def _phrase_matches(prepared: _Listing, rulebook: Rulebook) -> Iterable[_PhraseMatch]:
    """Phrase and pattern matches; turned into hits (spans and all) only if they count."""
    seen: set[tuple[str, str]] = set()  # a phrase said twice is explained once
    for name, field_text in prepared.fields.items():
        view = field_text.words
        for match in rulebook.phrase_index.find(view.text):
            rule = rulebook.rules[match.value]
            if name not in rule.fields or (rule.id, match.key) in seen:
                continue
            seen.add((rule.id, match.key))
            yield rule, name, view, match.start, match.end, f"phrase: {match.key}"
    for rule_id, pattern in rulebook.patterns:
        rule = rulebook.rules[rule_id]
        for name, view in _views(prepared, rule):
            found = pattern.search(view.text)  # type: ignore[attr-defined]
            if found is not None:
                yield rule, name, view, found.start(), found.end(), "pattern"


_SLOT_REACH = 24  # characters beside a brand name looked at for a "{brand} x" phrase


def _brand_phrase_hits(
    prepared: _Listing, rulebook: Rulebook, active: list[BrandMatch]
) -> Iterable[Hit]:
    """Phrases written around a brand name, "{brand} style" ("Under Armour-Style")."""
    if not rulebook.brand_phrases:
        return
    for match in active:
        field_text = prepared.fields.get(match.field)
        if field_text is None:
            continue
        original = field_text.base.original
        start, end = match.span
        after = phrase_key(original[end : end + _SLOT_REACH])
        before = phrase_key(original[max(0, start - _SLOT_REACH) : start])
        for rule_id, prefix, suffix in rulebook.brand_phrases:
            if suffix and not _starts_word(after, suffix):
                continue
            if prefix and not _ends_word(before, prefix):
                continue
            rule = rulebook.rules[rule_id]
            phrase = f"{prefix} {{brand}} {suffix}".strip()
            yield Hit(
                rule.id,
                rule.weight,
                match.field,
                original[start:end],
                phrase,
                f"phrase: {phrase} with {match.text}",
                span=match.span,
                brand_id=rulebook.brands[match.brand].id,
                explanation=rule.description,
            )


def _starts_word(text: str, key: str) -> bool:
    if not text.startswith(key):
        return False
    rest = text[len(key) : len(key) + 1]
    return not (rest and rest.isascii() and rest.isalnum() and key[-1].isascii())


def _ends_word(text: str, key: str) -> bool:
    if not text.endswith(key):
        return False
    rest = text[-len(key) - 1 : -len(key)] if len(text) > len(key) else ""
    return not (rest and rest.isascii() and rest.isalnum() and key[0].isascii())


def _text_hit(rule: RuleSpec, name: str, view: View, start: int, end: int, how: str) -> Hit:
    span = view.original_span(start, end)
    return Hit(
        rule_id=rule.id,
        weight=rule.weight,
        field=name,
        text=view.original[span[0] : span[1]],
        normalised=view.text[start:end],
        variant_path=how,
        span=span,
        explanation=rule.description,
    )


def _exclusions(
    prepared: _Listing, rulebook: Rulebook, by_category: dict[str, str], fired: set[str]
) -> dict[str, Hit]:
    """Exclusion rules that apply: rule id → the hit that explains it."""
    found: dict[str, Hit] = {}
    for rule_id, word in by_category.items():
        rule = rulebook.rules[rule_id]
        found[rule_id] = Hit(
            rule_id,
            0.0,
            "category",
            prepared.listing.category or "",
            word,
            f"category: {word}",
            explanation=rule.description,
        )
    for name, field_text in prepared.fields.items():
        view = field_text.words
        for match in rulebook.exclusion_index.find(view.text):
            rule = rulebook.rules[match.value]
            if name in rule.fields and rule.id not in found:
                hit = _text_hit(rule, name, view, match.start, match.end, f"phrase: {match.key}")
                found[rule.id] = replace(hit, weight=0.0)
    for rule_id, pattern in rulebook.exclusion_patterns:
        rule = rulebook.rules[rule_id]
        for name, view in _views(prepared, rule):
            hit_match = pattern.search(view.text)  # type: ignore[attr-defined]
            if hit_match is not None and rule_id not in found:
                hit = _text_hit(rule, name, view, hit_match.start(), hit_match.end(), "pattern")
                found[rule_id] = replace(hit, weight=0.0)
    return {
        rule_id: hit
        for rule_id, hit in found.items()
        if not (set(rulebook.rules[rule_id].unless) & fired)
    }


def _set_aside(
    prepared: _Listing,
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


def _homonym_notes(rulebook: Rulebook, phrases: dict[int, str]) -> Iterable[Hit]:
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


def _mention_hits(
    prepared: _Listing, rulebook: Rulebook, active: list[BrandMatch]
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


def _price_hits(prepared: _Listing, rulebook: Rulebook, active: list[BrandMatch]) -> Iterable[Hit]:
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


def _shop_hits(prepared: _Listing, rulebook: Rulebook, active: list[BrandMatch]) -> Iterable[Hit]:
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


def _patent_hits(
    prepared: _Listing, rulebook: Rulebook, mentions: list[BrandMatch]
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
