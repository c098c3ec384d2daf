"""Phrases around the goods: slang, "same style", "{brand} style" slots and exclusions.

Phrase rules are found in one Aho-Corasick pass per field and RE2 patterns (linear time)
beside it; a match becomes a hit — with its span mapped back to the original text — only
when it counts, so a listing full of words that do not matter costs little. Exclusions
(compatible accessories) are phrases too; they set brand mentions aside unless a rule
named in their ``unless`` fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from patrol.screening.matchers.brands import BrandMatch
from patrol.screening.normalise import View, phrase_key
from patrol.screening.prepared import PreparedListing
from patrol.screening.rulebook import Rulebook
from patrol.screening.schema import RuleSpec
from patrol.screening.verdict import Hit

__all__ = [
    "PhraseMatch",
    "brand_phrase_hits",
    "brand_phrase_pairs",
    "exclusions",
    "phrase_matches",
    "text_hit",
]


def field_views(prepared: PreparedListing, rule: RuleSpec) -> Iterable[tuple[str, View]]:
    for name in rule.fields:
        if name in prepared.fields:
            yield name, prepared.fields[name].words
        elif name == "shop":
            yield name, prepared.shop.words


PhraseMatch = tuple[RuleSpec, str, View, int, int, str]


def phrase_matches(prepared: PreparedListing, rulebook: Rulebook) -> Iterable[PhraseMatch]:
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
        for name, view in field_views(prepared, rule):
            found = pattern.search(view.text)  # type: ignore[attr-defined]
            if found is not None:
                yield rule, name, view, found.start(), found.end(), "pattern"


_SLOT_REACH = 24  # characters beside a brand name looked at for a "{brand} x" phrase


def brand_phrase_hits(
    prepared: PreparedListing, rulebook: Rulebook, active: list[BrandMatch]
) -> Iterable[Hit]:
    """Phrases written around a brand name, "{brand} style" ("Under Armour-Style")."""
    return (hit for _match, hit in brand_phrase_pairs(prepared, rulebook, active))


def brand_phrase_pairs(
    prepared: PreparedListing, rulebook: Rulebook, mentions: list[BrandMatch]
) -> Iterable[tuple[BrandMatch, Hit]]:
    """:func:`brand_phrase_hits` with the mention each hit is about, in mention order.

    The engine needs these hits for all mentions (to know which rules fired) and then
    for the mentions still counted; keeping the pairs lets it look once, not twice.
    """
    if not rulebook.brand_phrases:
        return
    for match in mentions:
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
            hit = Hit(
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
            yield match, hit


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


def text_hit(rule: RuleSpec, name: str, view: View, start: int, end: int, how: str) -> Hit:
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


def exclusions(
    prepared: PreparedListing, rulebook: Rulebook, by_category: dict[str, str], fired: set[str]
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
                hit = text_hit(rule, name, view, match.start, match.end, f"phrase: {match.key}")
                found[rule.id] = replace(hit, weight=0.0)
    for rule_id, pattern in rulebook.exclusion_patterns:
        rule = rulebook.rules[rule_id]
        for name, view in field_views(prepared, rule):
            hit_match = pattern.search(view.text)  # type: ignore[attr-defined]
            if hit_match is not None and rule_id not in found:
                hit = text_hit(rule, name, view, hit_match.start(), hit_match.end(), "pattern")
                found[rule_id] = replace(hit, weight=0.0)
    return {
        rule_id: hit
        for rule_id, hit in found.items()
        if not (set(rulebook.rules[rule_id].unless) & fired)
    }
