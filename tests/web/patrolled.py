"""A console database filled by real patrols of the fixture marketplaces.

Once per test session: ``kuaigou`` (through Chromium, so flagged listings have
screenshots) and ``taoji`` are served on loopback and patrolled by ``patrol crawl`` in
subprocesses, as in production. Each test then gets its own copy of that SQLite database
(so tests may change leads freely) and reads the shared evidence folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from patrol.marketplaces import serve_marketplaces
from patrol.web.config import WebConfig
from tests.spiders.patrolrun import PatrolHome
from tests.web.server import ConsoleServer, add_accounts, console_server

__all__ = ["PatrolledWorld", "patrolled_console", "patrolled_world"]

SEED = 7
HOUR = 10.0


@dataclass(frozen=True)
class PatrolledWorld:
    database: Path  # the template SQLite file: copy it, never change it
    evidence: Path


@pytest.fixture(scope="session")
def patrolled_world(tmp_path_factory: pytest.TempPathFactory) -> PatrolledWorld:
    home = PatrolHome(tmp_path_factory.mktemp("patrolled"))
    with serve_marketplaces(sites=("kuaigou", "taoji"), seed=SEED, listings=40, hour=HOUR) as fx:
        for site in ("kuaigou", "taoji"):
            result = home.patrol(site, fx.base_url(site), timeout=300)
            assert result.returncode == 0, result.stderr[-3000:]
            assert result.stats.get("patrol/flagged", 0) > 0
    return PatrolledWorld(
        database=home.root / "var" / "patrol.db", evidence=home.root / "var" / "evidence"
    )


@pytest.fixture
def patrolled_console(patrolled_world: PatrolledWorld, tmp_path: Path) -> Iterator[ConsoleServer]:
    """The console on a fresh copy of the patrolled database, with the test accounts."""
    database = tmp_path / "patrol.db"
    shutil.copy(patrolled_world.database, database)
    url = f"sqlite:///{database}"
    add_accounts(url)
    web = WebConfig.from_env(database_url=url, evidence_dir=patrolled_world.evidence)
    with console_server(web) as server:
        yield server
