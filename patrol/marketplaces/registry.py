"""The fixture world's registries: trademarks, patents and authorised sellers.

FIXTURE DATA. The marks are real brand names held by their real owners so that screening
rules read naturally, but every application and registration number, date and patent here
is generated; none is a real registration. The goods text of every record says so.
"""

from __future__ import annotations

import csv
import functools
import random
from datetime import date
from pathlib import Path

from patrol.marketplaces import catalogue
from patrol.marketplaces.patents import patent_pool
from patrol.marketplaces.population import SITES
from patrol.marketplaces.shops import shop_directory
from patrol.registry.csvfiles import COLUMNS
from patrol.registry.records import (
    AuthorisedSeller,
    PatentRecord,
    RegistrySnapshot,
    TrademarkRecord,
)

__all__ = ["fixture_registry", "write_registry_csv"]

_CLASS_GOODS = {
    "003": "cosmetics; perfumery; skin care preparations",
    "005": "dietary supplements",
    "007": "vacuum cleaners",
    "009": "smartphones; computers; headphones; cameras; spectacles; sunglasses",
    "011": "hair dryers; lighting and heating apparatus",
    "014": "jewellery; watches; horological instruments",
    "018": "handbags; wallets; leather goods; luggage",
    "021": "household utensils",
    "025": "clothing; footwear; headgear",
    "028": "toys; games; playthings",
    "030": "grain products",
    "031": "fresh fruits",
    "033": "alcoholic beverages except beer",
    "034": "lighters for smokers",
    "042": "software design and development",
}


def _trademarks(seed: int) -> list[TrademarkRecord]:
    rng = random.Random(f"trademarks:{seed}")
    out: list[TrademarkRecord] = []
    for b in catalogue.brands():
        goods = "[fixture] " + "; ".join(_CLASS_GOODS.get(c, f"class {c} goods") for c in b.nice)
        marks = [("CN", b.en.upper()), ("US", b.en.upper())]
        if b.has_chinese_name:
            marks.insert(1, ("CN", b.zh))
        for office, mark in marks:
            applied = date(rng.randint(1985, 2012), rng.randint(1, 12), rng.randint(1, 28))
            registered = date(applied.year + rng.randint(1, 2), applied.month, applied.day)
            if office == "CN":
                app_no = str(rng.randint(1_000_000, 39_999_999))
                reg_no = app_no
            else:
                app_no = str(rng.randint(73_000_000, 90_999_999))
                reg_no = str(rng.randint(1_000_000, 6_999_999))
            out.append(
                TrademarkRecord(
                    office=office,
                    mark=mark,
                    application_number=app_no,
                    registration_number=reg_no,
                    application_date=applied,
                    registration_date=registered,
                    status="registered",
                    nice_classes=tuple(b.nice),
                    goods=goods,
                    holder=b.holder,
                )
            )
    return out


@functools.cache
def fixture_registry(seed: int = 1) -> RegistrySnapshot:
    """The fixture world's registry for ``seed`` (the same seed as the marketplaces)."""
    patents = tuple(
        PatentRecord(
            number=p.number,
            kind=p.kind,
            title=p.title,
            holder=p.holder,
            filing_date=p.filing_date,
            status=p.status,
            expiry=p.expiry,
        )
        for p in patent_pool(seed)
    )
    sellers: list[AuthorisedSeller] = []
    for site in SITES:
        shops = shop_directory(site, seed)
        for brand_id, shop in shops.official.items():
            sellers.append(AuthorisedSeller(site, shop.id, brand_id, "official"))
        for brand_id, dealers in shops.authorised.items():
            sellers.extend(AuthorisedSeller(site, s.id, brand_id, "authorised") for s in dealers)
    return RegistrySnapshot(
        trademarks=tuple(_trademarks(seed)),
        patents=patents,
        authorised_sellers=tuple(sellers),
    )


# File name and registry kind (its columns are the importer's, ``COLUMNS[kind]``).
_FILES = {
    "trademarks.csv": "trademarks",
    "patents.csv": "patents",
    "authorised_sellers.csv": "sellers",
}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)  # Nice classes
    return str(value)


def write_registry_csv(out_dir: Path, seed: int = 1) -> list[Path]:
    """Write ``trademarks.csv``, ``patents.csv`` and ``authorised_sellers.csv``."""
    snapshot = fixture_registry(seed)
    records: dict[str, tuple[object, ...]] = {
        "trademarks": snapshot.trademarks,
        "patents": snapshot.patents,
        "sellers": snapshot.authorised_sellers,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, kind in _FILES.items():
        columns = COLUMNS[kind]
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows([_cell(getattr(r, c)) for c in columns] for r in records[kind])
        written.append(path)
    return written
