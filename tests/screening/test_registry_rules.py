"""Registry knowledge: marks and Nice classes, authorised sellers, patents, repeat offenders."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from patrol.registry.records import (
    AuthorisedSeller,
    PatentRecord,
    RegistrySnapshot,
    TrademarkRecord,
)
from patrol.screening import Rulebook, load_rulebook, screen

from .conftest import RULES, make_listing

REGISTRY = RegistrySnapshot(
    trademarks=(
        TrademarkRecord(
            office="CN",
            mark="NIKE",
            registration_number="8803398",
            nice_classes=("025", "018"),
            status="registered",
            holder="Nike Innovate C.V.",
        ),
        TrademarkRecord(
            office="US", mark="ACMEWIDGET", registration_number="123", nice_classes=("009",)
        ),
    ),
    patents=(
        PatentRecord(
            "CN201510123456.1",
            "invention",
            "吹风机",
            "Dyson Technology Limited",
            None,
            "in_force",
            date(2035, 1, 1),
        ),
        PatentRecord(
            "CN201210123456.8",
            "invention",
            "风扇",
            "Dyson Technology Limited",
            None,
            "in_force",
            date(2022, 1, 1),
        ),
        PatentRecord("US9876543", "invention", "Earbud", "Apple Inc.", None, "lapsed", None),
    ),
    authorised_sellers=(AuthorisedSeller("taoji", "nike-flagship", "nike", "official"),),
    repeat_offenders=frozenset({("taoji", "shop-42")}),
)


@pytest.fixture(scope="module")
def with_registry() -> Rulebook:
    return load_rulebook(RULES, REGISTRY)


def test_a_mention_rests_on_the_registered_mark_for_its_class(with_registry: Rulebook) -> None:
    verdict = screen(make_listing("Nike Air Max 90", "899", category="运动鞋"), with_registry)
    (hit,) = [h for h in verdict.hits if h.rule_id == "brand.mention"]
    assert hit.registry is not None
    assert (hit.registry.office, hit.registry.number) == ("CN", "8803398")
    assert "025" in hit.registry.nice_classes


def test_the_authorised_shop_sells_the_brand(with_registry: Rulebook, rulebook: Rulebook) -> None:
    listing = make_listing("Nike Air Max 90 清仓", "99", category="运动鞋", shop_id="nike-flagship")
    assert screen(listing, rulebook).flagged  # without the registry: cheap Nike
    verdict = screen(listing, with_registry)
    assert not verdict.flagged and "shop.authorised" in verdict.rule_ids
    elsewhere = make_listing(
        "Nike Air Max 90 清仓",
        "99",
        category="运动鞋",
        shop_id="nike-flagship",
        marketplace="bazaar",
    )
    assert screen(elsewhere, with_registry).flagged  # the authority is per marketplace


def test_a_shop_claiming_to_be_official(rulebook: Rulebook) -> None:
    fake = make_listing(
        "Nike Air Force 1", "799", category="运动鞋", shop_name="耐克官方旗舰店直营"
    )
    verdict = screen(fake, rulebook)
    assert "shop.false-official" in verdict.rule_ids
    badge = make_listing(
        "Nike Air Force 1", "799", category="运动鞋", shop_name="耐克官方旗舰店", shop_official=True
    )
    assert "shop.false-official" not in screen(badge, rulebook).rule_ids


def test_repeat_offender(with_registry: Rulebook) -> None:
    verdict = screen(
        make_listing("Gucci 同款 腰带", "199", category="服装", shop_id="shop-42"), with_registry
    )
    assert "shop.repeat-offender" in verdict.rule_ids


@pytest.mark.parametrize(
    ("text", "rule", "problem"),
    [
        ("专利号 ZL201510123456.9", "patent.invalid", "check digit 9 is wrong"),
        ("专利号 ZL201310999999.0", "patent.unknown", "not in the registry"),
        ("专利号 ZL201210123456.8", "patent.expired", "expired on 2022-01-01"),
        ("US Pat. No. 9,876,543", "patent.expired", "lapsed"),
        ("专利号 ZL201510123456.1", "patent.other-holder", "held by Dyson Technology Limited"),
    ],
)
def test_patent_marks(with_registry: Rulebook, text: str, rule: str, problem: str) -> None:
    listing = make_listing(
        "负离子吹风机",
        "199",
        category="家用电器",
        description=text,
        brand="美凯/Meikai",
        fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    verdict = screen(listing, with_registry)
    hits = [h for h in verdict.hits if h.rule_id == rule]
    assert hits and problem in hits[0].explanation
    assert verdict.flagged


def test_the_holders_own_patent_is_fine(with_registry: Rulebook) -> None:
    listing = make_listing(
        "戴森 Dyson Supersonic 吹风机",
        "3299",
        category="家用电器",
        patent_numbers=["ZL 2015 1 0123456.1"],
    )
    verdict = screen(listing, with_registry)
    assert not [h for h in verdict.hits if h.rule_id.startswith("patent.")]
    assert not verdict.flagged


def test_registry_marks_add_classes(with_registry: Rulebook) -> None:
    nike = next(b for b in with_registry.brands if b.id == "nike")
    assert {"025", "018"} <= nike.nice_classes
    assert any(mark.number == "8803398" for mark in nike.marks)
