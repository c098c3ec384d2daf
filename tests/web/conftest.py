from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from patrol.crawl.browser import CHROMIUM_ARGS, find_chromium
from patrol.web.config import WebConfig
from tests.db.fixtures import db, db_url, pg_session_url, sqlite_template  # noqa: F401
from tests.web.patrolled import patrolled_console, patrolled_world  # noqa: F401
from tests.web.server import ConsoleServer, add_accounts, console_server


@pytest.fixture
def accounts(db_url: str) -> dict[str, str]:  # noqa: F811
    return add_accounts(db_url)


@pytest.fixture
def console(db_url: str, accounts: dict[str, str]) -> Iterator[ConsoleServer]:  # noqa: F811
    with console_server(WebConfig.from_env(database_url=db_url)) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the console's acceptance tests (one per test module)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=find_chromium(), headless=True, args=list(CHROMIUM_ARGS)
        )
        yield chromium
        chromium.close()
