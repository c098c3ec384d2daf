"""A leads database of a given size, filled fast, for ``patrol bench web``.

A console benchmark needs what months of patrols leave behind — marketplaces, a few
thousand shops, listings with their snapshot and rule hits, leads in every status with
assignees and deadlines (some overdue), cases, and each lead's event trail — without
spending months, or hours: rows are generated from a seeded random source and written by
:func:`patrol.db.bulk.insert_many` (``executemany`` on SQLite, ``COPY`` on PostgreSQL)
with explicit ids, in one transaction, into a database migrated by
:func:`patrol.db.upgrade_database`. Titles mix brands, their look-alike spellings and
ordinary product words, so filters and text columns see realistic variety.
"""

from __future__ import annotations

import logging
import random
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

from patrol.db import open_database
from patrol.db.bulk import insert_many
from patrol.db.models import (
    Case,
    Lead,
    LeadEvent,
    ListingRow,
    ListingSnapshot,
    Marketplace,
    RuleHitRow,
    Shop,
    utcnow,
)
from patrol.screening.verdict import Hit, RegistryRef

__all__ = ["SITES", "Filled", "fill_database"]

logger = logging.getLogger(__name__)

SITES = ("taoji", "kuaigou", "bazaar")
#: brand id → how sellers write it (exact, Chinese, look-alike, split, pinyin)
_BRANDS = {
    "nike": ("Nike", "耐克", "N1KE", "N-I-K-E", "naike"),
    "adidas": ("Adidas", "阿迪达斯", "Adldas", "三叶草"),
    "gucci": ("Gucci", "古驰", "GUCC1", "古奇"),
    "apple": ("Apple", "苹果", "App1e", "iPhone"),
    "chanel": ("Chanel", "香奈儿", "CHANEI", "小香风"),
    "lv": ("Louis Vuitton", "路易威登", "LV", "L.V"),
}
_WORDS = ("运动鞋", "跑步鞋", "T恤", "连帽卫衣", "手提包", "钱包", "耳机", "充电器", "手机壳",
          "Running shoes", "Hoodie", "Handbag", "Sneakers", "Backpack", "Watch strap")  # fmt: skip
_MODIFIERS = ("高仿", "原单", "正品", "同款", "1:1", "工厂直销", "专柜", "尾单", "清仓", "")
_STATUSES = (("new", 40), ("triaged", 20), ("assigned", 15), ("confirmed", 10),
             ("notice_sent", 5), ("closed", 5), ("dismissed", 5))  # fmt: skip
_PATH = {"triaged": 1, "assigned": 2, "confirmed": 3, "notice_sent": 4, "closed": 5}
_FLOW = ("new", "triaged", "assigned", "confirmed", "notice_sent", "closed")
_CHUNK = 10_000


@dataclass(frozen=True)
class Filled:
    leads: int
    lead_ids: range
    officers: tuple[str, ...]


@cache
def _hit(brand: str, spelling: str, start: int) -> dict[str, Any]:
    """A verdict hit as stored in ``leads.reasons`` (cached: a few dozen distinct ones)."""
    path = "exact" if spelling.lower() == brand else f"variant: {spelling}→{brand}"
    return Hit(
        rule_id=f"brand.{brand}",
        weight=0.9,
        field="title",
        text=spelling,
        normalised=brand,
        variant_path=path,
        span=(start, start + len(spelling)),
        brand_id=brand,
        registry=RegistryRef(
            kind="trademark", number=str(zlib.crc32(brand.encode()) % 10**7), office="CN"
        ),
    ).to_dict()


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


_Rows = dict[type[DeclarativeBase], list[dict[str, Any]]]


def fill_database(url: str, leads: int, *, seed: int = 1, officers: int = 20) -> Filled:
    """Write ``leads`` leads (one listing each) and what surrounds them into ``url``."""
    rng = random.Random(seed)
    now = utcnow()
    names = tuple(f"Officer {n:02d}" for n in range(1, officers + 1))
    shops, cases = max(10, leads // 50), max(1, leads // 200)
    tables = _sellers(rng, now, shops, cases, names)
    tables.update({ListingRow: [], ListingSnapshot: [], RuleHitRow: [], Lead: [], LeadEvent: []})
    for n in range(1, leads + 1):
        _one_lead(tables, rng, now, n, shops, cases, names)
    _write(url, tables)
    return Filled(leads=leads, lead_ids=range(1, leads + 1), officers=names)


def _sellers(
    rng: random.Random, now: datetime, shops: int, cases: int, names: Sequence[str]
) -> _Rows:
    """Marketplaces, shops (some with markup in their names) and one case per shop."""
    return {
        Marketplace: [{"id": n + 1, "code": s, "created_at": now} for n, s in enumerate(SITES)],
        Shop: [
            {
                "id": n,
                "marketplace_id": n % len(SITES) + 1,
                "shop_id": f"shop{n}",
                "name": f"{rng.choice(('旗舰店', '专营店', 'Outlet', '小店', '<b>折扣</b>'))} {n}",
                "url": f"http://127.0.0.1/{SITES[n % len(SITES)]}/shop/shop{n}",
                "official": None,
                "first_seen_at": now - timedelta(days=90),
            }
            for n in range(1, shops + 1)
        ],
        Case: [
            {
                "id": n,
                "title": f"{SITES[n % len(SITES)]} shop shop{n}",
                "shop_pk": n,
                "network": None,
                "key_case": n % 10 == 0,
                "officer": names[n % len(names)] if n % 10 == 0 else None,
                "deadline": now + timedelta(days=rng.randint(-5, 30)) if n % 10 == 0 else None,
                "status": "open",
                "created_at": now - timedelta(days=30),
                "updated_at": now - timedelta(days=1),
            }
            for n in range(1, cases + 1)
        ],
    }


_POPULATION = tuple(status for status, weight in _STATUSES for _ in range(weight))


def _one_lead(
    tables: _Rows,
    rng: random.Random,
    now: datetime,
    n: int,
    shops: int,
    cases: int,
    names: Sequence[str],
) -> None:
    """Listing ``n`` with its snapshot and rule hit, its lead and the lead's event trail."""
    brand = rng.choice(tuple(_BRANDS))
    spelling = rng.choice(_BRANDS[brand])
    modifier = rng.choice(_MODIFIERS)
    prefix = f"{modifier} " if modifier else ""
    title = f"{prefix}{spelling} {rng.choice(_WORDS)} {rng.randint(2019, 2026)}款 #{n}"
    shop = rng.randint(1, shops)
    site = (shop - 1) % len(SITES) + 1
    seen = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
    score = round(rng.uniform(0.6, 1.6), 3)
    hit = _hit(brand, spelling, len(prefix))
    tables[ListingRow].append({
        "id": n, "marketplace_id": site, "listing_id": f"L{n}", "shop_pk": shop,
        "url": f"http://127.0.0.1/{SITES[site - 1]}/item/L{n}", "title": title,
        "price": Decimal(rng.randint(990, 99900)) / 100, "currency": "CNY",
        "brand": brand if rng.random() < 0.3 else None, "category": rng.choice(_WORDS),
        "description": f"{title}，包邮，支持验货", "image_urls": [f"http://127.0.0.1/img/L{n}.jpg"],
        "patent_numbers": [], "attributes": {}, "body_sha256": f"{n:064x}",
        "evidence_path": None, "content_hash": f"{n:064x}", "content_fingerprint": None,
        "image_fingerprint": None, "score": score, "flagged": True, "status": "active",
        "first_seen_at": seen, "last_seen_at": seen, "last_run_id": None, "gone_at": None,
    })  # fmt: skip
    tables[ListingSnapshot].append({
        "id": n, "listing_pk": n, "run_id": None, "captured_at": seen,
        "content_hash": f"{n:064x}", "data": {"title": title}, "body_sha256": f"{n:064x}",
        "evidence_path": None, "score": score, "flagged": True,
    })  # fmt: skip
    registry = hit["registry"]["number"]
    tables[RuleHitRow].append({
        "id": n, "snapshot_id": n, "listing_pk": n, "rule_id": hit["rule_id"],
        "weight": hit["weight"], "field": "title", "text": spelling, "normalised": brand,
        "variant_path": hit["variant_path"], "brand_id": brand, "registry_number": registry,
    })  # fmt: skip
    status = rng.choice(_POPULATION)
    worked = status not in ("new", "triaged", "dismissed")
    deadline = seen + timedelta(days=rng.randint(3, 40)) if worked else None
    case_id = shop if shop <= cases and rng.random() < 0.5 else None
    tables[Lead].append({
        "id": n, "listing_pk": n, "marketplace_id": site, "status": status, "score": score,
        "reasons": [hit], "rulebook_version": "bench", "evidence_path": None,
        "assignee": names[n % len(names)] if worked else None, "deadline": deadline,
        "key_case": case_id is not None and case_id % 10 == 0, "case_id": case_id,
        "relisted": False, "relisted_from_lead_id": None,
        "dismiss_reason": "authorised reseller" if status == "dismissed" else None,
        "verified_gone_at": seen if status == "closed" else None, "created_at": seen,
        "updated_at": seen, "closed_at": seen if status in ("closed", "dismissed") else None,
    })  # fmt: skip
    trail = _FLOW[: _PATH.get(status, 0) + 1] if status != "dismissed" else ("new", "dismissed")
    events = tables[LeadEvent]
    for step, (before, after) in enumerate(zip((None, *trail), trail, strict=False)):
        events.append({
            "id": len(events) + 1, "lead_id": n, "at": seen + timedelta(hours=step),
            "actor": "patrol" if step == 0 else names[n % len(names)],
            "action": "flagged" if step == 0 else "status", "from_status": before,
            "to_status": after, "reason": None, "data": {},
        })  # fmt: skip


def _write(url: str, tables: _Rows) -> None:
    database = open_database(url)
    try:
        with database.sessions.begin() as session:
            for model, rows in tables.items():
                for chunk in _chunks(rows):
                    insert_many(session, model, chunk)
            if session.connection().dialect.name == "postgresql":
                for model in tables:  # explicit ids: move each sequence past them
                    name = str(model.__tablename__)
                    top = f"(SELECT max(id) FROM {name})"
                    session.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {top})")
                    )
        # What months of use leave: fresh statistics and, on PostgreSQL, a visibility map
        # (VACUUM, outside a transaction) so that index-only scans stay index-only, and
        # autovacuum does not choose the benchmark's minute to catch up on 100,000 rows;
        # and the fill's write-ahead log written out, so that no checkpoint of it lands in
        # the middle of the measurement either.
        engine = database.engine
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE" if postgresql else "ANALYZE")
            connection.commit()
            if postgresql:
                try:
                    connection.exec_driver_sql("CHECKPOINT")
                except SQLAlchemyError as exc:  # needs superuser or pg_checkpoint
                    logger.info("no CHECKPOINT after the fill: %s", str(exc).splitlines()[0])
        if not postgresql:  # outside any transaction, which SQLAlchemy would begin
            raw = database.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
            finally:
                raw.close()
    finally:
        database.dispose()
