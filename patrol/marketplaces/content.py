"""What one fixture listing says: its kind, words, price, shop and ground-truth label.

``build_content`` draws a kind from the category's mix (genuine goods, unbranded goods,
compatible accessories, homonyms and the counterfeit kinds), then writes the listing the
way such a seller would. The label is decided here together with the words, so every
``flag`` carries its evidence in the visible fields and every ``clear`` carries none.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from decimal import Decimal

from patrol.marketplaces import catalogue, wording
from patrol.marketplaces.catalogue import Brand, Category, Product, to_usd
from patrol.marketplaces.patents import cn_check_digit, patent_pool, print_patent
from patrol.marketplaces.shops import Shop, ShopDirectory

__all__ = ["COUNTERFEIT_KINDS", "Content", "build_content"]

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
_ZH_ONLY = {"pinyin", "homophone", "traditional"}


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


def _nice(value: float) -> Decimal:
    """A believable asking price in CNY (749.00, 38.90)."""
    if value >= 100:
        return Decimal(max(round(value / 10) * 10 - 1, 99))
    return max(Decimal(str(round(value))) - Decimal("0.1"), Decimal("4.9"))


def _between(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    return _nice(rng.uniform(float(low), float(high)))


def _cheap(rng: random.Random, b: Brand) -> Decimal:
    """Far below the brand's floor: at most 30% of its cheapest genuine price."""
    return _nice(float(b.min_low) * rng.uniform(0.04, 0.3))


@functools.cache
def _brands_in(slug: str) -> tuple[tuple[Brand, tuple[Product, ...]], ...]:
    out = []
    for b in catalogue.brands():
        products = tuple(p for p in b.products if p.category == slug)
        if products:
            out.append((b, products))
    return tuple(out)


@functools.cache
def _kind_table(site: str, slug: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    zh = site != "bazaar"
    weights: dict[str, float] = {}
    branded = bool(_brands_in(slug))
    homonyms = any(h.category == slug for h in catalogue.homonyms())
    compatibles = any(c.category == slug for c in catalogue.compatibles())
    if branded:
        weights.update(genuine_official=17, genuine_authorised=9, genuine_reseller=9, generic=20)
        weights.update(
            replica_slang=8, misspelt=4, lookalike=4, split=3, price_below_floor=5, same_style=5
        )
        if zh:
            weights.update(pinyin=2.5, homophone=3, traditional=2)
        else:
            weights.update(replica_slang=10, misspelt=5, lookalike=5, split=4)
    else:
        weights["generic"] = 50
    if homonyms:
        weights["homonym"] = 8 if branded else 35
    if compatibles:
        weights["compatible_accessory"] = 6 if branded else 40
    if slug in catalogue.patent_categories():
        weights["false_patent"] = 6
    kinds = tuple(weights)
    return kinds, tuple(weights[k] for k in kinds)


class _Writer:
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
        candidates = [
            (b, ps) for b, ps in _brands_in(self.cat.slug) if not need or getattr(b, need)
        ]
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
            _between(self.rng, p.low, p.high),
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
            _between(self.rng, good.low, good.high),
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
            _between(self.rng, h.low, h.high),
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
            _between(self.rng, c.low, c.high),
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

    # -- counterfeit kinds ------------------------------------------------------------
    def evasion_price(self, b: Brand, p: Product) -> Decimal:
        if self.rng.random() < 0.7:
            return _cheap(self.rng, b)
        return _nice(float(p.low) * self.rng.uniform(0.6, 1.0))

    def replica(self, b: Brand, p: Product) -> Content:
        strong = wording.SLANG_ZH if self.zh else wording.SLANG_EN
        weak = wording.SLANG_WEAK_ZH if self.zh else wording.SLANG_WEAK_EN
        term = self.pick(strong)
        core = f"{self.shown_name(b)} {self.product_words(p)}"
        extra = f" {self.pick(weak)}" if self.rng.random() < 0.4 else ""
        place = self.rng.random()
        desc = self.shady_desc()
        if place < 0.35:
            title = f"【{term}】{core}{extra}" if self.zh else f"{term} {core}{extra}"
        elif place < 0.75:
            title = f"{core} {term}{extra}"
        else:
            title = f"{core}{extra}"
            desc = f"{term}，{desc}" if self.zh else f"{term}. {desc}"
        price = (
            _cheap(self.rng, b)
            if self.rng.random() < 0.7
            else _nice(float(p.low) * self.rng.uniform(0.3, 0.55))
        )
        return self.content(
            "replica_slang",
            title,
            desc,
            self.declared(b) if self.rng.random() < 0.6 else None,
            price,
            self.counterfeit_shop(),
            b.id,
            term,
        )

    def evasion(self, kind: str, b: Brand, p: Product) -> Content:
        if kind == "misspelt":
            variant = self.pick(b.misspelt)
        elif kind == "lookalike":
            variant = self.pick(b.lookalike)
        elif kind == "split":
            options = list(b.split_en) + (list(b.split_zh) if self.zh else [])
            variant = self.pick(options)
        elif kind == "pinyin":
            variant = self.pick(b.pinyin)
        elif kind == "homophone":
            variant = self.pick(b.homophone)
        else:
            assert b.traditional is not None
            variant = b.traditional
        words = p.zh if self.zh else p.en
        title = self.decorate(f"{variant} {words}")
        brand = variant if self.rng.random() < 0.6 else None
        return self.content(
            kind,
            title,
            self.shady_desc() if self.rng.random() < 0.5 else self.generic_desc(),
            brand,
            self.evasion_price(b, p),
            self.counterfeit_shop(),
            b.id,
            variant,
        )

    def below_floor(self, b: Brand, p: Product) -> Content:
        title = self.decorate(f"{self.shown_name(b)} {self.product_words(p)}")
        price = _cheap(self.rng, b)
        if self.zh_site:
            shown = f"¥{price} far below the floor ¥{b.floor('CNY')}"
        else:
            shown = f"${to_usd(price)} far below the floor ${b.floor('USD')}"
        return self.content(
            "price_below_floor",
            title,
            self.genuine_desc(b),
            self.declared(b),
            price,
            self.counterfeit_shop(),
            b.id,
            shown,
        )

    def same_style(self, b: Brand, p: Product) -> Content:
        pattern = self.pick(wording.SAME_STYLE_ZH if self.zh else wording.SAME_STYLE_EN)
        good = self.generic_good()
        words = self.pick((good.zh, p.zh)) if self.zh else self.pick((good.en, p.en))
        name = b.zh if self.zh and b.has_chinese_name else b.en
        title = pattern.format(b=name, p=words)
        phrase = pattern.replace("{p}", "").replace("{b}", name).strip(" -()（）")
        price = (
            _between(self.rng, good.low, good.high)
            if self.rng.random() < 0.6
            else _cheap(self.rng, b)
        )
        return self.content(
            "same_style",
            title,
            self.generic_desc(),
            None,
            price,
            self.counterfeit_shop(),
            b.id,
            phrase,
        )

    def false_patent(self) -> Content:
        good = self.generic_good()
        maker = self.rng.choice(catalogue.makers())
        pool = patent_pool(self.seed)
        how = self.pick(
            ("wrong check digit", "unknown patent", "expired patent", "held by another holder")
        )
        office = "US" if self.site == "bazaar" and self.rng.random() < 0.5 else "CN"
        if how == "wrong check digit":
            office = "CN"
        target = None
        holder = ""
        if how in ("wrong check digit", "unknown patent"):
            known = {p.number for p in pool}
            number = ""
            while not number or number in known:
                if office == "US":
                    number = f"US{self.rng.randint(12_000_000, 12_999_999)}"
                    continue
                year, serial = self.rng.randint(2014, 2023), self.rng.randint(100_000, 9_999_999)
                digits = f"{year}{self.pick(('1', '2', '3'))}{serial:07d}"
                check = cn_check_digit(digits)
                if how == "wrong check digit":
                    check = self.pick([c for c in "0123456789X" if c != check])
                number = f"CN{digits}.{check}"
        else:
            expired = how == "expired patent"
            candidates = [
                p
                for p in pool
                if p.office == office
                and (p.status == "expired") == expired
                and (p.maker == maker.en) == expired
            ]
            chosen = self.rng.choice(candidates)
            number = chosen.number
            if not expired:
                target, holder = chosen.brand_id, f" ({chosen.holder})"
        printed = print_patent(number, self.rng.randint(0, 3))
        words = f"{maker.zh if self.zh else maker.en} {good.zh if self.zh else good.en}"
        title = words + self.pick((" 专利产品", " 国家专利", "") if self.zh else (" Patented", ""))
        return self.content(
            "false_patent",
            title,
            self.generic_desc(),
            f"{maker.zh}/{maker.en}" if self.zh_site else maker.en,
            _between(self.rng, good.low, good.high),
            self.counterfeit_shop(),
            target,
            f"{how}: {printed}{holder}",
            patents=(printed,),
            patent_lead=self.pick(self.patent_leads()),
        )


def build_content(
    rng: random.Random, site: str, cat: Category, shops: ShopDirectory, seed: int = 0
) -> Content:
    """One listing's content for a slot in category ``cat``."""
    kinds, weights = _kind_table(site, cat.slug)
    kind = rng.choices(kinds, weights)[0]
    writer = _Writer(rng, site, cat, shops, seed)
    if kind in _ZH_ONLY:
        writer.zh = True
    if kind.startswith("genuine_"):
        return writer.genuine(kind)
    if kind == "generic":
        return writer.generic()
    if kind == "homonym":
        return writer.homonym()
    if kind == "compatible_accessory":
        return writer.compatible()
    if kind == "false_patent":
        return writer.false_patent()
    need = {
        "pinyin": "pinyin",
        "homophone": "homophone",
        "traditional": "traditional",
        "misspelt": "misspelt",
        "lookalike": "lookalike",
    }.get(kind)
    if kind == "split":
        need = "split_en"
    picked = writer.brand_and_product(need)
    if picked is None:
        picked = writer.brand_and_product()
        kind = "replica_slang"
    assert picked is not None
    b, p = picked
    if kind == "replica_slang":
        return writer.replica(b, p)
    if kind == "price_below_floor":
        return writer.below_floor(b, p)
    if kind == "same_style":
        return writer.same_style(b, p)
    return writer.evasion(kind, b, p)
