"""What a queue row shows of a lead's verdict: the brands its hits name, read in SQL.

The brand column is computed by the database (``patrol.web.queue._NAMED_BRANDS``, one
per dialect), so both dialects are held to the same answer here: each brand once, in the
order the hits first name it, else the brand the seller declared, and never an error for
a verdict that is not a list.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from patrol.db import Database
from patrol.db.accounts import User
from patrol.db.models import Lead, ListingRow
from patrol.db.store import ListingStore
from patrol.web.queue import QueueQuery, queue_page
from tests.db.fixtures import make_listing

_SUPERVISOR = User(name="sup", full_name="Supervisor", role="supervisor")


def _hit(brand: str | None) -> dict[str, Any]:
    return {"rule_id": f"brand.{brand}", "brand_id": brand, "weight": 0.9, "field": "title"}


@pytest.mark.parametrize(
    ("reasons", "declared", "shown"),
    [
        ([_hit("nike"), _hit("adidas"), _hit("nike"), _hit(None), _hit("")], None, "nike, adidas"),
        ([_hit("gucci")], "Nike", "gucci"),
        ([], "Nike", "Nike"),  # no hit names a brand: the seller's word
        ({"not": "a list"}, "Nike", "Nike"),  # a verdict of another shape is not an error
        ([_hit(None)], None, ""),
    ],
)
def test_a_row_shows_each_named_brand_once_in_order(
    db: Database, reasons: Any, declared: str | None, shown: str
) -> None:
    listing = make_listing("x1", marketplace="taoji", score=0.9)
    listing.brand = declared
    ListingStore(db).store([listing])
    with db.sessions.begin() as session:
        session.execute(update(Lead).values(reasons=reasons))
        assert session.query(ListingRow).one().brand == declared
    with db.sessions() as session:
        page = queue_page(session, QueueQuery(), user=_SUPERVISOR, page_size=10)
    assert [row.brands for row in page.leads] == [shown]
