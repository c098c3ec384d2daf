"""Normalisation: every folding, with each normalised character mapped to the original."""

from __future__ import annotations

import pytest

from patrol.screening import normalise_text
from patrol.screening.normalise import compact, normalise, pinyin_of, readings_of, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＮＩＫＥ Ａｉｒ", "nike air"),  # full-width letters
        ("GUCCI", "gucci"),  # case folding
        ("愛馬仕 蘋果", "爱马仕苹果"),  # traditional → simplified (no spaces between Chinese)
        ("Guсci", "gucci"),  # Cyrillic с
        ("ΝΙΚΕ", "nike"),  # Greek capitals (Ι reads as l, then l/i are one letter)
        ("Hermès Lancôme", "hermes lancome"),  # accents
        ("N1KE Ch4nel Adida5", "nike chanel adidas"),  # digits for letters
        ("iPhone15 RB3025", "iphone15 rb3025"),  # model numbers keep their digits
        ("Ray-8an SK-I1", "ray ban sk ii"),  # digits for letters across a hyphen
        ("【1比1】Pandora", "1比1 pandora"),  # but not across a bracket
    ],
)
def test_foldings(text: str, expected: str) -> None:
    folded = normalise_text(text)
    assert folded.replace("l", "i") == expected.replace("l", "i")


def test_separators_vanish_in_the_compact_view() -> None:
    assert compact(normalise("N-I-K-E")).text == "nike"
    assert compact(normalise("古 驰")).text == "古驰"
    assert compact(normalise("耐\u200b克")).text == "耐克"  # zero-width space
    assert words(normalise("1：1  高 仿!!")).text == "1 1 高仿"


def test_spans_map_back_to_the_original() -> None:
    original = "新款 Ｇｕсｃｉ 包"
    base = normalise(original)
    view = compact(base)
    start = view.text.index("gucci")
    span = view.original_span(start, start + 5)
    assert original[span[0] : span[1]] == "Ｇｕсｃｉ"
    notes = {note.describe() for note in base.notes_between(0, len(base.text))}
    assert "homoglyph: Cyrillic с→c" in notes
    assert "width: Ｇ→g" in notes


def test_words_view_spans_skip_collapsed_separators() -> None:
    original = "  Nike -- Air  max "
    view = words(normalise(original))
    assert view.text == "nike air max"
    start = view.text.index("air max")
    a, b = view.original_span(start, start + len("air max"))
    assert original[a:b] == "Air  max"


def test_pinyin_and_homophones_meet() -> None:
    assert pinyin_of("耐") + pinyin_of("客") == pinyin_of("耐") + pinyin_of("克") == "naike"
    assert "le" in readings_of("勒") and "le" in readings_of("乐")


def test_normalise_text_is_the_registry_search_form() -> None:
    assert normalise_text("Ｇｕсｃｉ  Bags") == "gucci bags"
    assert normalise_text(None) == ""
