"""Alembic, driven from code: the migrations ship inside the package.

No ``alembic.ini`` on disk: the configuration is built here, so ``patrol db upgrade``
works from any directory and from an installed wheel.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from patrol import config
from patrol.db.engine import create_patrol_engine, database_error, sqlite_path

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade_database"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url()).replace("%", "%%"))
    return cfg


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(url: str | None = None, revision: str = "head") -> str | None:
    """Create or upgrade the schema at ``url``; returns the revision now current.

    Migrations run in a transaction each; existing rows are kept.
    """
    url = url or config.database_url()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_patrol_engine(url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
        with engine.connect() as connection:
            return current_revision(connection)
    except OperationalError as exc:
        raise database_error(url, exc) from None
    finally:
        engine.dispose()
