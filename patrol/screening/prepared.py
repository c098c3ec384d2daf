"""A listing prepared once for every matcher: cleaned fields, normalised views, classes.

Spiders and corpora can hand the engine odd data (a number where a title should be, a
price that is not a number); :func:`clean_listing` turns every field of the wrong type
into a missing one, so no matcher has to guard against it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from patrol.items import Listing
from patrol.screening.matchers.brands import FieldText
from patrol.screening.normalise import KEY_CACHE_CHARS

__all__ = ["BRAND_FIELDS", "PreparedListing", "clean_listing", "prepare_field"]

BRAND_FIELDS = ("title", "description", "brand")


def prepare_field(name: str, text: str | None) -> FieldText:
    """The field normalised, shared by every listing with the same short text.

    A shop's name, a declared brand, a category or a templated description recurs on
    listing after listing, and a :class:`FieldText` only ever adds views it derives from
    its own text, so the one made for the first listing serves the others.
    """
    if text is not None and len(text) > KEY_CACHE_CHARS:
        return FieldText(name, text)
    return _shared_field_text(name, text)


@lru_cache(maxsize=8192)
def _shared_field_text(name: str, text: str | None) -> FieldText:
    return FieldText(name, text)


@dataclass(slots=True)
class PreparedListing:
    """A listing's fields prepared once for all matchers."""

    listing: Listing
    fields: dict[str, FieldText]
    shop: FieldText
    category: str
    classes: frozenset[str] = frozenset()


_TEXT_FIELDS = ("title", "currency", "brand", "category", "description", "shop_id", "shop_name")
_TEXT_OR_NONE = (str, type(None))  # a tuple: isinstance() is slower with the union type


def clean_listing(listing: Listing) -> Listing:
    """The listing with every field of the wrong type as missing (a spider bug or odd data)."""
    changes: dict[str, object] = {
        name: None for name in _TEXT_FIELDS if not isinstance(getattr(listing, name), _TEXT_OR_NONE)
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
