"""Brand names: exact on word boundaries, disguised, split, pinyin and homophones."""

from __future__ import annotations

import pytest

from patrol.screening import Rulebook
from patrol.screening.matchers.brands import BrandMatch, FieldText


def _find(rulebook: Rulebook, text: str) -> list[BrandMatch]:
    return rulebook.brand_index.find(FieldText("title", text), rulebook.brand_names)


def _brands(rulebook: Rulebook, text: str) -> set[str]:
    return {rulebook.brands[m.brand].id for m in _find(rulebook, text)}


@pytest.mark.parametrize(
    "text",
    ["Pineapple juice", "Diorama kit", "Hello nice shoes", "can opener on sale", "IV drip bag"],
)
def test_latin_names_need_word_boundaries(rulebook: Rulebook, text: str) -> None:
    assert _brands(rulebook, text) == set()


def test_model_numbers_do_not_break_a_name(rulebook: Rulebook) -> None:
    assert _brands(rulebook, "iPhone15 Pro Max") == {"apple"}


@pytest.mark.parametrize(
    ("text", "brand", "variant", "path"),
    [
        ("Gucсi 包", "gucci", "homoglyph", "homoglyph: Cyrillic с→c"),
        ("N1KE 跑鞋", "nike", "leet", "leet: 1→i"),
        ("N-I-K-E 跑鞋", "nike", "split", "split: N-I-K-E"),
        ("古 驰 双肩包", "gucci", "split", "split: 古 驰"),
        ("G.U.C.C.I belt", "gucci", "split", "split: G.U.C.C.I"),
        ("U n d e r Armour shoes", "under-armour", "split", "split: U n d e r Armour"),
        ("愛馬仕 包", "hermes", "traditional", "traditional: 愛馬仕→爱马仕"),
        ("naike 跑鞋", "nike", "pinyin", "pinyin: naike→耐克"),
        ("zhi bao 打火机", "zippo", "pinyin", "pinyin: zhibao→芝宝"),
        ("耐客 运动鞋", "nike", "homophone", "pinyin: 耐客→naike→耐克"),
        ("勒高 积木", "lego", "homophone", "→乐高"),
    ],
)
def test_disguises(rulebook: Rulebook, text: str, brand: str, variant: str, path: str) -> None:
    matches = [m for m in _find(rulebook, text) if rulebook.brands[m.brand].id == brand]
    assert matches, f"{brand} not found in {text!r}"
    match = matches[0]
    assert variant in match.variants
    assert path in match.path
    assert text[match.span[0] : match.span[1]] == match.text


def test_plain_names_are_plain(rulebook: Rulebook) -> None:
    (match,) = _find(rulebook, "Nike Air Force 1")[:1]
    assert match.variants == () and match.path == "exact: Nike"
    full_width = _find(rulebook, "ＮＩＫＥ 运动鞋")
    assert full_width and full_width[0].variants == ()


def test_a_real_chinese_name_is_not_a_homophone(rulebook: Rulebook) -> None:
    assert all(not m.variants for m in _find(rulebook, "耐克 Air Force 1"))
    # 质保 (warranty) sounds like 芝宝 but shares no character with it
    assert _brands(rulebook, "全国联保 一年质保") == set()
    # 范思 inside Versace's 范思哲 is not the Vans homophone 范斯
    assert _brands(rulebook, "范思哲 真丝衬衫") == {"versace"}


def test_a_name_inside_a_longer_alias_counts_once(rulebook: Rulebook) -> None:
    matches = _find(rulebook, "Nike Air Jordan 1 High")
    assert [m.text for m in matches] == ["Nike", "Air Jordan"]
