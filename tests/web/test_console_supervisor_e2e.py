"""Acceptance, in real Chromium over a really patrolled database: a supervisor signs in
through the form, assigns a lead, marks a key case with its officer and deadline on the
case page, and downloads the weekly report, which opens as a workbook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    expect,
)
from sqlalchemy import select

from patrol.db import open_database
from patrol.db.models import Case, Lead, utcnow
from patrol.reports.periods import week_period
from tests.web.server import PASSWORD, ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        # the lead page's sandboxed evidence frame is meant to have its loads refused;
        # failed loads are checked by status below (a browser also asks for /favicon.ico)
        text = message.text
        if message.type == "error" and "/leads/" not in tab.url and "Failed to load" not in text:
            problems.append(f"{tab.url}: {text}")

    def check(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.url}: HTTP {response.status}")

    tab.on("console", watch)
    tab.on("response", check)
    yield tab
    context.close()
    assert not problems, problems  # no CSP violation, no script error on the pages here


def test_supervisor_assigns_marks_a_key_case_and_downloads_the_report(
    patrolled_console: ConsoleServer, page: Page, tmp_path: Path
) -> None:
    base = patrolled_console.url
    due = (utcnow() + timedelta(days=14)).date().isoformat()

    # sign in through the form, and land where we were going
    page.goto(f"{base}/cases")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=name]", "wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    expect(page).to_have_url(f"{base}/cases")
    expect(page.locator("header .who")).to_contain_text("Supervisor Wang")

    # a lead: triage it, assign it to Officer Li with a deadline, confirm it
    page.goto(f"{base}/leads")
    first = page.locator("table.leads tbody tr[data-lead]").first
    lead_id = int(first.get_attribute("data-lead") or 0)
    first.locator("td.num a").click()
    expect(page).to_have_url(f"{base}/leads/{lead_id}")
    page.click("form[data-move=triaged] button")
    expect(page.locator("p.flash")).not_to_have_class(re.compile("error"))
    assign = page.locator("form.assign")
    assign.locator("select[name=assignee]").select_option("li")
    assign.locator("input[name=due]").fill(due)
    assign.locator("button[type=submit]").click()
    expect(page.locator("p.flash")).not_to_have_class(re.compile("error"))
    expect(page.locator("main")).to_contain_text("Officer Li")
    page.click("form[data-move=confirmed] button")
    expect(page.locator("p.flash")).not_to_have_class(re.compile("error"))

    # the lead's shop gets a case; the case becomes a key case of Officer Zhao
    database = open_database(patrolled_console.config.database_url)
    with database.sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.listing.shop is not None
        assert (lead.status, lead.assignee) == ("confirmed", "Officer Li")
        assert lead.deadline is not None and lead.deadline.date().isoformat() == due
        shop_pk = lead.listing.shop.id
    page.goto(f"{base}/cases")
    page.click("a#new-case")
    page.select_option("form select[name=shop]", str(shop_pk))
    page.click("text=Open the shop's case")
    expect(page).to_have_url(re.compile(rf"{base}/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(f"#case-leads tr[data-lead='{lead_id}']")).to_be_visible()
    form = page.locator("#key-case-form")
    form.locator("select[name=officer]").select_option("zhao")
    form.locator("input[name=due]").fill(due)
    form.locator("input[name=reason]").fill("repeat seller, many listings")
    form.locator("button[type=submit]").click()
    expect(page.locator("p.flash")).to_contain_text(f"Case #{case_id} is a key case: Officer Zhao")
    expect(page.locator("#case-officer")).to_have_text("Officer Zhao")
    expect(page.locator("#case-deadline")).to_contain_text(due)
    with database.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.key_case and case.officer == "Officer Zhao"
        assert all(lead.key_case for lead in case.leads)
        assert lead_id in {
            lead.id for lead in session.scalars(select(Lead).where(Lead.case_id == case_id))
        }
    database.dispose()
    page.goto(f"{base}/cases")
    expect(page.locator("table#cases tbody tr").first).to_have_attribute("data-case", str(case_id))

    # this week's report, in Chinese: on the page, then as a workbook
    week = week_period().label
    page.goto(f"{base}/reports")
    page.fill("input[name=week]", week)
    page.select_option("select[name=lang]", "zh")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#report-table-2")).to_contain_text(f"#{case_id}")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename == f"weekly-{week}-zh.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames == ["综述", "违规店铺处置", "案件进展"]
    cases = [str(row[0].value) for row in book["案件进展"].iter_rows(min_row=2)]
    assert any(value.startswith(f"#{case_id} ") for value in cases)
    handled = [row for row in book["违规店铺处置"].iter_rows(min_row=2, values_only=True)]
    assert any(row[4] == "确认侵权" for row in handled)
