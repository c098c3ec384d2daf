"""The engine: scores, exclusions, explanations, and the verdict contract."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from patrol.screening import Rulebook, Verdict, screen

from .conftest import make_listing


def test_a_brand_mention_alone_at_a_normal_price_does_not_flag(rulebook: Rulebook) -> None:
    verdict = screen(
        make_listing("Nike Air Max 90 男子气垫跑步鞋", "999", category="运动鞋"), rulebook
    )
    assert not verdict.flagged
    assert verdict.rule_ids == ["brand.mention"]
    (hit,) = verdict.hits
    assert hit.brand_id == "nike" and hit.span == (0, 4)
    assert hit.registry is not None and "025" in hit.registry.nice_classes


@pytest.mark.parametrize(
    ("title", "path"),
    [
        ("Guсci Marmont 链条包", "homoglyph: Cyrillic с→c"),
        ("耐客 运动鞋 男", "pinyin: 耐客→naike→耐克"),
        ("N-I-K-E Air Max 气垫鞋", "split: N-I-K-E"),
        ("愛馬仕 Birkin 手提包", "traditional: 愛馬仕→爱马仕"),
    ],
)
def test_disguised_names_flag_with_their_variant_path(
    rulebook: Rulebook, title: str, path: str
) -> None:
    verdict = screen(make_listing(title, "5999", category="箱包"), rulebook)
    assert verdict.flagged
    assert any(path in hit.variant_path for hit in verdict.hits)


def test_signals_add_up_once_per_rule(rulebook: Rulebook) -> None:
    verdict = screen(
        make_listing("高仿 高仿 高仿 Nike Air Max 90", "899", category="运动鞋"), rulebook
    )
    assert verdict.score == pytest.approx(1.3)  # mention 0.3 + strong slang 1.0, counted once
    assert verdict.flagged


def test_price_below_the_floor_of_the_category(rulebook: Rulebook) -> None:
    cheap = screen(make_listing("Dior 迪奥 烈艳蓝金唇膏 999", "99", category="美妆护肤"), rulebook)
    assert cheap.flagged and "price.below-floor" in cheap.rule_ids
    lipstick = screen(
        make_listing("Dior 迪奥 烈艳蓝金唇膏 999", "369", category="美妆护肤"), rulebook
    )
    assert not lipstick.flagged  # a lipstick's floor is not a handbag's
    bag = screen(make_listing("Dior Lady Dior 手提包", "369", category="箱包"), rulebook)
    assert bag.flagged


@pytest.mark.parametrize(
    ("title", "category", "rule"),
    [
        ("烟台红富士苹果 5斤装 新鲜水果", "水果", "brand.homonym"),
        ("东北小米 黄小米 5斤 新米", "粮油", "brand.homonym"),
        ("Omega-3 Fish Oil 1000mg", "Supplements", "brand.homonym"),
        ("美洲狮毛绒玩具 Puma 动物公仔", "玩具", "brand.homonym"),
        ("适用于苹果15 Pro 手机壳 防摔", "手机配件", "exclusion.compatible-accessory"),
        (
            "Replacement Ear Pads for Sony WH-1000XM5",
            "Headphones & Audio",
            "exclusion.compatible-accessory",
        ),
    ],
)
def test_homonyms_and_accessories_are_set_aside(
    rulebook: Rulebook, title: str, category: str, rule: str
) -> None:
    verdict = screen(make_listing(title, "19", category=category), rulebook)
    assert not verdict.flagged
    assert rule in verdict.rule_ids
    assert all(hit.weight == 0 for hit in verdict.hits if hit.rule_id == rule)


def test_the_category_decides_which_brand_a_word_names(rulebook: Rulebook) -> None:
    # 苹果 in a grocery category outside Apple's classes is set aside by the class check
    verdict = screen(make_listing("苹果 新鲜 脆甜", "9.9", category="生鲜"), rulebook)
    assert not verdict.flagged
    assert {"brand.homonym", "registry.class-mismatch"} & set(verdict.rule_ids)


def test_strong_slang_overrides_the_accessory_exclusion(rulebook: Rulebook) -> None:
    verdict = screen(
        make_listing("适用于苹果 AirPods 高仿 1:1", "99", category="耳机音响"), rulebook
    )
    assert verdict.flagged


def test_brand_slot_phrases(rulebook: Rulebook) -> None:
    verdict = screen(
        make_listing(
            "Under Armour-Style Fleece Hoodie", "23.99", currency="USD", category="Clothing"
        ),
        rulebook,
    )
    assert verdict.flagged
    assert any(h.normalised == "{brand} style" for h in verdict.hits)


def test_verdict_round_trips_through_json(rulebook: Rulebook) -> None:
    verdict = screen(make_listing("Gucсi 高仿 包", "99", category="箱包"), rulebook)
    assert Verdict.from_dict(verdict.to_dict()) == verdict


def test_screen_is_pure_and_thread_safe(rulebook: Rulebook) -> None:
    listings = [
        make_listing(title, "99", category="运动鞋", listing_id=str(i))
        for i, title in enumerate(
            ["N1KE 跑鞋", "耐克 正品", "Adidaas 板鞋", "纯棉T恤", "古 驰 腰带"] * 40
        )
    ]
    expected = [screen(listing, rulebook) for listing in listings]
    with ThreadPoolExecutor(max_workers=4) as pool:
        again = list(pool.map(lambda listing: screen(listing, rulebook), listings))
    assert again == expected
