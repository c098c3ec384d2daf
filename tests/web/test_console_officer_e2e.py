"""Acceptance, in real Chromium: an officer's day on the console, and hostile content.

- Over a really patrolled database (kuaigou through a browser, so with screenshots): a
  supervisor assigns a flagged kuaigou lead to Officer Li from the queue; Li signs in
  through the form, filters the queue, opens the lead, sees the screenshot and the
  highlighted match, and confirms it.
- A listing titled with ``<script>`` and ``"><img onerror=…>`` renders as text, and its
  stored page — full of script, remote loads, a refresh, a form and links, all aimed at a
  loopback server of the test's own — runs nothing and reaches nothing, framed or opened.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import select

from patrol.db import Database, open_database
from patrol.db.models import Lead, LeadEvent, ListingRow, Marketplace, utcnow
from patrol.web.config import WebConfig
from patrol.web.views.evidence import stored_evidence
from tests.web.leadworld import store_page
from tests.web.server import PASSWORD, ConsoleServer, console_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> Nike shoes'


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab in which any dialog (``alert``, ``confirm``) fails the test."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    tab = context.new_page()
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", refuse)
    yield tab
    context.close()
    assert dialogs == [], f"a dialog opened: {dialogs}"


def sign_in_through_the_form(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/leads")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    expect(page).to_have_url(f"{base}/leads")


def a_kuaigou_lead_with_a_screenshot(console: ConsoleServer) -> tuple[int, str]:
    """A new kuaigou lead whose evidence has a screenshot and a hit in its title."""
    database = open_database(console.config.database_url)
    try:
        with database.sessions() as session:
            leads = session.scalars(
                select(Lead)
                .join(ListingRow, ListingRow.id == Lead.listing_pk)
                .join(Marketplace, Marketplace.id == ListingRow.marketplace_id)
                .where(Marketplace.code == "kuaigou", Lead.status == "new")
                .order_by(Lead.score.desc(), Lead.id)
            )
            for lead in leads:
                evidence = stored_evidence(console.config.evidence_dir, lead.evidence_path)
                hits = [h for h in lead.reasons if h["field"] == "title" and h.get("span")]
                if evidence is not None and evidence.has_screenshot and hits:
                    return lead.id, hits[0]["text"]
    finally:
        database.dispose()
    pytest.fail("the kuaigou patrol left no lead with a screenshot and a title hit")


def test_an_officer_filters_opens_and_confirms_a_lead(
    patrolled_console: ConsoleServer, page: Page
) -> None:
    base = patrolled_console.url
    lead_id, hit_text = a_kuaigou_lead_with_a_screenshot(patrolled_console)
    due = (utcnow() + timedelta(days=10)).date().isoformat()

    # the supervisor assigns it to Officer Li from the queue (bulk form), then signs out
    sign_in_through_the_form(page, base, "wang")
    page.goto(f"{base}/leads?site=kuaigou")
    page.check(f"input[name=lead][value='{lead_id}']")
    page.select_option("#bulk select[name=assignee]", "li")
    page.fill("#bulk input[name=due]", due)
    page.click("#bulk button[value=assign]")
    expect(page.locator("p.flash")).to_have_text("1 lead(s) assigned to Officer Li.")
    page.click("header .who button")
    expect(page).to_have_url(re.compile(r"/login"))

    # Officer Li signs in, filters the queue to assigned kuaigou leads, opens the lead
    sign_in_through_the_form(page, base, "li")
    filters = page.locator("form.filters")
    filters.locator("input[name=status][value=assigned]").check()
    filters.locator("select[name=site]").select_option("kuaigou")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"status=assigned.*site=kuaigou"))
    rows = page.locator("table.leads tbody tr[data-lead]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-lead", str(lead_id))
    expect(rows.first).to_contain_text("Officer Li")
    rows.first.locator("td.title a").click()
    expect(page).to_have_url(f"{base}/leads/{lead_id}")

    # the screenshot decodes; the hit is highlighted in the title
    screenshot = page.locator("img.screenshot")
    expect(screenshot).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.screenshot');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert screenshot.evaluate("i => i.naturalWidth") > 100
    marks = page.locator("ol.hits p.match mark").all_inner_texts()
    assert hit_text in marks, (hit_text, marks)
    expect(page.locator("p.lead-title mark").first).to_be_visible()

    # confirm it: the status moves and the history says who did it
    move = page.locator("form[data-move=confirmed]")
    move.locator("input[name=reason]").fill("counterfeit logo on the screenshot")
    move.locator("button").click()
    expect(page.locator("p.flash")).to_have_text(f"Lead #{lead_id}: assigned → confirmed.")
    expect(page.locator("#lead-status")).to_have_text("confirmed")
    last = page.locator("table.history tbody tr").last
    expect(last).to_contain_text("li")
    expect(last).to_contain_text("assigned → confirmed")
    expect(last).to_contain_text("counterfeit logo on the screenshot")
    database = open_database(patrolled_console.config.database_url)
    with database.sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and (lead.status, lead.assignee) == ("confirmed", "Officer Li")
        event = session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id.desc())
        ).first()
        assert event is not None and (event.actor, event.to_status) == ("li", "confirmed")
    database.dispose()


class _Recorder(BaseHTTPRequestHandler):
    """Answers anything, and writes down that it was asked."""

    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"reached")

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A loopback server the stored page tries to reach: its URL and what it was asked."""
    requests: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def hostile_page(trap_url: str) -> bytes:
    return f"""<!doctype html><html><head>
<meta http-equiv="refresh" content="1;url={trap_url}/refresh">
<link rel="stylesheet" href="{trap_url}/style.css">
<style>body {{ background: url({trap_url}/background.png); }}</style>
<script>document.title = "SCRIPT RAN"; fetch("{trap_url}/fetch");
  try {{ parent.document.body.dataset.reached = "yes"; }} catch (e) {{}}</script>
<script src="{trap_url}/remote.js"></script>
</head><body>
<p id="stored">耐克 stored listing page</p>
<img src="{trap_url}/image.png">
<img src="x" onerror="new Image().src = '{trap_url}/onerror'">
<iframe src="{trap_url}/frame"></iframe>
<form action="{trap_url}/form" method="post"><button id="send">send</button></form>
<a id="away" href="{trap_url}/link">away</a>
<a id="top" href="{trap_url}/top" target="_top">top</a>
</body></html>""".encode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_titles_and_stored_pages_stay_inert(
    db: Database,
    accounts: dict[str, str],
    tmp_path: Path,
    trap: tuple[str, list[str]],
    page: Page,
) -> None:
    trap_url, reached = trap
    evidence_dir = tmp_path / "evidence"
    lead_id = store_page(db, evidence_dir, "xss1", hostile_page(trap_url), title=HOSTILE_TITLE)
    web = WebConfig.from_env(database_url=db.url, evidence_dir=evidence_dir)
    with console_server(web) as console:
        base = console.url
        sign_in_through_the_form(page, base, "li")

        # the title is text, in the queue and on the lead page
        cell = page.locator(f"tr[data-lead='{lead_id}'] td.title")
        expect(cell).to_have_text(HOSTILE_TITLE)
        assert page.locator("table.leads img[src=x]").count() == 0
        page.goto(f"{base}/leads/{lead_id}")
        expect(page.locator("p.lead-title")).to_have_text(HOSTILE_TITLE)
        assert page.locator("main script, main img[src=x]").count() == 0

        # the stored page shows in its frame, and nothing in it runs or loads
        frame = page.frame_locator("iframe.evidence")
        expect(frame.locator("#stored")).to_have_text("耐克 stored listing page")
        frame.locator("#top").click()  # sandboxed: no navigating the console away
        frame.locator("#send").click()  # ... no forms
        frame.locator("#away").click()  # ... and the frame may only show the console's
        page.wait_for_timeout(2_000)  # past the page's 1 s refresh
        expect(page).to_have_url(f"{base}/leads/{lead_id}")
        assert page.evaluate("document.body.dataset.reached") is None
        assert page.title() != "SCRIPT RAN"

        # ... nor when the stored page is opened on its own, outside the frame
        page.goto(f"{base}/leads/{lead_id}/evidence/page")
        expect(page.locator("#stored")).to_be_visible()
        page.wait_for_timeout(2_000)
        assert page.title() != "SCRIPT RAN"
    assert reached == [], f"the stored page reached the network: {reached}"
