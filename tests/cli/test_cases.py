"""`patrol cases`: cases group leads; key cases carry an officer and a deadline, overdue
ones listed first; every grouping is logged on the leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Case, Lead, LeadEvent
from tests.cli.invoke import Invoke
from tests.cli.seed import seed_world


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_cases_group_leads_and_key_cases_list_overdue_first(db: Database, patrol: Invoke) -> None:
    leads = seed_world(db)
    result = patrol("cases", "create", "--shop", "taoji:s1", "--actor", "amy")
    assert result.exit_code == 0, result.output
    assert "case #1 open with 2 lead(s)" in result.output
    result = patrol("cases", "create", "--title", "Network <b>X</b>", "--network", "x-net")
    assert "case #2 open with 0 lead(s)" in result.output
    assert patrol("cases", "add", "2", str(leads["3"]), str(leads["h0"])).exit_code == 0
    result = patrol("cases", "key", "2", "--officer", "officer.li", "--due", _future(5))
    assert result.exit_code == 0, result.output
    assert (
        patrol("cases", "key", "1", "--officer", "officer.wang", "--due", _future(9)).exit_code == 0
    )

    with db.sessions.begin() as session:  # case 1's deadline passes
        session.get_one(Case, 1).deadline = datetime.now(UTC) - timedelta(days=1)
        keyed = session.scalars(select(Lead.id).where(Lead.key_case.is_(True))).all()
        events = session.scalars(
            select(LeadEvent.action).where(LeadEvent.lead_id == leads["1"]).order_by(LeadEvent.id)
        ).all()
    assert sorted(keyed) == sorted([leads["1"], leads["2"], leads["3"], leads["h0"]])
    assert events == ["flagged", "case", "key_case"]

    result = patrol("cases", "list", "--key")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "officer." in line]
    assert "officer.wang" in rows[0] and "overdue" in rows[0]
    assert "officer.li" in rows[1] and "overdue" not in rows[1]
    assert "Network <b>X</b>" in result.output  # shown as text, not markup

    result = patrol("cases", "show", "2")
    assert result.exit_code == 0 and "key case" in result.output
    assert "Listing 3" in result.output and "bazaar" in result.output


def test_case_errors_are_one_line_exit_2(db: Database, patrol: Invoke) -> None:
    leads = seed_world(db)
    patrol("cases", "create", "--title", "A case")
    cases = [
        (("cases", "show", "99"), "no case #99"),
        (("cases", "create"), "give either --shop"),
        (("cases", "create", "--shop", "taoji"), "expects SITE:SHOP_ID"),
        (("cases", "create", "--shop", "taoji:nosuch"), "no shop 'nosuch'"),
        (("cases", "key", "1", "--officer", "li", "--due", "2020-01-01"), "in the past"),
        (("cases", "key", "1", "--officer", " ", "--due", _future(3)), "responsible officer"),
        (("cases", "add", "1", "9999"), "no lead #9999"),
        (("cases", "add", "7", str(leads["1"])), "no case #7"),
    ]
    for args, message in cases:
        result = patrol(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("Error: ") and message in result.output, args
        assert result.output.count("\n") == 1
    with db.sessions() as session:
        assert session.get_one(Case, 1).key_case is False
