"""The fixture registry agrees with the fixture marketplaces it describes."""

from __future__ import annotations

from patrol.marketplaces import fixture_listings, fixture_registry
from patrol.marketplaces.catalogue import brands
from patrol.marketplaces.patents import cn_check_digit


def test_every_brand_has_trademarks_with_nice_classes() -> None:
    registry = fixture_registry(3)
    holders = {t.holder for t in registry.trademarks}
    for brand in brands():
        assert brand.holder in holders
    for mark in registry.trademarks:
        assert mark.nice_classes and all(len(c) == 3 and c.isdigit() for c in mark.nice_classes)
        assert mark.goods and mark.goods.startswith("[fixture]")
    assert {"CN", "US"} == {t.office for t in registry.trademarks}
    assert any(t.mark == "耐克" for t in registry.trademarks)


def test_cn_patents_carry_valid_check_digits() -> None:
    registry = fixture_registry(3)
    cn = [p for p in registry.patents if p.number.startswith("CN")]
    assert cn
    for patent in cn:
        digits, check = patent.number[2:14], patent.number[15]
        assert cn_check_digit(digits) == check
        assert digits[4] == {"invention": "1", "utility_model": "2", "design": "3"}[patent.kind]
    assert {p.status for p in registry.patents} == {"in_force", "expired"}


def test_official_and_authorised_shops_are_registered() -> None:
    registry = fixture_registry(3)
    allowed = {(s.marketplace, s.shop_id, s.brand_id): s.kind for s in registry.authorised_sellers}
    for site in ("taoji", "kuaigou", "bazaar"):
        for item in fixture_listings(site, 3, 1500):
            key = (site, item.shop.id, item.target_brand)
            if item.kind == "genuine_official":
                assert allowed.get(key) == "official"
            elif item.kind == "genuine_authorised":
                assert allowed.get(key) == "authorised"
            elif item.expect == "flag":
                assert key not in allowed
    assert {s.brand_id for s in registry.authorised_sellers} >= {
        "nike",
        "louis-vuitton",
        "kweichow-moutai",
    }
