"""Generated brands and listings, for benchmarks: how screening scales with brand count.

A real rulebook has tens of brands; a brand-protection service may watch ten thousand.
:func:`synthetic_rulebook` adds generated brands (pronounceable Latin names, Chinese
names from common name characters, aliases, classes and price floors) to the default
rulebook's rules, and :func:`synthetic_listings` makes listings that mention some of
them plainly or disguised, so a benchmark measures the engine on a realistic mix.
Everything is seeded: the same arguments give the same brands and listings.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from patrol.items import Listing
from patrol.screening.loader import RulebookSource
from patrol.screening.rulebook import Rulebook, build_rulebook
from patrol.screening.schema import BrandSpec, MarkSpec, Origin

__all__ = ["synthetic_brand_specs", "synthetic_listings", "synthetic_rulebook"]

_ONSETS = (
    "b",
    "c",
    "d",
    "f",
    "g",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "z",
    "br",
    "tr",
    "st",
    "pl",
    "gr",
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io")
_HAN = (
    "安邦宝博彩辰达德迪帝尔法菲丰福冠瀚浩恒弘华辉佳嘉捷金锦凯康兰朗雷力利联"
    "龙隆罗玛美蒙米明纳尼欧派普奇琪瑞森尚圣诗斯泰特天威维沃西希翔欣雅亚逸盈优宇元卓泽臻"
)
_CLASSES = ("003", "009", "014", "018", "025", "028", "033")
_WORDS_EN = (
    "new",
    "men's",
    "women's",
    "classic",
    "running",
    "shoes",
    "bag",
    "leather",
    "watch",
    "wireless",
    "headphones",
    "jacket",
    "cotton",
    "sale",
    "free shipping",
    "size",
    "black",
    "white",
    "gift",
    "original",
    "limited",
    "edition",
    "summer",
    "winter",
    "kids",
    "sport",
    "casual",
    "premium",
)
_WORDS_ZH = (
    "新款",
    "男士",
    "女士",
    "经典",
    "跑步鞋",
    "手提包",
    "真皮",
    "手表",
    "无线",
    "耳机",
    "外套",
    "纯棉",
    "特价",
    "包邮",
    "尺码",
    "黑色",
    "白色",
    "礼物",
    "限量",
    "夏季",
    "冬季",
    "儿童",
    "运动",
    "休闲",
)


def _latin_name(rng: random.Random) -> str:
    syllables = rng.randint(2, 4)
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)).capitalize()


def synthetic_brand_specs(count: int, seed: int = 7) -> list[BrandSpec]:
    """``count`` generated brands with distinct Latin and Chinese names."""
    rng = random.Random(seed)
    seen: set[str] = set()
    specs: list[BrandSpec] = []
    origin = Origin("<generated>", 0)
    while len(specs) < count:
        name = _latin_name(rng)
        zh = "".join(rng.choice(_HAN) for _ in range(rng.randint(2, 4)))
        if name.lower() in seen or zh in seen:
            continue
        seen.update((name.lower(), zh))
        classes = tuple(sorted(set(rng.sample(_CLASSES, 2))))
        floor = Decimal(rng.choice((50, 100, 200, 500, 1000, 3000)))
        specs.append(
            BrandSpec(
                id=f"gen-{len(specs)}-{name.lower()}",
                origin=origin,
                names={"en": name, "zh": zh},
                aliases=(f"{name} {rng.choice(('Pro', 'Max', 'Studio', 'Air', 'One'))}",),
                holder=f"{name} Holdings Ltd.",
                trademarks=(MarkSpec(mark=name.upper(), nice_classes=classes),),
                price_floor={"CNY": floor, "USD": (floor / 7).quantize(Decimal("1"))},
            )
        )
    return specs


def synthetic_rulebook(base: RulebookSource, brands: int, seed: int = 7) -> Rulebook:
    """The rules of ``base`` with ``brands`` generated brands in place of its own."""
    source = replace(
        base, brands=tuple(synthetic_brand_specs(brands, seed)), categories=base.categories
    )
    return build_rulebook(source)


def _disguise(name: str, rng: random.Random) -> str:
    how = rng.randrange(4)
    if how == 0:
        return "-".join(name.upper())
    if how == 1:
        return name.replace("o", "0").replace("i", "1")
    if how == 2 and len(name) > 4:
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name.replace("a", "а").replace("e", "е")  # Cyrillic а and е


def synthetic_listings(names: list[str], count: int, seed: int = 11) -> list[Listing]:
    """``count`` listings: generic goods, plain mentions of ``names``, disguised ones."""
    rng = random.Random(seed)
    listings: list[Listing] = []
    for index in range(count):
        zh = rng.random() < 0.5
        vocabulary = _WORDS_ZH if zh else _WORDS_EN
        words = rng.sample(vocabulary, rng.randint(4, 8))
        roll = rng.random()
        if names and roll < 0.45:
            words.insert(rng.randrange(len(words)), rng.choice(names))
        elif names and roll < 0.6:
            words.insert(rng.randrange(len(words)), _disguise(rng.choice(names), rng))
        if rng.random() < 0.1:
            words.append(rng.choice(("高仿", "replica", "同款", "1:1", "正品")))
        title = ("" if zh else " ").join(words) if zh else " ".join(words)
        description = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 60)))
        listings.append(
            Listing(
                marketplace="bench",
                listing_id=str(index),
                url="",
                title=title,
                price=Decimal(rng.randint(5, 5000)),
                currency="CNY" if zh else "USD",
                category=rng.choice(
                    ("运动鞋", "箱包", "手表", "Watches", "Sneakers", "Beauty", "玩具")
                ),
                description=description,
                shop_id=f"shop{rng.randrange(500)}",
            )
        )
    return listings
