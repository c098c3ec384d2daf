"""Which spreadsheet cells are neutralised: formulas, also behind leading spaces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from patrol.exports.cells import neutralise, neutralise_row


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        " =1+1",
        "\u3000=1+1",  # an ideographic space first
        "\n@SUM(A1)",
        "\u00a0+cmd",
    ],
)
def test_formulas_are_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Nike Air Max", "耐克 = 好", "a-b", "", "  plain  ", "'=x"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_numbers_and_none_are_not_text() -> None:
    assert neutralise_row([-5, Decimal("-1.5"), None, " -x"]) == [-5, Decimal("-1.5"), None, "' -x"]
