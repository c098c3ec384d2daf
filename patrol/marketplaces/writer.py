"""Writing one fixture listing: the shared vocabulary helpers and the innocent kinds.

A :class:`ListingWriter` holds one slot's random stream, site and category, and writes
listings the way their sellers would: official stores, authorised dealers, ordinary
resellers, unbranded goods, compatible accessories and homonyms. The counterfeit kinds
build on it in :mod:`patrol.marketplaces.counterfeits`. The label is decided together with
the words, so every ``flag`` carries its evidence and every ``clear`` carries none.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from decimal import Decimal

from patrol.marketplaces import catalogue, wording
from patrol.marketplaces.catalogue import Brand, Category, Product
from patrol.marketplaces.patents import patent_pool, print_patent
from patrol.marketplaces.shops import Shop, ShopDirectory

__all__ = [
    "COUNTERFEIT_KINDS",
    "ZH_ONLY_KINDS",
    "Content",
    "ListingWriter",
    "brands_in",
    "cheap_price",
    "nice_price",
    "price_between",
]

COUNTERFEIT_KINDS = (
    "replica_slang",
    "misspelt",
    "lookalike",
    "split",
    "pinyin",
    "homophone",
    "traditional",
    "price_below_floor",
    "same_style",
    "false_patent",
)
ZH_ONLY_KINDS = {"pinyin", "homophone", "traditional"}


@dataclass(frozen=True, slots=True)
class Content:
    kind: str
    title: str
    description: str
    brand: str | None
    price_cny: Decimal
    shop: Shop
    expect: str
    target_brand: str | None
    note: str
    patents: tuple[str, ...] = ()  # as printed
    patent_lead: str = ""


def nice_price(value: float) -> Decimal:
    """A believable asking price in CNY (749.00, 38.90)."""
    if value >= 100:
        return Decimal(max(round(value / 10) * 10 - 1, 99))
    return max(Decimal(str(round(value))) - Decimal("0.1"), Decimal("4.9"))


def price_between(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    return nice_price(rng.uniform(float(low), float(high)))


def cheap_price(rng: random.Random, b: Brand) -> Decimal:
    """Far below the brand's floor: at most 30% of its cheapest genuine price."""
    return nice_price(float(b.min_low) * rng.uniform(0.04, 0.3))


@functools.cache
def brands_in(slug: str) -> tuple[tuple[Brand, tuple[Product, ...]], ...]:
    out = []
    for b in catalogue.brands():
        products = tuple(p for p in b.products if p.category == slug)
        if products:
            out.append((b, products))
    return tuple(out)


class ListingWriter:
    """Writes one listing of a slot; a method per innocent kind."""

    def __init__(
        self, rng: random.Random, site: str, cat: Category, shops: ShopDirectory, seed: int
    ) -> None:
        self.rng = rng
        self.seed = seed
        self.site = site
        self.cat = cat
        self.shops = shops
        self.zh_site = site != "bazaar"
        self.zh = self.zh_site and rng.random() < 0.85  # some English titles on Chinese sites

    # -- helpers --------------------------------------------------------------------
    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(options)

    def declared(self, b: Brand) -> str:
        if not self.zh_site or not b.has_chinese_name:
            return b.en
        return self.pick((f"{b.zh}/{b.en}", f"{b.en}/{b.zh}", b.zh, b.en))

    def shown_name(self, b: Brand) -> str:
        if not self.zh or not b.has_chinese_name:
            return self.pick((b.en, b.en, b.en, *(a for a in b.aliases if a.isascii())))
        return self.pick((b.zh, b.zh, b.en, f"{b.en}/{b.zh}", f"{b.zh}{b.en}"))

    def product_words(self, p: Product) -> str:
        return p.zh if self.zh else p.en

    def decorate(self, core: str) -> str:
        prefix = wording.GENUINE_PREFIX_ZH if self.zh else wording.GENUINE_PREFIX_EN
        suffix = wording.GENUINE_SUFFIX_ZH if self.zh else wording.GENUINE_SUFFIX_EN
        variants = wording.VARIANTS.get(self.cat.slug)
        if variants and self.rng.random() < 0.35:
            core = f"{core} {self.pick(variants[0] if self.zh else variants[1])}"
        return f"{self.pick(prefix)}{core}{self.pick(suffix)}".strip()

    def sentences(self, pool: tuple[str, ...], n: int, **fmt: str) -> str:
        chosen = self.rng.sample(pool, min(n, len(pool)))
        return ("" if self.zh else " ").join(s.format(**fmt) for s in chosen)

    def genuine_desc(self, b: Brand) -> str:
        pool = wording.GENUINE_DESC_ZH if self.zh else wording.GENUINE_DESC_EN
        return self.sentences(pool, self.rng.randint(2, 3), brand=b.zh if self.zh else b.en)

    def generic_desc(self) -> str:
        pool = wording.GENERIC_DESC_ZH if self.zh else wording.GENERIC_DESC_EN
        return self.sentences(pool, self.rng.randint(1, 3))

    def shady_desc(self) -> str:
        pool = wording.COUNTERFEIT_DESC_ZH if self.zh else wording.COUNTERFEIT_DESC_EN
        plain = wording.GENERIC_DESC_ZH if self.zh else wording.GENERIC_DESC_EN
        return self.sentences(pool, 1) + ("" if self.zh else " ") + self.sentences(plain, 1)

    def ordinary_shop(self) -> Shop:
        return self.rng.choice(self.shops.ordinary)

    def counterfeit_shop(self) -> Shop:
        pool = self.shops.counterfeit if self.rng.random() < 0.75 else self.shops.ordinary
        return self.rng.choice(pool)

    def brand_and_product(self, need: str | None = None) -> tuple[Brand, Product] | None:
        candidates = [(b, ps) for b, ps in brands_in(self.cat.slug) if not need or getattr(b, need)]
        if not candidates:
            return None
        b, products = self.rng.choice(candidates)
        return b, self.rng.choice(products)

    def generic_good(self) -> catalogue.GenericGood:
        return self.rng.choice(catalogue.generic_goods()[self.cat.slug])

    def content(
        self,
        kind: str,
        title: str,
        desc: str,
        brand: str | None,
        price: Decimal,
        shop: Shop,
        target: str | None,
        detail: str,
        patents: tuple[str, ...] = (),
        patent_lead: str = "",
    ) -> Content:
        expect = "flag" if kind in COUNTERFEIT_KINDS else "clear"
        return Content(
            kind,
            title,
            desc,
            brand,
            price,
            shop,
            expect,
            target,
            f"{kind} — {detail}",
            patents,
            patent_lead,
        )

    # -- clear kinds ----------------------------------------------------------------
    def genuine(self, kind: str) -> Content:
        picked = self.brand_and_product()
        assert picked is not None
        b, p = picked
        if kind == "genuine_official":
            shop = self.shops.official[b.id]
        elif kind == "genuine_authorised" and b.id in self.shops.authorised:
            shop = self.rng.choice(self.shops.authorised[b.id])
        else:
            kind, shop = "genuine_reseller", self.ordinary_shop()
        title = self.decorate(f"{self.shown_name(b)} {self.product_words(p)}")
        chance = 0.5 if shop.kind != "ordinary" else 0.0
        patents, lead = self.own_patents(b.id, None, chance)
        detail = {
            "genuine_official": f"official store {shop.name}",
            "genuine_authorised": f"authorised dealer {shop.name}",
        }.get(kind, f"genuine {b.en} at a normal price")
        return self.content(
            kind,
            title,
            self.genuine_desc(b),
            self.declared(b),
            price_between(self.rng, p.low, p.high),
            shop,
            b.id,
            detail,
            patents=patents,
            patent_lead=lead,
        )

    def generic(self) -> Content:
        good = self.generic_good()
        maker = None
        if self.rng.random() < 0.3:
            maker = self.rng.choice(catalogue.makers())
        words = good.zh if self.zh else good.en
        brand = None
        if maker is not None:
            words = f"{maker.zh if self.zh else maker.en} {words}"
            brand = f"{maker.zh}/{maker.en}" if self.zh_site else maker.en
        patents: tuple[str, ...] = ()
        lead = ""
        detail = f"unbranded {self.cat.en.lower()}"
        if maker is not None and self.cat.slug in catalogue.patent_categories():
            patents, lead = self.own_patents(None, maker.en, 0.5)
            if patents:
                detail += f"; {maker.en}'s own patent in force"
        return self.content(
            "generic",
            self.decorate(words) if self.rng.random() < 0.5 else words,
            self.generic_desc(),
            brand,
            price_between(self.rng, good.low, good.high),
            self.ordinary_shop(),
            None,
            detail,
            patents=patents,
            patent_lead=lead,
        )

    def homonym(self) -> Content:
        h = self.rng.choice([h for h in catalogue.homonyms() if h.category == self.cat.slug])
        return self.content(
            "homonym",
            h.zh if self.zh else h.en,
            self.generic_desc(),
            None,
            price_between(self.rng, h.low, h.high),
            self.ordinary_shop(),
            h.brand_id,
            h.what,
        )

    def compatible(self) -> Content:
        c = self.rng.choice([c for c in catalogue.compatibles() if c.category == self.cat.slug])
        b = catalogue.brand(c.brand_id)
        return self.content(
            "compatible_accessory",
            c.zh if self.zh else c.en,
            self.generic_desc(),
            None,
            price_between(self.rng, c.low, c.high),
            self.ordinary_shop(),
            b.id,
            f"accessory for {b.en} products",
        )

    def own_patents(
        self, brand_id: str | None, maker: str | None, chance: float
    ) -> tuple[tuple[str, ...], str]:
        """Some of the holder's own patents in force, as the seller would print them."""
        if self.rng.random() >= chance:
            return (), ""
        office = "US" if self.site == "bazaar" and self.rng.random() < 0.5 else "CN"
        mine = [
            p
            for p in patent_pool(self.seed)
            if p.status == "in_force"
            and p.brand_id == brand_id
            and p.maker == maker
            and p.office == office
        ]
        if not mine:
            return (), ""
        chosen = self.rng.sample(mine, min(len(mine), self.rng.randint(1, 2)))
        style = self.rng.randint(0, 3)
        return tuple(print_patent(p.number, style) for p in chosen), self.pick(self.patent_leads())

    def patent_leads(self) -> tuple[str, ...]:
        return wording.PATENT_LEAD_ZH if self.zh_site else wording.PATENT_LEAD_EN
