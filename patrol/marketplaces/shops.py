"""Shops of a fixture marketplace: official stores, authorised dealers, ordinary sellers.

Counterfeiters' shops are named like everyone else's (a name is no evidence); a third of
them are repeat offenders that relist removed goods under new ids. The directory for one
(site, seed) has a few hundred shops, so it is built whole and cached.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from patrol.marketplaces import catalogue

__all__ = ["Shop", "ShopDirectory", "shop_directory"]

_AUTHORISED_GROUPS: tuple[
    tuple[tuple[str, ...], tuple[str, str, str], tuple[str, str, str]], ...
] = (
    (
        ("nike", "adidas", "puma", "new-balance", "converse", "vans", "skechers", "under-armour"),
        ("跑享运动专营店", "RunShare Sports", "runshare-sports"),
        ("动感体育专营店", "Motion Athletics Outlet", "motion-athletics"),
    ),
    (
        ("apple", "samsung", "huawei", "xiaomi", "sony", "canon", "bose", "nintendo", "dyson"),
        ("极客数码授权专营店", "GeekHub Electronics", "geekhub-electronics"),
        ("星辰电器专营店", "Starline Appliances", "starline-appliances"),
    ),
    (
        (
            "estee-lauder",
            "lancome",
            "sk-ii",
            "dior",
            "chanel",
            "armani",
            "givenchy",
            "ysl",
            "mac",
            "clinique",
        ),
        ("丽人美妆授权店", "Belle Beauty Authorized", "belle-beauty"),
        ("悦颜国际美妆专营店", "Radiance Cosmetics", "radiance-cosmetics"),
    ),
    (
        ("omega", "longines", "tissot", "rolex", "cartier"),
        ("时光名表授权店", "Timeless Watches Authorized", "timeless-watches"),
        ("恒久钟表专营店", "Everlast Horology", "everlast-horology"),
    ),
    (
        ("swarovski", "pandora", "tiffany", "bulgari"),
        ("璀璨珠宝专营店", "Sparkle Jewelers", "sparkle-jewelers"),
        ("星语饰品授权店", "Starword Jewelry", "starword-jewelry"),
    ),
    (
        ("lego", "disney"),
        ("童乐玩具专营店", "Playtime Toys", "playtime-toys"),
        ("奇趣玩具授权店", "Wonder Toy Co", "wonder-toy-co"),
    ),
    (
        ("kweichow-moutai",),
        ("酱香名酒专营店", "Fine Baijiu House", "fine-baijiu-house"),
        ("国酒汇授权店", "China Spirits Hub", "china-spirits-hub"),
    ),
    (
        ("ray-ban", "zippo"),
        ("明视眼镜专营店", "ClearView Optics", "clearview-optics"),
        ("烽火礼品专营店", "Beacon Gifts", "beacon-gifts"),
    ),
    (
        ("the-north-face", "canada-goose", "moncler"),
        ("雪域户外专营店", "Snowline Outdoor", "snowline-outdoor"),
        ("极地户外授权店", "Polar Outfitters", "polar-outfitters"),
    ),
    (
        ("coach", "michael-kors", "burberry"),
        ("都市皮具授权店", "Metro Leather Goods", "metro-leather"),
        ("名品箱包专营店", "Luxe Bag Gallery", "luxe-bag-gallery"),
    ),
)
_ZH_PREFIX = (
    "阿明",
    "小鱼",
    "潮流前线",
    "优品",
    "锦绣",
    "乐购",
    "星河",
    "晨光",
    "义乌",
    "东莞",
    "深圳",
    "杭州",
    "老王",
    "佳佳",
    "美美",
    "北极星",
    "蓝天",
    "海淘",
    "小城",
    "南山",
    "青木",
    "橙子",
    "米粒",
    "鹿角",
    "暖阳",
)
_ZH_SUFFIX = (
    "小店",
    "百货店",
    "精品店",
    "数码店",
    "服饰",
    "生活馆",
    "杂货铺",
    "优选",
    "工厂店",
    "特卖",
    "潮品店",
    "折扣店",
)
_EN_ADJ = (
    "best",
    "cool",
    "happy",
    "super",
    "prime",
    "urban",
    "lucky",
    "golden",
    "smart",
    "daily",
    "blue",
    "top",
    "fresh",
    "rapid",
    "north",
)
_EN_NOUN = (
    "deals",
    "finds",
    "store",
    "outlet",
    "shop",
    "bargains",
    "goods",
    "market",
    "closet",
    "trader",
    "depot",
    "corner",
)
_ORDINARY = 300
_COUNTERFEIT = 90
_REPEAT_OFFENDERS = 30


@dataclass(frozen=True, slots=True)
class Shop:
    id: str
    name: str
    kind: str  # official | authorised | ordinary | counterfeit
    brand_ids: tuple[str, ...]  # brands it is official/authorised for
    rating: str  # taoji/kuaigou store rating, "4.8"
    opened: date
    feedback_score: int  # bazaar feedback
    feedback_pct: str  # bazaar positive feedback, "99.2"
    repeat_offender: bool = False

    @property
    def official(self) -> bool:
        return self.kind == "official"

    @property
    def kind_label_zh(self) -> str:
        return {"official": "官方旗舰店", "authorised": "授权专营店"}.get(self.kind, "个人店铺")


@dataclass(frozen=True, slots=True)
class ShopDirectory:
    by_id: dict[str, Shop]
    official: dict[str, Shop]  # brand id -> its official shop
    authorised: dict[str, tuple[Shop, ...]]  # brand id -> authorised shops
    ordinary: tuple[Shop, ...]
    counterfeit: tuple[Shop, ...]


def _shop_id(site: str, k: int, seed: int, username: str) -> str:
    if site == "bazaar":
        return username
    mixed = (k * 7_368_787 + 1_000_003 * (seed % 97) + 12_345) % 90_000_000
    return f"{10_000_000 + mixed}" if site == "taoji" else f"s{mixed:08d}"


def _stats(rng: random.Random, kind: str) -> tuple[str, date, int, str]:
    if kind == "official":
        rating, years, score, pct = rng.uniform(4.8, 5.0), (5, 12), (50_000, 600_000), (99.5, 100)
    elif kind == "authorised":
        rating, years, score, pct = rng.uniform(4.7, 4.95), (3, 10), (5_000, 90_000), (99.0, 100)
    else:
        rating, years, score, pct = rng.uniform(4.3, 4.95), (0, 9), (3, 25_000), (95.0, 100)
    opened = date(2026, 6, 1) - timedelta(days=rng.randint(years[0] * 365 + 30, years[1] * 365))
    return (f"{rating:.1f}", opened, rng.randint(*score), f"{min(rng.uniform(*pct), 100):.1f}")


@functools.cache
def shop_directory(site: str, seed: int) -> ShopDirectory:
    rng = random.Random(f"shops:{site}:{seed}")
    by_id: dict[str, Shop] = {}
    official: dict[str, Shop] = {}
    authorised: dict[str, list[Shop]] = {}
    ordinary: list[Shop] = []
    counterfeit: list[Shop] = []
    zh = site != "bazaar"

    def add(name: str, kind: str, brands: tuple[str, ...], username: str, **extra: bool) -> Shop:
        k = len(by_id)
        rating, opened, score, pct = _stats(rng, kind)
        shop = Shop(
            _shop_id(site, k, seed, username),
            name,
            kind,
            brands,
            rating,
            opened,
            score,
            pct,
            **extra,
        )
        by_id[shop.id] = shop
        return shop

    for b in catalogue.brands():
        name = f"{b.zh}官方旗舰店" if zh else f"{b.en} Official Store"
        official[b.id] = add(name, "official", (b.id,), f"{b.id}-official")
    for brand_ids, *dealers in _AUTHORISED_GROUPS:
        for zh_name, en_name, username in dealers:
            shop = add(zh_name if zh else en_name, "authorised", brand_ids, username)
            for brand_id in brand_ids:
                authorised.setdefault(brand_id, []).append(shop)
    used: set[str] = set()
    for i in range(_ORDINARY + _COUNTERFEIT):
        if zh:
            name = rng.choice(_ZH_PREFIX) + rng.choice(_ZH_SUFFIX)
            while name in used:
                name = rng.choice(_ZH_PREFIX) + rng.choice(_ZH_SUFFIX) + str(rng.randint(1, 99))
            username = name
        else:
            username = f"{rng.choice(_EN_ADJ)}{rng.choice(_EN_NOUN)}_{rng.randint(1, 999)}"
            while username in used:
                username = f"{rng.choice(_EN_ADJ)}{rng.choice(_EN_NOUN)}_{rng.randint(1, 9999)}"
            name = username
        used.add(username)
        if i < _ORDINARY:
            ordinary.append(add(name, "ordinary", (), username))
        else:
            repeat = i - _ORDINARY < _REPEAT_OFFENDERS
            counterfeit.append(add(name, "counterfeit", (), username, repeat_offender=repeat))
    return ShopDirectory(
        by_id=by_id,
        official=official,
        authorised={k: tuple(v) for k, v in authorised.items()},
        ordinary=tuple(ordinary),
        counterfeit=tuple(counterfeit),
    )
