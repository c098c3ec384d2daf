"""How a lead filter's statuses reach the database: written out only when they are the
workflow's own words, so that a prepared statement can be planned once — anything else
is a bound parameter, however it is spelt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from patrol.db import Database
from patrol.db.models import Lead
from patrol.leads.query import status_in


def _sent(db: Database, statuses: list[str]) -> tuple[str, Any, list[int]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.sessions() as session:
            found = list(session.scalars(select(Lead.id).where(status_in(statuses, written=True))))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = next((s, p) for s, p in seen if "leads.status IN" in s)
    return statement, parameters, found


def test_workflow_statuses_are_written_into_the_statement(db: Database) -> None:
    statement, parameters, found = _sent(db, ["new", "assigned"])
    assert "IN ('new', 'assigned')" in statement
    assert not parameters
    assert found == []


def test_other_statuses_stay_parameters(db: Database) -> None:
    hostile = "new') OR ('1' = '1"
    statement, parameters, found = _sent(db, ["new", hostile])
    assert hostile not in statement
    assert hostile in (parameters.values() if isinstance(parameters, dict) else parameters)
    assert found == []
