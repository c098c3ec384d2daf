"""Two patrol processes writing to one database at once (SQLite and PostgreSQL):
every listing stored once, every lead once, no event lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patrol.db import Database
from patrol.db.models import Lead, LeadEvent, ListingRow, ListingSnapshot
from patrol.db.store import ListingStore
from tests.db.fixtures import make_listing

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_processes_store_every_listing_and_lead_once(db: Database) -> None:
    ListingStore(db).store([make_listing(f"seed-{i}", score=0.9) for i in range(40)])
    start_at = time.time() + 2.0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.db.writer_process",
                db.url,
                ranges,
                parity,
                str(start_at),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # the 200 shared listings come first in both, so the two write them at the same time
        for ranges, parity in (("200-400,0-200", "0"), ("200-400,400-600", "1"))
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    for writer, (_out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err[-3000:]
    new_listings, new_leads = (sum(int(out.split()[i]) for out, _ in outputs) for i in (0, 1))
    assert new_listings == 600  # each listing was new to exactly one of the two
    assert new_leads == 200

    with db.sessions() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(ListingRow) == 640
        assert count(ListingSnapshot) == 640  # same content seen twice: one snapshot
        assert count(Lead) == 240
        per_listing = session.execute(
            select(Lead.listing_pk, func.count()).group_by(Lead.listing_pk).having(func.count() > 1)
        ).all()
        assert per_listing == []
        flagged = session.execute(
            select(LeadEvent.lead_id, func.count())
            .where(LeadEvent.action == "flagged")
            .group_by(LeadEvent.lead_id)
        ).all()
        assert len(flagged) == 240 and {n for _, n in flagged} == {1}
        seeded = session.scalars(
            select(Lead).join(ListingRow).where(ListingRow.listing_id.like("seed-%"))
        ).all()
        assert {lead.status for lead in seeded} == {"triaged"}
        for lead in seeded:
            assert [e.action for e in lead.events] == ["flagged", "status"]
            assert lead.events[1].actor == f"writer-{lead.id % 2}"
        assert count(LeadEvent) == 240 + 40
