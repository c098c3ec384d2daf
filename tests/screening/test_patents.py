"""Patent numbers in any common spelling, canonicalised and checked."""

from __future__ import annotations

import pytest

from patrol.screening import canonical_patent_number, parse_patent_numbers
from patrol.screening.patents import cn_check_digit


def test_cn_check_digit() -> None:
    assert cn_check_digit("201510123456") == "1"
    # a remainder of 10 is written X
    digits = next(
        f"2015101{n:05d}" for n in range(100_000) if cn_check_digit(f"2015101{n:05d}") == "X"
    )
    assert cn_check_digit(digits) == "X"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("专利号 ZL 2015 1 0123456.1", "CN201510123456.1"),
        ("ZL201510123456.1", "CN201510123456.1"),
        ("ＺＬ２０１５１０１２３４５６．１", "CN201510123456.1"),
        ("US Pat. No. 9,876,543", "US9876543"),
        ("US 9876543 B2", "US9876543"),
        ("U.S. Patent D789,012", "USD789012"),
        ("EP 1 234 567 B1", "EP1234567"),
        ("WO 2015/123456", "WO2015123456"),
        ("US 2015/0123456 A1", "US20150123456"),
    ],
)
def test_common_spellings(text: str, canonical: str) -> None:
    assert canonical_patent_number(text) == canonical


def test_wrong_check_digit_and_type_digit_are_problems() -> None:
    (wrong,) = parse_patent_numbers("专利号 ZL201510123456.9")
    assert not wrong.valid and "check digit 9 is wrong (expected 1)" in (wrong.problem or "")
    (bad_type,) = parse_patent_numbers("ZL 2015 6 0123456.1")
    assert bad_type.problem == "type digit 6 does not exist"
    (good,) = parse_patent_numbers("ZL 2015 1 0123456.1")
    assert good.valid and good.kind == "invention" and good.office == "CN"


def test_bare_numbers_count_only_in_a_patent_field() -> None:
    assert parse_patent_numbers("订单号 201510123456.1") == []
    (listed,) = parse_patent_numbers("201510123456.1", listed=True)
    assert listed.canonical == "CN201510123456.1"


def test_spans_index_the_given_text() -> None:
    text = "新品 专利号：ZL 2015 1 0123456.1 包邮"
    (number,) = parse_patent_numbers(text)
    assert text[number.span[0] : number.span[1]].strip().endswith("0123456.1")


def test_text_is_read_as_ascii_exactly_as_the_full_width_map_reads_it() -> None:
    import random

    from patrol.screening.patents import _DIGITS, _FULL_WIDTH, _READ_AS_ASCII

    rng = random.Random(3)
    alphabet = "专利号ＺＬ２０１５。．·:：ZL CN 0123456789abc١٢٣"
    alphabet += "\u00e4\u3000\uff5e\uff5f\ud7ff\U0001f600"
    for _ in range(2_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        folded = text.translate(_FULL_WIDTH)
        assert text.translate(_READ_AS_ASCII) == folded
        # digits are looked for before reading: the answer must not depend on it
        assert bool(_DIGITS.search(text)) == bool(_DIGITS.search(folded))
    assert parse_patent_numbers("专利号：ＺＬ ２０１５ １ ０１２３４５６。７")  # still read
