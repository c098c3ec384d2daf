"""In real Chromium: the queue's bulk dismiss asks first, naming how many leads it would
dismiss, and a supervisor who says no has dismissed nothing; bulk assign asks nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from patrol.db import Database
from tests.web.leadworld import LeadWorld, build_world, status_of
from tests.web.server import PASSWORD, ConsoleServer

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(db: Database, console: ConsoleServer) -> LeadWorld:
    return build_world(db)


@pytest.fixture
def page(browser: Browser, console: ConsoleServer) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.goto(f"{console.url}/login")
    tab.fill("input[name=name]", "wang")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form.login button[type=submit]")
    expect(tab.locator("header .who")).to_contain_text("Supervisor Wang")
    yield tab
    context.close()


def tick(page: Page, *lead_ids: int) -> None:
    for lead_id in lead_ids:
        page.check(f"input[name=lead][value='{lead_id}']")


def test_bulk_dismiss_asks_first_and_no_means_no(
    page: Page, console: ConsoleServer, db: Database, world: LeadWorld
) -> None:
    chosen = [world["t1"], world["t4"]]
    asked: list[str] = []
    answer = {"accept": False}

    def reply(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", reply)
    page.goto(f"{console.url}/leads")
    tick(page, *chosen)
    page.fill("input[name=dismiss_reason]", "official store")
    page.click("button[name=action][value=dismiss]")
    assert asked == ["Dismiss 2 selected lead(s) as no case?"]
    assert [status_of(db, i) for i in chosen] == ["new", "assigned"]  # said no: nothing done

    answer["accept"] = True
    page.click("button[name=action][value=dismiss]")
    expect(page.locator("p.flash")).to_contain_text("2 lead(s) dismissed")
    assert [status_of(db, i) for i in chosen] == ["dismissed", "dismissed"]

    # assigning is undone by assigning again: it asks nothing
    asked.clear()
    tick(page, world["t2"])
    page.click("button[name=action][value=assign]")
    expect(page.locator("p.flash")).to_contain_text("1 lead(s) assigned")
    assert asked == []
    assert status_of(db, world["t2"]) == "assigned"
