"""The listings of a fixture marketplace, generated lazily and deterministically.

Slot *i* of a site is computed from a hash of ``(seed, site, i)`` alone: no listing depends
on another, so a page needs only its own slots and a million-listing site starts at once.
The category of slot *i* is ``i mod (number of categories)`` in a per-site order, which
makes a category page a simple arithmetic range. A slot holds one listing, or two
*incarnations* when a repeat offender relists a removed counterfeit under a new id.

Ids are a keyed bijection of ``2*i + generation`` so they look arbitrary yet decode back to
their slot without any index.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from patrol.marketplaces import catalogue
from patrol.marketplaces.catalogue import Category, to_usd
from patrol.marketplaces.content import Content, build_content
from patrol.marketplaces.shops import Shop, shop_directory

__all__ = [
    "SITES",
    "FixtureListing",
    "World",
    "fixture_listings",
    "ground_truth",
    "world",
]

SITES = ("taoji", "kuaigou", "bazaar")
_MULT = 2_654_435_761
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class _IdCodec:
    """Listing ids of one site: a keyed bijection on ``[0, modulus)``."""

    def __init__(self, site: str, seed: int) -> None:
        self.site = site
        self.modulus = 36**8 if site == "kuaigou" else 10**11
        digest = hashlib.blake2b(f"ids:{site}:{seed}".encode(), digest_size=8).digest()
        self.offset = int.from_bytes(digest, "big") % self.modulus
        self.inverse = pow(_MULT, -1, self.modulus)

    def encode(self, key: int) -> str:
        n = (key * _MULT + self.offset) % self.modulus
        if self.site == "kuaigou":
            chars = []
            for _ in range(8):
                n, r = divmod(n, 36)
                chars.append(_B36[r])
            return "kg" + "".join(reversed(chars))
        return ("6" if self.site == "taoji" else "2") + f"{n:011d}"

    def decode(self, listing_id: str) -> int | None:
        if self.site == "kuaigou":
            if len(listing_id) != 10 or not listing_id.startswith("kg"):
                return None
            try:
                n = int(listing_id[2:], 36)
            except ValueError:
                return None
        else:
            prefix = "6" if self.site == "taoji" else "2"
            if len(listing_id) != 12 or not listing_id.isdigit() or listing_id[0] != prefix:
                return None
            n = int(listing_id[1:])
        return ((n - self.offset) * self.inverse) % self.modulus


@dataclass(frozen=True, slots=True)
class FixtureListing:
    """One incarnation of a listing, with its ground truth."""

    marketplace: str
    listing_id: str
    index: int
    generation: int
    url_path: str
    title: str
    base_price: Decimal
    currency: str
    category: str  # as the site shows it
    category_slug: str
    description: str
    brand: str | None
    shop: Shop
    patent_numbers: tuple[str, ...]
    image_paths: tuple[str, ...]
    expect: str
    target_brand: str | None
    note: str
    kind: str
    windows: tuple[tuple[float, float], ...]
    price_change: tuple[float, Decimal] | None  # (hour, new price)
    auction: bool
    bids: int

    def live_at(self, hour: float) -> bool:
        return any(start <= hour < end for start, end in self.windows)

    def price_at(self, hour: float | None) -> Decimal:
        if hour is not None and self.price_change and hour >= self.price_change[0]:
            return self.price_change[1]
        return self.base_price

    def bids_at(self, hour: float | None) -> int:
        if hour is not None and self.price_change and hour >= self.price_change[0]:
            return self.bids + 1 + self.index % 7
        return self.bids

    def removed_before(self, hour: float) -> bool:
        """True when the listing was live earlier in the day and is not live now."""
        return not self.live_at(hour) and any(start <= hour for start, _ in self.windows)

    def corpus_row(self, hour: float | None = None) -> dict[str, Any]:
        """The labelled-corpus line (DESIGN.md) for this listing at ``hour``."""
        return {
            "id": self.listing_id,
            "title": self.title,
            "price": str(self.price_at(hour)),
            "currency": self.currency,
            "category": self.category,
            "description": self.description,
            "shop": self.shop.id,
            "marketplace": self.marketplace,
            "brand": self.brand,
            "expect": self.expect,
            "target_brand": self.target_brand,
            "note": self.note,
        }


def _windows(rng: random.Random) -> tuple[tuple[float, float], ...]:
    roll = rng.random()
    if roll < 0.72:
        return ((0.0, 24.0),)
    if roll < 0.81:
        return ((rng.randint(2, 40) / 2, 24.0),)
    if roll < 0.90:
        return ((0.0, rng.randint(8, 46) / 2),)
    gone = rng.randint(4, 28) / 2
    return ((0.0, gone), (rng.randint(int(gone * 2) + 4, 46) / 2, 24.0))


class World:
    """One fixture marketplace for one seed and size; slots are computed on demand."""

    def __init__(self, site: str, seed: int, listings: int) -> None:
        if site not in SITES:
            raise ValueError(f"unknown marketplace {site!r} (known: {', '.join(SITES)})")
        if listings < 0:
            raise ValueError(f"the number of listings must be 0 or more, not {listings}")
        self.site = site
        self.seed = seed
        self.listings = listings
        self.currency = "USD" if site == "bazaar" else "CNY"
        self.shops = shop_directory(site, seed)
        self.ids = _IdCodec(site, seed)
        cats = list(catalogue.categories())
        random.Random(f"categories:{site}:{seed}").shuffle(cats)
        self.categories: tuple[Category, ...] = tuple(cats)
        self._position = {c.slug: i for i, c in enumerate(cats)}
        self.slot = functools.lru_cache(maxsize=16_384)(self._generate)

    # -- slots and ids --------------------------------------------------------------
    def category_of(self, index: int) -> Category:
        return self.categories[index % len(self.categories)]

    def category_slots(self, slug: str) -> range:
        """Slot numbers of one category (``"all"`` for every slot), in page order."""
        if slug == "all":
            return range(self.listings)
        return range(self._position[slug], self.listings, len(self.categories))

    def has_category(self, slug: str) -> bool:
        return slug == "all" or slug in self._position

    def by_id(self, listing_id: str) -> FixtureListing | None:
        key = self.ids.decode(listing_id)
        if key is None or key // 2 >= self.listings:
            return None
        incarnations = self.slot(key // 2)
        generation = key % 2
        return incarnations[generation] if generation < len(incarnations) else None

    def live(self, index: int, hour: float) -> FixtureListing | None:
        for listing in self.slot(index):
            if listing.live_at(hour):
                return listing
        return None

    def url_path(self, listing_id: str) -> str:
        return {
            "taoji": f"/item/{listing_id}.html",
            "kuaigou": f"/item/{listing_id}",
            "bazaar": f"/itm/{listing_id}",
        }[self.site]

    def shop_path(self, shop_id: str) -> str:
        return {
            "taoji": f"/shop/{shop_id}.html",
            "kuaigou": f"/shop/{shop_id}",
            "bazaar": f"/usr/{shop_id}",
        }[self.site]

    # -- generation -----------------------------------------------------------------
    def _generate(self, index: int) -> tuple[FixtureListing, ...]:
        rng = random.Random(f"{self.seed}:{self.site}:{index}")
        cat = self.category_of(index)
        content = build_content(rng, self.site, cat, self.shops, self.seed)
        image_key = hashlib.blake2b(
            f"img:{self.seed}:{self.site}:{index}".encode(), digest_size=6
        ).hexdigest()
        images = tuple(f"/img/{image_key}-{n}.jpg" for n in range(1, rng.randint(2, 5)))
        relist = content.shop.repeat_offender and content.expect == "flag" and rng.random() < 0.6
        if relist:
            gone = rng.randint(4, 28) / 2
            back = min(gone + rng.randint(2, 8) / 2, 23.5)
            plans: list[tuple[tuple[float, float], ...]] = [((0.0, gone),), ((back, 24.0),)]
        else:
            plans = [_windows(rng)]
        auction = (
            self.site == "bazaar"
            and content.shop.kind not in ("official", "authorised")
            and rng.random() < 0.3
        )
        price = content.price_cny if self.currency == "CNY" else to_usd(content.price_cny)
        price = price.quantize(Decimal("0.01"))
        bids = rng.randint(0, 25) if auction else 0
        change = self._price_change(rng, price, auction)
        out: list[FixtureListing] = []
        for generation, windows in enumerate(plans):
            listing_id = self.ids.encode(index * 2 + generation)
            note = content.note
            if generation == 1:
                note += f"; relisted, was {out[0].listing_id}"
            out.append(
                self._listing(
                    content,
                    index,
                    generation,
                    listing_id,
                    note,
                    price,
                    windows,
                    change,
                    images,
                    auction,
                    bids,
                    cat,
                )
            )
        return tuple(out)

    def _price_change(
        self, rng: random.Random, price: Decimal, auction: bool
    ) -> tuple[float, Decimal] | None:
        if not auction and rng.random() >= 0.15:
            return None
        factor = Decimal(str(rng.uniform(1.05, 1.4) if auction else rng.uniform(0.9, 1.1)))
        return (rng.randint(2, 44) / 2, (price * factor).quantize(Decimal("0.01")))

    def _listing(
        self,
        content: Content,
        index: int,
        generation: int,
        listing_id: str,
        note: str,
        price: Decimal,
        windows: tuple[tuple[float, float], ...],
        change: tuple[float, Decimal] | None,
        images: tuple[str, ...],
        auction: bool,
        bids: int,
        cat: Category,
    ) -> FixtureListing:
        patents = content.patents
        description = content.description
        if patents:
            joiner = ", " if self.site == "bazaar" else "，"
            description = f"{description} {content.patent_lead}{joiner.join(patents)}"
        return FixtureListing(
            marketplace=self.site,
            listing_id=listing_id,
            index=index,
            generation=generation,
            url_path=self.url_path(listing_id),
            title=content.title,
            base_price=price,
            currency=self.currency,
            category=cat.en if self.site == "bazaar" else cat.zh,
            category_slug=cat.slug,
            description=description,
            brand=content.brand,
            shop=content.shop,
            patent_numbers=patents,
            image_paths=images,
            expect=content.expect,
            target_brand=content.target_brand,
            note=note,
            kind=content.kind,
            windows=windows,
            price_change=change,
            auction=auction,
            bids=bids,
        )


@functools.lru_cache(maxsize=32)
def world(site: str, seed: int, listings: int) -> World:
    """The (cached) world of one site, seed and size."""
    return World(site, seed, listings)


def fixture_listings(
    site: str, seed: int, listings: int, hour: float | None = None
) -> Iterator[FixtureListing]:
    """Every listing incarnation in slot order; with ``hour``, only those live then."""
    w = world(site, seed, listings)
    for index in range(listings):
        for listing in w.slot(index):
            if hour is None or listing.live_at(hour):
                yield listing


def ground_truth(
    site: str, seed: int, listings: int, hour: float | None = None
) -> Iterator[dict[str, Any]]:
    """The labelled corpus of a site (JSON-ready dicts, DESIGN.md's format)."""
    for listing in fixture_listings(site, seed, listings, hour):
        yield listing.corpus_row(hour)
