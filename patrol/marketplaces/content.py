"""What one fixture listing says: a kind drawn from its category's mix, then written.

``build_content`` draws a kind (genuine goods, unbranded goods, compatible accessories,
homonyms or one of the counterfeit kinds) with the weights of the slot's category and
site, and hands it to the writer.
"""

from __future__ import annotations

import functools
import random

from patrol.marketplaces import catalogue
from patrol.marketplaces.catalogue import Category
from patrol.marketplaces.counterfeits import CounterfeitWriter
from patrol.marketplaces.shops import ShopDirectory
from patrol.marketplaces.writer import COUNTERFEIT_KINDS, ZH_ONLY_KINDS, Content, brands_in

__all__ = ["COUNTERFEIT_KINDS", "Content", "build_content"]


@functools.cache
def _kind_table(site: str, slug: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    zh = site != "bazaar"
    weights: dict[str, float] = {}
    branded = bool(brands_in(slug))
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


def build_content(
    rng: random.Random, site: str, cat: Category, shops: ShopDirectory, seed: int = 0
) -> Content:
    """One listing's content for a slot in category ``cat``."""
    kinds, weights = _kind_table(site, cat.slug)
    kind = rng.choices(kinds, weights)[0]
    writer = CounterfeitWriter(rng, site, cat, shops, seed)
    if kind in ZH_ONLY_KINDS:
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
