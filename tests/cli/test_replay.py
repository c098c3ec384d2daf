"""`patrol rules replay`: the diff a changed rulebook makes, shown before anything is
written; `--apply` makes it so through the lead workflow (actor `replay`)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from patrol.config import default_rules_dir
from patrol.db import Database
from patrol.db.models import Lead, LeadEvent, ListingRow
from patrol.db.store import ListingStore
from patrol.items import Listing
from patrol.leads import workflow
from patrol.screening import load_rulebook, screen
from tests.cli.invoke import Invoke

TITLES = {
    "a": ("Nike Air Max 90 高仿 1:1 莆田", "99"),  # flags strongly
    "b": ("耐克 同款 跑鞋", "59"),  # flags
    "c": ("Nike Air Zoom Pegasus running shoes", "899"),  # a plain mention: 0.3
    "d": ("Plain cotton socks 5 pairs", "19"),  # nothing
}


def _store(db: Database) -> dict[str, int]:
    rulebook = load_rulebook()
    items = []
    for listing_id, (title, price) in TITLES.items():
        listing = Listing(
            marketplace="taoji", listing_id=listing_id, url=f"http://127.0.0.1:8401/item/{listing_id}.html",
            title=title, price=Decimal(price), currency="CNY", category="运动鞋", shop_id="s1",
        )  # fmt: skip
        listing.verdict = screen(listing, rulebook)
        items.append(listing)
    ListingStore(db).store(items)
    with db.sessions() as session:
        rows = session.execute(
            select(ListingRow.listing_id, Lead.id).join(Lead, Lead.listing_pk == ListingRow.id)
        )
        return {listing_id: lead_id for listing_id, lead_id in rows}


def _rules(tmp_path: Path, name: str, threshold: str) -> Path:
    target = tmp_path / name
    shutil.copytree(default_rules_dir(), target)
    main = target / "rulebook.yaml"
    text = main.read_text("utf-8")
    assert "threshold: 1.0" in text
    main.write_text(text.replace("threshold: 1.0", f"threshold: {threshold}"), "utf-8")
    return target


def _snapshot(db: Database) -> tuple[int, list[tuple[int, str, float]]]:
    with db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(LeadEvent)) or 0
        leads = session.execute(select(Lead.id, Lead.status, Lead.score).order_by(Lead.id))
        return events, [tuple(row) for row in leads]  # type: ignore[misc]


def test_a_stricter_rulebook_unflags_leads_only_with_apply(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    leads = _store(db)
    assert set(leads) == {"a", "b"}
    with db.sessions.begin() as session:  # someone is working on lead a
        lead = workflow.get_lead(session, leads["a"])
        workflow.transition(session, lead, "triaged", actor="amy")
        workflow.assign(session, lead, "officer.li", deadline=None, actor="amy")
    before = _snapshot(db)
    strict = _rules(tmp_path, "strict", "5.0")

    result = patrol("rules", "replay", "--rules", str(strict))
    assert result.exit_code == 0, result.output
    assert "4 listing(s) screened" in result.output
    assert "0 would be filed as new leads" in result.output
    assert "2 open leads would no longer flag" in result.output
    assert "nothing written" in result.output
    assert _snapshot(db) == before  # shown, not written

    result = patrol("rules", "replay", "--rules", str(strict), "--apply")
    assert result.exit_code == 0, result.output
    assert "1 dismissed, 1 noted" in result.output
    with db.sessions() as session:
        a = session.get_one(Lead, leads["a"])
        b = session.get_one(Lead, leads["b"])
        assert a.status == "assigned"  # a person is acting on it: only a note
        assert b.status == "dismissed" and "no longer flags" in (b.dismiss_reason or "")
        assert [(e.actor, e.action) for e in a.events][-1] == ("replay", "unflagged")
        assert [(e.actor, e.action, e.to_status) for e in b.events][-1] == (
            "replay", "status", "dismissed",
        )  # fmt: skip
        flagged = {
            k: v for k, v in session.execute(select(ListingRow.listing_id, ListingRow.flagged))
        }
    assert flagged == {"a": False, "b": False, "c": False, "d": False}


def test_a_looser_rulebook_files_new_leads_with_apply(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    leads = _store(db)
    loose = _rules(tmp_path, "loose", "0.25")
    result = patrol("rules", "replay", "--rules", str(loose))
    assert result.exit_code == 0, result.output
    assert "1 would be filed as new leads" in result.output
    assert "Nike Air Zoom Pegasus" in result.output and "0.30 → 0.30" in result.output
    assert "0 open leads would no longer flag" in result.output
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == len(leads)

    result = patrol("rules", "replay", "--rules", str(loose), "--apply")
    assert "1 lead(s) filed" in result.output
    with db.sessions() as session:
        new = session.scalars(
            select(Lead)
            .join(ListingRow, ListingRow.id == Lead.listing_pk)
            .where(ListingRow.listing_id == "c")
        ).one()
        assert (new.status, new.score) == ("new", 0.3)
        assert [(e.actor, e.action, e.to_status) for e in new.events] == [
            ("replay", "flagged", "new")
        ]
        assert new.reasons and new.reasons[0]["rule_id"] == "brand.mention"
    # replaying the same rulebook again changes nothing more
    result = patrol("rules", "replay", "--rules", str(loose))
    assert "0 would be filed as new leads" in result.output


def test_a_broken_rulebook_is_a_one_line_error(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    _store(db)
    broken = _rules(tmp_path, "broken", "1.0")
    (broken / "rulebook.yaml").write_text("schema: 1\nthreshold: [\n", "utf-8")
    before = _snapshot(db)
    result = patrol("rules", "replay", "--rules", str(broken), "--apply")
    assert result.exit_code == 2 and result.output.startswith("Error: ")
    assert "rulebook.yaml" in result.output
    assert _snapshot(db) == before
