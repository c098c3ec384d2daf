"""Exports open with csv/openpyxl/json and hold what the database holds, row for row,
with hostile titles neutralised in the spreadsheet formats and raw in JSON."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import select

from patrol.db import Database
from patrol.db.models import Lead
from patrol.exports.cells import FORMULA_TRIGGERS
from tests.cli.invoke import Invoke
from tests.cli.seed import HOSTILE_TITLES, seed_world


def _db_leads(db: Database) -> list[Lead]:
    with db.sessions() as session:
        leads = list(session.scalars(select(Lead).order_by(Lead.id)))
        for lead in leads:
            _ = lead.listing.shop, lead.listing.marketplace
        return leads


def _spreadsheet_text(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _prepare(db: Database) -> list[Lead]:
    leads = seed_world(db)
    with db.sessions.begin() as session:
        lead = session.get(Lead, leads["1"])
        assert lead is not None
        lead.assignee = "officer.li"
        lead.deadline = datetime(2027, 1, 15, 17, 30, tzinfo=UTC)
    return _db_leads(db)


def test_csv_export_matches_the_database_row_for_row(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    leads = _prepare(db)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "leads.csv"
    result = patrol("export", "leads", "--format", "csv", "--bom", "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(leads) == 10
    titles = set()
    for row, lead in zip(rows, leads, strict=True):
        listing = lead.listing
        assert row["Lead"] == str(lead.id)
        assert row["Status"] == lead.status
        assert float(row["Score"]) == lead.score
        assert row["Listing URL"] == listing.url
        assert row["Marketplace"] == listing.marketplace.code
        assert row["Title"] == _spreadsheet_text(listing.title)
        assert row["Shop"] == _spreadsheet_text(listing.shop.name if listing.shop else "")
        assert Decimal(row["Price"]) == listing.price
        assert row["Rule ids"] == "brand.nike"
        assert row["Registry numbers"] == "US 123"
        assert row["Assignee"] == (lead.assignee or "")
        titles.add(row["Title"])
        for value in row.values():  # no cell a spreadsheet would run
            assert not value.startswith(FORMULA_TRIGGERS)
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    deadline_row = next(r for r in rows if r["Assignee"] == "officer.li")
    assert deadline_row["Deadline (UTC)"] == "2027-01-15T17:30:00+00:00"
    assert deadline_row["Evidence sha256"] == ""
    hostile = next(r for r in rows if r["Listing id"] == "h0")
    assert hostile["Evidence sha256"] == "ab" * 32
    captured = datetime.fromisoformat(hostile["Evidence fetched (UTC)"])
    assert abs(captured - datetime.now(UTC)) < timedelta(minutes=5)  # the snapshot's time
    assert [p.name for p in out.parent.iterdir()] == ["leads.csv"]  # no temporary left over


def test_xlsx_export_has_real_numbers_dates_and_neutralised_text(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    leads = _prepare(db)
    out = tmp_path / "leads.xlsx"
    result = patrol("export", "leads", "--format", "xlsx", "--out", str(out), "--site", "taoji")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    taoji = [lead for lead in leads if lead.listing.marketplace.code == "taoji"]
    assert [row["Lead"] for row in rows] == [lead.id for lead in taoji]
    for row, lead in zip(rows, taoji, strict=True):
        assert isinstance(row["Score"], float) and row["Score"] == lead.score
        assert (
            isinstance(row["Price"], int | float)
            and Decimal(str(row["Price"])) == lead.listing.price
        )
        expected = _spreadsheet_text(lead.listing.title)
        assert row["Title"] == expected
        assert isinstance(row["Created (UTC)"], datetime)
        assert abs(row["Created (UTC)"] - lead.created_at.replace(tzinfo=None)) < timedelta(
            seconds=1
        )
    with_deadline = next(row for row in rows if row["Assignee"] == "officer.li")
    assert with_deadline["Deadline (UTC)"] == datetime(2027, 1, 15, 17, 30)
    assert sheet.column_dimensions["F"].width > 20  # the URL column is wide enough to read


def test_json_export_keeps_raw_text_and_lists(db: Database, patrol: Invoke, tmp_path: Path) -> None:
    leads = _prepare(db)
    out = tmp_path / "leads.json"
    result = patrol("export", "leads", "--format", "json", "--out", str(out), "--min-score", "0.9")
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text("utf-8"))
    expected = [lead for lead in leads if lead.score >= 0.9]
    assert [r["lead_id"] for r in records] == [lead.id for lead in expected]
    assert {r["title"] for r in records} >= set(HOSTILE_TITLES)
    assert all(r["rule_ids"] == ["brand.nike"] for r in records)


def test_unwritable_output_is_one_line_exit_2(db: Database, patrol: Invoke, tmp_path: Path) -> None:
    _prepare(db)
    for out, message in (
        (tmp_path / "missing" / "leads.csv", "does not exist"),
        (tmp_path, "it is a folder"),
    ):
        result = patrol("export", "leads", "--out", str(out))
        assert result.exit_code == 2, result.output
        assert result.output.startswith("Error: cannot write") and message in result.output
    assert not (tmp_path / "missing").exists()
