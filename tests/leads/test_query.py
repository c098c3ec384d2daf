"""How a lead filter's statuses reach the database: written out only when they are the
workflow's own words, so that a prepared statement can be planned once — anything else
is a bound parameter, however it is spelt. And what its brand and rule filters mean: a
hit of the listing's latest snapshot, the verdict the lead carries now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from patrol.db import Database
from patrol.db.models import Lead, ListingRow, ListingSnapshot, RuleHitRow
from patrol.db.store import ListingStore
from patrol.leads.query import LeadFilter, find_leads, status_in
from patrol.screening.verdict import Verdict
from tests.db.fixtures import make_listing, make_verdict


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


def _patrolled_twice(db: Database) -> dict[str, int]:
    """Four listings flagged for nike, then patrolled again with three of them edited:
    ``to-adidas`` now hits only adidas, ``to-clean`` hits nothing (its lead stays open),
    ``retitled`` still hits nike; ``same`` is unchanged. Their leads by listing id."""
    ListingStore(db).store(
        [make_listing(n, score=0.9) for n in ("to-adidas", "to-clean", "retitled", "same")]
    )
    to_adidas = make_listing("to-adidas", title="Adidas Superstar", score=0.9)
    to_adidas.verdict = make_verdict(0.9, brand="adidas")
    to_clean = make_listing("to-clean", title="Plain running shoes")
    to_clean.verdict = Verdict(score=0.0, flagged=False, threshold=0.6)
    retitled = make_listing("retitled", title="Nike Air, new title", score=0.8)
    ListingStore(db).store([to_adidas, to_clean, retitled, make_listing("same", score=0.9)])
    with db.sessions() as session:
        rows = session.execute(
            select(ListingRow.listing_id, Lead.id).join(Lead, Lead.listing_pk == ListingRow.id)
        )
        leads = {listing_id: lead_id for listing_id, lead_id in rows}
        # the first patrol's nike hits are still stored: only the newest snapshot differs
        old_nike = session.scalar(
            select(func.count(func.distinct(RuleHitRow.listing_pk))).where(
                RuleHitRow.brand_id == "nike"
            )
        )
        snapshots = session.scalar(select(func.count(ListingSnapshot.id)))
    assert old_nike == 4 and snapshots == 7
    assert set(leads) == {"to-adidas", "to-clean", "retitled", "same"}
    return leads


def _found(db: Database, **filters: Any) -> set[int]:
    with db.sessions() as session:
        return {lead.id for lead in find_leads(session, LeadFilter(**filters))}


def test_brand_and_rule_filters_follow_the_latest_snapshot(db: Database) -> None:
    leads = _patrolled_twice(db)
    nike = {leads["retitled"], leads["same"]}
    assert _found(db, brand="nike") == nike
    assert _found(db, rule="brand.nike") == nike
    assert _found(db, brand="adidas") == {leads["to-adidas"]}
    assert _found(db, rule="brand.adidas") == {leads["to-adidas"]}
    assert _found(db, brand="nike", rule="brand.adidas") == set()
    assert _found(db, brand="adidas", statuses=("new",)) == {leads["to-adidas"]}
