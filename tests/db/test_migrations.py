"""The migrations: at head they build exactly the models' schema, and they carry data.

Each test runs on SQLite and on PostgreSQL, in a database of its own (a migration test
changes the schema, which the shared test databases must not see).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from patrol.bench.webfill import fill_database
from patrol.db import upgrade_database
from patrol.db.migrate import alembic_config
from patrol.db.models import Base
from patrol.distributed.services import temporary_database
from tests.db.fixtures import PG_ADMIN, _pg_role


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
        upgrade_database(url)
        yield url
        return
    with temporary_database(f"{PG_ADMIN} user={_pg_role()}") as url:
        yield url


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)
    engine.dispose()


def test_head_schema_is_the_models_schema(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; PostgreSQL compares them too
        warnings.simplefilter("ignore")
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_leads_get_their_listing_marketplace_on_upgrade(fresh_url: str) -> None:
    fill_database(fresh_url, 120)
    _migrate(fresh_url, "0002", down=True)  # as a database made before 0003 holds them
    engine = create_engine(fresh_url)
    with engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM leads LIMIT 1")).keys()
    assert "marketplace_id" not in columns
    _migrate(fresh_url, "head")
    with engine.connect() as connection:
        pairs = connection.execute(
            text(
                "SELECT leads.marketplace_id, listings.marketplace_id FROM leads "
                "JOIN listings ON listings.id = leads.listing_pk"
            )
        ).all()
    engine.dispose()
    assert len(pairs) == 120
    assert all(lead == listing for lead, listing in pairs)
    assert {lead for lead, _ in pairs} == {1, 2, 3}  # the three sites of the fill
