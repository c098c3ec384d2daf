"""Database fixtures shared by the database, registry, leads and pipeline tests.

``db_url`` is parametrised over SQLite and PostgreSQL, so every test that uses it runs on
both. Each pytest session (each xdist worker) creates its own PostgreSQL database
``patrol_test_<random>`` on 127.0.0.1:5432 and drops it at the end; each test starts from
an empty, freshly migrated schema (a copied SQLite file, or truncated PostgreSQL tables).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from patrol.db import Database, open_database, upgrade_database
from patrol.db.migrate import head_revision
from patrol.db.models import Base
from patrol.items import Listing
from patrol.screening.verdict import Hit, RegistryRef, Verdict

PG_ADMIN = "host=127.0.0.1 port=5432 dbname=test"
PG_ROLES = ("postgres", "root")


def _pg_role() -> str:
    errors = []
    for role in PG_ROLES:
        try:
            with psycopg.connect(f"{PG_ADMIN} user={role}", connect_timeout=5):
                return role
        except psycopg.OperationalError as exc:
            errors.append(f"{role}: {exc}")
    raise RuntimeError("PostgreSQL on 127.0.0.1:5432 is not reachable: " + "; ".join(errors))


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    role = _pg_role()
    name = f"patrol_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_ADMIN} user={role}", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{role}@127.0.0.1:5432/{name}"
    upgrade_database(url)
    yield url
    with psycopg.connect(f"{PG_ADMIN} user={role}", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "patrol.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A URL of an empty, migrated database; also set as ``PATROL_DATABASE_URL``."""
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    if request.param == "sqlite":
        path = tmp_path / "var" / "patrol.db"
        path.parent.mkdir(parents=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_session_url")
        db = open_database(url, check_schema=False)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # a test may have tampered with the schema version: put it back
            connection.execute(text("DELETE FROM alembic_version"))
            connection.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                {"head": head_revision()},
            )
        db.dispose()
    monkeypatch.setenv("PATROL_DATABASE_URL", url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def make_verdict(score: float, *, threshold: float = 0.6, brand: str = "nike") -> Verdict:
    hit = Hit(
        rule_id=f"brand.{brand}",
        weight=score,
        field="title",
        text=brand.upper(),
        normalised=brand,
        variant_path=f"exact: {brand}",
        span=(0, len(brand)),
        brand_id=brand,
        registry=RegistryRef(kind="trademark", number="123", office="US", nice_classes=("025",)),
    )
    return Verdict(score=score, flagged=score >= threshold, threshold=threshold, hits=(hit,))


def make_listing(
    listing_id: str,
    *,
    marketplace: str = "shopmall",
    title: str | None = None,
    score: float | None = None,
    shop_id: str = "shop-1",
    images: list[str] | None = None,
    description: str | None = None,
) -> Listing:
    return Listing(
        marketplace=marketplace,
        listing_id=listing_id,
        url=f"http://127.0.0.1/{marketplace}/item/{listing_id}",
        title=title if title is not None else f"Listing {listing_id}",
        price=Decimal("19.90"),
        currency="CNY",
        description=description if description is not None else f"description {listing_id}",
        shop_id=shop_id,
        shop_name=f"Shop {shop_id}",
        image_urls=images if images is not None else [f"http://127.0.0.1/img/{listing_id}.jpg"],
        fetched_at=datetime.now(UTC),
        verdict=make_verdict(score) if score is not None else None,
    )
