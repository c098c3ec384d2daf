"""Writing the counterfeit kinds: replica slang, evasive spellings, prices far below the
floor, "same style" dupes and false patent marks.

Each method leaves in the visible fields the evidence a careful reviewer would point at,
and names it in the ``note``.
"""

from __future__ import annotations

from decimal import Decimal

from patrol.marketplaces import catalogue, wording
from patrol.marketplaces.catalogue import Brand, Product, to_usd
from patrol.marketplaces.patents import cn_check_digit, patent_pool, print_patent
from patrol.marketplaces.writer import (
    Content,
    ListingWriter,
    cheap_price,
    nice_price,
    price_between,
)

__all__ = ["CounterfeitWriter"]


class CounterfeitWriter(ListingWriter):
    """A :class:`ListingWriter` that can also write every counterfeit kind."""

    def evasion_price(self, b: Brand, p: Product) -> Decimal:
        if self.rng.random() < 0.7:
            return cheap_price(self.rng, b)
        return nice_price(float(p.low) * self.rng.uniform(0.6, 1.0))

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
            cheap_price(self.rng, b)
            if self.rng.random() < 0.7
            else nice_price(float(p.low) * self.rng.uniform(0.3, 0.55))
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
        price = cheap_price(self.rng, b)
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
            price_between(self.rng, good.low, good.high)
            if self.rng.random() < 0.6
            else cheap_price(self.rng, b)
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
            price_between(self.rng, good.low, good.high),
            self.counterfeit_shop(),
            target,
            f"{how}: {printed}{holder}",
            patents=(printed,),
            patent_lead=self.pick(self.patent_leads()),
        )
