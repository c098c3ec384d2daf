"""Many-row INSERTs straight through the DB-API ``executemany``.

At 100,000 listings a patrol store spends most of its time not in the database but in
SQLAlchemy's per-row parameter handling (a dict per row, a bind processor call per value):
about three times the database's own cost on SQLite. Here the statement is written once per
shape, each value is converted by its column's own SQLAlchemy bind processor (so types
behave exactly as through the ORM: timestamps, JSON, Decimal), values equal in every row
(the batch's timestamp, the run id) are converted once, and the rows go to the driver as
tuples via :meth:`sqlalchemy.engine.Connection.exec_driver_sql`. On PostgreSQL a plain
insert (no conflict clause) goes through ``COPY … FROM STDIN`` instead, psycopg's fastest
path, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import Dialect, Table
from sqlalchemy.orm import DeclarativeBase, Session

__all__ = ["insert_many"]

_Processor = Callable[[Any], Any] | None


@cache
def _statement(
    table: Table,
    columns: tuple[str, ...],
    dialect: Dialect,
    conflict: tuple[str, ...],
    conflict_where: str | None,
) -> tuple[str, tuple[_Processor, ...]]:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)})"
        if conflict_where:
            sql += f" WHERE {conflict_where}"
        sql += " DO NOTHING"
    processors = tuple(table.c[name].type.bind_processor(dialect) for name in columns)
    return sql, processors


def insert_many(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    constants: Mapping[str, Any] | None = None,
    conflict: Sequence[str] = (),
    conflict_where: str | None = None,
    known_new: bool = False,
) -> None:
    """INSERT ``rows`` (all with the same keys) plus ``constants`` into ``model``'s table.

    With ``conflict`` the insert is ``ON CONFLICT (…) [WHERE …] DO NOTHING``. ``known_new``
    says the caller knows no row conflicts (it holds the writer lock and has looked): on
    PostgreSQL the rows are then COPYed, and the unique index would still refuse a
    duplicate (the transaction fails and the batch is tried again), never store it twice.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    dialect = connection.dialect
    fixed = dict(constants or {})
    varying = tuple(rows[0])
    columns = (*varying, *fixed)
    sql, processors = _statement(table, columns, dialect, tuple(conflict), conflict_where)
    tail = tuple(
        processor(fixed[name]) if processor else fixed[name]
        for name, processor in zip(fixed, processors[len(varying) :], strict=True)
    )
    heads = processors[: len(varying)]
    if not any(heads):
        params = [(*(row[name] for name in varying), *tail) for row in rows]
    else:
        params = [
            (
                *(
                    processor(row[name]) if processor else row[name]
                    for name, processor in zip(varying, heads, strict=True)
                ),
                *tail,
            )
            for row in rows
        ]
    if dialect.name == "postgresql" and (known_new or not conflict):
        _copy(connection.connection.driver_connection, table.name, columns, dialect, params)
        return
    connection.exec_driver_sql(sql, params)


def _copy(
    driver: Any, table: str, columns: Sequence[str], dialect: Dialect, rows: list[tuple[Any, ...]]
) -> None:
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
