"""Opening the database: missing, older schema, locked, unreachable → one clear line, no loss."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from patrol.cli import cli
from patrol.db import Database, open_database, upgrade_database
from patrol.db.migrate import head_revision
from patrol.db.models import ListingRow
from patrol.db.store import ListingStore
from patrol.errors import PatrolError
from tests.db.fixtures import make_listing

ST66 = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "st66"


def test_missing_sqlite_database_is_reported_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["registry", "search", "nike"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: no database at ")
    assert "patrol db upgrade" in result.output
    assert not (tmp_path / "var" / "patrol.db").exists()

    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"schema revision {head_revision()}" in result.output
    again = CliRunner().invoke(cli, ["db", "upgrade"])  # idempotent
    assert again.exit_code == 0
    status = CliRunner().invoke(cli, ["db", "status"])
    assert "schema current" in status.output and "listings: 0" in status.output


def test_older_or_foreign_schema_is_reported_and_data_kept(db: Database) -> None:
    ListingStore(db).store([make_listing("1"), make_listing("2")])
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(
        PatrolError, match=rf"schema revision 0000, this version needs {head_revision()}"
    ):
        open_database(db.url)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    with pytest.raises(PatrolError, match=r"has no Listing Patrol schema: run `patrol db upgrade`"):
        open_database(db.url)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ListingRow)) == 2


@pytest.mark.postgres
def test_unreachable_postgresql_database_is_one_line(pg_session_url: str) -> None:
    url = pg_session_url.rsplit("/", 1)[0] + "/patrol_no_such_database"
    with pytest.raises(PatrolError, match=r"cannot open database postgresql\+psycopg://"):
        open_database(url)


def test_locked_sqlite_database_gives_a_clear_message_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_HOME", str(tmp_path))
    monkeypatch.setenv("PATROL_SQLITE_BUSY_TIMEOUT", "0.2")
    path = tmp_path / "var" / "patrol.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PATROL_DATABASE_URL", url)
    upgrade_database(url)
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["registry", "import", str(ST66 / "rn2178784-ST66.xml")]).exit_code == 0
    )

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = runner.invoke(cli, ["registry", "import", str(ST66 / "sn76044902-ST66.xml")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert "is locked by another process (waited 0.2s); nothing was changed" in result.output
    found = runner.invoke(cli, ["registry", "search", "java"])
    assert "JAVA" in found.output  # what was stored before is still there
    assert runner.invoke(cli, ["registry", "search", "python"]).output.startswith("nothing found")


def test_a_long_read_does_not_keep_a_patrol_waiting(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_SQLITE_BUSY_TIMEOUT", "0.2")
    reader, writer = open_database(db_url), open_database(db_url)
    try:
        with reader.read_sessions() as session:
            assert session.scalar(select(func.count()).select_from(ListingRow)) == 0
            ListingStore(writer).store([make_listing("1")])  # would time out if blocked
            assert session.in_transaction()
        with reader.read_sessions() as session:
            assert session.scalar(select(func.count()).select_from(ListingRow)) == 1
    finally:
        reader.dispose()
        writer.dispose()


@pytest.mark.postgres
def test_a_server_replaces_a_connection_that_died_while_idle(
    pg_session_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console's pool pings only connections that sat idle; a dead one is replaced."""
    from patrol.db import engine as engine_module

    database = open_database(pg_session_url, server_threads=1)
    pid = "SELECT pg_backend_pid()"
    try:
        with database.engine.connect() as connection:
            first = connection.scalar(text(pid))
        with database.engine.connect() as connection:  # just given back: not pinged
            assert connection.scalar(text(pid)) == first
        admin = open_database(pg_session_url)
        with admin.engine.connect() as connection:  # the database drops it while idle
            assert connection.scalar(text(f"SELECT pg_terminate_backend({first})"))
        admin.dispose()
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
        with database.engine.connect() as connection:  # idle "long enough": pinged, replaced
            second = connection.scalar(text(pid))
        assert second != first
    finally:
        database.dispose()
