"""The weekly report page and its downloads: totals equal SQL, files open, bad weeks 400."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from parsel import Selector, SelectorList
from sqlalchemy import func, select

from patrol.db import Database, open_database
from patrol.db.models import Case, Lead, LeadEvent, ListingRow, Marketplace, Shop, utcnow
from patrol.leads.cases import case_for_shop, mark_key_case
from patrol.leads.workflow import assign, transition
from patrol.reports.periods import week_period
from tests.cli.seed import seed_world
from tests.web.pages import signed_in
from tests.web.server import ConsoleServer, sign_in

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
HOSTILE_CASE = '=HYPERLINK("http://evil.example")<script>x</script>'


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, tzinfo=UTC)


@pytest.fixture
def reported(console: ConsoleServer) -> Iterator[Database]:
    """Leads handled in week 48 (and one the week after), and cases opened before it."""
    database = open_database(console.config.database_url)
    seed_world(database)
    with database.sessions.begin() as session:
        leads = list(session.scalars(select(Lead).order_by(Lead.id)))
        for number, lead in enumerate(leads):
            day = 24 + number % 4 if number < len(leads) - 1 else 30  # the last: next week
            transition(session, lead, "triaged", actor="li", at=_at(day))
            assign(session, lead, "Officer Li", deadline=None, actor="wang", at=_at(day))
            transition(session, lead, "confirmed", actor="li", at=_at(day))
            if number % 2:
                transition(session, lead, "notice_sent", actor="li", at=_at(day))
        for shop, site in (("s1", "taoji"), ("evil-shop", "taoji")):
            case = case_for_shop(session, site, shop, actor="wang")
            case.created_at = _at(20)
        case.title = HOSTILE_CASE
        mark_key_case(session, case, officer="Officer Zhao", deadline=_at(27), actor="wang")
        case.updated_at = _at(25)
    yield database
    database.dispose()


def _expected(database: Database) -> dict[str, int]:
    period = week_period(WEEK)
    with database.sessions() as session:
        handled = (
            select(Lead.id, Marketplace.code, Shop.shop_id, LeadEvent.to_status)
            .join(LeadEvent, LeadEvent.lead_id == Lead.id)
            .join(ListingRow, ListingRow.id == Lead.listing_pk)
            .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
            .join(Shop, Shop.id == ListingRow.shop_pk)
            .where(LeadEvent.at >= period.start, LeadEvent.at < period.end)
            .where(LeadEvent.to_status.in_(("confirmed", "notice_sent", "closed")))
        ).subquery()
        shops = session.scalar(
            select(func.count()).select_from(
                select(handled.c.code, handled.c.shop_id).distinct().subquery()
            )
        )
        listings = session.scalar(select(func.count(func.distinct(handled.c.id))))
        cases = session.scalar(select(func.count()).where(Case.created_at < period.end))
        key = session.scalar(select(func.count()).where(Case.key_case.is_(True)))
        case_leads = session.scalar(select(func.count()).where(Lead.case_id.is_not(None)))
        actions = session.scalar(
            select(func.count()).select_from(
                select(handled.c.code, handled.c.shop_id, handled.c.to_status).distinct().subquery()
            )
        )
        moment = min(utcnow(), period.end)
        overdue = session.scalar(
            select(func.count()).where(Case.status == "open", Case.deadline < moment)
        )
    counts = {"shops": shops, "listings": listings, "cases": cases, "key": key,
              "case_leads": case_leads, "actions": actions, "overdue": overdue}  # fmt: skip
    return {name: int(value or 0) for name, value in counts.items()}


def _totals(section: SelectorList[Selector]) -> dict[str, str]:
    rows = section.css("table.totals tr")
    return {r.css("th::text").get(""): r.css("td::text").get("") for r in rows}


def test_report_totals_equal_sql(console: ConsoleServer, reported: Database) -> None:
    expected = _expected(reported)
    assert expected["shops"] == 3 and expected["cases"] == 2  # the fixture did what it says
    with signed_in(console, "wang") as client:
        page = client.get("/reports", params={"week": WEEK, "lang": "en"})
    assert page.status_code == 200
    html = Selector(text=page.text)
    shops, cases = (_totals(html.css(f"#report-table-{n}")) for n in (1, 2))
    assert shops["Shops handled"] == str(expected["shops"])
    assert shops["Listings handled"] == str(expected["listings"])
    assert cases["Cases"] == str(expected["cases"])
    assert cases["Key cases"] == str(expected["key"])
    assert cases["Leads in cases"] == str(expected["case_leads"])
    assert cases["Overdue cases"] == str(expected["overdue"])
    assert len(html.css("#report-table-1 table:not(.totals) tbody tr")) == expected["actions"]
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text


def test_xlsx_download_opens_with_the_same_tables(
    console: ConsoleServer, reported: Database
) -> None:
    with signed_in(console, "wang") as client:
        page = client.get("/reports", params={"week": WEEK, "lang": "zh"})
        download = client.get("/reports/weekly.xlsx", params={"week": WEEK, "lang": "zh"})
    assert download.status_code == 200
    assert (
        download.headers["content-disposition"] == f'attachment; filename="weekly-{WEEK}-zh.xlsx"'
    )
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["综述", "违规店铺处置", "案件进展"]
    html = Selector(text=page.text)
    for number, sheet_name in ((1, "违规店铺处置"), (2, "案件进展")):
        sheet = book[sheet_name]
        section = html.css(f"#report-table-{number}")
        headers = section.css("table:not(.totals) thead th::text").getall()
        assert [c.value for c in sheet[1]] == headers
        body = section.css("table:not(.totals) tbody tr")
        totals = {
            str(row[0].value): str(row[1].value)
            for row in sheet.iter_rows(min_row=len(body) + 3)
            if row[0].value is not None
        }
        assert totals == _totals(section)
        assert sheet.max_row == len(body) + 2 + len(totals)
    cells = [c.value for row in book["案件进展"].iter_rows() for c in row if c.value]
    assert any(str(v).startswith("#") and "HYPERLINK" in str(v) for v in cells)
    shops = [c.value for row in book["违规店铺处置"].iter_rows() for c in row]
    assert "'=cmd shop evil-shop" in shops  # neutralised, not a formula


def test_csv_download(console: ConsoleServer, reported: Database) -> None:
    with signed_in(console, "wang") as client:
        download = client.get("/reports/weekly.csv", params={"week": WEEK, "lang": "en"})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="weekly-{WEEK}-en.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == [f"Weekly patrol report {WEEK}"]
    assert ["Shops handled", str(_expected(reported)["shops"])] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_default_week_is_the_last_full_week(console: ConsoleServer) -> None:
    last = week_period(None, today=(utcnow() - timedelta(days=7)).date())
    with signed_in(console, "wang") as client:
        page = client.get("/reports")
    assert page.status_code == 200
    assert f'name="week" value="{last.label}"' in page.text
    assert f"/reports/weekly.xlsx?week={last.label}&amp;lang=zh" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"week": "2026-W99"}, "no week 2026-W99"),
        ({"week": "0001-W01"}, "the year must be 1970 to 2999"),  # its week before: no date
        ({"week": "9999-W52"}, "the year must be 1970 to 2999"),  # its week after: none
        ({"week": "../../etc/passwd"}, "bad week"),
        ({"week": "2026-W48", "lang": "fr"}, "bad language"),
        ({"week": "<script>"}, "bad week &#39;&lt;script&gt;&#39;"),
    ],
)
def test_bad_week_or_language_is_a_clear_400(
    console: ConsoleServer, query: dict[str, str], message: str
) -> None:
    with signed_in(console, "wang") as client:
        for path in ("/reports", "/reports/weekly.xlsx", "/reports/weekly.csv"):
            answer = client.get(path, params=query)
            assert answer.status_code == 400, path
            assert message in answer.text
            assert "content-disposition" not in answer.headers


def test_reports_are_for_supervisors(console: ConsoleServer) -> None:
    with console.client() as client:
        sign_in(client, "li")
        for path in (
            "/reports",
            f"/reports/weekly.xlsx?week={WEEK}",
            f"/reports/weekly.csv?week={WEEK}",
        ):
            assert client.get(path).status_code == 403
