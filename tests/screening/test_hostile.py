"""Odd and hostile listings are screened without an exception; patterns cannot hang."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

from patrol.items import Listing
from patrol.screening import Rulebook, load_rulebook, screen

from .conftest import make_listing


@pytest.mark.parametrize(
    "listing",
    [
        make_listing(None),
        make_listing("", None, currency=None),
        make_listing("Nike", None, category=None, description=None),
        make_listing("Gucci " + "高仿 " * 5, "NaN" if False else "1", description="x" * 2_000_000),
        make_listing("\x00\x07Nike\u202e\u200b\ufeff\ud7ff 耐\x1b克", "5"),
        make_listing("Nіke Ｇｕсｃｉ ΝΙΚΕ 耐克 אבג عربي 𠀀𠀁 😀👟", "-3"),
        make_listing("ZL" + "9" * 5000 + ".1 专利号", "1", patent_numbers=["", "ZL", "x" * 10_000]),
        Listing(marketplace="m", listing_id="1", url="", title=12345, price=Decimal("1E+40")),  # type: ignore[arg-type]
    ],
    ids=[
        "no-title",
        "empty",
        "no-price",
        "huge-description",
        "control-chars",
        "mixed-scripts",
        "patent-junk",
        "wrong-types",
    ],
)
def test_odd_listings_are_screened(rulebook: Rulebook, listing: Listing) -> None:
    verdict = screen(listing, rulebook)
    assert verdict.threshold == rulebook.threshold
    assert "engine.error" not in verdict.rule_ids


def test_huge_text_is_cut_to_a_bounded_length(rulebook: Rulebook) -> None:
    tail = "高仿 Nike"
    verdict = screen(make_listing("T恤", "99", description="好" * 50_000 + tail), rulebook)
    assert "slang.replica-strong" not in verdict.rule_ids  # past MAX_FIELD_CHARS


def test_catastrophic_patterns_cannot_hang(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "book.yaml").write_text(
        "schema: 1\nthreshold: 1\nbrands:\n  - id: acme\n    names: {en: Acme}\n"
        "rules:\n  - id: evil\n    kind: phrases\n    weight: 1\n    requires_brand: false\n"
        "    patterns: ['(a+)+$', '(a|aa)+b', '(x+x+)+y']\n",
        encoding="utf-8",
    )
    rulebook = load_rulebook(folder)
    listing = make_listing("a" * 20_000 + "!", "1", description="x" * 20_000)
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(screen(listing, rulebook)), daemon=True)
    worker.start()
    worker.join(timeout=30)  # a backtracking engine would need longer than the universe's age
    assert done, "screening hung on a catastrophic pattern"


def test_patterns_with_backtracking_features_are_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "book.yaml").write_text(
        "schema: 1\nthreshold: 1\nrules:\n  - id: backref\n    kind: phrases\n    weight: 1\n"
        "    patterns: ['(a)\\1', '(?<=x)y']\n",
        encoding="utf-8",
    )
    from patrol.screening import RulebookError

    with pytest.raises(RulebookError, match=r"book.yaml:7: backref: bad regular expression"):
        load_rulebook(folder)
