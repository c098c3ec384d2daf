"""The weekly and monthly reports: totals equal the database's counts for the period,
headers in either language, listing text escaped in HTML and neutralised in sheets."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, update

from patrol.db import Database
from patrol.db.models import Case, Lead, LeadEvent, ListingRow
from patrol.leads import workflow
from patrol.leads.cases import case_for_shop, mark_key_case
from patrol.reports.tables import HANDLED_STATUSES
from tests.cli.invoke import Invoke
from tests.cli.seed import seed_world, when

WEEK_START, WEEK_END = when(23, 0), when(30, 0)  # 2026-W48


def _walk(db: Database, lead_id: int, steps: list[tuple[str, datetime]]) -> None:
    with db.sessions.begin() as session:
        lead = workflow.get_lead(session, lead_id)
        for status, at in steps:
            if status == "assigned":
                workflow.assign(session, lead, "officer.li", deadline=None, actor="t", at=at)
            elif status == "closed":
                workflow.verify_gone(session, lead, gone_at=at, reason="gone", actor="patrol")
            else:
                workflow.transition(session, lead, status, actor="t", reason="r", at=at)


def _world(db: Database) -> None:
    leads = seed_world(db)
    with db.sessions.begin() as session:  # the patrol found them early in W48, not today
        session.execute(update(Lead).values(created_at=when(23, 1)))
    path = ["triaged", "assigned", "confirmed"]
    _walk(db, leads["1"], [(s, when(23, 9 + i)) for i, s in enumerate(path)])
    _walk(db, leads["1"], [("notice_sent", when(25))])
    _walk(db, leads["3"], [(s, when(26, 9 + i)) for i, s in enumerate(path)])
    _walk(db, leads["h0"], [(s, when(27, 9 + i)) for i, s in enumerate(path)])
    _walk(db, leads["h0"], [("notice_sent", when(27, 15)), ("closed", when(28, 8))])
    _walk(db, leads["h1"], [(s, when(24, 9 + i)) for i, s in enumerate(path)])
    # the week before: not in W48's report
    _walk(db, leads["2"], [(s, when(16, 9 + i)) for i, s in enumerate(path)])
    _walk(
        db,
        leads["h2"],
        [
            ("triaged", when(29, 23)),
            (
                "dismissed",
                when(
                    30,
                    0,
                ),
            ),
        ],
    )
    with db.sessions.begin() as session:
        case = case_for_shop(session, "taoji", "s1", actor="t")
        mark_key_case(
            session, case, officer="officer.wang", deadline=when(20), actor="t"
        )  # overdue
        case.created_at = when(22)
        other = case_for_shop(session, "taoji", "evil-shop", actor="t")
        other.title = "<script>alert('case')</script> network"
        other.created_at = when(22)  # opened in W48, whatever today's date is
        session.add(
            Case(title="closed long ago", status="closed", created_at=when(1), updated_at=when(2))
        )


def _db_counts(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        handled = (
            select(LeadEvent.lead_id)
            .where(LeadEvent.at >= WEEK_START, LeadEvent.at < WEEK_END)
            .where(LeadEvent.to_status.in_(HANDLED_STATUSES))
        )
        sub = handled.subquery()
        leads = session.scalar(select(func.count(func.distinct(sub.c.lead_id))))
        shops = session.scalar(
            select(func.count(func.distinct(ListingRow.shop_pk)))
            .join(Lead, Lead.listing_pk == ListingRow.id)
            .where(Lead.id.in_(handled))
        )
        per_status = {
            status: session.scalar(
                select(func.count(func.distinct(LeadEvent.lead_id))).where(
                    LeadEvent.at >= WEEK_START,
                    LeadEvent.at < WEEK_END,
                    LeadEvent.to_status == status,
                )
            )
            for status in HANDLED_STATUSES
        }
        open_cases = session.scalar(select(func.count()).where(Case.status == "open"))
    return {
        "leads": int(leads or 0),
        "shops": int(shops or 0),
        "cases": int(open_cases or 0),
        **{k: int(v or 0) for k, v in per_status.items()},
    }


def _totals(sheet) -> dict[str, object]:  # type: ignore[no-untyped-def]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    blank = rows.index([None] * len(rows[0]))
    return {row[0]: row[1] for row in rows[blank + 1 :]}


def test_weekly_xlsx_totals_equal_the_database(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    _world(db)
    expected = _db_counts(db)
    assert expected == {
        "leads": 4,
        "shops": 3,
        "cases": 2,
        "confirmed": 4,
        "notice_sent": 2,
        "closed": 1,
    }
    out = tmp_path / "w48.xlsx"
    result = patrol("report", "weekly", "--week", "2026-W48", "--lang", "en", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    shops = book["Shops handled"]
    assert shops.freeze_panes == "A2"
    header = [c.value for c in shops[1]]
    assert header[:6] == ["Platform", "Shop", "Shop URL", "Violation type", "Action taken", "Date"]
    totals = _totals(shops)
    assert totals["Shops handled"] == expected["shops"]
    assert totals["Listings handled"] == expected["leads"]
    assert totals["infringement confirmed"] == expected["confirmed"]
    assert totals["takedown notice sent"] == expected["notice_sent"]
    assert totals["taken down (verified)"] == expected["closed"]
    body = [[c.value for c in row] for row in shops.iter_rows(min_row=2, max_row=1 + 7)]
    assert [
        "taoji",
        "Shop s1",
        None,
        "trademark (nike)",
        "takedown notice sent",
        datetime(2026, 11, 25),
        1,
    ] in body
    assert all(not str(row[1]).startswith("=") for row in body if row[1])  # neutralised shop

    cases = book["Case progress"]
    case_rows = [[c.value for c in row] for row in cases.iter_rows(min_row=2, max_row=3)]
    key = case_rows[0]
    assert key[0].startswith("#") and key[3] == "officer.wang" and key[5] == "open, overdue"
    assert key[8] == "yes" and key[7] == 2
    case_totals = _totals(cases)
    assert case_totals["Cases"] == expected["cases"]
    assert (case_totals["Key cases"], case_totals["Overdue cases"]) == (1, 1)


def test_weekly_csv_in_chinese_and_html_escapes(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    _world(db)
    out = tmp_path / "w48.csv"
    result = patrol("report", "weekly", "--week", "2026-W48", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == ["网络巡查周报 2026-W48"]
    assert ["平台", "店铺", "店铺网址", "违法类型", "处置措施", "日期", "链接数"] in rows
    assert ["处置店铺数", "3"] in rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    html = tmp_path / "w48.html"
    result = patrol(
        "report",
        "weekly",
        "--week",
        "2026-W48",
        "--format",
        "html",
        "--lang",
        "en",
        "--out",
        str(html),
    )
    assert result.exit_code == 0, result.output
    page = html.read_text("utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;case&#39;)&lt;/script&gt; network" in page
    assert "=cmd shop evil-shop" in page  # HTML shows raw text (escaped), no formula issue


def test_default_output_goes_to_var_reports(db: Database, patrol: Invoke) -> None:
    _world(db)
    result = patrol("report", "weekly", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    from patrol import config

    assert (config.var_dir() / "reports" / "weekly-2026-W48-zh.xlsx").is_file()


def test_monthly_report_has_summary_and_the_months_tables(
    db: Database, patrol: Invoke, tmp_path: Path
) -> None:
    _world(db)
    out = tmp_path / "nov.xlsx"
    result = patrol("report", "monthly", "--month", "2026-11", "--lang", "en", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    summary = [c.value for c in book["Summary"]["A"]]
    assert summary[0] == "Monthly patrol report 2026-11"
    text = " ".join(str(s) for s in summary)
    assert "shops handled" in text and "Top brands: nike" in text
    assert "Key cases: #" in text and "officer.wang" in text
    totals = _totals(book["Shops handled"])
    assert totals["Listings handled"] == 5  # W48's four and lead 2 of the week before
    assert totals["Shops handled"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weekly", "--week", "2026-W54"), "no week 2026-W54"),
        (("weekly", "--week", "2026-48"), "bad week"),
        (("monthly", "--month", "2026-13"), "bad month"),
    ],
)
def test_bad_periods_are_one_line_errors(db: Database, patrol: Invoke, args, message) -> None:  # type: ignore[no-untyped-def]
    result = patrol("report", *args)
    assert (
        result.exit_code == 2 and result.output.startswith("Error: ") and message in result.output
    )
    assert result.output.count("\n") == 1


def test_week_53_exists_only_in_long_years() -> None:
    from patrol.reports.periods import week_period

    assert week_period("2026-W53").start == datetime(2026, 12, 28, tzinfo=UTC)
    assert week_period("2026-W48").end - week_period("2026-W48").start == timedelta(days=7)
