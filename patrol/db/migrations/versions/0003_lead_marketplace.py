"""a lead's marketplace, in the queue indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The console's site filter was an EXISTS on the lead's listing, checked for every lead the
queue index offered: about 870 listing lookups to find fifty leads of one site. A listing
never changes marketplace (it is half of its natural key), so the lead keeps a copy of it,
and every queue index ends with it: the site is then a filter inside the index that picks
the page, and the count needs no join.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_LEADS = sa.text("status IN ('new', 'triaged', 'assigned', 'confirmed', 'notice_sent')")
_URGENCY: list[sa.TextClause | str] = [
    sa.text("(deadline IS NULL)"), "deadline", sa.text("score DESC"), "id", "listing_pk"
]  # fmt: skip
#: queue index → its columns before this revision (``status`` first, except the open one)
_QUEUE_INDEXES: dict[str, list[sa.TextClause | str]] = {
    "ix_leads_queue_urgency": ["status", *_URGENCY],
    "ix_leads_queue_score": ["status", "score", "id", "listing_pk"],
    "ix_leads_queue_newest": ["status", "created_at", "id", "listing_pk"],
    "ix_leads_queue_updated": ["status", "updated_at", "id", "listing_pk"],
    "ix_leads_open_urgency": _URGENCY,
}


def _create_queue_indexes(extra: list[str]) -> None:
    for name, columns in _QUEUE_INDEXES.items():
        where = _OPEN_LEADS if name == "ix_leads_open_urgency" else None
        op.create_index(
            name, "leads", [*columns, *extra], sqlite_where=where, postgresql_where=where
        )


def _drop_queue_indexes() -> None:
    for name in _QUEUE_INDEXES:
        op.drop_index(name, table_name="leads")


def upgrade() -> None:
    op.add_column("leads", sa.Column("marketplace_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE leads SET marketplace_id = "
        "(SELECT listings.marketplace_id FROM listings WHERE listings.id = leads.listing_pk)"
    )
    _drop_queue_indexes()
    with op.batch_alter_table("leads") as batch_op:
        batch_op.alter_column("marketplace_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_leads_marketplace_id", "marketplaces", ["marketplace_id"], ["id"]
        )
    _create_queue_indexes(["marketplace_id"])


def downgrade() -> None:
    _drop_queue_indexes()
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_constraint("fk_leads_marketplace_id", type_="foreignkey")
        batch_op.drop_column("marketplace_id")
    _create_queue_indexes([])
