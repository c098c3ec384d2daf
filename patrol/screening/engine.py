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

from patrol.items import Listing
from patrol.screening.matchers.brands import BrandMatch, FieldText
from patrol.screening.normalise import phrase_key
from patrol.screening.phrasing import brand_phrase_pairs, exclusions, phrase_matches, text_hit
from patrol.screening.prepared import BRAND_FIELDS, PreparedListing, clean_listing, prepare_field
from patrol.screening.rulebook import Rulebook
from patrol.screening.standing import (
    homonym_notes,
    mention_hits,
    patent_hits,
    price_hits,
    set_aside,
    shop_hits,
)
from patrol.screening.verdict import Hit, Verdict

__all__ = ["screen"]

logger = logging.getLogger(__name__)

# Misspellings and homophones that matter name the goods; prose has too many near-words.
_FUZZY_FIELDS = ("title", "brand")


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


def _screen(listing: Listing, rulebook: Rulebook) -> list[Hit]:
    listing = clean_listing(listing)
    prepared = PreparedListing(
        listing=listing,
        fields={name: prepare_field(name, getattr(listing, name)) for name in BRAND_FIELDS},
        shop=prepare_field("shop", listing.shop_name),
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
    phrases = list(phrase_matches(prepared, rulebook))
    fired = {found[0].id for found in phrases}
    brand_phrases = list(brand_phrase_pairs(prepared, rulebook, mentions))
    fired.update(hit.rule_id for _mention, hit in brand_phrases)
    applied = exclusions(prepared, rulebook, category_exclusions, fired) if mentions else {}
    active, notes = set_aside(prepared, rulebook, mentions, homonym_brands, applied)
    notes.extend(homonym_notes(rulebook, homonym_phrases))
    hits: list[Hit] = list(notes)
    hits.extend(mention_hits(prepared, rulebook, active))
    brands_named = {m.brand for m in active}
    hits.extend(
        text_hit(*found) for found in phrases if brands_named or not found[0].requires_brand
    )
    counted = {id(mention) for mention in active}  # active: a sub-list of mentions
    hits.extend(hit for mention, hit in brand_phrases if id(mention) in counted)
    hits.extend(price_hits(prepared, rulebook, active))
    hits.extend(shop_hits(prepared, rulebook, active))
    hits.extend(patent_hits(prepared, rulebook, mentions))
    return hits


def _brand_mentions(
    prepared: PreparedListing, rulebook: Rulebook, homonyms_seen: dict[int, str]
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
