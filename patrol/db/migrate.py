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
from patrol.db.engine import (
    create_patrol_engine,
    database_error,
    display_url,
    schema_revision,
    sqlite_path,
)
from patrol.errors import PatrolError

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


def upgrade_database(
    url: str | None = None, revision: str = "head", *, make_folder: bool = True
) -> str | None:
    """Create or upgrade the schema at ``url``; returns the revision now current.

    Migrations run in a transaction each; existing rows are kept. The folder of a SQLite
    file is made if missing, unless ``make_folder`` is false (a path the user typed: a
    typo should be reported, not turned into a tree of new folders).
    """
    url = url or config.database_url()
    path = sqlite_path(url)
    if path is not None:
        _sqlite_folder(path, url, make=make_folder)
    engine = create_patrol_engine(url)
    try:
        schema_revision(engine, url)  # a file that is no database: say so, touch nothing
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


def _sqlite_folder(path: Path, url: str, *, make: bool) -> None:
    """Make sure the folder of the SQLite file ``path`` exists (made if ``make``)."""
    folder = path.parent
    if folder.is_dir():
        return
    where = f"database {display_url(url)}"
    if not make or folder.exists():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise PatrolError(f"cannot create {where}: {folder} {what}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PatrolError(
            f"cannot create {where}: folder {folder}: {exc.strerror or exc}"
        ) from None
