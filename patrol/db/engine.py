"""Opening the database: one engine and session factory per URL, schema checked first.

SQLite is the embedded default and is shared by several patrol processes at once, so every
connection gets WAL (readers never block the writer), a busy timeout (a writer waits for
the other instead of failing), foreign keys, and ``BEGIN IMMEDIATE`` transactions: a
transaction takes the write lock when it starts, so two processes never both read, then
both try to upgrade to a write and fail with "database is locked".

A database that is missing, locked or of an older schema is reported as a
:class:`~patrol.errors.PatrolError` naming the URL and what to do; nothing is created or
altered behind the user's back (only ``patrol db upgrade`` changes the schema).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DisconnectionError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from patrol import config
from patrol.errors import PatrolError

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "Database",
    "busy_timeout",
    "check_schema_current",
    "create_patrol_engine",
    "database_error",
    "database_errors",
    "display_url",
    "open_database",
    "parse_url",
    "schema_revision",
    "sqlite_path",
]

logger = logging.getLogger(__name__)

_BEGIN_OPTION = "patrol_sqlite_begin"  # execution option: how a SQLite transaction begins
SQLITE_BUSY_TIMEOUT_S = 30.0  # PATROL_SQLITE_BUSY_TIMEOUT (seconds) overrides it
#: SQLite takes its busy timeout as a C int of milliseconds
MAX_BUSY_TIMEOUT_S = (2**31 - 1) // 1000
#: a URL's password, for hiding it in a URL too broken for SQLAlchemy to parse
_PASSWORD = re.compile(r"(://[^:/@]*:).*@")  # up to the last @: a password may hold one


def busy_timeout() -> float:
    """How long a SQLite writer waits for another one before giving up, in seconds."""
    configured = os.environ.get("PATROL_SQLITE_BUSY_TIMEOUT")
    if not configured:
        return SQLITE_BUSY_TIMEOUT_S
    try:
        seconds = float(configured)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds > MAX_BUSY_TIMEOUT_S:
        raise PatrolError(
            f"PATROL_SQLITE_BUSY_TIMEOUT must be a number of seconds from 0 to "
            f"{MAX_BUSY_TIMEOUT_S}, not {configured!r}"
        )
    return max(0.0, seconds)  # a negative wait is no wait


@dataclass(frozen=True)
class Database:
    """An open database: the engine and session factories.

    ``with db.sessions.begin() as s:`` for anything that writes. ``db.read_sessions`` is
    for long reads (exports, reports): on SQLite its transactions do not take the write
    lock, so a patrol writing at the same time is not kept waiting (same as ``sessions``
    on PostgreSQL).
    """

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_dumps(value: Any) -> str:
    if not value and isinstance(value, list | dict):  # most listings: no patents, no extras
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


def parse_url(url: str) -> URL:
    """``url`` parsed, or a :class:`PatrolError` naming it (password hidden).

    SQLAlchemy raises ``ArgumentError`` for text that is no URL at all, but a plain
    ``ValueError`` for a bad port or an unclosed ``[`` of an IPv6 host.
    """
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise PatrolError(f"not a database URL: {display_url(url)} ({exc})") from None


def create_patrol_engine(url: str, *, server_threads: int | None = None) -> Engine:
    """An engine with the SQLite pragmas described above (PostgreSQL as configured).

    ``server_threads``: the engine of a long-running server (``patrol web``) that works
    on that many requests at once. It keeps that many connections open — a connection
    closed when given back is a new one for the next request, and a new SQLite
    connection starts with an empty page cache and parses the schema again — and, on
    PostgreSQL, lets psycopg prepare the statements it sends again and again, because
    planning them anew costs as much as running them. Its connections are recycled
    hourly, so no plan outlives a database that has grown since.
    """
    parsed = parse_url(url)
    # JSON columns hold listing fields as they are: Decimal prices, datetimes
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps}
    if server_threads is not None:
        kwargs.update(pool_size=server_threads, max_overflow=server_threads, pool_recycle=3600)
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout()}
    else:
        # a server pings only connections that sat idle (see _ping_when_idle)
        kwargs["pool_pre_ping"] = server_threads is None
        if (
            parsed.get_backend_name() == "postgresql"
            and parsed.get_driver_name() == "psycopg"
            and server_threads is None
        ):
            # No server-side prepared statements: their generic plans are made once, from
            # the statistics of a table still nearly empty at the start of a patrol, and
            # then scan the whole table for every batch lookup as it grows.
            kwargs["connect_args"] = {"prepare_threshold": None}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, ValueError, TypeError) as exc:
        raise PatrolError(f"cannot use database {display_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif server_threads is not None:
        _ping_when_idle(engine)
    return engine


#: a server's pooled connection unused this long is pinged before it is handed out
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection on checkout only if it sat in the pool for a while.

    ``pool_pre_ping`` costs a round trip on every checkout — one of a console page's four.
    A connection given back a moment ago is as alive as the ping would prove; one that
    waited through a quiet spell (or a database restart) is pinged, and a dead one is
    replaced before any request sees it (SQLAlchemy's pessimistic disconnect handling:
    ``DisconnectionError`` from a checkout listener makes the pool retry).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any driver error means: not this connection
            raise DisconnectionError(f"idle connection did not answer a ping: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    timeout_ms = int(busy_timeout() * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # a stored lead survives a power cut
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def sqlite_path(url: str) -> Path | None:
    """The file of a file-backed SQLite URL, else None."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def open_database(
    url: str | None = None, *, check_schema: bool = True, server_threads: int | None = None
) -> Database:
    """Open the database at ``url`` (default :func:`patrol.config.database_url`).

    With ``check_schema`` the schema must be at the current migration, else a
    :class:`PatrolError` says to run ``patrol db upgrade``. ``server_threads``: see
    :func:`create_patrol_engine`.
    """
    url = url or config.database_url()
    path = sqlite_path(url)
    if check_schema and path is not None and not path.exists():
        raise PatrolError(
            f"no database at {path}: run `patrol db upgrade` to create it "
            "(or set PATROL_DATABASE_URL)"
        )
    engine = create_patrol_engine(url, server_threads=server_threads)
    if check_schema:
        try:
            check_schema_current(engine, url)
        except BaseException:
            engine.dispose()
            raise
    return Database(
        url=url,
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        read_sessions=sessionmaker(
            engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}), expire_on_commit=False
        ),
    )


def check_schema_current(engine: Engine, url: str) -> None:
    """Raise :class:`PatrolError` unless the schema is at the newest migration."""
    from patrol.db.migrate import head_revision

    revision = schema_revision(engine, url)
    head = head_revision()
    if revision is None:
        raise PatrolError(
            f"database {display_url(url)} has no Listing Patrol schema: "
            "run `patrol db upgrade` to create it"
        )
    if revision != head:
        raise PatrolError(
            f"database {display_url(url)} has schema revision {revision}, this version needs "
            f"{head}: run `patrol db upgrade` (existing data is kept)"
        )


def schema_revision(engine: Engine, url: str) -> str | None:
    """The schema's migration (None: no Listing Patrol schema), or a :class:`PatrolError`
    if the database cannot be read at all.

    Besides a locked or unreachable database (``OperationalError``), a file that is not a
    database ("file is not a database") is a plain ``DatabaseError``; only reads happen
    here, so no error of a bug in a write is hidden by catching it.
    """
    from patrol.db.migrate import current_revision

    try:
        with engine.connect() as connection:
            has_version = inspect(connection).has_table("alembic_version")
            return current_revision(connection) if has_version else None
    except DatabaseError as exc:
        raise database_error(url, exc) from None


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a driver error (locked, unreachable) inside the block into a PatrolError.

    The transaction the error interrupted has been rolled back, so what was stored
    before it is untouched.
    """
    try:
        yield
    except OperationalError as exc:
        raise database_error(url, exc) from None


def database_error(url: str, exc: SQLAlchemyError) -> PatrolError:
    """A one-line message for a driver error (locked, unreachable, missing database)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "locked" in detail or "busy" in detail:
        return PatrolError(
            f"database {display_url(url)} is locked by another process "
            f"(waited {busy_timeout():g}s); nothing was changed, try again"
        )
    return PatrolError(f"cannot open database {display_url(url)}: {detail}")
